"""The functions a statement calls that are not PostgreSQL's own, and what the database's
catalog says they are: the gateway's last check on a statement it is about to allow.

A statement's text can hide a write: ``SELECT purge_old_orders()`` reads as a SELECT while
the function deletes rows. PostgreSQL itself refuses a data-modifying statement inside a
STABLE or IMMUTABLE function, so only a VOLATILE function can do that — and those of
PostgreSQL's own catalog that change anything are named by the classifier
(``classify/sql/postgres.py``) and ``pg_guard.py``. For any other function a statement
calls, the gateway asks the database (``pg_proc.provolatile``, as Airlock's own upstream
role, in a worker thread, remembered for :data:`TTL`) and refuses the statement when one
is VOLATILE: Airlock cannot see what it does. ``airlock check`` has no catalog to ask and
does not do this (docs/databases.md, "Limits").
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from airlock.classify.sql.pg_nodes import pg_walk
from airlock.config import Database

TTL = 60.0  # s a function's volatility is remembered (an ALTER FUNCTION reaches it after)
MAX = 4096  # functions remembered
TIMEOUT = 5  # s to connect to the database and ask
# statements that run the expressions they hold, now or whenever they are read (a view)
RUNS = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt",
                  "CreateTableAsStmt", "ViewStmt", "CopyStmt", "ExplainStmt",
                  "DeclareCursorStmt"})
CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema"})
QUERY = ("SELECT p.proname, bool_or(p.provolatile = 'v') FROM pg_catalog.pg_proc p "
         "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
         "WHERE p.proname = ANY(%s) AND n.nspname <> ALL(%s) GROUP BY p.proname")


class LookUp(Exception):
    """The catalog must be asked about these functions first (it may block)."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(names)))
        self.names = names


@functools.cache
def builtins() -> frozenset[str]:
    text = resources.files("airlock.broker").joinpath("pg_builtin_functions.txt").read_text()
    return frozenset(line.lower() for line in text.splitlines()
                     if line and not line.startswith("#"))


def called(sql: str) -> frozenset[str]:
    """The names of the functions ``sql`` runs that are not PostgreSQL's own (empty when it
    does not parse: the classifier has refused it already)."""
    from pglast.parser import ParseError, parse_sql

    try:
        return called_in(parse_sql(sql))
    except ParseError:
        return frozenset()


def called_in(stmts: Any) -> frozenset[str]:
    """:func:`called` of statements already parsed (``parse_sql``)."""
    own = builtins()
    out: set[str] = set()
    for raw in stmts:
        stmt = raw.stmt
        if type(stmt).__name__ not in RUNS:
            continue
        for node in pg_walk(stmt):
            if type(node).__name__ != "FuncCall":
                continue
            parts = [str(getattr(p, "sval", "")) for p in node.funcname or ()]
            if not parts:
                continue
            name = parts[-1].lower()
            if len(parts) > 1 and parts[-2].lower() in CATALOG_SCHEMAS:
                continue
            if len(parts) == 1 and name in own:
                continue
            out.add(name)
    return frozenset(out)


class Catalog:
    """What each database says of the functions its statements call, remembered."""

    def __init__(self, password: Callable[[Database], str]) -> None:
        self.password = password
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}  # → (until, volatile)
        self._lock = threading.Lock()

    def pending(self, db: Database, names: Iterable[str]) -> frozenset[str]:
        """The names whose volatility is not known (or no longer)."""
        now = time.monotonic()
        return frozenset(n for n in names
                         if (hit := self._known.get((db.name, n))) is None or hit[0] < now)

    def volatile(self, db: Database, names: Iterable[str]) -> list[str]:
        """The names known to be VOLATILE functions (call once :meth:`pending` is empty)."""
        return sorted(n for n in names if self._known.get((db.name, n), (0.0, True))[1])

    def look_up(self, db: Database, names: Iterable[str]) -> None:
        """Ask ``db``'s catalog (blocks: a worker thread). A name it does not know is no
        function the statement can run (PostgreSQL will say so): not volatile."""
        import psycopg

        wanted = sorted(set(names))
        with psycopg.connect(db.upstream, password=self.password(db) or None,
                             connect_timeout=TIMEOUT, application_name="airlock-gateway",
                             autocommit=True) as conn:
            rows = conn.execute(QUERY, (wanted, sorted(CATALOG_SCHEMAS))).fetchall()
        found = {str(name): bool(vol) for name, vol in rows}
        until = time.monotonic() + TTL
        with self._lock:
            if len(self._known) >= MAX:
                self._known.clear()
            for name in wanted:
                self._known[(db.name, name)] = (until, found.get(name, False))
