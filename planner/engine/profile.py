"""A community's answers, read once: the typed, immutable profile every core function takes.

`read_profile(kb, answers)` reads validated answers (a question id -> value mapping) once.
Each question gets one status, decided here and nowhere else:

- "answered": asked, and answered with something other than "don't know";
- "dont-know": asked, and answered "don't know" (the community's own uncertainty);
- "unanswered": asked, and left blank (an answer not yet given);
- "not-asked": its conditions do not hold for these answers.

The profile also holds what the answers indicate: the facts (each with the questions it came
from), the profile values (state, population band, lead agency, running pathways...), and the
community's name. Scoring, matching, sensitivity, the plan and its exports read these, never
the raw answers. The raw answers stay available (`answers`) for storing and serializing.

A what-if ("one changed answer") is a new profile: `profile.with_answer(qid, value)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from planner.engine.answers import Answers, Value, is_asked
from planner.knowledge.model import Knowledge, Question

Status = Literal["answered", "dont-know", "unanswered", "not-asked"]

_EMPTY: tuple[str, ...] = ()


def _is_blank(value: object) -> bool:
    return value is None or value == "" or value == ()


def _chosen(value: Value | None) -> tuple[str, ...]:
    """The option ids a stored value chooses (empty for a blank, a number or no answer)."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, str):
        return (value,)
    return _EMPTY


@dataclass(frozen=True)
class QuestionAnswer:
    """One question as the community answered it."""

    question: Question
    status: Status
    value: Value | None
    # The option ids chosen (kept even when the question is not asked; empty for text).
    chosen: tuple[str, ...]
    # The facts this answer indicates (empty unless the question is asked).
    facts: frozenset[str]

    @property
    def asked(self) -> bool:
        return self.status != "not-asked"

    @property
    def unknown(self) -> bool:
        """Asked and not known: "don't know" or left blank."""
        return self.status in ("dont-know", "unanswered")


def _status(question: Question, value: Value | None, chosen: tuple[str, ...],
            asked: bool) -> Status:
    if not asked:
        return "not-asked"
    if question.has_options:
        if not chosen:
            return "unanswered"
        if any(o.dont_know for o in question.options if o.id in chosen):
            return "dont-know"
        return "answered"
    return "unanswered" if _is_blank(value) else "answered"


@dataclass(frozen=True, eq=False)
class CommunityProfile:
    """What a community's answers say, read once (see the module's docstring).

    Equal (and hashed) by the answers it was read from. Immutable: every mapping is
    read-only and every collection a tuple or frozenset.
    """

    answers: Mapping[str, Value]
    # Every question of the knowledge base, in the knowledge base's order.
    questions: Mapping[str, QuestionAnswer]
    # The asked questions, in order.
    asked: tuple[Question, ...]
    # Every fact the asked, answered questions indicate.
    facts: frozenset[str]
    # fact id -> the ids of the questions whose answers indicate it (in question order)
    fact_sources: Mapping[str, tuple[str, ...]]
    # profile key (state, population, lead_agency, running_pathways...) -> values given
    values: Mapping[str, tuple[str, ...]]
    # Pathway ids the community runs today (framework order).
    running: tuple[str, ...]
    # The community's two-letter state code (upper case), or None.
    state: str | None
    name: str
    # The first profile value of each (what matching compares), or None.
    region: str | None
    bucket: str | None
    rurality: str | None
    lead_agency: str | None
    # The month the community hopes to start, YYYY-MM (the start_month question), or None.
    start_month: str | None
    _kb: Knowledge = field(repr=False)
    _key: frozenset[tuple[str, Value]] = field(repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CommunityProfile):
            return NotImplemented
        return self._kb is other._kb and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    # --- one question -------------------------------------------------------------------
    def answer(self, question_id: str) -> QuestionAnswer:
        return self.questions[question_id]

    def status(self, question_id: str) -> Status:
        """"answered", "dont-know", "unanswered" or "not-asked" (also for an unknown id)."""
        qa = self.questions.get(question_id)
        return qa.status if qa is not None else "not-asked"

    def chosen(self, question_id: str) -> tuple[str, ...]:
        """The option ids chosen for a choice question (empty when unanswered)."""
        qa = self.questions.get(question_id)
        return qa.chosen if qa is not None else _EMPTY

    def is_asked(self, question_id: str) -> bool:
        qa = self.questions.get(question_id)
        return qa is not None and qa.asked

    def is_unknown(self, question_id: str) -> bool:
        """True when an asked question is answered "don't know" or left blank."""
        qa = self.questions.get(question_id)
        return qa is not None and qa.unknown

    def number(self, question_id: str) -> float | int | None:
        """The number an asked number question was given (None otherwise)."""
        qa = self.questions.get(question_id)
        if qa is None or not qa.asked:
            return None
        value = qa.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value

    def fact_status(self, fact: str) -> Status:
        """How the first asked question that could report a fact was answered ("answered",
        "dont-know" or "unanswered"; "unanswered" also when no asked question reports it)."""
        for qid in _reporters(self._kb).get(fact, _EMPTY):
            status = self.questions[qid].status
            if status != "not-asked":
                return status
        return "unanswered"

    # --- profile values -----------------------------------------------------------------
    def value(self, key: str) -> tuple[str, ...]:
        """The profile values (region, bucket, lead type, pathways...) the answers give."""
        return self.values.get(key, _EMPTY)

    def first(self, key: str) -> str | None:
        values = self.values.get(key)
        return values[0] if values else None

    def unknown_questions(self) -> Iterator[QuestionAnswer]:
        """The asked questions answered "don't know" or left blank, in order."""
        return (qa for qa in self.questions.values() if qa.unknown)

    # --- what-ifs -----------------------------------------------------------------------
    def with_answers(self, changes: Answers) -> CommunityProfile:
        """The profile with some answers changed; a change of None (or blank) removes one."""
        merged = dict(self.answers)
        for qid, value in changes.items():
            if _is_blank(value):
                merged.pop(qid, None)
            else:
                merged[qid] = value
        return read_profile(self._kb, merged)

    def with_answer(self, question_id: str, value: Value | None) -> CommunityProfile:
        """The profile with one answer changed (None removes it)."""
        return self.with_answers({question_id: value})  # type: ignore[dict-item]


def read_profile(kb: Knowledge, answers: Answers) -> CommunityProfile:
    """Read validated answers once into the community's profile."""
    raw = dict(answers)
    questions: dict[str, QuestionAnswer] = {}
    asked: list[Question] = []
    facts: set[str] = set()
    sources: dict[str, list[str]] = {}
    values: dict[str, tuple[str, ...]] = {}
    text: dict[str, str] = {}
    for question in kb.questions.values():
        value = raw.get(question.id)
        chosen = _chosen(value)
        is_on = is_asked(question, raw)
        given: set[str] = set()
        picked: list[str] = []
        if is_on:
            asked.append(question)
            for option_id in chosen:
                option = question.option(option_id)
                if option is not None:
                    given.update(option.indicates)
                    if option.value is not None:
                        picked.append(option.value)
            for fact in sorted(given):
                sources.setdefault(fact, []).append(question.id)
            facts.update(given)
        # A profile key is read from the first question that carries it (asked or not).
        if question.profile is not None and question.profile not in text:
            text[question.profile] = value if isinstance(value, str) else ""
            values[question.profile] = tuple(picked) if is_on else _EMPTY
        questions[question.id] = QuestionAnswer(
            question, _status(question, value, chosen, is_on), value, chosen, frozenset(given))
    def first(key: str) -> str | None:
        given = values.get(key)
        return given[0] if given else None

    ran = values.get("running_pathways", _EMPTY)
    running = tuple(p.id for p in kb.pathways_in_order if p.id in ran) if ran else _EMPTY
    return CommunityProfile(
        answers=MappingProxyType(raw),
        questions=MappingProxyType(questions),
        asked=tuple(asked),
        facts=frozenset(facts),
        fact_sources=MappingProxyType({f: tuple(q) for f, q in sources.items()}),
        values=MappingProxyType(values),
        running=running,
        state=_state(kb, raw),
        name=text.get("community_name", ""),
        region=first("state"), bucket=first("population"), rurality=first("rurality"),
        lead_agency=first("lead_agency"),
        start_month=text.get("start_month") or None,
        _kb=kb,
        _key=frozenset((q, tuple(v) if isinstance(v, list) else v) for q, v in raw.items()),
    )


@lru_cache(maxsize=32)
def _reporters(kb: Knowledge) -> Mapping[str, tuple[str, ...]]:
    """fact id -> the questions (in order) with an option that indicates it."""
    out: dict[str, list[str]] = {}
    for question in kb.questions.values():
        for fact in dict.fromkeys(f for o in question.options for f in o.indicates):
            out.setdefault(fact, []).append(question.id)
    return MappingProxyType({f: tuple(q) for f, q in out.items()})


def _state(kb: Knowledge, answers: Mapping[str, Value]) -> str | None:
    question = kb.profile_question("state")
    if question is None:
        return None
    for option_id in _chosen(answers.get(question.id)):
        option = question.option(option_id)
        if option is not None and not option.dont_know and len(option.id) == 2:
            return option.id.upper()
    return None
