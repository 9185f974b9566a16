"""Editable downloads beside the PDF: the plan as Word, the action plan as XLSX and CSV, the
starter documents as Word. The owner gets each file; anyone else a 404, a respondent a 403."""

from __future__ import annotations

import csv
import io
import re

import docx
import openpyxl
import pytest
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner.web.downloads import disposition

DOWNLOADS = {
    "/plan.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "/starter-documents.docx":
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "/actions.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "/actions.csv": "text/csv",
}


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


@pytest.mark.parametrize("path", sorted(DOWNLOADS))
def test_the_owner_downloads_each_editable_file(done: Wizard, client: FlaskClient,
                                                path: str) -> None:
    response = client.get(done.url(path))
    assert response.status_code == 200
    assert response.mimetype == DOWNLOADS[path]
    disposition = response.headers["Content-Disposition"]
    extension = path.rsplit(".", 1)[1]
    assert disposition.startswith("attachment; filename=\"huntington-")
    assert "filename*=UTF-8''huntington-" in disposition and disposition.endswith(extension)
    body = io.BytesIO(response.data)
    if extension == "docx":
        headings = [p.text for p in docx.Document(body).paragraphs
                    if p.style is not None and p.style.name in {"Heading 1", "Title"}]
        assert headings
    elif extension == "xlsx":
        sheet = openpyxl.load_workbook(body).active
        assert sheet is not None and sheet["B1"].value == "Step" and sheet.max_row > 5
        assert sheet["K2"].value == "Huntington"
    else:
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert rows[0][:3] == ["No.", "Step", "Phase"] and len(rows) > 5
        assert rows[1][-1] == "Huntington"


@pytest.mark.parametrize("path", [*sorted(DOWNLOADS), "/plan.pdf", "/plan", "/results"])
def test_each_content_type_names_its_charset_once(done: Wizard, client: FlaskClient,
                                                  path: str) -> None:
    """Issue 27: actions.csv said `charset=utf-8` twice."""
    response = client.get(done.url(path))
    assert response.status_code == 200
    header = response.headers["Content-Type"]
    assert header.lower().count("charset") <= 1, header
    if path == "/actions.csv":
        assert header == "text/csv; charset=utf-8"


def test_the_results_page_links_to_the_editable_files(done: Wizard,
                                                      client: FlaskClient) -> None:
    page = client.get(done.url("/results")).text
    for path in DOWNLOADS:
        assert f"/c/{done.token}{path}" in page, path
    preview = client.get(done.url("/plan")).text
    for path in ("/plan.docx", "/actions.xlsx", "/starter-documents.docx"):
        assert f"/c/{done.token}{path}" in preview, path


def test_the_start_date_moves_the_dates_and_a_bad_one_is_a_400(done: Wizard,
                                                               client: FlaskClient) -> None:
    response = client.get(done.url("/actions.csv?start=2027-03-01"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][4] == "2027-03-01"
    bad = client.get(done.url("/actions.csv?start=March"))
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


@pytest.mark.parametrize("path", sorted(DOWNLOADS))
def test_someone_else_gets_a_404_and_no_file(done: Wizard, app: Flask, path: str) -> None:
    stranger = app.test_client().get(done.url(path).replace(done.token, "x" * 43))
    assert stranger.status_code == 404
    assert not stranger.data.startswith(b"PK")


def test_an_unfinished_interview_has_no_download(wizard: Wizard,
                                                 client: FlaskClient) -> None:
    wizard.start()
    for path in DOWNLOADS:
        assert client.get(wizard.url(path)).status_code == 404


def test_a_respondent_link_is_refused_every_download(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    complete(app, ann, key)
    ann.post(f"/c/{key}/respondents", data={"csrf_token": page_csrf(ann, "/dashboard"),
                                            "role": "police"})
    found = re.search(r"/c/([A-Za-z0-9_-]{40,64})", ann.get(f"/c/{key}/respondents").text)
    assert found
    respondent = Wizard(app, app.test_client())
    respondent.token = found.group(1)
    answers = {s: dict(v) for s, v in HUNTINGTON.items()}
    answers["community"].pop("respondent-role")
    respondent.complete(answers)
    for path in DOWNLOADS:
        refused = respondent.client.get(respondent.url(path))
        assert refused.status_code == 403, path
        assert "has no results or plan of its own" in refused.text


@pytest.mark.parametrize(("name", "expected"), [
    ("huntington-plan.docx",
     "attachment; filename=\"huntington-plan.docx\"; filename*=UTF-8''huntington-plan.docx"),
    ("san-josé-plan.docx",
     "attachment; filename=\"san-jose-plan.docx\"; filename*=UTF-8''san-jos%C3%A9-plan.docx"),
    ("a\"b;c.csv", "attachment; filename=\"a-b-c.csv\"; filename*=UTF-8''a%22b%3Bc.csv"),
])
def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name(name: str,
                                                                     expected: str) -> None:
    assert disposition(name) == expected
