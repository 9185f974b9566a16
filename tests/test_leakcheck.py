"""The leak check (tests/leakcheck.py) fails the test that leaks a file handle, and only it."""

from __future__ import annotations

from pathlib import Path

import leakcheck
import pytest

INNER = '''
import gc


def test_leaks_a_file_in_a_cycle(request, tmp_path):
    gc.disable()  # no collection during the test: the check itself must find it
    request.addfinalizer(gc.enable)
    handle = open(tmp_path / "leaked.txt", "w")
    cycle = {"handle": handle}
    cycle["self"] = cycle  # only the garbage collector frees it


def test_leaks_a_temporary_file_found_after_it(request):
    import tempfile
    gc.disable()
    request.addfinalizer(gc.enable)
    spool = tempfile.TemporaryFile()  # a bare descriptor: "FileIO name=N"
    cycle = {"spool": spool}
    cycle["self"] = cycle


def test_leaks_a_temporary_file_found_inside_it():
    import tempfile
    spooled = tempfile.TemporaryFile()
    cycle = {"spool": spooled}
    cycle["self"] = cycle
    spooled = None
    del cycle
    gc.collect()  # freed here: pytest reports the warning as this test's failure


def test_closes_its_file(request, tmp_path):
    gc.disable()
    request.addfinalizer(gc.enable)
    with open(tmp_path / "closed.txt", "w") as handle:
        cycle = {"handle": handle}
        cycle["self"] = cycle
'''


@pytest.mark.parametrize("tracing", [False, True], ids=["plain", "tracemalloc"])
def test_a_leaked_file_handle_fails_the_test_that_leaked_it(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tracing: bool) -> None:
    """An inner pytest run (its own process) with the leak check as its conftest and, as
    here, warnings as errors: each test that leaves a file open fails, the one that closes
    its file passes, and a temporary file (named by its descriptor only) is traced to the
    line that opened it."""
    pytester.makeconftest(Path(leakcheck.__file__).read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    pytester.makepyfile(test_inner=INNER)
    monkeypatch.delenv("PYTHONTRACEMALLOC", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # no hypothesis etc.: faster
    if tracing:
        monkeypatch.setenv("PYTHONTRACEMALLOC", "1")  # one frame: the line that opened it
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    # The leaking test's own teardown fails; the other test passes.
    result.assert_outcomes(passed=3, errors=2, failed=1)
    out = result.stdout.str()
    assert "ERROR at teardown of test_leaks_a_file_in_a_cycle" in out, out
    assert "ERROR at teardown of test_closes_its_file" not in out, out
    assert "ResourceWarning: unclosed file" in out and "leaked.txt" in out, out
    # A temporary file's warning names only its descriptor; the check names its opener,
    # found after the test or in the middle of it (tracemalloc or not).
    assert "ERROR at teardown of test_leaks_a_temporary_file_found_after_it" in out, out
    assert "spool = tempfile.TemporaryFile()" in out, out
    assert "FAILED test_inner.py::test_leaks_a_temporary_file_found_inside_it" in out, out
    assert "where the unclosed temporary file was opened" in out, out
    assert "spooled = tempfile.TemporaryFile()" in out, out
    if tracing:
        assert 'handle = open(tmp_path / "leaked.txt", "w")' in out, out  # where it was opened
    else:
        assert "PYTHONTRACEMALLOC=20" in out, out
