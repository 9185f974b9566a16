"""Consultant tools for one community: notes, reasoned overrides, versions, export and import."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from planner.engine import answers as core
from planner.engine import scoring
from planner.knowledge.model import Rule
from planner.web import db, downloads, paging, security, state, workspace

bp = Blueprint("consult", __name__, url_prefix="/c/<token>")

IMPORT_MAX = 60 * 1024
VERSIONS_PAGE_SIZE = 25


def _sections() -> list[tuple[str, str]]:
    kb = state.knowledge()
    return [(workspace.GENERAL, "General"), *((s.id, s.label) for s in kb.sections)]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@bp.route("/notes", methods=["GET", "POST"])
def notes(token: str) -> Response | tuple[str, int]:
    """Show and save one note per section.

    Each note's form field travels with a digest of the text it was opened with
    (`seen-<section>`). A note left as it was opened is not written (so a stale tab never
    blanks or rolls back a newer note); a note edited here that someone else changed since
    is a conflict: nothing is saved and both texts are shown (409).
    """
    interview = workspace.load_owned(token)
    current = workspace.notes(interview.row)
    if request.method == "POST":
        sections = _sections()
        sent = {sid: (request.form.get(f"note-{sid}") or "").strip() for sid, _ in sections}
        too_long = [label for sid, label in sections if len(sent[sid]) > workspace.NOTE_MAX]
        if too_long:
            abort(400, description=f"Notes are limited to {workspace.NOTE_MAX} characters "
                                   f"({', '.join(too_long)}). Nothing was saved.")
        who = workspace.actor(interview)

        def save() -> tuple[list[str], list[tuple[str, str, workspace.Note]]]:
            db.lock(interview.row)
            db.session().expire_all()
            newest = workspace.notes(interview.row)
            changed, conflicts = [], []
            for sid, label in sections:
                note = newest.get(sid)
                now = note.text if note else ""
                seen = request.form.get(f"seen-{sid}")
                if now == sent[sid] or seen == _digest(sent[sid]):
                    continue  # nothing to write, or left as it was opened: keep the newest
                if seen is not None and seen != _digest(now) and note is not None:
                    conflicts.append((sid, label, note))
                    continue
                changed.append((sid, label, note))
            if conflicts:
                db.session().rollback()
                return [], conflicts
            for sid, _label, note in changed:
                if note is None:
                    note = workspace.Note(interview_id=interview.row.id, section=sid)
                    db.session().add(note)
                note.text, note.actor, note.updated_at = sent[sid], who, db._now()
            if changed:  # the audit trail keeps each note's new text
                workspace.record(interview.row, who, "notes", "Notes changed: " + "; ".join(
                    f"{label}: \u201c{sent[sid]}\u201d" if sent[sid] else f"{label}: (cleared)"
                    for sid, label, _ in changed))
                interview.row.updated_at = db._now()
                db.session().commit()
            return [label for _, label, _ in changed], []

        changed, conflicts = db.retrying(save)
        if conflicts:
            newest = workspace.notes(interview.row)
            shown = {sid: (sent[sid] if request.form.get(f"seen-{sid}") != _digest(sent[sid])
                           else (newest[sid].text if sid in newest else ""))
                     for sid, _ in sections}
            return render_template(
                "web/notes.html", token=token, sections=sections, current=shown,
                seen={sid: _digest(newest[sid].text if sid in newest else "")
                      for sid, _ in sections},
                conflicts=[{"label": label, "theirs": note.text, "actor": note.actor,
                            "at": note.updated_at, "yours": sent[sid]}
                           for sid, label, note in conflicts],
                saved=None), 409
        return redirect(url_for(".notes", token=token, saved=len(changed)), code=303)
    texts = {k: n.text for k, n in current.items()}
    return render_template("web/notes.html", token=token, sections=_sections(),
                           current=texts, conflicts=[],
                           seen={sid: _digest(texts.get(sid, "")) for sid, _ in _sections()},
                           saved=request.args.get("saved")), 200


def _rules_view() -> list[tuple[Any, list[tuple[Rule, str]]]]:
    """The scoring rules grouped by pathway (in the framework's order), each with its label."""
    kb = state.knowledge()
    return [(p, [(r, workspace.rule_label(kb, r)) for r in sorted(kb.rules, key=lambda r: r.id)
                 if r.pathway == p.id])
            for p in kb.pathways.values() if any(r.pathway == p.id for r in kb.rules)]


@bp.route("/overrides", methods=["GET", "POST"])
def overrides(token: str) -> Response | tuple[str, int]:
    """List overrides and add one: a rule's weight or the recommended pathway, with a reason."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind = request.form.get("kind")
        reason = (request.form.get("reason") or "").strip()
        if kind not in {"weight", "result"}:
            abort(400, description="Choose what to override: a weight or the result.")
        if not reason:
            errors["reason"] = "Give the reason for the override; it is kept with the plan."
        elif len(reason) > workspace.REASON_MAX:
            errors["reason"] = f"Use {workspace.REASON_MAX} characters or fewer."
        target = (request.form.get("rule") if kind == "weight"
                  else request.form.get("pathway")) or ""
        weight: int | None = None
        if kind == "weight" and not target:
            errors["rule"] = "Choose the rule whose weight you want to change."
        elif kind == "weight":
            try:
                weight = int((request.form.get("weight") or "").strip())
                active = {o.target: o.weight for o in workspace.overrides(interview.row)
                          if o.kind == "weight" and o.weight is not None}
                scoring.with_weights(kb, {**active, target: weight})
            except ValueError as exc:
                problem = exc.reason if isinstance(exc, scoring.OverrideError) else \
                    "a weight is a whole number from -30 to 30"
                errors["weight"] = f"This weight cannot be used: {problem}."
            else:
                rule = next(r for r in kb.rules if r.id == target)
                if active.get(target, rule.weight) == weight:
                    errors["weight"] = (f"The weight is already {weight}: an override must "
                                        "change it.")
        elif target not in kb.pathways:
            errors["pathway"] = "Choose one of the pathways listed."
        if not errors:
            who = workspace.actor(interview)
            for old in workspace.overrides(interview.row):
                if old.kind == kind and (kind == "result" or old.target == target):
                    old.active = False
            o = workspace.Override(interview_id=interview.row.id, kind=kind, target=target,
                                   weight=weight, reason=reason, actor=who)
            db.session().add(o)
            workspace.record(interview.row, who, f"override-{kind}",
                             workspace.override_text(kb, o))
            interview.row.updated_at = db._now()
            db.session().commit()
            return redirect(url_for(".overrides", token=token, saved=1), code=303)
    return render_template(
        "web/overrides.html", token=token, rules=_rules_view(),
        items=[(o, workspace.override_text(kb, o)) for o in workspace.overrides(interview.row)],
        errors=errors, form=request.form if errors else {}, saved=request.args.get("saved"),
    ), 400 if errors else 200


@bp.post("/overrides/<int:override_id>/remove")
def remove_override(token: str, override_id: int) -> Response:
    """Withdraw an override (it stays in the audit trail)."""
    interview = workspace.load_owned(token)
    found = (db.session().get(workspace.Override, override_id)
             if db.parse_id(override_id) is not None else None)
    if found is None or found.interview_id != interview.row.id or not found.active:
        abort(404, description="There is no such override for this community.")
    found.active = False
    workspace.record(interview.row, workspace.actor(interview), "override-removed",
                     "Withdrawn: " + workspace.override_text(state.knowledge(), found))
    db.session().commit()
    return redirect(url_for(".overrides", token=token), code=303)


@bp.route("/versions", methods=["GET", "POST"])
def versions(token: str) -> Response | str:
    """List saved versions; save the current answers as a new one."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    if request.method == "POST":
        label = (request.form.get("label") or "").strip()[:200] or "Saved version"
        who = workspace.actor(interview)

        def save() -> workspace.Version:
            db.lock(interview.row)  # one numbering at a time; a lost race is retried
            version = workspace.snapshot(kb, interview.row, interview.answers, label, who)
            workspace.record(interview.row, who, "version",
                             f"Version {version.number} saved: {label}")
            db.session().commit()
            return version

        version = db.retrying(save)
        return redirect(url_for(".versions", token=token, saved=version.number), code=303)
    return render_template("web/versions.html", token=token,
                           versions=paging.paginate(workspace.versions_query(interview.row),
                                                    VERSIONS_PAGE_SIZE),
                           saved=request.args.get("saved"))


def _version(row: db.Interview, number: str | None) -> workspace.Version | None:
    if number in (None, "", "current"):
        return None
    wanted = db.parse_id(number)
    if wanted is None:
        abort(400, description="Choose two versions to compare.")
    found = db.session().scalars(select(workspace.Version).where(
        workspace.Version.interview_id == row.id, workspace.Version.number == wanted
    )).first()
    if found is None:
        abort(404, description=f"There is no version {number} of this community.")
    return found


@bp.get("/compare")
def compare(token: str) -> str:
    """Two versions side by side (`from` and `to`, either may be `current`)."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    all_versions = workspace.versions(interview.row)
    default_from = str(all_versions[-1].number) if all_versions else "current"
    a = _version(interview.row, request.args.get("from", default_from))
    b = _version(interview.row, request.args.get("to", "current"))

    def side(v: workspace.Version | None) -> tuple[str, dict[str, core.Value], dict[str, Any]]:
        if v is None:
            return ("Current answers", interview.answers,
                    workspace.ranking_summary(kb, interview.row, interview.answers))
        answers = state.restore(kb, v.raw_answers, v.questions_version)
        return f"Version {v.number}: {v.label}", answers, v.results

    (a_label, a_answers, a_res), (b_label, b_answers, b_res) = side(a), side(b)
    moves = []
    for pid in sorted(set(a_res) | set(b_res),
                      key=lambda p: (b_res.get(p, {}).get("rank") or 99, p)):
        old, new = a_res.get(pid, {}), b_res.get(pid, {})
        moves.append({"label": (new or old).get("label", pid), "old": old, "new": new})
    return render_template(
        "web/compare.html", token=token, versions=all_versions,
        a=a, b=b, a_label=a_label, b_label=b_label,
        changed=workspace.changes(kb, a_answers, b_answers), moves=moves,
    )


@bp.get("/answers.json")
def export(token: str) -> Response:
    """Download the answers in the versioned answers file format."""
    interview = state.load(token)
    body = json.dumps(core.to_file(state.knowledge(), interview.answers), indent=2,
                      sort_keys=True)
    community = core.text_value(state.knowledge(), interview.answers, "community_name")
    return downloads.attachment(Response(body + "\n", mimetype="application/json"),
                                f"{downloads.slug(community or '')}-answers.json")


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _texts(data: Any) -> Iterator[str]:
    """Every key and string in a parsed JSON document (its depth is already bounded)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from (k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _parse(text: str) -> dict[str, core.Value]:
    """Read an answers file or stop with a 400 naming the problem."""
    kb = state.knowledge()
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        abort(400, description=f"This file names \u201c{str(exc)[:80]}\u201d more than once "
                               "in one object, so it is not clear which value to use. "
                               "Nothing was imported.")
    except RecursionError:
        abort(400, description="This file is too deeply nested to be an answers file. "
                               "Nothing was imported.")
    except json.JSONDecodeError as exc:
        abort(400, description=f"This file is not valid JSON ({exc}). Nothing was imported.")
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        abort(400, description="A number in this file is too long to read (more than 4,300 "
                               "digits). Nothing was imported.")
    if not all(security.savable(t) for t in _texts(data)):
        abort(400, description="This file is not valid text: it contains a NUL character or "
                               "half of a surrogate pair (such as \\ud83d), which cannot be "
                               "saved. Nothing was imported.")
    try:
        read = core.read_file(kb, data, complete=False)
    except core.AnswersError as exc:
        abort(400, description="This answers file cannot be imported: "
                               + "; ".join(exc.problems) + ". Nothing was imported.")
    return dict(read.answers)


@bp.post("/import")
def import_file(token: str) -> str:
    """Check an uploaded answers file and show what would change; nothing is saved yet."""
    interview = workspace.load_owned(token)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="Choose an answers file (.json) to import. Nothing was imported.")
    raw = upload.read(IMPORT_MAX + 1)
    if len(raw) > IMPORT_MAX:
        abort(400, description="This file is too large to be an answers file. "
                               "Nothing was imported.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, description="This file is not UTF-8 text, so it cannot be an answers "
                               "file. Nothing was imported.")
    answers = _parse(text)
    kb = state.knowledge()
    return render_template(
        "web/import_confirm.html", token=token, payload=text,
        changed=workspace.changes(kb, interview.answers, answers),
    )


@bp.post("/import/confirm")
def import_confirm(token: str) -> Response:
    """Replace the answers with the checked file, keeping both as numbered versions."""
    interview = workspace.load_owned(token)
    kb = state.knowledge()
    answers = state.prune(kb, _parse(request.form.get("payload") or ""))
    who = workspace.actor(interview)

    def save() -> tuple[workspace.Version, workspace.Version]:
        db.lock(interview.row)  # versions are numbered one import (or save) at a time
        db.session().refresh(interview.row)
        current = state.restore(kb, interview.row.raw_answers,
                                interview.row.questions_version)
        before = workspace.snapshot(kb, interview.row, current, "Before import", who)
        after = workspace.snapshot(kb, interview.row, answers, "Imported from a file", who)
        workspace.record(interview.row, who, "import",
                         "Answers imported from a file. "
                         + (workspace.describe_changes(kb, current, answers)
                            or "No answer changed."))
        done = [s.id for s in kb.sections if s.id in interview.row.done or any(
            q.section == s.id for q in kb.questions.values() if q.id in answers)]
        db.save(interview.row, state.to_json(answers), done)
        return before, after

    before, after = db.retrying(save)
    query: dict[str, Any] = {"from": before.number, "to": after.number}
    return redirect(url_for(".compare", token=token, **query), code=303)
