"""Helpers for the web tests: a Huntington-like community and a wizard driver."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from planner.web import db, state

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
        """Send a section's answers the way a person would: page by page.

        With "Continue", every page of the section that has questions to show is sent, in
        order, each with the answers that belong on it; with "finish later" or "return to
        review", only the pages that hold some of the answers (or the first). Returns the
        first response that is not a redirect, else the last one.
        """
        kb = self.app.extensions["planner.kb"]
        pages = state.pages(kb, section)
        ids = [{q.id for q in page} for page in pages]
        extra = {k: v for k, v in data.items() if not any(k in page for page in ids)}
        only_given = data.get("action") == "later" or "return" in data or "return" in query
        wanted = [n for n, page in enumerate(ids, start=1) if page & set(data)] or [1]
        numbers = wanted if only_given else range(1, len(pages) + 1)
        response: TestResponse | None = None
        for number in numbers:
            path = self.url(f"/step/{section}" + (f"/{number}" if number > 1 else ""))
            form: dict[str, Any] = {k: v for k, v in data.items() if k in ids[number - 1]}
            form.update(extra)
            if csrf == "page":
                page = self.client.get(path + query)
                if page.status_code == 303:  # nothing to ask on this page
                    continue
                form["csrf_token"] = csrf_of(page.text)
            elif csrf is not None:
                form["csrf_token"] = csrf
            response = self.client.post(path + query, data=form)
            if response.status_code != 303:
                return response
        assert response is not None, f"no page of {section} asked anything"
        return response

    def complete(self, answers: Mapping[str, Mapping[str, Any]] = HUNTINGTON) -> None:
        for section, data in answers.items():
            response = self.post_step(section, data)
            assert response.status_code == 303, response.text

    def saved(self) -> dict[str, Any]:
        with self.app.app_context():
            row = db.find(self.token)
            assert row is not None
            return row.raw_answers


def closing_body(app: WSGIApplication) -> WSGIApplication:
    """The app with each response body read whole and its iterable closed before it is sent.

    Werkzeug's development server closes a response's iterable only if the client is still
    there at the end: when a browser drops a connection mid-download (a page left while its
    fonts load), reading the dropped socket raises before `close()` is called, and a static
    file WhiteNoise opened is left for the garbage collector (a ResourceWarning that failed a
    reflow test). gunicorn, which serves the planner, closes it in any case."""
    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    return wrapped


@contextmanager
def serve(app: Flask, *, close_bodies: bool = True) -> Iterator[str]:
    """Serve the app on 127.0.0.1 at a free port in a daemon thread; yield its base URL.
    close_bodies=False serves the app as it is (only to show why closing_body is there)."""
    server = make_server("127.0.0.1", 0, closing_body(app) if close_bodies else app,
                         threaded=True)
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
