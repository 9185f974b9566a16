"""Consultant workflows in headless Chromium, each page audited by axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BROWSER_TIMEOUT_MS
from consultanthelpers import PASSWORD
from test_web_browser import audit, fill_section
from webhelpers import HUNTINGTON, serve

from planner import create_app
from planner.web import accounts

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("consultant-browser")]  # one server

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def consultant_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live app with two consultant accounts."""
    folder = tmp_path_factory.mktemp("consultant-live")
    app = create_app({
        "SECRET_KEY": "consultant-live-secret",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'planner.sqlite3'}",
        # One browser sends every test's requests from one address; walking the wizard page
        # by page passes the per-client write limit (limits have their own tests).
        "RATE_LIMIT": False,
    })
    with app.app_context():
        accounts.create_user("ann@example.org", PASSWORD, "Ann Consultant")
        accounts.create_user("cy@example.org", PASSWORD, "Cy Consultant")
    with serve(app) as base:
        yield base


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/dashboard")
    page.fill("#email", "ann@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Your communities')")


def create(page: Any, name: str) -> str:
    page.fill("#name", name)
    page.click("button:has-text('Create community')")
    page.wait_for_selector("summary:has-text('Show the private link')")
    return str(page.url).rsplit("/manage", 1)[0]


def answers_file(tmp_path: Path) -> Path:
    flat = {q: v for section in HUNTINGTON.values() for q, v in section.items()}
    path = tmp_path / "huntington.json"
    path.write_text(json.dumps({"format": "deflection-planner-answers", "version": 1,
                                "questions_version": 1, "answers": flat}))
    return path


def test_a_consultant_signs_in_creates_imports_notes_overrides_and_compares(
        context: Any, consultant_server: str, tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(consultant_server + "/sign-in")
    page.fill("#email", "ann@example.org")
    page.fill("#password", "wrong password!")
    page.click("button:has-text('Sign in')")
    assert "The email or password is wrong." in page.inner_text("#error-summary")
    audit(page, "c01-sign-in-error")
    sign_in(page, consultant_server)
    audit(page, "c02-dashboard-empty")
    community = create(page, "Huntington")
    audit(page, "c03-manage")

    # Export the empty answers to learn the file's format, then import a full file.
    with page.expect_download() as download:
        page.click("text=Download the answers (JSON)")
    exported = json.loads(Path(download.value.path()).read_text())
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    page.set_input_files("#import-file", str(bad))
    page.click("button:has-text('Check the file')")
    assert "not valid JSON" in page.inner_text("main")
    audit(page, "c04-import-error")
    page.go_back()
    good = answers_file(tmp_path)
    data = json.loads(good.read_text())
    good.write_text(json.dumps({**exported, "answers": data["answers"]}))
    page.set_input_files("#import-file", str(good))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("text=would change")
    audit(page, "c05-import-confirm")
    page.click("button:has-text('Import these answers')")
    page.wait_for_selector("h1:has-text('Before and after')")
    assert "Before import" in page.inner_text("main")
    audit(page, "c06-compare-import")

    page.goto(community + "/notes")
    page.fill("#note-treatment", "Wait times confirmed with the county.")
    page.click("button:has-text('Save notes')")
    page.wait_for_selector("text=Notes saved.")
    audit(page, "c07-notes")
    page.goto(community + "/step/treatment")  # the same note, on its section's page
    assert page.input_value("#section-note") == "Wait times confirmed with the county."
    page.fill("#section-note", "Wait times confirmed with the county. Two providers.")
    audit(page, "c07b-step-note")
    page.click("button[value=continue]")
    page.goto(community + "/notes")
    assert page.input_value("#note-treatment") == (
        "Wait times confirmed with the county. Two providers.")

    page.goto(community + "/overrides")
    page.fill("#weight-weight", "99")
    page.fill("#weight-reason", "Testing the limits")
    page.click("button:has-text('Override the weight')")
    page.wait_for_selector("#error-summary")
    audit(page, "c08-override-error")
    page.select_option("#result-pathway", "self-referral")
    page.fill("#result-reason", "The council funds walk-in help first.")
    page.click("button:has-text('Override the result')")
    page.wait_for_selector("text=Override saved.")
    audit(page, "c09-overrides")

    page.goto(community + "/results")
    assert "Chosen by your consultant: Self-Referral" in page.inner_text("main")
    assert "The model ranked Naloxone Plus first" in page.inner_text("#recommendation")
    assert "The council funds walk-in help first." in page.inner_text("#consultant-notes ~ ul")
    audit(page, "c10-results-with-notes")
    page.goto(community + "/plan")
    body = page.inner_text("body")
    assert "Wait times confirmed with the county. Two providers." in body
    assert "Reason: The council funds walk-in help first." in body

    page.goto(community + "/versions")
    page.fill("#label", "Before the site visit")
    page.click("button:has-text('Save a version')")
    page.wait_for_selector("text=saved.")
    audit(page, "c11-versions")
    page.goto(community + "/step/access")
    if not page.locator("label[for='q-naloxone-no']").count():  # on the section's next page
        page.goto(community + "/step/access/2")
    page.check("label[for='q-naloxone-no']")
    page.click("button[value=continue]")
    page.goto(community + "/versions")
    page.click("text=With the current answers >> nth=0")  # versions list newest first
    page.wait_for_selector("#changed-answers")
    assert "1 answer changed" in page.inner_text("#changed-answers")
    assert "Naloxone Plus" in page.inner_text("#ranking-moves")
    audit(page, "c12-compare")

    page.goto(community + "/audit")
    assert "Ann Consultant" in page.inner_text("main")
    audit(page, "c13-audit")
    page.goto(consultant_server + "/dashboard")
    assert "Naloxone Plus" in page.inner_text("main") or "Self-Referral" in page.inner_text("main")
    audit(page, "c14-dashboard")
    page.click("button:has-text('Sign out')")
    page.goto(community + "/manage")
    assert "Page not found" in page.title()


def test_respondents_disagree_and_the_consultant_settles(
        browser: Any, context: Any, consultant_server: str) -> None:
    page = context.new_page()
    sign_in(page, consultant_server)
    community = create(page, "Twin Rivers")
    page.goto(community + "/respondents")
    links = []
    for role, wait in (("police", "within-week"), ("treatment", "longer")):
        page.select_option("#role", role)
        page.click("button:has-text('Create an invitation link')")
        page.click("summary:has-text('private link')")
        page.wait_for_selector("#respondent-link")
        links.append((page.input_value("#respondent-link"), wait))
    audit(page, "c15-respondents")
    for link, wait in links:
        other = browser.new_context(viewport={"width": 1280, "height": 720})
        respondent = other.new_page()
        respondent.set_default_timeout(BROWSER_TIMEOUT_MS)
        respondent.goto(link)
        assert re.search(r"It takes about \d+ minutes\.", respondent.inner_text("main"))
        start = respondent.locator("a:has-text('Start')").bounding_box()
        assert start and start["y"] + start["height"] <= 720  # above the fold on a projector
        if wait == "within-week":
            audit(respondent, "c15a-respondent-welcome")
        respondent.click("a:has-text('Start')")
        for section, answers in HUNTINGTON.items():
            fill = {q: v for q, v in answers.items()
                    if q not in {"respondent-role", "community-name"}}
            if section == "treatment":
                fill["treatment-wait"] = wait
            while True:  # each page of the section (up to 7 questions a page)
                respondent.wait_for_selector("h1.usa-step-indicator__heading")
                fill_section(respondent, fill)
                respondent.click("button[value=continue]")
                respondent.wait_for_load_state()
                if f"/step/{section}/" not in respondent.url:
                    break
        respondent.wait_for_selector("text=Review your answers")
        respondent.click("a:has-text('Finish') >> nth=0")
        respondent.wait_for_selector("h1:has-text('your answers are saved')")
        assert "Fit score" not in respondent.inner_text("main")
        if wait == "within-week":
            audit(respondent, "c15b-respondent-finished")
        other.close()
    page.reload()
    divergence = page.inner_text("#div-treatment-wait")
    assert "Police: Within a week" in divergence
    assert "Treatment provider: Longer than a week" in divergence
    audit(page, "c16-divergence")
    page.check("#div-treatment-wait .usa-radio >> nth=2 >> label")
    page.click("button:has-text('Save the agreed answers')")
    page.wait_for_selector("text=agreed answer(s) saved")
    audit(page, "c17-settled")
    page.goto(community + "/review")
    assert "Longer than a week" in page.inner_text("main")


def test_a_program_adds_a_pathway_end_to_end(context: Any, consultant_server: str) -> None:
    scenario = yaml.safe_load((SCENARIOS / "plymouth-adds-pathway.yaml").read_text())
    page = context.new_page()
    page.goto(consultant_server + "/")
    page.click("text=Add a pathway to a program")
    sections: list[str] = []
    while True:
        page.wait_for_selector("h1")
        if "Review your answers" in page.title():
            break
        section = str(page.url).split("/step/")[1].split("?")[0]
        sections.append(section)
        here = {q: v for q, v in scenario["answers"].items()
                if page.locator(f"[name='{q}']").count()}
        fill_section(page, {q: v for q, v in here.items() if q != "existing-program"})
        page.click("button[value=continue]")
    page.click("text=See your results >> nth=0")
    page.wait_for_selector("#add-pathway")
    assert "Already running: Naloxone Plus" in page.inner_text("main")
    box = page.inner_text("section[aria-labelledby=add-pathway]")
    for text in ("Builds on what you have:", "New partners:", "New tasks:",
                 "New data and measures:"):
        assert text in box
    audit(page, "c18-add-pathway-results")
    page.click("text=Preview the plan")
    page.wait_for_load_state()
    assert "What adding it to your program takes" in page.inner_text("body")


def test_a_consultant_changes_the_password_with_the_keyboard(
        context: Any, consultant_server: str) -> None:
    page = context.new_page()
    page.goto(consultant_server + "/dashboard")
    page.fill("#email", "cy@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Your communities')")
    page.click("text=Change password")
    page.wait_for_selector("h1:has-text('Change your password')")
    audit(page, "c20-password")
    page.focus("#current")
    page.keyboard.type("not the password")
    page.keyboard.press("Tab")
    page.keyboard.type("a brand new passphrase")
    page.keyboard.press("Tab")
    page.keyboard.type("a brand new passphrase")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "The current password is wrong." in page.inner_text("#error-summary")
    audit(page, "c21-password-error")
    page.fill("#current", PASSWORD)
    page.fill("#new", "a brand new passphrase")
    page.fill("#confirm", "a brand new passphrase")
    page.click("button:has-text('Change password')")
    page.wait_for_selector("text=Your password was changed")
    audit(page, "c22-password-changed")
