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


@pytest.fixture(autouse=True)
def no_leaked_handles() -> Iterator[None]:
    """After the test (and its function-scoped fixtures: this one is set up first, so torn
    down last), collect garbage and fail the test on any ResourceWarning."""
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaks = [c for c in caught if issubclass(c.category, ResourceWarning)]
    for other in caught:
        if other not in leaks:  # anything else goes on to the usual filters
            warnings.warn_explicit(other.message, other.category, other.filename,
                                   other.lineno, source=other.source)
    if leaks:
        pytest.fail("this test left resources unclosed (close them: `with`, .close()):\n"
                    + "\n".join(_describe(c) for c in leaks), pytrace=False)
