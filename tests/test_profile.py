"""The community profile: the answers read once, with one status per question."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from planner.engine import answers, scoring
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge.model import Knowledge

HUNTINGTON = Path(__file__).parent / "fixtures" / "answers" / "huntington.json"


@pytest.fixture(scope="module")
def given(shipped_kb: Knowledge) -> dict[str, answers.Value]:
    data = json.loads(HUNTINGTON.read_text(encoding="utf-8"))
    return answers.read_file(shipped_kb, data).answers  # type: ignore[return-value]


@pytest.fixture(scope="module")
def profile(shipped_kb: Knowledge, given: dict[str, answers.Value]) -> CommunityProfile:
    return read_profile(shipped_kb, given)


def test_each_question_has_one_of_four_statuses(shipped_kb: Knowledge,
                                                profile: CommunityProfile) -> None:
    assert profile.status("peers") == "answered"
    assert profile.status("hot-spots") == "dont-know"
    # Asked (no condition) but left blank.
    blank = next(q.id for q in shipped_kb.questions.values()
                 if not q.ask_when and q.has_options and q.id not in profile.answers)
    assert profile.status(blank) == "unanswered"
    # Its condition (a running program) does not hold.
    assert profile.status("running-pathways") == "not-asked"
    assert profile.status("no-such-question") == "not-asked"
    assert {qa.status for qa in profile.questions.values()} == {
        "answered", "dont-know", "unanswered", "not-asked"}
    assert list(profile.questions) == list(shipped_kb.questions)
    unknown = {qa.question.id for qa in profile.unknown_questions()}
    assert "hot-spots" in unknown and blank in unknown and "peers" not in unknown


def test_the_scores_unknowns_are_the_profiles(shipped_kb: Knowledge,
                                               profile: CommunityProfile) -> None:
    ranking = scoring.score(shipped_kb, profile)
    assert ranking.unknown_questions
    for qid in ranking.unknown_questions:
        assert profile.is_unknown(qid)
        assert (qid in ranking.unanswered_questions) == (profile.status(qid) == "unanswered")


def test_facts_carry_the_questions_they_came_from(shipped_kb: Knowledge,
                                                  profile: CommunityProfile) -> None:
    assert profile.facts and set(profile.fact_sources) == set(profile.facts)
    for fact, sources in profile.fact_sources.items():
        assert sources
        for qid in sources:
            qa = profile.answer(qid)
            assert qa.asked and fact in qa.facts
            assert any(fact in o.indicates for o in qa.question.options if o.id in qa.chosen)
    assert "police" in profile.facts and "partners" in profile.fact_sources["police"]


def test_profile_values_name_and_state(profile: CommunityProfile) -> None:
    assert profile.state == "WV"
    assert profile.name == "Huntington / Cabell County"
    assert profile.region == "south"
    assert profile.bucket is not None and profile.lead_agency is not None
    assert profile.running == ()


def test_with_answer_is_a_new_profile_and_leaves_this_one_alone(
        shipped_kb: Knowledge, given: dict[str, answers.Value],
        profile: CommunityProfile) -> None:
    changed = profile.with_answer("hot-spots", "yes")
    assert changed.status("hot-spots") == "answered"
    assert profile.status("hot-spots") == "dont-know"
    assert changed == read_profile(shipped_kb, {**given, "hot-spots": "yes"})
    removed = profile.with_answer("peers", None)
    assert removed.status("peers") == "unanswered" and "peers" not in removed.answers
    # A changed condition opens the question it guards.
    running = profile.with_answers({"existing-program": "yes",
                                    "running-pathways": ("self-referral",)})
    assert running.status("running-pathways") == "answered"
    assert running.running == ("self-referral",)
    assert scoring.rescore(shipped_kb, profile, {"hot-spots": "yes"}) == scoring.score(
        shipped_kb, changed)


def test_the_profile_is_immutable_and_hashable(shipped_kb: Knowledge,
                                               given: dict[str, answers.Value],
                                               profile: CommunityProfile) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.name = "Elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        profile.answers["peers"] = "no"  # type: ignore[index]
    with pytest.raises(TypeError):
        profile.questions["peers"] = profile.questions["moud"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        profile.facts.add("x")  # type: ignore[attr-defined]
    # Reading copies the answers: changing the dict afterwards changes nothing.
    mine = dict(given)
    read = read_profile(shipped_kb, mine)
    mine["peers"] = "no"
    assert read.status("peers") == "answered" and read.answers["peers"] == given["peers"]
    assert read == profile and hash(read) == hash(profile)
    assert len({read, profile, profile.with_answer("peers", "no")}) == 2
