"""The finish of issue 17 without a browser: the override headline, the respondent's
welcome, the override page's rules, links once, the private link on request, the favicon
and the home page's description."""

from __future__ import annotations

import html
import re
from collections import Counter

from consultanthelpers import complete, create_community, page_csrf
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner.engine import answers as core
from planner.engine import effort
from planner.web import workspace

REASON = "The council funds walk-in help first."


def text_of(page: str) -> str:
    """The page's text, tags removed, whitespace collapsed."""
    words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    return re.sub(r" ([,.;:)])", r"\1", words)


def choose_self_referral(ann: FlaskClient, key: str) -> None:
    response = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": page_csrf(ann, f"/c/{key}/overrides"), "kind": "result",
        "pathway": "self-referral", "reason": REASON})
    assert response.status_code == 303, response.text


def test_after_an_override_the_headline_says_who_chose_why_and_what_the_model_ranked_first(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    before = text_of(ann.get(f"/c/{key}/results").text)
    assert re.search(r"(Best fit to start with|Leading so far): Naloxone Plus", before)
    assert "Chosen by your consultant" not in before
    choose_self_referral(ann, key)

    results = text_of(ann.get(f"/c/{key}/results").text)
    headline = results.split("How the pathways rank")[0]
    assert "Chosen by your consultant: Self-Referral" in headline
    assert f"Ann Consultant chose Self-Referral to start with, for this reason: {REASON}" \
        in headline
    assert re.search(r"The model ranked Naloxone Plus first \(Strong fit, \d+ out of 100\)",
                     headline)
    assert "Best fit to start with" not in results and "Leading so far" not in results

    plan = text_of(ann.get(f"/c/{key}/plan").text)
    brief = plan.split("Council brief", 2)[2]
    assert (f"Start with Self-Referral, chosen by Ann Consultant (a consultant's override "
            f"of the result) for this reason: {REASON}") in brief
    assert re.search(r"The model ranked Naloxone Plus first \(strong fit, \d+ of 100\)", brief)


def test_a_respondent_link_opens_a_welcome_then_start_goes_to_the_first_question(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann, name="Twin Rivers")
    ann.post(f"/c/{key}/respondents", data={"csrf_token": page_csrf(ann, f"/c/{key}/respondents"),
                                            "role": "police", "name": "Chief Ortiz"})
    found = re.search(r"/c/([A-Za-z0-9_-]{40,64})", ann.get(f"/c/{key}/respondents").text)
    assert found
    respondent = Wizard(app, app.test_client())
    respondent.token = found.group(1)
    page = respondent.client.get(respondent.url())
    assert page.status_code == 200
    words = text_of(page.text)
    kb = app.extensions["planner.kb"]
    minutes = effort.minutes_left(kb, {"community-name": "Twin Rivers",
                                       "respondent-role": "police"}, "new")
    for expected in ("Twin Rivers asks for your view",
                     "Ann Consultant, the consultant supporting Twin Rivers, invited you",
                     "to answer as: Police", "Why we ask", f"It takes about {minutes} minutes",
                     "What happens to your answers", "You will not see a score here"):
        assert expected in words, expected
    start = re.search(r'href="([^"]+)">Start</a>', page.text)
    assert start and "/step/community" in start.group(1)
    # Someone who has answered a step is offered to continue instead.
    sent = respondent.post_step("community", {**HUNTINGTON["community"],
                                              "community-name": "Twin Rivers",
                                              "respondent-role": "police"})
    assert sent.status_code == 303, sent.text
    again = respondent.client.get(respondent.url()).text
    assert "Continue where you left off" in again
    # The consultant's own link (and a community's) still goes straight to the questions.
    assert ann.get(f"/c/{key}").status_code == 303


def test_a_respondents_minutes_count_only_the_questions_left(app: Flask) -> None:
    kb = app.extensions["planner.kb"]
    everything = effort.minutes_left(kb, {}, "new")
    assert everything == effort.estimate(kb, "new").minutes_low
    one_left = {q.id: "x" for q in core.asked_questions(kb, {})[1:]}
    assert effort.minutes_left(kb, one_left, "new") == effort.MINUTES_STEP


def test_the_override_page_groups_rules_by_pathway_with_plain_labels_and_reasons(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    page = ann.get(f"/c/{key}/overrides").text
    kb = app.extensions["planner.kb"]
    groups = re.findall(r"<summary class=\"text-bold\">([^<]+) \((\d+) rules?\)</summary>", page)
    assert [g[0] for g in groups] == [p.label for p in kb.pathways.values()
                                      if any(r.pathway == p.id for r in kb.rules)]
    assert sum(int(n) for _, n in groups) == len(kb.rules)
    words = text_of(page)
    for rule in kb.rules:
        assert f'value="{rule.id}"' in page
        assert html.unescape(workspace.rule_label(kb, rule)) in words
        assert " ".join(rule.rationale.split()) in words
    # No raw id is shown as a label: ids appear only as form values and element ids.
    visible = text_of(re.sub(r'(value|id|for)="[^"]*"', "", page))
    assert not [r.id for r in kb.rules if re.search(rf"\b{re.escape(r.id)}\b", visible)]
    # Saving without choosing a rule says so.
    response = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": page_csrf(ann, f"/c/{key}/overrides"), "kind": "weight", "weight": "3",
        "reason": "Testing"})
    assert response.status_code == 400
    assert "Choose the rule whose weight you want to change." in response.text


def test_the_results_page_links_each_resource_once(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    page = ann.get(f"/c/{key}/results").text
    external = re.findall(r'<a class="usa-link usa-link--external" href="([^"]+)"', page)
    assert external, "the results link to resources"
    counts = Counter(external)
    assert [u for u, n in counts.items() if n > 1] == []
    assert "(linked below)" in page  # a gap's help names a resource linked further down


def test_a_new_communitys_private_link_is_in_a_closed_disclosure_with_copy_and_email(
        app: Flask, ann: FlaskClient) -> None:
    response = ann.post("/dashboard/new", data={
        "csrf_token": page_csrf(ann, "/dashboard"), "name": "Lakeview"})
    page = ann.get(response.location).text
    details = re.search(r'<details class="planner-private-link[^"]*" id="resume-link-details">'
                        r"(.*?)</details>", page, re.S)
    assert details, "the link sits in a <details> (closed: no open attribute)"
    inner = details.group(1)
    token = re.search(r'id="resume-link" type="text" readonly value="([^"]+)"', inner)
    assert token and "/c/" in token.group(1)
    assert page.count(token.group(1)) == 1  # nowhere else on the page
    assert "Show the private link" in inner
    assert 'data-copy="resume-link" hidden' in inner  # JavaScript reveals the button
    mail = re.search(r'href="mailto:([^"?]*)\?subject=[^"&]+&amp;body=([^"]+)"', inner)
    assert mail and html.unescape(mail.group(1)).replace("%40", "@") == "ann@example.org"
    assert token.group(1).split("/c/")[1] in mail.group(2)


def test_the_current_tool_is_a_filled_button_the_others_outlined(ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    page = ann.get(f"/c/{key}/versions").text
    tools = re.findall(r'<a class="(usa-button[^"]*)" href="[^"]+"( aria-current="page")?>'
                       r"([^<]+)</a>", page)
    assert len(tools) == 10  # with Progress and Hand over (issue 31)
    for classes, current, label in tools:
        assert bool(current) == (label == "Versions")
        assert ("usa-button--outline" in classes) == (label != "Versions")


def test_the_favicon_is_served_and_the_home_page_has_a_description(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/x-icon" and icon.data[:4] == b"\0\0\1\0"
    home = client.get("/").text
    assert re.search(r'<meta name="description" content="[^"]{50,}">', home)
    assert re.search(r'<link rel="icon" href="/static/app-[0-9a-f]+/favicon.ico"', home)
