"""Consultants change their own password; an administrator resets a forgotten one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from consultanthelpers import PASSWORD, add_user, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from planner.cli import main
from planner.web import accounts, db

NEW = "a completely different passphrase"


def _change(client: FlaskClient, current: str, new: str,
            confirm: str | None = None) -> TestResponse:
    return client.post("/account/password", data={
        "csrf_token": page_csrf(client, "/account/password"), "current": current, "new": new,
        "confirm": new if confirm is None else confirm})


def test_the_page_needs_a_signed_in_consultant(app: Flask) -> None:
    response = app.test_client().get("/account/password")
    assert response.status_code == 303 and "/sign-in" in response.location
    posted = app.test_client().post("/account/password", data={"current": PASSWORD})
    assert posted.status_code == 400  # no session, so no valid CSRF token either


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not my password at all", NEW, None, "The current password is wrong."),
    (PASSWORD, "short", None, "must be 12 to 1000 characters"),
    (PASSWORD, NEW, NEW + "!", "The two new passwords are not the same."),
    (PASSWORD, PASSWORD, None, "must differ from the current one"),
    ("", NEW, None, "Enter your current password."),
])
def test_a_refused_change_says_why_and_keeps_the_old_password(
        app: Flask, current: str, new: str, confirm: str | None, message: str) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    sign_in(client, "ann@example.org")
    response = _change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.text
    with app.app_context():
        assert accounts.authenticate("ann@example.org", PASSWORD) is not None


def test_the_change_needs_the_csrf_token(app: Flask) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    sign_in(client, "ann@example.org")
    response = client.post("/account/password",
                           data={"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert response.status_code == 400
    with app.app_context():
        assert accounts.authenticate("ann@example.org", PASSWORD) is not None


def test_a_change_keeps_this_browser_and_signs_out_the_others(app: Flask) -> None:
    add_user(app, "ann@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, "ann@example.org")
    sign_in(elsewhere, "ann@example.org")
    assert elsewhere.get("/dashboard").status_code == 200

    response = _change(here, PASSWORD, NEW)
    assert response.status_code == 303
    page = here.get(response.location)
    assert page.status_code == 200 and "Your password was changed" in page.text

    gone = elsewhere.get("/dashboard")
    assert gone.status_code == 303 and "/sign-in" in gone.location
    with app.app_context():
        assert accounts.authenticate("ann@example.org", PASSWORD) is None
        assert accounts.authenticate("ann@example.org", NEW) is not None


def test_set_password_resets_a_forgotten_password(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    added = runner.invoke(main, ["add-user", "cat@example.org", "--password", PASSWORD])
    assert added.exit_code == 0, added.output
    unknown = runner.invoke(main, ["set-password", "nobody@example.org", "--password", NEW])
    assert unknown.exit_code != 0 and "no account for nobody@example.org" in unknown.output
    short = runner.invoke(main, ["set-password", "cat@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    done = runner.invoke(main, ["set-password", "Cat@Example.org", "--password", NEW])
    assert done.exit_code == 0, done.output
    assert "Set a new password for cat@example.org" in done.output
    from planner import create_app
    with create_app().app_context():
        assert accounts.authenticate("cat@example.org", PASSWORD) is None
        assert accounts.authenticate("cat@example.org", NEW) is not None
        assert db.session().query(accounts.User).count() == 1
