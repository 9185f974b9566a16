"""A community's answers: the versioned file format, conditions and validation.

Answers map a question id to an option id (single choice), a tuple of option
ids (multiple choice), a string (text, or a month written YYYY-MM) or a number. Validation names the
question and the value that is wrong, so a person can fix the file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from planner.knowledge.model import Knowledge, Question

FORMAT = "deflection-planner/answers"
# Version 2: a file may name an older questions version; its answers are carried over by the
# changes recorded in questions.yaml (version 1 files required the current questions version).
FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)

Value = str | tuple[str, ...] | float | int
Answers = Mapping[str, Value]


class AnswersError(ValueError):
    """Raised for an answers file or form that does not fit the questions."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class AnswerFile:
    """Answers with the versions they were written against."""

    answers: Mapping[str, Value]
    questions_version: int


def is_asked(question: Question, answers: Answers) -> bool:
    """Return True when every condition of the question holds for these answers."""
    for cond in question.ask_when:
        given = answers.get(cond.question)
        chosen = set(given) if isinstance(given, tuple) else {given}
        if not chosen & set(cond.any_of):
            return False
    return True


def asked_questions(kb: Knowledge, answers: Answers) -> list[Question]:
    """The questions asked for these answers, in order."""
    return [q for q in kb.questions.values() if is_asked(q, answers)]


# A month answer: YYYY-MM, a year from 2000 to 2099.
MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
MONTH_PROBLEM = "takes a month written YYYY-MM, for example 2027-03"


def month_of(text: str) -> dt.date | None:
    """The first day of a month answer (YYYY-MM), or None when the text is not one."""
    match = MONTH.match(text.strip())
    return dt.date(int(match[1]), int(match[2]), 1) if match else None


def month_words(text: str) -> str:
    """A month answer in words ("March 2027"); the text itself when it is not one."""
    day = month_of(text)
    return f"{day.strftime('%B')} {day.year}" if day else text


def _bound(limit: float) -> str:
    """A question's limit as people write it: 100,000,000 (not 1e+08), 0.5."""
    return f"{int(limit):,}" if float(limit).is_integer() else f"{limit:,}"


def out_of_range(problem: str) -> bool:
    """True for a problem that says a number is not within its question's limits."""
    return " must be at least " in problem or " must be at most " in problem


def _check_value(question: Question, value: Any) -> tuple[Value | None, str | None]:
    """Coerce one raw value for a question; return (value, problem)."""
    qid = question.id
    if question.type == "single":
        if not isinstance(value, str):
            return None, f"'{qid}' takes one option id as a string, not {type(value).__name__}"
        if question.option(value) is None:
            return None, f"'{qid}' has no option '{value}'"
        return value, None
    if question.type == "multi":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, f"'{qid}' takes a list of option ids"
        unknown = [v for v in value if question.option(v) is None]
        if unknown:
            return None, f"'{qid}' has no option '{unknown[0]}'"
        if len(set(value)) != len(value):
            return None, f"'{qid}' lists an option twice"
        if question.max_choices is not None and len(value) > question.max_choices:
            return None, f"'{qid}' takes at most {question.max_choices} options"
        exclusive = [v for v in value if question.option(v).exclusive]  # type: ignore[union-attr]
        if exclusive and len(value) > 1:
            return None, f"'{qid}': '{exclusive[0]}' cannot be combined with other options"
        order = [o.id for o in question.options]
        return tuple(sorted(value, key=order.index)), None
    if question.type == "number":
        # An int is compared as it is (any size; float() of one past 1e308 overflows).
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)):
            return None, f"'{qid}' takes a number"
        if question.minimum is not None and value < question.minimum:
            return None, f"'{qid}' must be at least {_bound(question.minimum)}"
        if question.maximum is not None and value > question.maximum:
            return None, f"'{qid}' must be at most {_bound(question.maximum)}"
        return value, None
    if question.type == "month":
        if not isinstance(value, str) or month_of(value) is None:
            return None, f"'{qid}' {MONTH_PROBLEM}"
        return value.strip(), None
    if not isinstance(value, str):
        return None, f"'{qid}' takes text"
    text = value.strip()
    limit = question.max_length or 2000
    if len(text) > limit:
        return None, f"'{qid}' is longer than {limit} characters"
    if "\x00" in text:
        return None, f"'{qid}' contains a null character"
    return text, None


def fits(question: Question, value: Any) -> bool:
    """True when a stored value is a valid answer to the question (conditions aside)."""
    checked, problem = _check_value(question, value)
    return problem is None and checked not in (None, "", ())


def validate(kb: Knowledge, raw: Mapping[str, Any], *, complete: bool = True) -> dict[str, Value]:
    """Check raw answers against the questions and return them normalised.

    Raises AnswersError naming every unknown question, unknown option, wrong
    type, answer to a question that is not asked, and (when complete) every
    required question left unanswered.
    """
    if not isinstance(raw, Mapping):
        raise AnswersError(["answers must be an object mapping question ids to answers"])
    problems: list[str] = []
    clean: dict[str, Value] = {}
    for qid, value in raw.items():
        question = kb.questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            problems.append(f"unknown question '{qid}'")
            continue
        if value is None or value == "" or value == []:
            continue
        checked, problem = _check_value(question, value)
        if problem:
            problems.append(problem)
        elif checked is not None and checked != "":
            clean[qid] = checked
    for question in kb.questions.values():
        if question.id in clean and not is_asked(question, clean):
            problems.append(
                f"'{question.id}' is answered but not asked for these answers "
                f"(it depends on {', '.join(c.question for c in question.ask_when)})"
            )
        elif complete and question.required and question.id not in clean and is_asked(
            question, clean
        ):
            problems.append(f"required question '{question.id}' is not answered")
    if problems:
        raise AnswersError(problems)
    return clean


def upgrade(kb: Knowledge, raw: Mapping[str, Any], from_version: int) -> dict[str, Any]:
    """Carry raw answers written for an older questions version over to the current one, by
    the changes recorded in questions.yaml. Nothing is dropped here: an answer that no longer
    fits is reported by `validate` as usual."""
    answers = dict(raw)
    for change in kb.question_changes:
        if not from_version < change.version <= kb.questions_version:
            continue
        for qid, mapping in change.rename:
            value = answers.get(qid)
            if isinstance(value, list | tuple):
                answers[qid] = [mapping.get(v, v) for v in value]
            elif isinstance(value, str):
                answers[qid] = mapping.get(value, value)
        for old_q, new_q, mapping in change.copy:
            value = answers.get(old_q)
            if new_q in answers or not isinstance(value, str) or value not in mapping:
                continue
            answers[new_q] = mapping[value]
    return answers


def read_file(kb: Knowledge, data: Any, *, complete: bool = True) -> AnswerFile:
    """Validate a parsed answers file (format, versions, then each answer). A file written for
    an older questions version is carried over to the current one."""
    from planner.knowledge.loader import validator

    errors = sorted(validator("answers").iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise AnswersError(
            f"{'/'.join(map(str, e.absolute_path)) or 'file'}: {e.message}" for e in errors
        )
    written_for = data["questions_version"]
    if written_for > kb.questions_version:
        raise AnswersError([
            f"the file was written for questions version {written_for}, "
            f"but these questions are version {kb.questions_version} (older): "
            "use a newer version of the planner"
        ])
    raw = upgrade(kb, data["answers"], written_for)
    return AnswerFile(validate(kb, raw, complete=complete), written_for)


def to_file(kb: Knowledge, answers: Answers) -> dict[str, Any]:
    """Return the versioned file form of answers (JSON-ready)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "questions_version": kb.questions_version,
        "answers": {
            qid: list(value) if isinstance(value, tuple) else value
            for qid, value in answers.items()
        },
    }


def text_value(kb: Knowledge, answers: Answers, key: str) -> str:
    """The text answer of a profile question (for example the community name)."""
    question = kb.profile_question(key)
    value = answers.get(question.id) if question else None
    return value if isinstance(value, str) else ""


def name_answer(kb: Knowledge, name: str) -> dict[str, Value]:
    """The answer that records a community's name (empty if no question asks for it)."""
    question = kb.profile_question("community_name")
    return {question.id: name} if question is not None and name else {}


def route_answers(kb: Knowledge, route: str | None) -> dict[str, Value]:
    """The answers the home page's choice gives: "existing" (adding a pathway) opens the
    "which pathways do you run" question; "new" (starting out) closes it, with the neutral
    answer of the question it depends on. Nobody is asked again what they chose there."""
    if route == "existing":
        return existing_program_answers(kb)
    question = kb.profile_question("running_pathways")
    if route != "new" or question is None:
        return {}
    out: dict[str, Value] = {}
    for cond in question.ask_when:
        parent = kb.questions.get(cond.question)
        if parent is None or parent.type != "single":
            continue
        closed = [o for o in parent.options if o.id not in cond.any_of and not o.dont_know]
        if closed:
            out[parent.id] = next((o for o in closed if o.neutral), closed[0]).id
    return out


def existing_program_answers(kb: Knowledge) -> dict[str, Value]:
    """The answers that open the "which pathways do you run" question (the add-a-pathway route)."""
    question = kb.profile_question("running_pathways")
    if question is None:
        return {}
    return {c.question: c.any_of[0] for c in question.ask_when}
