"""Alembic environment: always run online, on the connection `planner.migrations` passes."""

from __future__ import annotations

from alembic import context

from planner.web.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run migrations with `planner db upgrade` (planner.migrations.upgrade)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
