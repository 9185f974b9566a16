"""Cached form fields (planner/web/fragments.py) give the same page, byte for byte, as fields
rendered afresh: cold, warm, for another community's answers, and with errors shown."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner.web import fragments, state

CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    if response.status_code == 303:  # a page with nothing to ask for these answers
        return f"303 {response.location}"
    assert response.status_code == 200, (path, response.status_code)
    return CSRF.sub('name="csrf_token" value=""', response.text)


def _paths(app: Flask, wizard: Wizard) -> list[str]:
    kb = app.extensions["planner.kb"]
    paths = [wizard.url(f"/step/{s.id}" + (f"/{n}" if n > 1 else ""))
             for s in kb.sections for n in range(1, len(state.pages(kb, s.id)) + 1)]
    return [*paths, wizard.url("/review"), wizard.url("/results")]


def _uncached(app: Flask, client: FlaskClient, path: str) -> str:
    cache = app.extensions["planner.fields"]
    size, cache.size = cache.size, 0
    try:
        return _page(client, path)
    finally:
        cache.size = size


def test_every_page_is_the_same_with_the_cache_cold_warm_and_off(app: Flask,
                                                                  wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    cache = app.extensions["planner.fields"]
    assert cache.size > 0
    for path in _paths(app, wizard):
        fresh = _uncached(app, wizard.client, path)
        cold = _page(wizard.client, path)
        warm = _page(wizard.client, path)
        assert cold == fresh, path
        assert warm == fresh, path
    assert cache.hits > 0 and cache.misses > 0


def test_another_communitys_answers_are_not_served_from_the_first(app: Flask,
                                                                   wizard: Wizard) -> None:
    wizard.start()
    wizard.complete()
    for path in _paths(app, wizard):
        _page(wizard.client, path)  # fills the cache with Huntington's fields
    other = Wizard(app, app.test_client())
    other.start()
    changed = {**HUNTINGTON,
               "community": {**HUNTINGTON["community"], "community-name": "Door County",
                             "population": "under-50k", "rurality": "rural",
                             "lead-agency": "sheriff", "respondent-role": "sheriff"}}
    other.complete(changed)
    for path in _paths(app, other):
        assert _page(other.client, path) == _uncached(app, other.client, path), path
    pages = [p for p in _paths(app, other) if "/step/community" in p]
    community = "".join(_page(other.client, p) for p in pages)
    assert 'value="Door County"' in community
    lead = re.search(r'<select[^>]*id="q-lead-agency".*?</select>', community, re.S)
    assert lead and '<option value="sheriff" selected>' in lead.group(0)
    assert '<option value="fire-ems" selected>' not in lead.group(0)


def test_a_page_with_errors_is_the_same_as_rendered_afresh(app: Flask, wizard: Wizard) -> None:
    wizard.start()
    path = wizard.url("/step/community")
    page = wizard.client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    sent = {"csrf_token": token.group(1), "community-name": "x" * 500}
    first = wizard.client.post(path, data=sent)
    assert first.status_code == 422 or first.status_code == 400, first.status_code
    again = wizard.client.post(path, data=sent)
    cache = app.extensions["planner.fields"]
    size, cache.size = cache.size, 0
    try:
        fresh = wizard.client.post(path, data=sent)
    finally:
        cache.size = size
    assert "usa-error-message" in first.text
    strip = [CSRF.sub("", r.text) for r in (first, again, fresh)]
    assert strip[0] == strip[2] and strip[1] == strip[2]


def test_only_field_macros_are_cached(app: Flask) -> None:
    kb = app.extensions["planner.kb"]
    q = next(iter(state.pages(kb, kb.sections[0].id)))[0]
    with app.test_request_context():
        assert "usa-form-group" in fragments.field("question_field", q, {}, {})
        with pytest.raises(ValueError, match="not a cacheable"):
            fragments.field("resume_box", q, {}, {})
