"""Invariants of the starter plan's schedule and roles, over every scenario, the case files
and generated answers (hypothesis): the launch waits for every step planned before it, and
for the steps that establish the pathway's critical elements; a step never starts before
what it waits for ends; a step's lead is a partner the community named who takes part in it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from test_scoring_properties import PROPS, answer_sets

from planner.engine import actions, answers, plan
from planner.engine.graph import LAUNCH, PRE_LAUNCH
from planner.engine.profile import read_profile
from planner.knowledge import loader

KB = loader.load_default()
ROOT = Path(__file__).parent
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
START = dt.date(2027, 1, 4)


def _given(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return answers.read_file(KB, json.loads(path.read_text()), complete=False).answers
    return answers.validate(KB, yaml.safe_load(path.read_text())["answers"], complete=False)


CASES = [pytest.param(p, id=p.stem) for p in FILES] + [
    pytest.param(ROOT / "fixtures" / "answers" / "huntington.json", id="huntington"),
    # The plan-review case of a rural Kentucky county led by its sheriff (answered from
    # scratch as a new user would; a copy of the project's shared case file).
    pytest.param(ROOT / "fixtures" / "answers" / "kentucky-rural-sheriff.json", id="kentucky"),
]


def check(given_answers: dict[str, Any]) -> None:
    profile = read_profile(KB, given_answers)
    built = plan.build(KB, profile)
    timeline = {t.task.id: t for t in built.timeline}
    launches = [t for t in built.timeline if t.task.phase == LAUNCH
                and not any(timeline[w].task.phase == LAUNCH for w in t.waits_for)]
    for launch in launches:
        for t in built.timeline:
            if t.task.phase in PRE_LAUNCH:
                # Every step planned before launch ends before it, slack included.
                assert t.finish + t.slack <= launch.start, (t.task.id, launch.task.id)
        for detail in built.recommended:
            for element in detail.score.pathway.element_ids:
                for t in built.timeline:
                    if element in t.task.builds and t.task.phase in PRE_LAUNCH:
                        assert t.finish <= launch.start, (element, t.task.id)
    for t in built.timeline:
        for w in t.waits_for:
            assert timeline[w].finish <= t.start, (w, t.task.id)
    named = plan.named_partners(KB, profile)
    rows = actions.action_plan(KB, built.timeline, profile, named, START)
    for row in rows:
        task = KB.tasks[row.task_id]
        if row.lead_id is None:
            assert row.lead == actions.TO_ASSIGN
            assert not set(task.partners) & named
        else:
            assert row.lead_id in task.partners and row.lead_id in named
            lead_agency = profile.lead_agency
            if lead_agency in task.partners and lead_agency in named:
                assert row.lead_id == lead_agency, row.task_id


@pytest.mark.parametrize("path", CASES)
def test_every_case_plan_holds(path: Path) -> None:
    check(_given(path))


@PROPS
@given(answer_sets())
def test_generated_plans_hold(given_answers: dict[str, Any]) -> None:
    check(given_answers)


def test_the_launch_waits_for_the_steps_that_define_the_pathway() -> None:
    # Officer Intervention: the prosecutor agreement; Naloxone Plus: the overdose feed;
    # Community Response: the responder team.
    for pathway, task in (("officer-intervention", "task-negotiate-prosecutor-agreement"),
                          ("naloxone-plus", "task-build-overdose-notification-feed"),
                          ("community-response", "task-staff-community-responder-team")):
        timeline = {t.task.id: t for t in plan._schedule_for(KB, (pathway,), None)}
        launch = timeline["task-soft-launch"]
        assert timeline[task].finish <= launch.start
        assert timeline[task].finish + timeline[task].slack <= launch.start


def test_a_sheriff_led_county_is_not_asked_for_a_police_department() -> None:
    named = frozenset({"sheriff", "treatment-provider"})
    for pathway in ("officer-intervention", "first-responder-referral", "self-referral"):
        team = plan.stakeholders(KB, KB.pathways[pathway], named, frozenset())
        police = next(s for s in team if s.partner_id == "police")
        assert police.status == "covered", pathway  # the sheriff stands in: not "missing"


def test_a_sheriff_as_lead_agency_leads_the_steps_law_enforcement_takes_part_in() -> None:
    named = frozenset({"sheriff", "fire-ems", "treatment-provider"})
    led = {tid: actions.lead_for(KB, task.partners, named, "sheriff")[0]
           for tid, task in KB.tasks.items()}
    for tid in ("task-convene-planning-team", "task-define-problem-with-data",
                "task-choose-starting-pathway", "task-soft-launch",
                "task-set-intervention-eligibility"):
        assert led[tid] == "sheriff", tid
    # Each partner leads in its own domain: treatment capacity stays with treatment.
    assert led["task-secure-treatment-capacity"] == "treatment-provider"
