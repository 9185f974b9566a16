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
    here, warnings as errors: the test that leaves a file open fails, the one that closes
    its file passes."""
    pytester.makeconftest(Path(leakcheck.__file__).read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    pytester.makepyfile(test_inner=INNER)
    monkeypatch.delenv("PYTHONTRACEMALLOC", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # no hypothesis etc.: faster
    if tracing:
        monkeypatch.setenv("PYTHONTRACEMALLOC", "1")  # one frame: the line that opened it
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    # The leaking test's own teardown fails; the other test passes.
    result.assert_outcomes(passed=2, errors=1)
    out = result.stdout.str()
    assert "ERROR at teardown of test_leaks_a_file_in_a_cycle" in out, out
    assert "ERROR at teardown of test_closes_its_file" not in out, out
    assert "ResourceWarning: unclosed file" in out and "leaked.txt" in out, out
    if tracing:
        assert 'handle = open(tmp_path / "leaked.txt", "w")' in out, out  # where it was opened
    else:
        assert "PYTHONTRACEMALLOC=20" in out, out
