"""The wizard asks only what applies (issue 15, items 5 and 6; issue 17, item 3).

Pages of at most 7 questions, follow-ups on the page after their parent, the home page's
choice not asked again, answers that stop applying kept but not scored, a counted time
estimate, "don't know" answers worth finding out asked again on the review page, and a
consultant's notes box on each section's page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner import create_app
from planner.engine import answers as core
from planner.engine import effort
from planner.knowledge import loader
from planner.knowledge.model import Knowledge
from planner.web import db, state, workspace

FOLLOW_UP = """  - id: overdose-places
    section: problems
    label: Where do most of these overdoses happen?
    help: It tells an outreach team where to start.
    type: text
    max_length: 200
    ask_when:
      - {question: overdoses, any_of: [many]}
"""


def _with_follow_up(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge with a follow-up to "overdoses" in the same section."""
    root = tmp_path / "knowledge-follow-up"
    shutil.copytree(loader.default_root(), root)
    path = root / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "  - id: overdose-deaths\n"
    assert marker in text
    path.write_text(text.replace(marker, FOLLOW_UP + marker, 1), encoding="utf-8")
    return root


@pytest.fixture
def follow_app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    made = create_app({**app_config, "KNOWLEDGE_DIR": str(_with_follow_up(tmp_path))})
    yield made
    made.extensions["planner.engine"].dispose()


# ------------------------------------------------------------------ pages


def test_every_page_holds_at_most_seven_questions_and_follow_ups_come_after(
        shipped_kb: Knowledge, tmp_path: Path) -> None:
    for kb in (shipped_kb, loader.load(_with_follow_up(tmp_path))):
        for section in kb.sections:
            pages = state.pages(kb, section.id)
            placed = [q.id for page in pages for q in page]
            assert sorted(placed) == sorted(q.id for q in state.section_questions(kb, section.id))
            for number, page in enumerate(pages, start=1):
                # The optional sizing counts and the hoped-for start month fold away and do
                # not count.
                asked = [q for q in page if q.id not in state.FOLDED]
                assert 1 <= len(asked) <= state.PAGE_MAX, (section.id, number)
                for q in page:
                    for cond in q.ask_when:
                        parent = kb.questions[cond.question]
                        if parent.section == section.id:
                            assert state.page_of(kb, parent) < number, (q.id, cond.question)
    # The shipped problems section (14 questions since questions version 2) is split in two.
    assert len(state.section_questions(shipped_kb, "problems")) == 14
    assert [len(p) for p in state.pages(shipped_kb, "problems")] == [7, 7]


def test_a_section_is_done_only_after_its_last_page(app: Flask, wizard: Wizard,
                                                    client: FlaskClient) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    first = client.post(wizard.url("/step/problems"), data={
        "overdoses": "many", "csrf_token": csrf_of(client.get(wizard.url("/step/problems")).text)})
    assert first.status_code == 303 and first.location.endswith("/step/problems/2")
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and "problems" not in row.done
    page = client.get(wizard.url("/step/problems/2")).text
    assert "<title>Step 2 of 8: Problems to solve, part 2 of 2" in page
    assert 'name="action" value="back">Back</button>' in page
    # The section map still says "You are here" for the section, not "Done".
    nav = page.split('aria-label="Sections of the questionnaire"')[1].split("</nav>")[0]
    assert "2. Problems to solve<span class=\"status\">You are here" in nav
    second = client.post(wizard.url("/step/problems/2"), data={
        "hot-spots": "yes", "csrf_token": csrf_of(page)})
    assert second.status_code == 303 and second.location.endswith("/step/goals")
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and "problems" in row.done


def test_resume_goes_to_the_page_with_the_first_blank_question(app: Flask, wizard: Wizard,
                                                               client: FlaskClient) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    everything_on_page_one = {q.id: q.options[0].id
                              for q in state.pages(app.extensions["planner.kb"], "problems")[0]}
    client.post(wizard.url("/step/problems"), data={
        **everything_on_page_one, "action": "later",
        "csrf_token": csrf_of(client.get(wizard.url("/step/problems")).text)})
    resumed = app.test_client().get(wizard.url())
    assert resumed.location.split("#")[0].endswith("/step/problems/2")


def test_a_page_number_out_of_range_is_a_404(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    assert client.get(wizard.url("/step/problems/3")).status_code == 404
    assert client.get(wizard.url("/step/problems/0")).status_code == 404


# --------------------------------------------------- follow-ups that stop applying


def test_a_follow_up_appears_only_when_its_condition_holds_and_its_answer_is_kept(
        follow_app: Flask) -> None:
    client = follow_app.test_client()
    wizard = Wizard(follow_app, client)
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    first = client.get(wizard.url("/step/problems")).text
    assert "Where do most of these overdoses happen?" not in first  # not on its parent's page
    sent = client.post(wizard.url("/step/problems"), data={
        "overdoses": "many", "csrf_token": csrf_of(first)})
    assert sent.location.endswith("/step/problems/2")
    second = client.get(wizard.url("/step/problems/2")).text
    assert "Where do most of these overdoses happen?" in second
    assert "Answer only if" not in second
    client.post(wizard.url("/step/problems/2"), data={
        "overdose-places": "Downtown and the river camps", "csrf_token": csrf_of(second)})
    assert wizard.saved()["overdose-places"] == "Downtown and the river camps"

    # The parent changes: the follow-up is no longer asked, scored or shown, but kept.
    changed = client.post(wizard.url("/step/problems"), data={
        "overdoses": "few", "csrf_token": csrf_of(client.get(wizard.url("/step/problems")).text)})
    assert changed.status_code == 303
    assert wizard.saved()["overdose-places"] == "Downtown and the river camps"
    assert "Where do most" not in client.get(wizard.url("/step/problems/2")).text
    kb = follow_app.extensions["planner.kb"]
    with follow_app.app_context():
        row = db.find(wizard.token)
        assert row is not None
        assert "overdose-places" not in state.answers_of(kb, row)
    review = client.get(wizard.url("/review")).text
    kept = review.split("Answers kept but not used")[1].split("</section>")[0]
    assert "Where do most of these overdoses happen?: Downtown and the river camps" in kept

    # The parent changes back: the kept answer is asked again with its text.
    client.post(wizard.url("/step/problems"), data={
        "overdoses": "many",
        "csrf_token": csrf_of(client.get(wizard.url("/step/problems")).text)})
    again = client.get(wizard.url("/step/problems/2")).text
    assert "Downtown and the river camps" in again


def test_answering_a_parent_from_review_asks_its_new_follow_up_next(follow_app: Flask) -> None:
    client = follow_app.test_client()
    wizard = Wizard(follow_app, client)
    wizard.start()
    wizard.complete({**HUNTINGTON, "problems": {"overdoses": "few"}})
    page = client.get(wizard.url("/step/problems?return=review")).text
    response = client.post(wizard.url("/step/problems"), data={
        "overdoses": "many", "return": "review", "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    assert "/step/problems/2" in response.location and "return=review" in response.location


# ------------------------------------------------------------- the estimate


def test_the_time_estimate_is_counted_from_the_questions(shipped_kb: Knowledge,
                                                         tmp_path: Path) -> None:
    estimate = effort.estimate(shipped_kb, "new")
    # Every question but the one the home page answers and its follow-up is shown; which
    # goal comes first is asked only when a goal is picked.
    assert estimate.most == len(shipped_kb.questions) - 2
    assert estimate.fewest == estimate.most - 1
    assert estimate.minutes_high == effort.minutes(estimate.most)
    assert effort.minutes(48, 20) == 15 and effort.minutes(60, 20) == 20
    assert effort.minutes(1) == effort.MINUTES_STEP
    adding = effort.estimate(shipped_kb, "existing")
    assert adding.most == len(shipped_kb.questions) - 1
    longer = effort.estimate(loader.load(_with_follow_up(tmp_path)), "new")
    assert (longer.fewest, longer.most) == (estimate.fewest, estimate.most + 1)
    assert longer.questions_text == f"{estimate.fewest} to {estimate.most + 1} questions"


def test_a_typical_new_community_is_shown_the_counted_questions(shipped_kb: Knowledge) -> None:
    import yaml

    estimate = effort.estimate(shipped_kb, "new")
    counted = []
    for path in sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml")):
        answers = core.validate(shipped_kb, yaml.safe_load(path.read_text())["answers"],
                                complete=False)
        if answers.get("existing-program") == "yes":
            continue
        counted.append(effort.shown_count(shipped_kb, answers, "new"))
    assert counted and all(estimate.fewest <= n <= estimate.most for n in counted)


def test_the_home_page_shows_the_computed_estimate_not_a_fixed_one(
        client: FlaskClient, follow_app: Flask, shipped_kb: Knowledge) -> None:
    estimate = effort.estimate(shipped_kb, "new")
    home = client.get("/").text
    assert f"Answer {estimate.questions_text} in plain language" in home
    assert estimate.minutes_text in home and "20 seconds a question" in home
    other = follow_app.test_client().get("/").text
    longer = effort.estimate(follow_app.extensions["planner.kb"], "new")
    assert longer.questions_text != estimate.questions_text
    assert f"Answer {longer.questions_text} in plain language" in other


def test_the_respondents_page_and_first_page_show_the_estimate(app: Flask,
                                                              shipped_kb: Knowledge) -> None:
    add_user(app, "ann@example.org", "Ann")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    estimate = effort.estimate(shipped_kb, "new")
    page = ann.get(f"/c/{key}/respondents").text
    assert f"{estimate.questions_text}, {estimate.minutes_text}" in page
    wizard = Wizard(app, app.test_client())
    wizard.start()
    first = wizard.client.get(wizard.url("/step/community?welcome=1")).text
    # One short line on the first page (the first question stays on the first screen at 200%
    # zoom); the home page gives the question count.
    assert f"Your plan is started</strong> ({estimate.minutes_text})." in first


# ------------------------------------------------------ worth finding out


def test_a_decisive_dont_know_is_asked_again_on_review_with_who_knows(
        wizard: Wizard, client: FlaskClient, shipped_kb: Knowledge) -> None:
    wizard.start()
    wizard.complete({**HUNTINGTON, "problems": {**HUNTINGTON["problems"],
                                                "homelessness": "dont-know",
                                                "stimulants": "dont-know"}})
    review = client.get(wizard.url("/review")).text
    assert "Worth finding out before your next meeting" in review
    box = review.split('id="finding-out"')[1].split("</section>")[0]
    assert shipped_kb.questions["homelessness"].label in box
    assert f"Who usually knows: {shipped_kb.questions['homelessness'].who_knows}." in box
    # A "don't know" that could not change the top pathway is not asked again.
    assert shipped_kb.questions["stimulants"].label not in box
    response = client.post(wizard.url("/review"), data={
        "csrf_token": csrf_of(review), "asked": "homelessness", "homelessness": "many",
        "revision": re.search(r'name="revision" value="(\d+)"', box).group(1),  # type: ignore[union-attr]
        "base": re.search(r'name="base" value="([0-9a-f]+)"', box).group(1)})  # type: ignore[union-attr]
    assert response.status_code == 303 and "/review" in response.location
    assert wizard.saved()["homelessness"] == "many"
    assert wizard.saved()["stimulants"] == "dont-know"


def test_worth_finding_out_refuses_bad_input_and_stale_forms(wizard: Wizard,
                                                            client: FlaskClient) -> None:
    wizard.start()
    wizard.complete({**HUNTINGTON, "problems": {**HUNTINGTON["problems"],
                                                "homelessness": "dont-know"}})
    review = client.get(wizard.url("/review")).text
    form = {"csrf_token": csrf_of(review), "asked": "homelessness",
            "revision": re.search(r'name="revision" value="(\d+)"', review).group(1),  # type: ignore[union-attr]
            "base": re.search(r'name="base" value="([0-9a-f]+)"', review.split(  # type: ignore[union-attr]
                'id="finding-out"')[1]).group(1)}
    before = wizard.saved()
    assert client.post(wizard.url("/review"), data={**form, "homelessness": "lots"}
                       ).status_code == 400
    assert client.post(wizard.url("/review"), data={**form, "asked": "running-pathways",
                                                    "running-pathways": "self-referral"}
                       ).status_code == 400
    assert wizard.saved() == before
    # Someone else answers it first: the stale form is a 409 with both answers.
    wizard.post_step("problems", {**HUNTINGTON["problems"], "homelessness": "some"})
    stale = client.post(wizard.url("/review"), data={**form, "homelessness": "many"})
    assert stale.status_code == 409 and "changed since you opened" in stale.text
    assert wizard.saved()["homelessness"] == "some"


def test_a_respondent_is_not_asked_what_is_worth_finding_out(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    ann.post(f"/c/{key}/respondents", data={"csrf_token": page_csrf(ann, "/dashboard"),
                                            "role": "police"})
    link = re.search(r"/c/([A-Za-z0-9_-]{40,64})", ann.get(f"/c/{key}/respondents").text)
    assert link
    respondent = Wizard(app, app.test_client())
    respondent.token = link.group(1)
    respondent.complete({**HUNTINGTON, "problems": {**HUNTINGTON["problems"],
                                                    "homelessness": "dont-know"}})
    assert "Worth finding out" not in respondent.client.get(respondent.url("/review")).text


# ------------------------------------------------------------ notes on each page


def _note(app: Flask, key: str, section: str) -> workspace.Note | None:
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        return workspace.notes(row).get(section)


def test_a_consultant_notes_each_section_on_its_page_saved_with_the_answers(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, token = create_community(ann)
    complete(app, ann, key, {"community": HUNTINGTON["community"]})
    page = ann.get(f"/c/{key}/step/treatment").text
    assert 'id="section-note"' in page and "Consultant note on Treatment and services" in page
    response = ann.post(f"/c/{key}/step/treatment", data={
        **HUNTINGTON["treatment"], "csrf_token": csrf_of(page),
        "note": "Wait times checked with the county.",
        "note_seen": re.search(r'name="note_seen" value="([0-9a-f]*)"', page).group(1)})  # type: ignore[union-attr]
    assert response.status_code == 303
    note = _note(app, key, "treatment")
    assert note is not None and note.text == "Wait times checked with the county."
    assert note.actor == "Ann Consultant"
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None and row.raw_answers["moud"] == "yes"  # saved together
        trail = [e.detail for e in db.session().scalars(workspace.audit_query(row))]
    assert any("Treatment and services: \u201cWait times checked with the county.\u201d" in d
               for d in trail)
    # The notes page shows it, and the step page shows it again.
    assert "Wait times checked with the county." in ann.get(f"/c/{key}/notes").text
    assert "Wait times checked with the county." in ann.get(f"/c/{key}/step/treatment").text
    # The private link, opened by someone not signed in, shows no notes.
    other = app.test_client().get(f"/c/{token}/step/treatment").text
    assert 'id="section-note"' not in other and "Wait times checked" not in other


def test_a_note_changed_since_the_page_opened_is_a_conflict_and_saves_nothing(
        app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    complete(app, ann, key, {"community": HUNTINGTON["community"]})
    stale = ann.get(f"/c/{key}/step/treatment").text
    seen = re.search(r'name="note_seen" value="([0-9a-f]*)"', stale).group(1)  # type: ignore[union-attr]
    fresh = ann.get(f"/c/{key}/step/treatment").text
    assert ann.post(f"/c/{key}/step/treatment", data={
        **HUNTINGTON["treatment"], "csrf_token": csrf_of(fresh), "note": "Theirs.",
        "note_seen": seen}).status_code == 303
    conflict = ann.post(f"/c/{key}/step/treatment", data={
        **HUNTINGTON["treatment"], "moud": "no", "csrf_token": csrf_of(stale), "note": "Mine.",
        "note_seen": seen})
    assert conflict.status_code == 409
    assert "Theirs." in conflict.text and "Mine." in conflict.text
    note = _note(app, key, "treatment")
    assert note is not None and note.text == "Theirs."
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None and row.raw_answers["moud"] == "yes"
    # A page sent without touching the note keeps the newer note.
    again = ann.post(f"/c/{key}/step/treatment", data={
        **HUNTINGTON["treatment"], "csrf_token": csrf_of(stale), "note": "",
        "note_seen": seen})
    assert again.status_code == 303
    note = _note(app, key, "treatment")
    assert note is not None and note.text == "Theirs."


def test_a_note_too_long_is_refused_and_nothing_is_saved(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    page = ann.get(f"/c/{key}/step/treatment").text
    response = ann.post(f"/c/{key}/step/treatment", data={
        **HUNTINGTON["treatment"], "csrf_token": csrf_of(page), "note": "x" * 4001,
        "note_seen": ""})
    assert response.status_code == 400
    assert "4000 characters or fewer" in response.text
    assert _note(app, key, "treatment") is None
    with app.app_context():
        assert db.session().scalars(select(workspace.Note)).first() is None


def test_respondents_see_no_notes_box(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    ann.post(f"/c/{key}/notes", data={"csrf_token": page_csrf(ann, "/dashboard"),
                                      "note-treatment": "Private consultant note."})
    ann.post(f"/c/{key}/respondents", data={"csrf_token": page_csrf(ann, "/dashboard"),
                                            "role": "police"})
    link = re.search(r"/c/([A-Za-z0-9_-]{40,64})", ann.get(f"/c/{key}/respondents").text)
    assert link
    page = app.test_client().get(f"/c/{link.group(1)}/step/treatment").text
    assert 'id="section-note"' not in page and "Private consultant note." not in page


def test_links_to_a_question_open_the_page_that_holds_it(wizard: Wizard,
                                                         client: FlaskClient) -> None:
    wizard.start()
    wizard.complete()
    review = client.get(wizard.url("/review")).text
    assert re.search(r'href="/c/[^"]+/step/problems/2\?return=review#q-hot-spots-yes"', review)
    results = client.get(wizard.url("/results")).text
    assert re.search(r'href="/c/[^"]+/step/problems/2#q-homelessness-many"', results)
    # The home page's choice is listed, with no link to change it.
    assert "(chosen on the home page)" in review
