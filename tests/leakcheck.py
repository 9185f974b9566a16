"""A leaked file handle, socket or subprocess fails the test that leaked it.

An object left unclosed warns (ResourceWarning) only when it is freed. One freed by reference
counting warns at once, inside its test (`filterwarnings = error` makes that a failure); one
caught in a reference cycle (a Werkzeug test response, a request) warns whenever the
garbage collector next runs, which may be several tests later, in a test that did nothing
wrong. So after each test this fixture runs the collector, with the warnings caught, and fails
that test on any ResourceWarning, with where the object was made when tracemalloc traces
(PYTHONTRACEMALLOC=20).

It is a plugin of its own (imported by tests/conftest.py) so that tests/test_leakcheck.py can
run it on a test that leaks, in a pytest run of its own.
"""

from __future__ import annotations

import gc
import tracemalloc
import warnings
from collections.abc import Iterator

import pytest


def _describe(caught: warnings.WarningMessage) -> str:
    text = f"{caught.category.__name__}: {caught.message}"
    traceback = tracemalloc.get_object_traceback(caught.source) \
        if caught.source is not None and tracemalloc.is_tracing() else None
    if traceback is None:
        return text + "\n  (run with PYTHONTRACEMALLOC=20 to see where it was opened)"
    return text + "\n  opened at (most recent call last):\n" + "\n".join(
        "  " + line for line in traceback.format())


def _check(when: str) -> None:
    """Collect garbage with the warnings caught; fail on any ResourceWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaks = [c for c in caught if issubclass(c.category, ResourceWarning)]
    for other in caught:
        if other not in leaks:  # anything else goes on to the usual filters
            warnings.warn_explicit(other.message, other.category, other.filename,
                                   other.lineno, source=other.source)
    if leaks:
        pytest.fail(f"{when} left resources unclosed (close them: `with`, .close()):\n"
                    + "\n".join(_describe(c) for c in leaks), pytrace=False)


@pytest.fixture(scope="module", autouse=True)
def no_leaked_handles_in_module() -> Iterator[None]:
    """At the end of each module, a full collection (gc.unfreeze: see below), which finds
    what a module-scoped fixture leaked and frees what the tests' collections left frozen."""
    yield
    gc.unfreeze()
    _check("this module (a module-scoped fixture, or a test with an older object)")


@pytest.fixture(autouse=True)
def no_leaked_handles() -> Iterator[None]:
    """After the test (and its function-scoped fixtures: this one is set up first, so torn
    down last), collect garbage and fail the test on any ResourceWarning.

    A full collection walks every object in the process: in the middle of the suite (the
    knowledge bases, rendered plans and apps of the session- and module-scoped fixtures)
    about 0.8 s each (measured on this 2-core machine under load), half an hour for the
    suite. So what survives each collection is frozen (gc.freeze: left out of later
    collections), and each test's collection walks only what was made since the last one:
    a handle the test leaked in a cycle of its own objects is found at once; one tangled
    with older objects, at the end of the module."""
    yield
    _check("this test")
    gc.freeze()
