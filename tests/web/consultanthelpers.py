"""Helpers for the consultant tests: accounts, signing in, and a consultant's community."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner.web import accounts

PASSWORD = "correct horse battery staple"


def add_user(app: Flask, email: str, name: str = "") -> None:
    with app.app_context():
        accounts.create_user(email, PASSWORD, name)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "email": email,
                                             "password": password})
    assert response.status_code == 303, response.text


def page_csrf(client: FlaskClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def create_community(client: FlaskClient, name: str = "Huntington",
                     route: str = "new") -> tuple[str, str]:
    """Create a community from the dashboard; return its owner key and its private link token."""
    response = client.post("/dashboard/new", data={
        "csrf_token": page_csrf(client, "/dashboard"), "name": name, "route": route})
    assert response.status_code == 303, response.text
    key = re.search(r"/c/(w\d+)/manage", response.location)
    assert key
    page = client.get(response.location).text
    token = re.search(r"/c/([A-Za-z0-9_-]{40,64})", page)
    assert token, "the new community's private link is shown once"
    return key.group(1), token.group(1)


def complete(app: Flask, client: FlaskClient, key: str,
             answers: dict[str, dict[str, object]] = HUNTINGTON) -> Wizard:
    wizard = Wizard(app, client)
    wizard.token = key
    wizard.complete(answers)
    return wizard


def community_rules(app: Flask) -> list[tuple[str, str, str]]:
    """Every (rule, endpoint, method) of the app that belongs to one community."""
    found = []
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, rule.endpoint, method))
    return found


def fill(rule: str, token: str, override_id: int) -> str:
    url = rule.replace("<token>", token).replace("<section_id>", "community")
    return re.sub(r"<int:\w+>", str(override_id), url)
