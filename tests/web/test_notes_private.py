"""Consultant notes and override reasons reach only the community's signed-in consultants.

Every route of the app (enumerated from its URL map, so a new route or download is walked
too) is fetched as the community's link holder (signed out, with the private link) and as
a respondent (with a respondent's link); no page, download or redirect may carry a note's
text or an override's reason. The owner, by the workspace key, sees them (the control that
shows the search would find them).
"""

from __future__ import annotations

import io
import re
import zipfile

import pypdf
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard, csrf_of

NOTE = "Zebranote7731"
SECTION_NOTE = "Walrusnote4410"
RESULT_REASON = "Quokkareason5512"
WEIGHT_REASON = "Ibexreason9025"
SECRETS = (NOTE, SECTION_NOTE, RESULT_REASON, WEIGHT_REASON)


def texts(body: bytes, mimetype: str) -> str:
    """Everything readable in a response: the text of a page, a PDF's text, or every part
    of an Office file (a zip of XML), with whitespace removed (a PDF breaks lines)."""
    if mimetype == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(body))
        found = " ".join(page.extract_text() or "" for page in reader.pages)
    elif body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            found = " ".join(archive.read(n).decode("utf-8", "replace")
                             for n in archive.namelist())
    else:
        found = body.decode("utf-8", "replace")
    return re.sub(r"\s+", "", found)


def fill(rule: str, token: str) -> str:
    url = rule.replace("<token>", token).replace("<section_id>", "community")
    return re.sub(r"<int:\w+>", "1", url)


def every_route(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, endpoint, method) for every route with no argument other than a community's
    token, a step and an id (the static files take a file name: they carry no notes)."""
    found = []
    for rule in app.url_map.iter_rules():
        if set(rule.arguments) - {"token", "section_id", "override_id", "filename",
                                  "version_id", "respondent_id", "number", "user_id"}:
            raise AssertionError(f"{rule.rule}: a new kind of argument; teach fill() it")
        if "filename" in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, rule.endpoint, method))
    return found


def seen(client: FlaskClient, url: str, method: str, csrf: str) -> list[str]:
    """The readable text of a request's response and of the redirects it leads to."""
    out = []
    for query in ("", "?start=2027-01-04"):
        if method == "GET":
            response = client.get(url + query)
        else:
            response = client.post(url + query, data={"csrf_token": csrf, "action": "save"})
        out.append(texts(response.get_data(), response.mimetype or ""))
        hops = 0
        while response.status_code in (301, 302, 303, 307, 308) and hops < 5:
            response = client.get(response.location)
            out.append(texts(response.get_data(), response.mimetype or ""))
            hops += 1
    return out


def a_community_with_notes(app: Flask) -> tuple[FlaskClient, str, str, str]:
    """Ann's completed community with a general note, a step's note, a result override and
    a weight override; returns her client, the owner key, the private link and a
    respondent's link (whose answers are complete)."""
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, token = create_community(ann)
    complete(app, ann, key)
    csrf = page_csrf(ann, "/dashboard")
    assert ann.post(f"/c/{key}/respondents", data={"csrf_token": csrf, "role": "police"}
                    ).status_code == 303
    found = re.search(r"/c/([A-Za-z0-9_-]{40,64})", ann.get(f"/c/{key}/respondents").text)
    assert found
    respondent = Wizard(app, app.test_client())
    respondent.token = found.group(1)
    answers = {s: dict(v) for s, v in HUNTINGTON.items()}
    answers["community"].pop("respondent-role")
    respondent.complete(answers)
    assert ann.post(f"/c/{key}/notes", data={
        "csrf_token": csrf, "note-general": f"{NOTE} the chief is wary.",
        "note-treatment": f"{SECTION_NOTE} waits checked."}).status_code == 303
    assert ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf, "kind": "result", "pathway": "self-referral",
        "reason": f"{RESULT_REASON} the council funds walk-in help."}).status_code == 303
    kb = app.extensions["planner.kb"]
    rule = next(r for r in kb.rules if r.pathway == "naloxone-plus" and r.weight > 0)
    assert ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf, "kind": "weight", "rule": rule.id, "weight": "0",
        "reason": f"{WEIGHT_REASON} local data."}).status_code == 303
    return ann, key, token, found.group(1)


def test_the_owner_sees_notes_and_reasons_in_the_pages_and_downloads(app: Flask) -> None:
    """The control: the search below finds the notes where they belong."""
    ann, key, _token, _respondent = a_community_with_notes(app)
    for path in ("results", "plan", "plan.pdf", "plan.docx"):
        response = ann.get(f"/c/{key}/{path}")
        assert response.status_code == 200, path
        body = texts(response.get_data(), response.mimetype or "")
        for secret in SECRETS:
            assert secret in body, (path, secret)


def test_no_route_or_download_shows_notes_to_a_link_holder_a_respondent_or_a_supervisor(
        app: Flask) -> None:
    """A supervisor of the consultant's organization reads the community by its read-only
    address (s<id>) as the community does: without the consultant's notes and reasons."""
    from planner.web import accounts, portfolio

    ann, key, token, respondent = a_community_with_notes(app)
    add_user(app, "sue@example.org", "Sue Supervisor")
    with app.app_context():
        for email, role in (("ann@example.org", "consultant"), ("sue@example.org",
                                                                 "supervisor")):
            user = accounts.find_user(email)
            assert user is not None
            portfolio.join(user, "Acme TTA", role)
    supervisor = app.test_client()
    sign_in(supervisor, "sue@example.org")
    routes = every_route(app)
    assert {"results.plan_pdf", "results.plan_docx", "results.actions_xlsx",
            "results.actions_csv", "results.starter_docx", "results.plan_preview",
            "results.results", "wizard.review"} <= {endpoint for _, endpoint, _ in routes}
    link_holder = app.test_client()
    respondent_client = app.test_client()
    visitors = {"link holder": (link_holder, token), "respondent": (respondent_client,
                                                                     respondent),
                "supervisor": (supervisor, "s" + key[1:])}
    walked = 0
    for who, (client, link) in visitors.items():
        csrf = csrf_of(client.get("/portfolio" if who == "supervisor" else
                                  f"/c/{link}/step/community").text)
        for rule, endpoint, method in routes:
            if who == "supervisor" and endpoint == "accounts.sign_out":
                continue  # (stays signed in: the walk is the supervisor's)
            for shown in seen(client, fill(rule, link), method, csrf):
                for secret in SECRETS:
                    assert secret not in shown, f"{who}: {method} {rule} ({endpoint})"
            walked += 1
    assert walked == 3 * len(routes) - 1
    # The link holder reached the plan and its downloads (what was walked was not a 404).
    for path in ("results", "plan", "plan.pdf", "plan.docx", "actions.xlsx", "actions.csv"):
        assert link_holder.get(f"/c/{token}/{path}").status_code == 200, path
        assert supervisor.get(f"/c/s{key[1:]}/{path}").status_code == 200, path
    # Still there for the owner after the walk.
    assert NOTE in ann.get(f"/c/{key}/results").text
