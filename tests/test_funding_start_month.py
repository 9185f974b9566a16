"""The month a community hopes to start dates its plan, and so the money it can count on
(issue 28): the optional start_month question (YYYY-MM) sets the plan's start, its launch
follows, and funding is judged on those dates. Answers saved without it still load."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from planner.engine import funding, matching
from planner.engine import plan as planning
from planner.engine.actions import default_start, hoped_start
from planner.engine.answers import AnswersError, month_words, read_file, validate
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

D = dt.date
TODAY = D(2026, 12, 4)
FIXTURES = Path(__file__).parent / "fixtures" / "answers"
QUESTION = "start-month"


def _answers(kb: Knowledge) -> dict[str, object]:
    data = json.loads((FIXTURES / "kentucky-rural-sheriff.json").read_text(encoding="utf-8"))
    return dict(read_file(kb, data).answers)


def test_the_question_is_optional_and_marks_the_start_month(shipped_kb: Knowledge) -> None:
    question = shipped_kb.questions[QUESTION]
    assert question.type == "month" and question.profile == "start_month"
    assert not question.required
    assert shipped_kb.profile_question("start_month") is question


def test_an_answer_file_without_it_still_loads_and_starts_next_month(
        shipped_kb: Knowledge) -> None:
    answers = _answers(shipped_kb)
    assert QUESTION not in answers
    profile = read_profile(shipped_kb, validate(shipped_kb, answers))
    assert profile.start_month is None
    built = planning.build(shipped_kb, profile, today=TODAY)
    assert built.dates is not None and built.dates.start == default_start(TODAY) == D(2027, 1, 4)


@pytest.mark.parametrize("bad", ["2027-13", "2027-3", "March 2027", "1999-12", 202710])
def test_a_month_is_written_yyyy_mm(shipped_kb: Knowledge, bad: object) -> None:
    with pytest.raises(AnswersError, match="takes a month written YYYY-MM"):
        validate(shipped_kb, {**_answers(shipped_kb), QUESTION: bad})


def test_the_plan_starts_in_the_month_hoped_for(shipped_kb: Knowledge) -> None:
    answers = validate(shipped_kb, {**_answers(shipped_kb), QUESTION: "2027-10"})
    profile = read_profile(shipped_kb, answers)
    assert profile.start_month == "2027-10" and month_words("2027-10") == "October 2027"
    built = planning.build(shipped_kb, profile, today=TODAY)
    assert built.dates is not None
    assert built.dates.start == D(2027, 10, 4)  # the first Monday of October 2027
    later = planning.build(shipped_kb, read_profile(shipped_kb, validate(
        shipped_kb, {**answers, QUESTION: "2028-02"})), today=TODAY)
    assert later.dates is not None
    # The launch follows the start by the same schedule.
    assert later.dates.launch - later.dates.start == built.dates.launch - built.dates.start
    # A month already past (or one whose first Monday has gone by) starts on the default.
    assert hoped_start("2026-11", TODAY) is None
    assert hoped_start("2026-12", TODAY) == D(2026, 12, 7)
    assert hoped_start("2026-12", D(2026, 12, 8)) is None
    # An explicit start (the CLI's --start) still wins over the answer.
    fixed = planning.build(shipped_kb, profile, today=TODAY, start=D(2027, 3, 1))
    assert fixed.dates is not None and fixed.dates.start == D(2027, 3, 1)


def test_a_start_past_the_money_s_end_changes_the_money_shown(shipped_kb: Knowledge) -> None:
    answers = _answers(shipped_kb)
    soon = planning.build(shipped_kb, read_profile(shipped_kb, validate(shipped_kb, answers)),
                          today=TODAY)
    profile = read_profile(shipped_kb, validate(shipped_kb, {**answers, QUESTION: "2028-01"}))
    late = planning.build(shipped_kb, profile, today=TODAY)
    assert soon.dates is not None and late.dates is not None
    # Money open today that runs out between the two launches.
    ends = soon.dates.launch + dt.timedelta(days=30)
    assert soon.dates.launch < ends < late.dates.launch
    fund = replace(shipped_kb.funding["fund-medicaid-mobile-crisis"], ends_on=ends.isoformat())
    match = matching.Match(fund.id, fund.label, 1.0, ())
    before = funding.fit(shipped_kb, fund, match, profile, soon.dates)
    after = funding.fit(shipped_kb, fund, match, profile, late.dates)
    assert before is not None and after is not None
    assert before.status == after.status == "open"
    assert before.to_apply and before.application
    assert not after.to_apply and after.application == ""
    assert "before your launch" in after.when and "do not count on it" in after.when
    assert "do not count on it" not in before.when
