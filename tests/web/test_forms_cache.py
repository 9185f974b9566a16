"""Form classes are built once per set of questions; each request still gets its own form."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from planner.web import forms, state


def test_the_same_questions_reuse_one_form_class_and_forms_share_no_data(app: Flask) -> None:
    kb = app.extensions["planner.kb"]
    questions = state.section_questions(kb, "problems")
    cls = forms.form_class(questions)
    assert forms.form_class(list(questions)) is cls
    assert forms.form_class(questions, required=False) is not cls
    assert forms.form_class(questions[:1]) is not cls
    with app.test_request_context():
        first = cls(formdata=MultiDict({questions[0].id: questions[0].options[0].id}),
                    meta={"csrf": False})
        second = cls(formdata=None, meta={"csrf": False})
        assert first[questions[0].id].data == questions[0].options[0].id
        assert second[questions[0].id].data is None
