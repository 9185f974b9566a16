"""A respondent's link can be revoked (and a new one issued) on its own, by the community's
consultant only; the other respondents' links and the community's link keep working."""

from __future__ import annotations

import re

from consultanthelpers import add_user, create_community, page_csrf, sign_in
from flask import Flask
from sqlalchemy import select

from planner.web import db

LINK = re.compile(r"/c/([A-Za-z0-9_-]{40,64})")


def test_one_respondents_link_is_revoked_and_reissued_alone(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    add_user(app, "bob@example.org", "Bob Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, community = create_community(ann)
    csrf = page_csrf(ann, "/dashboard")
    links = []
    for role in ("police", "treatment"):
        assert ann.post(f"/c/{key}/respondents", data={"csrf_token": csrf, "role": role}
                        ).status_code == 303
        found = LINK.search(ann.get(f"/c/{key}/respondents").text)
        assert found
        links.append(found.group(1))
    with app.app_context():
        ids = list(db.session().scalars(select(db.Interview.id).where(
            db.Interview.parent_id.is_not(None)).order_by(db.Interview.id)))
    visitor = app.test_client()
    for link in links:
        assert visitor.get(f"/c/{link}/review").status_code == 200

    # Another consultant, a link holder and a respondent cannot revoke it.
    bob = app.test_client()
    sign_in(bob, "bob@example.org")
    for client, path in ((bob, f"/c/{key}"), (visitor, f"/c/{community}"),
                         (visitor, f"/c/{links[1]}")):
        response = client.post(f"{path}/respondents/{ids[0]}/link",
                               data={"csrf_token": page_csrf(client, "/"), "action": "revoke"})
        assert response.status_code == 404, path
    assert visitor.get(f"/c/{links[0]}/review").status_code == 200

    response = ann.post(f"/c/{key}/respondents/{ids[0]}/link",
                        data={"csrf_token": csrf, "action": "revoke"})
    assert response.status_code == 303
    assert visitor.get(f"/c/{links[0]}/review").status_code == 404
    assert visitor.get(f"/c/{links[1]}/review").status_code == 200
    assert visitor.get(f"/c/{community}/review").status_code == 200
    page = ann.get(f"/c/{key}/respondents").text
    assert "Link revoked" in page and not LINK.search(page)

    response = ann.post(f"/c/{key}/respondents/{ids[0]}/link",
                        data={"csrf_token": csrf, "action": "reissue"})
    assert response.status_code == 303
    fresh = LINK.search(ann.get(f"/c/{key}/respondents").text)
    assert fresh and fresh.group(1) not in links
    assert visitor.get(f"/c/{fresh.group(1)}/review").status_code == 200
    assert visitor.get(f"/c/{links[0]}/review").status_code == 404
    # Someone else's respondent, or the community itself, is not one of these respondents.
    for other in (ids[1] + 100, int(key[1:])):
        assert ann.post(f"/c/{key}/respondents/{other}/link",
                        data={"csrf_token": csrf, "action": "revoke"}).status_code == 404
    assert ann.post(f"/c/{key}/respondents/{ids[1]}/link",
                    data={"csrf_token": csrf, "action": "delete"}).status_code == 400
