"""A shorter wizard, the same information (issue 29): the role follows the lead agency, the
first goal is chosen among the goals picked, "Don't know" and "No" for the rest of a page,
and the part counter counts the page a follow-up waits on."""

from __future__ import annotations

import re

from webhelpers import HUNTINGTON, Wizard, csrf_of


def _community(role: str | None) -> dict[str, str]:
    given = {k: v for k, v in HUNTINGTON["community"].items() if k != "respondent-role"}
    given["lead-agency"] = "sheriff"
    if role is not None:
        given["respondent-role"] = role
    return given


def test_the_role_is_the_lead_agency_unless_told_otherwise(wizard: Wizard) -> None:
    wizard.start()
    page = wizard.client.get(wizard.url("/step/community")).text
    # The role question is folded away after the lead agency, closed.
    fold = page.index('<details class="planner-folded margin-top-2">')  # closed
    assert page.index('name="lead-agency"') < fold < page.index('name="respondent-role"')
    assert wizard.post_step("community", _community(None)).status_code == 303
    assert wizard.saved()["respondent-role"] == "sheriff"
    # Told otherwise, the role is kept, and the fold opens with it.
    assert wizard.post_step("community", _community("public-health")).status_code == 303
    assert wizard.saved()["respondent-role"] == "public-health"
    page = wizard.client.get(wizard.url("/step/community")).text
    assert '<details class="planner-folded margin-top-2" open>' in page
    # A lead with no matching role (a coalition) leaves the role unanswered.
    wizard.start()
    given = {**_community(None), "lead-agency": "coalition"}
    assert wizard.post_step("community", given).status_code == 303
    assert "respondent-role" not in wizard.saved()


def test_the_first_goal_is_one_of_the_goals_picked(wizard: Wizard) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    wizard.post_step("problems", HUNTINGTON["problems"])
    first = wizard.client.get(wizard.url("/step/goals")).text
    assert "Goals, part 1 of 2" in first  # the follow-up's page is counted before it shows
    assert 'name="primary-goal"' not in first
    response = wizard.client.post(wizard.url("/step/goals"), data={
        "goals": ["fewer-overdoses", "officer-time"], "priority-groups": "none",
        "csrf_token": csrf_of(first)})
    assert response.status_code == 303 and response.location.endswith("/step/goals/2")
    second = wizard.client.get(wizard.url("/step/goals/2")).text
    offered = re.findall(r'name="primary-goal" value="([^"]+)"', second)
    # Only the goals picked, in the question's order, then "Another goal" and "Not decided".
    assert offered == ["fewer-overdoses", "officer-time", "other", "dont-know"]
    # A goal not picked is not offered, so it cannot be sent.
    sent = wizard.client.post(wizard.url("/step/goals/2"), data={
        "primary-goal": "fewer-arrests", "csrf_token": csrf_of(second)})
    assert sent.status_code == 400
    sent = wizard.client.post(wizard.url("/step/goals/2"), data={
        "primary-goal": "fewer-overdoses", "csrf_token": csrf_of(second)})
    assert sent.status_code == 303 and wizard.saved()["primary-goal"] == "fewer-overdoses"


def test_dont_know_the_rest_of_a_page(wizard: Wizard) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    page = wizard.client.get(wizard.url("/step/problems")).text
    assert 'value="dont-know-rest"' in page
    # Save and continue stays the form's first button (Enter sends it).
    buttons = re.findall(r'<button[^>]*type="submit"[^>]*value="([^"]+)"', page)
    assert buttons[0] == "continue" and "dont-know-rest" in buttons
    response = wizard.client.post(wizard.url("/step/problems"), data={
        "overdoses": "many", "action": "dont-know-rest", "csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.location.endswith("/step/problems/2")
    saved = wizard.saved()
    assert saved["overdoses"] == "many"  # an answer given is kept
    assert saved["overdose-deaths"] == "dont-know" and saved["stimulants"] == "dont-know"


def test_no_to_the_rest_of_a_page(wizard: Wizard) -> None:
    """"Answer No to the rest" answers "No" (or "None of these") for each open question
    left blank that offers it; answers given are kept, and a question without a "No",
    folded away or never seen is left alone."""
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    for section in ("problems", "goals", "treatment"):
        wizard.post_step(section, HUNTINGTON[section])
    page = wizard.client.get(wizard.url("/step/people")).text
    buttons = re.findall(r'<button[^>]*type="submit"[^>]*value="([^"]+)"', page)
    assert buttons[0] == "continue" and "no-rest" in buttons  # Enter still continues
    response = wizard.client.post(wizard.url("/step/people"), data={
        "peers": "yes", "responder-training": "few", "action": "no-rest",
        "csrf_token": csrf_of(page)})
    assert response.status_code == 303, response.text[:400]
    saved = wizard.saved()
    assert saved["peers"] == "yes" and saved["responder-training"] == "few"  # kept
    assert saved["clinicians"] == "no" and saved["case-managers"] == "no"
    assert saved["engagement-staff"] == ["none"]  # a tick-all question's "None of these"
    assert "local-peer-wage" not in saved  # a number, folded away: never filled
    # The data page: the optional questions folded away are not answered for the person.
    wizard.post_step("access", HUNTINGTON["access"])
    page = wizard.client.get(wizard.url("/step/data-justice")).text
    response = wizard.client.post(wizard.url("/step/data-justice"), data={
        "overdose-data": "yes", "action": "no-rest", "csrf_token": csrf_of(page)})
    assert response.status_code == 303, response.text[:400]
    saved = wizard.saved()
    assert saved["data-sharing"] == "no" and saved["funding"] == "no"
    for folded in ("exclusions", "alert-sources", "start-month", "count-population"):
        assert folded not in saved, folded
    # A question with no "No" among its options stays blank.
    assert "prosecutor" not in saved and "state-law" not in saved


def test_no_to_the_rest_is_offered_only_where_two_questions_take_no(wizard: Wizard) -> None:
    wizard.start()
    wizard.post_step("community", HUNTINGTON["community"])
    for section in ("problems", "goals", "treatment", "people", "access", "data-justice"):
        wizard.post_step(section, HUNTINGTON[section])
    page = wizard.client.get(wizard.url("/step/partners")).text
    assert 'value="no-rest"' not in page  # no question on it can be answered "No"
