"""How sure (issue 25, items 5 and 6): advice a community can act on, why-not that tells
"missing" from "not known", the model fixes (co-responder teams, walk-ins with set hours,
Naloxone Plus without an overdose count, builds-on from what the community has, one answer
counted once) and "a"/"an" in every generated phrase."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from planner.engine import answers, matching, plan, scoring
from planner.engine.profile import read_profile
from planner.engine.words import article, gap_reasons, with_article
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))

BASE = {"community-name": "Testville", "state": "oh", "population": "50k-250k",
        "rurality": "urban", "lead-agency": "police", "existing-program": "no"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


def _profile(kb: Knowledge, given: dict):  # type: ignore[no-untyped-def]
    return read_profile(kb, answers.validate(kb, {**BASE, **given}, complete=False))


def _scenario_answers(kb: Knowledge) -> list[answers.Answers]:
    return [answers.validate(kb, yaml.safe_load(p.read_text(encoding="utf-8"))["answers"],
                             complete=False) for p in SCENARIOS]


def _random_answers(kb: Knowledge, count: int, seed: int) -> list[answers.Answers]:
    """Answer files with a random mix of answers, "don't know" and blanks."""
    rng = random.Random(seed)
    out = []
    skip = {"community-name", "running-pathways"}
    for _ in range(count):
        given: dict = {"community-name": "Somewhere"}
        for q in kb.questions.values():
            if not q.has_options or q.id in skip or (rng.random() < 0.4 and not q.required):
                continue
            ids = [o.id for o in q.options]
            if q.type == "multi":
                plain = [o.id for o in q.options if not o.dont_know and not o.exclusive]
                picked = rng.sample(plain, min(len(plain), rng.randint(1, q.max_choices or 3)))
                given[q.id] = sorted(picked, key=ids.index)
            else:
                given[q.id] = rng.choice(ids)
        if given.get("existing-program") == "yes":
            given["running-pathways"] = rng.sample(
                ["self-referral", "naloxone-plus", "officer-intervention"], 1)
        try:
            out.append(answers.validate(kb, given, complete=False))
        except answers.AnswersError:
            continue
    return out


# --- "a" or "an" ---------------------------------------------------------------------------

@pytest.mark.parametrize(("phrase", "expected"), [
    ("urban", "an"), ("rural", "a"), ("mixed", "a"), ("Illinois", "an"), ("Ohio", "an"),
    ("Arizona", "an"), ("Utah", "a"), ("hospital", "a"), ("hour", "an"), ("union", "a"),
    ("one-time grant", "a"), ("emergency room", "an"), ("police department", "a"),
    ("US program", "a"), ("Indiana", "an"), ("", "a"),
])
def test_article_follows_the_first_sound(phrase: str, expected: str) -> None:
    assert article(phrase) == expected


_WRONG = re.compile(r"\b(?:a (?=[aeiAEI]|o(?!ne)|O(?!ne)|u(?!ni|s[eu])|U(?!S\b|ni|tah))"
                    r"|an (?=[^aeiouAEIOUh\s]))")


def test_every_generated_phrase_takes_the_right_article(kb: Knowledge) -> None:
    """Every reason matching writes, for every lead agency, rurality and state a community
    can give, and every article before a fact label, a state or a rurality."""
    states = kb.questions["state"].options
    leads = [o.id for o in kb.questions["lead-agency"].options if not o.dont_know]
    phrases: list[str] = []
    for label in [f.label.lower() for f in kb.facts.values()] + \
            [o.label for o in states] + ["urban", "rural", "mixed"]:
        phrases.append(with_article(label))
    for lead in leads:
        for rurality in ("urban", "rural", "mixed"):
            for state in ("il", "oh", "in", "ia", "ut", "ny"):
                who = _profile(kb, {"lead-agency": lead, "rurality": rurality,
                                    "state": state})
                ranking = scoring.score(kb, who)
                for s in ranking.candidates[:3]:
                    for m in matching.mentor_sites(kb, who, s.pathway.id):
                        phrases.extend(m.reasons)
                    for m in matching.similar_programs(kb, who, s.pathway.id):
                        phrases.extend(m.reasons)
                    for m in matching.funding_for(kb, who, s):
                        phrases.extend(m.reasons)
    assert len(phrases) > 100
    wrong = sorted({p for p in phrases if _WRONG.search(p)})
    assert not wrong, wrong[:10]


# --- one answer, counted once ----------------------------------------------------------------

def test_no_answer_adds_two_rules_to_one_pathway(kb: Knowledge) -> None:
    """An answer that indicates a fact and also keys a rule of its own must not give the same
    pathway points twice ("rising fast" deaths once counted twice for Naloxone Plus)."""
    idx = scoring.index(kb)
    doubled = [(qid, option, pid, [r.id for r, _ in rules])
               for qid, table in idx.tables.items()
               for option, per in table.effects.items()
               for pid, rules in per.items() if len(rules) > 1]
    assert doubled == []


# --- advice: the smallest change -------------------------------------------------------------

def test_smallest_change_never_gives_up_a_resource_or_adds_a_goal(kb: Knowledge) -> None:
    seen = 0
    for given in _scenario_answers(kb) + _random_answers(kb, 120, 25):
        profile = read_profile(kb, given)
        stab = scoring.stability(kb, profile)
        for change in stab.flip:
            seen += 1
            question = kb.questions[change.question_id]
            if profile.is_unknown(question.id):
                continue  # an unknown answer is something to find out: any answer may do
            assert question.id not in scoring._SITUATION, change
            now = profile.chosen(question.id)
            if question.type == "multi":
                assert set(now) - {o.id for o in question.options if o.exclusive} \
                    <= set(change.to_options), change
            else:
                before = question.option(now[0])
                after = question.option(change.to_options[0])
                assert before is not None and after is not None
                assert set(before.indicates) <= set(after.indicates), change
                ids = [o.id for o in question.options]
                assert ids.index(after.id) < ids.index(before.id), change
    assert seen > 20


def test_smallest_change_does_not_suggest_dropping_case_managers(kb: Knowledge) -> None:
    """The issue's example: "No" to having case managers must never be the advice."""
    for given in _scenario_answers(kb):
        profile = read_profile(kb, given)
        for change in scoring.stability(kb, profile).flip:
            assert not (change.question_id == "case-managers"
                        and change.to_options == ("no",)
                        and profile.chosen("case-managers") == ("yes",))


# --- why-not: missing or not known ------------------------------------------------------------

def test_gap_reasons_tell_missing_from_not_known() -> None:
    lines = gap_reasons([("Case managers", False, "answered"),
                         ("Treatment slots", True, "dont-know"),
                         ("Transport", True, "unanswered")])
    assert lines[0].startswith("Missing") and "case managers" in lines[0]
    assert "not known" in lines[1].lower() and "treatment slots" in lines[1]
    assert "did not say" in lines[2] and "transport" in lines[2]
    assert not any("missing" in line.lower() for line in lines[1:])


def test_why_not_never_calls_an_unknown_answer_missing(kb: Knowledge) -> None:
    checked = 0
    for given in _scenario_answers(kb) + _random_answers(kb, 40, 7):
        built = plan.build(kb, read_profile(kb, given))
        for why in built.why_not:
            score = built.ranking.get(why.pathway_id)
            unknown = {g.label.lower() for g in score.gaps if g.unknown}
            known = {g.label.lower() for g in score.gaps if not g.unknown}
            for reason in why.reasons:
                if reason.startswith("Missing"):
                    checked += 1
                    listed = reason.split(": ", 1)[1].rstrip(".").split(", ")
                    assert set(listed) <= known and not set(listed) & unknown, reason
    assert checked > 0


# --- co-responder teams -------------------------------------------------------------------------

CO_RESPONDER = {"police-role": "on-team", "engagement-staff": ["co-responders"],
                "starting-point": "co-responder", "call-triage": "co-responder",
                "clinicians": "yes", "contact-type": "no-charge"}


def test_a_co_responder_team_counts_for_referral_not_community_response(kb: Knowledge) -> None:
    ranking = scoring.score(kb, _profile(kb, CO_RESPONDER))
    cr = ranking.get("community-response")
    frr = ranking.get("first-responder-referral")
    team_questions = {"police-role", "engagement-staff", "starting-point", "call-triage"}
    assert not [c for c in cr.contributions
                if c.question_id in team_questions and c.points > 0]
    assert sum(c.points for c in frr.contributions if c.question_id in team_questions) > 0
    assert ranking.top is not None
    assert ranking.top.pathway.id == "first-responder-referral"


def test_police_leading_costs_community_response(kb: Knowledge) -> None:
    lead = scoring.score(kb, _profile(kb, {"police-role": "lead"}))
    none = scoring.score(kb, _profile(kb, {"police-role": "none"}))
    assert lead.get("community-response").score < none.get("community-response").score


def test_call_routing_tells_a_non_police_team_from_a_co_responder_team(kb: Knowledge) -> None:
    to_team = scoring.score(kb, _profile(kb, {"call-triage": "yes"}))
    to_co = scoring.score(kb, _profile(kb, {"call-triage": "co-responder"}))
    assert to_team.get("community-response").score > to_co.get("community-response").score
    assert to_co.get("first-responder-referral").score > \
        to_team.get("first-responder-referral").score


# --- walk-ins with set hours ------------------------------------------------------------------

def test_a_walk_in_program_says_the_person_comes_to_us(kb: Knowledge) -> None:
    walk_in = scoring.score(kb, _profile(kb, {"contact-type": "walk-in"}))
    assert any(c.rule.pathway == "self-referral" and c.points > 0
               for c in walk_in.get("self-referral").contributions)
    no_charge = scoring.score(kb, _profile(kb, {"contact-type": "no-charge"}))
    assert any(c.points > 0 for c in no_charge.get("self-referral").contributions)


def test_a_door_open_at_set_hours_counts_for_less_than_one_always_open(kb: Knowledge) -> None:
    points = {option: scoring.score(kb, _profile(kb, {"access-point": option}))
              .get("self-referral").score for option in ("yes", "set-hours", "no")}
    assert points["yes"] > points["set-hours"] > points["no"]


# --- Naloxone Plus without an overdose count --------------------------------------------------

def test_naloxone_plus_has_a_follow_up_goal_and_priority_group(kb: Knowledge) -> None:
    plain = scoring.score(kb, _profile(kb, {})).get("naloxone-plus").score
    goal = scoring.score(kb, _profile(kb, {"goals": ["overdose-follow-up"]}))
    group = scoring.score(kb, _profile(kb, {"priority-groups": ["overdose-survivors"]}))
    assert goal.get("naloxone-plus").score > plain
    assert group.get("naloxone-plus").score > plain
    both = scoring.score(kb, _profile(kb, {"goals": ["overdose-follow-up"],
                                           "primary-goal": "overdose-follow-up",
                                           "priority-groups": ["overdose-survivors"],
                                           "naloxone-carry": "some"}))
    assert both.top is not None and both.top.pathway.id == "naloxone-plus"


def test_some_naloxone_earns_something(kb: Knowledge) -> None:
    plain = scoring.score(kb, _profile(kb, {"naloxone-carry": "no"})).get("naloxone-plus")
    some = scoring.score(kb, _profile(kb, {"naloxone-carry": "some"})).get("naloxone-plus")
    assert some.score > plain.score


def test_every_goal_can_come_first(kb: Knowledge) -> None:
    goals = {o.id for o in kb.questions["goals"].options if not o.dont_know}
    first = {o.id for o in kb.questions["primary-goal"].options}
    assert goals <= first


# --- builds on what the community has ---------------------------------------------------------

def test_builds_on_credits_only_what_the_community_said_it_has(kb: Knowledge) -> None:
    running = {"existing-program": "yes", "running-pathways": ["community-response"]}
    without = scoring.score(kb, _profile(kb, {**running, "partners": ["dispatch"]}))
    for s in without.candidates:
        assert "police" not in s.build_on_shared, s.pathway.id
        assert set(s.build_on_shared) <= {"dispatch"}, (s.pathway.id, s.build_on_shared)
    with_police = scoring.score(kb, _profile(kb, {**running,
                                                  "partners": ["dispatch", "police"]}))
    assert any("police" in s.build_on_shared for s in with_police.candidates)


def test_nothing_is_credited_and_listed_as_a_gap_at_once(kb: Knowledge) -> None:
    for given in _scenario_answers(kb) + _random_answers(kb, 60, 3):
        for s in scoring.score(kb, read_profile(kb, given)).candidates:
            assert not set(s.build_on_shared) & {g.resource_id for g in s.gaps}, s.pathway.id


def test_a_goal_reads_the_same_in_the_reason_as_in_the_answer(kb: Knowledge) -> None:
    """A reason pairs the goal's name with the answer given: they must be the same words
    (a Self-Referral reason once paired "no-questions" with "no-arrest")."""
    for option in kb.questions["goals"].options:
        for fact in option.indicates:
            assert kb.facts[fact].label == option.label, (fact, option.id)


def test_the_first_goal_is_asked_whenever_a_goal_is_picked(kb: Knowledge) -> None:
    """primary-goal depends on goals (the wizard offers the goals picked): every goal a
    community can pick must make it asked, and every goal must be offered as first."""
    goals = {o.id for o in kb.questions["goals"].options if not o.dont_know}
    (condition,) = kb.questions["primary-goal"].ask_when
    assert set(condition.any_of) == goals
