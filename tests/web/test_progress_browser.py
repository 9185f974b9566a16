"""Progress in headless Chromium (issue 31): a consultant records, imports and reads a
community's progress, and goes from the portfolio to it, at 1280x720 and at 320 px wide,
each page audited by axe-core."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, BROWSER_TIMEOUT_MS
from consultanthelpers import PASSWORD
from test_consultant_browser import answers_file, create, sign_in
from test_reflow_browser import check_page
from test_web_browser import audit
from webhelpers import serve

from planner import create_app
from planner.web import accounts

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("progress-browser")]


@pytest.fixture(scope="module")
def progress_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("progress-live")
    app = create_app({
        "SECRET_KEY": "progress-live-secret",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'planner.sqlite3'}",
        "RATE_LIMIT": False,
    })
    with app.app_context():
        accounts.create_user("ann@example.org", PASSWORD, "Ann Consultant")
        accounts.create_user("bob@example.org", PASSWORD, "Bob Consultant")
    with serve(app) as base:
        yield base


CSV = ("period,measure,value\n"
       "2026-01,People contacted,40\n2026-01,Referrals made,20\n"
       "2026-01,People who entered treatment (warm hand-off completed),8\n"
       "2026-02,People contacted,52\n2026-02,Referrals made,21\n"
       "2026-02,People who entered treatment (warm hand-off completed),11\n"
       "2026-03,People contacted,47\n2026-Q1,Repeat overdoses among people contacted,3\n")


def test_a_consultant_records_imports_and_reads_progress(
        browser: Any, progress_server: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  accept_downloads=True)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, progress_server)
    community = create(page, "Huntington")
    with page.expect_download() as download:
        page.click("text=Download the answers (JSON)")
    exported = json.loads(Path(download.value.path()).read_text())
    good = answers_file(tmp_path)
    good.write_text(json.dumps({**exported, "answers": json.loads(good.read_text())["answers"]}))
    page.set_input_files("#import-file", str(good))
    page.click("button:has-text('Check the file')")
    page.click("button:has-text('Import these answers')")
    page.wait_for_selector("h1:has-text('Before and after')")

    page.click("nav[aria-label='Community tools'] >> text=Progress")
    page.wait_for_selector("h1:has-text('Progress on the plan')")
    assert "No values recorded yet." in page.inner_text("main")
    audit(page, "p01-progress-empty")

    page.select_option("#progress-measure", "measure-contacts")
    page.fill("#progress-period", "2026-01")
    page.fill("#progress-value", "-3")
    page.click("button:has-text('Save the value')")
    assert "is negative" in page.inner_text("#error-summary")
    audit(page, "p02-progress-error")

    page.click("text=import a spreadsheet (CSV)")
    audit(page, "p03-import")
    path = tmp_path / "progress.csv"
    path.write_text(CSV)
    page.set_input_files("#progress-file", str(path))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("text=Nothing has been saved yet")
    audit(page, "p04-import-preview")
    page.click("button:has-text('Save these values')")
    page.wait_for_selector("#saved")

    page.select_option("#goal-measure", "measure-contacts")
    page.fill("#goal-baseline", "30")
    page.fill("#goal-target", "45")
    page.click("button:has-text('Save the baseline and target')")
    page.wait_for_selector("#saved")
    main = page.inner_text("main")
    assert "Baseline: 30. Target: 45." in main and "From contact to treatment" in main
    assert "(self-reported)" in main
    page.goto(community + "/progress")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "p05-progress-1280x720.png"))
    audit(page, "p05-progress")

    page.set_viewport_size({"width": 320, "height": 720})
    page.goto(community + "/progress")
    page.screenshot(path=str(ARTIFACTS / "p06-progress-320.png"))
    audit(page, "p06-progress-320")
    # Nothing but the tables' own scroll regions is wider than the screen.
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 320, wide
    # The plan preview's "Progress so far" (charts, their tables, the funnel) reflows too.
    page.goto(community + "/plan#progress")
    page.wait_for_selector("#progress-chart-measure-contacts")
    page.screenshot(path=str(ARTIFACTS / "p06b-plan-progress-320.png"))
    assert check_page(page, "plan preview", "320") == []
    labels = page.evaluate(  # on a phone each cell of a card names its column
        "() => [...document.querySelectorAll('table.progress-summary tbody tr:first-child td')]"
        ".map(td => getComputedStyle(td, '::before').content)")
    assert labels == ["none", '"Baseline: "', '"Target: "', '"Latest period: "',
                      '"Latest value: "', '"Against target: "', '"Periods recorded: "'], labels

    # From the portfolio to the community's progress, at 1280x720 and at 320 px.
    for width, name in ((1280, "p07-portfolio-1280x720"), (320, "p08-portfolio-320")):
        page.set_viewport_size({"width": width, "height": 720})
        page.goto(progress_server + "/portfolio")
        page.wait_for_selector("h1:has-text('Portfolio')")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        audit(page, name)
        page.click("a:has-text('March 2026: 1 of 1 target met')")
        page.wait_for_selector("h1:has-text('Progress on the plan')")
        assert page.url.endswith("/progress")
    context.close()


def test_an_organization_is_set_up_from_the_web_and_read_by_its_supervisor(
        browser: Any, progress_server: str) -> None:
    """Ann creates an organization and adds Bob; Bob accepts and creates a community; Ann
    opens it read-only from the portfolio. Each page at 320 px (no sideways scroll) and at
    1280x720, audited by axe-core."""
    ann_ctx = browser.new_context(viewport={"width": 320, "height": 720})
    ann_ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    ann = ann_ctx.new_page()
    sign_in(ann, progress_server)
    ann.goto(progress_server + "/organization")
    ann.fill("#org-name", "Acme Technical Assistance")
    ann.click("button:has-text('Create the organization')")
    ann.wait_for_selector("#saved")
    ann.fill("#member-email", "bob@example.org")
    ann.click("button:has-text('Add to the organization')")
    ann.wait_for_selector("text=They join once they accept")
    problems = []
    for width, name in ((320, "o01-organization-320"), (1280, "o02-organization-1280x720")):
        ann.set_viewport_size({"width": width, "height": 720})
        ann.goto(progress_server + "/organization")
        problems += check_page(ann, name, str(width))
        audit(ann, name)
    assert "Invited, not accepted yet" in ann.inner_text("main")

    bob_ctx = browser.new_context(viewport={"width": 320, "height": 720})
    bob_ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    bob = bob_ctx.new_page()
    bob.goto(progress_server + "/dashboard")
    bob.fill("#email", "bob@example.org")
    bob.fill("#password", PASSWORD)
    bob.click("button:has-text('Sign in')")
    bob.wait_for_selector("h1:has-text('Your communities')")
    create(bob, "Bobville")
    bob.goto(progress_server + "/organization")
    problems += check_page(bob, "o03-invitation-320", "320")
    audit(bob, "o03-invitation-320")
    bob.click("button:has-text('Accept and join')")
    bob.wait_for_selector("text=You joined the organization.")
    bob_ctx.close()

    ann.set_viewport_size({"width": 320, "height": 720})
    ann.goto(progress_server + "/portfolio")
    ann.click("a:has-text('Bobville')")
    ann.wait_for_selector("h1:has-text('Progress on the plan')")
    assert "/c/s" in ann.url and "Read-only" in ann.inner_text("main")
    assert ann.locator("form[method='post'][action*='/c/']").count() == 0
    problems += check_page(ann, "o04-read-only-progress-320", "320")
    audit(ann, "o04-read-only-progress-320")
    ann_ctx.close()
    assert problems == [], problems
