"""Weight sensitivity: how far one published weight must move before the top pathway changes.

Decision-analysis practice reports, beside a ranking, how sensitive it is to the weights.
Each rule bears on one pathway, so moving its weight changes that pathway's points alone.
Every pathway shares one scale (a weight may stretch it, for all alike), so the ranking
follows the raw points: every whole weight within the limits can be tried exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.engine.profile import CommunityProfile
from planner.engine.scoring import (
    WEIGHT_LIMITS,
    Contribution,
    Index,
    PathwayScore,
    Ranking,
    build_on_credit,
    score,
)
from planner.knowledge.model import Knowledge, Rule


@dataclass(frozen=True)
class WeightMargin:
    """How far one rule's weight must move, within its limits, to change the top pathway."""

    rule: Rule
    subject: str
    answer: str
    pathway: str
    flips_at: int
    new_top: str

    @property
    def move(self) -> int:
        return self.flips_at - self.rule.weight


@dataclass(frozen=True)
class WeightSensitivity:
    """The weights nearest to changing the top pathway (sensitivity analysis).

    `checked` rules are those behind the current answers' points for any candidate;
    `margins` are the ones that can change the top within the limits, nearest first.
    """

    checked: int
    margins: tuple[WeightMargin, ...]

    @property
    def robust(self) -> bool:
        return not self.margins


def weight_sensitivity(kb: Knowledge, profile: CommunityProfile,
                       ranking: Ranking | None = None, limit: int = 3) -> WeightSensitivity:
    """For each rule that gives points under these answers, the nearest whole weight within
    the published limits at which another pathway would lead; the nearest `limit` of them.

    A rule bears on one pathway, so moving its weight changes that pathway's points alone,
    and the shared scale ranks raw points as it ranks scores. Exact: checked against
    re-scoring with `with_weights` in the tests.
    """
    ranking = ranking or score(kb, profile)
    candidates = ranking.candidates
    if len(candidates) < 2:
        return WeightSensitivity(0, ())
    top = candidates[0]
    has = frozenset(profile.facts)
    raws = {s.pathway.id: _raw(kb, s, ranking.running, has) for s in candidates}
    by_id = {s.pathway.id: s for s in candidates}
    fired: dict[str, list[Contribution]] = {}
    for s in candidates:
        for c in s.contributions:
            fired.setdefault(c.rule.id, []).append(c)
    margins = []
    for _, uses in sorted(fired.items()):
        rule = uses[0].rule
        own = by_id[rule.pathway]
        raw_without = _raw(kb, own, ranking.running, has) - rule.weight * len(uses)
        others = [(raws[s.pathway.id], s) for s in candidates if s.pathway.id != rule.pathway]
        lowest = 0 if (WEIGHT_LIMITS[0] < 0 and rule.fact in
                       kb.pathways[rule.pathway].element_ids) else WEIGHT_LIMITS[0]
        found = _nearest_flip(own, raw_without, len(uses), rule.weight, lowest, others,
                              top.pathway.id)
        if found:
            first = uses[0]
            margins.append(WeightMargin(rule, first.subject, first.answer, rule.pathway,
                                        found[0], found[1]))
    margins.sort(key=lambda m: (abs(m.move), m.rule.id))
    return WeightSensitivity(len(fired), tuple(margins[:limit]))


def _nearest_flip(own: PathwayScore, raw_without: float, uses: int, weight: int, lowest: int,
                  others: list[tuple[float, PathwayScore]], top: str) -> tuple[int, str] | None:
    """The whole weight nearest `weight` (the lower first at equal distance), within
    [lowest, WEIGHT_LIMITS[1]], at which another pathway than `top` leads, and that leader.

    Moving one pathway's points changes only whether that pathway leads: the leader pathway
    lowers its rule until the best other overtakes it; another pathway raises its rule until
    it overtakes the leader. So the flip is one division, not a scan; it is confirmed with
    `_leader` at the flip and one step before it, and `_scan` (the step-by-step search it
    replaces) answers if that check ever fails. tests/test_weight_sensitivity.py compares the
    two on every scenario and on generated answers."""
    best_raw, best_order, _ = min(((r, s.pathway.order, s.pathway.id) for r, s in others),
                                        key=lambda f: (-f[0], f[1]))
    order = own.pathway.order
    if own.pathway.id == top:
        # Lower until the best other leads: raw_without + w*uses < best_raw, or equal with
        # the other first in framework order.
        edge = (best_raw - raw_without) / uses
        flip = math.floor(edge) if best_order < order else math.ceil(edge) - 1
        candidate = min(flip, weight - 1, WEIGHT_LIMITS[1])
        direction = -1
    else:
        top_raw, top_order = next((r, s.pathway.order) for r, s in others
                                  if s.pathway.id == top)
        edge = (top_raw - raw_without) / uses
        flip = math.ceil(edge) if order < top_order else math.floor(edge) + 1
        candidate = max(flip, weight + 1, lowest)
        direction = 1
    if not lowest <= candidate <= WEIGHT_LIMITS[1]:
        return None  # the flip lies past the published limits: no nearer weight flips it
    leader = _leader(own, raw_without + candidate * uses, others)
    before = _leader(own, raw_without + (candidate - direction) * uses, others)
    if leader != top and (candidate - direction == weight or before == top
                          or not lowest <= candidate - direction <= WEIGHT_LIMITS[1]):
        return (candidate, leader)
    return _scan(own, raw_without, uses, weight, lowest, others, top)


def _scan(own: PathwayScore, raw_without: float, uses: int, weight: int, lowest: int,
          others: list[tuple[float, PathwayScore]], top: str) -> tuple[int, str] | None:
    for step in range(1, WEIGHT_LIMITS[1] - WEIGHT_LIMITS[0] + 1):
        for w in (weight - step, weight + step):
            if not lowest <= w <= WEIGHT_LIMITS[1]:
                continue
            leader = _leader(own, raw_without + w * uses, others)
            if leader != top:
                return (w, leader)
    return None


def _raw(kb: Knowledge, s: PathwayScore, running: tuple[str, ...],
         has: frozenset[str]) -> float:
    """A pathway's raw points (its rules and build-on credit)."""
    return float(sum(c.rule.weight for c in s.contributions)
                 + build_on_credit(kb, s.pathway.id, running, has)[0])


def _questions_with(idx: Index, rule: Rule) -> frozenset[str]:
    """The questions whose answers can apply this rule."""
    return frozenset(
        qid for qid, table in idx.tables.items()
        if any(r.id == rule.id for per in table.effects.values()
               for r, _ in per.get(rule.pathway, ()))
    )


def _leader(own: PathwayScore, raw: float, others: list[tuple[float, PathwayScore]]) -> str:
    """Which candidate leads once `own` has `raw` points (ties: framework order). Every
    pathway shares one scale, so raw points rank exactly as scores do."""
    field = [(raw, own.pathway.order, own.pathway.id),
             *((r, s.pathway.order, s.pathway.id) for r, s in others)]
    return min(field, key=lambda f: (-f[0], f[1]))[2]


