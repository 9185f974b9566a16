"""The scenario files as test parameters, and the type of their rendered plans (the
`scenario_plan` fixture in conftest.py builds and caches them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from planner.engine import answers, plan

SCENARIO_FILES = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def each_scenario() -> list[Any]:
    """The scenario files as parameters, each in its own xdist group: under
    `--dist loadgroup` one worker handles every test of a scenario, so its plan PDF
    (scenario_plan) is rendered once, not once per test module."""
    return [pytest.param(path, id=path.stem, marks=pytest.mark.xdist_group(f"scenario-{path.stem}"))
            for path in SCENARIO_FILES]


class ScenarioPlan(NamedTuple):
    given: answers.Answers
    plan: plan.Plan
    html: str  # the plan as HTML for print, dated 25 November 2026
    pdf: bytes


ScenarioPlans = Callable[[Path], ScenarioPlan]
