"""One community's interview as the web layer sees it: answers, sections, progress.

Stored answers are JSON (lists for multiple choice); in memory they are the
core's normalised values (tuples), always validated by planner.answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app

from planner import answers as core
from planner.model import Knowledge, Question, Section
from planner.web import accounts, db

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{40,64}")
# A consultant opens their own community by id; it works only in their signed-in session.
OWNER_KEY_RE = re.compile(r"w([1-9][0-9]{0,9})")
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


def restore(kb: Knowledge, raw: Mapping[str, Any]) -> dict[str, core.Value]:
    """Read stored answers, keeping every answer that still fits the questions.

    Answers were valid when saved; if the knowledge base changed since, the
    answers that no longer fit are dropped one by one rather than all lost.
    """
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
    def respondent(self) -> bool:
        """True for a respondent's copy opened from their own link: it collects answers for
        the consultant to settle and shows no score of its own."""
        return self.row.parent_id is not None and not self.by_owner

    @property
    def by_owner(self) -> bool:
        """True when opened from the consultant's workspace rather than a private link."""
        return bool(OWNER_KEY_RE.fullmatch(self.token))


def load(token: str) -> Interview:
    """Find the interview for a resume token or stop with a 404 that says why."""
    unknown = ("We could not find answers for this link. Check that you copied the whole "
               "link, or start again.")
    owned = OWNER_KEY_RE.fullmatch(token)
    if owned:
        wanted = db.parse_id(owned.group(1))
        mine = accounts.owned_interview(wanted) if wanted is not None else None
        if mine is None:
            abort(404, description=unknown)
        return Interview(mine, token, restore(knowledge(), mine.raw_answers))
    if not TOKEN_RE.fullmatch(token):
        abort(404, description=unknown)
    row = db.find(token)
    if row is None:
        abort(404, description=unknown)
    if row.archived or (row.parent_id is not None and _parent_archived(row.parent_id)):
        abort(404, description="This link is paused because the community was archived. "
                               "Ask your consultant if you need it again.")
    if db.is_expired(row):
        abort(404, description="This link has expired because it was not used for a long "
                               "time. Please start again.")
    return Interview(row, token, restore(knowledge(), row.raw_answers))


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
    return [q for q in kb.questions.values() if q.section == section_id]


def same_section_conditions(kb: Knowledge, question: Question) -> bool:
    """True when some condition of the question depends on an answer in its own section."""
    return any(kb.questions[c.question].section == question.section for c in question.ask_when)


def is_shown(kb: Knowledge, question: Question, answers: Mapping[str, core.Value]) -> bool:
    """Whether a question appears on its page for the answers saved so far.

    Conditions on earlier sections decide now; a condition within the same
    section cannot be known until the page is sent, so the question is shown
    with a note saying when to answer it (no JavaScript needed).
    """
    for cond in question.ask_when:
        if kb.questions[cond.question].section == question.section:
            continue
        chosen = set(core.selected(answers, cond.question))
        if not chosen & set(cond.any_of):
            return False
    return True


def condition_note(kb: Knowledge, question: Question) -> str | None:
    """"Answer only if ..." for a question whose condition is on the same page."""
    parts = []
    for cond in question.ask_when:
        asked = kb.questions[cond.question]
        if asked.section != question.section:
            continue
        labels = [o.label for o in asked.options if o.id in cond.any_of]
        parts.append(f"you answered \u201c{' or '.join(labels)}\u201d to "
                     f"\u201c{asked.label}\u201d")
    return ("Answer only if " + " and ".join(parts) + ".") if parts else None


def answer_label(question: Question, value: core.Value | None) -> str:
    """The answer as a person reads it."""
    if value is None or value in ("", ()):
        return ""
    if question.has_options:
        chosen = value if isinstance(value, tuple) else (str(value),)
        return ", ".join(o.label for o in question.options if o.id in chosen)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
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
