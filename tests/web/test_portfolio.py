"""A provider's portfolio (issue 31, part 2): organizations, supervisors, filters, the map,
the CSV, hand-over, and no reads across organizations."""

from __future__ import annotations

import csv
import io

from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient

from planner.web import accounts, db, portfolio, workspace


def _join(app: Flask, email: str, org: str, role: str = "consultant") -> None:
    with app.app_context():
        user = accounts.find_user(email)
        assert user is not None
        portfolio.join(user, org, role)


def _client(app: Flask, email: str, name: str, org: str | None,
            role: str = "consultant") -> FlaskClient:
    add_user(app, email, name)
    if org:
        _join(app, email, org, role)
    client = app.test_client()
    sign_in(client, email)
    return client


def _record(client: FlaskClient, key: str, period: str, measure: str, value: str) -> None:
    response = client.post(f"/c/{key}/progress", data={
        "csrf_token": page_csrf(client, f"/c/{key}/progress"), "period": period,
        "measure": measure, "value": value})
    assert response.status_code == 303, response.text


def _rows(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get("/portfolio.csv" + query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_consultant_sees_their_own_a_supervisor_the_organizations_and_no_one_anothers(
        app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", "Acme TTA")
    bob = _client(app, "bob@example.org", "Bob Consultant", "Acme TTA")
    sue = _client(app, "sue@example.org", "Sue Supervisor", "Acme TTA", "supervisor")
    zed = _client(app, "zed@example.org", "Zed Elsewhere", "Other TTA")
    zoe = _client(app, "zoe@example.org", "Zoe Supervisor", "Other TTA", "supervisor")
    a_key, _ = create_community(ann, "Huntington")
    complete(app, ann, a_key)
    create_community(bob, "Bobville")
    create_community(zed, "Zedburg")
    assert [r["community"] for r in _rows(ann)] == ["Huntington"]
    assert [r["community"] for r in _rows(bob)] == ["Bobville"]
    assert sorted(r["community"] for r in _rows(sue)) == ["Bobville", "Huntington"]
    assert [r["community"] for r in _rows(zoe)] == ["Zedburg"]
    page = sue.get("/portfolio").text
    assert "Huntington" in page and "Bobville" in page and "Zedburg" not in page
    assert "read-only" in page
    # The supervisor sees the list; every page of the community stays its owner's.
    for path in ("manage", "progress", "results", "notes", "hand-over"):
        assert sue.get(f"/c/{a_key}/{path}").status_code == 404, path
        assert zoe.get(f"/c/{a_key}/{path}").status_code == 404, path
    assert app.test_client().get("/portfolio").status_code == 303  # sign in first
    assert app.test_client().get("/portfolio.csv").status_code == 303


def test_filters_search_and_the_map(app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", None)
    key, _ = create_community(ann, "Huntington")
    complete(app, ann, key)  # West Virginia, naloxone plus
    create_community(ann, "Elsewhere")
    create_community(ann, "Running already", route="existing")
    _record(ann, key, "2026-01", "measure-contacts", "30")
    response = ann.post(f"/c/{key}/progress/goals", data={
        "csrf_token": page_csrf(ann, f"/c/{key}/progress"), "measure": "measure-contacts",
        "target": "45"})
    assert response.status_code == 303
    rows = {r["community"]: r for r in _rows(ann)}
    assert rows["Huntington"]["state"] == "West Virginia"
    assert rows["Huntington"]["stage"] == "Launched"
    assert rows["Huntington"]["latest_period"] == "January 2026"
    assert rows["Huntington"]["against_targets"] == "0 of 1 target met"
    assert rows["Elsewhere"]["stage"] == "Planning"
    assert rows["Running already"]["stage"] == "Adding a pathway"
    assert [r["community"] for r in _rows(ann, "?state=wv")] == ["Huntington"]
    assert [r["community"] for r in _rows(ann, "?q=ELSE")] == ["Elsewhere"]
    assert [r["community"] for r in _rows(ann, "?stage=adding")] == ["Running already"]
    pathway = rows["Huntington"]["pathway"]
    with app.app_context():
        kb = app.extensions["planner.kb"]
        pid = next(p.id for p in kb.pathways.values() if p.label == pathway)
    assert [r["community"] for r in _rows(ann, f"?pathway={pid}")] == ["Huntington"]
    assert [r["community"] for r in _rows(ann, "?progress=off")] == ["Huntington"]
    assert _rows(ann, "?progress=on") == []
    assert sorted(r["community"] for r in _rows(ann, "?progress=none")) == [
        "Elsewhere", "Running already"]
    assert len(_rows(ann, "?active=30")) == 3 and _rows(ann, "?active=older") == []
    _record(ann, key, "2026-02", "measure-contacts", "50")  # the latest now meets it
    assert [r["community"] for r in _rows(ann, "?progress=on")] == ["Huntington"]
    page = ann.get("/portfolio?state=wv").text
    assert "Communities by state (the map as a table)" in page
    assert '<th scope="row">West Virginia</th><td>1</td>' in page
    assert 'alt="A map of the states, each a square with its number of communities: WV 1."' \
        in page
    assert f"/c/{key}/progress" in page  # from the portfolio to the community's progress
    assert ann.get("/portfolio?state=nowhere&stage=bogus").status_code == 200  # ignored


def test_hand_over_within_the_organization_is_audited(app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", "Acme TTA")
    bob = _client(app, "bob@example.org", "Bob Consultant", "Acme TTA")
    zed = _client(app, "zed@example.org", "Zed Elsewhere", "Other TTA")
    key, _ = create_community(ann, "Huntington")
    with app.app_context():
        bob_id = accounts.find_user("bob@example.org").id  # type: ignore[union-attr]
        zed_id = accounts.find_user("zed@example.org").id  # type: ignore[union-attr]
    page = ann.get(f"/c/{key}/hand-over").text
    assert "Bob Consultant" in page and "Zed Elsewhere" not in page
    csrf = page_csrf(ann, f"/c/{key}/hand-over")
    refused = ann.post(f"/c/{key}/hand-over", data={"csrf_token": csrf, "to": str(zed_id)})
    assert refused.status_code == 400
    assert ann.get(f"/c/{key}/manage").status_code == 200  # still Ann's
    assert bob.post(f"/c/{key}/hand-over", data={
        "csrf_token": page_csrf(bob, "/dashboard"), "to": str(bob_id)}).status_code == 404
    assert zed.get(f"/c/{key}/hand-over").status_code == 404
    done = ann.post(f"/c/{key}/hand-over", data={"csrf_token": csrf, "to": str(bob_id)})
    assert done.status_code == 303
    assert ann.get(f"/c/{key}/manage").status_code == 404
    assert bob.get(f"/c/{key}/manage").status_code == 200
    assert "Handed over from Ann Consultant to Bob Consultant." in bob.get(
        f"/c/{key}/audit").text
    with app.app_context():
        entry = db.session().query(workspace.AuditEntry).filter_by(action="hand-over").one()
        assert entry.actor == "Ann Consultant"


def test_a_supervisor_opens_a_community_from_the_portfolio_read_only(app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", "Acme TTA")
    bob = _client(app, "bob@example.org", "Bob Consultant", "Acme TTA")
    sue = _client(app, "sue@example.org", "Sue Supervisor", "Acme TTA", "supervisor")
    zoe = _client(app, "zoe@example.org", "Zoe Supervisor", "Other TTA", "supervisor")
    a_key, _ = create_community(ann, "Huntington")
    complete(app, ann, a_key)
    _record(ann, a_key, "2026-01", "measure-contacts", "30")
    b_key, _ = create_community(bob, "Bobville")  # not answered yet: no results
    a_read, b_read = "s" + a_key[1:], "s" + b_key[1:]
    page = sue.get("/portfolio").text
    assert f'href="/c/{a_read}/results"' in page  # scored: its results
    assert f'href="/c/{b_read}/progress"' in page  # not scored: its progress
    assert f"/c/{a_key}/" not in page and f"/c/{b_key}/" not in page  # not the owners' keys
    for path in ("results", "plan", "progress", "progress.csv", "plan.docx"):
        assert sue.get(f"/c/{a_read}/{path}").status_code == 200, path
    progress = sue.get(f"/c/{a_read}/progress").text
    assert "Read-only" in progress and "January 2026" in progress
    assert "Save the value" not in progress and "Save the baseline" not in progress
    assert "Re-score with these answers" not in sue.get(f"/c/{a_read}/results").text
    missing = sue.get(f"/c/{b_read}/results")
    assert missing.status_code == 404 and "not complete yet" in missing.text
    refused = sue.post(f"/c/{a_read}/progress", data={
        "csrf_token": page_csrf(sue, "/portfolio"), "period": "2026-02",
        "measure": "measure-contacts", "value": "99"})
    assert refused.status_code == 403 and "only its consultant can change" in refused.text
    assert "2026-02" not in ann.get(f"/c/{a_key}/progress.csv").text
    # A supervisor of another organization, and the owner's colleague, read nothing of it.
    for client in (zoe, bob):
        for path in ("results", "plan", "progress", "progress.csv"):
            assert client.get(f"/c/{a_read}/{path}").status_code == 404, path


# ------------------------------------------------------------------ organizations from the web


def _post(client: FlaskClient, path: str, **data: str) -> tuple[int, str]:
    response = client.post(path, data={"csrf_token": page_csrf(client, "/organization"),
                                       **data})
    return response.status_code, response.text


def _events(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session().query(
            portfolio.OrganizationEvent).order_by(portfolio.OrganizationEvent.id)]


def test_a_consultant_creates_an_organization_and_a_supervisor_adds_a_consultant(
        app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", None)
    bob = _client(app, "bob@example.org", "Bob Consultant", None)
    create_community(bob, "Bobville")
    assert "Create an organization" in ann.get("/organization").text
    assert _post(ann, "/organization", name="  Acme   TTA ")[0] == 303
    page = ann.get("/organization?saved=created").text
    assert "You are a supervisor of <strong>Acme TTA</strong>" in page
    assert "Ann Consultant created the organization" in page  # the audit trail, shown
    status, text = _post(bob, "/organization", name="acme tta")  # the name is taken
    assert status == 400 and "exists already" in text
    status, text = _post(ann, "/organization", name="Second TTA")
    assert status == 400 and "already belong" in text
    # Adding is an invitation: Bob's communities stay his until he accepts.
    assert _post(ann, "/organization/members", email=" BOB@example.org ",
                 role="consultant")[0] == 303
    assert "Bobville" not in ann.get("/portfolio").text
    invite = bob.get("/organization").text
    assert "An invitation from Acme TTA" in invite and "Accept and join" in invite
    status, text = _post(ann, "/organization/members", email="bob@example.org",
                         role="consultant")
    assert status == 400 and "already invited" in text
    assert _post(bob, "/organization/invitation", action="accept")[0] == 303
    assert "Bobville" in ann.get("/portfolio").text
    assert "You are a consultant of <strong>Acme TTA</strong>" in bob.get("/organization").text
    # The last supervisor stays one; once Bob is a supervisor, Ann may step down.
    with app.app_context():
        ann_id = accounts.find_user("ann@example.org").id  # type: ignore[union-attr]
        bob_id = accounts.find_user("bob@example.org").id  # type: ignore[union-attr]
    status, text = _post(ann, f"/organization/members/{ann_id}/role", role="consultant")
    assert status == 400 and "needs a supervisor" in text
    assert _post(ann, f"/organization/members/{bob_id}/role", role="supervisor")[0] == 303
    assert _post(ann, f"/organization/members/{ann_id}/role", role="consultant")[0] == 303
    assert "Members" in bob.get("/organization").text
    assert [a for a, _ in _events(app)] == ["created", "invited", "joined", "role", "role"]
    assert ("role", "Bob Consultant changed Ann Consultant from supervisor to consultant."
            ) not in _events(app)  # (Ann changed her own role, and is named as its actor)
    assert ("role", "Ann Consultant changed Ann Consultant from supervisor to consultant."
            ) in _events(app)


def test_organization_pages_refuse_anyone_but_a_supervisor_of_the_organization(
        app: Flask) -> None:
    ann = _client(app, "ann@example.org", "Ann Consultant", "Acme TTA", "supervisor")
    bob = _client(app, "bob@example.org", "Bob Consultant", "Acme TTA")
    zoe = _client(app, "zoe@example.org", "Zoe Supervisor", "Other TTA", "supervisor")
    _client(app, "cal@example.org", "Cal Consultant", None)
    with app.app_context():
        bob_id = accounts.find_user("bob@example.org").id  # type: ignore[union-attr]
    before = _events(app)
    anonymous = app.test_client()
    csrf = page_csrf(anonymous, "/")
    for path in ("/organization", "/organization/members", f"/organization/members/"
                 f"{bob_id}/role", "/organization/invitation"):
        response = anonymous.post(path, data={"csrf_token": csrf, "name": "X",
                                              "email": "cal@example.org", "role": "supervisor",
                                              "action": "accept"})
        assert response.status_code == 303 and "/sign-in" in response.location, path
    assert anonymous.get("/organization").status_code == 303
    # A consultant of the organization adds no one and changes no role.
    status, text = _post(bob, "/organization/members", email="cal@example.org",
                         role="consultant")
    assert status == 403 and "Only a supervisor" in text
    assert _post(bob, f"/organization/members/{bob_id}/role", role="supervisor")[0] == 403
    assert "Add a consultant" not in bob.get("/organization").text
    # A supervisor of another organization cannot touch Acme's members, nor take Bob.
    assert _post(zoe, f"/organization/members/{bob_id}/role", role="consultant")[0] == 404
    status, text = _post(zoe, "/organization/members", email="bob@example.org",
                         role="consultant")
    assert status == 400 and "belongs to another organization" in text
    assert "Bob Consultant" not in zoe.get("/organization").text
    # Bad input: an unknown account, no role; a missing CSRF token.
    status, text = _post(ann, "/organization/members", email="nobody@example.org",
                         role="consultant")
    assert status == 400 and "no consultant account for nobody@example.org" in text
    status, text = _post(ann, "/organization/members", email="cal@example.org", role="boss")
    assert status == 400 and "Choose a role" in text
    assert ann.post("/organization/members", data={"email": "cal@example.org",
                                                   "role": "consultant"}).status_code == 400
    assert _post(bob, "/organization/invitation", action="accept")[0] == 400  # none waiting
    assert _events(app) == before  # nothing above changed anything
    with app.app_context():
        assert db.session().get(portfolio.Member, bob_id).role == "consultant"  # type: ignore[union-attr]
