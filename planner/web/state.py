"""One community's interview as the web layer sees it: answers, sections, progress.

Stored answers are JSON (lists for multiple choice); in memory they are the
core's normalised values (tuples), always validated by planner.engine.answers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from flask import abort, current_app, request, url_for

from planner.engine import answers as core
from planner.engine import effort
from planner.knowledge.model import Knowledge, Question, Section
from planner.web import accounts, db

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{40,64}")
# A consultant opens their own community by id; it works only in their signed-in session.
OWNER_KEY_RE = re.compile(r"w([1-9][0-9]{0,9})")
# A supervisor reads a community of their organization by id, read-only (planner.web.portfolio):
# only these pages, and only by GET; everything else is refused with READ_ONLY (a 403).
SUPERVISOR_KEY_RE = re.compile(r"s([1-9][0-9]{0,9})")
READ_ONLY_PAGES = frozenset({
    "results.results", "results.plan_preview", "results.plan_pdf", "results.plan_docx",
    "results.starter_docx", "results.actions_xlsx", "results.actions_csv",
    "results.sizing_page", "results.application_docx", "progress.page", "progress.export",
})
READ_ONLY = ("You are reading this community as a supervisor of its organization: you can "
             "read its results, plan and progress, but only its consultant can change "
             "anything. Nothing was changed.")
QUESTION_IN_PROBLEM = re.compile(r"'([^']+)'")


def knowledge() -> Knowledge:
    """The knowledge base loaded when the app started."""
    kb: Knowledge = current_app.extensions["planner.kb"]
    return kb


def to_json(answers: Mapping[str, core.Value]) -> dict[str, Any]:
    """Return answers in their stored (JSON) form."""
    return {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}


def prune(kb: Knowledge, answers: Mapping[str, core.Value]) -> dict[str, core.Value]:
    """Drop answers to questions that are no longer asked (a condition changed)."""
    kept = dict(answers)
    while True:
        gone = [q for q in kept if q in kb.questions and not core.is_asked(kb.questions[q], kept)]
        if not gone:
            return kept
        for qid in gone:
            del kept[qid]


def restore(kb: Knowledge, raw: Mapping[str, Any],
            written_for: int | None = None) -> dict[str, core.Value]:
    """Read stored answers, keeping every answer that still fits the questions.

    Answers were valid when saved. Answers written for an older questions version
    (`written_for`) are first carried over by the recorded changes; if the knowledge base
    changed in other ways, the answers that no longer fit are dropped one by one rather than
    all lost.
    """
    if written_for is not None and written_for < kb.questions_version:
        raw = core.upgrade(kb, raw, written_for)
    known = {q: v for q, v in raw.items() if q in kb.questions}
    try:
        return core.validate(kb, known, complete=False)
    except core.AnswersError:
        pass
    kept: dict[str, Any] = {}
    for qid in kb.questions:
        if qid not in known:
            continue
        try:
            core.validate(kb, {**kept, qid: known[qid]}, complete=False)
        except core.AnswersError:
            continue
        kept[qid] = known[qid]
    return core.validate(kb, kept, complete=False)


def restore_value(question: Question, value: Any) -> core.Value:
    """One stored value in the core's shape (a list becomes a tuple)."""
    return tuple(value) if isinstance(value, list) else value


def problem_question(problem: str) -> str | None:
    """The question id a core validation problem names, if any."""
    match = QUESTION_IN_PROBLEM.search(problem)
    return match.group(1) if match else None


@dataclass
class Interview:
    """A loaded interview: its row, its token and its validated answers."""

    row: db.Interview
    token: str
    answers: dict[str, core.Value]

    @property
    def done(self) -> list[str]:
        return self.row.done

    @property
    def route(self) -> str:
        """The home page's choice: "new" (starting out) or "existing" (adding a pathway)."""
        return self.row.route

    @property
    def respondent(self) -> bool:
        """True for a respondent's copy opened from their own link: it collects answers for
        the consultant to settle and shows no score of its own."""
        return self.row.parent_id is not None and not self.by_owner

    @property
    def read_only(self) -> bool:
        """True when a supervisor of the community's organization reads it (its results,
        plan and progress only; nothing can be changed)."""
        return bool(SUPERVISOR_KEY_RE.fullmatch(self.token))

    @property
    def by_owner(self) -> bool:
        """True when opened from the consultant's workspace rather than a private link."""
        return bool(OWNER_KEY_RE.fullmatch(self.token))


def load(token: str, *, reading: bool = False) -> Interview:
    """Find the interview for a resume token or stop with a 404 that says why.

    `reading` (a page that only shows the interview) reads the row without an ORM session
    (db.peek); a request that saves leaves it False and gets the session's own row.
    """
    unknown = ("We could not find answers for this link. Check that you copied the whole "
               "link, or start again.")
    owned = OWNER_KEY_RE.fullmatch(token)
    if owned:
        wanted = db.parse_id(owned.group(1))
        mine = accounts.owned_interview(wanted) if wanted is not None else None
        if mine is None:
            abort(404, description=unknown)
        return Interview(mine, token, answers_of(knowledge(), mine))
    supervised = SUPERVISOR_KEY_RE.fullmatch(token)
    if supervised:
        from planner.web import portfolio  # (it reads this module)

        wanted = db.parse_id(supervised.group(1))
        seen = portfolio.supervised_interview(wanted) if wanted is not None else None
        if seen is None:
            abort(404, description=unknown)
        if request.method not in ("GET", "HEAD") or request.endpoint not in READ_ONLY_PAGES:
            abort(403, description=READ_ONLY)
        return Interview(seen, token, answers_of(knowledge(), seen))
    if not TOKEN_RE.fullmatch(token):
        abort(404, description=unknown)
    row = db.peek(token) if reading else db.find(token)
    if row is None:
        abort(404, description=unknown)
    if row.archived or (row.parent_id is not None and _parent_archived(row.parent_id)):
        abort(404, description="This link is paused because the community was archived. "
                               "Ask your consultant if you need it again.")
    if db.is_expired(row):
        abort(404, description="This link has expired because it was not used for a long "
                               "time. Please start again.")
    return Interview(row, token, answers_of(knowledge(), row))


def answers_of(kb: Knowledge, row: db.Interview) -> dict[str, core.Value]:
    """A row's answers: those stored that are asked, and what the home page's choice gave."""
    return dict(_answers_of(kb, row.route, row.answers_json or "{}", row.questions_version))


def saved_answers(kb: Knowledge, route: str | None, stored: str,
                  written_for: int | None) -> Mapping[str, core.Value]:
    """The answers a row with this route, stored text and questions version holds (read-only,
    the same object while the stored text stays the same)."""
    return _answers_of(kb, route, stored, written_for)


@functools.lru_cache(maxsize=1024)
def _answers_of(kb: Knowledge, route: str | None, stored: str,
                written_for: int | None) -> Mapping[str, core.Value]:
    """answers_of, by the stored text: every wizard request reads its row's answers (once
    to show the page, again under the write lock to save), and they seldom change between
    two requests, so they are parsed and validated once per change, not on every read."""
    raw = db.parse_answers(stored)
    return MappingProxyType(restore(kb, with_route(kb, route, raw), written_for))


@functools.lru_cache(maxsize=16)
def estimate(kb: Knowledge, route: str | None) -> effort.Estimate:
    """How long the questionnaire takes on this route (depends on the knowledge base only)."""
    return effort.estimate(kb, route)


def field_id(question: Question) -> str:
    """The id of a question's first field on its step page (the same rule as the template)."""
    if question.has_options and question.options and not is_dropdown(question):
        return f"q-{question.id}-{question.options[0].id}"
    return f"q-{question.id}"


def is_dropdown(question: Question) -> bool:
    """Long single-choice lists (the states) are a select, not radio buttons."""
    return question.type == "single" and len(question.options) > 12  # as in _macros.html


def _parent_archived(parent_id: int) -> bool:
    parent = db.session().get(db.Interview, parent_id)
    return parent is not None and parent.archived


def section(kb: Knowledge, section_id: str) -> Section:
    """The section with this id, or a 404."""
    found = next((s for s in kb.sections if s.id == section_id), None)
    if found is None:
        abort(404, description="There is no such step in this questionnaire.")
    return found


def section_questions(kb: Knowledge, section_id: str) -> list[Question]:
    """Every question of one section, in order."""
    return list(_section_questions(kb, section_id))


# The knowledge base is immutable and hashed by identity: what depends on it alone (the
# sections' questions and pages) is worked out once per process, not on every request.
@functools.lru_cache(maxsize=256)
def _section_questions(kb: Knowledge, section_id: str) -> tuple[Question, ...]:
    return tuple(q for q in kb.questions.values() if q.section == section_id)


# A page holds at most this many questions: a longer section is split into pages. Ten
# keeps a section of eight to ten questions on one page (one Save and continue, one page
# of header on a phone: the rural-sheriff journey went from 13 pages to 9), while the
# fourteen problems are still two pages of seven.
PAGE_MAX = 10
# The counts a community may give to size its program (issue 30), and the miles to treatment
# (the transport line, issue 26): optional, shown at the
# end of their section's page folded together in one closed <details>, so they take no
# page of their own and are not counted in PAGE_MAX.
EXTRAS = frozenset({"count-population", "count-overdose-runs", "count-possession-arrests",
                    "count-behavioral-health-calls",
                    "treatment-miles"})


def folded_away(question: Question) -> bool:
    """Whether a question is shown folded away in a closed <details> and so takes no room
    among the PAGE_MAX questions of its page: the sizing counts (EXTRAS) and the optional
    questions the knowledge base marks `folded` (issue 25: who would be left out, who tells
    a team about someone to visit)."""
    return question.id in EXTRAS or question.folded is not None


def pages(kb: Knowledge, section_id: str) -> list[list[Question]]:
    """The pages of one section, each a list of its questions in order.

    A follow-up question goes on a page after the one holding the question it depends on,
    so the server knows whether to ask it before the page is shown (no JavaScript); the
    page is filled on with the questions after it. Pages hold at most PAGE_MAX questions,
    as evenly as the section allows. They depend on the questions only, never on the
    answers, so page numbers stay put.
    """
    return [list(page) for page in _pages(kb, section_id)]


@functools.lru_cache(maxsize=256)
def _pages(kb: Knowledge, section_id: str) -> tuple[tuple[Question, ...], ...]:
    remaining = list(_section_questions(kb, section_id))
    ids = {q.id for q in remaining}
    roots = sum(1 for q in remaining
                if not folded_away(q) and not any(c.question in ids for c in q.ask_when))
    size = -(-roots // max(1, -(-roots // PAGE_MAX))) if roots else PAGE_MAX
    out: list[list[Question]] = []
    while remaining:
        waiting = {q.id for q in remaining}
        page: list[Question] = []
        for q in remaining:
            if not folded_away(q) and sum(not folded_away(p) for p in page) == size:
                break
            if any(c.question in waiting and c.question in ids for c in q.ask_when):
                continue  # its parent is on this page or a later one
            page.append(q)
        if not page:  # conditions in a cycle cannot happen (validation), but never loop
            page = remaining[:size]
        for q in page:
            waiting.discard(q.id)
        placed = {q.id for q in page}
        remaining = [q for q in remaining if q.id not in placed]
        out.append(page)
    return tuple(tuple(p) for p in out) or ((),)


def page_of(kb: Knowledge, question: Question) -> int:
    """The number (from 1) of the page of its section that holds the question."""
    for number, page in enumerate(_pages(kb, question.section), start=1):
        if any(q.id == question.id for q in page):
            return number
    return 1


def page_url(token: str, section_id: str, number: int, **args: Any) -> str:
    """The address of page `number` of a section (the first page has the section's own)."""
    if args:
        return _build_page_url(token, section_id, number, **args)
    return _page_url(current_app._get_current_object(),  # type: ignore[attr-defined]
                     request.script_root, token, section_id, number)


def _build_page_url(token: str, section_id: str, number: int, **args: Any) -> str:
    if number == 1:
        return url_for("wizard.step", token=token, section_id=section_id, **args)
    return url_for("wizard.step_page", token=token, section_id=section_id, number=number,
                   **args)


@functools.lru_cache(maxsize=4096)
def _page_url(app: Any, script_root: str, token: str, section_id: str, number: int) -> str:
    """page_url() without query arguments, built once per page and mount point: a wizard
    page's GET builds two (its form's and the Back link's), and url_for is a good part of
    what the page costs beyond its template (bench/bench_web.py). The app and the script
    root are the key only (url_for reads them from the request): each app has its own URL
    map, and an app mounted under a prefix has its addresses under it."""
    del app, script_root
    return _build_page_url(token, section_id, number)


def question_url(kb: Knowledge, token: str, question: Question, **args: Any) -> str:
    """The address of a question's field, on the page of its section that holds it."""
    return (page_url(token, question.section, page_of(kb, question), **args)
            + f"#{field_id(question)}")


def route_fixed(kb: Knowledge, route: str | None,
                answers: Mapping[str, core.Value]) -> set[str]:
    """Questions the home page's choice already answered (asked again only if the saved
    answer differs from that choice)."""
    return {q for q, v in core.route_answers(kb, route).items() if answers.get(q, v) == v}


def with_route(kb: Knowledge, route: str | None,
               answers: Mapping[str, core.Value]) -> dict[str, core.Value]:
    """The answers, with those the home page's choice gives filled in where missing."""
    filled = {q: v for q, v in core.route_answers(kb, route).items() if q not in answers}
    return {**answers, **filled} if filled else dict(answers)


def is_shown(kb: Knowledge, question: Question, answers: Mapping[str, core.Value],
             route: str | None = None) -> bool:
    """Whether a question appears for the answers saved so far.

    Its conditions are decided on the server from saved answers (a follow-up sits on a
    page after its parent's), and a question the home page's choice answered is not
    asked again.
    """
    return core.is_asked(question, answers) and question.id not in route_fixed(
        kb, route, answers)


def shown_on_page(kb: Knowledge, section_id: str, number: int,
                  answers: Mapping[str, core.Value], route: str | None) -> list[Question]:
    """The questions page `number` of a section shows for these answers."""
    all_pages = _pages(kb, section_id)
    if not 1 <= number <= len(all_pages):
        return []
    fixed = route_fixed(kb, route, answers)  # once for the page, not once per question
    return [narrowed(kb, q, answers) for q in all_pages[number - 1]
            if core.is_asked(q, answers) and q.id not in fixed]


def narrowed(kb: Knowledge, question: Question,
             answers: Mapping[str, core.Value]) -> Question:
    """The question as its page offers it: a choice question asked after a several-answer
    question (its ask_when) offers, of the options the two share, only those chosen there
    (which goal comes first, among the goals picked); its other options ("Another goal",
    "Not decided yet") stay. A saved answer among the shared options stays offered."""
    parents = [kb.questions[c.question] for c in question.ask_when
               if c.question in kb.questions and kb.questions[c.question].type == "multi"]
    if not parents or not question.has_options:
        return question
    shared = ({o.id for p in parents for o in p.options if not o.dont_know}
              & {o.id for o in question.options if not o.dont_know})
    chosen: set[str] = set()
    for p in parents:
        given = answers.get(p.id)
        chosen |= set(given) if isinstance(given, tuple) else set()
    saved = answers.get(question.id)
    chosen |= set(saved) if isinstance(saved, tuple) else {str(saved)} if saved else set()
    keep = tuple(o for o in question.options if o.id not in shared or o.id in chosen)
    return question if len(keep) == len(question.options) else _replace(question, keep)


@functools.lru_cache(maxsize=1024)
def _replace(question: Question, options: tuple[Any, ...]) -> Question:
    return dataclasses.replace(question, options=options)


def next_page(kb: Knowledge, section_id: str, number: int,
              answers: Mapping[str, core.Value], route: str | None,
              step: int = 1) -> tuple[str, int] | None:
    """The next (or, with step=-1, previous) page that has a question to show, across
    sections; None past either end."""
    ids = [s.id for s in kb.sections]
    sid, n = section_id, number + step
    while True:
        count = len(_pages(kb, sid))
        if n < 1 or n > count:
            i = ids.index(sid) + step
            if not 0 <= i < len(ids):
                return None
            sid = ids[i]
            n = 1 if step > 0 else len(_pages(kb, sid))
            continue
        if shown_on_page(kb, sid, n, answers, route):
            return sid, n
        n += step


def revive(kb: Knowledge, raw: Mapping[str, Any], answers: Mapping[str, core.Value],
           skip: set[str]) -> dict[str, core.Value]:
    """The answers, with stored answers set aside earlier that apply again (not those in
    `skip`: the questions of the form just sent)."""
    out = dict(answers)
    while True:
        back = {qid: restore_value(question, value) for qid, value in raw.items()
                if qid not in out and qid not in skip
                and (question := kb.questions.get(qid)) is not None
                and core.is_asked(question, out) and core.fits(question, value)}
        if not back:
            return out
        out.update(back)


def set_aside(kb: Knowledge, raw: Mapping[str, Any],
             answers: Mapping[str, core.Value]) -> dict[str, Any]:
    """Stored answers to questions no longer asked (a condition changed): kept in storage
    but not scored, so they come back if the condition holds again."""
    return {
        qid: value for qid, value in raw.items()
        if (question := kb.questions.get(qid)) is not None and qid not in answers
        and not core.is_asked(question, answers) and core.fits(question, value)
    }


def answer_label(question: Question, value: core.Value | None) -> str:
    """The answer as a person reads it."""
    if value is None or value in ("", ()):
        return ""
    if question.has_options:
        chosen = value if isinstance(value, tuple) else (str(value),)
        return ", ".join(o.label for o in question.options if o.id in chosen)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if question.type == "month" and isinstance(value, str):
        return core.month_words(value)
    return str(value)


def missing_required(kb: Knowledge, answers: Mapping[str, core.Value]) -> list[Question]:
    """Required questions that are asked but not yet answered."""
    return [q for q in core.asked_questions(kb, answers) if q.required and q.id not in answers]


def next_section(kb: Knowledge, section_id: str) -> str | None:
    """The id of the section after this one, or None after the last."""
    ids = [s.id for s in kb.sections]
    i = ids.index(section_id)
    return ids[i + 1] if i + 1 < len(ids) else None


def previous_section(kb: Knowledge, section_id: str) -> str | None:
    """The id of the section before this one, or None for the first."""
    ids = [s.id for s in kb.sections]
    i = ids.index(section_id)
    return ids[i - 1] if i > 0 else None
