"""The consultant's dashboard and each community's page: create, duplicate, archive, links."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import load_only
from werkzeug.wrappers import Response

from planner.engine import answers as core
from planner.web import accounts, db, paging, state, summaries, workspace

bp = Blueprint("dashboard", __name__)

NAME_MAX = 120  # when the knowledge base has no community-name question with a limit


PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
SEARCH_MAX = 200
LISTED = (db.Interview.id, db.Interview.owner_id, db.Interview.parent_id,
          db.Interview.archived, db.Interview.updated_at, db.Interview.list_name,
          db.Interview.list_status, db.Interview.list_top, db.Interview.list_kb)


def name_limit() -> int:
    """The one limit on a community's name: its question's max_length (120)."""
    question = state.knowledge().profile_question("community_name")
    return (question.max_length if question is not None and question.max_length
            else NAME_MAX)


def _name(row: db.Interview, answers: dict[str, core.Value]) -> str:
    return summaries.display_name(state.knowledge(), row, answers)


def _listing(user: accounts.User, archived: bool, search: str, arg: str) -> paging.Page:
    """One page of the consultant's communities, newest change first, from stored summaries."""
    # Only the listed columns: the answers (the wide part of a row) stay in the database.
    query = select(db.Interview).options(load_only(*LISTED)).where(
        db.Interview.owner_id == user.id, db.Interview.parent_id.is_(None),
        db.Interview.archived.is_(archived))
    if search:
        query = query.where(func.lower(db.Interview.list_name).contains(
            search.lower(), autoescape=True))
    found = paging.paginate(
        query.order_by(db.Interview.updated_at.desc(), db.Interview.id.desc()), PAGE_SIZE, arg)
    summaries.fresh(found.items)
    return found


@bp.get("/dashboard")
def index() -> str:
    """List the signed-in consultant's communities, a page at a time, optionally searched."""
    user = accounts.require_user()
    search = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    active = _listing(user, False, search, "page")
    archived = _listing(user, True, search, "archived_page")
    return render_template("web/dashboard.html", user=user, active=active, archived=archived,
                           search=search, error=request.args.get("error"),
                           password_changed=request.args.get("password_changed") == "1",
                           name_limit=name_limit())


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
    limit = name_limit()
    if not name or len(name) > limit or route not in {"new", "existing"}:
        abort(400, description=f"Give the community a name of 1 to {limit} characters. "
                               "Nothing was created.")
    kb = state.knowledge()
    answers: dict[str, Any] = dict(core.name_answer(kb, name))
    if route == "existing":
        answers.update(core.existing_program_answers(kb))
    row, token = _new_interview(user, name, answers, route)
    workspace.record(row, user.display, "created", f"Community \u201c{name}\u201d created.")
    db.session().commit()
    accounts.hold_link("community", row.id, token)
    return redirect(url_for(".manage", token=f"w{row.id}"), code=303)


@bp.get("/c/<token>/manage")
def manage(token: str) -> str:
    """The community's page for its consultant: link, tools, and the last changes."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    fresh = accounts.take_link("community", {interview.row.id})
    link = fresh[1] if fresh else None
    respondents = db.session().scalar(
        select(func.count()).select_from(db.Interview)
        .where(db.Interview.parent_id == interview.row.id))
    return render_template(
        "web/manage.html", token=token, row=interview.row, new_link=link,
        name=_name(interview.row, interview.answers),
        status=summaries.status(kb, interview.row, interview.answers),
        top=summaries.top(kb, interview.row, interview.answers),
        audit=db.session().scalars(workspace.audit_query(interview.row).limit(5)).all(),
        respondents=respondents or 0,
    )


@bp.post("/c/<token>/duplicate")
def duplicate(token: str) -> Response:
    """Copy a community's answers into a new community (notes and history stay behind)."""
    interview = workspace.load_owned(token)
    user = accounts.require_user()
    name = f"Copy of {_name(interview.row, interview.answers)}"
    if len(name) > name_limit():  # shortened visibly, never past the question's limit
        name = name[:name_limit() - 1].rstrip() + "\u2026"
    answers = state.to_json(interview.answers)
    answers.update(core.name_answer(state.knowledge(), name))
    row, new = _new_interview(user, name, answers, interview.row.route)
    row.done_json = interview.row.done_json
    workspace.record(row, user.display, "created",  # by its key, never its private link
                     f"Duplicated from community w{interview.row.id}.")
    workspace.record(interview.row, user.display, "duplicated", f"Copied to w{row.id}.")
    db.session().commit()
    accounts.hold_link("community", row.id, new)
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
        accounts.hold_link("community", interview.row.id, fresh)
    return redirect(url_for(".manage", token=token), code=303)


@bp.get("/c/<token>/audit")
def audit(token: str) -> str:
    """Every recorded change to the community: who, what and when."""
    interview = workspace.load_owned(token)
    entries = paging.paginate(workspace.audit_query(interview.row), AUDIT_PAGE_SIZE)
    return render_template("web/audit.html", token=token, row=interview.row,
                           name=_name(interview.row, interview.answers), entries=entries)
