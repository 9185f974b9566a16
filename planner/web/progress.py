"""Progress on the plan's measures: record, import, show and export them (issue 31).

Open to the community's private link and to its consultant (by the workspace key); a
respondent's link and anyone else get the same 404 as an unknown address. The checks and
the summary are planner.engine.progress; this module stores rows and renders pages.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from planner.engine import answers as core
from planner.engine import matching, scoring
from planner.engine import progress as core_progress
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge
from planner.web import csp, db, downloads, state, workspace
from planner.web.db import Base

bp = Blueprint("progress", __name__, url_prefix="/c/<token>")

IMPORT_MAX = 60 * 1024
SIMILAR = 4
NOT_HERE = "There is no page at this address. Check the link, or start from the home page."


class ProgressEntry(Base):
    """One measure's value for one period (`YYYY-MM` or `YYYY-Qn`) of one community."""

    __tablename__ = "progress_entries"
    __table_args__ = (UniqueConstraint("interview_id", "period", "measure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    measure: Mapped[str] = mapped_column(String(120))
    value: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


class ProgressGoal(Base):
    """One measure's baseline and target for one community."""

    __tablename__ = "progress_goals"
    __table_args__ = (UniqueConstraint("interview_id", "measure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(String(120))
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    actor: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)


# ------------------------------------------------------------------ reading


def load(token: str) -> state.Interview:
    """The community for its private link, its consultant or (read-only) a supervisor of
    its organization: state.load's lookup, which checks each of them. A respondent's copy
    (opened by the respondent's link or by its id) is a 404: it has no progress."""
    interview = state.load(token)
    if interview.row.parent_id is not None:  # (covers interview.respondent)
        abort(404, description=NOT_HERE)
    return interview


def _rows(row: db.Interview) -> list[ProgressEntry]:
    return list(db.session().scalars(select(ProgressEntry).where(
        ProgressEntry.interview_id == row.id).order_by(ProgressEntry.id)))


def entries(row: db.Interview) -> list[core_progress.Entry]:
    """The community's saved values (a stored row the knowledge base no longer knows is
    left out: its measure was removed)."""
    kb = state.knowledge()
    return [core_progress.Entry(core_progress.parse_period(r.period), r.measure, r.value)
            for r in _rows(row) if r.measure in kb.measures]


def goals(row: db.Interview) -> list[core_progress.Goal]:
    return [core_progress.Goal(g.measure, g.baseline, g.target) for g in db.session().scalars(
        select(ProgressGoal).where(ProgressGoal.interview_id == row.id)
        .order_by(ProgressGoal.id))]


def similar_programs(kb: Knowledge, row: db.Interview) -> list[str]:
    """The programs most like the community for its first pathway, once its answers are
    complete (the results page's list); none before."""
    try:
        complete = core.validate(kb, state.answers_of(kb, row), complete=True)
    except core.AnswersError:
        return []
    weighted, _ = workspace.effective(kb, row)
    profile = read_profile(kb, complete)
    best = scoring.score(weighted, profile).top
    if best is None:
        return []
    return [m.id for m in matching.similar_programs(kb, profile, best.pathway.id, SIMILAR)]


def summary(row: db.Interview, *, compare: bool = True) -> core_progress.Summary:
    """The community's progress: each measure against its target, the funnel and (with
    `compare`) similar programs' published figures."""
    kb = state.knowledge()
    return core_progress.summarise(kb, entries(row), goals(row),
                                   similar_programs(kb, row) if compare else ())


# ------------------------------------------------------------------ pages


def _page(interview: state.Interview, *, errors: list[str] | None = None,
          form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    from planner.documents import progress_chart

    kb = state.knowledge()
    found = summary(interview.row)
    charts = {m.measure.id: (csp.svg_as_img(progress_chart.measure_chart(m),
                                            progress_chart.measure_alt(m)),
                             progress_chart.measure_alt(m))
              for m in found.measures if m.points}
    return render_template(
        "web/progress.html", token=interview.token, interview=interview, summary=found,
        charts=charts, measures=list(kb.measures.values()), units=core_progress.UNITS,
        unit_words=core_progress.UNIT_WORDS, number=core_progress.number,
        errors=errors or [], form=form or {}, saved=request.args.get("saved"),
        owner=interview.by_owner), status


@bp.get("/progress")
def page(token: str) -> tuple[str, int]:
    """Each measure over time against its target, the funnel, and similar programs' figures."""
    return _page(load(token))


def _fields(*names: str) -> dict[str, str]:
    return {n: (request.form.get(n) or "").strip()[:200] for n in names}


@bp.post("/progress")
def record(token: str) -> Response | tuple[str, int]:
    """Save one value (a value saved before for the same period and measure is replaced)."""
    interview = load(token)
    kb = state.knowledge()
    form = _fields("period", "measure", "value")
    try:
        [entry] = core_progress.check(kb, [(form["period"], form["measure"], form["value"])],
                                      entries(interview.row))
    except core_progress.ProgressError as exc:
        return _page(interview, errors=[p.removeprefix("Row 1: ") for p in exc.problems],
                     form=form, status=400)
    who = workspace.actor(interview)

    def save() -> None:
        db.lock(interview.row)
        _store(interview.row, [entry], who, "Progress recorded")
        db.session().commit()

    db.retrying(save)
    return _redirect(token, 1)


def _redirect(token: str, saved: int) -> Response:
    return redirect(url_for(".page", token=token, saved=saved) + "#saved", code=303)


def _store(row: db.Interview, new: list[core_progress.Entry], who: str, action: str) -> None:
    """Add or replace the values in the session, with one audit entry naming each."""
    kb = state.knowledge()
    now = db._now()
    current = {(r.period, r.measure): r for r in _rows(row)}
    words = []
    for e in new:
        label = kb.measures[e.measure].label
        old = current.get((e.period.text, e.measure))
        if old is None:
            db.session().add(ProgressEntry(interview_id=row.id, period=e.period.text,
                                           measure=e.measure, value=e.value, actor=who,
                                           updated_at=now))
            words.append(f"{label}, {e.period.label}: {core_progress.number(e.value)}")
        elif old.value != e.value:
            words.append(f"{label}, {e.period.label}: {core_progress.number(old.value)} "
                         f"\u2192 {core_progress.number(e.value)}")
            old.value, old.actor, old.updated_at = e.value, who, now
    workspace.record(row, who, "progress",
                     f"{action}: " + ("; ".join(words) if words else "no value changed"))
    row.updated_at = now  # the plan shows progress: a new plan source (renders.source_for)


@bp.post("/progress/goals")
def set_goal(token: str) -> Response | tuple[str, int]:
    """Save one measure's baseline and target (either may be left empty)."""
    interview = load(token)
    kb = state.knowledge()
    form = _fields("measure", "baseline", "target")
    errors: list[str] = []
    values: dict[str, float | None] = {}
    try:
        measure = core_progress.find_measure(kb, form["measure"])
    except core_progress.ProgressError as exc:
        return _page(interview, errors=list(exc.problems), form=form, status=400)
    for name in ("baseline", "target"):
        if not form[name]:
            values[name] = None
            continue
        try:
            values[name] = core_progress.parse_value(measure, form[name])
        except core_progress.ProgressError as exc:
            errors.extend(f"The {name}: {p}" for p in exc.problems)
    if errors:
        return _page(interview, errors=errors, form=form, status=400)
    who = workspace.actor(interview)

    def save() -> None:
        db.lock(interview.row)
        goal = db.session().scalars(select(ProgressGoal).where(
            ProgressGoal.interview_id == interview.row.id,
            ProgressGoal.measure == measure.id)).first()
        if goal is None:
            goal = ProgressGoal(interview_id=interview.row.id, measure=measure.id)
            db.session().add(goal)
        goal.baseline, goal.target = values["baseline"], values["target"]
        goal.actor, goal.updated_at = who, db._now()
        shown = {k: core_progress.number(v) or "none" for k, v in values.items()}
        workspace.record(interview.row, who, "progress-goal",
                         f"{measure.label}: baseline {shown['baseline']}, "
                         f"target {shown['target']}")
        interview.row.updated_at = db._now()
        db.session().commit()

    db.retrying(save)
    return _redirect(token, 1)


# ------------------------------------------------------------------ import and export


def _problems_page(interview: state.Interview, problems: list[str]) -> tuple[str, int]:
    return render_template("web/progress_import.html", token=interview.token,
                           problems=problems, rows=None, measures=_measure_names(),
                           owner=interview.by_owner), 400


def _measure_names() -> list[tuple[str, str]]:
    return [(m.id, m.label) for m in state.knowledge().measures.values()]


@bp.get("/progress/import")
def import_form(token: str) -> str:
    """The upload form, with the columns and the measures' names."""
    interview = load(token)
    return render_template("web/progress_import.html", token=token, problems=[], rows=None,
                           measures=_measure_names(), owner=interview.by_owner)


def _read(interview: state.Interview, text: str) -> list[core_progress.Entry] | list[str]:
    try:
        return core_progress.read_csv(state.knowledge(), text, entries(interview.row))
    except core_progress.ProgressError as exc:
        return list(exc.problems)


@bp.post("/progress/import")
def import_file(token: str) -> tuple[str, int]:
    """Check an uploaded CSV and show what would be saved; nothing is saved yet."""
    interview = load(token)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _problems_page(interview, ["Choose a CSV file to import. Nothing was saved."])
    raw = upload.read(IMPORT_MAX + 1)
    if len(raw) > IMPORT_MAX:
        return _problems_page(interview, ["This file is too large (over 60 KB); import a "
                                          "year or two at a time. Nothing was saved."])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _problems_page(interview, ["This file is not UTF-8 text. Save it from the "
                                          "spreadsheet as \u201cCSV UTF-8\u201d. Nothing was "
                                          "saved."])
    if "\x00" in text:
        return _problems_page(interview, ["This file holds a NUL character, so it is not "
                                          "a CSV. Nothing was saved."])
    found = _read(interview, text)
    if found and isinstance(found[0], str):
        return _problems_page(interview, [str(p) for p in found] + ["Nothing was saved."])
    kb = state.knowledge()
    saved = {(e.period.text, e.measure): e.value for e in entries(interview.row)}
    rows = []
    for e in core_progress.ordered(kb, [e for e in found
                                        if isinstance(e, core_progress.Entry)]):
        old = saved.get((e.period.text, e.measure))
        rows.append({"period": e.period.label, "measure": kb.measures[e.measure].label,
                     "value": core_progress.number(e.value),
                     "now": "" if old is None else core_progress.number(old),
                     "change": "new" if old is None else "same" if old == e.value
                     else "replaces"})
    return render_template("web/progress_import.html", token=token, problems=[], rows=rows,
                           payload=text, measures=_measure_names(),
                           owner=interview.by_owner), 200


@bp.post("/progress/import/confirm")
def import_confirm(token: str) -> Response | tuple[str, int]:
    """Save the checked file's values (checked again: the page could have been edited)."""
    interview = load(token)
    found = _read(interview, request.form.get("payload") or "")
    if not found or isinstance(found[0], str):
        return _problems_page(interview, [str(p) for p in found] + ["Nothing was saved."])
    new = [e for e in found if isinstance(e, core_progress.Entry)]
    who = workspace.actor(interview)

    def save() -> None:
        db.lock(interview.row)
        _store(interview.row, new, who, f"Progress imported from a file ({len(new)} "
                                        f"value{'' if len(new) == 1 else 's'})")
        db.session().commit()

    db.retrying(save)
    return _redirect(token, len(new))


@bp.get("/progress.csv")
def export(token: str) -> Response:
    """Every saved value as CSV (the import reads it back)."""
    interview = load(token)
    kb = state.knowledge()
    body = core_progress.write_csv(kb, entries(interview.row))
    name = core.text_value(kb, interview.answers, "community_name") or interview.row.name
    return downloads.attachment(Response(body, mimetype="text/csv"),
                                f"{downloads.slug(name or '')}-progress.csv")


def for_plan(row: db.Interview | None) -> core_progress.Summary | None:
    """The progress the plan shows ("Progress so far"), or None when there is none."""
    if row is None or row.parent_id is not None:
        return None
    found = summary(row, compare=False)
    return None if found.empty else found
