"""GET /healthz: 200 with JSON when the app and its database answer, else 503. It also
reports the render queue (consumer alive, jobs waiting, the oldest one's wait) and where the
rate limits count (Redis, or each worker's memory while Redis is unreachable)."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from planner.web import db, renders, security

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Check the database (it must answer and carry the schema); never cached."""
    started = time.perf_counter()
    body: dict[str, object] = {"status": "ok", "database": "ok"}
    status = 200
    try:
        with db.engine().connect() as connection:
            body["schema"] = connection.execute(
                text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc.__class__.__name__)
        body.update(status="error", database="unavailable")
        status = 503
    body["knowledge"] = current_app.extensions["planner.kb"].questions_version
    # The render queue: reported, and "degraded" when no consumer is alive or the queue
    # cannot be reached (pages still work; a PDF is then rendered on the click).
    body["queue"] = queue = renders.queue_health(current_app._get_current_object())  # type: ignore[attr-defined]
    # The rate limits: in Redis, or in each worker's memory (Redis down: still enforced).
    body["limits"] = limits = security.limits_health(current_app._get_current_object())  # type: ignore[attr-defined]
    if status == 200 and (queue.get("consumer") in {"down", "unknown"}
                          or limits.endswith("unreachable)")):
        body["status"] = "degraded"
    body["ms"] = round((time.perf_counter() - started) * 1000, 1)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response, status
