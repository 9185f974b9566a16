"""The scoring engine: decomposition, ranges, stability, what-if, existing programs."""

from __future__ import annotations

import itertools
import math

import pytest

from planner.engine import answers, scoring
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

HUNTINGTON = {
    "community-name": "Huntington", "state": "wv", "population": "50k-250k",
    "rurality": "mixed", "lead-agency": "local-government", "existing-program": "no",
    "overdoses": "many", "overdose-deaths": "rising", "goals": ("fewer-overdoses",),
    "moud": "yes", "peers": "yes", "overdose-data": "yes", "naloxone": "yes",
    "partners": ("police", "fire-ems", "treatment-provider"),
}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


def test_every_score_decomposes_exactly_into_its_parts(kb: Knowledge) -> None:
    ranking = scoring.score(kb, read_profile(kb, HUNTINGTON))
    for s in ranking.scores:
        assert math.isclose(s.decomposition_total, s.score, abs_tol=1e-9)


def test_start_is_the_score_with_no_answers(kb: Knowledge) -> None:
    empty = scoring.score(kb, read_profile(kb, {}))
    for s in empty.scores:
        assert math.isclose(s.score, s.start, abs_tol=1e-9)
        assert not s.contributions


def test_huntington_like_profile_puts_naloxone_plus_first_with_its_reasons(kb: Knowledge) -> None:
    ranking = scoring.score(kb, read_profile(kb, HUNTINGTON))
    top = ranking.top
    assert top is not None and top.pathway.id == "naloxone-plus"
    assert top.helped[0].rule.id == "np-overdoses"
    assert {c.question_id for c in top.helped} >= {"overdoses", "overdose-data"}


def test_missing_prosecutor_support_is_a_gap_for_officer_intervention(kb: Knowledge) -> None:
    ranking = scoring.score(kb, read_profile(kb, {**HUNTINGTON, "prosecutor": "opposed"}))
    oi = ranking.get("officer-intervention")
    assert "prosecutor-support" in {g.resource_id for g in oi.gaps}
    assert any(c.rule.id == "oi-prosecutor-opposed" and c.points < 0 for c in oi.hurt)


def test_dont_know_widens_the_range_and_a_known_answer_narrows_it(kb: Knowledge) -> None:
    unsure = scoring.score(kb, read_profile(kb, {**HUNTINGTON, "overdose-data": "dont-know"}))
    sure = scoring.score(kb, read_profile(kb, HUNTINGTON))
    np_unsure, np_sure = unsure.get("naloxone-plus"), sure.get("naloxone-plus")
    assert np_unsure.high - np_unsure.low > np_sure.high - np_sure.low
    assert "overdose-data" in unsure.unknown_questions
    assert next(g for g in np_unsure.gaps if g.resource_id == "overdose-data").unknown


def test_range_bounds_are_reachable_by_answering_the_unknown_question(kb: Knowledge) -> None:
    base = {k: v for k, v in HUNTINGTON.items()}
    ranking = scoring.score(kb, read_profile(kb, base))
    np = ranking.get("naloxone-plus")
    question = kb.questions["overdose-data"]
    assert "overdose-data" not in ranking.unknown_questions
    profile = read_profile(kb, base)
    unsure = scoring.score(kb, profile.with_answer("overdose-data", "dont-know")).get(
        "naloxone-plus")
    outcomes = [scoring.score(kb, profile.with_answer("overdose-data", o.id))
                .get("naloxone-plus").score
                for o in question.options if not o.dont_know]
    # Only overdose-data differs, but other unanswered questions stay unknown in both.
    assert math.isclose(unsure.high - np.high, 0, abs_tol=1e-9)
    assert unsure.low <= min(outcomes) + 1e-9


def test_smallest_flip_really_puts_the_challenger_first(kb: Knowledge) -> None:
    stab = scoring.stability(kb, read_profile(kb, HUNTINGTON))
    assert stab.challenger is not None and stab.flip
    changed = dict(HUNTINGTON)
    for change in stab.flip:
        q = kb.questions[change.question_id]
        changed[q.id] = change.to_options if q.type == "multi" else change.to_options[0]
    after = scoring.score(kb, read_profile(kb, answers.validate(kb, changed)))
    assert after.top is not None and after.top.pathway.id == stab.challenger


def test_one_change_fewer_than_the_smallest_flip_does_not_flip(kb: Knowledge) -> None:
    stab = scoring.stability(kb, read_profile(kb, HUNTINGTON))
    assert len(stab.flip) >= 1
    for skip in range(len(stab.flip)):
        changed = dict(HUNTINGTON)
        for i, change in enumerate(stab.flip):
            if i != skip:
                q = kb.questions[change.question_id]
                changed[q.id] = change.to_options if q.type == "multi" else change.to_options[0]
        after = scoring.score(kb, read_profile(kb, answers.validate(kb, changed)))
        assert after.top is not None and after.top.pathway.id == "naloxone-plus"


def test_a_narrow_lead_is_reported_as_a_close_call(kb: Knowledge) -> None:
    # Both Community Response and First Responder Referral fit a crisis-call profile.
    profile = {"mental-health-calls": "many", "quality-of-life-calls": "many",
               "frequent-utilizers": "yes", "goals": ("non-police-response", "officer-options")}
    ranking = scoring.score(kb, read_profile(kb, profile))
    stab = scoring.stability(kb, read_profile(kb, profile), ranking)
    assert stab.status == ("close-call" if stab.margin < kb.model.close_call_margin
                           or stab.overlapping else "stable")
    assert stab.margin == pytest.approx(ranking.candidates[0].score - ranking.candidates[1].score)


def test_rescore_changes_only_what_was_changed(kb: Knowledge) -> None:
    before = scoring.score(kb, read_profile(kb, HUNTINGTON))
    profile = read_profile(kb, HUNTINGTON)
    after = scoring.rescore(kb, profile, {"overdoses": "few", "overdose-data": "no"})
    assert after.get("naloxone-plus").score < before.get("naloxone-plus").score
    assert after.get("community-response").score == before.get("community-response").score
    assert HUNTINGTON["overdoses"] == "many"


def test_facts_to_check_puts_the_most_consequential_unknowns_first(kb: Knowledge) -> None:
    profile = {**HUNTINGTON, "overdoses": "dont-know", "overdose-data": "dont-know"}
    items = scoring.facts_to_check(kb, read_profile(kb, profile))
    # The two overdose questions move the leader most; together with others they could
    # change the top, so they come before anything that could not.
    assert items[0].question_id == "overdoses" and items[0].could_change_top
    assert "overdose-data" in {i.question_id for i in items}
    assert list(items) == sorted(items, key=lambda i: (not i.alone, not i.could_change_top,
                                                       -i.swing, i.question_id))


@pytest.mark.parametrize("profile", [
    {**HUNTINGTON, "overdoses": "dont-know", "overdose-data": "dont-know"},
    {"overdoses": "some", "hot-spots": "dont-know", "homelessness": "dont-know",
     "goals": ("reach-unseen", "fewer-overdoses")},
])
def test_alone_is_true_exactly_when_one_answer_flips_the_leader(
    kb: Knowledge, profile: dict[str, object]
) -> None:
    ranking = scoring.score(kb, read_profile(kb, profile))
    assert ranking.top is not None
    for item in scoring.facts_to_check(kb, read_profile(kb, profile), ranking, limit=50):
        q = kb.questions[item.question_id]
        real = [o for o in q.options if not o.dont_know]
        if q.type == "multi":
            # One answer to a multiple choice is a set of options. Points add up, so the set
            # that most favours a rival against the leader is its helpful options (as many as
            # allowed): try each option alone and that set for every rival.
            answers_to_try: list[object] = [(o.id,) for o in real]
            idx = scoring.index(kb)
            span = 2 * idx.half_scale
            for rival in ranking.candidates[1:]:
                best = scoring._best_alternative(kb, idx, q, read_profile(kb, profile),
                                                 rival.pathway.id,
                                                 ranking.top.pathway.id, span, span)
                if best is not None:
                    answers_to_try.append(best.to_options)
        else:
            answers_to_try = [o.id for o in real]
        tops = {
            scoring.score(kb, read_profile(kb, {**profile, q.id: value})).top.pathway.id  # type: ignore[union-attr]
            for value in answers_to_try
        }
        assert item.alone == (tops != {ranking.top.pathway.id}), item.question_id
        assert item.could_change_top or not item.alone


def test_running_pathways_are_marked_and_the_next_gets_build_on_credit(kb: Knowledge) -> None:
    existing = {**HUNTINGTON, "existing-program": "yes", "running-pathways": ("naloxone-plus",)}
    ranking = scoring.score(kb, read_profile(kb, answers.validate(kb, existing)))
    assert ranking.running == ("naloxone-plus",)
    assert ranking.get("naloxone-plus").running and ranking.get("naloxone-plus").rank is None
    assert all(s.pathway.id != "naloxone-plus" for s in ranking.candidates)
    outreach = ranking.get("active-outreach")
    assert outreach.build_on > 0 and outreach.build_on_shared
    assert math.isclose(outreach.decomposition_total, outreach.score, abs_tol=1e-9)


def test_ties_keep_the_framework_order(kb: Knowledge) -> None:
    ranking = scoring.score(kb, read_profile(kb, {}))
    rounded = [(round(s.score, 6), s.pathway.order) for s in ranking.candidates]
    for (a_score, a_order), (b_score, b_order) in itertools.pairwise(rounded):
        assert a_score > b_score or (a_score == b_score and a_order < b_order)


def test_a_weight_override_changes_only_that_rule_and_keeps_the_decomposition(
    kb: Knowledge,
) -> None:
    changed = scoring.with_weights(kb, {"np-overdoses": 4})
    assert next(r for r in changed.rules if r.id == "np-overdoses").weight == 4
    assert next(r for r in kb.rules if r.id == "np-overdoses").weight == 16
    before = scoring.score(kb, read_profile(kb, HUNTINGTON)).get("naloxone-plus")
    after = scoring.score(changed, read_profile(changed, HUNTINGTON)).get("naloxone-plus")
    assert after.score < before.score
    assert math.isclose(after.decomposition_total, after.score, abs_tol=1e-9)


@pytest.mark.parametrize(("overrides", "phrase"), [
    ({"no-such-rule": 3}, "unknown rule"),
    ({"np-overdoses": 31}, "from -30 to 30"),
    ({"np-overdoses": 2.5}, "whole number"),
    ({"np-overdose-data": -5}, "critical element"),
])
def test_bad_weight_overrides_are_refused(kb: Knowledge, overrides: dict[str, object],
                                          phrase: str) -> None:
    with pytest.raises(scoring.OverrideError, match=phrase):
        scoring.with_weights(kb, overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize("blank", [False, True], ids=["all-dont-know", "all-blank"])
def test_every_pathway_starts_level_with_no_answer_bearing_on_it(kb: Knowledge,
                                                                 blank: bool) -> None:
    """The neutral start: with every scoring question blank or "don't know", every pathway
    has the same score, and that score is its start."""
    profile: dict[str, answers.Value] = {}
    if not blank:
        for q in kb.questions.values():
            dont_know = [o.id for o in q.options if o.dont_know]
            if dont_know and answers.is_asked(q, profile):
                profile[q.id] = (dont_know[0],) if q.type == "multi" else dont_know[0]
        assert "goals" in profile and "overdoses" in profile
    ranking = scoring.score(kb, read_profile(kb, profile))
    scores = {s.pathway.id: s.score for s in ranking.scores}
    assert len(set(scores.values())) == 1, scores
    assert {s.start for s in ranking.scores} == set(scores.values())
    # The equal score is honest: the same range either way for every pathway is not needed,
    # but every pathway can still go up and down from there.
    assert all(s.low < s.score < s.high for s in ranking.scores)


def test_a_point_of_evidence_is_worth_the_same_for_every_pathway(kb: Knowledge) -> None:
    ranking = scoring.score(kb, read_profile(kb, HUNTINGTON))
    per_point = {round(c.points / c.rule.weight, 9)
                 for c in scoring.all_contributions(ranking)}
    assert len(per_point) == 1


def test_a_community_of_routine_no_charge_contacts_gets_officer_referral_first(
        kb: Knowledge) -> None:
    """The questions can now say what separates First Responder and Officer Referral from
    Officer Intervention (contacts with no charge, before any arrest, peers taking referrals),
    and it ranks first with or without its goals."""
    profile = answers.validate(kb, {
        "community-name": "Referral town", "state": "oh", "population": "50k-250k",
        "rurality": "mixed", "lead-agency": "police", "existing-program": "no",
        "contact-type": "no-charge", "quality-of-life-calls": "many",
        "frequent-utilizers": "yes", "case-managers": "peers", "responder-training": "most",
        "leadership": "yes", "booking-stage": "before-arrest",
        "goals": ["officer-options", "fewer-repeat-calls"]})
    for given in (profile, {**profile, "goals": ("dont-know",)}):
        ranking = scoring.score(kb, read_profile(kb, given))
        assert ranking.candidates[0].pathway.id == "first-responder-referral"
    # Arrest-possible contacts turn the same community towards Officer Intervention's side.
    arrest = scoring.score(kb, read_profile(kb, {**profile, "contact-type": "arrest-possible"}))
    assert (arrest.get("officer-intervention").score
            - scoring.score(kb, read_profile(kb, profile)).get("officer-intervention").score) > 0


def test_remembered_answer_changes_give_what_a_fresh_start_gives(shipped_kb: Knowledge) -> None:
    """Scoring remembers the best changed answer per question; the stability, the answers
    worth checking first and a weight-changed knowledge base come out as they do cold."""
    from pathlib import Path

    import yaml

    folder = Path(__file__).parent / "scenarios"
    profiles = [read_profile(shipped_kb, answers.validate(
        shipped_kb, yaml.safe_load(p.read_text(encoding="utf-8"))["answers"], complete=False))
        for p in sorted(folder.glob("*.yaml"))[:8]]
    heavier = scoring.with_weights(shipped_kb, {shipped_kb.rules[0].id: 30})

    def results(kb: Knowledge) -> list[object]:
        return [(scoring.stability(kb, p), scoring.facts_to_check(kb, p)) for p in profiles]

    scoring.forget_changes()
    cold = results(shipped_kb)
    scoring.forget_changes()
    cold_heavier = results(heavier)
    warm, warm_heavier = results(shipped_kb), results(heavier)  # memory now holds both
    assert warm == cold and warm_heavier == cold_heavier
    assert cold != cold_heavier, "the weight change moves something, so mixing would show"


def test_the_same_weight_overrides_give_the_same_knowledge_base_object(kb: Knowledge) -> None:
    """What is compiled per knowledge base is then compiled once per set of overrides."""
    first = scoring.with_weights(kb, {"np-overdoses": 4, "np-overdose-data": 12})
    again = scoring.with_weights(kb, {"np-overdose-data": 12, "np-overdoses": 4})
    assert again is first
    assert scoring.index(again) is scoring.index(first)
    other = scoring.with_weights(kb, {"np-overdoses": 5, "np-overdose-data": 12})
    assert other is not first
    assert next(r for r in other.rules if r.id == "np-overdoses").weight == 5
    with pytest.raises(scoring.OverrideError, match="whole number"):
        scoring.with_weights(kb, {"np-overdoses": True})  # not the remembered 1
    assert scoring.with_weights(kb, {}) is kb
