"""Alembic environment: always run against the connection Airlock hands us."""

from __future__ import annotations

from alembic import context

from airlock.store.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via airlock.store.db.migrate
    raise RuntimeError("run migrations through airlock.store.db.migrate()")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
