"""The start page and its three routes: new community, existing program, consultant."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from planner.engine import answers as core_answers
from planner.web import assets, db, state

bp = Blueprint("start", __name__)


@bp.get("/")
def index() -> str:
    """Show the three ways in."""
    return render_template("web/start.html", form=FlaskForm(),
                           estimate=state.estimate(state.knowledge(), "new"))


def _begin(route: str, answers: dict[str, core_answers.Value]) -> Response:
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
    return _begin("existing", core_answers.existing_program_answers(state.knowledge()))


@bp.get("/consultant")
def consultant() -> Response:
    """Send consultants to their dashboard (which asks them to sign in first)."""
    return redirect(url_for("dashboard.index"), code=303)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site icon, where browsers look for it first (the pages also link it)."""
    icon = Response((assets.APP_STATIC / "favicon.ico").read_bytes(), mimetype="image/x-icon")
    icon.headers["Cache-Control"] = "public, max-age=86400"
    return icon
