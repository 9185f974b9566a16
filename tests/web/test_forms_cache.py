"""Form classes are built once per set of questions; each request still gets its own form."""

from __future__ import annotations

import pytest
from flask import Flask
from webhelpers import Wizard, csrf_of
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


def test_showing_a_step_or_the_review_builds_no_form(
        wizard: Wizard, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page shows its fields from the saved answers and its CSRF token from csrf_token():
    building a form object only to show a page cost more than the rest of the view."""
    wizard.start()
    wizard.complete()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a form class was asked for to show a page")

    monkeypatch.setattr(forms, "form_class", refuse)
    page = wizard.client.get(wizard.url("/step/problems"))
    assert page.status_code == 200
    assert 'value="many" checked' in page.text  # the saved answer is shown
    assert csrf_of(page.text)
    review = wizard.client.get(wizard.url("/review"))
    assert review.status_code == 200
    assert "Huntington" in review.text
