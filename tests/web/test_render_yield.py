"""Queued renders wait while the cores are busy (planner.web.renders.should_yield): a render
queued in advance is a guess, a request is someone waiting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from planner import create_app
from planner.web import renders


@pytest.fixture
def yielding(app_config: dict[str, Any]) -> Iterator[Flask]:
    made = create_app({**app_config, "RENDER_YIELD_SECONDS": 120})
    yield made
    made.extensions["planner.engine"].dispose()


def _cpu(monkeypatch: pytest.MonkeyPatch, ticks: list[tuple[int, int]], own: list[float]
         ) -> None:
    monkeypatch.setattr(renders, "_cpu_ticks", lambda: ticks.pop(0))
    monkeypatch.setattr(renders, "_own_ticks", lambda: own.pop(0))


def test_the_machine_is_busy_when_little_of_its_cpu_was_idle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _cpu(monkeypatch, [(1000, 500), (1100, 510)], [0.0, 0.0])
    assert renders.machine_busy(look=0)  # 10 of 100 ticks idle
    _cpu(monkeypatch, [(1000, 500), (1100, 550)], [0.0, 0.0])
    assert not renders.machine_busy(look=0)  # half idle
    _cpu(monkeypatch, [(1000, 500), (1100, 510)], [0.0, 30.0])
    assert not renders.machine_busy(look=0)  # the consumer's own use does not count


def test_without_proc_stat_nothing_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable() -> tuple[int, int]:
        raise OSError("no /proc here")
    monkeypatch.setattr(renders, "_cpu_ticks", unreadable)
    assert not renders.machine_busy(look=0)


def test_a_render_waits_only_while_busy_and_within_its_allowance(
        yielding: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    busy = [True]
    monkeypatch.setattr(renders, "machine_busy", lambda look=0.0: busy[0])
    now = time.time()
    with yielding.app_context():
        assert renders.should_yield(now - 5, now)
        assert not renders.should_yield(now - 120, now)  # waited its whole allowance
        assert not renders.should_yield(None, now)
        busy[0] = False
        assert not renders.should_yield(now - 5, now)
        yielding.config["RENDER_YIELD_SECONDS"] = 0
        busy[0] = True
        assert not renders.should_yield(now - 5, now)  # turned off


def test_a_waiting_render_is_queued_again_and_not_rendered(
        yielding: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[tuple[Any, ...]] = []
    monkeypatch.setattr(renders, "render_job",
                        lambda *args: rendered.append(args) or "key")  # type: ignore[func-returns-value]
    monkeypatch.setattr(renders, "machine_busy", lambda look=0.0: True)
    task = yielding.extensions["planner.render_task"]
    queue = yielding.extensions["planner.queue"]
    queued = time.time()
    assert task.call_local(7, None, queued=queued) is None
    assert rendered == []
    waiting = queue.pending()  # queued again with a later start (huey keeps it until then)
    assert len(waiting) == 1
    assert waiting[0].args == (7, None) and waiting[0].kwargs == {"queued": queued}
    assert waiting[0].eta is not None  # with a start YIELD_PAUSE seconds on
    # A check of a claimed render never waits; nor does a render once the cores are free.
    assert task.call_local(7, None, "somekey") == "key"
    monkeypatch.setattr(renders, "machine_busy", lambda look=0.0: False)
    assert task.call_local(7, None, queued=queued) == "key"
    assert rendered == [(7, None, "somekey"), (7, None, None)]
