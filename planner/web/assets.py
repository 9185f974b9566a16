"""Serve USWDS from node_modules and the app's own static files (no CDN)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__, static_folder="static", static_url_path="/static/app")

USWDS_PARTS = ("css", "js", "img", "fonts")


@bp.get("/static/uswds/<part>/<path:filename>")
def uswds(part: str, filename: str) -> Response:
    """Serve a file of the USWDS distribution (css, js, img or fonts only)."""
    if part not in USWDS_PARTS:
        abort(404)
    folder = f"{current_app.config['USWDS_DIR']}/{part}"
    return send_from_directory(folder, filename, max_age=86400)
