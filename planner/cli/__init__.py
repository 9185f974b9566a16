"""The `planner` command: check the knowledge base, list questions, score, plan, serve."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from planner.engine.words import behind
from planner.knowledge import loader


def _knowledge_option(func: Any) -> Any:
    return click.option(
        "--knowledge", "knowledge_dir", type=click.Path(file_okay=False, path_type=Path),
        default=None, help="Knowledge folder (default: the shipped knowledge/).",
    )(func)


def _load(knowledge_dir: Path | None) -> Any:
    try:
        return loader.load(knowledge_dir or loader.default_root())
    except loader.KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
@click.version_option(package_name="deflection-planner")
def main() -> None:
    """Plan a first responder deflection program."""


DEFAULT_STALE_MONTHS = 24


def _parse_today(_ctx: Any, _param: Any, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


@main.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--stale", "stale_months", type=click.IntRange(min=0), default=None,
              is_flag=False, flag_value=DEFAULT_STALE_MONTHS, metavar="[MONTHS]",
              help="List the records not verified within MONTHS months (default "
                   f"{DEFAULT_STALE_MONTHS}), oldest first, and the records whose status "
                   "hangs on a date now past.")
@click.option("--report", "report", is_flag=True,
              help="Print the maintainer's report: for each file, records by age of "
                   "verified_on, open flags, statuses that hang on a past date, and sources "
                   "that are mirrors or http links.")
@click.option("--today", callback=_parse_today, default=None, metavar="YYYY-MM-DD",
              help="The day to measure from (default: today; the PLANNER_TODAY environment "
                   "variable also sets it).", envvar="PLANNER_TODAY")
@click.option("--sample", "sample_size", type=click.IntRange(min=1), default=None,
              metavar="N", help="Print a random sample of N sourced records (any record with "
                                "an id and sources) to verify by hand; see --seed.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The seed of --sample: the same seed and knowledge give the same sample.")
def check_command(directory: Path | None, stale_months: int | None, report: bool,
                  today: date, sample_size: int | None, seed: int) -> None:
    """Validate a knowledge folder; print every finding and exit 1 if there are any.

    A record whose status hangs on a date now past (something pending, awaited, expected or
    upcoming at a day that has gone by) is a finding too.
    """
    from planner.knowledge.validation import (
        dated_findings,
        knowledge_report,
        past_status,
        sample_records,
        sourced_records,
        stale_records,
    )

    root = directory or loader.default_root()
    if not root.is_dir():
        click.echo(f"{root}: not a folder", err=True)
        sys.exit(2)
    findings = loader.check(root)
    data, _ = loader.read_files(root)
    if report:
        _print_report(knowledge_report(loader.read_raw(root), today), today)
    if sample_size is not None:
        raw = loader.read_raw(root)
        chosen = sample_records(raw, sample_size, seed)
        click.echo(f"Sample of {len(chosen)} of {len(sourced_records(raw))} sourced records "
                   f"(seed {seed}):")
        for file, record in chosen:
            click.echo(f"  {file}: {record}")
    if not findings:
        findings = dated_findings(data, today)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        click.echo(f"{len(findings)} problem(s) in {root}", err=True)
        sys.exit(1)
    kb = loader.load(root)
    click.echo(
        f"{root}: OK ({len(kb.pathways)} pathways, {len(kb.questions)} questions, "
        f"{len(kb.rules)} scoring rules, {len(kb.programs)} programs, "
        f"{len(kb.mentor_sites)} mentor sites, {len(kb.tta)} TTA resources, "
        f"{len(kb.funding)} funding programs, {len(kb.tasks)} tasks, "
        f"{len(kb.measures)} measures, {len(kb.states)} state records)"
    )
    months = DEFAULT_STALE_MONTHS if stale_months is None else stale_months
    stale = stale_records(data, today, months)
    if stale_months is not None:
        for verified_on, file, record in stale:
            click.echo(f"stale: {file}: {record}: last verified {verified_on}")
        for file, record, what in past_status(data, today):
            click.echo(f"past date: {file}: {record}: {what}")
    click.echo(f"{len(stale)} record(s) not verified within {months} months"
               + ("" if stale_months is not None or not stale
                  else f" (list them with --stale {months})"))


def _print_report(reports: Any, today: date) -> None:
    click.echo(f"Knowledge report for {today.isoformat()} (age of verified_on)")
    for r in reports:
        ages = ", ".join(f"{label}: {n}" for label, n in r.by_age)
        click.echo(f"\n{r.file}: {r.records} record(s); {ages}")
        click.echo(f"  open flags: {len(r.flags)}")
        for rid, flag in r.flags:
            click.echo(f"    {rid}: {flag}")
        click.echo(f"  statuses that hang on a past date: {len(r.past)}")
        for rid, what in r.past:
            click.echo(f"    {rid}: {what}")
        click.echo(f"  mirror or http sources: {len(r.weak_sources)}")
        for rid, why, url in r.weak_sources:
            click.echo(f"    {rid}: {why}: {url}")
    click.echo("")


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _read_profile(kb: Any, path: Path) -> Any:
    """Read an answers file once into the community's profile."""
    from planner.cli import numbers

    return numbers.read_profile_file(kb, path)


@main.command("questions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_knowledge_option
def questions_command(as_json: bool, knowledge_dir: Path | None) -> None:
    """List question ids, their options and when each is asked."""
    kb = _load(knowledge_dir)
    if as_json:
        _emit({
            "questions_version": kb.questions_version,
            "questions": [
                {
                    "id": q.id, "section": q.section, "type": q.type, "required": q.required,
                    "label": q.label, "help": q.help,
                    "options": [{"id": o.id, "label": o.label, "dont_know": o.dont_know}
                                for o in q.options],
                    "ask_when": [{"question": c.question, "any_of": list(c.any_of)}
                                 for c in q.ask_when],
                    **({"max_length": q.max_length} if q.max_length else {}),
                }
                for q in kb.questions.values()
            ],
        })
        return
    click.echo(f"Questions version {kb.questions_version}")
    for section in kb.sections:
        click.echo(f"\n[{section.id}] {section.label}")
        for q in (q for q in kb.questions.values() if q.section == section.id):
            flags = [q.type] + (["required"] if q.required else [])
            click.echo(f"  {q.id} ({', '.join(flags)}): {q.label}")
            for cond in q.ask_when:
                click.echo(f"      asked when {cond.question} is {' or '.join(cond.any_of)}")
            if q.options:
                click.echo("      options: " + ", ".join(
                    o.id + (" (don't know)" if o.dont_know else "") for o in q.options))


@main.command("answers-schema")
def answers_schema_command() -> None:
    """Print the JSON Schema of the answers file."""
    _emit(dict(loader.schema("answers")))


def _score_json(kb: Any, plan: Any) -> dict[str, Any]:
    from planner.documents.report import stability_rule, unanswered_words
    from planner.engine.scenarios import LABEL_WORDS

    def contribution(c: Any) -> dict[str, Any]:
        return {"rule": c.rule.id, "points": round(c.points, 2), "question": c.question_id,
                "answer": c.answer, "reason": c.reason}

    return {
        "community": plan.community,
        "running": list(plan.ranking.running),
        "unanswered": list(plan.ranking.unanswered_questions),
        "unanswered_note": unanswered_words(len(plan.ranking.unanswered_questions)),
        "ranking": [
            {
                "pathway": s.pathway.id, "label": s.pathway.label, "rank": s.rank,
                "running": s.running, "score": round(s.score, 2), "low": round(s.low, 2),
                "chance_first": (plan.stability.chance_of(s.pathway.id)
                                 if s.rank is not None else None),
                "high": round(s.high, 2), "band": s.band, "start": round(s.start, 2),
                "build_on": round(s.build_on, 2),
                "contributions": [contribution(c) for c in s.contributions],
                "gaps": [{"resource": g.resource_id, "label": g.label, "unknown": g.unknown}
                         for g in s.gaps],
            }
            for s in plan.ranking.scores
        ],
        "stability": {
            "status": plan.stability.status, "margin": round(plan.stability.margin, 2),
            "label": LABEL_WORDS.get(plan.stability.status, plan.stability.status),
            "rule": stability_rule(kb),
            "clear_lead_at": kb.model.chance.clear_lead,
            "samples": kb.model.chance.samples,
            "top_chance_first": (plan.stability.chance_of(plan.ranking.top.pathway.id)
                                 if plan.ranking.top else None),
            "tied": plan.stability.tied,
            "tie_break": kb.model.tie_break if plan.stability.tied else None,
            "worst_case_status": plan.stability.worst_case_status,
            "worst_case_lead": round(plan.stability.worst_lead, 2),
            "could_overtake_once_known": plan.stability.overlapping,
            "blank_could_overtake": plan.stability.blank_could_overtake,
            "blank_could_change_top": [
                {"question": q, "label": kb.questions[q].label}
                for q in plan.stability.blank_changers],
            "challenger": plan.stability.challenger,
            "smallest_flip": [{"question": c.question_id, "from": c.from_answer,
                               "to": list(c.to_options), "gain": round(c.gain, 2)}
                              for c in plan.stability.flip],
        },
        "check_first": [{"question": c.question_id, "swing": round(c.swing, 2),
                         "could_change_top": c.could_change_top, "alone": c.alone,
                         "unanswered": c.unanswered} for c in plan.check_first],
        "why_not": [{"pathway": w.pathway_id, "behind": round(w.behind, 2),
                     "reasons": list(w.reasons)} for w in plan.why_not],
        "recommended": [
            {
                "pathway": d.score.pathway.id,
                "mentor_sites": [{"id": m.id, "reasons": list(m.reasons)} for m in d.mentors],
                "similar_programs": [{"id": m.id, "reasons": list(m.reasons)}
                                     for m in d.programs],
                "tta": [{"id": m.id, "reasons": list(m.reasons)} for m in d.tta],
                "funding": [{"id": m.id, "reasons": list(m.reasons), "status": m.status,
                             "to_apply": m.to_apply, "route": m.route, "when": m.when}
                            for m in d.funding],
                "delta": None if d.delta is None else {
                    "builds_on": list(d.delta.builds_on),
                    "new_partners": list(d.delta.new_partners),
                    "new_elements": list(d.delta.new_elements),
                    "new_tasks": list(d.delta.new_tasks),
                    "new_measures": list(d.delta.new_measures),
                },
            }
            for d in plan.recommended
        ],
        "tasks": [{"task": t.task.id, "start": t.start, "finish": t.finish,
                   "critical": t.critical} for t in plan.timeline],
    }


def _print_plan_text(kb: Any, plan: Any) -> None:
    from planner.documents.report import (
        check_first_words,
        in_100,
        stability_rule,
        stability_words,
        unanswered_words,
    )

    click.echo(f"{plan.community}: pathway ranking")
    note = unanswered_words(len(plan.ranking.unanswered_questions))
    if note:
        click.echo(f"Note: {note} Not answered: "
                   + "; ".join(kb.questions[q].label for q in plan.ranking.unanswered_questions))
    if plan.ranking.running:
        click.echo("Running today: " + ", ".join(kb.pathways[p].label
                                                 for p in plan.ranking.running))
    for s in plan.ranking.scores:
        where = "running" if s.running else f"#{s.rank}"
        rng = f"  range {round(s.low)}-{round(s.high)}" if s.high - s.low >= 0.5 else ""
        odds = (f"  came first in {in_100(plan.stability, s.pathway.id)} of 100 tries"
                if s.rank is not None and plan.stability.chance is not None else "")
        click.echo(f"\n{where:>8}  {s.pathway.label}: {s.band_label} ({round(s.score)}/100)"
                   f"{rng}{odds}")
        for c in s.helped[:3]:
            click.echo(f"          + {c.points:4.1f}  {c.said} \u2014 {c.reason}")
        for c in s.hurt[:2]:
            click.echo(f"          - {abs(c.points):4.1f}  {c.said} \u2014 {c.reason}")
        if s.build_on:
            click.echo(f"          + {s.build_on:4.1f}  builds on what you run: "
                       + ", ".join(kb.facts[x].label for x in s.build_on_shared))
        if s.gaps:
            click.echo("          gaps: " + "; ".join(
                g.label + (" (unknown)" if g.unknown else "") for g in s.gaps))
    click.echo("\n" + stability_words(kb, plan))
    click.echo(stability_rule(kb))
    if plan.check_first:
        click.echo(check_first_words(kb, plan))
        click.echo("Check first: " + "; ".join(
            c.question + (" (could change the top)" if c.could_change_top else "")
            for c in plan.check_first))
    for w in plan.why_not[:5]:
        click.echo(f"\nWhy not {w.label} ({behind(w.behind)}):")
        for reason in w.reasons:
            click.echo(f"  - {reason}")
    top = plan.top
    if top:
        click.echo("\nMentor sites: " + "; ".join(
            f"{m.label} ({', '.join(m.reasons)})" for m in top.mentors[:3]))
        click.echo("Similar programs: " + ", ".join(m.label for m in top.programs))
        if top.delta:
            click.echo("New partners needed: " + (", ".join(top.delta.new_partners) or "none"))


@main.command("score")
@click.argument("answers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--today", callback=_parse_today, default=None, metavar="YYYY-MM-DD",
              envvar="PLANNER_TODAY",
              help="The day the plan is made; funding is judged from it (default: today).")
@_knowledge_option
def score_command(answers_file: Path, as_json: bool, today: date,
                  knowledge_dir: Path | None) -> None:
    """Rank the pathways for an answers file, with the reasons."""
    from planner.documents.report import weights_words, worst_case_words
    from planner.engine.plan import build
    from planner.engine.sensitivity import weight_sensitivity

    kb = _load(knowledge_dir)
    profile = _read_profile(kb, answers_file)
    plan = build(kb, profile, today=today)
    weights = weight_sensitivity(kb, profile, plan.ranking)
    if as_json:
        _emit({**_score_json(kb, plan), "weight_sensitivity": {
            "checked": weights.checked,
            "nearest": [{"rule": m.rule.id, "pathway": m.pathway, "weight": m.rule.weight,
                         "flips_at": m.flips_at, "new_top": m.new_top}
                        for m in weights.margins],
        }})
    else:
        _print_plan_text(kb, plan)
        consultant = [worst_case_words(kb, plan), weights_words(kb, weights)]
        if any(consultant):
            click.echo("\nHow this was scored (for consultants):")
            for line in consultant:
                if line:
                    click.echo(line)


@main.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_knowledge_option
def validate_command(directory: Path | None, as_json: bool, knowledge_dir: Path | None) -> None:
    """Score a folder of scenarios (default: tests/scenarios): top-1 and top-2 accuracy, a
    confusion table, and the same with the goals question set to "don't know"."""
    from planner.engine import scenarios

    kb = _load(knowledge_dir)
    folder = directory or loader.default_root().parent / "tests" / "scenarios"
    try:
        report = scenarios.evaluate(kb, scenarios.load_dir(kb, folder))
    except scenarios.ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    if not report.outcomes:
        raise click.ClickException(f"{folder}: no scenario files (*.yaml)")
    if as_json:
        _emit(scenarios.to_json(kb, report))
    else:
        click.echo(scenarios.to_text(kb, report))


def _register_plan() -> None:
    from planner.cli.plan import plan_command

    main.add_command(plan_command)


_register_plan()


def _register_size() -> None:
    from planner.cli.size import size_command

    main.add_command(size_command)


_register_size()


def _register_users() -> None:
    from planner.cli.users import (
        add_user_command,
        join_organization_command,
        revoke_sessions_command,
        set_password_command,
    )

    main.add_command(add_user_command)
    main.add_command(set_password_command)
    main.add_command(revoke_sessions_command)
    main.add_command(join_organization_command)


_register_users()


def _register_db() -> None:
    from planner.cli.db import db_command

    main.add_command(db_command)


_register_db()


@main.command("worker")
@click.option("--threads", default=1, show_default=True, type=int,
              help="Renders run at once in this worker.")
@click.option("--nice", default=0, show_default=True, type=int,
              help="Lower this process's CPU priority by this much (a web server's own "
                   "consumer runs at 19, the lowest, and as an idle-class process).")
@click.option("--parent", type=int, default=None, hidden=True,
              help="Stop when this process (the web server that started it) is gone.")
def worker_command(threads: int, nice: int, parent: int | None) -> None:
    """Run plan renders from the queue (set PLANNER_REDIS_URL and DATABASE_URL as for the
    web servers; with the default SQLite queue, only on the web server's own machine)."""
    from planner import create_app
    from planner.web import renders

    try:
        app = create_app()
    except loader.KnowledgeError as exc:
        raise click.ClickException(f"the planner cannot start: {exc}") from exc
    if app.config["RENDER_QUEUE"] != "background":
        raise click.ClickException("PLANNER_RENDER_QUEUE is not 'background': no queue to run")
    level = os.environ.get("PLANNER_LOG_LEVEL", "info").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="[%(asctime)s] [%(process)d] %(levelname)s %(name)s: %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # one line per render step
    if nice:
        os.nice(nice)
    if nice >= 19 and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        # The lowest priority there is: renders get a core only when no request wants it.
        with contextlib.suppress(OSError):  # not allowed here: nice 19 stands
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if parent is not None:
        renders.stop_with_parent(parent)
    renders.keep_beating(renders.queue_of(app), float(app.config["QUEUE_BEAT_SECONDS"]), app)
    renders.queue_of(app).create_consumer(workers=max(1, threads), worker_type="thread",
                                          periodic=False, shutdown_timeout=10).run()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True,
              help="Use Flask's development server (reloads code; not for production).")
def serve_command(host: str, port: int, debug: bool) -> None:
    """Start the planner at http://HOST:PORT (embedded SQLite in the instance folder).

    It runs the production server (gunicorn, gthread workers, settings as in
    planner/web/gunicorn_conf.py); --debug runs Flask's development server instead.
    """
    from planner import create_app

    try:
        app = create_app()
    except loader.KnowledgeError as exc:
        raise click.ClickException(f"the planner cannot start: {exc}") from exc
    click.echo(f"Deflection pathway planner on http://{host}:{port}/ (Ctrl+C to stop)")
    if debug:
        import signal

        from planner.web import renders

        # Ctrl+C (SIGINT) stops the development server even when the shell that started it
        # ignored SIGINT (a command run in the background of a script inherits SIG_IGN, and
        # Python then never raises KeyboardInterrupt: the server ran on after SIGINT).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        renders.start_embedded(app)  # the render queue's consumer, in this process
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    from planner.web.server import Application

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    Application(app, bind=bind).run()
