"""A shorter wizard, the same information (issue 29): the role follows the lead agency, the
first goal is chosen among the goals picked, "Don't know the rest of this page", and the
part counter counts the page a follow-up waits on."""

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
