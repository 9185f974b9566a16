"""The `planner` command: check the knowledge base, list questions, score, plan, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from planner import loader


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


@main.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def check_command(directory: Path | None) -> None:
    """Validate a knowledge folder; print every finding and exit 1 if there are any."""
    root = directory or loader.default_root()
    if not root.is_dir():
        click.echo(f"{root}: not a folder", err=True)
        sys.exit(2)
    findings = loader.check(root)
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
        f"{len(kb.measures)} measures)"
    )


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
