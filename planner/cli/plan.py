"""The `planner plan` command: write a community's starter plan as a PDF (or its HTML), an
editable Word document, or the action plan as a spreadsheet (picked by the output's
extension: .docx, .xlsx, .csv; anything else is the PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from planner.cli import numbers
from planner.engine import plan as planning
from planner.engine.profile import CommunityProfile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge


@click.command("plan")
@click.argument("answers_file", metavar="ANSWERS.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the plan: plan.pdf (or plan.html with --html), plan.docx "
                   "(editable Word copy), actions.xlsx or actions.csv (the action plan).")
@click.option("--html", "as_html", is_flag=True, help="Write the HTML preview instead of a PDF.")
@click.option("--start", "start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Start date of the action plan, YYYY-MM-DD (default: the first Monday of "
                   "next month).")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              envvar="PLANNER_TODAY",
              help="The day the plan is made, YYYY-MM-DD (default: today): dates the plan and "
                   "decides which funding is open on its dates.")
@click.option("--starter-documents", "starter_only", is_flag=True,
              help="With a .docx output: write only the starter documents (MOU outline, "
                   "data-sharing checklist, referral form...).")
@click.option("--application", "application_only", is_flag=True,
              help="With a .docx output: write the application starter (a draft shaped like "
                   "a federal deflection application, every gap marked to fill in).")
@click.option("--note", "notes", multiple=True,
              help="A consultant note to include (repeat for several).")
@click.option("--knowledge", "knowledge_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Knowledge folder (default: the shipped knowledge/).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Templates folder (default: the checkout's templates/).")
def plan_command(answers_file: Path, output: Path, as_html: bool, start: dt.datetime | None,
                 today: dt.datetime | None, starter_only: bool, application_only: bool,
                 notes: tuple[str, ...],
                 knowledge_dir: Path | None, templates_dir: Path | None) -> None:
    """Write the starter plan for ANSWERS.json: the same plan the web app gives."""
    from planner.documents import report

    try:
        kb = loader.load(knowledge_dir or loader.default_root())
    except loader.KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    profile = numbers.read_profile_file(kb, answers_file)
    day = today.date() if today is not None else dt.date.today()
    first = start.date() if start is not None else None
    built = planning.build(kb, profile, today=day, start=first)
    suffix = output.suffix.lower()
    if starter_only and suffix != ".docx":
        raise click.UsageError("--starter-documents writes a Word document: use -o NAME.docx")
    if application_only and (suffix != ".docx" or starter_only):
        raise click.UsageError("--application writes a Word document on its own: use "
                               "-o NAME.docx without --starter-documents")
    if application_only:
        output.write_bytes(_application(kb, built, profile, day))
        click.echo(f"wrote {output}")
        return
    if as_html and suffix in EDITABLE:
        raise click.UsageError(f"--html writes HTML, not {suffix}: drop --html or change -o")
    if suffix in EDITABLE:
        output.write_bytes(_editable(kb, built, profile, suffix, notes, starter_only, day))
        click.echo(f"wrote {output}")
        return
    html = report.render_plan_html(kb, built, profile, for_pdf=not as_html, notes=notes,
                                   templates_dir=templates_dir, generated=day,
                                   start=built.dates.start if built.dates else None)
    if as_html:
        output.write_text(html, encoding="utf-8")
    else:
        from planner.documents.pdf import render_pdf

        output.write_bytes(render_pdf(html))
    click.echo(f"wrote {output}")


EDITABLE = (".docx", ".xlsx", ".csv")


def _application(kb: Knowledge, built: planning.Plan, profile: CommunityProfile,
                 day: dt.date) -> bytes:
    from planner.documents import action_table, application, docx_export

    assert built.dates is not None  # build() always dates the plan
    rows = action_table.rows(kb, built, profile, built.dates.start)
    app = application.build(kb, built, profile, rows, generated=day,
                            size=application.sizing_for(kb, built, profile))
    if app is None:
        raise click.ClickException("no pathway could be ranked, so there is no application")
    return docx_export.render_application(app)


def _editable(kb: Knowledge, built: planning.Plan, profile: CommunityProfile,
              suffix: str, notes: tuple[str, ...], starter_only: bool, day: dt.date) -> bytes:
    from planner.documents import action_table, docx_export, sheet_export

    assert built.dates is not None  # build() always dates the plan
    first = built.dates.start
    if suffix == ".docx":
        ctx = docx_export.context(kb, built, profile, notes=notes, start=first, generated=day)
        if starter_only:
            return docx_export.render_starter_documents(ctx)
        return docx_export.render(ctx)
    rows = action_table.rows(kb, built, profile, first)
    if suffix == ".xlsx":
        return sheet_export.xlsx(rows, community=built.community, done=built.done)
    return sheet_export.csv_bytes(rows, built.community, built.done)
