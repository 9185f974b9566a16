"""Score every pathway for a set of answers: a linear additive model with its reasons.

Each rule adds its weight when its fact is indicated or its answer chosen. Every
pathway's raw points are shown on one common 0-100 scale centred on 50: a point of
evidence is worth the same for every pathway, and with no answer bearing on it every
pathway starts at 50 (a neutral start). The scale's half-width is the largest total,
for or against, that the questions allow any pathway (with build-on credit), so no
score leaves 0-100, and

    score = start + sum(contributions)

holds exactly, where `start` (50) is the score with no answer bearing on the pathway.
Because every fact belongs to one question, each question's effect is
separable: "don't know" ranges, stability and the smallest change that flips
the ranking are computed exactly from per-question tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from types import MappingProxyType
from typing import Any

from planner.engine.answers import Answers
from planner.engine.graph import shared_elements
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, Pathway, Question, Rule

# Questions that describe the community rather than something it could change.
_FIXED_PROFILES = frozenset({"community_name", "state", "population", "rurality",
                             "running_pathways", "respondent_role"})

# Questions whose known answer the "smallest change" advice never proposes to change: the
# community's situation (its problems, what it already runs, who leads) and what it wants
# (its goals). Changing them would not be something a community could act on: it cannot
# choose its overdose count, and adding a goal only to move the ranking is advice nobody
# asked for (issue 25). Unknown answers to them may still be named: those can be found out.
# By question id (ids are stable; the wizard's pages may be regrouped).
_SITUATION = frozenset({
    "lead-agency", "existing-program", "running-pathways", "jurisdictions", "starting-point",
    "overdoses", "overdose-deaths", "stimulants", "possession-arrests", "low-level-offenses",
    "mental-health-calls", "quality-of-life-calls", "homelessness", "hot-spots",
    "contact-type", "asking-for-help", "frequent-utilizers", "jail-crowding", "officer-time",
    "fear-of-arrest", "goals", "primary-goal", "priority-groups",
})


@dataclass(frozen=True)
class Contribution:
    """The points one rule adds to (or takes from) one pathway, and why."""

    rule: Rule
    points: float
    question_id: str
    question: str
    answer: str
    fact: str | None
    subject: str

    @property
    def reason(self) -> str:
        return self.rule.rationale

    @property
    def short(self) -> str:
        """The answer in few words: the fact and its answer, or the question and answer."""
        if self.fact:
            return self.answer if self.subject == self.answer else f"{self.subject}: {self.answer}"
        return f"{self.question} {self.answer}"

    @property
    def said(self) -> str:
        """What the community said, in its own answer's words."""
        return f"{self.subject}: {self.answer}" if self.fact else f"{self.question} {self.answer}"


@dataclass(frozen=True)
class Gap:
    """A critical element the community does not report having."""

    resource_id: str
    label: str
    why: str
    unknown: bool
    # "dont-know" or "unanswered" when `unknown`, else "answered"
    answer_state: str = "answered"


@dataclass(frozen=True)
class PathwayScore:
    pathway: Pathway
    score: float
    low: float
    high: float
    start: float
    contributions: tuple[Contribution, ...]
    build_on: float
    build_on_shared: tuple[str, ...]
    band: str
    band_label: str
    rank: int | None
    running: bool
    gaps: tuple[Gap, ...]
    met: tuple[str, ...]

    # Worked out once per score (a frozen dataclass keeps a cached_property in its __dict__;
    # the why-not text asks the top pathway's for every other pathway).
    @cached_property
    def helped(self) -> tuple[Contribution, ...]:
        return tuple(sorted((c for c in self.contributions if c.points > 0),
                            key=lambda c: (-c.points, c.rule.id)))

    @cached_property
    def hurt(self) -> tuple[Contribution, ...]:
        return tuple(sorted((c for c in self.contributions if c.points < 0),
                            key=lambda c: (c.points, c.rule.id)))

    @property
    def decomposition_total(self) -> float:
        return self.start + self.build_on + sum(c.points for c in self.contributions)


@dataclass(frozen=True)
class Ranking:
    """Every pathway scored, candidates ranked first, running pathways after."""

    scores: tuple[PathwayScore, ...]
    running: tuple[str, ...]
    unknown_questions: tuple[str, ...]
    # Of the unknown questions, those left blank (the rest were answered "don't know").
    unanswered_questions: tuple[str, ...] = ()

    @property
    def candidates(self) -> tuple[PathwayScore, ...]:
        return tuple(s for s in self.scores if not s.running)

    @property
    def top(self) -> PathwayScore | None:
        return self.candidates[0] if self.candidates else None

    def get(self, pathway_id: str) -> PathwayScore:
        return next(s for s in self.scores if s.pathway.id == pathway_id)


@dataclass(frozen=True)
class _Table:
    """Raw points each answer of one question gives each pathway."""

    question: Question
    # option id -> pathway id -> list of (rule, fact)
    effects: Mapping[str, Mapping[str, tuple[tuple[Rule, str | None], ...]]]
    low: Mapping[str, float]
    high: Mapping[str, float]
    real_low: Mapping[str, float]
    real_high: Mapping[str, float]
    # option id -> pathway id -> summed weight (precomputed: the hot path of what-ifs)
    totals: Mapping[str, Mapping[str, float]]
    # The real (not "don't know") options in question order: (id, exclusive, totals or None)
    real: tuple[tuple[str, bool, Mapping[str, float] | None], ...] = ()
    # option id -> its position in the question (multi answers are kept in this order)
    order: Mapping[str, int] = field(default_factory=dict)

    def option_points(self, option_id: str, pathway_id: str) -> float:
        return self.totals.get(option_id, {}).get(pathway_id, 0.0)

    def points(self, chosen: tuple[str, ...], pathway_id: str) -> float:
        return sum(self.option_points(o, pathway_id) for o in chosen)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per knowledge base
class Index:
    """Per-question tables and per-pathway scales, compiled once per knowledge base."""

    tables: Mapping[str, _Table]
    low: Mapping[str, float]
    high: Mapping[str, float]
    # Half the width of the common scale, in raw points (the same for every pathway).
    half_scale: float = 1.0
    # question id -> option id -> pathway id -> the Contributions choosing that option adds
    # to the pathway, in rule order. A Contribution holds only knowledge-base data (the rule,
    # its points on the common scale, the question's and option's labels, the fact), so
    # score() shares these instead of building the same immutable objects for every profile.
    contributions: Mapping[str, Mapping[str, Mapping[str, tuple[Contribution, ...]]]] = \
        field(default_factory=dict)
    # pathway id -> the questions some answer of which (a "don't know" included) gives the
    # pathway points. An answer change to any other question moves neither of two pathways,
    # so the what-if searches skip those questions (_best_change would find no change).
    bearing: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The questions whose real answers give some pathway different points: only these make
    # a score's range wider when unknown.
    varies: frozenset[str] = frozenset()
    # (question id, up, down) -> _moves(...) on the common scale: all that _best_gain needs
    # that does not depend on the community's current answer. Filled on first use, not
    # here: worked out for every question and every two pathways it took 35 ms a knowledge
    # base, paid again by every knowledge base a weight override makes, while a plan asks
    # for a few hundred of the 900. A pure function of the knowledge base, so two threads
    # filling the same entry store equal values.
    moves: dict[tuple[str, str, str], _Moves] = field(default_factory=dict)
    # The raw span of the common scale (what _scale gives every pathway: 2 * half_scale).
    span: float = 2.0


def _table(kb: Knowledge, question: Question, rules_by_fact: Mapping[str, list[Rule]],
           rules_by_answer: Mapping[tuple[str, str], list[Rule]]) -> _Table:
    effects: dict[str, dict[str, tuple[tuple[Rule, str | None], ...]]] = {}
    for option in question.options:
        per: dict[str, list[tuple[Rule, str | None]]] = {}
        for fact in option.indicates:
            for rule in rules_by_fact.get(fact, ()):
                per.setdefault(rule.pathway, []).append((rule, fact))
        for rule in rules_by_answer.get((question.id, option.id), ()):
            per.setdefault(rule.pathway, []).append((rule, None))
        effects[option.id] = {p: tuple(v) for p, v in per.items()}
    low, high, real_low, real_high = {}, {}, {}, {}
    for pid in kb.pathways:
        lo, hi = _bounds(question, effects, pid)
        real_low[pid], real_high[pid] = lo, hi
        # An unanswered question adds nothing, so 0 is always within reach.
        low[pid], high[pid] = min(lo, 0.0), max(hi, 0.0)
    totals = {
        o: {p: float(sum(r.weight for r, _ in rules)) for p, rules in per.items()}
        for o, per in effects.items()
    }
    real = tuple((o.id, o.exclusive, totals.get(o.id) or None)
                 for o in question.options if not o.dont_know)
    order = MappingProxyType({o.id: i for i, o in enumerate(question.options)})
    return _Table(question, effects, low, high, real_low, real_high, totals, real, order)


def _bounds(question: Question,
            effects: Mapping[str, Mapping[str, tuple[tuple[Rule, str | None], ...]]],
            pid: str) -> tuple[float, float]:
    """The fewest and most raw points any real answer to the question gives pathway `pid`."""
    real = [o for o in question.options if not o.dont_know]
    values = [sum(r.weight for r, _ in effects[o.id].get(pid, ())) for o in real]
    if question.type == "multi":
        plain = [v for o, v in zip(real, values, strict=True) if not o.exclusive]
        excl = [v for o, v in zip(real, values, strict=True) if o.exclusive]
        k = question.max_choices or len(plain)
        lo = min([sum(sorted(min(v, 0) for v in plain)[:k]), *excl], default=0)
        hi = max([sum(sorted((max(v, 0) for v in plain), reverse=True)[:k]), *excl],
                 default=0)
    else:
        lo, hi = min(values, default=0), max(values, default=0)
    return float(lo), float(hi)


@lru_cache(maxsize=32)
def index(kb: Knowledge) -> Index:
    """Compile the rules into per-question tables (cached per knowledge base)."""
    rules_by_fact: dict[str, list[Rule]] = {}
    rules_by_answer: dict[tuple[str, str], list[Rule]] = {}
    for rule in kb.rules:
        if rule.fact:
            rules_by_fact.setdefault(rule.fact, []).append(rule)
        else:
            rules_by_answer.setdefault((rule.question or "", rule.option or ""), []).append(rule)
    tables = {
        q.id: _table(kb, q, rules_by_fact, rules_by_answer)
        for q in kb.questions.values() if q.has_options
    }
    low = {p: sum(t.low[p] for t in tables.values()) for p in kb.pathways}
    high = {p: sum(t.high[p] for t in tables.values()) for p in kb.pathways}
    half = float(max([1.0, *(h + kb.model.build_on_max for h in high.values()),
                      *(-lo for lo in low.values())]))
    span = 2.0 * half  # what _scale gives every pathway
    contributions = {qid: _contributions(kb, table, span) for qid, table in tables.items()}
    bearing = {
        p: frozenset(qid for qid, t in tables.items()
                     if any(p in per for per in t.totals.values()))
        for p in kb.pathways
    }
    varies = frozenset(qid for qid, t in tables.items()
                       if any(t.real_low[p] != t.real_high[p] for p in kb.pathways))
    return Index(tables, low, high, half, contributions, bearing, varies, {}, span)


def _contributions(kb: Knowledge, table: _Table,
                   span: float) -> Mapping[str, Mapping[str, tuple[Contribution, ...]]]:
    """option id -> pathway id -> what choosing the option adds to the pathway (as score()
    reports it: points on the common scale of raw span `span`)."""
    question = table.question
    out: dict[str, Mapping[str, tuple[Contribution, ...]]] = {}
    for option_id, per in table.effects.items():
        option = question.option(option_id)
        out[option_id] = MappingProxyType({
            pid: tuple(
                Contribution(
                    rule=rule, points=100.0 * rule.weight / span, question_id=question.id,
                    question=question.label, answer=option.label if option else option_id,
                    fact=fact, subject=kb.facts[fact].label if fact else question.label,
                )
                for rule, fact in effects
            )
            for pid, effects in per.items() if pid in kb.pathways
        })
    return MappingProxyType(out)


def build_on_credit(kb: Knowledge, pathway_id: str, running: tuple[str, ...],
                    has: frozenset[str] | None = None) -> tuple[float, tuple[str, ...]]:
    """Raw points a new pathway earns for the partners and critical elements it shares with
    running ones, and those elements. With `has` (the facts the community's answers report),
    only what the community said it has counts: a running pathway's usual partners are not
    credited unless the community named them (a non-police team is not credited with a police
    department), and an element is never credited while its answer is unknown."""
    if not running or pathway_id in running:
        return 0.0, ()
    shared = shared_elements(kb, pathway_id, frozenset(running))
    if has is not None:
        shared = tuple(e for e in shared if e in has)
    points = min(kb.model.build_on_max, kb.model.build_on_points * len(shared))
    return float(points), shared


def _scale(kb: Knowledge, idx: Index, pathway_id: str, existing: bool) -> tuple[float, float]:
    """The raw points shown as 0 and the raw span shown as 100: one scale for every pathway,
    with no points (the neutral start) at 50."""
    return -idx.half_scale, 2.0 * idx.half_scale


def score(kb: Knowledge, profile: CommunityProfile) -> Ranking:
    """Score and rank every pathway for a community's profile. Pure and deterministic."""
    idx = index(kb)
    asked = profile.asked
    facts = profile.facts
    running = profile.running
    varies = idx.varies
    unknown = tuple(q.id for q in asked if q.id in varies and profile.is_unknown(q.id))
    # Each pathway's contributions in question order, then chosen-option order, then rule
    # order (one pass over the answers fills every pathway's list).
    contributions: dict[str, list[Contribution]] = {pid: [] for pid in kb.pathways}
    for question in asked:
        by_option = idx.contributions.get(question.id)
        if by_option is None:
            continue
        for option_id in profile.chosen(question.id):
            for pid, made in by_option.get(option_id, _NONE).items():
                contributions[pid].extend(made)
    # Each pathway's PathwayScore fields but its rank, set once the scores are sorted.
    rows: list[dict[str, Any]] = []
    for pathway in kb.pathways_in_order:
        pid = pathway.id
        low, span = _scale(kb, idx, pid, bool(running))
        mine = contributions[pid]
        raw = sum(c.rule.weight for c in mine)
        build_raw, shared = build_on_credit(kb, pid, running, facts)
        start = 100.0 * (0 - low) / span
        value = 100.0 * (raw + build_raw - low) / span
        lo_adj = sum(idx.tables[q].real_low[pid] for q in unknown)
        hi_adj = sum(idx.tables[q].real_high[pid] for q in unknown)
        band = kb.model.band_for(round(value))
        gaps = tuple(
            Gap(e.resource, kb.facts[e.resource].label, e.why,
                unknown=(state := profile.fact_status(e.resource)) != "answered",
                answer_state=state)
            for e in pathway.critical_elements if e.resource not in facts
        )
        rows.append(dict(
            pathway=pathway, score=value,
            low=max(0.0, value + 100.0 * lo_adj / span),
            high=min(100.0, value + 100.0 * hi_adj / span),
            start=start, contributions=tuple(mine), build_on=100.0 * build_raw / span,
            build_on_shared=shared, band=band.id, band_label=band.label,
            running=pid in running, gaps=gaps,
            met=tuple(e.resource for e in pathway.critical_elements if e.resource in facts),
        ))
    unanswered = tuple(q for q in unknown if profile.status(q) == "unanswered")
    # Tie-break: equal scores (to the displayed whole point) keep the framework order.
    rows.sort(key=lambda r: (r["running"], -round(r["score"], 6), r["pathway"].order))
    ranked = []
    rank = 0
    for row in rows:
        if not row["running"]:
            rank += 1
        ranked.append(PathwayScore(**row, rank=None if row["running"] else rank))
    return Ranking(tuple(ranked), running, unknown, unanswered)


_NONE: Mapping[str, tuple[Contribution, ...]] = MappingProxyType({})


def rescore(kb: Knowledge, profile: CommunityProfile, changes: Answers) -> Ranking:
    """Score the profile with some answers changed (a what-if); changes of None remove."""
    return score(kb, profile.with_answers(changes))


@dataclass(frozen=True)
class Change:
    """One changed answer and how far it moves a challenger against the leader."""

    question_id: str
    question: str
    from_answer: str
    to_options: tuple[str, ...]
    to_answer: str
    gain: float


@dataclass(frozen=True)
class Stability:
    """How sure the top pathway is, by one rule (see `stability`)."""

    status: str  # "stable" (a clear lead), "close-call" or "none"
    margin: float
    # True when some other pathway could overtake once the unknown answers are known.
    overlapping: bool
    # The one challenger every page names: the runner-up by chance of coming first.
    challenger: str | None
    # The fewest answer changes that would put the challenger first.
    flip: tuple[Change, ...]
    # The top pathway's lead over its closest rival if every unknown answer went against it.
    worst_lead: float = 0.0
    unknown_rival: str | None = None
    # True when the questions left blank, answered against the leader, could let another
    # pathway overtake (said beside the label, not part of it: see `stability`).
    blank_could_overtake: bool = False
    # The chance each ranked pathway comes first (planner.engine.chance.Chance).
    chance: Any = None
    # The old worst-case label, for consultants: "stable" when no pathway could overtake
    # whichever way the "don't know" answers go and no single changed answer flips the top.
    worst_case_status: str = ""
    # The blank questions that could change the top (ids, most decisive first).
    blank_changers: tuple[str, ...] = ()

    @property
    def tied(self) -> bool:
        """The top two pathways have equal scores (the tie-break orders them)."""
        return self.status != "none" and round(self.margin, 6) == 0

    def chance_of(self, pathway_id: str) -> float:
        return self.chance.share(pathway_id) if self.chance is not None else 0.0


def _answer_label(question: Question, chosen: tuple[str, ...]) -> str:
    if not chosen:
        return "no answer"
    return ", ".join(o.label for o in question.options if o.id in chosen)


def _best_alternative(kb: Knowledge, idx: Index, question: Question,
                      profile: CommunityProfile, up: str, down: str, span_up: float,
                      span_down: float) -> Change | None:
    """The answer to one question that most improves `up` against `down`."""
    return _best_change(idx, question.id, profile.chosen(question.id), up, down, span_up,
                        span_down)


@dataclass(frozen=True)
class _Moves:
    """What the answers to one question can do for pathway `up` against pathway `down`: a
    pure function of the knowledge base, the two pathways and their scales."""

    # Each real option alone: up's points minus down's, on their scales.
    single: Mapping[str, float]
    # The same for every answer of at most one option (a "don't know", no answer), as
    # _best_gain takes it for the current answer: single[id] for a real option, else _edge.
    bases: Mapping[tuple[str, ...], float]
    # The answers worth trying (each a tuple of option ids) with their edge, best first:
    # sorted by (-edge, options), the order _best_gain's tie-break picks in.
    ranked: tuple[tuple[float, tuple[str, ...]], ...]


def _edge(totals: Mapping[str, Mapping[str, float]], chosen: tuple[str, ...], up: str,
          down: str, span_up: float, span_down: float) -> float:
    """How far `chosen` puts `up` ahead of `down`: table.points(chosen, p) for both pathways
    in one pass, summed in the same order from the same int 0 (so the figures are bit for
    bit what points() gives)."""
    got_up: float = 0
    got_down: float = 0
    for option_id in chosen:
        points = totals.get(option_id)
        if points:
            got_up += points.get(up, 0.0)
            got_down += points.get(down, 0.0)
    return 100.0 * got_up / span_up - 100.0 * got_down / span_down


def _moves(table: _Table, up: str, down: str, span_up: float, span_down: float) -> _Moves:
    question = table.question
    # Each real option alone (as _edge(.., (id,), ..) would give it, bit for bit).
    single = {
        option_id: (100.0 * points.get(up, 0.0) / span_up
                    - 100.0 * points.get(down, 0.0) / span_down) if points else 0.0
        for option_id, _, points in table.real
    }
    if question.type == "multi":
        # The options that help `up` most, as many as the question allows (question order).
        helpful = sorted((option_id for option_id, exclusive, _ in table.real
                          if not exclusive and single[option_id] > 0),
                         key=lambda option_id: -single[option_id])
        plain = tuple(sorted(helpful[:question.max_choices or len(table.real)],
                             key=table.order.__getitem__))
        candidates = [(_edge(table.totals, plain, up, down, span_up, span_down), plain),
                      *((single[option_id], (option_id,))
                        for option_id, exclusive, _ in table.real if exclusive)]
    else:
        candidates = [(value, (option_id,)) for option_id, value in single.items()]
    bases: dict[tuple[str, ...], float] = {
        (option_id,): single[option_id] if option_id in single
        else _edge(table.totals, (option_id,), up, down, span_up, span_down)
        for option_id in table.order
    }
    bases[()] = _edge(table.totals, (), up, down, span_up, span_down)
    return _Moves(MappingProxyType(single), MappingProxyType(bases),
                  tuple(sorted(candidates, key=lambda c: (-c[0], c[1]))))


def _best_gain(idx: Index, question_id: str, current: tuple[str, ...], up: str, down: str,
               span_up: float, span_down: float) -> tuple[float, tuple[str, ...]] | None:
    """The answer to one question (other than `current`) that most improves `up` against
    `down`, and by how much; None when no answer improves it. Ties go to the smaller tuple
    of option ids."""
    table = idx.tables[question_id]
    if span_up == idx.span and span_down == idx.span:  # the common scale: remembered
        key = (question_id, up, down)
        moves = idx.moves.get(key)
        if moves is None:
            moves = idx.moves[key] = _moves(table, up, down, span_up, span_down)
    else:
        moves = _moves(table, up, down, span_up, span_down)
    if not moves.ranked:
        return None
    base = moves.bases.get(current)
    if base is None:  # several options
        base = _edge(table.totals, current, up, down, span_up, span_down)
    # The largest gain is the first answer's: subtracting the same base keeps the order
    # (rounding is monotonic), so the answers whose gain equals it come next, in a row;
    # of those the smallest tuple of ids wins, as min(key=(-gain, options)) would pick.
    value, best = moves.ranked[0]
    gain = value - base
    for value, chosen in moves.ranked[1:]:
        if value - base != gain:
            break
        best = min(best, chosen)
    if set(best) == set(current) or gain <= 1e-9:
        return None
    return gain, best


def _pair_moves(idx: Index, up: str, down: str, span_up: float,
                span_down: float) -> Callable[[str], _Moves]:
    """A lookup of _moves(question, up, down) for one pair of pathways, remembered on the
    index for the common scale (as _best_gain does)."""
    if span_up != idx.span or span_down != idx.span:
        return lambda qid: _moves(idx.tables[qid], up, down, span_up, span_down)
    memory, tables = idx.moves, idx.tables

    def get(qid: str) -> _Moves:
        moves = memory.get((qid, up, down))
        if moves is None:
            moves = memory[(qid, up, down)] = _moves(tables[qid], up, down, span_up, span_down)
        return moves
    return get


def _top_gains(idx: Index, chosen: Callable[[str], tuple[str, ...]],
               questions: Iterable[str], up: str, down: str, span_up: float,
               span_down: float) -> Iterator[tuple[str, float]]:
    """(question, gain) for each of `questions` whose best other answer moves `up` against
    `down`: the gain _best_gain gives, bit for bit, without working out which answer it is
    (the hot path of stability and "worth checking first"). _best_gain's other test, that
    the best answer is not the current one, only ever meets a gain of 0, which the 1e-9 floor
    already turns away."""
    moves_for = _pair_moves(idx, up, down, span_up, span_down)
    tables = idx.tables
    for qid in questions:
        moves = moves_for(qid)
        if not moves.ranked:
            continue
        current = chosen(qid)
        base = moves.bases.get(current)
        if base is None:  # several options
            base = _edge(tables[qid].totals, current, up, down, span_up, span_down)
        gain = moves.ranked[0][0] - base
        if gain > 1e-9:
            yield qid, gain


@lru_cache(maxsize=1 << 16)
def _best_change(idx: Index, question_id: str, current: tuple[str, ...], up: str, down: str,
                 span_up: float, span_down: float) -> Change | None:
    """_best_gain's answer as a Change with its labels, remembered (what-ifs on one
    community ask for the same few again)."""
    found = _best_gain(idx, question_id, current, up, down, span_up, span_down)
    if found is None:
        return None
    gain, best = found
    question = idx.tables[question_id].question
    return Change(question.id, question.label, _answer_label(question, current), best,
                  _answer_label(question, best), gain)


def _advice_gain(idx: Index, question_id: str, current: tuple[str, ...], unknown: bool,
                 up: str, down: str, span_up: float,
                 span_down: float) -> tuple[float, tuple[str, ...]] | None:
    """The answer change the "smallest change" advice may name for one question, and its
    gain for `up` against `down` (None when there is none).

    An unknown answer may become any answer: it is something to find out. A known answer
    may only move towards having more: a single answer to an option listed before it (the
    questions list the fullest answer first: "Yes", then "Being planned", then "No") that
    reports every fact the current one reports; several answers only by adding options. It
    never proposes giving up a resource, and never changes the community's situation or
    goals (_SITUATION). Ties go to the smaller tuple of option ids, as in _best_gain."""
    if unknown:
        return _best_gain(idx, question_id, current, up, down, span_up, span_down)
    table = idx.tables[question_id]
    question = table.question
    if question_id in _SITUATION or not current:
        return None
    key = (question_id, up, down)
    moves = idx.moves.get(key) if span_up == idx.span and span_down == idx.span else None
    if moves is None:
        moves = _moves(table, up, down, span_up, span_down)
        if span_up == idx.span and span_down == idx.span:
            idx.moves[key] = moves
    single = moves.single
    if question.type == "multi":
        exclusive = {o for o, excl, _ in table.real if excl}
        kept = tuple(o for o in current if o not in exclusive)
        room = (question.max_choices or len(table.real)) - len(kept)
        extra = sorted((o for o, excl, _ in table.real
                        if not excl and o not in kept and single.get(o, 0.0) > 1e-9),
                       key=lambda o: (-single[o], o))[:max(0, room)]
        if not extra:
            return None
        best = tuple(sorted((*kept, *extra), key=table.order.__getitem__))
        gain = (_edge(table.totals, best, up, down, span_up, span_down)
                - _edge(table.totals, current, up, down, span_up, span_down))
        return (gain, best) if gain > 1e-9 else None
    now = current[0]
    option_now = question.option(now)
    if option_now is None or option_now.dont_know:
        return None
    has = set(option_now.indicates)
    base = single.get(now, 0.0)
    found: tuple[float, tuple[str, ...]] | None = None
    for option in question.options:
        if option.id == now:
            break
        if option.dont_know or not has <= set(option.indicates):
            continue
        gain = single.get(option.id, 0.0) - base
        if gain > 1e-9 and (found is None or gain > found[0]
                            or (gain == found[0] and (option.id,) < found[1])):
            found = (gain, (option.id,))
    return found


def forget_changes() -> None:
    """Empty the memory of answer changes worked out before (benchmarks time a profile as
    if never seen)."""
    from planner.engine.chance import _chance_first  # chance builds on this module

    _best_change.cache_clear()
    _gains.cache_clear()
    _chance_first.cache_clear()


def _spans(kb: Knowledge, idx: Index, ranking: Ranking) -> dict[str, float]:
    existing = bool(ranking.running)
    return {s.pathway.id: _scale(kb, idx, s.pathway.id, existing)[1] for s in ranking.scores}


def _overtakes(total: float, gap: float, rival_first: bool) -> bool:
    """Whether `total` points gained against the leader put the rival first (ties keep the
    framework order)."""
    return total > gap + 1e-9 or (abs(total - gap) <= 1e-9 and rival_first)


def unknown_gains(kb: Knowledge, profile: CommunityProfile, ranking: Ranking,
                  rival: PathwayScore,
                  questions: tuple[str, ...] | None = None) -> dict[str, float]:
    """For each unknown question (or each of `questions`), the most an answer to it could
    move `rival` against the top pathway. Questions are separable, so these add up exactly."""
    idx = index(kb)
    spans = _spans(kb, idx, ranking)
    up, down = rival.pathway.id, ranking.candidates[0].pathway.id
    return dict(_gains(idx, profile, up, down, spans[up], spans[down],
                       ranking.unknown_questions if questions is None else questions))


@lru_cache(maxsize=256)  # a few profiles' worth: each asks it once per rival
def _gains(idx: Index, profile: CommunityProfile, up: str, down: str, span_up: float,
           span_down: float, questions: tuple[str, ...]) -> Mapping[str, float]:
    """unknown_gains' work, remembered: stability and "worth checking first" both ask it for
    every rival of one profile (a profile is equal only to one read from the same answers,
    so a remembered result is always this community's; forget_changes empties it)."""
    # A question that gives neither pathway points has no change to offer (see Index.bearing).
    bearing = idx.bearing
    either = bearing.get(up, frozenset()) | bearing.get(down, frozenset())
    gains = dict(_top_gains(idx, profile.chosen, (q for q in questions if q in either), up,
                            down, span_up, span_down))
    return MappingProxyType(gains)


def label_for(kb: Knowledge, top_percent: int) -> str:
    """THE label rule, in one place: a clear lead ("stable") when the top pathway's chance of
    coming first, in whole percent as shown, is at least the knowledge base's clear_lead;
    otherwise a close call."""
    return "stable" if top_percent >= kb.model.chance.clear_lead_percent else "close-call"


def stability(kb: Knowledge, profile: CommunityProfile,
              ranking: Ranking | None = None) -> Stability:
    """Say how sure the top pathway is, by one rule (`label_for`, on the chance each pathway
    comes first: planner.engine.chance), name one challenger (the runner-up by that chance)
    and find the fewest answer changes that would put it first.

    For consultants it keeps the worst case: the lead is "stable" by that older rule when no
    other pathway could overtake the top one whichever way the "don't know" answers turn
    out, and no single changed answer would put another pathway first. Both tests are
    exact, because each question's points add up separately. Whether the questions left
    blank could let another pathway overtake is reported beside the label, with their names
    (`blank_changers`).
    """
    from planner.engine.chance import chance_first  # chance builds on this module

    ranking = ranking or score(kb, profile)
    candidates = ranking.candidates
    if len(candidates) < 2:
        return Stability("none", 0.0, False, None, ())
    chance = chance_first(kb, profile, ranking)
    status_by_chance = label_for(kb, chance.percent[candidates[0].pathway.id])
    challenger = chance.runner_up
    idx = index(kb)
    spans = _spans(kb, idx, ranking)
    top, second = candidates[0], candidates[1]
    margin = top.score - second.score
    worst_lead, unknown_rival = float("inf"), None
    overlapping = blank = False
    dont_know = tuple(q for q in ranking.unknown_questions
                      if q not in ranking.unanswered_questions)
    blank_alone: set[str] = set()
    blank_fewest: list[str] | None = None
    blank_gain: dict[str, float] = {}
    for rival in candidates[1:]:
        gap = top.score - rival.score
        rival_first = rival.pathway.order < top.pathway.order
        up, down = rival.pathway.id, top.pathway.id
        gains = _gains(idx, profile, up, down, spans[up], spans[down],
                       ranking.unknown_questions)
        gained = sum(g for q, g in gains.items() if q in dont_know)
        lead = gap - gained
        if lead < worst_lead:  # ties keep the higher-ranked rival
            worst_lead, unknown_rival = lead, rival.pathway.id
        if _overtakes(gained, gap, rival_first):
            overlapping = True
        # The blank questions alone, answered against the leader (the "don't know" ones
        # as they stand): each that could by itself, and the fewest that together could.
        blanks = sorted(((q, g) for q, g in gains.items()
                         if q in ranking.unanswered_questions), key=lambda b: (-b[1], b[0]))
        total, picked = 0.0, []
        for qid, gain in blanks:
            blank_gain[qid] = max(blank_gain.get(qid, 0.0), gain)
            if _overtakes(gain, gap, rival_first):
                blank_alone.add(qid)
            if not _overtakes(total, gap, rival_first):
                picked.append(qid)
                total += gain
        if picked and _overtakes(total, gap, rival_first):
            blank = True
            if blank_fewest is None or len(picked) < len(blank_fewest):
                blank_fewest = picked
    blank_changers = tuple(sorted(blank_alone | set(blank_fewest or ()),
                                  key=lambda q: (q not in blank_alone, -blank_gain[q], q)))
    changeable = [
        q for q in profile.asked
        if q.id in idx.tables and q.profile not in _FIXED_PROFILES
    ]
    unknown_now = frozenset(ranking.unknown_questions)
    current = [(q.id, profile.chosen(q.id), q.id in unknown_now) for q in changeable]
    bearing = idx.bearing
    down = top.pathway.id
    # The worst case (for consultants): could any single changed answer, whatever it is,
    # put some rival first? Only the largest gain per rival matters.
    one_answer_flips = False
    for rival in candidates[1:]:
        up = rival.pathway.id
        span_up, span_down = spans[up], spans[down]
        either = bearing.get(up, frozenset()) | bearing.get(down, frozenset())
        gap = top.score - rival.score
        rival_first = rival.pathway.order < top.pathway.order
        for _, gain in _top_gains(idx, profile.chosen,
                                  (qid for qid, _, _ in current if qid in either), up, down,
                                  span_up, span_down):
            if _overtakes(gain, gap, rival_first):
                one_answer_flips = True
                break
        if one_answer_flips:
            break
    worst_case = "close-call" if overlapping or one_answer_flips else "stable"
    # The advice shown: the fewest changes a community could act on or find out
    # (_advice_gain) that would put the challenger first, largest gains first (ties by
    # question id).
    flip: list[Change] = []
    rival_score = next((s for s in candidates[1:] if s.pathway.id == challenger), None)
    if rival_score is not None:
        up = rival_score.pathway.id
        span_up, span_down = spans[up], spans[down]
        either = bearing.get(up, frozenset()) | bearing.get(down, frozenset())
        changes = [
            (found[0], qid, found[1]) for qid, now, unknown in current
            if qid in either
            and (found := _advice_gain(idx, qid, now, unknown, up, down, span_up,
                                       span_down)) is not None
        ]
        changes.sort(key=lambda c: (-c[0], c[1]))
        gap = top.score - rival_score.score
        rival_first = rival_score.pathway.order < top.pathway.order
        total = 0.0
        chosen_changes: list[tuple[str, tuple[str, ...], float]] = []
        for gain, qid, options in changes:
            if _overtakes(total, gap, rival_first):
                break
            chosen_changes.append((qid, options, gain))
            total += gain
        if chosen_changes and _overtakes(total, gap, rival_first):
            for qid, options, gain in chosen_changes:
                question = idx.tables[qid].question
                flip.append(Change(qid, question.label,
                                   _answer_label(question, profile.chosen(qid)), options,
                                   _answer_label(question, options), gain))
    return Stability(status_by_chance, margin, overlapping, challenger, tuple(flip),
                     worst_lead, unknown_rival, blank, chance, worst_case, blank_changers)


@dataclass(frozen=True)
class CheckFirst:
    """An unknown answer, and how much finding it out could move the leading pathways.

    `could_change_top` is True when this answer, alone or together with the other unknown
    answers, could put another pathway first; `alone` when it could by itself."""

    question_id: str
    question: str
    swing: float
    could_change_top: bool
    alone: bool = False
    unanswered: bool = False


def facts_to_check(kb: Knowledge, profile: CommunityProfile, ranking: Ranking | None = None,
                   limit: int = 5) -> tuple[CheckFirst, ...]:
    """The unknown answers most worth finding out first.

    First come the unknowns that could change the top pathway: each one that could by itself,
    then the fewest that together could (for the rival that needs fewest; the answers add up
    separately, so taking the largest gains first gives the fewest). Then the rest, by how far
    they could move the scores, up to `limit` in all. Ties go by question id.
    """
    ranking = ranking or score(kb, profile)
    candidates = ranking.candidates
    if not candidates:
        return ()
    idx = index(kb)
    spans = _spans(kb, idx, ranking)
    top = candidates[0]
    alone: set[str] = set()
    fewest: list[str] | None = None
    swing: dict[str, float] = {q: 0.0 for q in ranking.unknown_questions}
    for rival in candidates[1:]:
        up, down = rival.pathway.id, top.pathway.id
        gains = _gains(idx, profile, up, down, spans[up], spans[down],
                       ranking.unknown_questions)
        gap = top.score - rival.score
        rival_first = rival.pathway.order < top.pathway.order
        for qid, gain in gains.items():
            swing[qid] = max(swing[qid], gain)
            if _overtakes(gain, gap, rival_first):
                alone.add(qid)
        total, picked = 0.0, []
        for qid, gain in sorted(gains.items(), key=lambda g: (-g[1], g[0])):
            if _overtakes(total, gap, rival_first):
                break
            picked.append(qid)
            total += gain
        if picked and _overtakes(total, gap, rival_first) and (
                fewest is None or len(picked) < len(fewest)):
            fewest = picked
    decisive_ids = alone | set(fewest or ())
    for qid in ranking.unknown_questions:
        table = idx.tables[qid]
        own = 100.0 * (table.real_high[top.pathway.id] - table.real_low[top.pathway.id]) \
            / spans[top.pathway.id]
        swing[qid] = max(swing[qid], own)
    items = [
        CheckFirst(qid, kb.questions[qid].label, swing[qid], qid in decisive_ids,
                   qid in alone, qid in ranking.unanswered_questions)
        for qid in ranking.unknown_questions
    ]
    items.sort(key=lambda c: (not c.alone, not c.could_change_top, -c.swing, c.question_id))
    decisive = [c for c in items if c.could_change_top]
    rest = [c for c in items if not c.could_change_top]
    return tuple(decisive + rest[:max(0, limit - len(decisive))])


def all_contributions(ranking: Ranking) -> list[Contribution]:
    """Every contribution of every pathway (for reports)."""
    return list(chain.from_iterable(s.contributions for s in ranking.scores))


WEIGHT_LIMITS = (-30, 30)  # the whole-number range every weight lives in (see with_weights)


class OverrideError(ValueError):
    """Raised for a weight override that does not fit the rules. `reason` says why in plain
    words, without the rule's id (for pages); the message adds the id (for logs and the CLI)."""

    def __init__(self, rule_id: str, reason: str) -> None:
        super().__init__(f"'{rule_id}': {reason}")
        self.rule_id = rule_id
        self.reason = reason


def with_weights(kb: Knowledge, overrides: Mapping[str, int]) -> Knowledge:
    """Return the knowledge base with some rules' weights replaced (a consultant override).

    The same limits as the knowledge files apply: a whole number from -30 to 30, and a
    critical element can never count against its own pathway.
    """
    if not overrides:
        return kb
    rules = {r.id: r for r in kb.rules}
    for rule_id, weight in overrides.items():
        rule = rules.get(rule_id)
        if rule is None:
            raise OverrideError(rule_id, "unknown rule")
        low, high = WEIGHT_LIMITS
        if isinstance(weight, bool) or not isinstance(weight, int) or not low <= weight <= high:
            raise OverrideError(rule_id, f"a weight is a whole number from {low} to {high}")
        if weight < 0 and rule.fact in kb.pathways[rule.pathway].element_ids:
            raise OverrideError(rule_id, "a critical element cannot lower its pathway's score")
    return _with_weights(kb, tuple(sorted(overrides.items())))


@lru_cache(maxsize=64)
def _with_weights(kb: Knowledge, pairs: tuple[tuple[str, int], ...]) -> Knowledge:
    """with_weights once checked, remembered: the same overrides on the same knowledge base
    give the same object, so what is compiled per knowledge base (index(), about 10 ms) is
    compiled once per set of overrides, not on every request of a community that has some.
    Only checked whole numbers reach here, so True never stands in for 1."""
    from dataclasses import replace

    overrides = dict(pairs)
    new_rules = tuple(replace(r, weight=overrides[r.id]) if r.id in overrides else r
                      for r in kb.rules)
    return replace(kb, rules=new_rules)
