"""The `planner db` commands: migrate the database (Alembic, configured in code)."""

from __future__ import annotations

import os
from pathlib import Path

import click


def _database_url(url: str | None) -> str:
    """The given URL, else the app's: DATABASE_URL, PLANNER_DATABASE_URL, config.py, instance/."""
    if url:
        return url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from flask import Flask

    from planner.web import _defaults, private_folder

    probe = Flask("planner.web", instance_relative_config=True,
                  instance_path=os.environ.get("PLANNER_INSTANCE_PATH"))
    probe.config.from_mapping(_defaults(probe))
    probe.config.from_pyfile("config.py", silent=True)
    probe.config.from_prefixed_env("PLANNER")
    private_folder(Path(probe.instance_path))
    return str(probe.config["DATABASE_URL"])


@click.group("db")
def db_command() -> None:
    """Database schema: upgrade it, or show its revision."""


@db_command.command("upgrade")
@click.option("--url", default=None, metavar="DATABASE_URL",
              help="Database to migrate (default: the app's, as `planner serve` finds it).")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(url: str | None, revision: str) -> None:
    """Migrate the database to REVISION (the newest by default)."""
    from planner import migrations
    from planner.web.db import make_engine

    engine = make_engine(_database_url(url))
    try:
        migrations.upgrade(engine, revision)
        click.echo(f"database at revision {migrations.current(engine)} "
                   f"(newest: {migrations.head()})")
    finally:
        engine.dispose()


@db_command.command("current")
@click.option("--url", default=None, metavar="DATABASE_URL")
def current_command(url: str | None) -> None:
    """Print the database's revision and the newest one."""
    from planner import migrations
    from planner.web.db import make_engine

    engine = make_engine(_database_url(url))
    try:
        click.echo(f"{migrations.current(engine)} (newest: {migrations.head()})")
    finally:
        engine.dispose()
