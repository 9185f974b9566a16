"""Invariants of the scoring engine over generated answers (hypothesis)."""

from __future__ import annotations

import math
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine import answers, scoring
from planner.engine.profile import read_profile
from planner.knowledge import loader

KB = loader.load_default()
CHOICE = [q for q in KB.questions.values() if q.has_options]
NUMBER = [q for q in KB.questions.values()
          if q.type == "number" and q.minimum is not None and q.maximum is not None]
CONDITIONING = {c.question for q in KB.questions.values() for c in q.ask_when}


@st.composite
def answer_sets(draw: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for q in CHOICE:
        if draw(st.booleans()):
            continue
        if q.type == "single":
            raw[q.id] = draw(st.sampled_from([o.id for o in q.options]))
        else:
            plain = [o.id for o in q.options if not o.exclusive]
            exclusive = [o.id for o in q.options if o.exclusive]
            if exclusive and draw(st.integers(0, 9)) == 0:
                raw[q.id] = (draw(st.sampled_from(exclusive)),)
            else:
                picked = draw(st.lists(st.sampled_from(plain), unique=True,
                                      max_size=q.max_choices or 6))
                if picked:
                    raw[q.id] = tuple(picked)
    for q in NUMBER:  # counts, a local wage or budget, the miles to treatment
        if draw(st.booleans()):
            raw[q.id] = draw(st.integers(int(q.minimum or 0), int(q.maximum or 0)))
    kept = {k: v for k, v in raw.items()
            if answers.is_asked(KB.questions[k], raw)}
    return answers.validate(KB, kept, complete=False)


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(answer_sets())
def test_scores_and_ranges_stay_within_0_and_100(given_answers: dict[str, Any]) -> None:
    for s in scoring.score(KB, read_profile(KB, given_answers)).scores:
        assert 0 <= s.low <= s.score + 1e-9 and s.score <= s.high + 1e-9 and s.high <= 100
        assert -1e-9 <= s.score <= 100 + 1e-9


@PROPS
@given(answer_sets())
def test_scoring_is_deterministic(given_answers: dict[str, Any]) -> None:
    first = scoring.score(KB, read_profile(KB, given_answers))
    second = scoring.score(KB, read_profile(KB, dict(given_answers)))
    assert [(s.pathway.id, s.score, s.rank) for s in first.scores] == [
        (s.pathway.id, s.score, s.rank) for s in second.scores
    ]


@PROPS
@given(answer_sets())
def test_decomposition_sums_to_the_score(given_answers: dict[str, Any]) -> None:
    for s in scoring.score(KB, read_profile(KB, given_answers)).scores:
        assert math.isclose(s.decomposition_total, s.score, abs_tol=1e-9)


@PROPS
@given(answer_sets(), st.randoms(use_true_random=False))
def test_answer_order_never_matters(given_answers: dict[str, Any], rnd: random.Random) -> None:
    items = list(given_answers.items())
    rnd.shuffle(items)
    shuffled = {k: tuple(rnd.sample(v, len(v))) if isinstance(v, tuple) else v for k, v in items}
    a = scoring.score(KB, read_profile(KB, given_answers))
    b = scoring.score(KB, read_profile(KB, answers.validate(KB, shuffled, complete=False)))
    assert [(s.pathway.id, s.score) for s in a.scores] == [(s.pathway.id, s.score)
                                                           for s in b.scores]


@PROPS
@given(answer_sets(), st.data())
def test_adding_a_critical_element_never_lowers_that_pathways_score(
    given_answers: dict[str, Any], data: Any
) -> None:
    pathway = data.draw(st.sampled_from(KB.pathways_in_order))
    element = data.draw(st.sampled_from(pathway.element_ids))
    question, option = next(
        (q, o) for q in CHOICE for o in q.options if element in o.indicates
    )
    if question.id in CONDITIONING or not answers.is_asked(question, given_answers):
        return
    if element in read_profile(KB, given_answers).facts:
        return
    after = dict(given_answers)
    if question.type == "multi":
        current = tuple(o for o in read_profile(KB, given_answers).chosen(question.id)
                        if not question.option(o).exclusive)  # type: ignore[union-attr]
        after[question.id] = (*current, option.id)
    else:
        after[question.id] = option.id
    after = answers.validate(KB, after, complete=False)
    before_score = scoring.score(KB, read_profile(KB, given_answers)).get(pathway.id).score
    after_score = scoring.score(KB, read_profile(KB, after)).get(pathway.id).score
    assert after_score >= before_score - 1e-9
