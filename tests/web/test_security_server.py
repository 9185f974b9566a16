"""Issue 13, security round two: the server side: file modes, logs, bodies, links."""

from __future__ import annotations

import io
import logging
import re
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from consultanthelpers import add_user, create_community, page_csrf, sign_in
from flask import Flask
from webhelpers import Wizard, csrf_of

from planner import create_app
from planner.web import gunicorn_conf, logs


def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "RATE_LIMIT": False,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url})
    try:
        client = app.test_client()
        Wizard(app, client).start()  # a write: the -wal and -shm files exist now
        files = sorted(tmp_path.glob("fresh.sqlite3*"))
        assert {f.name for f in files} >= {"fresh.sqlite3", "fresh.sqlite3-wal",
                                           "fresh.sqlite3-shm"}
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    finally:
        app.extensions["planner.engine"].dispose()


def test_private_links_never_reach_the_logs(app: Flask, caplog: pytest.LogCaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    wizard = Wizard(app, app.test_client())
    token = wizard.start()
    from planner.web import wizard as wizard_views

    def broken(_token: str) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "wizard.review", broken)
    app.config["TESTING"] = False  # log the exception as production does
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO):
        response = wizard.client.get(f"/c/{token}/review")
        logging.getLogger("werkzeug").info('"GET /c/%s/step/community HTTP/1.1" 200 -', token)
        logging.getLogger("gunicorn.access").info("%(r)s", {"r": f"GET /c/{token}/plan.pdf"})
    assert response.status_code == 500
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "/c/[private-link]/review" in text
    assert token not in text
    assert wizard_views  # the blueprint module is loaded
    assert logs.redact(f"x /c/{token}/plan.pdf y") == "x /c/[private-link]/plan.pdf y"
    assert logs.redact("/c/w12/manage") == "/c/w12/manage"
    long_bad = "a" * 3000  # a tester saw the tail of a 3,000-character token in the log
    assert logs.redact(f"GET /c/{long_bad}/results") == "GET /c/[private-link]/results"
    encoded = "".join(f"%{ord(c):02X}" if i % 20 == 0 else c for i, c in enumerate(token))
    assert logs.redact(f"GET /c/{encoded}/ HTTP/1.1") == "GET /c/[private-link]/ HTTP/1.1"


def test_chunked_bodies_over_the_limit_are_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/").text)
    big = b"csrf_token=" + token.encode() + b"&a=" + b"x" * 200_000
    response = client.post("/new", input_stream=io.BytesIO(big), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.headers.get("Connection") == "close"
    small = b"csrf_token=" + token.encode()
    fine = client.post("/new", input_stream=io.BytesIO(small), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input_terminated": True})
    assert fine.status_code == 303  # a small chunked body still works


def test_a_413_says_connection_close(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/new", data={"a": "x" * 100_000})
    assert response.status_code == 413
    assert response.headers.get("Connection") == "close"


def test_gunicorn_closes_the_connection_for_bodies_it_may_not_read() -> None:
    def req(*headers: tuple[str, str]) -> Any:
        return SimpleNamespace(headers=list(headers), must_close=False)

    for headers in ((("CONTENT-LENGTH", "200000"),), (("TRANSFER-ENCODING", "chunked"),)):
        request = req(*headers)
        gunicorn_conf.pre_request(object(), request)
        assert request.must_close is True, headers
    small = req(("CONTENT-LENGTH", "100"))
    gunicorn_conf.pre_request(object(), small)
    assert small.must_close is False


def test_the_private_link_uses_the_configured_base_url(app_config: dict[str, Any]) -> None:
    app = create_app({**app_config, "BASE_URL": "https://planner.example.gov/"})
    try:
        client = app.test_client()
        wizard = Wizard(app, client)
        wizard.start()
        page = client.get(wizard.url("/saved"), headers={"Host": "evil.example"}).text
        assert "evil.example" not in page
        assert f"https://planner.example.gov/c/{wizard.token}" in page
    finally:
        app.extensions["planner.engine"].dispose()


def test_archiving_a_community_suspends_its_private_link(app: Flask) -> None:
    add_user(app, "ann@example.org")
    owner = app.test_client()
    sign_in(owner, "ann@example.org")
    key, token = create_community(owner)
    visitor = app.test_client()
    assert visitor.get(f"/c/{token}/step/community").status_code == 200
    invite = owner.post(f"/c/{key}/respondents", data={
        "csrf_token": page_csrf(owner, "/dashboard"), "role": "police"})
    assert invite.status_code == 303
    respondent = re.search(r"/c/([A-Za-z0-9_-]{40,64})", owner.get(f"/c/{key}/respondents").text)
    assert respondent
    archived = owner.post(f"/c/{key}/archive", data={"csrf_token": page_csrf(owner, "/dashboard")})
    assert archived.status_code == 303
    for link in (token, respondent.group(1)):
        paused = visitor.get(f"/c/{link}/step/community")
        assert paused.status_code == 404 and "archived" in paused.text
        assert visitor.get(f"/c/{link}/answers.json").status_code == 404
    assert owner.get(f"/c/{key}/manage").status_code == 200  # the consultant still has it
    owner.post(f"/c/{key}/archive", data={"csrf_token": page_csrf(owner, "/dashboard"),
                                          "action": "unarchive"})
    assert visitor.get(f"/c/{token}/step/community").status_code == 200
