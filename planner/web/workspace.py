"""A consultant's records about a community: notes, overrides, versions and the audit trail.

Tables live here (not in db.py) and share its declarative Base. Every helper
adds to the request's session without committing, so a change and its audit
entry are saved together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import abort
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, load_only, mapped_column

from planner.documents.report import ConsultantNote
from planner.engine import answers as core
from planner.engine import plan, scoring
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge.model import Knowledge, Question, Rule
from planner.web import accounts, db, state
from planner.web.db import Base

GENERAL = "general"
REASON_MAX = 1000
NOTE_MAX = 4000


class AuditEntry(Base):
    """Who changed what in a community, and when."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


class Note(Base):
    """A consultant's note on one section of a community's answers (or a general note)."""

    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("interview_id", "section"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


class Override(Base):
    """A reasoned override: of a rule's weight, or of the recommended pathway."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "weight" or "result"
    target: Mapped[str] = mapped_column(String(120))  # a rule id or a pathway id
    weight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


class Version(Base):
    """A saved snapshot of a community's answers and the ranking they gave."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("interview_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200), default="")
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    # The questions version the snapshot's answers were written for (see db.Interview).
    questions_version: Mapped[int] = mapped_column(Integer, default=db.current_questions_version,
                                                   server_default="1")
    results_json: Mapped[str] = mapped_column(Text, default="{}")
    actor: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)

    @property
    def raw_answers(self) -> dict[str, Any]:
        data = json.loads(self.answers_json or "{}")
        return data if isinstance(data, dict) else {}

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        data = json.loads(self.results_json or "{}")
        return data if isinstance(data, dict) else {}


def load_owned(token: str) -> state.Interview:
    """The interview, only for its signed-in consultant; anyone else gets the same 404."""
    interview = state.load(token)
    user = accounts.current_user()
    if user is None or interview.row.owner_id != user.id:
        abort(404, description="There is no page at this address. Check the link, or start "
                               "from the home page.")
    return interview


def actor(interview: state.Interview | None = None) -> str:
    """How the audit trail names the person making this request."""
    user = accounts.current_user()
    if user is not None and (interview is None or interview.row.owner_id == user.id):
        return user.display
    if interview is not None and interview.row.respondent_role:
        return f"Respondent ({interview.row.respondent_role})"
    return "Holder of the private link"


def record(row: db.Interview, who: str, action: str, detail: str) -> None:
    """Add an audit entry to the session (committed with the change it describes)."""
    db.session().add(AuditEntry(interview_id=row.id, actor=who[:254], action=action,
                                detail=detail))


def audit_query(row: db.Interview) -> Select[Any]:
    """The community's audit entries, newest first (page it: it grows with every change)."""
    return (select(AuditEntry).where(AuditEntry.interview_id == row.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))



def changes(kb: Knowledge, before: Mapping[str, core.Value],
            after: Mapping[str, core.Value]) -> list[tuple[Question, str, str]]:
    """Each question whose answer differs, with the old and new answers as people read them."""
    return [
        (q, state.answer_label(q, before.get(q.id)) or "no answer",
         state.answer_label(q, after.get(q.id)) or "no answer")
        for q in kb.questions.values() if before.get(q.id) != after.get(q.id)
    ]


def describe_changes(kb: Knowledge, before: Mapping[str, core.Value],
                     after: Mapping[str, core.Value]) -> str:
    return "; ".join(f"{q.label}: {old} \u2192 {new}" for q, old, new in
                     changes(kb, before, after))


def note_digest(text: str) -> str:
    """A short digest of a note's text: what a notes form was opened with."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def notes(row: db.Interview) -> dict[str, Note]:
    found = db.session().scalars(select(Note).where(Note.interview_id == row.id))
    return {n.section: n for n in found}


def overrides(row: db.Interview) -> list[Override]:
    return list(db.session().scalars(
        select(Override).where(Override.interview_id == row.id, Override.active.is_(True))
        .order_by(Override.id)
    ))


def effective(kb: Knowledge, row: db.Interview | None) -> tuple[Knowledge, str | None]:
    """The knowledge with the community's weight overrides applied, and any chosen pathway.

    An override the knowledge base no longer accepts (a rule was removed) is skipped
    rather than breaking the page; the overrides list still shows it.
    """
    if row is None or row.owner_id is None:
        return kb, None
    weights: dict[str, int] = {}
    choose = None
    for o in overrides(row):
        if o.kind == "weight" and o.weight is not None:
            try:
                scoring.with_weights(kb, {**weights, o.target: o.weight})
            except scoring.OverrideError:
                continue
            weights[o.target] = o.weight
        elif o.kind == "result":
            choose = o.target
    return scoring.with_weights(kb, weights), choose


def build(kb: Knowledge, row: db.Interview | None, profile: CommunityProfile, *,
          consultant: bool) -> tuple[Knowledge, plan.Plan]:
    """The plan with the consultant's overrides applied. The reason for a chosen pathway
    is given only to the community's `consultant` (signed in, by the workspace key):
    anyone else (the private link, a respondent) sees that the consultant chose it."""
    weighted, choose = effective(kb, row)
    candidates = {s.pathway.id for s in scoring.score(weighted, profile).candidates}
    if choose not in candidates:
        return weighted, plan.build(weighted, profile)
    assert row is not None  # a chosen pathway comes from the row's overrides
    chosen = next(o for o in reversed(overrides(row)) if o.kind == "result")
    return weighted, plan.build(weighted, profile, choose=choose,
                                reason=chosen.reason if consultant else "",
                                chosen_by=chosen.actor)


def ranking_summary(kb: Knowledge, row: db.Interview,
                    answers: Mapping[str, core.Value]) -> dict[str, dict[str, Any]]:
    """Each pathway's rank, score and band for complete answers ({} if incomplete)."""
    try:
        complete = core.validate(kb, answers, complete=True)
    except core.AnswersError:
        return {}
    weighted, _ = effective(kb, row)
    return {
        s.pathway.id: {"label": s.pathway.label, "rank": s.rank, "score": round(s.score, 1),
                       "band": s.band_label}
        for s in scoring.score(weighted, read_profile(kb, complete)).scores
    }


def snapshot(kb: Knowledge, row: db.Interview, answers: Mapping[str, core.Value],
             label: str, who: str) -> Version:
    """Add a new numbered version of the answers and their ranking to the session."""
    last = db.session().scalars(
        select(Version.number).where(Version.interview_id == row.id)
        .order_by(Version.number.desc())
    ).first() or 0
    version = Version(interview_id=row.id, number=last + 1, label=label[:200],
                      answers_json=json.dumps(state.to_json(answers), sort_keys=True),
                      results_json=json.dumps(ranking_summary(kb, row, answers)), actor=who)
    db.session().add(version)
    return version


def versions(row: db.Interview) -> list[Version]:
    """Every version's number and label, oldest first (the answers stay in the database)."""
    return list(db.session().scalars(versions_query(row).order_by(None).order_by(Version.number)))


def versions_query(row: db.Interview) -> Select[Any]:
    """The community's versions, newest first, without their stored answers and results."""
    return (select(Version).options(load_only(Version.id, Version.interview_id, Version.number,
                                              Version.label, Version.actor, Version.created_at))
            .where(Version.interview_id == row.id).order_by(Version.number.desc()))


def plan_notes(kb: Knowledge, row: db.Interview | None, *,
               consultant: bool) -> list[ConsultantNote]:
    """The notes, overrides and settled disagreements the plan shows, as consultant notes:
    for the community's `consultant` only (signed in, by the workspace key); anyone else
    (the private link, a respondent) gets none."""
    if not consultant or row is None or row.owner_id is None:
        return []
    labels = {s.id: s.label for s in kb.sections}
    labels["respondents"] = "Where respondents' views differed"
    out = []
    for section, note in sorted(notes(row).items(), key=lambda kv: kv[0] != GENERAL):
        if note.text.strip():
            where = labels.get(section, "General")
            out.append(ConsultantNote(f"{where}: {note.text}", note.actor,
                                      note.updated_at.date().isoformat()))
    for o in overrides(row):
        out.append(ConsultantNote(override_text(kb, o), o.actor,
                                  o.created_at.date().isoformat()))
    return out


def rule_label(kb: Knowledge, rule: Rule) -> str:
    """A scoring rule in plain words: the fact or the answer it keys on."""
    if rule.fact is not None:
        fact = kb.facts.get(rule.fact)
        return f"Your answers show: {fact.label if fact else rule.fact}"
    question = kb.questions.get(rule.question or "")
    if question is None:
        return rule.id
    option = next((o.label for o in question.options if o.id == rule.option), rule.option)
    return (f"You answered \u201c{option}\u201d to: {question.label}" if option
            else question.label)


def override_text(kb: Knowledge, o: Override) -> str:
    """An override in words, with its reason."""
    if o.kind == "result":
        label = kb.pathways[o.target].label if o.target in kb.pathways else o.target
        return (f"Override of the result: {label} is recommended first whatever its rank. "
                f"Reason: {o.reason}")
    rule = next((r for r in kb.rules if r.id == o.target), None)
    if rule is None:
        return f"Override of a weight: rule {o.target} set to {o.weight}. Reason: {o.reason}"
    pathway = kb.pathways[rule.pathway].label if rule.pathway in kb.pathways else rule.pathway
    return (f"Override of a weight for {pathway}: \u201c{rule_label(kb, rule)}\u201d set from "
            f"{rule.weight} to {o.weight}. Reason: {o.reason}")


def new_token() -> str:
    return secrets.token_urlsafe(32)
