"""Access control: someone else's community is a 404 on every route, for everyone else."""

from __future__ import annotations

import re

import pytest
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient

from planner.web import db


@pytest.fixture
def owner(app: Flask) -> FlaskClient:
    add_user(app, "ann@example.org", "Ann Consultant")
    add_user(app, "bob@example.org", "Bob Consultant")
    client = app.test_client()
    sign_in(client, "ann@example.org")
    return client


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


def test_the_test_covers_every_community_route(app: Flask) -> None:
    """A new community route is picked up by the enumeration (none can escape it)."""
    endpoints = {endpoint for _, endpoint, _ in community_rules(app)}
    assert {"results.plan_pdf", "consult.export", "consult.notes", "consult.compare",
            "respondents.index", "dashboard.manage", "wizard.step", "progress.page",
            "progress.export", "progress.import_confirm"} <= endpoints
    assert len(community_rules(app)) >= 25


def test_every_route_of_someone_elses_community_is_a_404(app: Flask,
                                                         owner: FlaskClient) -> None:
    key, token = create_community(owner)
    complete(app, owner, key)
    response = owner.post(f"/c/{key}/overrides", data={
        "csrf_token": page_csrf(owner, "/dashboard"), "kind": "result",
        "pathway": "self-referral", "reason": "The chief prefers it."})
    assert response.status_code == 303
    with app.app_context():
        from planner.web import workspace
        override_id = db.session().query(workspace.Override).one().id

    anonymous = app.test_client()
    other = app.test_client()
    sign_in(other, "bob@example.org")
    visitors = {"anonymous": (anonymous, page_csrf(anonymous, "/")),
                "another consultant": (other, page_csrf(other, "/dashboard"))}
    rules = community_rules(app)
    checked = 0
    for who, (client, csrf) in visitors.items():
        for rule, endpoint, method in rules:
            url = fill(rule, key, override_id)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": csrf, "kind": "result",
                                                  "action": "revoke", "role": "police"})
            assert response.status_code == 404, f"{who}: {method} {url} ({endpoint}) gave " \
                                                 f"{response.status_code}"
            checked += 1
    assert checked == 2 * len(rules)
    # The owner still has everything, by key and by link; nothing above changed it.
    for path in ("manage", "results", "plan", "notes", "compare", "respondents", "audit",
                 "answers.json", "overrides", "versions", "progress", "progress.csv",
                 "progress/import"):
        assert owner.get(f"/c/{key}/{path}").status_code == 200, path
    for path in ("results", "progress", "progress.csv", "progress/import"):
        assert anonymous.get(f"/c/{token}/{path}").status_code == 200, path


def test_a_private_link_opens_the_community_but_not_the_consultant_tools(
        app: Flask, owner: FlaskClient) -> None:
    _key, token = create_community(owner)
    visitor = app.test_client()
    assert visitor.get(f"/c/{token}/review").status_code == 200
    for path in ("manage", "notes", "overrides", "versions", "compare", "respondents", "audit"):
        assert visitor.get(f"/c/{token}/{path}").status_code == 404, path


def test_a_revoked_link_stops_working_and_a_reissued_one_works(app: Flask,
                                                               owner: FlaskClient) -> None:
    key, token = create_community(owner)
    visitor = app.test_client()
    assert visitor.get(f"/c/{token}/review").status_code == 200
    csrf = page_csrf(owner, "/dashboard")
    assert owner.post(f"/c/{key}/link", data={"csrf_token": csrf, "action": "revoke"}
                      ).status_code == 303
    for rule, _endpoint, method in community_rules(app):
        if method == "GET":
            assert visitor.get(fill(rule, token, 1)).status_code == 404, rule
    assert "revoked" in owner.get(f"/c/{key}/manage").text
    owner.post(f"/c/{key}/link", data={"csrf_token": csrf, "action": "reissue"})
    page = owner.get(f"/c/{key}/manage").text
    new = re.search(r"/c/([A-Za-z0-9_-]{40,64})", page)
    assert new and new.group(1) != token
    assert visitor.get(f"/c/{new.group(1)}/review").status_code == 200
    assert visitor.get(f"/c/{token}/review").status_code == 404
    assert "shown only once" not in owner.get(f"/c/{key}/manage").text


def test_an_unknown_action_on_the_link_is_a_400(app: Flask, owner: FlaskClient) -> None:
    key, _ = create_community(owner)
    response = owner.post(f"/c/{key}/link", data={"csrf_token": page_csrf(owner, "/dashboard"),
                                                  "action": "delete"})
    assert response.status_code == 400
