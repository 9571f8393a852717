"""Opening the database and running migrations.

Every write goes through :meth:`Store.write`: one transaction, which on SQLite is a
``BEGIN IMMEDIATE`` (writers are serialised, so the ledger chain cannot fork) and on
PostgreSQL an ordinary transaction whose ledger appends lock the chain-head row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x41_49_52_4C  # "AIRL": the advisory lock held while migrating


def database_url(explicit: str | None, data_dir: str) -> str:
    """The SQLAlchemy URL: ``--database``, else ``AIRLOCK_DATABASE_URL``, else SQLite."""
    url = explicit or os.environ.get("AIRLOCK_DATABASE_URL") or ""
    if not url:
        os.makedirs(data_dir, mode=0o700, exist_ok=True)
        return "sqlite:///" + os.path.join(data_dir, "airlock.db")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


class Store:
    """One engine, plus the transaction helpers every module uses."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.sqlite:
            _sqlite_tuning(self.engine)

    @property
    def postgres(self) -> bool:
        return not self.sqlite

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite a deferred one, which does not block writers)."""
        with self.engine.connect().execution_options(airlock_readonly=True) as conn, \
                conn.begin():
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent; safe with racing replicas)."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            if self.postgres:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                if self.postgres:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                    conn.commit()

    def close(self) -> None:
        self.engine.dispose()


def _private_file(path: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, 0644 on
    most systems: TOTP seeds and password hashes readable by every user); its -wal and
    -shm files take the database file's mode. An existing file open to others is closed."""
    if not path or path == ":memory:":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        try:
            st = os.stat(path)
            if st.st_mode & 0o077 and st.st_uid == os.geteuid():
                os.chmod(path, 0o600)
        except OSError:
            pass
        return
    except OSError:
        return  # SQLite will say what is wrong
    os.close(fd)


def _sqlite_tuning(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("airlock_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_store(url: str, migrate: bool = True) -> Store:
    if url.startswith("sqlite:///"):
        _private_file(url[len("sqlite:///"):])
    store = Store(url)
    if migrate:
        store.migrate()
    return store
