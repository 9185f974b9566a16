"""The `planner plan` command: write a community's starter plan as a PDF (or its HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner import loader
from planner import plan as planning
from planner.answers import AnswersError, read_file


@click.command("plan")
@click.argument("answers_file", metavar="ANSWERS.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the plan (plan.pdf, or plan.html with --html).")
@click.option("--html", "as_html", is_flag=True, help="Write the HTML preview instead of a PDF.")
@click.option("--note", "notes", multiple=True,
              help="A consultant note to include (repeat for several).")
@click.option("--knowledge", "knowledge_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Knowledge folder (default: the shipped knowledge/).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Templates folder (default: the checkout's templates/).")
def plan_command(answers_file: Path, output: Path, as_html: bool, notes: tuple[str, ...],
                 knowledge_dir: Path | None, templates_dir: Path | None) -> None:
    """Write the starter plan for ANSWERS.json: the same plan the web app gives."""
    from planner import report

    try:
        kb = loader.load(knowledge_dir or loader.default_root())
    except loader.KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        data = json.loads(answers_file.read_text(encoding="utf-8"))
        answers = read_file(kb, data).answers
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{answers_file}: not JSON ({exc})") from exc
    except AnswersError as exc:
        raise click.ClickException(
            f"{answers_file}:\n" + "\n".join(f"  {p}" for p in exc.problems)
        ) from exc
    built = planning.build(kb, answers)
    html = report.render_plan_html(kb, built, answers, for_pdf=not as_html, notes=notes,
                                   templates_dir=templates_dir)
    if as_html:
        output.write_text(html, encoding="utf-8")
    else:
        from planner.pdf import render_pdf

        output.write_bytes(render_pdf(html))
    click.echo(f"wrote {output}")
