"""The wizard: steps, saving, resume, review, conditions and bad input."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner.web import db


def _rows(app: Flask, sql: str) -> list[tuple[Any, ...]]:
    with app.extensions["planner.engine"].connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_new_route_stores_only_a_hash_of_the_token(wizard: Wizard, app: Flask,
                                                    app_config: dict[str, Any]) -> None:
    token = wizard.start()
    assert len(token) >= 43
    assert _rows(app, "select token_hash from interviews") == [(db.hash_token(token),)]
    if app_config["DATABASE_URL"].startswith("sqlite:///"):
        path = Path(app_config["DATABASE_URL"].removeprefix("sqlite:///"))
        app.extensions["planner.engine"].dispose()
        with sqlite3.connect(path) as conn:  # fold the WAL into the file before reading it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert token.encode() not in path.read_bytes()


def test_first_step_shows_progress_section_map_and_why_we_ask(wizard: Wizard,
                                                              client: FlaskClient) -> None:
    wizard.start()
    page = client.get(wizard.url("/step/community"))
    assert page.status_code == 200
    assert "usa-step-indicator" in page.text
    assert "<title>Step 1 of 8: Your community" in page.text
    assert 'aria-label="Sections of the questionnaire"' in page.text
    assert "Data, agreements and the justice system" in page.text
    # "Why we ask" is one tap away: a closed <details> per question shown (6: the home page
    # already said whether a program runs).
    assert page.text.count("<summary>Why we ask</summary>") == 6
    assert "<details open" not in page.text and "Why we ask:" not in page.text
    assert "Does your community already run" not in page.text
    assert wizard.token in page.text  # the private link is shown


def test_existing_program_route_pre_answers_existing_program(wizard: Wizard,
                                                             client: FlaskClient) -> None:
    wizard.start("existing")
    assert wizard.saved() == {"existing-program": "yes"}
    first = client.get(wizard.url("/step/community")).text
    assert "Does your community already run" not in first
    response = wizard.post_step("community", {**HUNTINGTON["community"],
                                              "existing-program": "no"}, query="")
    assert response.status_code == 303
    assert wizard.saved()["existing-program"] == "yes"  # the home page's choice stands


def test_a_step_is_saved_and_leads_to_the_next(wizard: Wizard) -> None:
    wizard.start()
    response = wizard.post_step("community", HUNTINGTON["community"])
    assert response.status_code == 303
    assert response.location.endswith("/step/problems")
    assert wizard.saved()["community-name"] == "Huntington"


def test_save_and_finish_later_shows_the_private_link(wizard: Wizard, client: FlaskClient
                                                      ) -> None:
    wizard.start()
    response = wizard.post_step("community", {**HUNTINGTON["community"], "action": "later"})
    assert response.location.endswith("/saved")
    assert wizard.token in client.get(response.location).text


def test_whole_wizard_gives_review_then_results(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    wizard.complete()
    review = client.get(wizard.url("/review"))
    assert review.status_code == 200
    assert "Often, several a week or more" in review.text
    assert "See your results" in review.text
    results = client.get(wizard.url("/results"))
    assert results.status_code == 200
    # These answers leave questions blank, so the headline does not claim a settled result.
    assert "Leading so far: Naloxone Plus" in results.text
    assert "questions that bear on the ranking were not answered" in results.text
    assert 'src="data:image/svg+xml;base64,' in results.text  # the chart, as an image


def test_resume_link_restores_everything_in_a_new_browser(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    stranger = app.test_client()
    response = stranger.get(wizard.url())
    assert response.status_code == 303
    assert response.location.endswith("/review")
    review = stranger.get(response.location).text
    for label in ("Huntington", "West Virginia", "Peer recovery organization"):
        assert label in review


def test_resume_link_goes_to_the_first_unfinished_step(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    response = app.test_client().get(wizard.url())
    assert response.location.split("#")[0].endswith("/step/problems")


def test_finish_later_part_way_leaves_the_section_open_and_resume_finds_the_blank(
        app: Flask, wizard: Wizard, client: FlaskClient) -> None:
    """The trust issue saw 2 of 6 answers marked "Done" and resume skip to the next section."""
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    partial = {"overdoses": "many", "action": "later"}
    response = wizard.post_step("problems", partial)
    assert response.status_code == 303 and response.location.endswith("/saved")
    assert wizard.saved()["overdoses"] == "many"
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and "problems" not in row.done and "community" in row.done
    resumed = app.test_client().get(wizard.url())
    path, _, anchor = resumed.location.partition("#")
    assert path.endswith("/step/problems")
    page = client.get(path).text
    assert anchor and f'id="{anchor}"' in page  # the first question still blank
    assert "overdoses" not in anchor


def test_finish_later_with_a_required_question_blank_saves_what_was_given(
        wizard: Wizard) -> None:
    wizard.start()
    response = wizard.post_step("community", {"community-name": "Lakeview", "action": "later"})
    assert response.status_code == 303
    assert wizard.saved() == {"community-name": "Lakeview", "existing-program": "no"}


def test_results_with_blank_questions_say_how_many_and_link_back(wizard: Wizard,
                                                                 client: FlaskClient) -> None:
    wizard.start()
    wizard.complete()
    page = client.get(wizard.url("/results")).text
    match = re.search(r"(\d+) questions that bear on the ranking were not answered", page)
    assert match and int(match.group(1)) > 0
    links = re.findall(r'href="(/c/[^"]+/step/[^"#]+#q-[^"]+)"', page)
    assert len(links) >= int(match.group(1))
    assert "don't know" not in page.split("Questions not answered")[1][:2000].lower()


def test_changing_one_answer_from_review_keeps_the_others(wizard: Wizard,
                                                          client: FlaskClient) -> None:
    wizard.start()
    wizard.complete()
    before = wizard.saved()
    page = client.get(wizard.url("/step/people?return=review"))
    assert 'name="return" value="review"' in page.text
    response = wizard.post_step("people", {**HUNTINGTON["people"], "peers": "no",
                                           "return": "review"})
    assert response.status_code == 303
    assert response.location.endswith("/review")
    after = wizard.saved()
    assert after["peers"] == "no"
    assert {k: v for k, v in after.items() if k != "peers"} == {
        k: v for k, v in before.items() if k != "peers"}


def test_the_part_counter_counts_only_pages_with_something_to_ask(
        wizard: Wizard, client: FlaskClient) -> None:
    wizard.start("new")  # a new program is never asked which pathways it runs (page 2)
    first = client.get(wizard.url("/step/community")).text
    assert "<title>Step 1 of 8: Your community |" in first
    assert "part 1 of" not in first
    assert "Problems to solve, part 1 of 2" in client.get(wizard.url("/step/problems")).text


def test_a_goal_limit_is_said_once_as_the_limit(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start("new")
    page = client.get(wizard.url("/step/goals")).text
    assert page.count("Choose up to three.") == 1
    assert "What should the program achieve first?" in page


def test_a_follow_up_is_asked_on_the_next_page_only_when_its_condition_holds(
        wizard: Wizard, client: FlaskClient, app: Flask) -> None:
    wizard.start("existing")
    response = wizard.post_step("community", {k: v for k, v in HUNTINGTON["community"].items()
                                              if k != "existing-program"},
                                query="")
    assert response.status_code == 303
    page = client.get(wizard.url("/step/community/2"))
    assert page.status_code == 200 and "Which pathways does your program run" in page.text
    assert "Answer only if" not in page.text
    assert "<title>Step 1 of 8: Your community, part 2 of 2" in page.text
    saved = client.post(wizard.url("/step/community/2"), data={
        "running-pathways": ["self-referral", "naloxone-plus"], "csrf_token": csrf_of(page.text)})
    assert saved.status_code == 303 and saved.location.endswith("/step/problems")
    assert wizard.saved()["running-pathways"] == ["self-referral", "naloxone-plus"]
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and "community" in row.done


def test_a_new_program_never_sees_the_follow_up_page(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    first = client.post(wizard.url("/step/community"), data={
        **{k: v for k, v in HUNTINGTON["community"].items() if k != "existing-program"},
        "csrf_token": csrf_of(client.get(wizard.url("/step/community")).text)})
    assert first.status_code == 303 and first.location.endswith("/step/problems")
    skipped = client.get(wizard.url("/step/community/2"))
    assert skipped.status_code == 303 and skipped.location.endswith("/step/problems")
    posted = client.post(wizard.url("/step/community"), data={
        **HUNTINGTON["community"], "existing-program": "yes", "running-pathways": "self-referral",
        "csrf_token": csrf_of(client.get(wizard.url("/step/community")).text)})
    assert posted.status_code == 303
    saved = wizard.saved()
    assert saved["existing-program"] == "no" and "running-pathways" not in saved


def test_missing_required_answer_shows_an_error_summary_and_saves_nothing(
        wizard: Wizard) -> None:
    wizard.start()
    data = {k: v for k, v in HUNTINGTON["community"].items() if k != "state"}
    response = wizard.post_step("community", data)
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert 'href="#q-state"' in response.text
    assert "<title>Error: Step 1 of 8" in response.text
    assert 'value="Huntington"' in response.text  # what was typed is kept on the page
    assert wizard.saved() == {}


def test_dont_know_cannot_be_combined_with_other_choices(wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    before = wizard.saved()
    response = wizard.post_step("partners", {"partners": ["police", "dont-know"]})
    assert response.status_code == 400
    assert "cannot be chosen with other answers" in response.text
    assert wizard.saved() == before


@pytest.mark.parametrize("data", [
    {"state": "atlantis"},
    {"rurality": ["rural", "urban"]},
])
def test_tampered_choice_is_a_400_and_nothing_is_saved(wizard: Wizard, data: dict[str, Any]
                                                       ) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    before = wizard.saved()
    response = wizard.post_step("community", {**HUNTINGTON["community"], "community-name": "X",
                                              **data})
    assert response.status_code == 400
    assert "not one of the choices" in response.text
    assert wizard.saved() == before


def test_tampered_follow_up_choice_is_a_400(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start("existing")
    wizard.post_step("community", {**HUNTINGTON["community"],
                                   "running-pathways": ["self-referral"]})
    before = wizard.saved()
    response = client.post(wizard.url("/step/community/2"), data={
        "csrf_token": csrf_of(client.get(wizard.url("/step/community/2")).text),
        "running-pathways": "teleportation"})
    assert response.status_code == 400
    assert "not one of the choices" in response.text
    assert wizard.saved() == before


def test_unknown_step_is_a_404(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    assert client.get(wizard.url("/step/nope")).status_code == 404
    assert wizard.post_step("community", {}, query="").status_code == 400  # sanity: real step
    response = client.post(wizard.url("/step/nope"), data={})
    assert response.status_code in (400, 404)


def test_text_longer_than_its_limit_is_refused(wizard: Wizard) -> None:
    wizard.start()
    response = wizard.post_step("community", {**HUNTINGTON["community"],
                                              "community-name": "x" * 121})
    assert response.status_code == 400
    assert "120 characters or fewer" in response.text
    assert wizard.saved() == {}


def test_oversized_request_is_a_413_and_nothing_is_saved(wizard: Wizard) -> None:
    wizard.start()
    response = wizard.post_step("partners", {"notes": "x" * 200_000})
    assert response.status_code == 413
    assert "too large" in response.text
    assert wizard.saved() == {}


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_missing_or_wrong_csrf_token_is_refused(wizard: Wizard, token: str | None) -> None:
    wizard.start()
    response = wizard.post_step("community", HUNTINGTON["community"], csrf=token)
    assert response.status_code == 400
    assert "security check" in response.text
    assert wizard.saved() == {}


def test_starting_without_a_csrf_token_creates_nothing(client: FlaskClient, app: Flask) -> None:
    assert client.post("/new").status_code == 400
    assert _rows(app, "select count(*) from interviews") == [(0,)]


@pytest.mark.parametrize("token", ["A" * 43, "short", "not%20a%20token" * 4])
def test_unknown_resume_link_is_a_404_with_a_message(client: FlaskClient, token: str) -> None:
    for path in ("", "/step/community", "/review", "/results"):
        response = client.get(f"/c/{token}{path}")
        assert response.status_code == 404
        assert "could not find answers for this link" in response.text


def test_expired_resume_link_is_a_404_that_says_so(app: Flask, wizard: Wizard,
                                                   client: FlaskClient) -> None:
    wizard.start()
    app.config["RESUME_MAX_AGE_DAYS"] = -1
    response = client.get(wizard.url("/review"))
    assert response.status_code == 404
    assert "expired" in response.text


def test_results_before_the_required_answers_go_to_review(wizard: Wizard,
                                                          client: FlaskClient) -> None:
    wizard.start()
    response = client.get(wizard.url("/results"))
    assert response.status_code == 303
    page = client.get(response.location).text
    assert "Some required questions are not answered yet" in page


def test_review_page_links_each_answer_back_to_its_section(wizard: Wizard,
                                                           client: FlaskClient) -> None:
    wizard.start()
    wizard.complete()
    page = client.get(wizard.url("/review")).text
    assert f"/c/{wizard.token}/step/people?return=review#q-peers-yes" in page


def test_csrf_token_on_the_page_is_accepted(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    token = csrf_of(client.get(wizard.url("/step/goals")).text)
    response = wizard.post_step("goals", {"goals": "easy-entry"}, csrf=token)
    assert response.status_code == 303


def test_an_interview_stored_under_old_questions_is_carried_over(wizard: Wizard, app: Flask,
                                                                 client: FlaskClient) -> None:
    """A community saved under questions version 1 keeps every answer under version 2: the old
    naloxone answer fills the new question, and the next save stamps the current version."""
    wizard.start()
    wizard.complete()
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None
        assert row.questions_version == app.extensions["planner.kb"].questions_version == 2
        old = dict(row.raw_answers)
        assert "naloxone-carry" not in old and old["naloxone"] == "yes"
        row.questions_version = 1  # as every row stored before questions version 2
        db.session().commit()
    from planner.web import state

    kb = app.extensions["planner.kb"]
    number = state.page_of(kb, kb.questions["naloxone-carry"])
    page = client.get(wizard.url("/step/access" + (f"/{number}" if number > 1 else "")))
    assert page.status_code == 200
    # The carried-over answer is shown as given, checked, on the step page.
    assert re.search(r'id="q-naloxone-carry-yes"[^>]*checked', page.text) or re.search(
        r'checked[^>]*id="q-naloxone-carry-yes"', page.text), "carried-over answer not shown"
    response = wizard.post_step("access", {"naloxone": "yes", "naloxone-carry": "yes"})
    assert response.status_code == 303, response.text
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and row.questions_version == 2
        saved = row.raw_answers
    assert {k: saved[k] for k in old} == old
    assert saved["naloxone-carry"] == "yes"


# ------------------------------------------------------------------ Back


def _form_buttons(page: str) -> list[str]:
    form = page.split('<form class="maxw-tablet-lg"', 1)[1].split("</form>", 1)[0]
    return re.findall(r"<button[^>]*>[^<]*</button>|<a [^>]*>Back</a>", form)


def test_back_is_a_button_of_the_form_after_save_and_continue(wizard: Wizard,
                                                              client: FlaskClient) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    buttons = _form_buttons(client.get(wizard.url("/step/problems/2")).text)
    # Enter in a field sends the form's first submit button: Save and continue, not Back.
    assert 'value="continue">Save and continue</button>' in buttons[0], buttons
    back = [b for b in buttons if ">Back<" in b]
    assert back == ['<button class="usa-button usa-button--outline" type="submit" '
                    'name="action" value="back">Back</button>'], buttons
    first = _form_buttons(client.get(wizard.url("/step/community")).text)
    assert not [b for b in first if ">Back<" in b]  # nothing before the first page


def test_back_saves_what_was_typed_without_checking_it(app: Flask, wizard: Wizard,
                                                       client: FlaskClient) -> None:
    """Issue 27: Back was a link, and seven typed answers were lost."""
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    page = client.get(wizard.url("/step/problems/2")).text
    response = client.post(wizard.url("/step/problems/2"), data={
        "csrf_token": csrf_of(page), "action": "back", "homelessness": "many",
        "hot-spots": "yes", "jail-crowding": "no"})
    assert response.status_code == 303, response.text[-3000:]
    assert response.location.endswith("/step/problems")
    saved = wizard.saved()
    assert (saved["homelessness"], saved["hot-spots"], saved["jail-crowding"]) == (
        "many", "yes", "no")
    assert 'value="yes" checked' in client.get(wizard.url("/step/problems/2")).text
    with app.app_context():
        row = db.find(wizard.token)
        assert row is not None and "problems" not in row.done  # a draft, not a finished step
    # A value that cannot be saved (not a number) is left out; the rest is kept.
    page = client.get(wizard.url("/step/people")).text
    response = client.post(wizard.url("/step/people"), data={
        "csrf_token": csrf_of(page), "action": "back", "leadership": "yes",
        "local-peer-wage": "forty"})
    assert response.status_code == 303 and response.location.endswith("/step/treatment")
    saved = wizard.saved()
    assert saved["leadership"] == "yes" and "local-peer-wage" not in saved
