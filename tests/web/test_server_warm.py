"""The server warms the preloaded app before its workers fork (planner.web.server.pre_fork):
every page template compiled and one chart drawn in the master, then the master's objects
frozen out of the garbage collector's sight, so no worker pays these inside its first requests
(measured: a cold results page cost 300 ms of CPU; under load, with all workers cold at once,
results took 1.2 to 1.7 s at p99)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace

import jinja2
import pytest
from flask import Flask

from planner.documents import charts, report
from planner.web import server


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()
    server._warmed.clear()


def _cached(env: jinja2.Environment) -> set[str]:
    assert env.cache is not None
    return {name for (_loader, name) in env.cache}


def test_warm_compiles_every_template_before_a_request(app: Flask) -> None:
    plan_env = report.environment(str(report.default_templates_dir()))
    plan_env.cache.clear()  # type: ignore[union-attr]
    assert "web/results.html" not in _cached(app.jinja_env)
    server.warm(app)
    pages = set(app.jinja_env.list_templates(filter_func=lambda n: not n.startswith("plan/")))
    plans = set(plan_env.list_templates(filter_func=lambda n: n.startswith("plan/")
                                        and n.endswith(".html")))
    assert {"web/results.html", "web/step.html", "base.html"} <= pages
    assert {"plan/plan.html", "plan/_ranking.html"} <= plans
    assert pages <= _cached(app.jinja_env)
    assert plans <= _cached(plan_env)


def test_warming_draws_a_chart_but_keeps_none(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[float, float]] = []
    figure = charts._figure

    def counted(width: float, height: float) -> object:
        drawn.append((width, height))
        return figure(width, height)

    monkeypatch.setattr(charts, "_figure", counted)
    before = charts._ranking_svg.cache_info().currsize
    charts.warm()
    assert len(drawn) == 1  # one figure was really drawn
    assert charts._ranking_svg.cache_info().currsize == before  # and none was kept


def test_pre_fork_warms_once_and_freezes_the_masters_objects(app: Flask, unfrozen: None,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    calls: list[Flask] = []
    monkeypatch.setattr(server, "warm", calls.append)
    master = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    server.pre_fork(master, None)
    server.pre_fork(master, None)  # the next worker: not warmed again
    assert calls == [app]
    assert gc.get_freeze_count() > 10_000
