"""Results: the ranking explained, stability, what-if, matches, and the plan preview/PDF."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from planner.documents import charts
from planner.documents import report as report_words
from planner.engine import actions, matching, plan, scoring, sensitivity
from planner.engine import answers as core
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge import states
from planner.knowledge.model import Knowledge, Question
from planner.web import csp, downloads, forms, progress, renders, respondents, state, workspace

bp = Blueprint("results", __name__, url_prefix="/c/<token>")

PLAN_UNAVAILABLE = "The printable plan is not available on this server yet."


def _complete(interview: state.Interview) -> dict[str, core.Value] | None:
    kb = state.knowledge()
    try:
        return core.validate(kb, interview.answers, complete=True)
    except core.AnswersError:
        return None


def changeable(profile: CommunityProfile) -> list[Question]:
    """Questions a what-if may change: asked choice questions that do not describe who you are."""
    return [q for q in profile.asked if q.has_options and not q.profile]


def _what_if_view(kb: Knowledge, questions: list[Question],
                  data: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "questions": questions,
        "current": {q.id: set(data.getlist(q.id)) for q in questions},
        "form": forms.form_class(questions, required=False)(formdata=None),
        "sections": [(s, [q for q in questions if q.section == s.id]) for s in kb.sections],
    }


class LinksOnce:
    """Each resource linked once on a page: `first(url)` is true the first time only;
    `below(url)` says a later section (programs, mentors, state, training, funding) links it,
    so an earlier mention names it without a link."""

    def __init__(self, below: set[str]) -> None:
        self._below = below
        self._seen: set[str] = set()

    def first(self, url: str) -> bool:
        if url in self._seen:
            return False
        self._seen.add(url)
        return True

    def below(self, url: str) -> bool:
        return url in self._below


def _linked_below(kb: Knowledge, built: plan.Plan, initiatives: Mapping[str, Any],
                  state_context: Any) -> set[str]:
    """The addresses the results page links in its sections after the ranking."""
    top = built.top
    if top is None:
        return set()
    urls = {kb.programs[m.id].link for m in top.programs}
    urls |= {kb.mentor_sites[m.id].link for m in top.mentors}
    urls |= {ini.link for m in top.mentors for ini in initiatives.get(m.id, [])}
    urls |= {kb.tta[m.id].link for m in top.tta} | {kb.funding[m.id].link for m in top.funding}
    urls |= {link.url for s in state_context for link in s.links[:1]}
    return {u for u in urls if u}


def _plan_available() -> bool:
    try:
        importlib.import_module("planner.documents.report")
    except ImportError:
        return False
    return True


def _page(interview: state.Interview, answers: dict[str, core.Value],
          what_if: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    base = state.knowledge()
    who = read_profile(base, answers)
    kb, built = workspace.build(base, interview.row, who, consultant=interview.by_owner)
    questions = changeable(who)
    panel = _what_if_view(kb, questions, forms.formdata_for(answers, questions))
    if what_if is not None:
        panel.update(what_if["panel"])
    initiatives = {m.id: matching.visit_routes(kb, kb.mentor_sites[m.id], who)
                   for d in built.recommended for m in d.mentors}
    gap_tta = {
        s.pathway.id: {g.resource_id: matching.tta_for(kb, (g.resource_id,), s.pathway.id,
                                                       limit=2, who=who)
                       for g in s.gaps}
        for s in built.ranking.scores
    }
    unanswered = [
        (kb.questions[q], state.question_url(kb, interview.token, kb.questions[q]))
        for q in built.ranking.unanswered_questions
    ]
    state_context = states.context_for(kb, who.state)
    return render_template(
        "web/results.html",
        links=LinksOnce(_linked_below(kb, built, initiatives, state_context)),
        weights=sensitivity.weight_sensitivity(kb, who, built.ranking),
        weight_limits=scoring.WEIGHT_LIMITS,
        gap_tta=gap_tta,
        token=interview.token,
        plan=built,
        chart=csp.svg_as_img(charts.ranking_chart(built.ranking)),
        chart_alt=charts.ranking_alt(built.ranking),
        what_if=what_if,
        panel=panel,
        initiatives=initiatives,
        unanswered=unanswered,
        reasons=_reasons(kb, built),
        first_steps=actions.action_plan(kb, built.timeline, who,
                                        plan.named_partners(kb, who),
                                        actions.default_start(dt.date.today()))[:3],
        state_context=state_context,
        unanswered_words=report_words.unanswered_words(len(unanswered)),
        stability_words=report_words.stability_words(kb, built),
        stability_rule=report_words.stability_rule(kb),
        worst_case=report_words.worst_case_words(kb, built),
        in_100=report_words.in_100,
        check_first_words=report_words.check_first_words(kb, built),
        plan_available=_plan_available(),
        label=lambda qid, value: state.answer_label(kb.questions[qid], value),
        consultant_notes=workspace.plan_notes(base, interview.row,
                                              consultant=interview.by_owner),
        by_owner=interview.by_owner,
        sizing_rows=_sizing_summary(kb, built, who),
    ), status


def _sizing_summary(kb: Knowledge, built: plan.Plan, who: CommunityProfile) -> list[Any]:
    """The top pathway's contacts, staff and first-year cost rows (none when it cannot be
    sized), for the results page's one-paragraph summary: the staff and the cost are the
    plan's one estimate (planner.engine.staffing), the brief's and the Word copy's too."""
    from planner.engine import sizing as sizing_core
    from planner.engine import staffing

    top = built.top
    found = staffing.first_year(kb, who, top.score.pathway.id) if top is not None else None
    if found is None or found.sizing is None:
        return []
    estimate = found.estimate
    fte_low = round(sum(line.fte_low or 0 for line in estimate.staff_lines), 2)
    fte_high = round(sum(line.fte_high or 0 for line in estimate.staff_lines), 2)
    contacts = [r for r in sizing_core.rows(found.sizing) if r.label.startswith("Contacts")]
    return [*contacts,
            sizing_core.Row("Staff (full-time equivalents)",
                            sizing_core.range_words(fte_low, fte_high, "fte"), ""),
            sizing_core.Row("First-year cost (dollars)",
                            sizing_core.range_words(estimate.low, estimate.high, "dollars"),
                            "")]


def _reasons(kb: Knowledge, built: plan.Plan) -> list[str]:
    """The answers that add most to the top pathway (the brief's and the Word copy's too),
    in the community's words."""
    top = built.top
    if top is None:
        return []
    return [plan.reason_words(c) for c in plan.top_reasons(kb, top.score)]


@bp.get("/results")
def results(token: str) -> Response | tuple[str, int]:
    """Show the ranking, its reasons and the matches for the saved answers."""
    interview = state.load(token)
    answers = _complete(interview)
    if answers is None and interview.read_only:
        abort(404, description="This community's answers are not complete yet, so it has no "
                               "results or plan to read. Its progress page may have values.")
    if answers is None:
        return redirect(url_for("wizard.review", token=token, incomplete=1), code=303)
    if interview.respondent:  # no score before the consultant settles the agreed answers
        return render_template("web/respondent_done.html", token=token,
                               role=respondents.role_label(interview.row.respondent_role)), 200
    page = _page(interview, answers)
    renders.results_viewed(interview.row)  # the PDF is rendered before it is asked for
    return page


RESPONDENT_ONLY = ("A respondent's link collects answers; it has no results or plan of its own. "
                   "Your consultant compares every respondent's answers, agrees them with you, "
                   "and shares the results and the starter plan built from the agreed answers.")


def _not_for_respondents(interview: state.Interview) -> None:
    if interview.respondent:
        abort(403, description=RESPONDENT_ONLY)


@bp.post("/what-if")
def what_if(token: str) -> Response | tuple[str, int]:
    """Re-score with some answers changed, beside the saved ranking; nothing is saved."""
    interview = state.load(token)
    _not_for_respondents(interview)
    answers = _complete(interview)
    if answers is None:
        return redirect(url_for("wizard.review", token=token, incomplete=1), code=303)
    kb, _ = workspace.effective(state.knowledge(), interview.row)
    profile = read_profile(kb, answers)
    questions = changeable(profile)
    if forms.tampered(questions, request.form):
        abort(400, description="The what-if form sent an answer that is not one of the "
                               "choices offered. Nothing was changed.")
    form = forms.form_class(questions, required=False)(formdata=request.form)
    form.validate()
    sent = forms.values(form, questions)
    changes: dict[str, core.Value] = {q.id: sent.get(q.id, ()) for q in questions}
    merged = {q: v for q, v in answers.items() if q not in changes}
    merged.update({q: v for q, v in changes.items() if v != ()})
    merged = state.prune(kb, merged)
    errors: dict[str, list[str]] = {}
    try:
        core.validate(kb, merged, complete=False)
    except core.AnswersError as exc:
        for problem in exc.problems:
            qid = state.problem_question(problem) or ""
            if qid not in kb.questions:
                abort(400, description="The what-if could not be run: " + problem)
            errors.setdefault(qid, []).append(
                "This combination of answers cannot be scored. " + problem)
    panel = _what_if_view(kb, questions, request.form)
    panel["errors"] = errors
    if errors:
        return _page(interview, answers, {"panel": panel, "ranking": None, "changed": []}, 400)
    diff: dict[str, core.Value] = {
        q: merged.get(q, ()) for q in set(answers) | set(merged) if answers.get(q) != merged.get(q)
    }
    ranking = scoring.rescore(kb, profile, diff)
    before = scoring.score(kb, profile)
    changed = [(kb.questions[q], answers.get(q), merged.get(q))
               for q in kb.questions if q in diff]
    return _page(interview, answers, {
        "panel": panel, "ranking": ranking, "before": before, "changed": changed,
    })


def _built(token: str) -> tuple[Knowledge, plan.Plan, CommunityProfile, list[Any]]:
    interview = state.load(token)
    _not_for_respondents(interview)
    answers = _complete(interview)
    if answers is None:
        abort(404, description="The plan is ready once every required question is answered. "
                               "Go back to your answers to finish them.")
    profile = read_profile(state.knowledge(), answers)
    mine = interview.by_owner  # notes and reasons for the signed-in consultant only
    kb, built = workspace.build(state.knowledge(), interview.row, profile, consultant=mine)
    return kb, built, profile, workspace.plan_notes(state.knowledge(), interview.row,
                                                    consultant=mine)


@bp.get("/plan")
def plan_preview(token: str) -> Response:
    """The printable plan as HTML (the same document the PDF is made from)."""
    try:
        report = importlib.import_module("planner.documents.report")
    except ImportError:
        abort(404, description=PLAN_UNAVAILABLE)
    kb, built, profile, notes = _built(token)
    html: str = report.render_plan_html(
        kb, built, profile, for_pdf=False, notes=notes,
        templates_dir=current_app.config["TEMPLATES_DIR"],
        progress=progress.for_plan(state.load(token, reading=True).row),
        preview_links={
            "home": url_for("start.index"),
            "results": url_for("results.results", token=token),
            "downloads": [
                ("Download the plan (PDF)", url_for("results.plan_pdf", token=token)),
                ("The plan (Word)", url_for("results.plan_docx", token=token)),
                ("Action plan (Excel)", url_for("results.actions_xlsx", token=token)),
                ("Starter documents (Word)", url_for("results.starter_docx", token=token)),
                ("Application starter (Word)",
                 url_for("results.application_docx", token=token)),
            ],
        },
    )
    page, policy = csp.standalone(html)
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": policy})


@bp.get("/plan.pdf")
def plan_pdf(token: str) -> Response:
    """The starter plan as a tagged PDF download: the stored render (rendered in the
    background since the results were shown), or the one under way, or rendered now."""
    if not _plan_available():
        abort(404, description=PLAN_UNAVAILABLE)
    interview = state.load(token)
    _not_for_respondents(interview)
    answers = _complete(interview)
    if answers is None:
        abort(404, description="The plan is ready once every required question is answered. "
                               "Go back to your answers to finish them.")
    start = _start_date() if request.args.get("start") else None
    # A stored render is found by what the plan is made from, without building the plan
    # (about 0.2 s); only when there is none is the HTML built, to render it or find it.
    mine = interview.by_owner  # notes and reasons for the signed-in consultant only
    source = renders.source_for(interview.row, start, consultant=mine)
    body = renders.stored_pdf(interview.row, source)
    if body is None:
        html, _ = renders.plan_html(interview.row, answers, start, consultant=mine)
        body = renders.pdf_for(interview.row, html, source)
    return downloads.attachment(Response(body, mimetype="application/pdf"),
                                f"{downloads.slug(renders.community_name(answers))}-plan.pdf")


def _start_date(built: plan.Plan | None = None) -> dt.date:
    """The action plan's start date: ?start=YYYY-MM-DD, else the plan's own start (the month
    the community hopes to start, or the first Monday of next month)."""
    given = request.args.get("start")
    if not given and built is not None and built.dates is not None:
        return built.dates.start
    try:
        return actions.parse_start(given, dt.date.today())
    except ValueError:
        abort(400, description="The start date must be a date written YYYY-MM-DD within ten "
                               "years of today, for example 2027-01-04.")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return downloads.attachment(Response(body, mimetype=mimetype), filename)


@bp.get("/plan.docx")
def plan_docx(token: str) -> Response:
    """The starter plan as an editable Word document."""
    from planner.documents import docx_export

    kb, built, profile, notes = _built(token)
    ctx = docx_export.context(kb, built, profile, notes=notes, start=_start_date(built),
                              progress=progress.for_plan(state.load(token, reading=True).row))
    return _download(docx_export.render(ctx), docx_export.MIME,
                     f"{downloads.slug(built.community)}-plan.docx")


@bp.get("/starter-documents.docx")
def starter_docx(token: str) -> Response:
    """The starter documents alone (MOU outline, data-sharing checklist...), as Word."""
    from planner.documents import docx_export

    kb, built, profile, notes = _built(token)
    ctx = docx_export.context(kb, built, profile, notes=notes, start=_start_date(built))
    return _download(docx_export.render_starter_documents(ctx), docx_export.MIME,
                     f"{downloads.slug(built.community)}-starter-documents.docx")


def _action_rows(token: str) -> tuple[plan.Plan, Any]:
    from planner.documents import action_table

    kb, built, profile, _ = _built(token)
    return built, action_table.rows(kb, built, profile, _start_date(built))


@bp.get("/actions.xlsx")
def actions_xlsx(token: str) -> Response:
    """The action plan as a spreadsheet (XLSX)."""
    from planner.documents import sheet_export

    built, rows = _action_rows(token)
    return _download(sheet_export.xlsx(rows, community=built.community,
                                       done=built.done), sheet_export.XLSX_MIME,
                     f"{downloads.slug(built.community)}-actions.xlsx")


@bp.get("/actions.csv")
def actions_csv(token: str) -> Response:
    """The action plan as CSV."""
    from planner.documents import sheet_export

    built, rows = _action_rows(token)
    # Flask adds "; charset=utf-8" to a text/* mimetype (once).
    return _download(sheet_export.csv_bytes(rows, built.community, built.done),
                     sheet_export.CSV_MIME,
                     f"{downloads.slug(built.community)}-actions.csv")


# ------------------------------------------------------------------ sizing and the application
# (issue 30) The sizing page shows how big the top pathway (or ?pathway=ID) would be, with a
# plain GET form (no JavaScript) that replaces any assumption for this view only; the
# application starter downloads as Word from the results page and the plan preview.


def _sizing_overrides(args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Assumption figures sent by the sizing form: ID-low and ID-high (either alone sets
    both); a field that is not a figure is reported, not used."""
    from planner.engine import sizing as sizing_core

    given: dict[str, Any] = {}
    errors: dict[str, str] = {}
    ids = sorted({k.rsplit("-", 1)[0] for k in args if k.endswith(("-low", "-high"))})
    for aid in ids:
        low, high = (args.get(f"{aid}-low", "").strip(), args.get(f"{aid}-high", "").strip())
        if not low and not high:
            continue
        text = f"{low or high}:{high or low}"
        try:
            given[aid] = sizing_core.parse_override(f"{aid}={text}")[1]
        except ValueError as exc:
            errors[aid] = str(exc)
    return given, errors


@bp.get("/sizing")
def sizing_page(token: str) -> tuple[str, int]:
    """How big the program would be: contacts, funnel, caseload, staff and first-year cost,
    each with the assumptions it rests on; any assumption can be replaced for this view."""
    from planner.engine import sizing as sizing_core

    kb, built, profile, _ = _built(token)
    sizable = sizing_core.sizable(kb)
    top = built.top
    pathway = request.args.get("pathway") or (top.score.pathway.id if top else "")
    if pathway not in sizable:
        pathway = sizable[0] if sizable and pathway not in kb.pathways else pathway
    given, errors = _sizing_overrides(request.args)
    result, problem = None, ""
    if pathway in sizable:
        try:
            result = sizing_core.estimate(kb, profile, pathway, given)
        except ValueError as exc:
            problem = str(exc)
            result = sizing_core.estimate(kb, profile, pathway)
    status = 400 if errors or problem else 200
    return render_template(
        "web/sizing.html", token=token, plan=built, kb=kb, result=result, pathway=pathway,
        sizable=sizable, errors=errors, problem=problem, given=given,
        rows=sizing_core.rows(result) if result else (), words=sizing_core.range_words,
    ), status


@bp.get("/application.docx")
def application_docx(token: str) -> Response:
    """The application starter: a Word draft shaped like a federal deflection application."""
    from planner.documents import action_table, application, docx_export

    kb, built, profile, _ = _built(token)
    rows = action_table.rows(kb, built, profile, _start_date(built))
    app = application.build(kb, built, profile, rows, generated=dt.date.today(),
                            size=application.sizing_for(kb, built, profile))
    if app is None:
        abort(404, description="No pathway could be ranked, so there is no application yet.")
    return _download(docx_export.render_application(app), docx_export.MIME,
                     f"{downloads.slug(built.community)}-application.docx")
