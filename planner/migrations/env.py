"""Alembic environment: always run online, on the connection `planner.migrations` passes.

The revisions carry their own table definitions: nothing here imports the app's models.
Whoever wants autogenerate's comparison passes the models' metadata as the config
attribute `target_metadata`."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run migrations with `planner db upgrade` (planner.migrations.upgrade)")

context.configure(connection=connection,
                  target_metadata=context.config.attributes.get("target_metadata"),
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
