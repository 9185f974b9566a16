"""Hostile input: property-based fuzzing of every form and JSON endpoint in the url_map.

Whatever arrives (huge strings, odd unicode, NULs, wrong types, extra or repeated fields,
tampered choices, missing or forged CSRF tokens, JSON where a form is expected, bad
tokens in the URL), the answer is never a 5xx; a refusal is a 4xx with a message.
The routes are read from the app, so routes added later are fuzzed too.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner import create_app

# Requests whose success is slow by design (a PDF or Word render): fuzzed with bad tokens only.
SLOW_ENDPOINTS = {"results.plan_pdf", "results.plan_docx", "results.starter_docx"}
SKIP_ENDPOINTS = {"assets.static", "assets.uswds"}
MESSAGE = re.compile(r"usa-alert|usa-error-message|Error code \d{3}|\"error\"|\"message\"", re.I)
EXAMPLES = 1250  # x 4 tests = 5,000 cases
GOOD_CSRF: list[str] = []

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(["", " ", "\x00", "\x00" * 50, "\ud7ff\ufeff\u202e", "<script>x</script>",
                     "' OR 1=1 --", "../../etc/passwd", "%00", "{{7*7}}", "${7*7}", "\r\n\r\n",
                     "NaN", "inf", "-inf", "1e309", "-1", "0", "9" * 400, "dont-know", "yes",
                     "no", "many", "__proto__", "A" * 43, "true", "null", "[]", "{}"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.builds(lambda n, c: c * n, st.integers(1000, 60_000), st.sampled_from("x\u00e9\U0001f600")),
)


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[tuple[Flask, FlaskClient, str]]:
    import os

    folder = Path(tempfile.mkdtemp(prefix="planner-fuzz-"))
    url = os.environ.get("PLANNER_TEST_DATABASE_URL") or f"sqlite:///{folder / 'fuzz.sqlite3'}"
    if os.environ.get("PLANNER_TEST_DATABASE_URL"):
        from conftest import empty_database

        empty_database(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "fuzz", "RATE_LIMIT": False,
                      "INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": url})
    client = app.test_client()
    wizard = Wizard(app, client)
    token = wizard.start()
    wizard.complete(HUNTINGTON)
    GOOD_CSRF.append(csrf_of(client.get("/").text))  # one session: the token stays good
    yield app, client, token
    app.extensions["planner.engine"].dispose()


def _rules(app: Flask) -> list[tuple[str, str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, sorted(rule.arguments)))
    return found


def _fill(app: Flask, endpoint: str, args: list[str], token: str, data: st.DataObject) -> str:
    values: dict[str, Any] = {}
    kb = app.extensions["planner.kb"]
    for arg in args:
        if arg == "token":
            good = token if endpoint not in SLOW_ENDPOINTS else "B" * 43
            values[arg] = data.draw(st.one_of(st.just(good), st.text(min_size=1, max_size=80)))
        elif arg == "section_id":
            values[arg] = data.draw(st.one_of(st.sampled_from([s.id for s in kb.sections]),
                                              st.text(min_size=1, max_size=40)))
        else:
            values[arg] = data.draw(st.one_of(st.integers(-5, 10**12).map(str),
                                              st.text(min_size=1, max_size=60)))
    with app.test_request_context():
        from flask import url_for

        for fallback in (None, "1", "x"):
            try:
                return url_for(endpoint, **(values if fallback is None else
                                            {k: (token if k == "token" else fallback)
                                             for k in values}))
            except ValueError:  # a value the converter will not build (an int route)
                continue
        raise AssertionError(f"cannot build a URL for {endpoint}")


def _field_names(app: Flask) -> list[str]:
    kb = app.extensions["planner.kb"]
    return [*kb.questions, "csrf_token", "action", "return", "email", "password", "name",
            "note", "text", "section", "reason", "weight", "role", "label"]


def _form(app: Flask, client: FlaskClient, data: st.DataObject) -> dict[str, Any]:
    names = _field_names(app)
    fields = data.draw(st.dictionaries(
        st.one_of(st.sampled_from(names), st.text(max_size=30)),
        st.one_of(hostile_text, st.lists(hostile_text, max_size=4)), max_size=12))
    kb = app.extensions["planner.kb"]
    # Tampered choices: a real question with a real option from another question.
    if data.draw(st.booleans()):
        q = data.draw(st.sampled_from([q for q in kb.questions.values() if q.options]))
        other = data.draw(st.sampled_from([o.id for qq in kb.questions.values()
                                           for o in qq.options]))
        fields[q.id] = data.draw(st.sampled_from([other, [other, other], q.options[0].id]))
    csrf = data.draw(st.sampled_from(["good", "missing", "forged", "list"]))
    if csrf == "good":
        fields["csrf_token"] = GOOD_CSRF[-1]
    elif csrf == "forged":
        fields["csrf_token"] = data.draw(hostile_text)
    elif csrf == "list":
        fields["csrf_token"] = [GOOD_CSRF[-1], "x"]
    else:
        fields.pop("csrf_token", None)
    return fields


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if 400 <= response.status_code < 500 and response.status_code != 405:
        body = response.get_data(as_text=True)
        assert MESSAGE.search(body), f"{where}: {response.status_code} without a message"
        assert "Traceback" not in body


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(data=st.data())
def test_fuzz_forms_on_every_route(fuzz_app: tuple[Flask, FlaskClient, str],
                                   data: st.DataObject) -> None:
    app, client, token = fuzz_app
    endpoint, method, args = data.draw(st.sampled_from(_rules(app)))
    url = _fill(app, endpoint, args, token, data)
    form = _form(app, client, data)
    query = data.draw(st.dictionaries(st.text(max_size=10), hostile_text, max_size=3))
    response = client.open(url, method=method, data=form if method != "GET" else None,
                           query_string=query)
    _check(response, f"{method} {endpoint}")


@SETTINGS
@given(data=st.data())
def test_fuzz_json_and_raw_bodies_on_every_route(fuzz_app: tuple[Flask, FlaskClient, str],
                                                 data: st.DataObject) -> None:
    app, client, token = fuzz_app
    endpoint, method, args = data.draw(st.sampled_from(
        [r for r in _rules(app) if r[1] != "GET"] or _rules(app)))
    url = _fill(app, endpoint, args, token, data)
    kind = data.draw(st.sampled_from(["json", "raw", "multipart-ish", "wrong-type"]))
    payload: Any = data.draw(st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(st.text(max_size=12), inner, max_size=4)),
        max_leaves=20))
    headers = {}
    if data.draw(st.booleans()):
        headers["X-CSRFToken"] = GOOD_CSRF[-1]
    if kind == "json":
        response = client.open(url, method=method, data=json.dumps(payload),
                               content_type="application/json", headers=headers)
    elif kind == "raw":
        response = client.open(url, method=method, data=data.draw(st.binary(max_size=2000)),
                               content_type="application/x-www-form-urlencoded",
                               headers=headers)
    elif kind == "multipart-ish":
        response = client.open(url, method=method, data=b"--x\r\n" + data.draw(
            st.binary(max_size=500)), content_type="multipart/form-data; boundary=x",
            headers=headers)
    else:
        response = client.open(url, method=method, data=json.dumps(payload).encode(),
                               content_type=data.draw(st.sampled_from(
                                   ["text/plain", "application/xml", "", "application/json; "
                                    "charset=latin-9"])), headers=headers)
    _check(response, f"{method} {endpoint} ({kind})")


@SETTINGS
@given(data=st.data())
def test_fuzz_wizard_steps_with_a_valid_token(fuzz_app: tuple[Flask, FlaskClient, str],
                                              data: st.DataObject) -> None:
    """The wizard's own forms, with a good CSRF token so validation itself is reached."""
    app, client, token = fuzz_app
    kb = app.extensions["planner.kb"]
    section = data.draw(st.sampled_from([s.id for s in kb.sections]))
    questions = [q for q in kb.questions.values() if q.section == section]
    fields: dict[str, Any] = {}
    for q in questions:
        choice = [o.id for o in q.options] or ["x"]
        fields[q.id] = data.draw(st.one_of(
            st.sampled_from(choice), st.lists(st.sampled_from(choice), max_size=4),
            hostile_text, st.lists(hostile_text, max_size=3), st.just("")))
    extra = data.draw(st.dictionaries(st.text(max_size=20), hostile_text, max_size=4))
    form = {**extra, **fields, "csrf_token": GOOD_CSRF[-1],
            "action": data.draw(st.sampled_from(["later", "next", "", "x" * 300])),
            "return": data.draw(st.sampled_from(["review", "", "https://evil.example"]))}
    response = client.post(f"/c/{token}/step/{section}", data=form)
    _check(response, f"step {section}")
    assert response.status_code in (303, 400, 413), response.status_code
    if response.status_code == 303:
        assert response.location.startswith("/c/"), response.location  # never off-site


@SETTINGS
@given(data=st.data())
def test_fuzz_what_if_with_a_valid_token(fuzz_app: tuple[Flask, FlaskClient, str],
                                         data: st.DataObject) -> None:
    app, client, token = fuzz_app
    kb = app.extensions["planner.kb"]
    qs = [q for q in kb.questions.values() if q.options]
    picked = data.draw(st.lists(st.sampled_from(qs), max_size=6, unique_by=lambda q: q.id))
    fields: dict[str, Any] = {
        q.id: data.draw(st.one_of(st.lists(st.sampled_from([o.id for o in q.options]),
                                           max_size=3), hostile_text))
        for q in picked
    }
    fields["csrf_token"] = GOOD_CSRF[-1]
    response = client.post(f"/c/{token}/what-if", data=fields)
    _check(response, "what-if")
