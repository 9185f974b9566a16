"""A TTA provider's portfolio (issue 31, part 2): organizations, supervisors, hand-over.

A consultant may belong to one organization (a TTA provider), as a consultant or as a
supervisor. /portfolio lists the communities the signed-in consultant can see: their own,
or, for a supervisor, every community of the organization's consultants (read-only: the
community pages stay their owner's). Nothing of another organization is ever read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from planner.engine import progress as core_progress
from planner.knowledge.model import Knowledge
from planner.web import accounts, csp, db, downloads, paging, state, summaries, workspace
from planner.web.db import Base
from planner.web.progress import ProgressEntry, ProgressGoal

bp = Blueprint("portfolio", __name__)

PAGE_SIZE = 50
SEARCH_MAX = 200
ROLES = ("consultant", "supervisor")
STAGES = {"planning": "Planning", "launched": "Launched", "adding": "Adding a pathway"}
ACTIVITY = {"30": "In the last 30 days", "90": "In the last 90 days",
            "365": "In the last year", "older": "More than a year ago"}
PROGRESS = {"on": "All targets met", "off": "Some targets not met", "none": "No progress yet"}


class Organization(Base):
    """A TTA provider whose consultants share a portfolio."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


class Member(Base):
    """A consultant's place in an organization: "consultant" or "supervisor" (sees every
    community of the organization, changes none)."""

    __tablename__ = "organization_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="consultant")
    # False while the consultant has not accepted a supervisor's invitation (made on the
    # organization page): until then the membership counts for nothing.
    joined: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class OrganizationEvent(Base):
    """The organization's audit trail: who created it, invited, joined, changed a role."""

    __tablename__ = "organization_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


def record(organization_id: int, who: str, action: str, detail: str) -> None:
    """Add an event to the organization's audit trail (committed with its change)."""
    db.session().add(OrganizationEvent(organization_id=organization_id, actor=who[:254],
                                       action=action, detail=detail))


def join(user: accounts.User, organization: str, role: str = "consultant") -> Member:
    """Put the user in the organization (created if new) with the role; committed."""
    if role not in ROLES:
        raise ValueError(f"a role is one of {', '.join(ROLES)}")
    name = " ".join(organization.split())[:200]
    if not name:
        raise ValueError("give the organization a name")
    org = db.session().scalars(select(Organization).where(Organization.name == name)).first()
    if org is None:
        org = Organization(name=name)
        db.session().add(org)
        db.session().flush()
    member = db.session().get(Member, user.id)
    if member is None:
        member = Member(user_id=user.id, organization_id=org.id, role=role)
        db.session().add(member)
    member.organization_id, member.role, member.joined = org.id, role, True
    record(org.id, "Command line", "joined", f"{user.display} joined as a {role}.")
    db.session().commit()
    return member


def membership(user: accounts.User) -> Member | None:
    """The user's place in an organization (not an invitation not yet accepted)."""
    member = db.session().get(Member, user.id)
    return member if member is not None and member.joined else None


def invitation(user: accounts.User) -> Member | None:
    """An invitation to an organization the user has not answered yet."""
    member = db.session().get(Member, user.id)
    return member if member is not None and not member.joined else None


def _colleagues(member: Member) -> list[accounts.User]:
    return list(db.session().scalars(
        select(accounts.User).join(Member, Member.user_id == accounts.User.id)
        .where(Member.organization_id == member.organization_id, Member.joined.is_(True))
        .order_by(accounts.User.name, accounts.User.email, accounts.User.id)))


def visible_owners(user: accounts.User) -> list[int]:
    """Whose communities the user sees: their own, or (a supervisor) the organization's
    (worked out once a request)."""
    cached: dict[int, list[int]] = g.setdefault("portfolio_owners", {})
    if user.id not in cached:
        member = membership(user)
        cached[user.id] = ([user.id] if member is None or member.role != "supervisor"
                           else [u.id for u in _colleagues(member)])
    return cached[user.id]


def supervised_interview(interview_id: int) -> db.Interview | None:
    """The community with this id if the signed-in user supervises its organization (a
    community of one of its consultants, not archived, not a respondent's copy), else None."""
    user = accounts.current_user()
    if user is None:
        return None
    member = membership(user)
    if member is None or member.role != "supervisor":
        return None
    row = db.session().get(db.Interview, interview_id)
    if (row is None or row.parent_id is not None or row.archived
            or row.owner_id not in visible_owners(user)):
        return None
    return row


@bp.before_app_request
def _refuse_changes_by_supervisors() -> None:
    """Any change asked by the supervisor's address is refused, whatever the route (a route
    that does not read the community through state.load is refused here too)."""
    token = (request.view_args or {}).get("token")
    if (isinstance(token, str) and state.SUPERVISOR_KEY_RE.fullmatch(token)
            and request.method not in ("GET", "HEAD", "OPTIONS")):
        abort(403, description=state.READ_ONLY)


# ------------------------------------------------------------------ the listing


@dataclass(frozen=True)
class Filters:
    q: str = ""
    state: str = ""
    pathway: str = ""
    stage: str = ""
    active: str = ""
    progress: str = ""

    @classmethod
    def read(cls, kb: Knowledge) -> Filters:
        args = request.args
        states = _state_options(kb)

        def pick(name: str, allowed: Any) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(q=(args.get("q") or "").strip()[:SEARCH_MAX],
                   state=pick("state", states), pathway=pick("pathway", kb.pathways),
                   stage=pick("stage", STAGES), active=pick("active", ACTIVITY),
                   progress=pick("progress", PROGRESS))

    def args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _state_question(kb: Knowledge) -> Any:
    return kb.questions.get("state")


def _state_options(kb: Knowledge) -> dict[str, str]:
    """State answer id -> name, from the state question's options."""
    question = _state_question(kb)
    return {o.id: o.label for o in question.options} if question is not None else {}


def _state() -> Any:
    """The state answer, as the community's summary stores it (planner.web.summaries)."""
    return db.Interview.list_state


_HAS_PROGRESS = exists().where(ProgressEntry.interview_id == db.Interview.id)


def _stage_expr() -> Any:
    from sqlalchemy import case

    return case((db.Interview.route == "existing", "adding"), (_HAS_PROGRESS, "launched"),
                else_="planning")


def _columns() -> tuple[Any, ...]:
    return (db.Interview.id, db.Interview.owner_id, db.Interview.list_name, db.Interview.name,
            db.Interview.list_top, db.Interview.updated_at, _state().label("state"),
            _stage_expr().label("stage"))


def _query(owners: list[int], f: Filters, kb: Knowledge,
           *columns: Any) -> Select[Any]:
    """The columns of the communities the owners' portfolio lists under the filters."""
    query = (select(*columns)
             .where(db.Interview.owner_id.in_(owners), db.Interview.parent_id.is_(None),
                    db.Interview.archived.is_(False)))
    if f.q:
        query = query.where(func.lower(db.Interview.list_name).contains(f.q.lower(),
                                                                          autoescape=True))
    if f.state:
        query = query.where(_state() == f.state)
    if f.pathway:
        query = query.where(db.Interview.list_top == kb.pathways[f.pathway].label)
    if f.stage:
        query = query.where(_stage_expr() == f.stage)
    if f.active:
        now = db._now()
        if f.active == "older":
            query = query.where(db.Interview.updated_at < now - timedelta(days=365))
        else:
            query = query.where(db.Interview.updated_at >= now - timedelta(days=int(f.active)))
    if f.progress:
        query = query.where(_progress_clause(f.progress))
    return query


def _progress_clause(wanted: str) -> Any:
    """Communities by their latest progress against targets: "none" (no value), "off"
    (a value below its target, on any measure with a target, in the measure's latest
    period) or "on" (values, and none of them off)."""
    if wanted == "none":
        return ~_HAS_PROGRESS
    off = exists().where(_missed())
    return off if wanted == "off" else (_HAS_PROGRESS & ~off)


def _missed() -> Any:
    """A latest value that misses its target (fewer is better for some measures)."""
    from sqlalchemy import and_, or_
    from sqlalchemy.orm import aliased

    later = aliased(ProgressEntry)
    newer = exists().where(later.interview_id == ProgressEntry.interview_id,
                           later.measure == ProgressEntry.measure,
                           later.period > ProgressEntry.period)
    lower = ProgressEntry.measure.in_(sorted(core_progress.LOWER_IS_BETTER))
    return and_(ProgressEntry.interview_id == db.Interview.id,
                ProgressGoal.interview_id == ProgressEntry.interview_id,
                ProgressGoal.measure == ProgressEntry.measure,
                ProgressGoal.target.is_not(None), ~newer,
                or_(and_(lower, ProgressEntry.value > ProgressGoal.target),
                    and_(~lower, ProgressEntry.value < ProgressGoal.target)))


@dataclass(frozen=True)
class Line:
    id: int
    name: str
    owner: str
    mine: bool
    state: str
    pathway: str
    stage: str
    updated: datetime
    latest: str  # the latest period recorded, or ""
    on_target: str  # "3 of 4 targets met", or ""

    @property
    def scored(self) -> bool:
        """The answers are complete, so the community has results and a plan to read."""
        return bool(self.pathway) and self.pathway != summaries.NOT_SCORED

    @property
    def key(self) -> str:
        """The community's address key: the owner's workspace key, or a supervisor's
        read-only one (planner.web.state)."""
        return f"w{self.id}" if self.mine else f"s{self.id}"


def _progress_words(kb: Knowledge, ids: list[int]) -> dict[int, tuple[str, str]]:
    """The latest period recorded and the targets met, for these communities (two reads)."""
    found: dict[int, list[core_progress.Entry]] = {}
    for r in db.session().execute(select(ProgressEntry.interview_id, ProgressEntry.period,
                                         ProgressEntry.measure, ProgressEntry.value)
                                  .where(ProgressEntry.interview_id.in_(ids))):
        if r.measure in kb.measures:
            found.setdefault(r.interview_id, []).append(core_progress.Entry(
                core_progress.parse_period(r.period), r.measure, r.value))
    goals: dict[int, list[core_progress.Goal]] = {}
    for goal in db.session().execute(select(ProgressGoal.interview_id, ProgressGoal.measure,
                                            ProgressGoal.baseline, ProgressGoal.target)
                                     .where(ProgressGoal.interview_id.in_(ids))):
        goals.setdefault(goal.interview_id, []).append(
            core_progress.Goal(goal.measure, goal.baseline, goal.target))
    out = {}
    for iid, entries in found.items():
        summary = core_progress.summarise(kb, entries, goals.get(iid, ()))
        latest = max((e.period for e in entries), key=lambda p: p.key)
        met, judged = summary.on_target
        words = (f"{met} of {judged} target{'' if judged == 1 else 's'} met" if judged
                 else "no targets")
        out[iid] = (latest.label, words)
    return out


def lines(user: accounts.User, f: Filters, arg: str | None = "page",
          total: int | None = None) -> tuple[list[Line], paging.Page | None]:
    """The portfolio's communities, most recently changed first (then by id): one page
    (`arg`: its query argument) or, with arg=None, all of them.

    A page is found by ids alone (the filters and the order read the stored columns and
    the index), then only its rows' state and stage are worked out."""
    kb = state.knowledge()
    owners = visible_owners(user)
    order = (db.Interview.updated_at.desc(), db.Interview.id.desc())
    page = None
    if arg is None:
        rows = list(db.session().execute(_query(owners, f, kb, *_columns()).order_by(*order)))
    else:
        if total is None:  # (the caller may know it: the count by state adds up to it)
            total = int(db.session().scalar(_query(owners, f, kb,
                                                   func.count(db.Interview.id))) or 0)
        number = min(paging.requested(arg), max(1, -(-total // PAGE_SIZE)))
        ids = list(db.session().scalars(_query(owners, f, kb, db.Interview.id).order_by(*order)
                                        .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)))
        place = {iid: n for n, iid in enumerate(ids)}
        rows = sorted(db.session().execute(select(*_columns()).where(
            db.Interview.id.in_(ids))), key=lambda r: place[r.id])
        page = paging.Page([], number, PAGE_SIZE, total)
    names = {u.id: u.display for u in db.session().scalars(
        select(accounts.User).where(accounts.User.id.in_({r.owner_id for r in rows})))}
    states = _state_options(kb)
    progress_of = _progress_words(kb, [r.id for r in rows])
    return [Line(r.id, r.list_name or r.name or f"Community {r.id}",
                 names.get(r.owner_id, ""), r.owner_id == user.id,
                 states.get(r.state or "", ""), r.list_top or "", STAGES[r.stage],
                 r.updated_at, *progress_of.get(r.id, ("", "")))
            for r in rows], page


def state_counts(user: accounts.User, f: Filters) -> dict[str, int]:
    """How many of the listed communities (all filters but the state) are in each state
    ("" for no state given)."""
    kb = state.knowledge()
    state_expr = _state()
    query = _query(visible_owners(user), Filters(**{**f.__dict__, "state": ""}), kb,
                   state_expr, func.count()).group_by(state_expr)
    return {s or "": n for s, n in db.session().execute(query)}


@bp.get("/portfolio")
def index() -> str:
    """Every community the consultant can see, filtered and searched, with a map by state."""
    from planner.documents import tile_map

    user = accounts.require_user()
    kb = state.knowledge()
    f = Filters.read(kb)
    counts = state_counts(user, f)
    found, page = lines(user, f, total=None if f.state else sum(counts.values()))
    counts = {s: n for s, n in counts.items() if s}
    names = _state_options(kb)
    member = membership(user)
    return render_template(
        "web/portfolio.html", lines=found, page=page, filters=f, kb=kb,
        states=names, stages=STAGES, activity=ACTIVITY, progress_options=PROGRESS,
        counts=sorted(((names[s], n) for s, n in counts.items() if s in names)),
        map_img=csp.svg_as_img(tile_map.chart(counts), tile_map.alt(counts)),
        member=member, organization=(db.session().get(Organization, member.organization_id)
                                     if member else None))


CSV_HEADERS = ("community", "state", "pathway", "stage", "last_activity", "consultant",
               "latest_period", "against_targets")


@bp.get("/portfolio.csv")
def export() -> Response:
    """Every listed community (the same filters) as CSV."""
    user = accounts.require_user()
    found, _ = lines(user, Filters.read(state.knowledge()), None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for x in found:
        writer.writerow([downloads_safe(x.name), x.state, x.pathway, x.stage,
                         x.updated.strftime("%Y-%m-%d"), downloads_safe(x.owner), x.latest,
                         x.on_target])
    return downloads.attachment(Response(out.getvalue(), mimetype="text/csv"),
                                "portfolio.csv")


def downloads_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ------------------------------------------------------------------ hand-over


@bp.route("/c/<token>/hand-over", methods=["GET", "POST"])
def hand_over(token: str) -> Response | tuple[str, int]:
    """Give the community to another consultant of the organization (audited)."""
    interview = workspace.load_owned(token)
    user = accounts.require_user()
    member = membership(user)
    others = [u for u in _colleagues(member) if u.id != user.id
              and (m := db.session().get(Member, u.id)) is not None
              and m.role == "consultant"] if member else []
    error = ""
    if request.method == "POST":
        wanted = db.parse_id(request.form.get("to") or "")
        target = next((u for u in others if u.id == wanted), None)
        if target is None:
            error = "Choose a consultant of your organization to hand the community over to."
        else:
            interview.row.owner_id = target.id
            workspace.record(interview.row, user.display, "hand-over",
                             f"Handed over from {user.display} to {target.display}.")
            interview.row.updated_at = db._now()
            db.session().commit()
            return redirect(url_for(".index", handed=1), code=303)
    if request.method == "GET" and not others:
        error = ("There is no other consultant in your organization to hand it over to."
                 if member else "You are not in an organization, so there is no one to hand "
                                "the community over to.")
    return render_template("web/hand_over.html", token=token, others=others, error=error,
                           name=interview.row.list_name or interview.row.name), \
        (400 if error and request.method == "POST" else 200)
