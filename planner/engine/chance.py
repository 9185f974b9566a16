"""How likely each pathway is to come first: rank acceptability (SMAA) by seeded sampling.

Stochastic multicriteria acceptability analysis asks, over the plausible inputs of a
decision model, how often each alternative ranks first. Here the uncertain inputs are
the unknown answers ("don't know" and blank questions) and the rule weights; how each is
drawn, and why, is stated in the knowledge base (scoring.yaml, model.chance), not here.

Every fact belongs to one question and every rule to one pathway, so a draw is a matrix
sum: the number of times each rule applies (fixed for known answers, drawn for unknown
ones) times its drawn weight, summed per pathway. An unknown answer's points are centred
on their average over the draws, so it widens the spread without moving the score. All
of it is whole-number arithmetic (in units of 1/samples of a point) on numbers from a
counter-based generator (SplitMix64) written out below, so the figures are the same, bit
for bit, on every machine and every NumPy version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from planner.engine.profile import CommunityProfile
from planner.engine.scoring import Ranking, build_on_credit, index
from planner.knowledge.model import Knowledge

# SplitMix64 constants (Steele, Lea and Flood 2014).
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _draws(seed: int, counters: np.ndarray) -> np.ndarray:
    """32 random bits (as uint64 below 2**32) for each counter: SplitMix64 of seed + counter."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) + (counters.astype(np.uint64) + np.uint64(1)) * _GAMMA)
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return z >> np.uint64(32)


def uniform(seed: int, n: int) -> np.ndarray:
    """n numbers evenly spread in [0, 1), the same on every machine: SplitMix64 of seed + i."""
    return _draws(seed, np.arange(n, dtype=np.int64)).astype(np.float64) / 4294967296.0


def _below(bits: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Map 32 random bits to a whole number from 0 to n - 1 (n up to 2**31)."""
    return ((bits * np.uint64(n) if isinstance(n, int) else bits * n.astype(np.uint64))
            >> np.uint64(32)).astype(np.int64)


@dataclass(frozen=True)
class Chance:
    """The share of draws in which each ranked pathway came first."""

    samples: int
    # pathway id -> draws in which it came first (every ranked pathway, in rank order)
    counts: Mapping[str, int]
    # pathway id -> whole percent, summing to exactly 100 (largest remainder; see percents)
    percent: Mapping[str, int]

    def share(self, pathway_id: str) -> float:
        """The chance as shown: the whole percent over 100 (these sum to exactly 1)."""
        return self.percent.get(pathway_id, 0) / 100

    @property
    def runner_up(self) -> str | None:
        """The pathway other than the top one by score that came first most often (ties:
        rank order). The one challenger every page names."""
        ids = list(self.counts)
        if len(ids) < 2:
            return None
        return max(ids[1:], key=lambda p: (self.counts[p], -ids.index(p)))


def percents(counts: Mapping[str, int], samples: int) -> dict[str, int]:
    """Whole percents summing to exactly 100 by the largest-remainder method: each gets the
    floor of its share, and the points left go to the largest remainders, ties to the
    pathway listed first (rank order)."""
    if samples <= 0 or not counts:
        return {p: 0 for p in counts}
    floors = {p: c * 100 // samples for p, c in counts.items()}
    left = 100 - sum(floors.values())
    order = sorted(counts, key=lambda p: (-(counts[p] * 100 % samples), list(counts).index(p)))
    for p in order[:left]:
        floors[p] += 1
    return floors


@dataclass(frozen=True)
class _Layout:
    """The knowledge base's draws, made once per knowledge base: the seed is fixed and every
    draw has its own counter slot, so a draw is the same for every community."""

    pathways: tuple[str, ...]      # the columns, in framework order (the tie-break)
    # (draws, rules) float64: each rule's drawn weight (whole numbers, so float sums of
    # them are exact in any order)
    weights: np.ndarray
    onehot: np.ndarray             # (rules, pathways) float64: 1 where the rule is the pathway's
    # question id -> option id -> how often each rule applies when the option is chosen
    option_counts: Mapping[str, Mapping[str, np.ndarray]]
    # question id -> (draws, pathways) float64: the points a drawn answer to the question
    # gives each pathway, with the drawn weights
    drawn: Mapping[str, np.ndarray]
    # The same numbers laid out for the hot path (chance_first runs on every plan), in units
    # of 1/samples of a point (weights times samples; a drawn answer's points times samples
    # less their sum over the draws, which centres them). All are whole numbers, and every
    # total stays far below 2**24 (a pathway's points, a few hundred, times 2,000), so float32
    # holds them exactly and every sum of them below is exact in any order: the counts are
    # the same, draw for draw, as in float64.
    # (rules, draws) float32: each rule's drawn weights, one row per rule
    weights_by_rule: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # (questions, pathways, draws) float32: `drawn`, one slab per question in `drawn_at`
    drawn_stack: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    drawn_at: Mapping[str, int] = field(default_factory=dict)
    # question id -> option id -> (rule positions, how often each applies): the non-zero
    # entries of option_counts, for summing a profile's known answers
    option_rules: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]] = \
        field(default_factory=dict)


@lru_cache(maxsize=32)
def _layout(kb: Knowledge) -> _Layout:
    idx = index(kb)
    rules = kb.rules
    samples, seed = kb.model.chance.samples, kb.model.chance.seed
    position = {r.id: i for i, r in enumerate(rules)}
    pathways = tuple(p.id for p in kb.pathways_in_order)
    column = {p: i for i, p in enumerate(pathways)}
    share = kb.model.chance.weight_spread
    published = np.array([r.weight for r in rules], dtype=np.int64)
    spread = np.array([int(abs(r.weight) * share + 0.5) for r in rules], dtype=np.int64)
    onehot = np.zeros((len(rules), len(pathways)), dtype=np.float64)
    for i, r in enumerate(rules):
        if r.pathway in column:
            onehot[i, column[r.pathway]] = 1.0
    # Counter slots: one per rule, then one per real option of each question in order.
    slots = len(rules) + sum(sum(1 for o in t.question.options if not o.dont_know)
                             for t in idx.tables.values())
    base = np.arange(samples, dtype=np.uint64)[:, np.newaxis] * np.uint64(slots)
    bits = _draws(seed, base + np.arange(len(rules), dtype=np.uint64))
    weights = (published + _below(bits, 2 * spread + 1) - spread).astype(np.float64)
    option_counts: dict[str, Mapping[str, np.ndarray]] = {}
    drawn: dict[str, np.ndarray] = {}
    slot = len(rules)
    for qid, table in idx.tables.items():
        per_option: dict[str, np.ndarray] = {}
        for option_id, per in table.effects.items():
            counts = np.zeros(len(rules), dtype=np.float64)
            for effects in per.values():
                for rule, _ in effects:
                    counts[position[rule.id]] += 1
            per_option[option_id] = counts
        option_counts[qid] = MappingProxyType(per_option)
        question = table.question
        real = [o for o in question.options if not o.dont_know]
        full = np.array([per_option[o.id] for o in real], dtype=np.float64).reshape(
            len(real), len(rules))
        own = np.flatnonzero(full.any(axis=0))  # the question's own rules
        bits = _draws(seed, base + np.arange(slot, slot + len(real), dtype=np.uint64))
        slot += len(real)
        chosen = _drawn_choice(question.type == "multi", question.max_choices or len(real),
                               np.array([o.exclusive for o in real], dtype=bool), bits)
        applied = chosen @ full[:, own]
        drawn[qid] = (applied * weights[:, own]) @ onehot[own]
    drawn_ids = tuple(drawn)
    stack = np.empty((len(drawn_ids), len(pathways), samples), dtype=np.float32)
    for i, qid in enumerate(drawn_ids):
        # Centred: a drawn answer's points less their average over the draws, so an unknown
        # answer widens the spread around the score without moving it (the ranking counts an
        # unknown answer as nothing). In units of 1/samples, to stay whole numbers.
        stack[i] = (drawn[qid] * samples - drawn[qid].sum(axis=0)).T
    option_rules = {
        qid: MappingProxyType({
            option_id: (np.flatnonzero(counts), counts[np.flatnonzero(counts)])
            for option_id, counts in per_option.items()
        })
        for qid, per_option in option_counts.items()
    }
    return _Layout(pathways, weights, onehot, MappingProxyType(option_counts),
                   MappingProxyType(drawn),
                   np.ascontiguousarray(weights.T * samples, dtype=np.float32), stack,
                   MappingProxyType({q: i for i, q in enumerate(drawn_ids)}),
                   MappingProxyType(option_rules))


def _drawn_choice(multi: bool, limit: int, exclusive: np.ndarray,
                  bits: np.ndarray) -> np.ndarray:
    """For each draw, which real options a drawn answer chooses ((draws, options) 0/1; bits:
    the random bits of the question's slots), as scoring.yaml's unknown_answers says."""
    draws, width = bits.shape
    chosen = np.zeros((draws, width), dtype=np.float64)
    if not multi:
        chosen[np.arange(draws), _below(bits[:, 0], width)] = 1.0
        return chosen
    plain = ~exclusive
    applies = (bits < np.uint64(1 << 31)) & plain[np.newaxis, :]
    if limit < int(plain.sum()):
        # Past the limit, keep the options with the smallest bits (a random order).
        keyed = np.where(applies, bits, np.uint64(1 << 32))
        order = np.argsort(keyed, axis=1, kind="stable")
        ranks = np.empty_like(order)
        ranks[np.arange(draws)[:, np.newaxis], order] = np.arange(width)[np.newaxis, :]
        applies &= ranks < limit
    chosen[applies] = 1.0
    none = np.flatnonzero(exclusive)
    if none.size:  # with no option applying, the answer is the first exclusive one ("none")
        chosen[:, none[0]] = ~applies.any(axis=1)
    return chosen


def chance_first(kb: Knowledge, profile: CommunityProfile, ranking: Ranking) -> Chance:
    """The chance each ranked pathway comes first (see the module doc and scoring.yaml).

    Remembered per community: the results page, the plan and every export of one set of
    answers build the same plan, and the draws depend only on the knowledge base, the answers
    and what the ranking says of them (its candidates, unknown questions and running
    pathways), which make the key. scoring.forget_changes empties the memory."""
    ids = tuple(s.pathway.id for s in ranking.candidates)
    return _chance_first(kb, profile, ids, ranking.unknown_questions, ranking.running)


@lru_cache(maxsize=256)
def _chance_first(kb: Knowledge, profile: CommunityProfile, ids: tuple[str, ...],
                  unknown_questions: tuple[str, ...], running: tuple[str, ...]) -> Chance:
    model = kb.model.chance
    if len(ids) < 2:
        counts = {p: model.samples for p in ids}
        return Chance(model.samples, MappingProxyType(counts),
                      MappingProxyType(percents(counts, model.samples)))
    layout = _layout(kb)
    samples = model.samples
    unknown = [q for q in unknown_questions
               if q in layout.drawn and kb.questions[q].profile != "running_pathways"]
    drawn_questions = set(unknown)
    # How often each rule applies under the known answers (whole numbers).
    fixed = np.zeros(layout.weights_by_rule.shape[0], dtype=np.float32)
    for question in profile.asked:
        per_option = layout.option_rules.get(question.id)
        if per_option is None or question.id in drawn_questions:
            continue
        for option_id in profile.chosen(question.id):
            applies = per_option.get(option_id)
            if applies is not None:
                fixed[applies[0]] += applies[1]
    # Only the candidates' columns (framework order, so the first of equal totals is the one
    # the tie-break lists first).
    wanted = sorted(layout.pathways.index(p) for p in ids)
    # Known answers: each rule's count times its drawn weight, summed per pathway (a small
    # matrix product over the rules that apply); unknown ones: their drawn answers' points,
    # one slab per question. Whole numbers throughout, exact in float32 (see _Layout).
    used = np.flatnonzero(fixed)
    per_pathway = (fixed[used][:, np.newaxis] * layout.onehot[used]).T.astype(np.float32)
    every = per_pathway @ layout.weights_by_rule[used]
    stack, at = layout.drawn_stack, layout.drawn_at
    for qid in unknown:  # in place, slab by slab (contiguous): the fastest way measured
        every += stack[at[qid]]
    totals = every[wanted]
    # Every pathway shares one scale, so raw points rank as scores do; build-on credit is a
    # fixed share of the published cap (not drawn).
    for row, c in enumerate(wanted):
        credit = build_on_credit(kb, layout.pathways[c], running, profile.facts)[0]
        if credit:
            totals[row] += np.float32(credit * samples)
    # The first pathway with the largest total in each draw: a strict "greater" keeps the
    # earlier row on equal totals, as argmax does.
    best = totals[0].copy()
    first = np.zeros(samples, dtype=np.int64)
    for row in range(1, len(wanted)):
        ahead = totals[row] > best
        first[ahead] = row
        np.maximum(best, totals[row], out=best)
    tally = np.bincount(first, minlength=len(wanted))
    by_id = {layout.pathways[c]: int(tally[i]) for i, c in enumerate(wanted)}
    counts = {p: by_id[p] for p in ids}
    return Chance(samples, MappingProxyType(counts),
                  MappingProxyType(percents(counts, samples)))
