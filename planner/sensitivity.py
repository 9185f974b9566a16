"""Weight sensitivity: how far one published weight must move before the top pathway changes.

Decision-analysis practice reports, beside a ranking, how sensitive it is to the weights.
Each rule bears on one pathway, so moving its weight re-scores that pathway alone (its
points and its 0-100 scale) while the others keep their scores: every whole weight within
the limits can be tried exactly, with the same arithmetic as `scoring.score`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planner.answers import Answers
from planner.model import Knowledge, Rule
from planner.scoring import (
    WEIGHT_LIMITS,
    Contribution,
    Index,
    PathwayScore,
    Ranking,
    build_on_credit,
    index,
    score,
)


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


def weight_sensitivity(kb: Knowledge, answers: Answers, ranking: Ranking | None = None,
                       limit: int = 3) -> WeightSensitivity:
    """For each rule that gives points under these answers, the nearest whole weight within
    the published limits at which another pathway would lead; the nearest `limit` of them.

    A rule bears on one pathway, so moving its weight re-scores that pathway alone (its
    points and its 0-100 scale); the others keep their scores. Exact: the same arithmetic
    as `score`, checked against re-scoring with `with_weights` in the tests.
    """
    ranking = ranking or score(kb, answers)
    candidates = ranking.candidates
    if len(candidates) < 2:
        return WeightSensitivity(0, ())
    idx = index(kb)
    existing = bool(ranking.running)
    top = candidates[0]
    by_id = {s.pathway.id: s for s in candidates}
    fired: dict[str, list[Contribution]] = {}
    for s in candidates:
        for c in s.contributions:
            fired.setdefault(c.rule.id, []).append(c)
    margins = []
    for _, uses in sorted(fired.items()):
        rule = uses[0].rule
        own = by_id[rule.pathway]
        value_at = _value_function(kb, idx, own, uses, _questions_with(idx, rule), existing,
                                   build_on_credit(kb, rule.pathway, ranking.running)[0])
        others = [s for s in candidates if s.pathway.id != rule.pathway]
        lowest = 0 if (WEIGHT_LIMITS[0] < 0 and rule.fact in
                       kb.pathways[rule.pathway].element_ids) else WEIGHT_LIMITS[0]
        found: tuple[int, str] | None = None
        for step in range(1, WEIGHT_LIMITS[1] - WEIGHT_LIMITS[0] + 1):
            for weight in (rule.weight - step, rule.weight + step):
                if not lowest <= weight <= WEIGHT_LIMITS[1]:
                    continue
                leader = _leader(own, value_at(weight), others)
                if leader != top.pathway.id:
                    found = (weight, leader)
                    break
            if found:
                break
        if found:
            first = uses[0]
            margins.append(WeightMargin(rule, first.subject, first.answer, rule.pathway,
                                        found[0], found[1]))
    margins.sort(key=lambda m: (abs(m.move), m.rule.id))
    return WeightSensitivity(len(fired), tuple(margins[:limit]))


def _value_function(kb: Knowledge, idx: Index, own: PathwayScore,
                    uses: list[Contribution], questions: frozenset[str], existing: bool,
                    build_raw: float) -> Callable[[int], float]:
    """The score of the rule's pathway as a function of that one rule's weight.

    Each question the rule belongs to is reduced to, per real answer, its points without
    the rule and how many times the rule applies, so each weight costs a few additions.
    """
    rule = uses[0].rule
    pid = rule.pathway
    fixed_low, fixed_high = idx.low[pid], idx.high[pid]
    parts = []
    for qid in sorted(questions):
        table = idx.tables[qid]
        fixed_low -= table.low[pid]
        fixed_high -= table.high[pid]
        options = []
        for option in table.question.options:
            if option.dont_know:
                continue
            effects = table.effects[option.id].get(pid, ())
            count = sum(1 for r, _ in effects if r.id == rule.id)
            base = sum(r.weight for r, _ in effects if r.id != rule.id)
            options.append((float(base), count, option.exclusive))
        parts.append((table.question.type == "multi", options))
    if existing:
        fixed_high += kb.model.build_on_max
    raw_without = (sum(c.rule.weight for c in own.contributions) - rule.weight * len(uses)
                   + build_raw)

    def value(weight: int) -> float:
        low, high = fixed_low, fixed_high
        for multi, options in parts:
            values = [(base + count * weight, exclusive) for base, count, exclusive in options]
            if multi:
                lo = min([sum(min(v, 0.0) for v, e in values if not e),
                          *(v for v, e in values if e)], default=0.0)
                hi = max([sum(max(v, 0.0) for v, e in values if not e),
                          *(v for v, e in values if e)], default=0.0)
            else:
                lo = min((v for v, _ in values), default=0.0)
                hi = max((v for v, _ in values), default=0.0)
            low += min(lo, 0.0)
            high += max(hi, 0.0)
        return 100.0 * (raw_without + weight * len(uses) - low) / max(high - low, 1e-9)

    return value


def _questions_with(idx: Index, rule: Rule) -> frozenset[str]:
    """The questions whose answers can apply this rule."""
    return frozenset(
        qid for qid, table in idx.tables.items()
        if any(r.id == rule.id for per in table.effects.values()
               for r, _ in per.get(rule.pathway, ()))
    )


def _leader(own: PathwayScore, value: float, others: list[PathwayScore]) -> str:
    """Which candidate leads once `own` has score `value` (ties: framework order)."""
    field = [(value, own.pathway.order, own.pathway.id),
             *((s.score, s.pathway.order, s.pathway.id) for s in others)]
    return min(field, key=lambda f: (-round(f[0], 6), f[1]))[2]


