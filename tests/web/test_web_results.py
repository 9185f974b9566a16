"""Results, what-if, and the plan preview and PDF."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import Wizard, csrf_of

from planner.engine.profile import read_profile


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


def test_results_explain_rank_band_range_and_reasons(done: Wizard, client: FlaskClient) -> None:
    page = client.get(done.url("/results")).text
    assert page.index("1. Naloxone Plus") < page.index("2. ")
    for text in ("Answers that helped", "Gaps: critical elements", "Why not the others?",
                 "How sure is this?", "Mentor sites to visit", "How to request a visit",
                 "Similar programs", "Funding", 'src="data:image/svg+xml;base64,',
                 'alt="Pathway ranking chart"', "Pathway fit scores out of 100"):
        assert text in page, text


def test_what_if_shows_the_new_ranking_beside_the_old_and_saves_nothing(
        done: Wizard, client: FlaskClient) -> None:
    before = done.saved()
    page = client.get(done.url("/results")).text
    assert 'id="w-peers-yes" type="radio" name="peers" value="yes" checked' in page
    form = {"csrf_token": csrf_of(page), "overdoses": "few", "overdose-data": "no",
            "moud": "no", "peers": "yes", "asking-for-help": "often", "access-point": "yes",
            "uninsured": "yes"}
    response = client.post(done.url("/what-if"), data=form)
    assert response.status_code == 200
    assert "New ranking beside your saved ranking" in response.text
    assert "Your saved answers are unchanged" in response.text
    assert done.saved() == before


def test_what_if_with_a_tampered_choice_is_a_400(done: Wizard, client: FlaskClient) -> None:
    before = done.saved()
    page = client.get(done.url("/results")).text
    response = client.post(done.url("/what-if"), data={"csrf_token": csrf_of(page),
                                                       "peers": "maybe"})
    assert response.status_code == 400
    assert done.saved() == before


def test_what_if_needs_a_csrf_token(done: Wizard, client: FlaskClient) -> None:
    assert client.post(done.url("/what-if"), data={"peers": "no"}).status_code == 400


def test_plan_preview_is_html(done: Wizard, client: FlaskClient) -> None:
    page = client.get(done.url("/results")).text
    assert f"/c/{done.token}/plan.pdf" in page
    preview = client.get(done.url("/plan"))
    assert preview.status_code == 200
    assert "Naloxone Plus" in preview.text


def test_plan_preview_links_back_and_to_every_download(done: Wizard,
                                                       client: FlaskClient) -> None:
    """The preview is no dead end: back to the results, and each download says what it is."""
    import re

    preview = client.get(done.url("/plan")).text
    links = dict((label, href) for href, label in
                 re.findall(r'<a class="download" href="([^"]+)">([^<]+)</a>', preview))
    assert set(links) == {"Download the plan (PDF)", "The plan (Word)",
                          "Action plan (Excel)", "Starter documents (Word)",
                          "Application starter (Word)"}
    assert f'href="/c/{done.token}/results"' in preview
    for href in links.values():
        response = client.get(href)
        assert response.status_code == 200, href
        assert "attachment" in response.headers["Content-Disposition"]


def test_plan_pdf_downloads(done: Wizard, client: FlaskClient) -> None:
    response = client.get(done.url("/plan.pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def test_plan_of_an_unfinished_interview_is_a_404(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    assert client.get(wizard.url("/plan")).status_code == 404


def test_results_say_how_far_a_weight_must_move(done: Wizard, client: FlaskClient,
                                                app: Flask) -> None:
    from planner.engine import sensitivity
    from planner.web import state

    page = client.get(done.url("/results")).text
    assert "How much the weights matter" in page
    with app.app_context():
        kb = state.knowledge()
        given = state.restore(kb, done.saved())
        sens = sensitivity.weight_sensitivity(kb, read_profile(kb, given))
    if sens.robust:
        assert "No single weight, moved anywhere within its published limits" in page
        assert f"{sens.checked} weights bear on your answers" in page
    else:
        for m in sens.margins:
            assert f"would put {kb.pathways[m.new_top].label} first" in page


def test_results_say_how_sure_by_the_one_rule_with_one_challenger(
        done: Wizard, client: FlaskClient, app: Flask) -> None:
    """Issue 25: the label, the chance, the one challenger and the rule are on the page; the
    worst case is behind the consultants' disclosure; no rule id shows."""
    import html
    import re

    from planner.documents import report
    from planner.knowledge import loader

    kb = loader.load_default()
    page = html.unescape(client.get(done.url("/results")).text)
    assert report.stability_rule(kb) in page
    assert "came first in" in page and "of every 100 tries" in page
    assert "The challenger is " in page
    disclosure = page[page.index('id="how-scored"'):]
    assert "Worst case:" in disclosure and "Worst case:" not in page[:page.index(
        'id="how-scored"')]
    visible = re.sub(r"<[^>]+>", " ", page)
    ids = [r.id for r in kb.rules if re.search(rf"(?<![\w-]){re.escape(r.id)}(?![\w-])",
                                               visible)]
    assert not ids, ids
