"""Weight sensitivity: how far one published weight must move before the top pathway changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.documents import report
from planner.engine import answers, scoring, sensitivity
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _given(kb: Knowledge, path: Path) -> dict[str, Any]:
    return answers.validate(kb, yaml.safe_load(path.read_text(encoding="utf-8"))["answers"])


def _top(kb: Knowledge, given: dict[str, Any], overrides: dict[str, int]) -> str:
    top = scoring.score(scoring.with_weights(kb, overrides), read_profile(kb, given)).top
    assert top is not None
    return top.pathway.id


def _fired(ranking: scoring.Ranking) -> dict[str, scoring.Rule]:
    return {c.rule.id: c.rule for s in ranking.candidates for c in s.contributions}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_margin_flips_the_top_and_is_the_nearest(shipped_kb: Knowledge, path: Path) -> None:
    kb = shipped_kb
    given = _given(kb, path)
    ranking = scoring.score(kb, read_profile(kb, given))
    assert ranking.top is not None
    sens = sensitivity.weight_sensitivity(kb, read_profile(kb, given), ranking, limit=50)
    assert sens.checked == len(_fired(ranking))
    for m in sens.margins:
        assert m.flips_at != m.rule.weight
        assert scoring.WEIGHT_LIMITS[0] <= m.flips_at <= scoring.WEIGHT_LIMITS[1]
        assert _top(kb, given, {m.rule.id: m.flips_at}) == m.new_top != ranking.top.pathway.id
        step = 1 if m.move > 0 else -1
        for closer in range(m.rule.weight + step, m.flips_at, step):
            assert _top(kb, given, {m.rule.id: closer}) == ranking.top.pathway.id
    moves = [abs(m.move) for m in sens.margins]
    assert moves == sorted(moves)
    # Rules without a margin keep the top at both ends of their allowed range.
    flagged = {m.rule.id for m in sens.margins}
    for rule_id, rule in _fired(ranking).items():
        if rule_id in flagged:
            continue
        lowest = 0 if rule.fact in kb.pathways[rule.pathway].element_ids else -30
        for weight in (lowest, 30):
            assert _top(kb, given, {rule_id: weight}) == ranking.top.pathway.id, (rule_id, weight)


def test_no_weight_is_missed_in_one_scenario(shipped_kb: Knowledge) -> None:
    """Exhaustive on one profile: every fired rule at every allowed whole weight."""
    kb = shipped_kb
    path = next(p for p in SCENARIOS if p.stem == "tucson")
    given = _given(kb, path)
    ranking = scoring.score(kb, read_profile(kb, given))
    assert ranking.top is not None
    sens = sensitivity.weight_sensitivity(kb, read_profile(kb, given), ranking, limit=100)
    nearest = {m.rule.id: abs(m.move) for m in sens.margins}
    for rule_id, rule in _fired(ranking).items():
        lowest = 0 if rule.fact in kb.pathways[rule.pathway].element_ids else -30
        flips = [abs(w - rule.weight) for w in range(lowest, 31)
                 if _top(kb, given, {rule_id: w}) != ranking.top.pathway.id]
        assert nearest.get(rule_id) == (min(flips) if flips else None), rule_id


def test_the_limit_keeps_the_nearest(shipped_kb: Knowledge) -> None:
    kb = shipped_kb
    given = _given(kb, next(p for p in SCENARIOS if p.stem == "tucson"))
    every = sensitivity.weight_sensitivity(kb, read_profile(kb, given), limit=100).margins
    assert every, "the Tucson profile has a weight that can change its top pathway"
    assert sensitivity.weight_sensitivity(kb, read_profile(kb, given), limit=1).margins == every[:1]


def test_the_plan_says_how_much_the_weights_matter(shipped_kb: Knowledge) -> None:
    kb = shipped_kb
    for stem in ("tucson", "huntington-qrt"):
        given = _given(kb, next(p for p in SCENARIOS if p.stem == stem))
        ranking = scoring.score(kb, read_profile(kb, given))
        sens = sensitivity.weight_sensitivity(kb, read_profile(kb, given), ranking)
        words = report.weights_words(kb, sens)
        if sens.robust:
            assert words.startswith("No single weight") and "\u221230 to 30" in words
        else:
            nearest = sens.margins[0]
            assert kb.pathways[nearest.new_top].label in words
            assert f"to {str(nearest.flips_at).replace('-', chr(0x2212))}," in words


def test_one_pathway_left_has_nothing_to_flip(shipped_kb: Knowledge) -> None:
    kb = shipped_kb
    ranking = scoring.score(kb, read_profile(kb, {}))
    one = scoring.Ranking(ranking.scores[:1], ranking.running, ranking.unknown_questions)
    profile = read_profile(kb, {})
    assert sensitivity.weight_sensitivity(kb, profile, one) == sensitivity.WeightSensitivity(0, ())


def _generated_answers(kb: Knowledge, count: int) -> list[dict[str, Any]]:
    """Seeded random answers (one option a question, some left blank) that validate."""
    import random

    draw = random.Random(2026)  # reproducible test data
    found: list[dict[str, Any]] = []
    while len(found) < count:
        raw: dict[str, Any] = {}
        for q in kb.questions.values():
            if not q.options or draw.random() < 0.3:
                continue
            choice = draw.choice([o.id for o in q.options])
            raw[q.id] = choice if q.type == "single" else [choice]
        try:
            found.append(answers.validate(kb, raw, complete=False))
        except answers.AnswersError:
            continue
    return found


def test_the_flip_by_division_is_the_flip_the_scan_finds(shipped_kb: Knowledge) -> None:
    """_nearest_flip (one division, checked) gives what the step-by-step scan gives, for every
    fired rule of every scenario and of 300 generated answer sets."""
    kb = shipped_kb
    given = [_given(kb, p) for p in SCENARIOS] + _generated_answers(kb, 300)
    compared = flips = 0
    for g in given:
        profile = read_profile(kb, g)
        ranking = scoring.score(kb, profile)
        if len(ranking.candidates) < 2:
            continue
        top = ranking.candidates[0]
        has = frozenset(profile.facts)
        raws = {s.pathway.id: sensitivity._raw(kb, s, ranking.running, has)
                for s in ranking.candidates}
        fired: dict[str, list[Any]] = {}
        for s in ranking.candidates:
            for c in s.contributions:
                fired.setdefault(c.rule.id, []).append(c)
        for uses in fired.values():
            rule = uses[0].rule
            own = next(s for s in ranking.candidates if s.pathway.id == rule.pathway)
            without = raws[rule.pathway] - rule.weight * len(uses)
            others = [(raws[s.pathway.id], s) for s in ranking.candidates
                      if s.pathway.id != rule.pathway]
            for lowest in (scoring.WEIGHT_LIMITS[0], 0):
                args = (own, without, len(uses), rule.weight, lowest, others, top.pathway.id)
                fast = sensitivity._nearest_flip(*args)
                assert fast == sensitivity._scan(*args), (rule.id, lowest)
                compared += 1
                flips += fast is not None
    assert compared > 2000 and 0 < flips < compared, (compared, flips)
