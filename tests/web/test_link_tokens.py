"""Private-link tokens are shown once and kept nowhere else: not in the audit trail, the
logs or the session cookie (signed, not encrypted: anyone holding it can read it)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from consultanthelpers import add_user, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planner.web import db, workspace

LINK = re.compile(r"/c/([A-Za-z0-9_-]{40,64})")


def cookie(app: Flask, client: FlaskClient) -> str:
    """The session cookie's content, decoded (what anyone who copies it can read)."""
    found = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if found is None:
        return ""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return json.dumps(serializer.loads(found.value))


def shown_once(client: FlaskClient, path: str) -> str:
    """The link a page shows after it was made; the same page shows it no more."""
    found = LINK.search(client.get(path).text)
    assert found, path
    assert not LINK.search(client.get(path).text), f"{path} shows the link twice"
    return found.group(1)


def test_no_link_token_in_the_audit_trail_the_logs_or_the_cookie(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, token = create_community(ann)
    tokens = [token]
    csrf = page_csrf(ann, "/dashboard")
    # Duplicated by its private link and by its key; a new link; a respondent invited.
    steps = [(f"/c/{token}/duplicate", {}), (f"/c/{key}/duplicate", {}),
             (f"/c/{key}/link", {"action": "reissue"}),
             (f"/c/{key}/respondents", {"role": "police"})]
    for path, extra in steps:
        response = ann.post(path, data={"csrf_token": csrf, **extra})
        assert response.status_code == 303, (path, response.status_code)
        held = cookie(app, ann)
        tokens.append(shown_once(ann, response.location))
        assert tokens[-1] not in held, f"the cookie carries the new link after {path}"
        assert "new_link" not in held and "respondent_link" not in held
    assert len(set(tokens)) == len(tokens)
    with app.app_context():
        trail = [e.detail for e in db.session().scalars(select(workspace.AuditEntry))]
    assert len(trail) >= 6
    for made in tokens:
        for detail in trail:
            assert made not in detail, detail
        for record in caplog.records:
            assert made not in record.getMessage(), record.getMessage()
    # Every link shown works (what was checked above was a real token).
    visitor = app.test_client()
    for made in tokens[1:]:
        assert visitor.get(f"/c/{made}/review").status_code == 200, made


def test_a_link_made_in_one_browser_is_not_shown_in_another(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ann@example.org")
    sign_in(second, "ann@example.org")
    key, _ = create_community(first)
    response = first.post(f"/c/{key}/link", data={"csrf_token": page_csrf(first, "/dashboard"),
                                                  "action": "reissue"})
    assert response.status_code == 303
    assert not LINK.search(second.get(f"/c/{key}/manage").text)
    assert LINK.search(first.get(f"/c/{key}/manage").text)
