"""Several respondents for one community: invite, see where they disagree, settle the answers.

Each respondent answers the same wizard through a private link of their own; their
interview is a row linked to the community (parent_id). Nothing is scored here:
the divergence view compares answers only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from planner.engine import answers as core
from planner.knowledge.model import Knowledge, Question
from planner.web import accounts, db, state, workspace

bp = Blueprint("respondents", __name__, url_prefix="/c/<token>")

# Invitation role -> (label, the option of the respondent-role question it pre-answers).
ROLES: dict[str, tuple[str, str | None]] = {
    "police": ("Police", "police"),
    "fire-ems": ("Fire or EMS", "fire-ems"),
    "treatment": ("Treatment provider", "treatment-provider"),
    "recovery": ("Recovery community", "community-organization"),
    "other": ("Other", None),
}
SECTION = "respondents"
# Respondents are compared side by side, so their number is bounded (and so is the page).
MAX_RESPONDENTS = 30


def role_label(role: str | None) -> str:
    return ROLES.get(role or "", ("Other", None))[0]


def _respondents(row: db.Interview) -> list[db.Interview]:
    return list(db.session().scalars(
        select(db.Interview).where(db.Interview.parent_id == row.id).order_by(db.Interview.id)
    ))


def _role_question(kb: Knowledge) -> Question | None:
    return next((q for q in kb.questions.values() if q.profile == "respondent_role"), None)


def divergences(kb: Knowledge,
                people: Sequence[tuple[db.Interview, Mapping[str, core.Value]]]
                ) -> list[dict[str, Any]]:
    """Questions two or more respondents answered differently, in questionnaire order."""
    skip = {q.id for q in kb.questions.values() if q.profile == "respondent_role"}
    out = []
    for q in kb.questions.values():
        if q.id in skip:
            continue
        said = [(r, a[q.id]) for r, a in people if q.id in a]
        if len({json.dumps(v if not isinstance(v, tuple) else sorted(v)) for _, v in said}) > 1:
            out.append({"question": q, "answers": [
                {"id": r.id, "role": role_label(r.respondent_role), "name": r.name,
                 "label": state.answer_label(q, v)} for r, v in said
            ]})
    return out


def _view(token: str, interview: state.Interview, status: int = 200,
          error: str = "") -> tuple[str, int]:
    kb = state.knowledge()
    rows = _respondents(interview.row)
    people = [(r, state.restore(kb, r.raw_answers, r.questions_version)) for r in rows]
    fresh = accounts.take_link("respondent", {r.id for r in rows})
    link = {"id": fresh[0], "token": fresh[1]} if fresh else None
    return render_template(
        "web/respondents.html", token=token, roles=ROLES, new_link=link, error=error,
        estimate=state.estimate(kb, interview.row.route),
        people=[{"row": r, "key": f"w{r.id}", "role": role_label(r.respondent_role),
                 "done": len([s for s in kb.sections if s.id in r.done]),
                 "answered": len(a)} for r, a in people],
        total=len(kb.sections),
        divergences=divergences(kb, people),
        current={q: state.answer_label(kb.questions[q], v)
                 for q, v in interview.answers.items() if q in kb.questions},
    ), status


@bp.get("/respondents")
def index(token: str) -> tuple[str, int]:
    """The respondents, their progress and where their answers differ."""
    return _view(token, workspace.load_owned(token))


@bp.post("/respondents/<int:respondent_id>/link")
def respondent_link(token: str, respondent_id: int) -> Response:
    """Revoke one respondent's link (action=revoke) or issue them a new one
    (action=reissue); the other links, the community's own included, are left as they are."""
    interview = workspace.load_owned(token)
    action = request.form.get("action")
    if action not in {"revoke", "reissue"}:
        abort(400, description="Choose to revoke the link or to issue a new one.")
    row = db.session().get(db.Interview, respondent_id) if 0 < respondent_id <= db.ID_MAX \
        else None
    if row is None or row.parent_id != interview.row.id:
        abort(404, description="There is no such respondent in this community.")
    fresh = workspace.new_token()
    # Either way the old link stops working: its hash is replaced.
    row.token_hash = db.hash_token(fresh)
    row.link_active = action == "reissue"
    who = f"{row.name or role_label(row.respondent_role)} ({role_label(row.respondent_role)})"
    workspace.record(interview.row, workspace.actor(interview), f"respondent-link-{action}",
                     f"Link of {who} revoked." if action == "revoke"
                     else f"A new link was issued to {who}; the old one no longer works.")
    db.session().commit()
    if action == "reissue":
        accounts.hold_link("respondent", row.id, fresh)
    return redirect(url_for(".index", token=token), code=303)


@bp.post("/respondents")
def invite(token: str) -> Response:
    """Create a respondent's private link to the same questions."""
    interview = workspace.load_owned(token)
    role = request.form.get("role") or ""
    name = (request.form.get("name") or "").strip()
    if role not in ROLES or len(name) > 200:
        abort(400, description="Choose the respondent's role from the list (and keep the name "
                               "under 200 characters). No one was invited.")
    kb = state.knowledge()
    answers: dict[str, Any] = {}
    answers.update(core.name_answer(kb, core.text_value(kb, interview.answers,
                                                        "community_name")))
    question = _role_question(kb)
    option = ROLES[role][1]
    if question is not None and option in {o.id for o in question.options}:
        answers[question.id] = option
    fresh = workspace.new_token()

    def add() -> db.Interview:
        # Counted under the community's write lock: parallel invitations (a tester sent 16
        # at once with 26 invited and got 36) are counted one at a time.
        db.lock(interview.row)
        invited = db.session().scalar(select(func.count()).select_from(db.Interview)
                                      .where(db.Interview.parent_id == interview.row.id)) or 0
        if invited >= MAX_RESPONDENTS:
            db.session().rollback()
            abort(400, description=f"A community can have up to {MAX_RESPONDENTS} "
                                   "respondents, and this one has them all. No one was invited.")
        row = db.Interview(token_hash=db.hash_token(fresh), route=interview.row.route,
                           owner_id=interview.row.owner_id, parent_id=interview.row.id,
                           respondent_role=role, name=name,
                           answers_json=json.dumps(answers, sort_keys=True))
        db.session().add(row)
        db.session().flush()
        workspace.record(interview.row, workspace.actor(interview), "respondent-invited",
                         f"Invited {name or 'a respondent'} ({role_label(role)}).")
        db.session().commit()
        return row

    row = db.retrying(add)
    accounts.hold_link("respondent", row.id, fresh)
    return redirect(url_for(".index", token=token), code=303)


@bp.post("/respondents/settle")
def settle(token: str) -> Response | tuple[str, int]:
    """Adopt, per question, the answer of the respondent the consultant chose."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    rows = {r.id: r for r in _respondents(interview.row)}
    people = [(r, state.restore(kb, r.raw_answers, r.questions_version)) for r in rows.values()]
    by_id = {r.id: a for r, a in people}
    split = divergences(kb, people)
    merged = dict(interview.answers)
    settled = []
    for item in split:
        q: Question = item["question"]
        choice = request.form.get(f"settle-{q.id}") or "keep"
        if choice == "keep":
            continue
        picked = db.parse_id(choice)
        if picked is None or picked not in by_id or q.id not in by_id[picked]:
            abort(400, description=f"Choose one of the respondents' answers to "
                                   f"\u201c{q.label}\u201d. Nothing was saved.")
        merged[q.id] = by_id[picked][q.id]
        settled.append(q)
    if not settled:
        return _view(token, interview, 400, "Choose at least one answer to settle. "
                                            "Nothing was changed.")
    merged = state.prune(kb, merged)
    try:
        clean = core.validate(kb, merged, complete=False)
    except core.AnswersError as exc:
        return _view(token, interview, 400, "These answers cannot be combined: "
                     + "; ".join(exc.problems) + ". Nothing was saved.")
    who = workspace.actor(interview)
    summary = []
    for item in split:
        q = item["question"]
        views = "; ".join(f"{a['role']}: {a['label']}" for a in item["answers"])
        agreed = state.answer_label(q, clean.get(q.id)) or "no answer"
        summary.append(f"\u201c{q.label}\u201d ({views}); agreed: {agreed}.")
    note = workspace.notes(interview.row).get(SECTION)
    if note is None:
        note = workspace.Note(interview_id=interview.row.id, section=SECTION)
        db.session().add(note)
    note.text = "Respondents' views differed on " + " ".join(summary)
    note.actor, note.updated_at = who, db._now()
    workspace.record(interview.row, who, "respondents-settled",
                     "Agreed answers settled. "
                     + workspace.describe_changes(kb, interview.answers, clean))
    done = [s.id for s in kb.sections if s.id in interview.done]
    db.save(interview.row, state.to_json(clean), done)
    return redirect(url_for(".index", token=token, settled=len(settled)), code=303)
