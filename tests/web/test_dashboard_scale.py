"""The dashboard reads stored summaries a page at a time: they match the results page after
every kind of save, and the list pages and searches without JavaScript (issue 16)."""

from __future__ import annotations

import html
import re
import threading

import pytest
from consultanthelpers import add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from webhelpers import HUNTINGTON, Wizard

from planner.web import dashboard, db, respondents, workspace

ROW_RE = re.compile(
    r'<th scope="row" data-label="Community"><a href="/c/(w\d+)/manage">([^<]*)</a></th>\s*'
    r'<td data-label="Status">([^<]*)</td>\s*<td data-label="Last change">[^<]*</td>\s*'
    r'<td data-label="Top pathway">([^<]*)</td>')


def rows(client: FlaskClient, query: str = "") -> dict[str, tuple[str, str, str]]:
    """The dashboard's lines by community key: name, status, top pathway."""
    page = client.get("/dashboard" + query)
    assert page.status_code == 200, page.text
    return {m.group(1): tuple(html.unescape(g) for g in m.groups()[1:])  # type: ignore[misc]
            for m in ROW_RE.finditer(page.text)}


def results_top(client: FlaskClient, key: str) -> str:
    found = re.search(r"(?:Best fit to start with|Leading so far|Chosen by your consultant): "
                      r"([^<]+)</h2>",
                      client.get(f"/c/{key}/results").text)
    assert found
    return html.unescape(found.group(1)).strip()


def test_the_summary_follows_saves_renames_and_overrides(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann, "Lakeview County (TTA)")
    assert rows(ann)[key] == ("Lakeview County (TTA)", "In progress (0 of 8 steps)",
                              "Not scored yet")
    complete(app, ann, key)  # the wizard renames it: HUNTINGTON's community name
    name, status, top = rows(ann)[key]
    assert name == "Huntington" and status == "Answers complete"
    assert top == results_top(ann, key)
    # A rename through the private link (not the consultant) reaches the dashboard too.
    guest = Wizard(app, app.test_client())
    guest.token = token
    guest.post_step("community", {**HUNTINGTON["community"], "community-name": "Lakeview County"})
    assert rows(ann)[key][0] == "Lakeview County"
    assert "Lakeview County (TTA)" not in ann.get("/dashboard").text
    assert "Lakeview County" in ann.get(f"/c/{key}/manage").text
    # An override changes the top pathway; withdrawing it changes it back.
    csrf = page_csrf(ann, "/dashboard")
    ann.post(f"/c/{key}/overrides", data={"csrf_token": csrf, "kind": "result",
                                          "pathway": "self-referral", "reason": "Council."})
    assert rows(ann)[key][2] == "Self-Referral (chosen by override)"
    assert results_top(ann, key) == "Self-Referral"
    page = ann.get(f"/c/{key}/overrides").text
    found = re.search(r"/overrides/(\d+)/remove", page)
    assert found
    ann.post(f"/c/{key}/overrides/{found.group(1)}/remove", data={"csrf_token": csrf})
    assert rows(ann)[key][2] == top == results_top(ann, key)
    # Archiving moves it to the archived list with its status.
    ann.post(f"/c/{key}/archive", data={"csrf_token": csrf, "action": "archive"})
    assert rows(ann)[key][1] == "Archived"


def test_a_summary_from_another_knowledge_base_is_recomputed_when_shown(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann, "Huntington")
    complete(app, ann, key)
    expected = rows(ann)[key]
    with app.app_context():
        db.session().execute(update(db.Interview).values(
            list_kb="old", list_status="stale", list_top="stale"))
        db.session().commit()
    assert rows(ann)[key] == expected
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None and row.list_kb == app.extensions["planner.kb_tag"]


def _many(app: Flask, owner_email: str, names: list[str]) -> None:
    """Communities made straight in the database (as a long-running caseload would be)."""
    with app.app_context():
        from planner.web import accounts

        user = accounts.find_user(owner_email)
        assert user is not None
        session = db.session()
        for i, name in enumerate(names):
            session.add(db.Interview(token_hash=f"{i:064x}", owner_id=user.id, name=name,
                                     answers_json="{}"))
        session.commit()


def test_the_list_is_paged_without_javascript(app: Flask, ann: FlaskClient) -> None:
    _many(app, "ann@example.org", [f"Town {i:02d}" for i in range(30)])
    first = ann.get("/dashboard")
    assert len(rows(ann)) == dashboard.PAGE_SIZE
    assert 'class="usa-pagination"' in first.text
    assert "(1 to 25 of 30)" in first.text
    assert 'href="/dashboard?page=2"' in first.text
    second = rows(ann, "?page=2")
    assert len(second) == 5
    assert not set(second) & set(rows(ann))
    assert rows(ann, "?page=999") == second  # past the end: the last page
    every = {name for name, _, _ in [*rows(ann).values(), *second.values()]}
    assert every == {f"Town {i:02d}" for i in range(30)}


@pytest.mark.parametrize("query", ["?page=0", "?page=-1", "?page=abc", "?page=1.5",
                                   "?page=", "?page=9999999999999", "?archived_page=x"])
def test_a_bad_page_number_is_a_400_with_a_message(ann: FlaskClient, query: str) -> None:
    response = ann.get("/dashboard" + query)
    assert response.status_code == 400
    assert "page number" in response.text


def test_search_finds_communities_by_name(app: Flask, ann: FlaskClient) -> None:
    _many(app, "ann@example.org", ["Lakeview County", "Huntington", "Cabell 100%_done",
                                   "Lake Forest"])
    assert {n for n, _, _ in rows(ann, "?q=lake").values()} == {"Lakeview County",
                                                               "Lake Forest"}
    assert {n for n, _, _ in rows(ann, "?q=LAKEVIEW").values()} == {"Lakeview County"}
    assert {n for n, _, _ in rows(ann, "?q=%25_").values()} == {"Cabell 100%_done"}
    page = ann.get("/dashboard?q=nowhere").text
    assert "No community you are working with has a name containing" in page
    assert "Show all communities" in page


def test_search_keeps_to_the_consultants_own_communities(app: Flask, ann: FlaskClient) -> None:
    create_community(ann, "Ann's town")
    add_user(app, "bob@example.org")
    bob = app.test_client()
    sign_in(bob, "bob@example.org")
    assert rows(bob, "?q=town") == {}


def test_the_audit_trail_is_paged(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann, "Huntington")
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        for i in range(60):
            workspace.record(row, "Ann", "notes", f"Change number {i}")
        db.session().commit()
    first = ann.get(f"/c/{key}/audit").text
    assert first.count('<td data-label="Who">') == dashboard.AUDIT_PAGE_SIZE
    assert "Change number 59" in first and "Change number 0<" not in first
    assert f'href="/c/{key}/audit?page=2"' in first
    second = ann.get(f"/c/{key}/audit?page=2").text
    assert "Change number 0<" in second and "Community \u201cHuntington\u201d created" in second
    assert ann.get(f"/c/{key}/audit?page=x").status_code == 400
    # The community page shows the five newest changes.
    manage = ann.get(f"/c/{key}/manage").text
    assert "Change number 59" in manage and "Change number 54" not in manage


def test_versions_are_paged_newest_first_and_compare_still_lists_them(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann, "Huntington")
    with app.app_context():
        row = db.session().get(db.Interview, int(key[1:]))
        assert row is not None
        for i in range(1, 31):
            db.session().add(workspace.Version(interview_id=row.id, number=i,
                                               label=f"Visit {i}", actor="Ann"))
        db.session().commit()
    first = ann.get(f"/c/{key}/versions").text
    assert "30. Visit 30" in first and "6. Visit 6" in first and "5. Visit 5" not in first
    second = ann.get(f"/c/{key}/versions?page=2").text
    assert "5. Visit 5" in second and "1. Visit 1" in second and "6. Visit 6" not in second
    assert ann.get(f"/c/{key}/versions?page=zero").status_code == 400
    compare = ann.get(f"/c/{key}/compare?from=1&to=current")
    assert compare.status_code == 200
    assert compare.text.count("<option") >= 2 * 30


def test_respondents_are_bounded(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann, "Huntington")
    with app.app_context():
        for i in range(respondents.MAX_RESPONDENTS):
            db.session().add(db.Interview(token_hash=f"r{i:063x}", parent_id=int(key[1:]),
                                          respondent_role="police", answers_json="{}"))
        db.session().commit()
    response = ann.post(f"/c/{key}/respondents", data={
        "csrf_token": page_csrf(ann, "/dashboard"), "role": "police", "name": "One more"})
    assert response.status_code == 400
    assert f"up to {respondents.MAX_RESPONDENTS} respondents" in response.text
    assert ann.get(f"/c/{key}/respondents").status_code == 200


def test_parallel_invitations_stay_within_the_bound(app: Flask, ann: FlaskClient) -> None:
    """Found by a tester: 16 invitations sent at once to a community with 26 respondents
    made 36 (the count and the insert were apart). They are counted under a lock now."""
    key, _ = create_community(ann, "Huntington")
    already = respondents.MAX_RESPONDENTS - 4
    with app.app_context():
        for i in range(already):
            db.session().add(db.Interview(token_hash=f"r{i:063x}", parent_id=int(key[1:]),
                                          respondent_role="police", answers_json="{}"))
        db.session().commit()
    clients = []
    for _ in range(12):
        client = app.test_client()
        sign_in(client, "ann@example.org")
        clients.append((client, page_csrf(client, "/dashboard")))
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def send(client: FlaskClient, token: str) -> None:
        start.wait()
        codes.append(client.post(f"/c/{key}/respondents", data={
            "csrf_token": token, "role": "police", "name": "Parallel"}).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        count = db.session().scalar(select(func.count()).select_from(db.Interview)
                                    .where(db.Interview.parent_id == int(key[1:])))
    assert count == respondents.MAX_RESPONDENTS
    assert sorted(codes) == [303] * 4 + [400] * 8, codes

