"""The consultant's dashboard and each community's page: create, duplicate, archive, links."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from planner import answers as core
from planner import scoring
from planner.web import accounts, db, state, workspace

bp = Blueprint("dashboard", __name__)

NAME_MAX = 200


def _status(kb: Any, row: db.Interview, answers: dict[str, core.Value]) -> str:
    if row.archived:
        return "Archived"
    if not state.missing_required(kb, answers) and set(row.done) >= {s.id for s in kb.sections}:
        return "Answers complete"
    done = len([s for s in kb.sections if s.id in row.done])
    return f"In progress ({done} of {len(kb.sections)} steps)"


def _top(kb: Any, row: db.Interview, answers: dict[str, core.Value]) -> str:
    try:
        complete = core.validate(kb, answers, complete=True)
    except core.AnswersError:
        return "Not scored yet"
    weighted, choose = workspace.effective(kb, row)
    if choose in kb.pathways:
        return f"{kb.pathways[choose].label} (chosen by override)"
    top = scoring.score(weighted, complete).top
    return top.pathway.label if top else "None"


def _name(row: db.Interview, answers: dict[str, core.Value]) -> str:
    return row.name or core.text_value(state.knowledge(), answers, "community_name") or (
        "Unnamed community")


@bp.get("/dashboard")
def index() -> str:
    """List the signed-in consultant's communities."""
    user = accounts.require_user()
    kb = state.knowledge()
    rows = db.session().scalars(
        select(db.Interview).where(db.Interview.owner_id == user.id,
                                   db.Interview.parent_id.is_(None))
        .order_by(db.Interview.updated_at.desc())
    )
    active: list[dict[str, Any]] = []
    archived: list[dict[str, Any]] = []
    for row in rows:
        answers = state.restore(kb, row.raw_answers)
        item = {"row": row, "key": f"w{row.id}", "name": _name(row, answers),
                "status": _status(kb, row, answers), "top": _top(kb, row, answers)}
        (archived if row.archived else active).append(item)
    return render_template("web/dashboard.html", user=user, active=active, archived=archived,
                           error=request.args.get("error"),
                           password_changed=request.args.get("password_changed") == "1")


def _new_interview(user: accounts.User, name: str, answers: dict[str, Any],
                   route: str) -> tuple[db.Interview, str]:
    token = workspace.new_token()
    row = db.Interview(token_hash=db.hash_token(token), route=route, owner_id=user.id,
                       name=name, answers_json=json.dumps(answers, sort_keys=True))
    db.session().add(row)
    db.session().flush()
    return row, token


@bp.post("/dashboard/new")
def create() -> Response | tuple[str, int]:
    """Create a community owned by the consultant, with its private link."""
    user = accounts.require_user()
    name = (request.form.get("name") or "").strip()
    route = request.form.get("route", "new")
    if not name or len(name) > NAME_MAX or route not in {"new", "existing"}:
        abort(400, description=f"Give the community a name of 1 to {NAME_MAX} characters. "
                               "Nothing was created.")
    kb = state.knowledge()
    answers: dict[str, Any] = dict(core.name_answer(kb, name))
    if route == "existing":
        answers.update(core.existing_program_answers(kb))
    row, token = _new_interview(user, name, answers, route)
    workspace.record(row, user.display, "created", f"Community \u201c{name}\u201d created.")
    db.session().commit()
    session["new_link"] = [row.id, token]
    return redirect(url_for(".manage", token=f"w{row.id}"), code=303)


@bp.get("/c/<token>/manage")
def manage(token: str) -> str:
    """The community's page for its consultant: link, tools, and the last changes."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    fresh = session.pop("new_link", None)
    link = fresh[1] if isinstance(fresh, list) and fresh[:1] == [interview.row.id] else None
    respondents = db.session().scalars(
        select(db.Interview).where(db.Interview.parent_id == interview.row.id)
    ).all()
    return render_template(
        "web/manage.html", token=token, row=interview.row, new_link=link,
        name=_name(interview.row, interview.answers),
        status=_status(kb, interview.row, interview.answers),
        top=_top(kb, interview.row, interview.answers),
        audit=workspace.audit_trail(interview.row)[:5], respondents=len(respondents),
    )


@bp.post("/c/<token>/duplicate")
def duplicate(token: str) -> Response:
    """Copy a community's answers into a new community (notes and history stay behind)."""
    interview = workspace.load_owned(token)
    user = accounts.require_user()
    name = f"Copy of {_name(interview.row, interview.answers)}"[:NAME_MAX]
    answers = state.to_json(interview.answers)
    answers.update(core.name_answer(state.knowledge(), name))
    row, new = _new_interview(user, name, answers, interview.row.route)
    row.done_json = interview.row.done_json
    workspace.record(row, user.display, "created", f"Duplicated from community {token}.")
    workspace.record(interview.row, user.display, "duplicated", f"Copied to w{row.id}.")
    db.session().commit()
    session["new_link"] = [row.id, new]
    return redirect(url_for(".manage", token=f"w{row.id}"), code=303)


@bp.post("/c/<token>/archive")
def archive(token: str) -> Response:
    """Archive a community, or bring it back (action=unarchive)."""
    interview = workspace.load_owned(token)
    back = request.form.get("action") == "unarchive"
    interview.row.archived = not back
    workspace.record(interview.row, workspace.actor(interview),
                     "unarchived" if back else "archived",
                     "Community restored." if back else "Community archived.")
    db.session().commit()
    return redirect(url_for(".index"), code=303)


@bp.post("/c/<token>/link")
def link(token: str) -> Response:
    """Revoke the private link (action=revoke) or issue a new one (action=reissue)."""
    interview = workspace.load_owned(token)
    action = request.form.get("action")
    if action not in {"revoke", "reissue"}:
        abort(400, description="Choose to revoke the link or to issue a new one.")
    fresh = workspace.new_token()
    # Either way the old link stops working: its hash is replaced.
    interview.row.token_hash = db.hash_token(fresh)
    interview.row.link_active = action == "reissue"
    workspace.record(interview.row, workspace.actor(interview), f"link-{action}",
                     "Private link revoked." if action == "revoke"
                     else "A new private link was issued; the old one no longer works.")
    db.session().commit()
    if action == "reissue":
        session["new_link"] = [interview.row.id, fresh]
    return redirect(url_for(".manage", token=token), code=303)


@bp.get("/c/<token>/audit")
def audit(token: str) -> str:
    """Every recorded change to the community: who, what and when."""
    interview = workspace.load_owned(token)
    return render_template("web/audit.html", token=token, row=interview.row,
                           name=_name(interview.row, interview.answers),
                           entries=workspace.audit_trail(interview.row))
