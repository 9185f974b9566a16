"""The start page and its three routes: new community, existing program, consultant."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from planner.web import db, state

bp = Blueprint("start", __name__)

# Pre-answered for a program that already runs a pathway.
EXISTING = {"existing-program": "yes"}


@bp.get("/")
def index() -> str:
    """Show the three ways in."""
    return render_template("web/start.html", form=FlaskForm())


def _begin(route: str, answers: dict[str, str]) -> Response:
    kb = state.knowledge()
    known = {q: v for q, v in answers.items() if q in kb.questions}
    token = db.create(known, route)
    first = kb.sections[0].id
    return redirect(url_for("wizard.step", token=token, section_id=first, welcome=1), code=303)


@bp.post("/new")
def new() -> Response:
    """Start an interview for a community starting out."""
    return _begin("new", {})


@bp.post("/existing")
def existing() -> Response:
    """Start an interview for a program adding a pathway."""
    return _begin("existing", EXISTING)


@bp.get("/consultant")
def consultant() -> Response:
    """Send consultants to their dashboard (which asks them to sign in first)."""
    return redirect(url_for("dashboard.index"), code=303)
