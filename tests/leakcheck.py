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

import contextlib
import functools
import gc
import importlib
import re
import traceback
import tracemalloc
import warnings
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

# A temporary file (TemporaryFile, NamedTemporaryFile, a spooled file rolled over to disk)
# is opened on a bare descriptor, so the warning of one left open names only its number
# ("<_io.FileIO name=48 mode='rb+'>"), and tracemalloc, too slow to leave on, could not say
# who opened it. So the stack that made each one in this process is kept by descriptor (a
# descriptor is not reused while the file holds it: the entry is the leaked file's own), and
# a leak of one names where it was opened, whichever test the collector finds it in.
_MADE: dict[int, str] = {}
_DESCRIPTOR = re.compile(r"FileIO name=(\d+)")


def _remember(make: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(make)
    def made(*args: Any, **kwargs: Any) -> Any:
        handle = make(*args, **kwargs)
        with contextlib.suppress(AttributeError, OSError, ValueError):
            _MADE[handle.fileno()] = "".join(traceback.format_stack(limit=16)[:-1])
        return handle
    return made


# Modules that bound the name at import (werkzeug's test client spools a large multipart
# body to one; pytest's fd capture writes to one) as well as tempfile itself, whose
# SpooledTemporaryFile rolls over through its own module's TemporaryFile.
for _module in ("tempfile", "werkzeug.test", "_pytest.capture"):
    try:
        _found = importlib.import_module(_module)
    except ImportError:
        continue
    for _name in ("TemporaryFile", "NamedTemporaryFile"):
        if callable(getattr(_found, _name, None)):
            setattr(_found, _name, _remember(getattr(_found, _name)))


def opened_at(text: str) -> str:
    """Where each temporary file the text names by descriptor was opened, as far as known."""
    found = []
    for number in dict.fromkeys(_DESCRIPTOR.findall(text)):
        stack = _MADE.get(int(number))
        if stack:
            found.append(f"file descriptor {number} was opened at (most recent call last):\n"
                         + stack)
    return "\n".join(found)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure that names an unclosed temporary file (pytest's own report of a warning
    raised when the collector freed it in the middle of a test) says where it was opened."""
    report: pytest.TestReport = yield
    if report.failed:
        where = opened_at(str(report.longrepr))
        if where:
            report.sections.append(("where the unclosed temporary file was opened", where))
    return report


def _describe(caught: warnings.WarningMessage) -> str:
    text = f"{caught.category.__name__}: {caught.message}"
    traced = tracemalloc.get_object_traceback(caught.source) \
        if caught.source is not None and tracemalloc.is_tracing() else None
    if traced is None:
        known = opened_at(text)
        if known:
            return text + "\n" + known
        return text + "\n  (run with PYTHONTRACEMALLOC=20 to see where it was opened)"
    return text + "\n  opened at (most recent call last):\n" + "\n".join(
        "  " + line for line in traced.format())


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
