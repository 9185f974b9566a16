"""Progress on the plan's measures (issue 31): record, import, read back, refuse bad input."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pypdf
import pytest
from consultanthelpers import complete, create_community, page_csrf
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import Wizard, csrf_of

from planner.web import db, progress, workspace


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session().query(progress.ProgressEntry).count()


def record(client: FlaskClient, base: str, period: str, measure: str,
           value: str) -> tuple[int, str]:
    csrf = page_csrf(client, f"{base}/progress")
    response = client.post(f"{base}/progress", data={
        "csrf_token": csrf, "period": period, "measure": measure, "value": value})
    return response.status_code, response.text


def upload(client: FlaskClient, base: str, text: str) -> tuple[int, str]:
    csrf = page_csrf(client, f"{base}/progress/import")
    response = client.post(f"{base}/progress/import", data={
        "csrf_token": csrf, "file": (io.BytesIO(text.encode("utf-8")), "progress.csv")},
        content_type="multipart/form-data")
    return response.status_code, response.text


RESPONDENT_LINK = re.compile(r"/c/([A-Za-z0-9_-]{40,64})")

GOOD_CSV = ("period,measure,value\n"
            "2026-01,People contacted,40\n"
            "2026-01,measure-referrals-made,20\n"
            "2026-01,People who entered treatment (warm hand-off completed),8\n"
            "2026-02,measure-contacts,52\n")


def test_a_recorded_value_reads_back_on_the_page_and_in_the_csv(
        app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    base = wizard.url()
    status, _ = record(wizard.client, base, "2026-03", "measure-contacts", "41")
    assert status == 303
    page = wizard.client.get(f"{base}/progress").text
    assert "March 2026" in page and ">41<" in page
    assert "People contacted by period" in page  # the chart's text and the table's caption
    csv_text = wizard.client.get(f"{base}/progress.csv").text
    assert "2026-03,measure-contacts,41,People contacted" in csv_text
    with app.app_context():
        audit = db.session().query(workspace.AuditEntry).filter_by(action="progress").one()
        assert "People contacted, March 2026: 41" in audit.detail
        assert audit.actor == "Holder of the private link"


def test_a_value_for_a_saved_period_replaces_it(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    base = wizard.url()
    assert record(wizard.client, base, "2026-03", "measure-contacts", "41")[0] == 303
    assert record(wizard.client, base, "2026-03", "People contacted", "45")[0] == 303
    assert _count(app) == 1
    assert "2026-03,measure-contacts,45" in wizard.client.get(f"{base}/progress.csv").text


@pytest.mark.parametrize(("period", "measure", "value", "says"), [
    ("2026-13", "measure-contacts", "4", "is not a period"),
    ("March", "measure-contacts", "4", "is not a period"),
    ("2026-Q5", "measure-contacts", "4", "is not a period"),
    ("2026-03", "measure-nonsense", "4", "is not one of the plan"),
    ("2026-03", "measure-contacts", "-3", "is negative"),
    ("2026-03", "measure-contacts", "2.5", "not a whole number"),
    ("2026-03", "measure-contacts", "lots", "is not a number"),
    ("2026-03", "measure-treatment-retention", "140", "over 100 percent"),
])
def test_a_bad_value_is_a_400_that_says_why_and_saves_nothing(
        app: Flask, wizard: Wizard, period: str, measure: str, value: str, says: str) -> None:
    wizard.start()
    status, text = record(wizard.client, wizard.url(), period, measure, value)
    assert status == 400
    assert says in text.replace("\u2019", "'") and "Nothing was saved" in text
    assert _count(app) == 0


def test_months_and_quarters_do_not_mix_for_one_measure(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    base = wizard.url()
    assert record(wizard.client, base, "2026-03", "measure-contacts", "41")[0] == 303
    status, text = record(wizard.client, base, "2026-Q2", "measure-contacts", "41")
    assert status == 400 and "recorded by month" in text
    assert record(wizard.client, base, "2026-Q2", "measure-referrals-made", "4")[0] == 303
    assert _count(app) == 2


def test_an_import_is_previewed_then_saved(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    base = wizard.url()
    assert record(wizard.client, base, "2026-02", "measure-contacts", "50")[0] == 303
    status, preview = upload(wizard.client, base, GOOD_CSV)
    assert status == 200
    assert "Nothing has been saved yet" in preview
    assert "Replaces the saved value" in preview and preview.count("<tr>") == 5
    assert _count(app) == 1  # the preview saved nothing
    payload = re.search(r'name="payload" value="([^"]*)"', preview)
    assert payload

    response = wizard.client.post(f"{base}/progress/import/confirm", data={
        "csrf_token": csrf_of(preview), "payload": html.unescape(payload.group(1))})
    assert response.status_code == 303
    assert _count(app) == 4
    page = wizard.client.get(f"{base}/progress").text
    assert "From contact to treatment" in page
    assert "20%" in page  # 8 of 40 entered treatment in January, the one full period
    exported = wizard.client.get(f"{base}/progress.csv").text
    assert "2026-02,measure-contacts,52" in exported
    # What the export writes, the import reads back unchanged.
    status, again = upload(wizard.client, base, exported)
    assert status == 200 and again.count("No change") == 4


@pytest.mark.parametrize(("text", "says"), [
    ("period,measure,value\n2026-01,Nonsense measure,4\n", "is not one of the plan"),
    ("period,measure,value\n2026-1,measure-contacts,4\n", "is not a period"),
    ("period,measure,value\n2026-01,measure-contacts,-4\n", "is negative"),
    ("period,measure,value\n2026-01,measure-contacts,4\n2026-01,People contacted,5\n",
     "is already on row 1"),
    ("when,what,how many\n2026-01,measure-contacts,4\n", "must name the three columns"),
    ("period,measure,value\n", "no values"),
    ("period,measure,value\n2026-01,measure-contacts\n", "it has 2 cells"),
])
def test_a_bad_file_is_a_400_that_names_the_row_and_saves_nothing(
        app: Flask, wizard: Wizard, text: str, says: str) -> None:
    wizard.start()
    status, page = upload(wizard.client, wizard.url(), GOOD_CSV + text.split("\n", 1)[1]
                          if text.startswith("period,measure,value\n2026") else text)
    assert status == 400, page
    assert says in page.replace("\u2019", "'") and "Nothing was saved" in page
    assert _count(app) == 0


def test_a_confirm_with_an_edited_payload_is_checked_again(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    base = wizard.url()
    response = wizard.client.post(f"{base}/progress/import/confirm", data={
        "csrf_token": page_csrf(wizard.client, f"{base}/progress"),
        "payload": "period,measure,value\n2026-01,measure-contacts,-1\n"})
    assert response.status_code == 400 and "is negative" in response.text
    assert _count(app) == 0


def test_baseline_and_target_show_against_the_values(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    base = wizard.url()
    record(wizard.client, base, "2026-01", "measure-contacts", "30")
    record(wizard.client, base, "2026-02", "measure-contacts", "50")
    csrf = page_csrf(wizard.client, f"{base}/progress")
    response = wizard.client.post(f"{base}/progress/goals", data={
        "csrf_token": csrf, "measure": "measure-contacts", "baseline": "20", "target": "45"})
    assert response.status_code == 303
    page = wizard.client.get(f"{base}/progress").text
    assert "Baseline: 20. Target: 45." in page
    assert "1 of 1 measure with a target met it" in page
    assert "<td>not met</td>" in page and "<td>met</td>" in page
    bad = wizard.client.post(f"{base}/progress/goals", data={
        "csrf_token": csrf, "measure": "measure-contacts", "baseline": "-1", "target": "45"})
    assert bad.status_code == 400 and "negative" in bad.text


def test_similar_programs_figures_are_labelled_as_theirs(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    page = wizard.client.get(wizard.url("/progress")).text
    assert "What similar programs published" in page
    assert "other programs&rsquo; own figures, not yours" in page
    assert "(self-reported)" in page


def test_the_consultant_reads_and_records_by_key(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann)
    complete(app, ann, key)
    assert record(ann, f"/c/{key}", "2026-Q1", "measure-referrals-made", "12")[0] == 303
    page = ann.get(f"/c/{key}/progress").text
    assert "Q1 2026" in page and 'aria-current="page">Progress' in page
    visitor = app.test_client()
    assert "Q1 2026" in visitor.get(f"/c/{token}/progress").text
    with app.app_context():
        audit = db.session().query(workspace.AuditEntry).filter_by(action="progress").one()
        assert audit.actor == "Ann Consultant"


def test_a_respondent_and_a_stranger_get_a_404(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann)
    record(ann, f"/c/{key}", "2026-01", "measure-contacts", "5")
    response = ann.post(f"/c/{key}/respondents", data={
        "csrf_token": page_csrf(ann, "/dashboard"), "role": "police"})
    assert response.status_code == 303
    found = RESPONDENT_LINK.search(ann.get(f"/c/{key}/respondents").text)
    assert found and found.group(1) != token
    link = found.group(1)
    respondent = app.test_client()
    assert respondent.get(f"/c/{link}/review").status_code == 200
    stranger = app.test_client()
    for path in ("/progress", "/progress.csv", "/progress/import"):
        assert respondent.get(f"/c/{link}{path}").status_code == 404, path
        assert stranger.get(f"/c/{key}{path}").status_code == 404, path
        assert stranger.get(f"/c/{'x' * 43}{path}").status_code == 404, path
    csrf = page_csrf(respondent, "/")
    for path in ("/progress", "/progress/goals", "/progress/import",
                 "/progress/import/confirm"):
        response = respondent.post(f"/c/{link}{path}", data={
            "csrf_token": csrf, "period": "2026-02", "measure": "measure-contacts",
            "value": "5", "target": "5", "payload": GOOD_CSV})
        assert response.status_code == 404, path
    assert _count(app) == 1


def test_every_progress_form_needs_its_csrf_token(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    base = wizard.url()
    for path, data in ((f"{base}/progress", {"period": "2026-01", "measure": "measure-contacts",
                                             "value": "1"}),
                       (f"{base}/progress/goals", {"measure": "measure-contacts",
                                                   "target": "1"}),
                       (f"{base}/progress/import/confirm", {"payload": GOOD_CSV})):
        assert wizard.client.post(path, data=data).status_code == 400, path
    assert _count(app) == 0


def _docx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    return re.sub(r"<[^>]+>", "", xml)


def test_the_plan_adds_progress_so_far_once_there_is_progress(app: Flask,
                                                              wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    base = wizard.url()
    assert "Progress so far" not in wizard.client.get(f"{base}/plan").text
    assert "Progress so far" not in _docx_text(wizard.client.get(f"{base}/plan.docx").data)
    status, preview = upload(wizard.client, base, GOOD_CSV)
    assert status == 200
    payload = re.search(r'name="payload" value="([^"]*)"', preview)
    assert payload
    assert wizard.client.post(f"{base}/progress/import/confirm", data={
        "csrf_token": csrf_of(preview), "payload": html.unescape(payload.group(1))}
    ).status_code == 303
    plan = wizard.client.get(f"{base}/plan").text
    assert "Progress so far" in plan and "February 2026" in plan
    # Each measure with a value has its chart (alt text: its figures in words) and a table
    # of the same figures; the plan's other figures number after them.
    # (On screen the drawing sits in a labelled region that scrolls on a phone.)
    figures = re.findall(r'<figure class="chart" id="([^"]+)">\s*<div class="chart-scroll" '
                         r'role="region" tabindex="0" aria-label="[^"]*"><img [^>]* '
                         r'alt="([^"]+)"></div>\s*<figcaption><strong>Figure (\d+)\.', plan)
    progress_figures = [f for f in figures if f[0].startswith("progress-chart-")]
    assert [f[0] for f in progress_figures] == [
        "progress-chart-measure-contacts", "progress-chart-measure-referrals-made",
        "progress-chart-measure-treatment-entry"]
    assert "January 2026: 40; February 2026: 52" in html.unescape(progress_figures[0][1])
    assert [int(f[2]) for f in figures] == list(range(1, len(figures) + 1))
    assert len(figures) > len(progress_figures)  # the stakeholders' and the ranking's
    assert "<caption>People contacted by period</caption>" in plan
    word = _docx_text(wizard.client.get(f"{base}/plan.docx").data)
    assert "Progress so far" in word and "February 2026" in word and "52" in word
    assert "From contact to treatment" in word and "20%" in word
    assert "People contacted by period" in word  # the chart's figures, as a table
    pdf = wizard.client.get(f"{base}/plan.pdf")
    assert pdf.status_code == 200
    pages = pypdf.PdfReader(io.BytesIO(pdf.data)).pages
    text = re.sub(r"\s+", "", " ".join(p.extract_text() or "" for p in pages))  # lines break
    assert "Progresssofar" in text and "February2026" in text
    alts = []
    stack = [pypdf.PdfReader(io.BytesIO(pdf.data)).trailer["/Root"]["/StructTreeRoot"]]
    while stack:  # every Figure of the tagged PDF, with its alternative text
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                stack.append(node["/K"])
    assert any(a.startswith("People contacted, in people or events, by period.")
               for a in alts), alts


def test_the_funnel_runs_through_engaged_on_the_page_and_in_the_plan(
        app: Flask, wizard: Wizard) -> None:
    """Contact, referred, engaged, entered treatment: engaged shows as a stage once it is
    recorded for the funnel's periods; before that the page and the plan say it is left out."""
    wizard.start()
    wizard.complete()
    base = wizard.url()
    for measure, value in (("measure-contacts", "40"), ("measure-referrals-made", "20"),
                           ("measure-treatment-entry", "8")):
        assert record(wizard.client, base, "2026-01", measure, value)[0] == 303
    page = wizard.client.get(f"{base}/progress").text
    assert ("People engaged after contact or referral is left out: not recorded for all of "
            "these periods.") in page
    assert record(wizard.client, base, "2026-01", "People engaged after contact or referral",
                  "12")[0] == 303
    page = wizard.client.get(f"{base}/progress").text
    stages = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)%</td></tr>',
                        page.split('id="funnel-caption"')[1].split("</table>")[0])
    assert stages == [("People contacted", "40", "100"), ("Referrals made", "20", "50"),
                      ("People engaged after contact or referral", "12", "30"),
                      ("People who entered treatment (warm hand-off completed)", "8", "20")]
    plan = wizard.client.get(f"{base}/plan").text
    funnel = plan.split("<caption>From contact to treatment</caption>")[1].split("</table>")[0]
    assert "People engaged after contact or referral</strong></td><td>12</td><td>30%" in funnel
    assert "left out" not in plan
