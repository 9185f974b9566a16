"""Helpers shared by every page: template globals and response headers."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, url_for

from planner.engine.words import behind, n_points
from planner.web import csp, state

# No third-party origin anywhere, and no inline script or style (see planner.web.csp).
CSP = csp.POLICY


def _security_headers(response: Response) -> Response:
    # The resume token is in the URL: never send it to the sites the results link to.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    # Every response but the shared static files may be private (answers, plans, a
    # consultant's pages, downloads): no browser or proxy may keep a copy.
    if request.blueprint != "assets":
        response.headers["Cache-Control"] = "no-store"
    elif "/c/" in (response.headers.get("Location") or ""):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _globals() -> dict[str, Any]:
    kb = state.knowledge()

    def resume_url(token: str) -> str:
        # A configured BASE_URL (PLANNER_BASE_URL) wins over the request's Host header, which
        # a client chooses: a private link must never point at someone else's site.
        base = str(current_app.config.get("BASE_URL") or "").rstrip("/")
        if base:
            return base + url_for("wizard.resume", token=token)
        return url_for("wizard.resume", token=token, _external=True)

    token = (request.view_args or {}).get("token")
    # A supervisor's read-only view: the pages leave out every form that changes anything.
    read_only = isinstance(token, str) and bool(state.SUPERVISOR_KEY_RE.fullmatch(token))
    return {"kb": kb, "sections": kb.sections, "resume_url": resume_url,
            "read_only": read_only}


def safe_url(url: object) -> str:
    """Return the URL if it is http(s), else "#" (knowledge links never run script)."""
    text = str(url or "")
    return text if urlsplit(text).scheme in {"http", "https"} else "#"


def init_app(app: Flask) -> None:
    """Register the template globals, filters and the response headers."""
    if app.config["ENV"] == "production" and not app.config.get("BASE_URL"):
        logging.getLogger(__name__).warning(
            "PLANNER_BASE_URL is not set: private links are built from each request's Host "
            "header. Set it to the site's public address.")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(n_points, "n_points")
    app.add_template_filter(behind, "behind")
    app.add_template_filter(lambda d: f"{d.strftime('%b')} {d.day}, {d.year}", "shortdate")
    app.context_processor(_globals)
    app.after_request(_security_headers)
