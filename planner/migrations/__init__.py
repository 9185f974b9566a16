"""Alembic migrations for the planner's database, configured in code (no alembic.ini).

`upgrade(engine)` brings any database to the newest revision: a new database
gets every table; a database made before migrations existed (tables created by
`create_all`, no `alembic_version`) is stamped at the initial revision first.
On PostgreSQL an advisory lock keeps two hosts from migrating at once.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
INITIAL = "0001"
# Any constant: the key of the PostgreSQL advisory lock held while migrating.
LOCK_KEY = 7_202_611


def config(connection: Connection | None = None) -> Config:
    """An Alembic Config for this package, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind engine to revision (default: the newest)."""
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            connection.commit()
        try:
            tables = set(inspect(connection).get_table_names())
            if revision == "head" and "alembic_version" in tables and \
                    connection.scalar(text("SELECT version_num FROM alembic_version")) == head():
                return  # already the newest: no need to load the revision scripts
            cfg = config(connection)
            if "interviews" in tables and "alembic_version" not in tables:
                command.stamp(cfg, INITIAL)
            command.upgrade(cfg, revision)
            connection.commit()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                connection.commit()


def current(engine: Engine) -> str | None:
    """The database's current revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head() -> str:
    """The newest revision in this package."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None
    return found
