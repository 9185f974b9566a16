"""Issue 25, class 6: the questions real communities needed and did not have.

Who tells a follow-up team about someone to visit (alert-sources), who the program or the
prosecutor would leave out (exclusions), and the state as a partner: each weighted option
has a rule that cites a source; an option with no weight is marked neutral (scoring.yaml says
why). Both questions are optional and folded away on their page, so the wizard asks no more
of a community that does not open them, and answers saved before they existed score as they
did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from planner.engine import answers, scoring
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge
from planner.web import state

if TYPE_CHECKING:
    from conftest import BreakKnowledge

NEW = ("alert-sources", "exclusions")
FIXTURES = Path(__file__).parent / "fixtures" / "answers"
MINIMAL = {"community-name": "Testville", "state": "oh", "population": "under-50k",
           "rurality": "rural", "lead-agency": "fire-ems", "existing-program": "no"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


def _points(kb: Knowledge, given: dict[str, Any]) -> dict[str, float]:
    ranking = scoring.score(kb, read_profile(kb, answers.validate(kb, given)))
    return {s.pathway.id: sum(c.points for c in s.contributions) for s in ranking.candidates}


@pytest.mark.parametrize("qid", NEW)
def test_the_new_questions_are_optional_folded_and_say_why_and_who_knows(
        kb: Knowledge, qid: str) -> None:
    q = kb.questions[qid]
    assert q.type == "multi" and not q.required
    assert q.folded and q.folded.startswith("Optional:")
    assert q.help.strip() and q.who_knows
    assert sum(o.dont_know for o in q.options) == 1
    assert any(o.exclusive and o.neutral for o in q.options), "a plain 'none' answer"


@pytest.mark.parametrize(("qid", "option", "expected"), [
    ("alert-sources", "ems", {"naloxone-plus": 2}),
    ("alert-sources", "police", {"naloxone-plus": 2}),
    ("alert-sources", "hospital", {"naloxone-plus": 2}),
    ("alert-sources", "community", {"active-outreach": 3}),
    ("exclusions", "dealing", {"officer-intervention": 2}),
    ("exclusions", "long-record", {"officer-intervention": -2}),
    ("partners", "state", {"self-referral": 3, "naloxone-plus": 3}),
])
def test_each_weighted_option_has_rules_that_cite_sources(
        kb: Knowledge, qid: str, option: str, expected: dict[str, int]) -> None:
    rules = [r for r in kb.rules if r.question == qid and r.option == option]
    assert {r.pathway: r.weight for r in rules} == expected
    for rule in rules:
        assert rule.sources, rule.id
        assert all(s.url.startswith("https://") for s in rule.sources)
        assert "own judgement" not in rule.rationale, rule.id


@pytest.mark.parametrize("qid", NEW)
def test_an_option_with_no_rule_is_marked_neutral(kb: Knowledge, qid: str) -> None:
    weighted = {r.option for r in kb.rules if r.question == qid}
    for option in kb.questions[qid].options:
        if option.dont_know:
            continue
        assert (option.id in weighted) != option.neutral, (qid, option.id)
    assert not kb.questions["partners"].option("state").neutral


def test_the_state_as_a_partner_moves_walk_in_doors_and_overdose_follow_up(
        kb: Knowledge) -> None:
    without = _points(kb, {**MINIMAL, "partners": ["police"]})
    with_state = _points(kb, {**MINIMAL, "partners": ["police", "state"]})
    moved = {p for p in without if with_state[p] != pytest.approx(without[p])}
    assert moved == {"self-referral", "naloxone-plus"}
    assert all(with_state[p] > without[p] for p in moved)


def test_alerts_from_ems_police_and_hospitals_add_up_for_naloxone_plus(kb: Knowledge) -> None:
    base = _points(kb, MINIMAL)
    one = _points(kb, {**MINIMAL, "alert-sources": ["ems"]})
    three = _points(kb, {**MINIMAL, "alert-sources": ["ems", "police", "hospital"]})
    assert base["naloxone-plus"] < one["naloxone-plus"] < three["naloxone-plus"]
    assert three["naloxone-plus"] - base["naloxone-plus"] == pytest.approx(
        3 * (one["naloxone-plus"] - base["naloxone-plus"]))
    assert {p for p in base if three[p] != pytest.approx(base[p])} == {"naloxone-plus"}


def test_an_answers_file_saved_before_the_new_questions_loads_and_scores_as_blank(
        kb: Knowledge) -> None:
    """The Kentucky file (questions version 2) does not know the new questions: it loads,
    they stay blank, and blank scores the same as "don't know" (no points either way)."""
    raw = json.loads((FIXTURES / "kentucky-rural-sheriff.json").read_text(encoding="utf-8"))
    assert not set(NEW) & set(raw["answers"])
    given = answers.read_file(kb, raw).answers
    assert not set(NEW) & set(given)
    blank = _points(kb, dict(given))
    unknown = _points(kb, {**given, **{q: ["dont-know"] for q in NEW}})
    assert blank == pytest.approx(unknown)


def test_the_folded_questions_take_no_room_on_their_page(kb: Knowledge) -> None:
    pages = state.pages(kb, "data-justice")
    assert len(pages) == 1, [[q.id for q in p] for p in pages]
    asked = [q for q in pages[0] if not state.folded_away(q)]
    assert len(asked) <= state.PAGE_MAX
    assert {q.id for q in pages[0]} >= set(NEW)
    assert all(state.folded_away(kb.questions[q]) for q in NEW)


def test_a_required_question_cannot_be_folded_away(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        question = next(q for q in data["questions"] if q["id"] == "community-name")
        question["folded"] = "Optional: the name"

    root = broken_kb("questions", edit)
    findings = loader.check(root)
    assert any(f.field.endswith("folded") and "cannot be folded" in f.message
               for f in findings), findings
