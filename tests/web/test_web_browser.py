"""End to end in headless Chromium: the whole journey, audited by axe-core on every page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ARTIFACTS, AXE, BROWSER_TIMEOUT_MS
from webhelpers import HUNTINGTON

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RENDER_WAIT_MS = 120_000


def audit(page: Any, name: str) -> None:
    """Keep a screenshot of the page and fail on any axe-core WCAG 2.1 A/AA violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        AXE_TAGS,
    )
    assert violations == [], f"{name}: " + json.dumps(violations, indent=2)


def choose(page: Any, input_id: str) -> None:
    """Tick a USWDS radio or checkbox by its label (the input itself is visually hidden)."""
    page.check(f"label[for='{input_id}']")


def fill_section(page: Any, answers: dict[str, Any]) -> None:
    """Fill the answers whose fields are on this page (a section may have several pages)."""
    for qid, value in answers.items():
        if not page.locator(f"[name='{qid}']").count():
            continue
        if page.locator(f"details.planner-folded:not([open]) [name='{qid}']").count():
            if answers.get("lead-agency") == value:
                continue  # folded away, the role follows the lead agency
            page.click("details.planner-folded > summary")
        if isinstance(value, list):
            for option in value:
                choose(page, f"q-{qid}-{option}")
        elif page.locator(f"select[id='q-{qid}']").count():
            page.select_option(f"#q-{qid}", value)
        elif page.locator(f"[id='q-{qid}-{value}']").count():
            choose(page, f"q-{qid}-{value}")
        else:
            page.fill(f"#q-{qid}", value)


def test_a_new_community_completes_the_journey(browser: Any, context: Any,
                                               live_server: str) -> None:
    page = context.new_page()
    page.goto(live_server + "/")
    audit(page, "01-start")
    page.click("text=Start a new plan")

    unsure = {**HUNTINGTON, "problems": {**HUNTINGTON["problems"], "homelessness": "dont-know"}}
    for number, (section, answers) in enumerate(unsure.items(), start=1):
        part = 1
        while True:
            page.wait_for_selector("h1.usa-step-indicator__heading")
            assert f"Step {number} of 8" in page.title()
            audit(page, f"02-step-{number}-{section}" + (f"-part-{part}" if part > 1 else ""))
            if number == 1:  # "why we ask" is one tap away, closed until asked for
                why = page.locator("details.planner-why >> nth=0")
                assert not why.evaluate("d => d.open")
                why.locator("summary").click()
                assert why.evaluate("d => d.open")
            fill_section(page, answers)
            page.click("button[value=continue]")
            page.wait_for_load_state()
            if f"/step/{section}/" not in page.url:
                break
            part += 1

    page.wait_for_selector("text=Review your answers")
    assert "Review your answers" in page.title()
    assert "Worth finding out before your next meeting" in page.inner_text("#finding-out")
    audit(page, "03-review")
    resume = page.input_value("#resume-link")
    assert resume.startswith(live_server + "/c/")

    other = browser.new_context()
    fresh = other.new_page()
    fresh.goto(resume)
    assert "Review your answers" in fresh.title()
    body = fresh.inner_text("main")
    for text in ("Huntington", "West Virginia", "Often, several a week or more",
                 "Peer recovery organization", "Quick response team visits within 72 hours."):
        assert text in body, text
    fresh.click("text=Change your answer to: Which kind of organization do you answer for?")
    assert "return=review" in fresh.url
    # The role, folded under the lead agency, is open when a person comes to change it.
    assert fresh.locator("details.planner-folded").evaluate("d => d.open")
    choose(fresh, "q-respondent-role-police")
    fresh.click("text=Save and return to review")
    fresh.wait_for_selector("text=Check your answers")
    body = fresh.inner_text("main")
    assert "Police department" in body
    assert "Huntington" in body and "Often, several a week or more" in body
    other.close()

    page.reload()
    page.click("text=See your results >> nth=0")
    page.wait_for_selector("#ranking")
    assert page.inner_text("#pathway-naloxone-plus").startswith("1. Naloxone Plus")
    audit(page, "04-results")

    page.click("summary:has-text('Problems to solve')")
    choose(page, "w-overdoses-few")
    page.click("summary:has-text('Data, agreements')")
    choose(page, "w-overdose-data-no")
    page.click("text=Re-score with these answers")
    page.wait_for_selector("#what-if-result")
    assert "New ranking beside your saved ranking" in page.inner_text("#what-if-result")
    audit(page, "05-what-if")

    # A PDF render takes seconds on a busy 2-core machine: wait for it, however long.
    with page.expect_download(timeout=RENDER_WAIT_MS) as download:
        page.click("text=Download the plan (PDF)", timeout=RENDER_WAIT_MS)
    assert download.value.suggested_filename.endswith(".pdf")
    page.click("text=Preview the plan")
    page.wait_for_load_state()
    assert "Naloxone Plus in practice" in page.inner_text("body")
    audit(page, "06-plan-preview")


def test_errors_are_summarised_focused_and_accessible(context: Any, live_server: str) -> None:
    page = context.new_page()
    page.goto(live_server + "/")
    page.click("text=Start a new plan")
    page.wait_for_selector("h1.usa-step-indicator__heading")
    page.click("button[value=continue]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.title().startswith("Error: ")
    audit(page, "07-step-errors")
    page.click("#error-summary a >> nth=0")
    assert page.evaluate("() => document.activeElement.id") == "q-community-name"

    page.goto(live_server + "/c/" + "x" * 43 + "/review")
    assert "could not find answers" in page.inner_text("main")
    audit(page, "08-error-page")
    page.goto(live_server + "/consultant")
    audit(page, "09-consultant")


def test_back_keeps_what_was_typed_without_javascript(browser: Any, live_server: str) -> None:
    """Issue 27: Back saves the page as a draft (a button of the form, so no script is
    needed) and goes to the previous page; it is reached and pressed from the keyboard."""
    ctx = browser.new_context(java_script_enabled=False)
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page = ctx.new_page()
        page.goto(live_server + "/")
        page.click("text=Start a new plan")
        page.wait_for_selector("h1.usa-step-indicator__heading")
        fill_section(page, HUNTINGTON["community"])
        while "/step/problems" not in page.url:
            with page.expect_navigation():
                page.click("button[value=continue]")
        here = page.url
        choose(page, "q-overdoses-many")
        choose(page, "q-overdose-deaths-rising")
        page.focus("button[value=back]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url != here and "/step/community" in page.url
        page.goto(here)
        assert page.is_checked("#q-overdoses-many") and page.is_checked("#q-overdose-deaths-rising")
    finally:
        ctx.close()


def test_pages_fit_a_phone_screen(browser: Any, live_server: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 812})
    page = ctx.new_page()
    page.goto(live_server + "/")
    audit(page, "10-phone-start")
    page.click("text=Start a new plan")
    page.wait_for_selector("h1.usa-step-indicator__heading")
    audit(page, "11-phone-step")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    ctx.close()
