"""Every page reflows (WCAG 1.4.10) at 320 CSS px and at 1280x720 zoomed to 200%, the current
tool looks current, and a new community's private link stays hidden until asked for.

Screenshots of every page at phone (375x812), projector (1280x720) and projector at 200% zoom
(a 640x360 CSS viewport drawn at 1280x720) are kept in test-artifacts/screenshots/reflow/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, BROWSER_TIMEOUT_MS
from consultanthelpers import PASSWORD
from test_consultant_browser import answers_file, create, sign_in
from test_web_browser import audit
from webhelpers import serve

from planner import create_app
from planner.web import accounts

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("reflow")]  # one worker, one server

SHOTS = ARTIFACTS / "reflow"
# name -> (viewport, device scale factor, screenshot: None, "viewport" or "full")
SIZES: dict[str, tuple[dict[str, int], int, str | None]] = {
    "w320": ({"width": 320, "height": 640}, 1, None),
    "zoom200": ({"width": 640, "height": 360}, 2, "viewport"),
    "phone": ({"width": 375, "height": 812}, 1, "full"),
    "projector": ({"width": 1280, "height": 720}, 1, "viewport"),
}

# What sticks out of the viewport, outside any scroll container; and scroll containers
# that scroll but cannot be reached by keyboard or have no name.
OVERFLOW_JS = """
() => {
  const vw = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !clipped(el)) {
      wide.push(describe(el) + ' right=' + Math.round(r.right));
    }
  }
  const loose = [];
  for (const el of document.body.querySelectorAll('*')) {
    const o = getComputedStyle(el).overflowX;
    if ((o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!(el.tabIndex >= 0 && named && el.getAttribute('role') === 'region')) {
        loose.push(describe(el));
      }
    }
  }
  return {viewport: vw, scrollWidth: document.documentElement.scrollWidth,
          wide: wide.slice(0, 8), loose: loose};
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("reflow-live")
    app = create_app({
        "SECRET_KEY": "reflow-live-secret",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'planner.sqlite3'}",
        "RATE_LIMIT": False,
    })
    with app.app_context():
        accounts.create_user("ann@example.org", PASSWORD, "Ann Consultant")
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def site(browser: Any, server: str, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Any]:
    """A community with answers, a note, an override, a version and a respondent; a public
    plan; the signed-in browser state. Returns the pages to visit."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = ctx.new_page()
    sign_in(page, server)
    community = create(page, "Huntington and Cabell County")
    key = community.rsplit("/", 1)[1]
    with page.expect_download() as download:
        page.click("text=Download the answers (JSON)")
    exported = json.loads(Path(download.value.path()).read_text())
    good = answers_file(tmp_path_factory.mktemp("reflow-files"))
    good.write_text(json.dumps({**exported, "answers": json.loads(good.read_text())["answers"]}))
    page.set_input_files("#import-file", str(good))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("text=would change")
    page.click("button:has-text('Import these answers')")
    page.wait_for_selector("h1:has-text('Before and after')")
    page.goto(community + "/notes")
    page.fill("#note-treatment", "Wait times confirmed with the county.")
    page.click("button:has-text('Save notes')")
    page.goto(community + "/overrides")
    page.select_option("#result-pathway", "self-referral")
    page.fill("#result-reason", "The council funds walk-in help first.")
    page.click("button:has-text('Override the result')")
    page.wait_for_selector("text=Override saved.")
    page.goto(community + "/versions")
    page.fill("#label", "Before the site visit")
    page.click("button:has-text('Save a version')")
    page.wait_for_selector("text=saved.")
    page.goto(community + "/respondents")
    page.select_option("#role", "police")
    page.fill("#respondent-name", "Chief of the Huntington Police Department")
    page.click("button:has-text('Create an invitation link')")
    respondent = page.input_value("#respondent-link")
    signed_in = ctx.storage_state()

    public = browser.new_context(viewport={"width": 1280, "height": 900})
    anon = public.new_page()
    anon.goto(server + "/")
    anon.click("text=Start a new plan")
    anon.wait_for_selector("h1.usa-step-indicator__heading")
    public_step = anon.url
    token = public_step.split("/c/")[1].split("/")[0]
    public.close()

    page.goto(community + "/review")
    steps = sorted({href.split("/step/")[1].split("?")[0].split("#")[0] for href in
                    page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)")
                    if "/step/" in href})
    ctx.close()
    consultant = {
        "dashboard": "/dashboard",
        "manage": f"/c/{key}/manage",
        **{f"step-{s}": f"/c/{key}/step/{s}" for s in steps},
        "review": f"/c/{key}/review",
        "results": f"/c/{key}/results",
        # Its two tables (one of them a form) stack into cards on a phone (found at 461 px
        # wide in a 375 px viewport on 2026-12-05, when this page was not yet listed here).
        "sizing": f"/c/{key}/sizing",
        "progress": f"/c/{key}/progress",
        "progress-import": f"/c/{key}/progress/import",
        "hand-over": f"/c/{key}/hand-over",
        "plan-preview": f"/c/{key}/plan",
        "notes": f"/c/{key}/notes",
        "overrides": f"/c/{key}/overrides",
        "versions": f"/c/{key}/versions",
        "compare": f"/c/{key}/compare?from=1&to=current",
        "respondents": f"/c/{key}/respondents",
        "audit": f"/c/{key}/audit",
        "account-password": "/account/password",
    }
    anonymous = {
        "home": "/",
        "sign-in": "/sign-in",
        "consultant-start": "/consultant",
        "public-step-1": public_step.replace(server, ""),
        "public-review": f"/c/{token}/review",
        "public-saved": f"/c/{token}/saved",
        "respondent-welcome": respondent.replace(server, ""),
        "not-found": "/c/" + "x" * 43 + "/review",
    }
    assert len(steps) >= 8, steps
    return {"state": signed_in, "consultant": consultant, "anonymous": anonymous}


def check_page(page: Any, name: str, size: str) -> list[str]:
    """Problems on the page as shown: sideways scroll, or a scroll region without a name."""
    found = page.evaluate(OVERFLOW_JS)
    problems = []
    if found["scrollWidth"] > found["viewport"] or found["wide"]:
        problems.append(f"{name} at {size}: page {found['scrollWidth']} px wide in a "
                        f"{found['viewport']} px viewport; sticking out: {found['wide']}")
    if found["loose"]:
        problems.append(f"{name} at {size}: scrolling without a focusable, named region: "
                        f"{found['loose']}")
    return problems


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_reflows_without_sideways_scrolling(browser: Any, server: str,
                                                       site: dict[str, Any], size: str) -> None:
    viewport, scale, shot = SIZES[size]
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for who in ("consultant", "anonymous"):
        ctx = browser.new_context(viewport=viewport, device_scale_factor=scale,
                                  storage_state=site["state"] if who == "consultant" else None)
        ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
        page = ctx.new_page()
        for name, path in site[who].items():
            page.goto(server + path)
            page.wait_for_load_state("load")
            problems += check_page(page, name, size)
            # What a <details> folds away reflows too (the private link with its Copy and
            # Email buttons, the tools menu, the sections below a step): open them all.
            if page.evaluate("() => { const c = document.querySelectorAll('details:not([open])');"
                             " c.forEach(d => { d.open = true; }); return c.length; }"):
                problems += check_page(page, name + " (every <details> open)", size)
            if shot:
                page.screenshot(path=str(SHOTS / f"{name}--{size}.png"), full_page=shot == "full")
            if size == "zoom200" and name.startswith(("step-", "public-step")):
                # The first question starts on the first screen of a projector at 200%.
                top = page.evaluate("() => document.querySelector('form .usa-form-group')"
                                    ".getBoundingClientRect().top")
                if top >= viewport["height"]:
                    problems.append(f"{name} at {size}: the first question starts at {top} px")
            if size == "zoom200":
                audit(page, f"reflow-{name}-{size}")
        ctx.close()
    assert problems == [], json.dumps(problems, indent=2)


def test_the_current_tool_and_section_look_current(browser: Any, server: str,
                                                   site: dict[str, Any]) -> None:
    # On a wide screen the eight tools are buttons, the current one filled.
    wide = browser.new_context(viewport={"width": 1280, "height": 720},
                               storage_state=site["state"])
    page = wide.new_page()
    style = ("el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color,"
             " s.boxShadow].join(' | '); }")
    for name in ("manage", "results", "notes", "overrides", "versions", "respondents",
                 "audit"):
        page.goto(server + site["consultant"][name])
        tools = page.locator("nav[aria-label='Community tools'] a")
        assert tools.count() == 10  # with Progress and Hand over (issue 31)
        current = page.locator("nav[aria-label='Community tools'] a[aria-current='page']")
        assert current.count() == 1, name
        looks = current.evaluate(style)
        others = {tools.nth(i).evaluate(style) for i in range(tools.count())
                  if tools.nth(i).get_attribute("aria-current") is None}
        assert len(others) == 1 and looks not in others, (name, looks, others)
        assert current.is_visible() and current.bounding_box()["x"] >= 0
        assert not page.locator("details.planner-tools--narrow").is_visible()
    wide.close()
    # At 200% zoom (640x360 CSS px) they fold into one closed menu that names the current
    # tool, one line high; opened, it lists the eight with the current one marked.
    ctx = browser.new_context(viewport={"width": 640, "height": 360}, device_scale_factor=2,
                              storage_state=site["state"])
    page = ctx.new_page()
    for name in ("manage", "results", "notes", "overrides", "versions", "respondents",
                 "audit"):
        page.goto(server + site["consultant"][name])
        assert not page.locator("nav[aria-label='Community tools']").is_visible()
        menu = page.locator("details.planner-tools--narrow")
        summary = menu.locator("summary")
        assert summary.is_visible() and summary.bounding_box()["height"] < 60, name
        assert not menu.evaluate("d => d.open")
        summary.click()
        tools = menu.locator("a")
        assert tools.count() == 10 and tools.nth(9).is_visible()  # with Progress, Hand over
        current = menu.locator("a[aria-current='page']")
        assert current.count() == 1 and current.inner_text() in summary.inner_text(), name
    # The section map: the current section is USWDS's current item; finished and not yet
    # open sections look different from it and from each other.
    page.goto(server + site["consultant"]["step-access"])
    look = ("el => { const s = getComputedStyle(el); return [s.color, s.fontWeight,"
            " s.fontStyle, s.textDecorationLine].join(' | '); }")
    nav = "nav[aria-label='Sections of the questionnaire']"
    current = page.locator(f"{nav} [aria-current='page']").evaluate(look)
    done = page.locator(f"{nav} .is-done a").first.evaluate(look)
    assert current != done
    ctx.close()


def test_a_new_communitys_private_link_is_hidden_until_asked_for(browser: Any,
                                                                 server: str) -> None:
    for script in (True, False):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720},
                                  java_script_enabled=script)
        ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
        if script:
            ctx.grant_permissions(["clipboard-read", "clipboard-write"])
        page = ctx.new_page()
        sign_in(page, server)
        page.fill("#name", "Lakeview" + (" with script" if script else ""))
        page.click("button:has-text('Create community')")
        page.wait_for_selector("h1:has-text('Lakeview')")
        field = page.locator("#resume-link")
        assert field.count() == 1 and not field.is_visible()
        assert "/c/" not in page.inner_text("body")
        if script:
            audit(page, "c23-private-link-hidden")
        page.click("summary:has-text('Show the private link')")
        assert field.is_visible()
        link = field.input_value()
        assert "/c/" in link
        mail = page.locator("a:has-text('Email it to myself')")
        assert mail.get_attribute("href").startswith("mailto:ann%40example.org?subject=")
        copy = page.locator("button:has-text('Copy the link')")
        assert copy.is_visible() == script
        if script:
            copy.click()
            page.wait_for_function(
                "() => document.querySelector('[data-copy-status]').textContent !== ''")
            assert page.evaluate("() => navigator.clipboard.readText()") == link
            audit(page, "c24-private-link-shown")
        else:  # without JavaScript the link is there to select and copy by hand
            assert field.get_attribute("readonly") is not None
        page.reload()  # shown once: a reload no longer has it
        assert page.locator("#resume-link").count() == 0
        ctx.close()


LINK_COLORS_JS = """
() => [...document.querySelectorAll('a')].filter(a => a.getClientRects().length)
  .map(a => getComputedStyle(a).color)
"""
# The browser's own link colors (unvisited, visited): never used beside USWDS blue.
BROWSER_BLUES = {"rgb(0, 0, 238)", "rgb(85, 26, 139)"}
LINES_JS = """
() => [getComputedStyle(document.querySelector('.usa-header')).borderBottomWidth,
       getComputedStyle(document.querySelector('.usa-navbar')).borderBottomWidth,
       getComputedStyle(document.querySelector('main')).borderTopWidth]
"""


def test_the_home_page_links_and_header_look_finished(browser: Any, server: str,
                                                      site: dict[str, Any]) -> None:
    phone = browser.new_context(viewport={"width": 375, "height": 667})
    page = phone.new_page()
    page.goto(server + "/")
    start = page.locator("button:has-text('Start a new plan')").bounding_box()
    assert start["y"] + start["height"] <= 667, "Start a new plan is below the fold"
    assert page.evaluate(LINES_JS) == ["1px", "0px", "0px"]  # one line under the header
    phone.close()
    for width in (640, 1280):
        ctx = browser.new_context(viewport={"width": width, "height": 720},
                                  storage_state=site["state"])
        page = ctx.new_page()
        for name in ("dashboard", "manage", "review", "results", "audit"):
            page.goto(server + site["consultant"][name])
            colors = set(page.evaluate(LINK_COLORS_JS))
            assert colors and not colors & BROWSER_BLUES, (name, colors)
            assert page.evaluate(LINES_JS) == ["1px", "0px", "0px"], name
        ctx.close()
