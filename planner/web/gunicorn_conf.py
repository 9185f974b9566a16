"""Gunicorn settings for production, every one overridable from the environment.

    .venv/bin/gunicorn -c planner/web/gunicorn_conf.py 'planner:create_app()'

The settings themselves live in planner.web.server.settings(), which
`planner serve` uses too: gthread workers (a PDF render holds one thread while
the others keep serving the wizard), the app preloaded in the master before the
workers fork, small request lines and headers. See the README's Configuration.
"""

from __future__ import annotations

import os

os.environ.setdefault("PLANNER_ENV", "production")

from planner.web.server import settings

globals().update(settings())

# Bodies past this size are refused (413) by the app without being read.
BODY_LIMIT = 64 * 1024


def pre_request(worker: object, req: object) -> None:
    """Announce `Connection: close` on an answer the app may give without reading the body
    (a body over the 64 KB limit, or a chunked one), instead of keep-alive then a close.

    Replaces gunicorn's default hook, which only logged the path (with its private link)."""
    for name, value in getattr(req, "headers", []):
        too_big = name == "CONTENT-LENGTH" and value.strip().isdigit() and \
            int(value) > BODY_LIMIT
        if too_big or (name == "TRANSFER-ENCODING" and "chunked" in value.lower()):
            req.must_close = True  # type: ignore[attr-defined]
