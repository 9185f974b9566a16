"""Issue 13, security round two: downloads, redirects, caching and bad input.

Each test reproduces one finding of the issue (it failed before the fix) and runs on
SQLite and, with PLANNER_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from webhelpers import HUNTINGTON, Wizard, csrf_of
from werkzeug.http import parse_options_header

from planner.web import db, downloads, state, workspace

NAMES = ["Hawai\u02bbi County", "\u5317\u4eac", "Ca\u00f1on City",
         "\u041c\u043e\u0441\u043a\u0432\u0430", "\u0627\u0644\u0642\u0627\u0647\u0631\u0629",
         'Odd "quoted"; name\\']


def named(name: str) -> dict[str, dict[str, Any]]:
    answers = {k: dict(v) for k, v in HUNTINGTON.items()}
    answers["community"]["community-name"] = name
    return answers


def disposition(header: str) -> tuple[str, str]:
    """The (ASCII fallback, UTF-8) file names of a Content-Disposition header."""
    header.encode("ascii")  # a header must be ASCII (Latin-1 at most) on the wire
    kind, options = parse_options_header(header)  # reads filename* as RFC 2231 says
    assert kind == "attachment", header
    assert re.search(r"filename\*=UTF-8''[^;\s]+$", header), header
    fallback = re.search(r'filename="([^"\\]*)";', header)
    assert fallback, header
    return fallback.group(1), options["filename"]


# ------------------------------------------------------------- 1. downloads


@pytest.mark.parametrize("name", NAMES)
def test_helper_gives_rfc_6266_names_with_an_ascii_fallback(name: str) -> None:
    headers: dict[str, str] = {}
    downloads.attachment(headers, downloads.slug(name) + "-plan.pdf")
    fallback, full = disposition(headers["Content-Disposition"])
    assert full == downloads.slug(name) + "-plan.pdf"
    assert fallback.endswith("plan.pdf") and fallback.isascii()
    assert '"' not in fallback and "\\" not in fallback and ";" not in fallback


def test_the_fallback_keeps_latin_letters_without_accents() -> None:
    headers: dict[str, str] = {}
    downloads.attachment(headers, "ca\u00f1on-city-plan.pdf")
    assert disposition(headers["Content-Disposition"]) == ("canon-city-plan.pdf",
                                                           "ca\u00f1on-city-plan.pdf")


@pytest.mark.parametrize("name", NAMES[:3])
def test_pdf_and_json_downloads_work_for_names_in_any_script(app: Flask, client: FlaskClient,
                                                             name: str) -> None:
    wizard = Wizard(app, client)
    wizard.start()
    wizard.complete(named(name))
    for path, suffix in (("/answers.json", "-answers.json"), ("/plan.pdf", "-plan.pdf")):
        response = client.get(wizard.url(path))
        assert response.status_code == 200, (path, response.status_code)
        fallback, full = disposition(response.headers["Content-Disposition"])
        assert full == downloads.slug(name) + suffix
        assert fallback.isascii() and fallback.endswith(suffix.lstrip("-"))


# ------------------------------------------------------------- 2. open redirect

@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0d/evil.example", "%09//evil.example", "/%5Cevil.example",
    "%5C%5Cevil.example", "//evil.example", "https://evil.example/", "javascript:alert(1)",
    "/%0a%0dSet-Cookie:%20x=1", "%20//evil.example", "/\\/evil.example", "http:/evil.example",
])
def test_sign_in_never_redirects_off_site(app: Flask, target: str) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(f"/sign-in?next={target}", data={
        "csrf_token": csrf_of(page.text), "email": "ann@example.org",
        "password": "correct horse battery staple"})
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    # What a browser makes of it: tabs and newlines dropped, backslashes read as slashes.
    seen = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").strip()
    parts = urlsplit(seen)
    assert not parts.scheme and not parts.netloc and seen.startswith("/"), location
    assert not seen.startswith("//"), location


def test_sign_in_still_returns_to_a_page_on_this_site(app: Flask) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post("/sign-in?next=/c/w1/notes%3Fx%3D1", data={
        "csrf_token": csrf_of(page.text), "email": "ann@example.org",
        "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/c/w1/notes?x=1"


# ------------------------------------------------------------- 3. caching

def test_every_private_response_is_no_store(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann)
    complete(app, ann, key)
    paths = [f"/c/{token}/answers.json", f"/c/{token}/plan.pdf", f"/c/{token}/plan",
             f"/c/{key}/answers.json", f"/c/{key}/manage", f"/c/{key}/notes", "/dashboard",
             f"/c/{token}/results", f"/c/{token}/step/community"]
    for path in paths:
        response = ann.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


# ------------------------------------------------------------- 4. bad input


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_is_a_400_not_a_500(app: Flask, client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    token = csrf_of(client.get("/").text)
    for body in (_deep(1000), '{"a":' * 1000 + "1" + "}" * 1000, _deep(100_000)[:60_000]):
        for path in ("/new", "/sign-in", "/existing"):
            response = client.post(path, data=body, content_type="application/json",
                                   headers={"X-CSRFToken": token})
            assert response.status_code == 400, (path, response.status_code)
            assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def upload(client: FlaskClient, key: str, body: bytes) -> Any:
    return client.post(f"/c/{key}/import", data={
        "csrf_token": page_csrf(client, "/dashboard"),
        "file": (io.BytesIO(body), "answers.json")}, content_type="multipart/form-data")


def test_bad_imports_are_refused_with_a_message(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    good = ann.get(f"/c/{key}/answers.json").text
    data = json.loads(good)
    surrogate = json.dumps(data).replace('"Huntington"', '"Hunt\\ud83dington"')
    duplicated = good.replace('"format"', '"format": "x", "format"', 1)
    cases = [
        ('{"answers": ' + _deep(1000) + "}", "too deeply nested"),
        (surrogate, "not valid text"),
        (duplicated, "more than once"),
        (json.dumps({**data, "answers": {**data["answers"], "notes": "a\u0000b"}}),
         "not valid text"),
    ]
    for body, words in cases:
        response = upload(ann, key, body.encode())
        assert response.status_code == 400, (words, response.status_code)
        assert words in response.text, (words, response.text[-1500:])
        confirm = ann.post(f"/c/{key}/import/confirm", data={
            "csrf_token": page_csrf(ann, "/dashboard"), "payload": body})
        assert confirm.status_code == 400, (words, confirm.status_code)
    assert ann.get(f"/c/{key}/answers.json").text == good


def test_nul_characters_are_refused_everywhere_not_an_outage(app: Flask, ann: FlaskClient
                                                             ) -> None:
    key, _ = create_community(ann)
    token = page_csrf(ann, "/dashboard")
    posts = [
        ("/dashboard/new", {"name": "Hunt\x00ington"}),
        (f"/c/{key}/notes", {"note-general": "a\x00b"}),
        (f"/c/{key}/versions", {"label": "v\x00"}),
        (f"/c/{key}/step/community", {"community-name": "x\x00y", "state": "wv"}),
        (f"/c/{key}/overrides", {"kind": "result", "pathway": "x", "reason": "\x00"}),
        (f"/c/{key}/respondents", {"role": "police", "name": "\x00"}),
    ]
    for path, form in posts:
        response = ann.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 400, (path, response.status_code)
        assert "cannot be saved" in response.text or "could not" in response.text, path
    other = app.test_client()
    page = other.get("/sign-in")
    response = other.post("/sign-in", data={"csrf_token": csrf_of(page.text),
                                            "email": "ann\x00@example.org", "password": "x" * 12})
    assert response.status_code == 400 and "Retry-After" not in response.headers


@pytest.mark.parametrize("path", [
    "/c/w2147483648/manage", "/c/w9999999999/notes", "/c/w4294967296/answers.json",
])
def test_out_of_range_ids_are_a_404(ann: FlaskClient, path: str) -> None:
    response = ann.get(path)
    assert response.status_code == 404, response.status_code


def test_odd_digits_and_huge_numbers_are_400_or_404(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    for value in ("\u00b2", "\u0663", "99999999999999999999999", str(2**63), "-1", "1.5"):
        response = ann.get(f"/c/{key}/compare", query_string={"from": value})
        assert response.status_code in (400, 404), (value, response.status_code)
        response = ann.post(f"/c/{key}/overrides/{quote(value)}/remove",
                            data={"csrf_token": page_csrf(ann, "/dashboard")})
        assert response.status_code in (400, 404), (value, response.status_code)
    for big in (str(2**31), str(2**64), "9" * 30):
        response = ann.post(f"/c/{key}/overrides/{big}/remove",
                            data={"csrf_token": page_csrf(ann, "/dashboard")})
        assert response.status_code == 404, (big, response.status_code)


def test_settling_with_an_odd_digit_is_a_400(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    # two respondents who disagree on one question
    for role, naloxone in (("police", "yes"), ("treatment", "no")):
        ann.post(f"/c/{key}/respondents", data={"csrf_token": page_csrf(ann, "/dashboard"),
                                                "role": role})
        with app.app_context():
            row = db.session().scalars(select(db.Interview).order_by(
                db.Interview.id.desc())).first()
            assert row is not None
            row.answers_json = json.dumps({"naloxone": naloxone})
            db.session().commit()
    for value in ("\u00b2", "99999999999999999999999"):
        response = ann.post(f"/c/{key}/respondents/settle", data={
            "csrf_token": page_csrf(ann, "/dashboard"), "settle-naloxone": value})
        assert response.status_code == 400, (value, response.status_code)


def test_community_names_have_one_limit_the_questions(app: Flask, ann: FlaskClient) -> None:
    limit = app.extensions["planner.kb"].questions["community-name"].max_length
    assert limit == 120
    token = page_csrf(ann, "/dashboard")
    refused = ann.post("/dashboard/new", data={"csrf_token": token, "name": "x" * (limit + 1)})
    assert refused.status_code == 400 and str(limit) in refused.text
    key, _ = create_community(ann, "y" * limit)
    copy = ann.post(f"/c/{key}/duplicate", data={"csrf_token": token})
    assert copy.status_code == 303
    new_key = re.search(r"/c/(w\d+)/", copy.location)
    assert new_key
    exported = ann.get(f"/c/{new_key.group(1)}/answers.json").json
    name = exported["answers"]["community-name"]
    assert name.startswith("Copy of y") and len(name) <= limit
    with app.app_context():
        row = db.session().get(db.Interview, int(new_key.group(1)[1:]))
        assert row is not None and row.name == name


def _parallel(count: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_version_saves_all_succeed(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    token = page_csrf(ann, "/dashboard")
    clients = []
    for _ in range(10):
        c = app.test_client()
        sign_in(c, "ann@example.org")
        clients.append((c, page_csrf(c, "/dashboard")))
    statuses = _parallel(10, lambda i: clients[i][0].post(
        f"/c/{key}/versions", data={"csrf_token": clients[i][1], "label": f"v{i}"}).status_code)
    assert statuses == [303] * 10
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        assert [v.number for v in workspace.versions(row)] == list(range(1, 11))
    assert token


def test_parallel_imports_all_succeed(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    good = ann.get(f"/c/{key}/answers.json").text
    clients = []
    for _ in range(6):
        c = app.test_client()
        sign_in(c, "ann@example.org")
        clients.append((c, page_csrf(c, "/dashboard")))
    statuses = _parallel(6, lambda i: clients[i][0].post(
        f"/c/{key}/import/confirm", data={"csrf_token": clients[i][1], "payload": good}
    ).status_code)
    assert statuses == [303] * 6
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        assert [v.number for v in workspace.versions(row)] == list(range(1, 13))


def test_a_huge_number_is_a_400_that_says_so_on_import_and_in_the_wizard(
        app: Flask, ann: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 27: 400 digits in `local-budget` gave a 500 on import."""
    key, _ = create_community(ann)
    complete(app, ann, key)
    good = ann.get(f"/c/{key}/answers.json").text
    cases = [
        (good.replace('"answers": {', '"answers": {"local-budget": ' + "9" * 400 + ", ", 1),
         "\u2018local-budget\u2019 must be at most 100,000,000"),
        (good.replace('"answers": {', '"answers": {"local-budget": -' + "9" * 400 + ", ", 1),
         "\u2018local-budget\u2019 must be at least 0"),
        (good.replace('"answers": {', '"answers": {"local-budget": ' + "9" * 5000 + ", ", 1),
         "too long to read"),
    ]
    for body, words in cases:
        for response in (upload(ann, key, body.encode()),
                         ann.post(f"/c/{key}/import/confirm", data={
                             "csrf_token": page_csrf(ann, "/dashboard"), "payload": body})):
            assert response.status_code == 400, (words, response.status_code)
            shown = response.text.replace("&#39;", "\u2019").replace("'", "\u2019")
            assert words.replace("\u2018", "\u2019") in shown, (words, response.text[-1500:])
    assert ann.get(f"/c/{key}/answers.json").text == good
    kb = app.extensions["planner.kb"]
    number = next(n for n, page in enumerate(state.pages(kb, "data-justice"), start=1)
                  if "local-budget" in {q.id for q in page})
    path = f"/c/{key}/step/data-justice" + (f"/{number}" if number > 1 else "")
    page = ann.get(path).text
    for digits in ("9" * 400, "-" + "9" * 400, "1e400", "9" * 5000):
        response = ann.post(path, data={"csrf_token": csrf_of(page), "local-budget": digits})
        assert response.status_code == 400, (digits[:8], response.status_code)
        assert "Enter a number between 0 and 100000000" in response.text
    assert ann.get(f"/c/{key}/answers.json").text == good
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
