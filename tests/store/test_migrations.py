"""Schema managed by the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from airlock.store.db import database_url, open_store, redact


def test_migrations_create_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/a.db")
    store.migrate()  # a second start does nothing
    names = set(inspect(store.engine).get_table_names())
    assert {"humans", "agent_tokens", "requests", "approvals", "ledger", "ledger_head",
            "ledger_checkpoints", "provider_secrets", "alembic_version"} <= names
    with store.read() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head(), "a start must leave the schema at the newest migration"


def _head() -> str:
    """The newest revision shipped in the package (exactly one head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "airlock.store:migrations")
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path}/airlock.db"
    assert database_url("postgresql://u:p@h/db", "x") == "postgresql+psycopg://u:p@h/db"
    assert redact("postgresql+psycopg://u:secret@h/db") == "postgresql+psycopg://u:***@h/db"
