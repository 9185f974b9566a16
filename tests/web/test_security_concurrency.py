"""Issue 13, security round two: lost updates (optimistic concurrency) and write races.

Two browsers saving different steps both keep their answers; a stale form of the same step
or the same note is a 409 that shows both versions and loses nothing.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from typing import Any

from consultanthelpers import complete, create_community, sign_in
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner.web import db, workspace

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_browsers_saving_different_steps_both_keep_their_answers(app: Flask) -> None:
    first = app.test_client()
    wizard = Wizard(app, first)
    wizard.start()
    wizard.complete({"community": HUNTINGTON["community"]})
    second = app.test_client()  # the same private link opened in another browser
    steps = ["problems", "treatment"]
    clients = [first, second]
    for trial in range(8):
        forms = [hidden(c.get(wizard.url(f"/step/{s}")).text)
                 for c, s in zip(clients, steps, strict=True)]
        values = [{"overdoses": ["many", "few"][trial % 2], "overdose-deaths": "rising",
                   "hot-spots": "yes"},
                  {"moud": ["yes", "no"][trial % 2], "treatment-wait": "within-week"}]

        def save(i: int, forms: list[dict[str, str]] = forms,
                 values: list[dict[str, str]] = values) -> int:
            return clients[i].post(wizard.url(f"/step/{steps[i]}"),
                                   data={**forms[i], **values[i]}).status_code

        statuses = parallel(2, save)
        assert statuses == [303, 303], (trial, statuses)
        saved = wizard.saved()
        assert saved.get("overdoses") == values[0]["overdoses"], (trial, saved)
        assert saved.get("moud") == values[1]["moud"], (trial, saved)
        assert saved["community-name"] == "Huntington"


def test_a_stale_step_gives_409_with_both_versions_and_loses_nothing(app: Flask) -> None:
    first = app.test_client()
    wizard = Wizard(app, first)
    wizard.start()
    wizard.complete({"community": HUNTINGTON["community"], **{"problems": HUNTINGTON["problems"]}})
    second = app.test_client()
    stale = hidden(first.get(wizard.url("/step/problems")).text)
    fresh = hidden(second.get(wizard.url("/step/problems")).text)
    saved = second.post(wizard.url("/step/problems"), data={
        **fresh, "overdoses": "few", "overdose-deaths": "steady", "hot-spots": "yes"})
    assert saved.status_code == 303
    conflict = first.post(wizard.url("/step/problems"), data={
        **stale, "overdoses": "many", "overdose-deaths": "rising", "hot-spots": "yes"})
    assert conflict.status_code == 409
    assert "changed since you opened" in conflict.text.lower()
    kb = app.extensions["planner.kb"]
    labels = {o.id: o.label for o in kb.questions["overdoses"].options}
    assert labels["few"] in conflict.text and labels["many"] in conflict.text
    assert wizard.saved()["overdoses"] == "few"  # theirs kept
    again = first.post(wizard.url("/step/problems"), data={
        **hidden(conflict.text), "overdoses": "many", "overdose-deaths": "rising",
        "hot-spots": "yes"})
    assert again.status_code == 303  # saving again on purpose keeps mine
    assert wizard.saved()["overdoses"] == "many"


def test_a_form_opened_before_another_steps_save_still_saves(app: Flask) -> None:
    first = app.test_client()
    wizard = Wizard(app, first)
    wizard.start()
    wizard.complete({"community": HUNTINGTON["community"]})
    form = hidden(first.get(wizard.url("/step/problems")).text)
    wizard.complete({"treatment": HUNTINGTON["treatment"]})  # raises the revision
    response = first.post(wizard.url("/step/problems"), data={**form, **HUNTINGTON["problems"]})
    assert response.status_code == 303
    saved = wizard.saved()
    assert saved["moud"] == "yes" and saved["overdoses"] == "many"


def notes_of(app: Flask, key: str) -> dict[str, str]:
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        return {sid: n.text for sid, n in workspace.notes(row).items()}


def test_a_stale_notes_tab_never_blanks_a_newer_note(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    tab1 = hidden(ann.get(f"/c/{key}/notes").text)
    tab2 = hidden(ann.get(f"/c/{key}/notes").text)
    one = ann.post(f"/c/{key}/notes", data={**tab1, "note-general": "Met the fire chief."})
    assert one.status_code == 303
    # the stale tab edits another section and sends the general note as it was opened (empty)
    two = ann.post(f"/c/{key}/notes", data={**tab2, "note-general": "",
                                            "note-problems": "Overdoses rising downtown."})
    assert two.status_code == 303
    assert notes_of(app, key) == {"general": "Met the fire chief.",
                                  "problems": "Overdoses rising downtown."}
    trail = ann.get(f"/c/{key}/audit").text
    assert "Met the fire chief." in trail and "Overdoses rising downtown." in trail


def test_a_stale_edit_of_the_same_note_is_a_409_showing_both(app: Flask,
                                                             ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    first = ann.post(f"/c/{key}/notes", data={**hidden(ann.get(f"/c/{key}/notes").text),
                                              "note-general": "Version one."})
    assert first.status_code == 303
    stale = hidden(ann.get(f"/c/{key}/notes").text)
    newer = ann.post(f"/c/{key}/notes", data={**hidden(ann.get(f"/c/{key}/notes").text),
                                              "note-general": "Version two, from tab A."})
    assert newer.status_code == 303
    conflict = ann.post(f"/c/{key}/notes", data={**stale, "note-general": "Tab B's text."})
    assert conflict.status_code == 409
    assert "Version two, from tab A." in conflict.text and "Tab B&#39;s text." in conflict.text
    assert notes_of(app, key)["general"] == "Version two, from tab A."
    resolved = ann.post(f"/c/{key}/notes", data={**hidden(conflict.text),
                                                 "note-general": "Tab B's text."})
    assert resolved.status_code == 303
    assert notes_of(app, key)["general"] == "Tab B's text."


def test_parallel_version_saves_and_step_saves_never_fail(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    clients = []
    for _ in range(6):
        c = app.test_client()
        sign_in(c, "ann@example.org")
        clients.append((c, hidden(c.get(f"/c/{key}/versions").text)))

    def work(i: int) -> int:
        c, form = clients[i]
        if i % 2:
            return c.post(f"/c/{key}/versions", data={**form, "label": f"v{i}"}).status_code
        page = hidden(c.get(f"/c/{key}/step/access").text)
        return c.post(f"/c/{key}/step/access", data={**page, "naloxone": "yes"}).status_code

    assert parallel(6, work) == [303] * 6
