"""What the scoring index compiles once per knowledge base gives, bit for bit, what working it
out for each profile gave: the contributions score() reports and the best answer change
(_best_gain / _best_change) for every question, pair of pathways and current answer.

The references below are the per-profile computations the compiled tables replaced.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from planner.engine import answers, plan, scoring
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge, Option, Question

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


@pytest.fixture(scope="module")
def profiles(kb: Knowledge) -> list[CommunityProfile]:
    return [read_profile(kb, answers.validate(
        kb, yaml.safe_load(p.read_text(encoding="utf-8"))["answers"], complete=False))
        for p in SCENARIOS]


def _reference_change(idx: scoring.Index, question_id: str, current: tuple[str, ...],
                      up: str, down: str, span_up: float,
                      span_down: float) -> scoring.Change | None:
    """The best answer change as it was worked out for each call, before the moves were
    compiled into the index."""
    table = idx.tables[question_id]
    question = table.question
    totals = table.totals

    def edge(chosen: tuple[str, ...]) -> float:
        got_up: float = 0
        got_down: float = 0
        for option_id in chosen:
            points = totals.get(option_id)
            if points:
                got_up += points.get(up, 0.0)
                got_down += points.get(down, 0.0)
        return 100.0 * got_up / span_up - 100.0 * got_down / span_down

    single = {
        option_id: (100.0 * points.get(up, 0.0) / span_up
                    - 100.0 * points.get(down, 0.0) / span_down) if points else 0.0
        for option_id, _, points in table.real
    }
    if question.type == "multi":
        helpful = sorted((option_id for option_id, exclusive, _ in table.real
                          if not exclusive and single[option_id] > 0),
                         key=lambda option_id: -single[option_id])
        plain = tuple(sorted(helpful[:question.max_choices or len(table.real)],
                             key=table.order.__getitem__))
        candidates = [(edge(plain), plain), *((single[option_id], (option_id,))
                                              for option_id, exclusive, _ in table.real
                                              if exclusive)]
    else:
        candidates = [(value, (option_id,)) for option_id, value in single.items()]
    base = (single[current[0]] if len(current) == 1 and current[0] in single
            else edge(current))
    gains = [(value - base, chosen) for value, chosen in candidates]
    if not gains:
        return None
    gain, best = min(gains, key=lambda g: (-g[0], g[1]))
    if set(best) == set(current) or gain <= 1e-9:
        return None
    return scoring.Change(question.id, question.label,
                          scoring._answer_label(question, current), best,
                          scoring._answer_label(question, best), gain)


def _currents(kb: Knowledge, question_id: str,
              profiles: list[CommunityProfile]) -> set[tuple[str, ...]]:
    """Answers to try as the current one: none, each option alone (a "don't know" too), an
    option id the question does not have, every two options of a multiple choice, and what
    each scenario answered."""
    question = kb.questions[question_id]
    ids = [o.id for o in question.options]
    out = {(), ("no-such-option",), *((i,) for i in ids)}
    if question.type == "multi":
        out.update(itertools.combinations(ids, 2))
    out.update(p.chosen(question_id) for p in profiles)
    return out


@pytest.mark.parametrize("scale", ["common", "other", "unequal"])
def test_the_compiled_best_change_is_the_reference_one_bit_for_bit(
        kb: Knowledge, profiles: list[CommunityProfile], scale: str) -> None:
    idx = scoring.index(kb)
    span_up, span_down = {"common": (idx.span, idx.span),
                          "other": (1.5 * idx.span, 1.5 * idx.span),
                          "unequal": (idx.span, 0.75 * idx.span)}[scale]
    scoring.forget_changes()
    compared = found = 0
    for question_id in idx.tables:
        for current in _currents(kb, question_id, profiles):
            for up, down in itertools.permutations(kb.pathways, 2):
                want = _reference_change(idx, question_id, current, up, down, span_up,
                                         span_down)
                got = scoring._best_change(idx, question_id, current, up, down, span_up,
                                           span_down)
                gain = scoring._best_gain(idx, question_id, current, up, down, span_up,
                                          span_down)
                assert got == want, (question_id, current, up, down)
                assert gain == (None if want is None else (want.gain, want.to_options))
                if question_id not in idx.bearing[up] | idx.bearing[down]:
                    # What lets stability and unknown_gains skip the question.
                    assert want is None, (question_id, up, down)
                compared += 1
                found += want is not None
    assert found > 1000 and compared > found  # both outcomes were exercised


def test_the_searches_ask_only_for_questions_that_give_either_pathway_points(
        kb: Knowledge, profiles: list[CommunityProfile]) -> None:
    """The moves are worked out on first use: a plan fills only the entries it asks for,
    each for a question that gives one of the two pathways points."""
    idx = scoring.index(kb)
    idx.moves.clear()
    scoring.forget_changes()
    plan.build(kb, profiles[0])
    assert idx.moves, "the plan's stability check asked for some"
    for (question_id, up, down) in idx.moves:
        assert up != down
        assert question_id in idx.bearing[up] | idx.bearing[down]
    some = next(iter(kb.pathways))
    assert idx.bearing[some], "some question gives each pathway points"
    assert any(q not in idx.bearing[some] for q in idx.tables)


def _reference_contributions(kb: Knowledge, profile: CommunityProfile,
                             pathway_id: str) -> list[scoring.Contribution]:
    """A pathway's contributions as score() built them for each profile."""
    idx = scoring.index(kb)
    span = 2.0 * idx.half_scale
    out = []
    for question in profile.asked:
        table = idx.tables.get(question.id)
        if table is None:
            continue
        for option_id in profile.chosen(question.id):
            option = question.option(option_id)
            for rule, fact in table.effects.get(option_id, {}).get(pathway_id, ()):
                out.append(scoring.Contribution(
                    rule=rule, points=100.0 * rule.weight / span, question_id=question.id,
                    question=question.label, answer=option.label if option else option_id,
                    fact=fact, subject=kb.facts[fact].label if fact else question.label,
                ))
    return out


def test_the_shared_contributions_are_the_ones_built_for_each_profile(
        kb: Knowledge, profiles: list[CommunityProfile]) -> None:
    for profile in profiles:
        for s in scoring.score(kb, profile).scores:
            assert list(s.contributions) == _reference_contributions(kb, profile,
                                                                      s.pathway.id)
            assert all(type(c.points) is float for c in s.contributions)


def test_remembered_gains_are_never_another_profiles(
        kb: Knowledge, profiles: list[CommunityProfile]) -> None:
    def results(profile: CommunityProfile) -> object:
        return (scoring.stability(kb, profile), scoring.facts_to_check(kb, profile))

    cold = []
    for profile in profiles:
        scoring.forget_changes()
        cold.append(results(profile))
    warm = [results(profile) for profile in profiles]  # each after all the others
    assert warm == cold
    assert len({repr(r) for r in cold}) > 1, "the profiles differ, so mixing would show"
    # A profile read again from the same answers is the same community.
    again = read_profile(kb, dict(profiles[0].answers))
    assert results(again) == cold[0]


def test_of_two_answers_whose_gains_round_alike_the_smaller_ids_win(kb: Knowledge) -> None:
    """Different edges can give the same gain once the current answer's edge is taken off
    (rounding): the tie-break then goes by option ids, not by the larger edge."""
    question = Question(id="q", section="s", label="Q", help="", type="single",
                        required=False, profile=None, ask_when=(),
                        options=(Option("z", "Z"), Option("a", "A"), Option("now", "Now")),
                        max_length=None, minimum=None, maximum=None)
    totals: dict[str, dict[str, float]] = {
        "z": {"up": 3.0000000000000004}, "a": {"up": 3.0}, "now": {"down": 1e17}}
    table = scoring._Table(question, {}, {}, {}, {}, {}, totals,
                           tuple((o.id, False, totals[o.id]) for o in question.options),
                           {o.id: i for i, o in enumerate(question.options)})
    idx = scoring.Index({"q": table}, {}, {})
    args = ("q", ("now",), "up", "down", 100.0, 100.0)
    edges = scoring._moves(table, "up", "down", 100.0, 100.0).ranked
    assert [chosen for _, chosen in edges] == [("z",), ("a",), ("now",)]
    assert edges[0][0] > edges[1][0]  # z's edge is the larger...
    want = _reference_change(idx, *args)
    assert want is not None and want.to_options == ("a",)  # ...but the gains tie
    assert scoring._best_gain(idx, *args) == (want.gain, ("a",))
    scoring.forget_changes()
    assert scoring._best_change(idx, *args) == want
