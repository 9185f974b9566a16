"""The `planner size` command (issue 30): how many people a pathway would see, the staff
that takes and the first-year cost, each a low-high range with the assumptions it rests on."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.cli import numbers
from planner.engine import scoring, sizing
from planner.engine.profile import CommunityProfile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge


def pick_pathway(kb: Knowledge, profile: CommunityProfile, pathway: str | None) -> str:
    """The pathway asked for, else the top-ranked one."""
    if pathway is not None:
        if pathway not in kb.pathways:
            raise click.BadParameter(f"unknown pathway '{pathway}' (one of: "
                                     f"{', '.join(p.id for p in kb.pathways_in_order)})",
                                     param_hint="--pathway")
        return pathway
    top = scoring.score(kb, profile).top
    if top is None:
        raise click.ClickException("no pathway could be ranked: name one with --pathway")
    return top.pathway.id


@click.command("size")
@click.argument("answers_file", metavar="ANSWERS.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--pathway", default=None, help="Pathway id (default: the top-ranked pathway).")
@click.option("--set", "settings", multiple=True, metavar="ID=VALUE",
              help="Replace an assumption with your own figure: ID=VALUE or ID=LOW:HIGH "
                   "(ids as listed; also 'population', 'contacts' and wage-ROLE). Repeat "
                   "for several.")
@click.option("--knowledge", "knowledge_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Knowledge folder (default: the shipped knowledge/).")
def size_command(answers_file: Path, as_json: bool, pathway: str | None,
                 settings: tuple[str, ...], knowledge_dir: Path | None) -> None:
    """Size a pathway for ANSWERS.json: contacts a year, the funnel, caseload, staff and
    first-year cost, each a low-high range naming its assumptions and their sources."""
    try:
        kb = loader.load(knowledge_dir or loader.default_root())
    except loader.KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    profile = numbers.read_profile_file(kb, answers_file)
    chosen = pick_pathway(kb, profile, pathway)
    try:
        overrides = dict(sizing.parse_override(s) for s in settings)
        result = sizing.estimate(kb, profile, chosen, overrides)
    except ValueError as exc:
        sizable = ", ".join(sizing.sizable(kb))
        raise click.ClickException(f"{exc} (pathways that can be sized: {sizable})") from exc
    if as_json:
        click.echo(json.dumps(sizing.as_json(result), indent=1, sort_keys=False,
                              ensure_ascii=False))
        return
    click.echo(f"Sizing: {result.pathway_label}")
    for row in sizing.rows(result):
        click.echo(f"  {row.label}: {row.value}")
    click.echo("Assumptions:")
    for a in result.assumptions:
        value = sizing.range_words(a.low, a.high, a.unit)
        mark = " (yours)" if a.origin == sizing.YOURS else ""
        flag = " [unconfirmed]" if a.flags else ""
        click.echo(f"  {a.id}: {a.label}: {value}{mark}{flag}; source: {a.source}")
    click.echo(result.notice)
