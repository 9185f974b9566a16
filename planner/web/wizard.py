"""The wizard: one page per section, saved after every step, a review page, resume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from planner import answers as core
from planner.model import Knowledge, Question
from planner.web import accounts, db, forms, respondents, state, summaries, workspace

bp = Blueprint("wizard", __name__, url_prefix="/c/<token>")


@bp.get("")
@bp.get("/")
def resume(token: str) -> Response:
    """Open a resume link: go to the first unanswered question of the first section not yet
    done, or to the review."""
    interview = state.load(token)
    if interview.respondent:
        return welcome(interview)
    return redirect(_next_page(interview), code=303)


def _next_page(interview: state.Interview) -> str:
    """The first unanswered question of the first section not yet done, or the review."""
    kb = state.knowledge()
    for section in kb.sections:
        if section.id not in interview.done:
            blank = [q for q in state.section_questions(kb, section.id)
                     if state.is_shown(kb, q, interview.answers) and q.id not in interview.answers]
            anchor = f"#{state.field_id(blank[0])}" if blank else ""
            return url_for(".step", token=interview.token, section_id=section.id) + anchor
    return url_for(".review", token=interview.token)


def welcome(interview: state.Interview) -> Response:
    """A respondent's link opens here: who invited them, why, how long it takes, what
    happens to their answers; then Start (or Continue)."""
    kb = state.knowledge()
    parent = db.session().get(db.Interview, interview.row.parent_id)
    owner = (db.session().get(accounts.User, interview.row.owner_id)
             if interview.row.owner_id is not None else None)
    community = (summaries.display_name(kb, parent, state.restore(kb, parent.raw_answers))
                 if parent is not None else "")
    body = render_template(
        "web/welcome.html", token=interview.token, community=community,
        consultant=owner.display if owner is not None else "",
        role=respondents.role_label(interview.row.respondent_role), invitee=interview.row.name,
        minutes=core.minutes_to_answer(kb, interview.answers),
        started=bool(interview.done), next_page=_next_page(interview),
    )
    return Response(body, mimetype="text/html")


def _current(questions: list[Question], data: MultiDict[str, str]) -> dict[str, Any]:
    """What each field shows: a set of chosen option ids, or the text."""
    current: dict[str, Any] = {}
    for q in questions:
        current[q.id] = set(data.getlist(q.id)) if q.has_options else data.get(q.id, "")
    return current


def fingerprint(kb: Knowledge, answers: Mapping[str, core.Value], section_id: str) -> str:
    """A short digest of one section's saved answers: what a step form was opened with."""
    mine = {q.id: answers[q.id] for q in state.section_questions(kb, section_id)
            if q.id in answers}
    text = json.dumps(state.to_json(mine), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _render_step(kb: Knowledge, interview: state.Interview, section_id: str,
                 questions: list[Question], data: MultiDict[str, str],
                 errors: dict[str, list[str]], status: int,
                 conflict: list[tuple[Question, str, str]] | None = None) -> tuple[str, int]:
    section = state.section(kb, section_id)
    ids = [s.id for s in kb.sections]
    form = forms.form_class(questions)(formdata=None)
    return render_template(
        "web/step.html",
        form=form,
        token=interview.token,
        section=section,
        number=ids.index(section_id) + 1,
        total=len(ids),
        done=interview.done,
        questions=questions,
        current=_current(questions, data),
        notes={q.id: state.condition_note(kb, q) for q in questions},
        errors=errors,
        previous=state.previous_section(kb, section_id),
        return_to=request.values.get("return") == "review",
        welcome=request.args.get("welcome") == "1",
        revision=interview.row.revision,
        base=fingerprint(kb, interview.answers, section_id),
        conflict=conflict,
    ), status


@bp.route("/step/<section_id>", methods=["GET", "POST"])
def step(token: str, section_id: str) -> Response | tuple[str, int]:
    """Show one section's questions, or check and save them."""
    interview = state.load(token)
    kb = state.knowledge()
    state.section(kb, section_id)
    questions = [q for q in state.section_questions(kb, section_id)
                 if state.is_shown(kb, q, interview.answers)]
    if request.method == "GET":
        return _render_step(kb, interview, section_id, questions,
                            forms.formdata_for(interview.answers, questions), {}, 200)

    bad = forms.tampered(questions, request.form)
    if bad:
        abort(400, description="The form sent an answer that is not one of the choices "
                               "offered. Nothing was saved. Go back and choose again.")
    later = request.form.get("action") == "later"
    form = forms.form_class(questions, required=not later)(formdata=request.form)
    errors: dict[str, list[str]] = {}
    form.validate()
    for q in questions:
        if form[q.id].errors:
            errors[q.id] = list(form[q.id].errors)
    submitted = forms.values(form, questions)
    merged = {q: v for q, v in interview.answers.items()
              if q not in {x.id for x in questions}}
    merged.update(submitted)
    merged = state.prune(kb, merged)
    if not errors:
        try:
            core.validate(kb, merged, complete=False)
        except core.AnswersError as exc:
            for problem in exc.problems:
                qid = state.problem_question(problem)
                if qid not in {q.id for q in questions}:
                    abort(400, description="These answers could not be saved: " + problem)
                errors.setdefault(qid, []).append(_plain(problem, kb.questions[qid]))
    blank = [q for q in questions if q.id not in merged and core.is_asked(q, merged)]
    for q in blank:
        # "Save and finish later" keeps what was given; a required blank is asked for on
        # "Continue" only.
        if q.required and q.id not in errors and not later:
            errors[q.id] = ["Answer this question."]
    if errors:
        return _render_step(kb, interview, section_id, questions, request.form, errors, 400)

    # A section is done when its required questions are answered; one left part-way with
    # "finish later" stays open until every question on it is answered or skipped by Continue.
    finished = not any(q.required for q in blank) and not (later and blank)
    conflict = db.retrying(
        lambda: _save_step(kb, interview, section_id, questions, submitted, finished))
    if conflict is not None:  # nothing saved: both versions shown, the form keeps this one
        return _render_step(kb, interview, section_id, questions, request.form, {}, 409,
                            conflict)
    if request.form.get("return") == "review":
        return redirect(url_for(".review", token=token), code=303)
    if request.form.get("action") == "later":
        return redirect(url_for(".saved", token=token), code=303)
    following = state.next_section(kb, section_id)
    if following is None:
        return redirect(url_for(".review", token=token), code=303)
    return redirect(url_for(".step", token=token, section_id=following), code=303)


def _save_step(kb: Knowledge, interview: state.Interview, section_id: str,
               questions: list[Question], submitted: Mapping[str, core.Value],
               finished: bool) -> list[tuple[Question, str, str]] | None:
    """Merge one step's answers into the newest saved answers, one writer at a time.

    Only this step's questions are written, so two people saving different steps both
    keep their answers. If this step itself was saved by someone else after the form was
    opened (its `base` digest no longer matches) and the answers differ, nothing is saved
    and the differences come back: (question, saved since, sent now).
    """
    db.lock(interview.row)
    db.session().refresh(interview.row)
    latest = state.restore(kb, interview.row.raw_answers)
    mine = {q.id for q in questions}
    merged = {q: v for q, v in latest.items() if q not in mine}
    merged.update(submitted)
    merged = state.prune(kb, merged)
    base = request.form.get("base")
    sent_revision = request.form.get("revision")
    stale = (sent_revision is not None and sent_revision != str(interview.row.revision)
             and base is not None and base != fingerprint(kb, latest, section_id))
    theirs = {q.id: latest.get(q.id) for q in questions}
    if stale and any(theirs[q.id] != merged.get(q.id) for q in questions):
        db.session().rollback()
        interview.answers = latest
        return [(q, state.answer_label(q, theirs[q.id]) or "no answer",
                 state.answer_label(q, merged.get(q.id)) or "no answer")
                for q in questions if theirs[q.id] != merged.get(q.id)]
    try:
        clean = core.validate(kb, merged, complete=False)
    except core.AnswersError as exc:  # another step changed meanwhile and no longer fits
        db.session().rollback()
        abort(409, description="These answers no longer fit the answers saved in another "
                               "step since you opened this page: " + "; ".join(exc.problems)
                               + ". Nothing was saved. Reload the page and try again.")
    done = [d for d in interview.row.done if d != section_id]
    if finished:
        done.append(section_id)
    if interview.row.owner_id is not None:
        detail = workspace.describe_changes(kb, latest, clean)
        if detail:  # recorded in the same commit as the answers
            workspace.record(interview.row, workspace.actor(interview), "answers", detail)
    db.save(interview.row, state.to_json(clean), done)
    return None


def _plain(problem: str, question: Question) -> str:
    """A core validation problem, said to a person about the field in front of them."""
    if "cannot be combined" in problem:
        exclusive = [o.label for o in question.options if o.exclusive]
        return f"\u201c{' or '.join(exclusive)}\u201d cannot be chosen with other answers."
    if "longer than" in problem:
        return f"Use {question.max_length or 2000} characters or fewer."
    if "at most" in problem and question.max_choices:
        return f"Choose at most {question.max_choices}."
    return "This answer could not be used. " + problem


@bp.get("/review")
def review(token: str) -> str:
    """List every answer by section, each with a link to change it."""
    interview = state.load(token)
    kb = state.knowledge()
    asked = {q.id for q in core.asked_questions(kb, interview.answers)}
    rows = []
    for section in kb.sections:
        items = [
            {
                "question": q,
                "answer": state.answer_label(q, interview.answers.get(q.id)),
            }
            for q in state.section_questions(kb, section.id) if q.id in asked
        ]
        rows.append({"section": section, "items": items})
    return render_template(
        "web/review.html", token=token, rows=rows,
        missing=state.missing_required(kb, interview.answers), done=interview.done,
        total=len(kb.sections), respondent=interview.respondent,
    )


@bp.get("/saved")
def saved(token: str) -> str:
    """Confirm that the answers are saved and show the private link again."""
    interview = state.load(token)
    return render_template("web/saved.html", token=interview.token)
