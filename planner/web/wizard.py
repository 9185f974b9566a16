"""The wizard: one page per section, saved after every step, a review page, resume."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from planner.engine import answers as core
from planner.engine import effort, scoring
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge, Question
from planner.web import accounts, db, forms, respondents, state, summaries, workspace

bp = Blueprint("wizard", __name__, url_prefix="/c/<token>")

# The respondent's role and the lead agency are one question where they match: on the
# page that asks both, the role follows the lead agency folded away ("I answer for a
# different kind of organization"); sent without a role, the page saves the lead
# agency's kind as the role when the role question offers it. Both ids stay as they are.
ROLE_FROM_LEAD = ("respondent-role", "lead-agency")


def _role_from_lead(questions: list[Question], submitted: dict[str, core.Value]) -> None:
    """Fill the respondent's role from the lead agency (see ROLE_FROM_LEAD), in place."""
    role, lead = ROLE_FROM_LEAD
    ids = {q.id: q for q in questions}
    if role in ids and lead in ids and role not in submitted:
        given = submitted.get(lead)
        if isinstance(given, str) and given in {o.id for o in ids[role].options}:
            submitted[role] = given


def _folded(questions: list[Question] | tuple[Question, ...],
            current: Mapping[str, Any]) -> dict[str, bool]:
    """Questions shown folded in a <details>, and whether it opens: the role, when the
    lead agency is on the same page; open when a role is chosen that differs from it."""
    role, lead = ROLE_FROM_LEAD
    ids = {q.id for q in questions}
    if role not in ids or lead not in ids:
        return {}
    chosen, led = set(current.get(role) or ()), set(current.get(lead) or ())
    return {role: bool(chosen) and chosen != led}


@bp.get("")
@bp.get("/")
def resume(token: str) -> Response:
    """Open a resume link: go to the first unanswered question of the first section not yet
    done, or to the review."""
    interview = state.load(token, reading=True)
    if interview.respondent:
        return welcome(interview)
    return redirect(_next_page(interview), code=303)


def _next_page(interview: state.Interview) -> str:
    """The first unanswered question of the first section not yet done, or the review."""
    kb = state.knowledge()
    for section in kb.sections:
        if section.id in interview.done:
            continue
        numbers = [n for n in range(1, len(state.pages(kb, section.id)) + 1)
                   if state.shown_on_page(kb, section.id, n, interview.answers, interview.route)]
        for number in numbers:
            blank = [q for q in state.shown_on_page(kb, section.id, number, interview.answers,
                                                    interview.route)
                     if q.id not in interview.answers]
            if blank:
                return (_page_url(interview.token, section.id, number)
                        + f"#{state.field_id(blank[0])}")
        if numbers:
            return _page_url(interview.token, section.id, numbers[0])
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
        minutes=effort.minutes_left(kb, interview.answers, interview.route),
        started=bool(interview.done), next_page=_next_page(interview),
    )
    return Response(body, mimetype="text/html")


def _page_url(token: str, section_id: str, number: int, **args: Any) -> str:
    return state.page_url(token, section_id, number, **args)


def _current(questions: list[Question], data: MultiDict[str, str]) -> dict[str, Any]:
    """What each field shows: a set of chosen option ids, or the text."""
    current: dict[str, Any] = {}
    for q in questions:
        current[q.id] = set(data.getlist(q.id)) if q.has_options else data.get(q.id, "")
    return current


def fingerprint(answers: Mapping[str, core.Value], questions: list[Question]) -> str:
    """A short digest of the saved answers to a form's questions: what it was opened with."""
    mine = {q.id: answers[q.id] for q in questions if q.id in answers}
    text = json.dumps(state.to_json(mine), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _owner(interview: state.Interview) -> bool:
    """True for the community's signed-in consultant, the only one who sees its notes."""
    user = accounts.current_user()
    return user is not None and interview.row.owner_id == user.id


@dataclass(frozen=True)
class Shown:
    """What one page of a section shows for a row's saved answers: its questions, what each
    field holds, the digest of those answers the form carries, and the page Back goes to."""

    questions: tuple[Question, ...]
    current: Mapping[str, Any]
    base: str
    back: tuple[str, int] | None
    part: Mapping[str, int]
    # What step_context() derives from the questions and fields alone, worked out once too.
    folded: Mapping[str, bool]
    no_rest: bool
    extras: tuple[str, ...]
    extras_open: bool


def shown(kb: Knowledge, interview: state.Interview, section_id: str, number: int) -> Shown:
    """The page as the saved answers fill it (for a GET: a form sent back with errors shows
    what was sent instead)."""
    row = interview.row
    return _shown(kb, row.route, row.answers_json or "{}", row.questions_version, section_id,
                  number)


@functools.lru_cache(maxsize=4096)
def _shown(kb: Knowledge, route: str, stored: str, written_for: int | None, section_id: str,
           number: int) -> Shown:
    """shown(), by the stored text: a page is shown far more often than its answers change,
    so its fields are worked out once per saved state of the answers, as they are parsed."""
    answers = state.saved_answers(kb, route, stored, written_for)
    questions = state.shown_on_page(kb, section_id, number, answers, route)
    current = {q: frozenset(v) if isinstance(v, set) else v
               for q, v in _current(questions, forms.formdata_for(answers, questions)).items()}
    fields = _fields(questions, current, {})
    return Shown(tuple(questions), MappingProxyType(fields["current"]),
                 fingerprint(answers, questions),
                 state.next_page(kb, section_id, number, answers, route, -1),
                 MappingProxyType(_part(kb, route, answers, section_id, number)),
                 MappingProxyType(fields["folded"]), fields["no_rest"], tuple(fields["extras"]),
                 fields["extras_open"])


def _fields(questions: list[Question] | tuple[Question, ...], current: Mapping[str, Any],
            errors: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the page's fields show, besides the questions: each field's value, the folded
    questions, whether "No to the rest" is offered and which extra questions there are."""
    folded = _folded(questions, current)
    if folded and not folded[ROLE_FROM_LEAD[0]]:
        # Folded away, the role follows the lead agency: no stale choice is sent with it.
        current = {**current, ROLE_FROM_LEAD[0]: frozenset()}
    return {
        "current": current,
        "folded": folded,
        "extras": [q.id for q in questions if q.id in state.EXTRAS],
        # "No to the rest" is offered when two or more open questions can be answered "No".
        "no_rest": sum(no_option(q) is not None for q in questions) >= 2,
        "extras_open": any(q.id in state.EXTRAS and (current.get(q.id) or q.id in errors)
                           for q in questions),
    }


@dataclass
class _NoteView:
    text: str
    seen: str
    error: str = ""


def _note_view(interview: state.Interview, section_id: str,
               data: MultiDict[str, str] | None = None) -> _NoteView | None:
    """The section's consultant note for the notes box (None for anyone else)."""
    if not _owner(interview):
        return None
    saved = workspace.notes(interview.row).get(section_id)
    text = saved.text if saved else ""
    if data is not None and "note" in data:
        return _NoteView(data.get("note", ""), data.get("note_seen", ""))
    return _NoteView(text, workspace.note_digest(text))


def step_context(kb: Knowledge, interview: state.Interview, section_id: str, number: int,
                 questions: list[Question], data: MultiDict[str, str],
                 errors: dict[str, list[str]],
                 conflict: list[tuple[str, str, str]] | None = None,
                 note: _NoteView | None = None, *, page: Shown | None = None) -> dict[str, Any]:
    """What web/step.html shows for one page of a section (the fields come from `current`;
    the CSRF token from csrf_token(): no form object is built to show a page). `page`, the
    page as the saved answers fill it, stands for working out `data`'s fields afresh."""
    ids = [s.id for s in kb.sections]
    back = (page.back if page is not None else
            state.next_page(kb, section_id, number, interview.answers, interview.route, -1))
    if page is not None and not errors:
        fields = {"current": page.current, "folded": page.folded, "no_rest": page.no_rest,
                  "extras": list(page.extras), "extras_open": page.extras_open}
    else:
        fields = _fields(questions, page.current if page is not None
                         else _current(questions, data), errors)
    return {
        "token": interview.token,
        "section": state.section(kb, section_id),
        "number": ids.index(section_id) + 1,
        "total": len(ids),
        **(page.part if page is not None
           else _part(kb, interview.route, interview.answers, section_id, number)),
        "action": _page_url(interview.token, section_id, number),
        "done": interview.done,
        "questions": questions,
        "errors": errors,
        "previous": _page_url(interview.token, *back) if back else None,
        "return_to": request.values.get("return") == "review",
        "welcome": request.args.get("welcome") == "1",
        "estimate": state.estimate(kb, interview.route),
        "revision": interview.row.revision,
        "base": page.base if page is not None else fingerprint(interview.answers, questions),
        "conflict": conflict,
        "note": note if note is not None else _note_view(interview, section_id),
        "route": interview.route,
        **fields,
    }


def _part(kb: Knowledge, route: str | None, answers: Mapping[str, core.Value],
          section_id: str, number: int) -> dict[str, int]:
    """Which part of its section this page is, counting only the pages that have something
    to show for the answers saved so far (a new program never sees the adding-a-pathway
    page, so its first page is not "part 1 of 2")."""
    fixed = state.route_fixed(kb, route, answers)

    def may_ask(n: int) -> bool:
        """Shown now, or holding a follow-up whose question is still unanswered (the
        goals page comes before "which comes first", so it is part 1 of 2)."""
        return bool(state.shown_on_page(kb, section_id, n, answers, route)) or any(
            q.id not in fixed and any(c.question not in answers and c.question not in fixed
                                      for c in q.ask_when)
            for q in state.pages(kb, section_id)[n - 1])

    shown_pages = [n for n in range(1, len(state.pages(kb, section_id)) + 1)
                   if n == number or may_ask(n)]
    return {"page": shown_pages.index(number) + 1, "pages": len(shown_pages)}


def _render_step(kb: Knowledge, interview: state.Interview, section_id: str, number: int,
                 questions: list[Question], data: MultiDict[str, str],
                 errors: dict[str, list[str]], status: int,
                 conflict: list[tuple[str, str, str]] | None = None,
                 note: _NoteView | None = None, page: Shown | None = None) -> tuple[str, int]:
    context = step_context(kb, interview, section_id, number, questions, data, errors,
                           conflict, note, page=page)
    return render_template("web/step.html", **context), status


@bp.route("/step/<section_id>", methods=["GET", "POST"])
def step(token: str, section_id: str) -> Response | tuple[str, int]:
    """Show the first page of one section's questions, or check and save it."""
    return step_page(token, section_id, 1)


@bp.route("/step/<section_id>/<int:number>", methods=["GET", "POST"])
def step_page(token: str, section_id: str, number: int) -> Response | tuple[str, int]:
    """Show one page of a section's questions, or check and save them."""
    interview = state.load(token, reading=request.method == "GET")
    kb = state.knowledge()
    state.section(kb, section_id)
    if not 1 <= number <= len(state.pages(kb, section_id)):
        abort(404, description="There is no such step in this questionnaire.")
    if request.method == "GET":
        page = shown(kb, interview, section_id, number)
        if not page.questions:  # nothing applies here for these answers: go on
            following = state.next_page(kb, section_id, number, interview.answers,
                                        interview.route)
            if following is None or request.args.get("return") == "review":
                return redirect(url_for(".review", token=token), code=303)
            return redirect(_page_url(token, *following), code=303)
        return _render_step(kb, interview, section_id, number, list(page.questions),
                            MultiDict(), {}, 200, page=page)

    questions = state.shown_on_page(kb, section_id, number, interview.answers, interview.route)
    bad = forms.tampered(questions, request.form)
    if bad:
        abort(400, description="The form sent an answer that is not one of the choices "
                               "offered. Nothing was saved. Go back and choose again.")
    if request.form.get("action") == "back":
        return _back(kb, interview, section_id, number, questions)
    later = request.form.get("action") == "later"
    sent: MultiDict[str, str] = request.form
    if request.form.get("action") == "dont-know-rest":
        sent = dont_know_rest(questions, request.form)
    elif request.form.get("action") == "no-rest":
        sent = no_rest(questions, request.form)
    errors, submitted = _check(kb, interview, questions, required=not later, formdata=sent)
    _role_from_lead(questions, submitted)
    note = _note_view(interview, section_id, request.form)
    if note is not None and len(note.text.strip()) > workspace.NOTE_MAX:
        note.error = f"Use {workspace.NOTE_MAX} characters or fewer for the note."
    merged = state.prune(kb, {**{q: v for q, v in interview.answers.items()
                                 if q not in {x.id for x in questions}}, **submitted})
    blank = [q for q in questions if q.id not in merged and core.is_asked(q, merged)]
    for q in blank:
        # "Save and finish later" keeps what was given; a required blank is asked for on
        # "Continue" only.
        if q.required and q.id not in errors and not later:
            errors[q.id] = ["Answer this question."]
    if errors or (note is not None and note.error):
        return _render_step(kb, interview, section_id, number, questions, sent,
                            errors, 400, note=note)

    # A section is done when its last page was sent with "Continue" and none of its
    # required questions is blank; one left part-way with "finish later" stays open.
    def finished(answers: Mapping[str, core.Value], done: list[str]) -> bool:
        if later and blank:
            return False
        last = state.next_page(kb, section_id, number, answers, interview.route)
        if (last is not None and last[0] == section_id) and section_id not in done:
            return False
        return not any(q.required and q.id not in answers
                       for q in state.section_questions(kb, section_id)
                       if state.is_shown(kb, q, answers, interview.route))

    conflict = db.retrying(lambda: _save(kb, interview, questions, submitted,
                                         finished=finished, section_id=section_id, note=note))
    if conflict is not None:  # nothing saved: both versions shown, the form keeps this one
        return _render_step(kb, interview, section_id, number, questions, request.form, {},
                            409, conflict, note=note)
    if request.form.get("return") == "review":
        # A follow-up that now applies (its parent was just answered) is asked next.
        mine = {q.id for q in questions}
        following = state.next_page(kb, section_id, number, interview.answers, interview.route)
        if following and following[0] == section_id and any(
                q.id not in interview.answers and any(c.question in mine for c in q.ask_when)
                for q in state.shown_on_page(kb, following[0], following[1],
                                             interview.answers, interview.route)):
            return redirect(_page_url(token, following[0], following[1], **{"return": "review"}),
                            code=303)
        return redirect(url_for(".review", token=token), code=303)
    if later:
        return redirect(url_for(".saved", token=token), code=303)
    following = state.next_page(kb, section_id, number, interview.answers, interview.route)
    if following is None:
        return redirect(url_for(".review", token=token), code=303)
    return redirect(_page_url(token, *following), code=303)


def _back(kb: Knowledge, interview: state.Interview, section_id: str, number: int,
          questions: list[Question]) -> Response | tuple[str, int]:
    """Back: save what was typed on this page as a draft, without asking for what is
    required, then go to the previous page. An answer that cannot be saved (a number out
    of range, a choice that cannot be combined) keeps its saved value; so does a note past
    its limit. The section is left done only if it was done and still is complete."""
    errors, submitted = _check(kb, interview, questions, required=False)
    kept = [q for q in questions if q.id not in errors]
    submitted = {q: v for q, v in submitted.items() if q not in errors}
    note = _note_view(interview, section_id, request.form)
    if note is not None and len(note.text.strip()) > workspace.NOTE_MAX:
        note = None

    def still_done(answers: Mapping[str, core.Value], done: list[str]) -> bool:
        return section_id in done and not any(
            q.required and q.id not in answers for q in state.section_questions(kb, section_id)
            if state.is_shown(kb, q, answers, interview.route))

    conflict = db.retrying(lambda: _save(kb, interview, kept, submitted, finished=still_done,
                                         section_id=section_id, note=note))
    if conflict is not None:  # nothing saved: both versions shown, the form keeps this one
        return _render_step(kb, interview, section_id, number, questions, request.form, {},
                            409, conflict, note=note)
    previous = state.next_page(kb, section_id, number, interview.answers, interview.route, -1)
    return redirect(_page_url(interview.token, *(previous or (section_id, number))),
                    code=303)


def dont_know_rest(questions: list[Question],
                   data: MultiDict[str, str]) -> MultiDict[str, str]:
    """The form as sent, with "Don't know" for every question left blank that offers it
    (the page's "Don't know the rest" button; answers given are kept)."""
    filled: MultiDict[str, str] = MultiDict(data)
    for q in questions:
        unknown = next((o.id for o in q.options if o.dont_know), None)
        if unknown is not None and not [v for v in data.getlist(q.id) if v]:
            filled.setlist(q.id, [unknown])
    return filled


def no_option(question: Question) -> str | None:
    """The option that says "No" for the page's "No to the rest" button: a one-answer
    question's "No", or a tick-all question's "None of these". None for a question folded
    away on its page (the role, an optional question, the counts): a question the person
    has not seen is never answered for them."""
    if question.folded or question.id == ROLE_FROM_LEAD[0] or question.id in state.EXTRAS:
        return None
    wanted = "no" if question.type == "single" else "none"
    option = next((o for o in question.options if o.id == wanted), None)
    if option is None or option.dont_know or (question.type == "multi" and not option.exclusive):
        return None
    return option.id


def no_rest(questions: list[Question], data: MultiDict[str, str]) -> MultiDict[str, str]:
    """The form as sent, with "No" (or "None of these") for every question left blank
    that offers it and is shown open on the page (the page's "No to the rest" button; the
    answers given are kept)."""
    filled: MultiDict[str, str] = MultiDict(data)
    for q in questions:
        no = no_option(q)
        if no is not None and not [v for v in data.getlist(q.id) if v]:
            filled.setlist(q.id, [no])
    return filled


def _check(kb: Knowledge, interview: state.Interview, questions: list[Question],
           *, required: bool, formdata: MultiDict[str, str] | None = None
           ) -> tuple[dict[str, list[str]], dict[str, core.Value]]:
    """Check a form's answers (the request's, or `formdata`): the errors by question, and
    the answers sent."""
    form = forms.form_class(questions, required=required)(
        formdata=request.form if formdata is None else formdata)
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
    return errors, submitted


def _save(kb: Knowledge, interview: state.Interview, questions: list[Question],
          submitted: Mapping[str, core.Value], *,
          finished: Callable[[Mapping[str, core.Value], list[str]], bool] | None,
          section_id: str | None, note: _NoteView | None = None
          ) -> list[tuple[str, str, str]] | None:
    """Merge one form's answers (and the section's note) into the newest saved answers, one
    writer at a time.

    Only this form's questions are written, so two people saving different pages both
    keep their answers. If one of them was saved by someone else after the form was
    opened (its `base` digest no longer matches) and the answers differ, or the note was
    changed since, nothing is saved and the differences come back: (what, saved since,
    sent now). Answers to questions that stop applying are kept in storage, not scored.
    """
    db.lock(interview.row)
    db.session().refresh(interview.row)
    raw = interview.row.raw_answers
    latest = state.answers_of(kb, interview.row)
    mine = {q.id for q in questions}
    merged = {q: v for q, v in latest.items() if q not in mine}
    merged.update(submitted)
    merged = state.revive(kb, raw, state.prune(kb, merged), mine)
    base = request.form.get("base")
    sent_revision = request.form.get("revision")
    stale = (sent_revision is not None and sent_revision != str(interview.row.revision)
             and base is not None and base != fingerprint(latest, questions))
    theirs = {q.id: latest.get(q.id) for q in questions}
    conflicts: list[tuple[str, str, str]] = []
    if stale:
        conflicts = [(q.label, state.answer_label(q, theirs[q.id]) or "no answer",
                      state.answer_label(q, merged.get(q.id)) or "no answer")
                     for q in questions if theirs[q.id] != merged.get(q.id)]
    saved_note, note_text = None, ""
    write_note = False
    if note is not None and section_id is not None:
        saved_note = workspace.notes(interview.row).get(section_id)
        now = saved_note.text if saved_note else ""
        note_text = note.text.strip()
        if now != note_text and note.seen != workspace.note_digest(note_text):
            if note.seen != workspace.note_digest(now) and saved_note is not None:
                conflicts.append(("Consultant note on this section", now or "(empty)",
                                  note_text or "(empty)"))
            else:
                write_note = True
    if conflicts:
        db.session().rollback()
        interview.answers = latest
        return conflicts
    try:
        clean = core.validate(kb, merged, complete=False)
    except core.AnswersError as exc:  # another step changed meanwhile and no longer fits
        db.session().rollback()
        abort(409, description="These answers no longer fit the answers saved in another "
                               "step since you opened this page: " + "; ".join(exc.problems)
                               + ". Nothing was saved. Reload the page and try again.")
    done = list(interview.row.done)
    if finished is not None and section_id is not None:
        was = [d for d in done if d != section_id]
        done = [*was, section_id] if finished(clean, done) else was
    who = workspace.actor(interview)
    if interview.row.owner_id is not None:
        detail = workspace.describe_changes(kb, latest, clean)
        if detail:  # recorded in the same commit as the answers
            workspace.record(interview.row, who, "answers", detail)
    if write_note and section_id is not None:
        if saved_note is None:
            saved_note = workspace.Note(interview_id=interview.row.id, section=section_id)
            db.session().add(saved_note)
        saved_note.text, saved_note.actor, saved_note.updated_at = note_text, who, db._now()
        label = state.section(kb, section_id).label
        workspace.record(interview.row, who, "notes", "Notes changed: " + (
            f"{label}: \u201c{note_text}\u201d" if note_text else f"{label}: (cleared)"))
    stored = {**state.set_aside(kb, raw, clean), **state.to_json(clean)}
    db.save(interview.row, stored, done)
    interview.answers = state.with_route(kb, interview.route, clean)
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


def worth_finding_out(kb: Knowledge, interview: state.Interview) -> list[Question]:
    """The questions answered "don't know" that could change the top pathway, most
    decisive first (planner.engine.scoring.facts_to_check, with the consultant's weights).

    A respondent's copy is not scored on its own, so it lists none."""
    if interview.respondent:
        return []
    weighted, _ = workspace.effective(kb, interview.row)
    profile = read_profile(kb, interview.answers)
    ranking = scoring.score(weighted, profile)
    if ranking.top is None:
        return []
    return [kb.questions[c.question_id]
            for c in scoring.facts_to_check(weighted, profile, ranking)
            if c.could_change_top and not c.unanswered]


def _review_page(kb: Knowledge, interview: state.Interview, status: int = 200, *,
                 finding: list[Question] | None = None, data: MultiDict[str, str] | None = None,
                 errors: dict[str, list[str]] | None = None,
                 conflict: list[tuple[str, str, str]] | None = None) -> tuple[str, int]:
    token = interview.token
    answers = interview.answers
    asked = {q.id for q in core.asked_questions(kb, answers)}
    fixed = state.route_fixed(kb, interview.route, answers)
    rows = []
    for section in kb.sections:
        items = [
            {
                "question": q,
                "answer": state.answer_label(q, answers.get(q.id)),
                "fixed": q.id in fixed,
                "url": state.question_url(kb, token, q, **{"return": "review"}),
            }
            for q in state.section_questions(kb, section.id) if q.id in asked
        ]
        rows.append({"section": section, "items": items})
    kept = state.set_aside(kb, interview.row.raw_answers, answers)
    finding = worth_finding_out(kb, interview) if finding is None else finding
    missing = [(q, state.question_url(kb, token, q, **{"return": "review"}))
               for q in state.missing_required(kb, answers)]
    return render_template(
        "web/review.html", token=token, rows=rows, missing=missing, done=interview.done,
        total=len(kb.sections), respondent=interview.respondent,
        set_aside=[(kb.questions[q], state.answer_label(
            kb.questions[q], state.restore_value(kb.questions[q], v))) for q, v in kept.items()],
        finding=finding,
        finding_current=_current(finding, data if data is not None
                                 else forms.formdata_for(answers, finding)),
        finding_base=fingerprint(answers, finding), revision=interview.row.revision,
        errors=errors or {}, conflict=conflict, found=request.args.get("found"),
    ), status


@bp.get("/review")
def review(token: str) -> tuple[str, int]:
    """List every answer by section, each with a link to change it, and ask again the
    "don't know" answers worth finding out before the next meeting."""
    interview = state.load(token, reading=True)
    return _review_page(state.knowledge(), interview)


@bp.post("/review")
def review_save(token: str) -> Response | tuple[str, int]:
    """Save answers given on the review page to the questions worth finding out (the same
    checks, merge and conflict test as any step)."""
    interview = state.load(token)
    kb = state.knowledge()
    sent = [kb.questions[q] for q in request.form.getlist("asked") if q in kb.questions]
    if not sent or any(not state.is_shown(kb, q, interview.answers, interview.route)
                       for q in sent):
        abort(400, description="This form asked questions that no longer apply. Nothing was "
                               "saved. Go back to the review page and try again.")
    if forms.tampered(sent, request.form):
        abort(400, description="The form sent an answer that is not one of the choices "
                               "offered. Nothing was saved. Go back and choose again.")
    errors, submitted = _check(kb, interview, sent, required=False)
    if errors:
        return _review_page(kb, interview, 400, finding=sent, data=request.form,
                            errors=errors)
    kept = {q.id: interview.answers[q.id] for q in sent
            if q.id in interview.answers and q.id not in submitted}
    conflict = db.retrying(lambda: _save(kb, interview, sent, {**kept, **submitted},
                                         finished=None, section_id=None))
    if conflict is not None:
        return _review_page(kb, interview, 409, finding=sent, data=request.form,
                            conflict=conflict)
    changed = sum(1 for q in sent if q.id in submitted)
    return redirect(url_for(".review", token=token, found=changed) + "#finding-out", code=303)


@bp.get("/saved")
def saved(token: str) -> str:
    """Confirm that the answers are saved and show the private link again."""
    interview = state.load(token, reading=True)
    return render_template("web/saved.html", token=interview.token)
