"""Money that can be had, as invariants (issue 26 item 2): over every scenario, the case files
and generated answers (hypothesis), on several plan dates, nothing ended, closed, meant for
another program or for an applicant the community is not is put to the council as an
application to make, and the brief asks only for what the engine marked `to_apply`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_scoring_properties import PROPS, answer_sets

from planner.documents.brief import build_brief
from planner.engine import actions, answers, funding, plan
from planner.engine.profile import read_profile
from planner.knowledge import loader

KB = loader.load_default()
ROOT = Path(__file__).parent
# Days that put different rounds open: FY2025 solicitations open (March 2025), the day of the
# November 2026 review, and after the Medicaid mobile-crisis match has ended (April 2027).
DAYS = (dt.date(2025, 3, 1), dt.date(2026, 8, 1), dt.date(2026, 12, 4), dt.date(2027, 4, 2))
CASES = [pytest.param(p, id=p.stem) for p in sorted((ROOT / "scenarios").glob("*.yaml"))] + [
    pytest.param(ROOT / "fixtures" / "answers" / "huntington.json", id="huntington"),
    pytest.param(ROOT / "fixtures" / "answers" / "kentucky-rural-sheriff.json", id="kentucky"),
]


def _given(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return answers.read_file(KB, json.loads(path.read_text()), complete=False).answers
    return answers.validate(KB, yaml.safe_load(path.read_text())["answers"], complete=False)


def check(given_answers: dict[str, Any], today: dt.date) -> None:
    profile = read_profile(KB, given_answers)
    built = plan.build(KB, profile, today=today)
    dates = built.dates
    assert dates is not None and dates.today == today and dates.start > today
    assert dates.launch >= dates.start
    kinds = funding.applicant_kinds(profile)
    for detail in built.recommended:
        for fit in detail.funding:
            fund = KB.funding[fit.id]
            status = fund.status_on(today)
            assert fit.status == status, fit.id
            # Ended money is left out, or (a law's set years over) shown as ended.
            assert status != "ended" or (fund.last_fiscal_year and "Ended" in fit.when), fit.id
            if fund.states:
                assert profile.state in fund.states, fit.id  # another state's money
            if not fit.to_apply:
                assert not fit.application
                continue
            # An application to make: open or expected on the plan's dates ...
            assert status in ("open", "expected"), fit.id
            rounds = [c for c in fund.cycles if c.open_between(today, dates.launch)]
            # ... to a round the community's kind of applicant can apply to, or ask its state
            # for (pass-through money names the state body) ...
            assert any(set(c.applicants) & kinds or "state-pass-through" in c.applicants
                       for c in rounds), fit.id
            assert fit.route in ("direct", "through-state"), fit.id
            if fit.route == "through-state":
                assert fund.apply_through and fund.apply_through in fit.application
            # ... whose money outlasts the launch; never a foundation's grant to another
            # program.
            assert not fund.ends_on or dt.date.fromisoformat(fund.ends_on) >= dates.launch
            assert fund.cycles and not fund.examples, fit.id
        assert all(e.startswith("Example only, not an offer:") for f in detail.funding
                   for e in f.examples)
    top = built.top
    if top is None:
        return
    rows = actions.action_plan(KB, built.timeline, profile, plan.named_partners(KB, profile),
                               dates.start)
    brief = build_brief(KB, built, profile, rows, dates.start)
    assert brief is not None
    asked = [d for d in brief.decision if d.startswith(("Allow an application", "Allow a request"))]
    allowed = {f.application for f in top.funding if f.to_apply}
    assert set(asked) <= allowed
    assert len(asked) == (1 if allowed else 0)


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.parametrize("path", CASES)
def test_every_case_asks_only_for_money_that_can_be_had(path: Path, today: dt.date) -> None:
    check(_given(path), today)


@PROPS
@given(answer_sets(), st.sampled_from(DAYS))
def test_generated_plans_ask_only_for_money_that_can_be_had(
        given_answers: dict[str, Any], today: dt.date) -> None:
    check(given_answers, today)
