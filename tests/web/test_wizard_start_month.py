"""The wizard asks, optionally and folded away, in what month the community hopes to start
(issue 28); the plan and its dated steps follow the answer, and a wrong month is refused."""

from __future__ import annotations

import re

from flask import Flask
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner.web import state

QUESTION = "start-month"


def _page_path(app: Flask, wizard: Wizard) -> str:
    kb = app.extensions["planner.kb"]
    number = next(n for n, page in enumerate(state.pages(kb, "data-justice"), start=1)
                  if QUESTION in {q.id for q in page})
    return wizard.url("/step/data-justice" + (f"/{number}" if number > 1 else ""))


def test_the_start_month_is_asked_folded_and_dates_the_plan(app: Flask,
                                                              wizard: Wizard) -> None:
    wizard.start()
    page = wizard.client.get(_page_path(app, wizard)).text
    field = re.search(r'<details class="planner-folded[^"]*"( open)?>\s*<summary[^>]*>Optional: '
                      r'when you hope to start</summary>.*?<input[^>]*name="start-month"[^>]*>',
                      page, re.S)
    assert field is not None and field.group(1) is None  # closed while unanswered
    assert 'type="month"' in field.group(0)

    answers = {**HUNTINGTON, "data-justice": {**HUNTINGTON["data-justice"], QUESTION: "2027-10"}}
    wizard.complete(answers)
    assert wizard.saved()[QUESTION] == "2027-10"
    plan = wizard.client.get(wizard.url("/plan"))
    assert plan.status_code == 200
    assert "Steps dated from October 4, 2027." in plan.text
    answered = wizard.client.get(_page_path(app, wizard)).text
    assert re.search(r'<details class="planner-folded[^"]*" open>\s*<summary[^>]*>Optional: '
                     r'when you hope to start', answered)


def test_a_wrong_month_is_refused_and_says_how_to_write_it(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    path = _page_path(app, wizard)
    before = wizard.saved()
    page = wizard.client.get(path).text
    response = wizard.client.post(path, data={"csrf_token": csrf_of(page),
                                              "overdose-data": "yes", QUESTION: "2027-13"})
    assert response.status_code == 400
    assert "takes a month written YYYY-MM, for example 2027-03" in response.text
    assert wizard.saved() == before
