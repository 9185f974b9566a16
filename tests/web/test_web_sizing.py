"""Issue 30 on the web: the sizing page (a GET form, no JavaScript) and the application
starter download, linked from the results page and the plan preview."""

from __future__ import annotations

import io

import docx
import pytest
from flask.testing import FlaskClient
from webhelpers import Wizard

SECTIONS = [
    "Description of the Issue (Statement of the Problem)",
    "Project Design and Implementation",
    "Capabilities and Competencies",
    "Plan for Collecting the Data Required for Performance Measures",
    "Budget and Budget Narrative",
    "Timeline",
    "Checklist of Attachments",
]


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


def test_the_owner_downloads_the_application_starter(done: Wizard,
                                                     client: FlaskClient) -> None:
    response = client.get(done.url("/application.docx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "huntington-application.docx" in response.headers["Content-Disposition"]
    paragraphs = docx.Document(io.BytesIO(response.data)).paragraphs
    headings = [p.text for p in paragraphs if p.style is not None
                and p.style.name == "Heading 1"]
    assert headings == SECTIONS
    assert any("[to fill in:" in p.text for p in paragraphs)


def test_results_and_preview_link_the_application_and_the_sizing(done: Wizard,
                                                                 client: FlaskClient) -> None:
    page = client.get(done.url("/results")).text
    assert f"/c/{done.token}/application.docx" in page
    assert f"/c/{done.token}/sizing" in page
    assert "How big it would be, as a first estimate: Contacts a year" in page
    assert "first-year cost (dollars): $" in page
    preview = client.get(done.url("/plan")).text
    assert f"/c/{done.token}/application.docx" in preview


def test_the_sizing_form_replaces_a_figure_without_javascript(done: Wizard,
                                                              client: FlaskClient) -> None:
    page = client.get(done.url("/sizing"))
    assert page.status_code == 200
    assert "Naloxone Plus" in page.text and "Staff (full-time equivalents)" in page.text
    # No count given: rates are used, and an empty field takes the community's own count
    # in their place (any figure can be replaced, on every pathway, with no count question).
    assert 'name="overdose-runs-rate-low"' in page.text
    assert 'id="contacts-low" name="contacts-low" inputmode="decimal" value=""' in page.text
    assert "Your own count: non-fatal overdose runs a year" in page.text
    own = client.get(done.url("/sizing?pathway=naloxone-plus&contacts-low=1831"))
    assert own.status_code == 200
    assert "1,831 people" in own.text and "(yours)" in own.text
    bad = client.get(done.url("/sizing?naloxone-plus-reach-low=90&naloxone-plus-reach-high=9"))
    assert bad.status_code == 400
    assert "low at or below high" in bad.text
    other = client.get(done.url("/sizing?pathway=self-referral"))
    assert other.status_code == 200 and "cannot size" not in other.text
    assert "People from the area who walk in" in other.text  # every pathway is sized now
    assert "Smallest team that can run Self-Referral" in other.text
    assert 'name="contacts-low"' in other.text  # no count question: the form asks here
    counted = client.get(done.url("/sizing?pathway=self-referral&contacts-low=40&contacts-high="))
    assert counted.status_code == 200 and "40 people" in counted.text
    assert "(yours)" in counted.text and "Your own count:" not in counted.text
