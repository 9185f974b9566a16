"""Each community's line on the consultant's dashboard, stored when the community is saved.

The dashboard reads these columns (name, status, top pathway, last change) a page at a
time instead of re-reading and re-scoring every community on every view. They are kept
in step by the request session itself: every commit that changed a community, or one of
its overrides, recomputes that community's line before it is written, so no save path
can forget (a rename in the wizard, an import, a settled disagreement, an override).
A line computed with another knowledge base is recomputed when it is next shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from planner.engine import answers as core
from planner.engine import scoring
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge
from planner.web import db, state, workspace

TOUCHED = "planner.summaries.touched"
BUSY = "planner.summaries.busy"


def knowledge_tag(folder: Path) -> str:
    """A short fingerprint of a knowledge folder's files."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*.yaml")):
        sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:16]


def display_name(kb: Knowledge, row: db.Interview, answers: dict[str, core.Value]) -> str:
    """The name the results page uses (the community-name answer), else the given name."""
    return (core.text_value(kb, answers, "community_name") or row.name
            or "Unnamed community")


def status(kb: Knowledge, row: db.Interview, answers: dict[str, core.Value]) -> str:
    if row.archived:
        return "Archived"
    if not state.missing_required(kb, answers) and set(row.done) >= {s.id for s in kb.sections}:
        return "Answers complete"
    done = len([s for s in kb.sections if s.id in row.done])
    return f"In progress ({done} of {len(kb.sections)} steps)"


NOT_SCORED = "Not scored yet"


def top(kb: Knowledge, row: db.Interview, answers: dict[str, core.Value]) -> str:
    try:
        complete = core.validate(kb, answers, complete=True)
    except core.AnswersError:
        return NOT_SCORED
    weighted, choose = workspace.effective(kb, row)
    if choose is not None and choose in kb.pathways:
        return f"{kb.pathways[choose].label} (chosen by override)"
    best = scoring.score(weighted, read_profile(kb, complete)).top
    return best.pathway.label if best else "None"


def refresh(row: db.Interview) -> None:
    """Recompute the row's dashboard line with the app's knowledge base."""
    kb = state.knowledge()
    answers = state.restore(kb, row.raw_answers, row.questions_version)
    row.list_name = display_name(kb, row, answers)[:200]
    row.list_status = status(kb, row, answers)[:80]
    row.list_top = top(kb, row, answers)[:300]
    question = kb.profile_question("state")
    found = answers.get(question.id) if question is not None else None
    row.list_state = found[:10] if isinstance(found, str) else ""
    row.list_kb = current_app.extensions["planner.kb_tag"]


def fresh(rows: Iterable[db.Interview]) -> list[db.Interview]:
    """The rows, with any line computed under another knowledge base recomputed (and saved)."""
    rows = list(rows)
    tag = current_app.extensions["planner.kb_tag"]
    stale = [r for r in rows if r.list_kb != tag]
    if stale:
        for row in stale:
            refresh(row)
        db.session().commit()
    return rows


def _listed(row: Any) -> bool:
    return isinstance(row, db.Interview) and row.owner_id is not None and row.parent_id is None


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(BUSY):
        return
    touched: set[int] = session.info.setdefault(TOUCHED, set())
    for obj in (*session.new, *session.dirty):
        if _listed(obj):
            touched.add(obj.id)
        elif isinstance(obj, workspace.Override):
            touched.add(obj.interview_id)


def _before_commit(session: Session) -> None:
    if not has_app_context() or "planner.kb_tag" not in current_app.extensions:
        return
    session.flush()
    touched: set[int] = session.info.pop(TOUCHED, set())
    if not touched:
        return
    session.info[BUSY] = True
    try:
        for interview_id in sorted(touched):
            row = session.get(db.Interview, interview_id)
            if row is not None and _listed(row):
                refresh(row)
        session.flush()
    finally:
        session.info.pop(BUSY, None)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(TOUCHED, None)


event.listen(db.RequestSession, "after_flush", _after_flush)
event.listen(db.RequestSession, "before_commit", _before_commit)
event.listen(db.RequestSession, "after_rollback", _forget)


def init_app(app: Flask) -> None:
    app.extensions["planner.kb_tag"] = knowledge_tag(Path(app.config["KNOWLEDGE_DIR"]))
