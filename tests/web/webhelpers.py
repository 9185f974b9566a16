"""Helpers for the web tests: a Huntington-like community and a wizard driver."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from planner.web import db

# A community that looks like Huntington, WV (Quick Response Team): answers by section.
HUNTINGTON: dict[str, dict[str, Any]] = {
    "community": {"community-name": "Huntington", "respondent-role": "fire-ems", "state": "wv",
                  "population": "under-50k", "rurality": "mixed", "lead-agency": "fire-ems",
                  "existing-program": "no"},
    "problems": {"overdoses": "many", "overdose-deaths": "rising", "hot-spots": "yes"},
    "goals": {"goals": ["fewer-overdoses", "reach-unseen"]},
    "treatment": {"moud": "yes", "treatment-wait": "within-week"},
    "people": {"peers": "yes", "outreach-time": "yes"},
    "access": {"naloxone": "yes"},
    "data-justice": {"overdose-data": "yes"},
    "partners": {"partners": ["fire-ems", "police", "treatment-provider", "peer-recovery"],
                 "notes": "Quick response team visits within 72 hours."},
}

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)



class Wizard:
    """Drive the wizard through the test client, the way a person would."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client
        self.token = ""

    def start(self, route: str = "new") -> str:
        page = self.client.get("/")
        response = self.client.post(f"/{route}", data={"csrf_token": csrf_of(page.text)})
        assert response.status_code == 303, response.text
        match = re.search(r"/c/([^/]+)/step/", response.location)
        assert match
        self.token = match.group(1)
        return self.token

    def url(self, rest: str = "") -> str:
        return f"/c/{self.token}{rest}"

    def post_step(self, section: str, data: Mapping[str, Any], *, csrf: str | None = "page",
                  query: str = "") -> TestResponse:
        form: dict[str, Any] = dict(data)
        if csrf == "page":
            form["csrf_token"] = csrf_of(self.client.get(self.url(f"/step/{section}")).text)
        elif csrf is not None:
            form["csrf_token"] = csrf
        return self.client.post(self.url(f"/step/{section}{query}"), data=form)

    def complete(self, answers: Mapping[str, Mapping[str, Any]] = HUNTINGTON) -> None:
        for section, data in answers.items():
            response = self.post_step(section, data)
            assert response.status_code == 303, response.text

    def saved(self) -> dict[str, Any]:
        with self.app.app_context():
            row = db.find(self.token)
            assert row is not None
            return row.raw_answers


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 at a free port in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def every_pdf_slot_taken(app: Flask) -> Iterator[None]:
    """Hold all of the app's PDF render slots, as busy renders would."""
    slots = app.extensions["planner.pdf_slots"]
    held = 0
    while slots.acquire(blocking=False):
        held += 1
    try:
        yield
    finally:
        for _ in range(held):
            slots.release()
