"""Access control: someone else's community is a 404 on every route, for everyone else."""

from __future__ import annotations

import re

import pytest
from consultanthelpers import (
    add_user,
    community_rules,
    complete,
    create_community,
    fill,
    page_csrf,
    sign_in,
)
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


def test_a_supervisor_reads_the_organizations_community_and_changes_nothing(
        app: Flask, owner: FlaskClient) -> None:
    """A supervisor of the community's organization opens its results, plan and progress by
    the read-only address (s<id>); every other page and every POST is a 403 that says so,
    the pages show no form that changes anything, and nothing changes. A supervisor of
    another organization, a consultant of the same one, and anyone else get a 404."""
    from planner.web import accounts, portfolio, state, workspace

    key, _token = create_community(owner)
    complete(app, owner, key)
    recorded = owner.post(f"/c/{key}/progress", data={
        "csrf_token": page_csrf(owner, f"/c/{key}/progress"), "period": "2026-01",
        "measure": "measure-contacts", "value": "30"})
    assert recorded.status_code == 303
    for email, name, org, role in (
            ("sue@example.org", "Sue Supervisor", "Acme TTA", "supervisor"),
            ("zoe@example.org", "Zoe Supervisor", "Other TTA", "supervisor"),
            ("ann@example.org", "", "Acme TTA", "consultant"),
            ("bob@example.org", "", "Acme TTA", "consultant")):
        if name:
            add_user(app, email, name)
        with app.app_context():
            user = accounts.find_user(email)
            assert user is not None
            portfolio.join(user, org, role)
    clients = {}
    for email in ("sue@example.org", "zoe@example.org", "bob@example.org"):
        clients[email] = app.test_client()
        sign_in(clients[email], email)
    sue = clients["sue@example.org"]
    read = "s" + key[1:]
    with app.app_context():
        before = (db.session().query(workspace.AuditEntry).count(),
                  db.session().get(db.Interview, int(key[1:])).updated_at)  # type: ignore[union-attr]

    rules = community_rules(app)
    readable = {(r, e) for r, e, m in rules if e in state.READ_ONLY_PAGES and m == "GET"}
    assert {e for _, e in readable} == state.READ_ONLY_PAGES
    csrf = page_csrf(sue, "/portfolio")
    for rule, endpoint, method in rules:
        url = fill(rule, read, 1)
        if method == "GET" and endpoint in state.READ_ONLY_PAGES:
            if endpoint == "results.plan_pdf":
                continue  # a render (slow); the same load as the plan's Word copy
            response = sue.get(url)
            assert response.status_code == 200, f"{method} {url} gave {response.status_code}"
        else:
            response = (sue.get(url) if method == "GET" else
                        sue.post(url, data={"csrf_token": csrf, "kind": "result",
                                            "period": "2026-02", "measure": "measure-contacts",
                                            "value": "99", "action": "revoke"}))
            assert response.status_code == 403, f"{method} {url} gave {response.status_code}"
            assert "only its consultant can change" in response.text, url
    for path in ("results", "progress", "sizing"):
        page = sue.get(f"/c/{read}/{path}").text
        assert "Read-only" in page, path
        assert not re.search(r'<form[^>]*method="post"[^>]*action="/c/', page), path
        assert "import a spreadsheet" not in page and "Your private link" not in page, path
    assert f"/c/{read}/results" in sue.get("/portfolio").text  # opened from the portfolio

    visitors = {"a supervisor of another organization": clients["zoe@example.org"],
                "a consultant of the organization": clients["bob@example.org"],
                "anonymous": app.test_client()}
    for who, client in visitors.items():
        csrf = page_csrf(client, "/")
        for rule, endpoint, method in rules:
            url = fill(rule, read, 1)
            if method == "GET":
                assert client.get(url).status_code == 404, f"{who}: {url} ({endpoint})"
            else:  # refused before anything is read (the address is read-only)
                assert client.post(url, data={"csrf_token": csrf}).status_code in (403, 404), \
                    f"{who}: POST {url}"
    with app.app_context():
        after = (db.session().query(workspace.AuditEntry).count(),
                 db.session().get(db.Interview, int(key[1:])).updated_at)  # type: ignore[union-attr]
    assert after == before
    assert owner.get(f"/c/{key}/progress.csv").text.count("\n") == 2  # the header, one value

