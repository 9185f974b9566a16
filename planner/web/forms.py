"""Flask-WTF forms built from the knowledge base's questions.

A question or option added in YAML appears here with no code change. Choice
checking is done before WTForms sees the data, so a value no option offers
(a tampered form) is told apart from a person's mistake.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, FloatField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from planner.engine.answers import MONTH_PROBLEM, Value, month_of
from planner.knowledge.model import Question

LONG_TEXT = 200


def _choices(question: Question) -> list[SelectChoice]:
    return [SelectChoice(o.id, o.label) for o in question.options]


def _field(question: Question, required: bool) -> Field:
    presence: list[Any] = (
        [InputRequired(message="Answer this question.")] if required else [Optional()]
    )
    if question.type == "single":
        return RadioField(question.label, choices=_choices(question), validators=presence,
                          validate_choice=False)
    if question.type == "multi":
        return SelectMultipleField(question.label, choices=_choices(question),
                                   validators=presence, validate_choice=False)
    if question.type == "number":
        bounds = NumberRange(min=question.minimum, max=question.maximum,
                             message="Enter a number between %(min)s and %(max)s.")
        return FloatField(question.label, validators=[*presence, bounds])
    if question.type == "month":
        return StringField(question.label, validators=[*presence, _a_month],
                           filters=[lambda s: s.strip() if isinstance(s, str) else s])
    limit = question.max_length or 2000
    kind = TextAreaField if limit > LONG_TEXT else StringField
    return kind(
        question.label,
        validators=[*presence, Length(max=limit, message=f"Use {limit} characters or fewer.")],
        filters=[lambda s: s.strip() if isinstance(s, str) else s],
    )


def _a_month(form: FlaskForm, field: Field) -> None:
    """A month field's value must be a month (YYYY-MM), as the answers' check requires."""
    if field.data and month_of(str(field.data)) is None:
        raise ValidationError(f"Enter a month: this question {MONTH_PROBLEM}.")


def form_class(questions: Iterable[Question], *, required: bool = True) -> type[FlaskForm]:
    """A FlaskForm subclass with one field per question (named by question id).

    Built once per set of questions and reused (a form class holds no request data;
    each request makes its own instance): building one costs more than rendering it.
    """
    return _form_class(tuple(questions), required)


@functools.lru_cache(maxsize=512)
def _form_class(questions: tuple[Question, ...], required: bool) -> type[FlaskForm]:
    attrs: dict[str, Any] = {
        q.id: _field(q, required and q.required) for q in questions
    }
    return type("QuestionsForm", (FlaskForm,), attrs)


def tampered(questions: Iterable[Question], formdata: MultiDict[str, str]) -> list[str]:
    """Question ids whose submitted choices are not among the question's options."""
    bad = []
    for q in questions:
        if not q.has_options:
            continue
        sent = [v for v in formdata.getlist(q.id) if v != ""]
        ids = {o.id for o in q.options}
        if any(v not in ids for v in sent) or (q.type == "single" and len(sent) > 1):
            bad.append(q.id)
    return bad


def values(form: FlaskForm, questions: Iterable[Question]) -> dict[str, Value]:
    """The submitted answers in the core's shape (omitting blanks)."""
    out: dict[str, Value] = {}
    for q in questions:
        data = form[q.id].data
        if data is None or data == "" or data == []:
            continue
        if q.type == "multi":
            out[q.id] = tuple(data)
        elif q.type == "number":
            out[q.id] = float(data)
        else:
            out[q.id] = str(data)
    return out


def formdata_for(answers: Mapping[str, Value],
                 questions: Iterable[Question]) -> MultiDict[str, str]:
    """Form data that pre-fills fields from saved answers."""
    data: MultiDict[str, str] = MultiDict()
    for q in questions:
        value = answers.get(q.id)
        if isinstance(value, tuple):
            for v in value:
                data.add(q.id, v)
        elif value is not None:
            data.add(q.id, str(value))
    return data
