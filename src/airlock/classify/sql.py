"""SQL classification: what each statement of a SQL string would do, and how badly.

:func:`classify_sql` parses SQL with a real parser — PostgreSQL with ``pglast`` (the
PostgreSQL parser itself), MySQL/MariaDB and SQLite with ``sqlglot`` — and returns one or
more :class:`~airlock.action.Target` per statement, plus a list of *problems*: anything
that could not be parsed or understood. The caller turns problems into an ``unparsed``
flag, so the action is held (fail closed). Non-empty SQL never yields neither a target
nor a problem; empty, whitespace-only and comment-only SQL yields neither.

Parsers are imported inside the functions that need them: importing this module costs
only the standard library.

Risk table (``verb`` in brackets; targets name the table, database, role… touched)
----------------------------------------------------------------------------------

read
    SELECT/VALUES/TABLE [sql.select], SHOW [sql.show], EXPLAIN without ANALYZE
    [sql.explain], DESCRIBE, SET/RESET (session) [sql.set], BEGIN/COMMIT/ROLLBACK/
    SAVEPOINT [sql.transaction], USE, LISTEN, FETCH, CLOSE, DISCARD, DEALLOCATE,
    MySQL CHECK/CHECKSUM/HANDLER/DO, SQLite PRAGMA queries, DETACH.
write
    INSERT [sql.insert] (ON CONFLICT/DUPLICATE KEY UPDATE, REPLACE: not reversible);
    UPDATE/DELETE/MERGE with a real WHERE [sql.update, sql.delete, sql.merge];
    CREATE anything (tables, views, indexes, schemas, databases, roles without
    privileged attributes, extensions, triggers) [sql.create_*]; ALTER … ADD / RENAME /
    SET / ALTER COLUMN TYPE and other ALTERs [sql.alter_*]; COPY … FROM [sql.copy_from];
    narrow GRANT [sql.grant]; GRANT of an ordinary role; CREATE FUNCTION in SQL whose
    body is at most a write; VACUUM, ANALYZE, CLUSTER, REINDEX, REFRESH, LOCK, NOTIFY,
    COMMENT, ALTER SYSTEM, SET GLOBAL/PERSIST, ``SET session_replication_role``,
    pg_cancel_backend(), pg_reload_conf(), setval(), lo_import(); MySQL FLUSH, OPTIMIZE,
    REPAIR, RENAME, LOAD DATA, SELECT … INTO OUTFILE; SQLite ATTACH, VACUUM, PRAGMA
    assignments.
destructive
    DELETE/UPDATE without WHERE, or with an always-true WHERE (``1=1``, ``true``, ``1``,
    ``x = x``, ``… OR 1=1``, ``NOT false``, ``LIKE '%'``, ``EXISTS (SELECT 1)``)
    [sql.delete_all_rows, sql.update_all_rows]; MERGE that deletes/updates on an
    always-true join; TRUNCATE [sql.truncate]; DROP TABLE/VIEW/INDEX/SEQUENCE/FUNCTION/
    TYPE/TRIGGER/EXTENSION/… [sql.drop_<kind>]; ALTER TABLE … DROP COLUMN
    [sql.drop_column] or DROP PARTITION; DISABLE / NO FORCE ROW LEVEL SECURITY; DROP
    OWNED, REASSIGN OWNED; REVOKE [sql.revoke]; widening GRANT [sql.grant_wide] (GRANT
    ALL, TO PUBLIC, WITH GRANT OPTION, ON ALL … IN SCHEMA, ``*.*``, granting a built-in
    privileged role, or ADMIN OPTION); CREATE/ALTER ROLE with SUPERUSER, CREATEROLE,
    REPLICATION or BYPASSRLS [sql.alter_role_privileged]; DO blocks [sql.do_block];
    CREATE FUNCTION/PROCEDURE/TRIGGER whose body is not SQL we can see into
    (plpgsql, C, MySQL/SQLite routines) [sql.create_function]; CALL of a procedure
    [sql.call]; COPY … TO/FROM PROGRAM [sql.copy_program]; COPY … TO a server file;
    LOAD (shared library); pg_terminate_backend(), lo_unlink(), lo_export(),
    pg_drop_replication_slot(), dblink_exec() and friends [sql.call.<function>];
    MySQL KILL, SHUTDOWN, PURGE, RESET, INSTALL PLUGIN, ALTER TABLE … ENGINE=BLACKHOLE,
    CREATE OR REPLACE TABLE; SQLite ``PRAGMA writable_schema``, load_extension(),
    writefile().
catastrophic
    DROP DATABASE [sql.drop_database] (the locator names the dropped database),
    DROP SCHEMA, with or without CASCADE [sql.drop_schema], DROP ROLE/USER
    [sql.drop_role].

``reversible`` is true for reads and additive writes (INSERT, CREATE, ADD, narrow GRANT);
UPDATE/DELETE/MERGE, upserts, column type changes and everything destructive are not.

A statement the parser accepts but this module does not recognise is a problem, never
a guess. ``EXPLAIN ANALYZE`` runs its statement and is classified as that statement.
Data-modifying statements nested in CTEs, ``COPY (…)``, ``PREPARE`` and ``CREATE RULE``
are classified too.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from airlock.action import Risk, Target

READ, WRITE, DESTRUCTIVE, CATASTROPHIC = (
    Risk.READ,
    Risk.WRITE,
    Risk.DESTRUCTIVE,
    Risk.CATASTROPHIC,
)

PG_DIALECTS = frozenset({"postgresql", "postgres", "pg", "psql"})
SQLGLOT_DIALECTS = {"mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite"}
DIALECTS = tuple(sorted(PG_DIALECTS | set(SQLGLOT_DIALECTS)))

_MAX_DEPTH = 16
# What the SQL scanners skip. Not str.strip()'s idea of whitespace: "\x1f" or U+00A0 are
# errors to PostgreSQL, so text made of them is not "empty".
SQL_WHITESPACE = " \t\n\r\f\v"


def classify_sql(
    text: str,
    *,
    dialect: str = "postgresql",
    database: str = "",
    locator: str = "",
    tool: str = "sql",
) -> tuple[list[Target], list[str]]:
    """Targets of every statement in ``text``, and the problems that stopped us seeing.

    ``database`` names the database for humans; ``locator`` is the connection locator
    (a URL without password) that every target carries so resolve can map it to an
    environment. Never raises.
    """
    out = _Out(database=database, locator=locator, tool=tool)
    try:
        _classify(text, dialect, out, depth=0)
    except RecursionError:
        out.problem("SQL nested too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - a parser bug must not open the gate: hold
        out.problem(f"could not analyse SQL ({type(exc).__name__}: {exc})"[:300])
    return out.targets, out.problems


def with_database(locator: str, dbname: str) -> str:
    """``postgresql://u@h:5432/a`` with the database replaced: ``postgresql://u@h:5432/b``.

    Locators that are not URLs (``sqlite:/path``) are returned unchanged.
    """
    if "://" not in locator:
        return locator
    try:
        parts = urlsplit(locator)
    except ValueError:
        return locator
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), parts.query, ""))


# --------------------------------------------------------------------------- output


class _Out:
    """Collects targets (deduplicated) and problems for one classify_sql call."""

    def __init__(self, database: str, locator: str, tool: str, dialect: str = "") -> None:
        self.dialect = dialect
        self.database = database
        self.locator = locator
        self.tool = tool
        self.targets: list[Target] = []
        self.problems: list[str] = []
        self.prepared: set[str] = set()
        self._seen: set[tuple[Any, ...]] = set()
        self.adds = 0  # add() calls, duplicates included: did a statement yield anything?

    def next_statement(self) -> None:
        """Deduplicate within one statement only: every statement keeps its own targets."""
        self._seen.clear()

    def child(self) -> _Out:
        sub = _Out(self.database, self.locator, self.tool, self.dialect)
        sub.prepared = self.prepared
        return sub

    @property
    def db_name(self) -> str:
        return f"database {self.database}" if self.database else "database"

    def use_database(self, name: str) -> None:
        """MySQL ``USE db``: later statements run against ``name``."""
        self.database = name
        self.locator = with_database(self.locator, name)

    def add(
        self,
        kind: str,
        name: str,
        verb: str,
        risk: Risk,
        detail: str = "",
        *,
        locator: str | None = None,
        reversible: bool | None = None,
    ) -> None:
        self.adds += 1
        if name.startswith(kind + " "):
            name = name[len(kind) + 1 :]  # the kind is its own field: "users", not "table users"
        loc = self.locator if locator is None else locator
        rev = (risk <= WRITE) if reversible is None else reversible
        rev = rev and risk < DESTRUCTIVE
        key = (kind, name, verb, int(risk), loc, detail, rev)
        if key in self._seen:
            return
        self._seen.add(key)
        self.targets.append(
            Target(
                kind=kind,
                name=name,
                verb=verb,
                risk=risk,
                reversible=rev,
                tool=self.tool,
                locator=loc,
                detail=detail,
            )
        )

    def add_db(self, verb: str, risk: Risk, detail: str = "", **kw: Any) -> None:
        self.add("database", self.db_name, verb, risk, detail, **kw)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    @property
    def worst(self) -> Risk:
        return max((t.risk for t in self.targets), default=READ)


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classify(text: str, dialect: str, out: _Out, depth: int) -> None:
    if not text or not text.strip(SQL_WHITESPACE):
        return
    if "\x00" in text:
        # the C parsers stop at NUL: what follows it would be invisible to us
        out.problem("SQL contains a NUL byte")
        return
    d = dialect.strip().lower()
    if d in PG_DIALECTS:
        out.dialect = "postgresql"
        _pg_classify(text, out, depth)
    elif d in SQLGLOT_DIALECTS:
        out.dialect = SQLGLOT_DIALECTS[d]
        _glot_classify(text, SQLGLOT_DIALECTS[d], out, depth)
    else:
        out.problem(f"unknown SQL dialect {dialect!r} (expected one of {', '.join(DIALECTS)})")


# --------------------------------------------------------------------------- PostgreSQL

# Functions that do something beyond reading, wherever they appear in a statement.
_PG_FUNCTIONS: dict[str, tuple[Risk, str]] = {
    "pg_terminate_backend": (DESTRUCTIVE, "ends another session"),
    "pg_cancel_backend": (WRITE, "cancels another session's query"),
    "lo_unlink": (DESTRUCTIVE, "deletes a large object"),
    "lo_truncate": (DESTRUCTIVE, "truncates a large object"),
    "lo_truncate64": (DESTRUCTIVE, "truncates a large object"),
    "lo_export": (DESTRUCTIVE, "writes a file on the database server"),
    "lo_import": (WRITE, "reads a server file into a large object"),
    "lo_put": (WRITE, "writes a large object"),
    "lo_from_bytea": (WRITE, "creates a large object"),
    "lo_create": (WRITE, "creates a large object"),
    "pg_drop_replication_slot": (DESTRUCTIVE, "drops a replication slot"),
    "pg_replication_origin_drop": (DESTRUCTIVE, "drops a replication origin"),
    "pg_replication_slot_advance": (DESTRUCTIVE, "discards replication changes"),
    "pg_logical_slot_get_changes": (DESTRUCTIVE, "consumes replication changes"),
    "pg_logical_slot_get_binary_changes": (DESTRUCTIVE, "consumes replication changes"),
    "pg_create_logical_replication_slot": (WRITE, "creates a replication slot"),
    "pg_create_physical_replication_slot": (WRITE, "creates a replication slot"),
    "pg_promote": (DESTRUCTIVE, "promotes a standby to primary"),
    "pg_truncate_visibility_map": (DESTRUCTIVE, "truncates a visibility map"),
    "pg_file_write": (DESTRUCTIVE, "writes a file on the database server"),
    "pg_file_unlink": (DESTRUCTIVE, "deletes a file on the database server"),
    "pg_file_rename": (DESTRUCTIVE, "renames a file on the database server"),
    "pg_file_sync": (WRITE, "syncs a file on the database server"),
    "dblink_exec": (DESTRUCTIVE, "runs SQL on another server (not analysed)"),
    "dblink": (DESTRUCTIVE, "runs SQL on another server (not analysed)"),
    "dblink_send_query": (DESTRUCTIVE, "runs SQL on another server (not analysed)"),
    "pg_reload_conf": (WRITE, "reloads the server configuration"),
    "pg_rotate_logfile": (WRITE, "rotates the server log"),
    "pg_switch_wal": (WRITE, "switches the WAL file"),
    "setval": (WRITE, "sets a sequence value"),
    "pg_import_system_collations": (WRITE, "creates collations"),
}

_PRIVILEGED_ROLE_ATTRS = frozenset({"superuser", "createrole", "replication", "bypassrls"})
_PRIVILEGED_ROLES = frozenset(
    {
        "postgres",
        "rds_superuser",
        "cloudsqlsuperuser",
        "azure_pg_admin",
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_execute_server_program",
        "pg_signal_backend",
        "pg_read_all_data",
        "pg_write_all_data",
        "pg_checkpoint",
        "pg_create_subscription",
        "pg_use_reserved_connections",
    }
)

_PG_DML = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})

_PG_KINDS = {
    "matview": "materialized view",
    "foreign_table": "foreign table",
    "procedure": "function",
    "routine": "function",
    "aggregate": "function",
    "domain": "type",
}


def _pg_classify(text: str, out: _Out, depth: int) -> None:
    import pglast
    from pglast.parser import ParseError

    try:
        stmts = pglast.parse_sql(text)
    except ParseError as exc:
        # Salvage what can be read, so the targets still tell the human what the rest does;
        # the problem holds the action whatever they are.
        before = len(out.problems)
        try:
            pieces = pglast.split(text, with_parser=False)
        except Exception:  # noqa: BLE001 - best effort salvage; the problem is recorded below
            pieces = ()
        for piece in pieces:
            try:
                part = pglast.parse_sql(piece)
            except ParseError as exc2:
                out.problem(f"cannot parse SQL {_snippet(piece)!r}: {exc2}")
                continue
            for raw in part:
                _pg_top(raw.stmt, out, depth)
        if len(out.problems) == before:
            out.problem(f"cannot parse SQL {_snippet(text)!r}: {exc}")
        return
    for raw in stmts:
        _pg_top(raw.stmt, out, depth)


def _pg_top(node: Any, out: _Out, depth: int) -> None:
    """One top-level statement: it must yield a target or a problem, never nothing."""
    out.next_statement()
    before = (out.adds, len(out.problems))
    _pg_stmt(node, out, depth)
    if (out.adds, len(out.problems)) == before:
        out.problem(f"PostgreSQL statement {type(node).__name__} was not understood")


def _pg_children(node: Any) -> Iterator[Any]:
    from pglast.ast import Node

    for attr in getattr(type(node), "__slots__", ()):
        value = getattr(node, attr, None)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple | list):
            stack = list(value)
            while stack:
                item = stack.pop()
                if isinstance(item, Node):
                    yield item
                elif isinstance(item, tuple | list):
                    stack.extend(item)


def _pg_walk(node: Any, *, skip: frozenset[str] = frozenset()) -> Iterator[Any]:
    """Every node below ``node`` (not ``node`` itself), not descending into ``skip`` types."""
    stack = list(_pg_children(node))
    while stack:
        n = stack.pop()
        yield n
        if type(n).__name__ not in skip:
            stack.extend(_pg_children(n))


def _pg_scan(root: Any, out: _Out, depth: int) -> None:
    """Nested data-modifying statements and functions with side effects below ``root``."""
    stack = list(_pg_children(root))
    while stack:
        n = stack.pop()
        name = type(n).__name__
        if name in _PG_DML:
            _pg_stmt(n, out, depth + 1)
            continue
        if name == "FuncCall":
            _pg_func(n, out)
        stack.extend(_pg_children(n))


def _pg_func(node: Any, out: _Out) -> None:
    names = [getattr(s, "sval", "") for s in node.funcname or ()]
    fname = (names[-1] if names else "").lower()
    if fname in _PG_FUNCTIONS:
        risk, detail = _PG_FUNCTIONS[fname]
        out.add_db(f"sql.call.{fname}", risk, f"calls {fname}(): {detail}")
    elif fname.startswith("pg_stat_reset"):
        out.add_db(f"sql.call.{fname}", WRITE, f"calls {fname}(): resets statistics")


def _rv(rv: Any) -> str:
    """Qualified name of a RangeVar."""
    if rv is None:
        return "?"
    parts = [getattr(rv, a, None) for a in ("catalogname", "schemaname", "relname")]
    return ".".join(p for p in parts if p)


def _pg_objname(obj: Any) -> str:
    if obj is None:
        return "?"
    if isinstance(obj, tuple | list):
        return ".".join(_pg_objname(o) for o in obj)
    kind = type(obj).__name__
    if kind == "String":
        return str(obj.sval)
    if kind == "RangeVar":
        return _rv(obj)
    if kind == "ObjectWithArgs":
        return _pg_objname(obj.objname)
    if kind == "TypeName":
        return _pg_objname(obj.names)
    if kind == "RoleSpec":
        return _pg_role(obj)
    if kind == "AccessPriv":
        return str(obj.priv_name or "ALL")
    if kind == "Integer":
        return str(obj.ival)
    return "?"


def _pg_role(spec: Any) -> str:
    if spec is None:
        return "?"
    if getattr(spec, "rolename", None):
        return str(spec.rolename)
    rt = getattr(getattr(spec, "roletype", None), "name", "")
    return rt.removeprefix("ROLESPEC_").lower() or "?"


def _objtype_word(objtype: Any) -> str:
    return str(getattr(objtype, "name", "OBJECT_OBJECT")).removeprefix("OBJECT_").lower()


def _pg_relations(node: Any) -> list[str]:
    """Relations a query reads, minus its own CTE names, in order of appearance."""
    ctes = {n.ctename for n in _pg_walk(node) if type(n).__name__ == "CommonTableExpr"}
    seen: list[str] = []
    for n in _pg_walk(node, skip=frozenset({"IntoClause"})):
        if type(n).__name__ == "RangeVar":
            name = _rv(n)
            if not (n.schemaname is None and n.relname in ctes) and name not in seen:
                seen.append(name)
    return sorted(seen)


def _pg_stmt(node: Any, out: _Out, depth: int) -> None:
    if depth > _MAX_DEPTH:
        out.problem("SQL nested too deeply to analyse")
        return
    name = type(node).__name__
    handler = _PG_HANDLERS.get(name)
    if handler is None:
        handler = _pg_generic
    if handler(node, out, depth):
        _pg_scan(node, out, depth)


def _pg_generic(node: Any, out: _Out, depth: int) -> bool:
    name = type(node).__name__
    base = name.removesuffix("Stmt")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()
    if base.startswith(("Create", "Define", "Alter", "Composite", "Import", "Comment", "SecLabel")):
        kind, label = _pg_generic_object(node, out)
        out.add(kind, label, f"sql.{snake}", WRITE, f"{base} statement")
        return True
    if base.startswith("Drop"):
        kind, label = _pg_generic_object(node, out)
        out.add(kind, label, f"sql.{snake}", DESTRUCTIVE, f"{base} statement")
        return True
    out.problem(f"unrecognised PostgreSQL statement {name}")
    return False


def _pg_generic_object(node: Any, out: _Out) -> tuple[str, str]:
    rel = getattr(node, "relation", None)
    if type(rel).__name__ == "RangeVar":
        return "table", f"table {_rv(rel)}"
    for attr, kind in (
        ("schemaname", "schema"),
        ("extname", "extension"),
        ("servername", "server"),
        ("pubname", "publication"),
        ("subname", "subscription"),
        ("tablespacename", "tablespace"),
        ("trigname", "trigger"),
        ("policy_name", "policy"),
    ):
        value = getattr(node, attr, None)
        if isinstance(value, str) and value:
            return kind, f"{kind} {value}"
    for attr, kind in (("typeName", "type"), ("defnames", "object"), ("funcname", "function")):
        value = getattr(node, attr, None)
        if value:
            return kind, f"{kind} {_pg_objname(value)}"
    return "database", out.db_name


def _pg_select(node: Any, out: _Out, depth: int) -> bool:
    into = getattr(node, "intoClause", None)
    if into is not None:
        out.add(
            "table",
            f"table {_rv(into.rel)}",
            "sql.create_table",
            WRITE,
            "SELECT INTO creates a table",
        )
    rels = _pg_relations(node)
    for rel in rels:
        out.add("table", f"table {rel}", "sql.select", READ)
    if not rels:
        out.add_db("sql.select", READ)
    return True


def _pg_insert(node: Any, out: _Out, depth: int) -> bool:
    conflict = getattr(node, "onConflictClause", None)
    upsert = conflict is not None and "UPDATE" in str(getattr(conflict, "action", ""))
    out.add(
        "rows",
        f"table {_rv(node.relation)}",
        "sql.insert",
        WRITE,
        "INSERT … ON CONFLICT DO UPDATE" if upsert else "",
        reversible=not upsert,
    )
    return True


def _pg_update_delete(node: Any, out: _Out, depth: int) -> bool:
    word = "UPDATE" if type(node).__name__ == "UpdateStmt" else "DELETE"
    verb = word.lower()
    where = node.whereClause
    table = f"table {_rv(node.relation)}"
    if where is None:
        out.add("rows", table, f"sql.{verb}_all_rows", DESTRUCTIVE, f"{word} without WHERE")
    elif type(where).__name__ != "CurrentOfExpr" and _pg_truth(where) is True:
        out.add(
            "rows", table, f"sql.{verb}_all_rows", DESTRUCTIVE, f"{word} with an always-true WHERE"
        )
    else:
        out.add("rows", table, f"sql.{verb}", WRITE, reversible=False)
    return True


def _pg_merge(node: Any, out: _Out, depth: int) -> bool:
    table = f"table {_rv(node.relation)}"
    actions = {str(getattr(w.commandType, "name", "")) for w in node.mergeWhenClauses or ()}
    always = _pg_truth(node.joinCondition) is True
    if always and actions & {"CMD_DELETE", "CMD_UPDATE"}:
        out.add("rows", table, "sql.merge_all_rows", DESTRUCTIVE, "MERGE on an always-true join")
    else:
        out.add("rows", table, "sql.merge", WRITE, reversible=False)
    return True


def _pg_truncate(node: Any, out: _Out, depth: int) -> bool:
    cascade = "CASCADE" in str(getattr(node.behavior, "name", ""))
    detail = "TRUNCATE … CASCADE" if cascade else "TRUNCATE"
    for rel in node.relations or ():
        out.add("rows", f"table {_rv(rel)}", "sql.truncate", DESTRUCTIVE, detail)
    return True


def _pg_drop(node: Any, out: _Out, depth: int) -> bool:
    word = _objtype_word(node.removeType)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    risk = CATASTROPHIC if word == "schema" else DESTRUCTIVE
    cascade = "CASCADE" in str(getattr(node.behavior, "name", ""))
    detail = f"DROP {word.upper().replace('_', ' ')}" + (" … CASCADE" if cascade else "")
    for obj in node.objects or ():
        out.add(kind, f"{kind} {_pg_objname(obj)}", f"sql.drop_{word}", risk, detail)
    if not node.objects:
        out.add_db(f"sql.drop_{word}", risk, detail)
    return True


def _pg_dropdb(node: Any, out: _Out, depth: int) -> bool:
    name = str(node.dbname)
    out.add(
        "database",
        f"database {name}",
        "sql.drop_database",
        CATASTROPHIC,
        "DROP DATABASE",
        locator=with_database(out.locator, name),
    )
    return False


def _pg_createdb(node: Any, out: _Out, depth: int) -> bool:
    name = str(node.dbname)
    out.add(
        "database",
        f"database {name}",
        "sql.create_database",
        WRITE,
        locator=with_database(out.locator, name),
    )
    return False


def _pg_alterdb(node: Any, out: _Out, depth: int) -> bool:
    name = str(node.dbname)
    out.add(
        "database",
        f"database {name}",
        "sql.alter_database",
        WRITE,
        locator=with_database(out.locator, name),
    )
    return False


def _pg_droprole(node: Any, out: _Out, depth: int) -> bool:
    for role in node.roles or ():
        out.add("role", f"role {_pg_role(role)}", "sql.drop_role", CATASTROPHIC, "DROP ROLE")
    return False


def _pg_dropowned(node: Any, out: _Out, depth: int) -> bool:
    word = "DROP OWNED" if type(node).__name__ == "DropOwnedStmt" else "REASSIGN OWNED"
    verb = "sql.drop_owned" if word == "DROP OWNED" else "sql.reassign_owned"
    for role in node.roles or ():
        out.add("role", f"role {_pg_role(role)}", verb, DESTRUCTIVE, word)
    return False


def _pg_grant(node: Any, out: _Out, depth: int) -> bool:
    word = _objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    target_type = str(getattr(node.targtype, "name", ""))
    if target_type.endswith("ALL_IN_SCHEMA"):
        names = [f"all {kind}s in schema {_pg_objname(o)}" for o in node.objects or ()]
    elif target_type.endswith("DEFAULTS"):
        names = [f"default privileges on {kind}s"]
    else:
        names = [f"{kind} {_pg_objname(o)}" for o in node.objects or ()]
    grantees = [_pg_role(g) for g in node.grantees or ()]
    privs = [_pg_objname(p) for p in node.privileges] if node.privileges else ["ALL"]
    if not node.is_grant:
        for name in names or [out.db_name]:
            out.add(
                kind,
                name,
                "sql.revoke",
                DESTRUCTIVE,
                f"REVOKE {', '.join(privs)} FROM {', '.join(grantees)}",
            )
        return False
    why = []
    if not node.privileges:
        why.append("GRANT ALL")
    if "public" in grantees:
        why.append("TO PUBLIC")
    if node.grant_option:
        why.append("WITH GRANT OPTION")
    if target_type.endswith("ALL_IN_SCHEMA"):
        why.append("ON ALL … IN SCHEMA")
    detail = f"GRANT {', '.join(privs)} TO {', '.join(grantees)}"
    for name in names or [out.db_name]:
        if why:
            out.add(kind, name, "sql.grant_wide", DESTRUCTIVE, f"{detail} ({', '.join(why)})")
        else:
            out.add(kind, name, "sql.grant", WRITE, detail)
    return False


def _pg_grant_role(node: Any, out: _Out, depth: int) -> bool:
    granted = [_pg_objname(r) for r in node.granted_roles or ()]
    grantees = [_pg_role(g) for g in node.grantee_roles or ()]
    detail_roles = f"{', '.join(granted)} {'TO' if node.is_grant else 'FROM'} "
    detail = ("GRANT " if node.is_grant else "REVOKE ") + detail_roles + ", ".join(grantees)
    opts = {str(getattr(o, "defname", "")) for o in getattr(node, "opt", None) or ()}
    for grantee in grantees:
        name = f"role {grantee}"
        if not node.is_grant:
            out.add("role", name, "sql.revoke_role", DESTRUCTIVE, detail)
        elif "admin" in opts or any(r.lower() in _PRIVILEGED_ROLES for r in granted):
            out.add("role", name, "sql.grant_wide", DESTRUCTIVE, detail + " (privileged)")
        else:
            out.add("role", name, "sql.grant_role", WRITE, detail)
    return False


def _pg_default_privs(node: Any, out: _Out, depth: int) -> bool:
    return _pg_grant(node.action, out, depth)


def _pg_role_stmt(node: Any, out: _Out, depth: int) -> bool:
    create = type(node).__name__ == "CreateRoleStmt"
    role = str(node.role) if create else _pg_role(node.role)
    granted = []
    for opt in node.options or ():
        arg = getattr(opt, "arg", None)
        if opt.defname in _PRIVILEGED_ROLE_ATTRS and getattr(arg, "boolval", False):
            granted.append(opt.defname.upper())
    verb = "sql.create_role" if create else "sql.alter_role"
    if granted:
        out.add(
            "role",
            f"role {role}",
            "sql.alter_role_privileged",
            DESTRUCTIVE,
            f"gives {', '.join(granted)}",
        )
    else:
        out.add("role", f"role {role}", verb, WRITE)
    return False


def _pg_function(node: Any, out: _Out, depth: int) -> bool:
    fname = _pg_objname(node.funcname)
    kind_word = "procedure" if node.is_procedure else "function"
    language = ""
    body_text: str | None = None
    for opt in node.options or ():
        if opt.defname == "language":
            language = str(getattr(opt.arg, "sval", "")).lower()
        elif opt.defname == "as":
            parts = opt.arg if isinstance(opt.arg, tuple | list) else (opt.arg,)
            if len(parts) == 1:
                body_text = str(getattr(parts[0], "sval", ""))
    name = f"function {fname}"
    if language == "sql" or (not language and node.sql_body is not None):
        sub = out.child()
        if type(node.sql_body).__name__ == "ReturnStmt":
            _pg_scan(node.sql_body, sub, depth + 1)
        elif node.sql_body is not None:
            for stmt in _pg_flatten(node.sql_body):
                _pg_stmt(stmt, sub, depth + 1)
        elif body_text is not None:
            _classify(body_text, "postgresql", sub, depth + 1)
        else:
            sub.problem(f"{kind_word} {fname}: cannot see its SQL body")
        for problem in sub.problems:
            out.problem(f"{kind_word} {fname}: {problem}")
        risk = max(WRITE, sub.worst)
        worst = [t for t in sub.targets if t.risk == risk and t.risk > WRITE]
        detail = f"SQL {kind_word}" + (f" whose body does {worst[0].verb}" if worst else "")
        out.add("function", name, "sql.create_function", risk, detail)
    else:
        out.add(
            "function",
            name,
            "sql.create_function",
            DESTRUCTIVE,
            f"{kind_word} body in {language or 'an unknown language'} is not analysed",
        )
    return False


def _pg_rule(node: Any, out: _Out, depth: int) -> bool:
    out.add(
        "table",
        f"table {_rv(node.relation)}",
        "sql.create_rule",
        WRITE,
        f"rule {node.rulename}: its actions are classified as if they ran",
    )
    return True


def _pg_flatten(items: Any) -> Iterator[Any]:
    if isinstance(items, tuple | list):
        for item in items:
            yield from _pg_flatten(item)
    elif items is not None:
        yield items


def _pg_do(node: Any, out: _Out, depth: int) -> bool:
    language = "plpgsql"
    for opt in node.args or ():
        if opt.defname == "language":
            language = str(getattr(opt.arg, "sval", language))
    out.add_db("sql.do_block", DESTRUCTIVE, f"DO block in {language}: procedural code not analysed")
    return False


def _pg_call(node: Any, out: _Out, depth: int) -> bool:
    fname = _pg_objname(node.funccall.funcname) if node.funccall else "?"
    out.add(
        "function",
        f"procedure {fname}",
        "sql.call",
        DESTRUCTIVE,
        "CALL runs a procedure whose body is not visible here",
    )
    return True


def _pg_copy(node: Any, out: _Out, depth: int) -> bool:
    if node.relation is not None:
        what, kind = f"table {_rv(node.relation)}", "rows"
    else:
        what, kind = "query", "database"
    target = repr(node.filename) if node.filename else ("STDIN" if node.is_from else "STDOUT")
    if node.is_program:
        direction = "FROM" if node.is_from else "TO"
        out.add(
            kind,
            what if node.relation is not None else out.db_name,
            "sql.copy_program",
            DESTRUCTIVE,
            f"COPY … {direction} PROGRAM {target} runs a program on the database server",
        )
    elif node.is_from:
        out.add(kind, what, "sql.copy_from", WRITE, f"COPY … FROM {target}")
    elif node.filename:
        out.add(
            "database",
            out.db_name,
            "sql.copy_to_file",
            DESTRUCTIVE,
            f"COPY … TO {target} writes a file on the database server",
        )
    if node.query is not None:
        _pg_stmt(node.query, out, depth + 1)
    elif not node.is_from:
        out.add("table", what, "sql.copy_to", READ)
    return False


def _pg_explain(node: Any, out: _Out, depth: int) -> bool:
    analyze = False
    for opt in node.options or ():
        if opt.defname == "analyze":
            arg = getattr(opt, "arg", None)
            analyze = arg is None or _pg_const_truth(arg) is not False
    if analyze:
        sub = out.child()
        _pg_stmt(node.query, sub, depth + 1)
        for t in sub.targets:
            extra = "EXPLAIN ANALYZE runs the statement"
            detail = f"{t.detail}; {extra}" if t.detail else extra
            out.add(
                t.kind, t.name, t.verb, t.risk, detail, locator=t.locator, reversible=t.reversible
            )
        for problem in sub.problems:
            out.problem(problem)
    else:
        out.add_db("sql.explain", READ, "EXPLAIN without ANALYZE does not run the statement")
    return False


def _pg_prepare(node: Any, out: _Out, depth: int) -> bool:
    out.prepared.add(str(node.name))
    _pg_stmt(node.query, out, depth + 1)
    return False


def _pg_execute(node: Any, out: _Out, depth: int) -> bool:
    if str(node.name) in out.prepared:
        out.add_db("sql.execute", READ, f"EXECUTE {node.name} (classified at PREPARE)")
    else:
        out.problem(f"EXECUTE {node.name}: the prepared statement is not visible here")
    return False


def _pg_cursor(node: Any, out: _Out, depth: int) -> bool:
    _pg_stmt(node.query, out, depth + 1)
    return False


def _pg_set(node: Any, out: _Out, depth: int) -> bool:
    name = str(getattr(node, "name", "") or "")
    if name == "session_replication_role":
        out.add_db("sql.set", WRITE, "session_replication_role turns off triggers and FK checks")
    else:
        out.add_db("sql.set", READ, f"SET {name}".strip())
    return True


def _pg_alter_table(node: Any, out: _Out, depth: int) -> bool:
    word = _objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    rel = _rv(node.relation)
    for cmd in node.cmds or ():
        sub = str(getattr(cmd.subtype, "name", "")).removeprefix("AT_")
        if sub == "DropColumn":
            out.add(
                "column",
                f"column {rel}.{cmd.name}",
                "sql.drop_column",
                DESTRUCTIVE,
                f"ALTER {word.upper()} … DROP COLUMN",
            )
        elif sub in ("DisableRowSecurity", "NoForceRowSecurity"):
            out.add(
                kind,
                f"{kind} {rel}",
                "sql.disable_row_security",
                DESTRUCTIVE,
                "turns off row-level security",
            )
        elif sub == "AlterColumnType":
            out.add(
                "column",
                f"column {rel}.{cmd.name}",
                "sql.alter_column_type",
                WRITE,
                "changes a column's type (rewrites its data)",
                reversible=False,
            )
        else:
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", sub).lower()
            out.add(kind, f"{kind} {rel}", f"sql.alter_table.{snake}", WRITE)
    if not node.cmds:
        out.add(kind, f"{kind} {rel}", "sql.alter_table", WRITE)
    return True


def _pg_rename(node: Any, out: _Out, depth: int) -> bool:
    word = _objtype_word(node.renameType)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    if node.relation is not None:
        old = _rv(node.relation)
    elif node.object is not None:
        old = _pg_objname(node.object)
    else:
        old = str(node.subname or "?")
    if word == "database":
        out.add(
            "database",
            f"database {old}",
            "sql.rename",
            WRITE,
            f"RENAME TO {node.newname}",
            locator=with_database(out.locator, old),
        )
    else:
        out.add(kind, f"{kind} {old}", "sql.rename", WRITE, f"RENAME TO {node.newname}")
    return False


def _pg_rels_or_db(verb: str, risk: Risk, detail: str = "", attr: str = "relations") -> Any:
    def handler(node: Any, out: _Out, depth: int) -> bool:
        rels = []
        for item in getattr(node, attr, None) or ():
            rv = getattr(item, "relation", item)
            if type(rv).__name__ == "RangeVar":
                rels.append(_rv(rv))
        single = getattr(node, "relation", None)
        if type(single).__name__ == "RangeVar":
            rels.append(_rv(single))
        for rel in rels:
            out.add("table", f"table {rel}", verb, risk, detail)
        if not rels:
            out.add_db(verb, risk, detail)
        return True

    return handler


def _pg_db(verb: str, risk: Risk, detail: str = "") -> Any:
    def handler(node: Any, out: _Out, depth: int) -> bool:
        out.add_db(verb, risk, detail)
        return True

    return handler


def _pg_create_table(node: Any, out: _Out, depth: int) -> bool:
    out.add("table", f"table {_rv(node.relation)}", "sql.create_table", WRITE)
    return True


def _pg_create_table_as(node: Any, out: _Out, depth: int) -> bool:
    word = _objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    out.add(kind, f"{kind} {_rv(node.into.rel)}", f"sql.create_{word}", WRITE)
    return True


def _pg_view(node: Any, out: _Out, depth: int) -> bool:
    out.add("view", f"view {_rv(node.view)}", "sql.create_view", WRITE)
    return True


def _pg_index(node: Any, out: _Out, depth: int) -> bool:
    out.add(
        "index",
        f"index {node.idxname or '(unnamed)'} on {_rv(node.relation)}",
        "sql.create_index",
        WRITE,
    )
    return True


def _pg_create_schema(node: Any, out: _Out, depth: int) -> bool:
    out.add(
        "schema", f"schema {node.schemaname or _pg_role(node.authrole)}", "sql.create_schema", WRITE
    )
    for elt in node.schemaElts or ():
        _pg_stmt(elt, out, depth + 1)
    return False


_PG_HANDLERS: dict[str, Any] = {
    "SelectStmt": _pg_select,
    "InsertStmt": _pg_insert,
    "UpdateStmt": _pg_update_delete,
    "DeleteStmt": _pg_update_delete,
    "MergeStmt": _pg_merge,
    "TruncateStmt": _pg_truncate,
    "DropStmt": _pg_drop,
    "DropdbStmt": _pg_dropdb,
    "CreatedbStmt": _pg_createdb,
    "AlterDatabaseStmt": _pg_alterdb,
    "AlterDatabaseSetStmt": _pg_alterdb,
    "AlterDatabaseRefreshCollStmt": _pg_alterdb,
    "DropRoleStmt": _pg_droprole,
    "DropOwnedStmt": _pg_dropowned,
    "ReassignOwnedStmt": _pg_dropowned,
    "GrantStmt": _pg_grant,
    "GrantRoleStmt": _pg_grant_role,
    "AlterDefaultPrivilegesStmt": _pg_default_privs,
    "CreateRoleStmt": _pg_role_stmt,
    "AlterRoleStmt": _pg_role_stmt,
    "CreateFunctionStmt": _pg_function,
    "RuleStmt": _pg_rule,
    "DoStmt": _pg_do,
    "CallStmt": _pg_call,
    "CopyStmt": _pg_copy,
    "ExplainStmt": _pg_explain,
    "PrepareStmt": _pg_prepare,
    "ExecuteStmt": _pg_execute,
    "DeclareCursorStmt": _pg_cursor,
    "VariableSetStmt": _pg_set,
    "VariableShowStmt": _pg_db("sql.show", READ),
    "TransactionStmt": _pg_db("sql.transaction", READ),
    "FetchStmt": _pg_db("sql.fetch", READ),
    "ClosePortalStmt": _pg_db("sql.close", READ),
    "DeallocateStmt": _pg_db("sql.deallocate", READ),
    "DiscardStmt": _pg_db("sql.discard", READ),
    "ListenStmt": _pg_db("sql.listen", READ),
    "UnlistenStmt": _pg_db("sql.unlisten", READ),
    "ConstraintsSetStmt": _pg_db("sql.set_constraints", READ),
    "CheckPointStmt": _pg_db("sql.checkpoint", WRITE),
    "NotifyStmt": _pg_db("sql.notify", WRITE),
    "AlterSystemStmt": _pg_db("sql.alter_system", WRITE, "changes the server configuration"),
    "LoadStmt": _pg_db("sql.load", DESTRUCTIVE, "LOAD loads a shared library into the server"),
    "LockStmt": _pg_rels_or_db("sql.lock", WRITE, "LOCK blocks other sessions"),
    "VacuumStmt": _pg_rels_or_db("sql.vacuum", WRITE, attr="rels"),
    "ClusterStmt": _pg_rels_or_db("sql.cluster", WRITE),
    "ReindexStmt": _pg_rels_or_db("sql.reindex", WRITE),
    "RefreshMatViewStmt": _pg_rels_or_db("sql.refresh_materialized_view", WRITE),
    "AlterTableStmt": _pg_alter_table,
    "RenameStmt": _pg_rename,
    "CreateStmt": _pg_create_table,
    "CreateTableAsStmt": _pg_create_table_as,
    "ViewStmt": _pg_view,
    "IndexStmt": _pg_index,
    "CreateSchemaStmt": _pg_create_schema,
}


def _pg_const(node: Any) -> tuple[bool, Any]:
    """(is_constant, value) of an A_Const; value None is SQL NULL."""
    if type(node).__name__ != "A_Const":
        return False, None
    if node.isnull:
        return True, None
    val = node.val
    kind = type(val).__name__
    if kind == "Integer":
        return True, int(val.ival)
    if kind == "Float":
        try:
            return True, float(val.fval)
        except ValueError:
            return False, None
    if kind == "Boolean":
        return True, bool(val.boolval)
    if kind == "String":
        return True, str(val.sval)
    return False, None


_TRUE_WORDS = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"f", "false", "n", "no", "off", "0"})


def _value_truth(value: Any) -> bool | None:
    if value is None:
        return False  # WHERE NULL selects nothing
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        try:
            return float(word) != 0
        except ValueError:
            return None
    return None


def _pg_const_truth(node: Any) -> bool | None:
    kind = type(node).__name__
    if kind == "Boolean":
        return bool(node.boolval)
    if kind == "Integer":
        return node.ival != 0
    if kind == "String":
        return _value_truth(node.sval)
    return None


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, bool) != isinstance(b, bool):
        return None
    if isinstance(a, str) != isinstance(b, str):
        return None
    try:
        if op == "=":
            return bool(a == b)
        if op in ("<>", "!="):
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == ">":
            return bool(a > b)
        if op == "<=":
            return bool(a <= b)
        if op == ">=":
            return bool(a >= b)
    except TypeError:
        return None
    return None


def _combine(boolop: str, values: Iterable[bool | None]) -> bool | None:
    vals = list(values)
    if boolop == "or":
        if any(v is True for v in vals):
            return True
        if vals and all(v is False for v in vals):
            return False
        return None
    if boolop == "and":
        if vals and all(v is True for v in vals):
            return True
        if any(v is False for v in vals):
            return False
        return None
    if boolop == "not" and len(vals) == 1:
        return None if vals[0] is None else not vals[0]
    return None


def _pg_truth(node: Any) -> bool | None:
    """True if the condition holds for every row, False if for none, None if unknown."""
    kind = type(node).__name__
    if kind == "A_Const":
        is_const, value = _pg_const(node)
        return _value_truth(value) if is_const else None
    if kind == "TypeCast":
        return _pg_truth(node.arg)
    if kind == "BoolExpr":
        op = str(getattr(node.boolop, "name", "")).removesuffix("_EXPR").lower()
        return _combine(op, (_pg_truth(a) for a in node.args or ()))
    if kind == "NullTest":
        is_const, value = _pg_const(node.arg)
        if not is_const:
            return None
        is_null = value is None
        wants_null = str(getattr(node.nulltesttype, "name", "")) == "IS_NULL"
        return is_null == wants_null
    if kind == "BooleanTest":
        inner = _pg_truth(node.arg)
        test = str(getattr(node.booltesttype, "name", ""))
        if inner is None:
            return None
        return {
            "IS_TRUE": inner,
            "IS_NOT_FALSE": inner,
            "IS_FALSE": not inner,
            "IS_NOT_TRUE": not inner,
        }.get(test)
    if kind == "SubLink":
        sub = node.subselect
        if (
            str(getattr(node.subLinkType, "name", "")) == "EXISTS_SUBLINK"
            and type(sub).__name__ == "SelectStmt"
            and not sub.fromClause
            and sub.whereClause is None
            and sub.havingClause is None
            and sub.limitCount is None
            and sub.valuesLists is None
            and str(getattr(sub.op, "name", "")) == "SETOP_NONE"
        ):
            return True
        return None
    if kind == "A_Expr":
        akind = str(getattr(node.kind, "name", ""))
        op = _pg_objname(node.name[-1]) if node.name else ""
        left, right = node.lexpr, node.rexpr
        if akind == "AEXPR_OP":
            if left is not None and right is not None and left == right:
                if op in ("=", "<=", ">="):
                    return True
                if op in ("<>", "!=", "<", ">"):
                    return False
            lc, lv = _pg_const(left)
            rc, rv = _pg_const(right)
            if lc and rc:
                return _compare(op, lv, rv)
            return None
        if akind == "AEXPR_NOT_DISTINCT" and left == right:
            return True
        if akind == "AEXPR_DISTINCT" and left == right:
            return False
        if akind in ("AEXPR_LIKE", "AEXPR_ILIKE") and op in ("~~", "~~*"):
            rc, rv = _pg_const(right)
            if rc and isinstance(rv, str) and rv and set(rv) == {"%"}:
                return True
        return None
    return None


# --------------------------------------------------------------------------- MySQL / SQLite

_GLOT_FUNCTIONS: dict[str, tuple[Risk, str]] = {
    "sys_exec": (DESTRUCTIVE, "runs a shell command on the database server"),
    "sys_eval": (DESTRUCTIVE, "runs a shell command on the database server"),
    "load_extension": (DESTRUCTIVE, "loads native code into the database engine"),
    "writefile": (DESTRUCTIVE, "writes a file"),
    "edit": (DESTRUCTIVE, "runs an editor"),
}

_READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
        "function_list",
        "module_list",
        "pragma_list",
        "database_list",
        "collation_list",
        "compile_options",
        "cell_size_check",
    }
)
_ACTION_PRAGMAS = frozenset({"incremental_vacuum", "optimize", "wal_checkpoint", "shrink_memory"})

_MYSQL_EXEC_COMMENT = re.compile(r"/\*M?!\d*(.*?)\*/", re.DOTALL)

_GLOT_LOGGER_FILTERED = False


def _quiet_sqlglot() -> None:
    """sqlglot logs a warning for every statement it parses as a generic Command."""
    global _GLOT_LOGGER_FILTERED
    if _GLOT_LOGGER_FILTERED:
        return

    class _DropFallback(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "Falling back to parsing as a 'Command'" not in record.getMessage()

    logging.getLogger("sqlglot").addFilter(_DropFallback())
    _GLOT_LOGGER_FILTERED = True


def _glot_classify(text: str, dialect: str, out: _Out, depth: int) -> None:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError

    _quiet_sqlglot()
    if dialect == "mysql" and "/*" in text:
        # MySQL runs the body of /*! … */ comments: make it visible
        text = _MYSQL_EXEC_COMMENT.sub(lambda m: " " + m.group(1) + " ", text)
    d = Dialect.get_or_raise(dialect)
    try:
        tokens = d.tokenize(text)
    except SqlglotError as exc:
        out.problem(f"cannot tokenize SQL {_snippet(text)!r}: {_first_line(exc)}")
        return
    chunks: list[list[Any]] = [[]]
    for tok in tokens:
        if tok.token_type.name == "SEMICOLON":
            chunks.append([])
        else:
            chunks[-1].append(tok)
    for chunk in chunks:
        if not chunk:
            continue
        out.next_statement()
        stmt_text = text[chunk[0].start : chunk[-1].end + 1]
        words = [t.text.upper() for t in chunk[:4]]
        try:
            parsed = [e for e in d.parse(stmt_text) if e is not None]
        except SqlglotError:
            parsed = []
            if not _glot_keyword(words, chunk, stmt_text, out):
                out.problem(f"cannot parse SQL {_snippet(stmt_text)!r}")
            continue
        before = (out.adds, len(out.problems))
        for expr in parsed:
            _glot_stmt(expr, words, chunk, stmt_text, out, depth)
        if (out.adds, len(out.problems)) == before:
            out.problem(f"SQL statement not understood: {_snippet(stmt_text)!r}")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _glot_table(t: Any) -> tuple[str, str]:
    """(qualified name, database part) of a sqlglot Table."""
    parts = [p for p in (t.catalog, t.db, t.name) if p]
    return ".".join(parts) or "?", t.db or ""


def _glot_add_table(
    out: _Out, t: Any, kind: str, verb: str, risk: Risk, detail: str = "", **kw: Any
) -> None:
    name, db = _glot_table(t)
    loc = with_database(out.locator, db) if db and out.dialect == "mysql" else None
    out.add(kind, f"table {name}", verb, risk, detail, locator=loc, **kw)


def _glot_scan(expr: Any, out: _Out) -> None:
    from sqlglot import exp

    for fn in expr.find_all(exp.Anonymous):
        fname = str(fn.name).lower()
        if fname in _GLOT_FUNCTIONS:
            risk, detail = _GLOT_FUNCTIONS[fname]
            out.add_db(f"sql.call.{fname}", risk, f"calls {fname}(): {detail}")


def _glot_tables(expr: Any) -> list[Any]:
    from sqlglot import exp

    ctes = {c.alias_or_name for c in expr.find_all(exp.CTE)}
    seen: dict[str, Any] = {}
    for t in expr.find_all(exp.Table):
        if not t.name or (not t.db and t.name in ctes):
            continue
        if isinstance(t.parent, exp.Into):
            continue
        seen.setdefault(_glot_table(t)[0], t)
    return [seen[k] for k in sorted(seen)]


def _glot_truth(node: Any) -> bool | None:
    from sqlglot import exp

    if node is None:
        return None
    if isinstance(node, exp.Where):
        return _glot_truth(node.this)
    if isinstance(node, exp.Paren):
        return _glot_truth(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return False
    if isinstance(node, exp.Literal):
        if node.is_string:
            return _value_truth(node.this) if _is_number(node.this) else None
        return _value_truth(_number(node.this))
    if isinstance(node, exp.Not):
        return _combine("not", [_glot_truth(node.this)])
    if isinstance(node, exp.Or):
        return _combine("or", [_glot_truth(node.this), _glot_truth(node.expression)])
    if isinstance(node, exp.And):
        return _combine("and", [_glot_truth(node.this), _glot_truth(node.expression)])
    if isinstance(node, exp.Is):
        left, right = node.this, node.expression
        if isinstance(right, exp.Null) and isinstance(left, exp.Null | exp.Literal | exp.Boolean):
            return isinstance(left, exp.Null)
        if isinstance(right, exp.Boolean):
            inner = _glot_truth(left)
            return None if inner is None else inner == bool(right.this)
        return None
    if isinstance(node, exp.Like | exp.ILike):
        pat = node.expression
        if isinstance(pat, exp.Literal) and pat.is_string and pat.this and set(pat.this) == {"%"}:
            return True
        return None
    if isinstance(node, exp.Exists):
        sub = node.this
        if (
            isinstance(sub, exp.Select)
            and not sub.args.get("from_")
            and not sub.args.get("from")
            and not sub.args.get("where")
            and not sub.args.get("having")
            and not sub.args.get("limit")
        ):
            return True
        return None
    ops = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    for cls, op in ops.items():
        if type(node) is cls:
            left, right = node.this, node.expression
            if left == right:
                return op in ("=", "<=", ">=")
            lv, rv = _glot_const(left), _glot_const(right)
            if lv is not _NOCONST and rv is not _NOCONST:
                return _compare(op, lv, rv)
            return None
    if isinstance(node, exp.NullSafeEQ) and node.this == node.expression:
        return True
    return None


_NOCONST = object()


def _is_number(text: Any) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _number(text: Any) -> float | int | None:
    try:
        return int(str(text))
    except ValueError:
        try:
            return float(str(text))
        except ValueError:
            return None


def _glot_const(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _glot_const(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return str(node.this) if node.is_string else _number(node.this)
    return _NOCONST


def _glot_where(node: Any, table_exprs: list[Any], word: str, out: _Out, limit: bool) -> None:
    """UPDATE/DELETE: destructive without a real filter."""
    from sqlglot import exp

    where = node.args.get("where")
    verb = word.lower()
    condition: Any = where
    if where is None:
        # DELETE t1 FROM t1 JOIN t2 ON …: the join condition filters
        ons = [j.args.get("on") for j in node.find_all(exp.Join) if j.args.get("on") is not None]
        if ons:
            truths = [_glot_truth(o) for o in ons]
            condition = None if all(t is True for t in truths) else ons[0]
    if condition is None:
        detail = f"{word} without WHERE" + (" (LIMIT only)" if limit else "")
        for t in table_exprs:
            _glot_add_table(out, t, "rows", f"sql.{verb}_all_rows", DESTRUCTIVE, detail)
    elif where is not None and _glot_truth(where) is True:
        for t in table_exprs:
            _glot_add_table(
                out,
                t,
                "rows",
                f"sql.{verb}_all_rows",
                DESTRUCTIVE,
                f"{word} with an always-true WHERE",
            )
    else:
        for t in table_exprs:
            _glot_add_table(out, t, "rows", f"sql.{verb}", WRITE, reversible=False)


def _glot_stmt(
    expr: Any, words: list[str], chunk: list[Any], text: str, out: _Out, depth: int
) -> None:
    from sqlglot import exp

    if isinstance(expr, exp.Select | exp.SetOperation | exp.Values):
        into = expr.args.get("into")
        if into is not None and isinstance(into.this, exp.Table) and into.this.name:
            _glot_add_table(out, into.this, "table", "sql.create_table", WRITE, "SELECT INTO")
        tables = _glot_tables(expr)
        for t in tables:
            _glot_add_table(out, t, "table", "sql.select", READ)
        if not tables:
            out.add_db("sql.select", READ)
    elif isinstance(expr, exp.Insert):
        replace = str(expr.args.get("alternative") or "").upper() == "REPLACE"
        upsert = expr.args.get("conflict") is not None
        table = expr.this.find(exp.Table) if not isinstance(expr.this, exp.Table) else expr.this
        if table is None:
            out.problem(f"INSERT into something we cannot name: {_snippet(text)!r}")
        else:
            detail = "INSERT OR REPLACE" if replace else ("upsert" if upsert else "")
            _glot_add_table(
                out, table, "rows", "sql.insert", WRITE, detail, reversible=not (replace or upsert)
            )
    elif isinstance(expr, exp.Update):
        tables = (
            [expr.this] if isinstance(expr.this, exp.Table) else list(expr.this.find_all(exp.Table))
        )
        _glot_where(expr, tables, "UPDATE", out, expr.args.get("limit") is not None)
    elif isinstance(expr, exp.Delete):
        tables = list(expr.args.get("tables") or []) or (
            [expr.this] if isinstance(expr.this, exp.Table) else []
        )
        if not tables:
            out.problem(f"DELETE from something we cannot name: {_snippet(text)!r}")
        _glot_where(expr, tables, "DELETE", out, expr.args.get("limit") is not None)
    elif isinstance(expr, exp.Merge):
        table = expr.this if isinstance(expr.this, exp.Table) else None
        if table is not None:
            _glot_add_table(out, table, "rows", "sql.merge", WRITE, reversible=False)
        else:
            out.problem(f"MERGE into something we cannot name: {_snippet(text)!r}")
    elif isinstance(expr, exp.TruncateTable):
        for t in expr.expressions:
            _glot_add_table(out, t, "rows", "sql.truncate", DESTRUCTIVE, "TRUNCATE")
    elif isinstance(expr, exp.Drop):
        _glot_drop(expr, out)
    elif isinstance(expr, exp.Create):
        _glot_create(expr, words, out)
    elif isinstance(expr, exp.Alter):
        _glot_alter(expr, text, out)
    elif isinstance(expr, exp.Grant):
        _glot_grant(expr, out)
    elif isinstance(expr, exp.Revoke):
        out.add_db("sql.revoke", DESTRUCTIVE, _snippet(text))
    elif isinstance(expr, exp.Use):
        name = expr.this.name if expr.this is not None else ""
        if name:
            out.use_database(name)
        out.add_db("sql.use", READ)
    elif isinstance(expr, exp.Set):
        kinds = {str(i.args.get("kind") or "").upper() for i in expr.expressions}
        if kinds & {"GLOBAL", "PERSIST", "PERSIST_ONLY"}:
            out.add_db("sql.set_global", WRITE, "changes the server configuration")
        else:
            out.add_db("sql.set", READ)
    elif isinstance(expr, exp.Show | exp.Describe):
        out.add_db("sql.show", READ)
    elif isinstance(expr, exp.Transaction | exp.Commit | exp.Rollback) or (
        type(expr).__name__ == "EndStatement"
    ):
        out.add_db("sql.transaction", READ)
    elif isinstance(expr, exp.Pragma):
        _glot_pragma(expr, text, out)
    elif isinstance(expr, exp.Attach):
        out.add_db("sql.attach", WRITE, "ATTACH opens (or creates) another database file")
    elif isinstance(expr, exp.Detach):
        out.add_db("sql.detach", READ)
    elif isinstance(expr, exp.Analyze):
        out.add_db("sql.analyze", WRITE)
    elif isinstance(expr, exp.Kill):
        out.add_db("sql.kill", DESTRUCTIVE, "KILL ends another session")
    elif isinstance(expr, exp.Comment):
        out.add_db("sql.comment", WRITE)
    else:
        # Commands sqlglot does not model, and things it read as bare expressions
        # ("SHUTDOWN" parses as a column name): classify by the leading keywords or hold.
        if not _glot_keyword(words, chunk, text, out):
            out.problem(f"unrecognised SQL statement {_snippet(text)!r}")
        return
    _glot_scan(expr, out)


def _glot_drop(expr: Any, out: _Out) -> None:
    from sqlglot import exp

    kind_word = str(expr.args.get("kind") or "").upper()
    word = kind_word.lower().replace(" ", "_") or "object"
    tables = list(expr.args.get("tables") or [])
    if kind_word in ("DATABASE", "SCHEMA"):
        for t in tables or [None]:
            name = (t.db or t.name) if isinstance(t, exp.Table) else ""
            if out.dialect == "mysql" or kind_word == "DATABASE":
                out.add(
                    "database",
                    f"database {name or '?'}",
                    "sql.drop_database",
                    CATASTROPHIC,
                    f"DROP {kind_word}",
                    locator=with_database(out.locator, name) if name else None,
                )
            else:
                out.add(
                    "schema",
                    f"schema {name or '?'}",
                    "sql.drop_schema",
                    CATASTROPHIC,
                    "DROP SCHEMA",
                )
        return
    kind = {"MATERIALIZED_VIEW": "materialized view", "PROCEDURE": "function"}.get(
        kind_word, word.replace("_", " ")
    )
    detail = f"DROP {kind_word}" + (" … CASCADE" if expr.args.get("cascade") else "")
    for t in tables:
        if isinstance(t, exp.Table):
            name, db = _glot_table(t)
            loc = with_database(out.locator, db) if db and out.dialect == "mysql" else None
            out.add(kind, f"{kind} {name}", f"sql.drop_{word}", DESTRUCTIVE, detail, locator=loc)
        else:
            out.add(kind, f"{kind} {t.sql()}", f"sql.drop_{word}", DESTRUCTIVE, detail)
    if not tables:
        out.add_db(f"sql.drop_{word}", DESTRUCTIVE, detail)


def _glot_create(expr: Any, words: list[str], out: _Out) -> None:
    from sqlglot import exp

    kind_word = str(expr.args.get("kind") or "").upper()
    word = kind_word.lower().replace(" ", "_") or "object"
    target = expr.this
    table = (
        target
        if isinstance(target, exp.Table)
        else (target.find(exp.Table) if target is not None else None)
    )
    name = _glot_table(table)[0] if table is not None else (target.sql() if target else "?")
    if kind_word in ("DATABASE", "SCHEMA") and out.dialect == "mysql":
        db = (table.db or table.name) if table is not None else ""
        out.add(
            "database",
            f"database {db or '?'}",
            "sql.create_database",
            WRITE,
            locator=with_database(out.locator, db) if db else None,
        )
        return
    if kind_word in ("FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"):
        out.add(
            "function",
            f"{word} {name}",
            f"sql.create_{word}",
            DESTRUCTIVE,
            f"{word} body is not analysed",
        )
        return
    if expr.args.get("replace") and kind_word == "TABLE":
        out.add(
            "table",
            f"table {name}",
            "sql.create_table",
            DESTRUCTIVE,
            "CREATE OR REPLACE TABLE drops the existing table",
        )
        return
    kind = {"INDEX": "index", "VIEW": "view", "TABLE": "table"}.get(kind_word, word)
    out.add(kind, f"{kind} {name}", f"sql.create_{word}", WRITE)


def _glot_alter(expr: Any, text: str, out: _Out) -> None:
    from sqlglot import exp

    table = expr.this if isinstance(expr.this, exp.Table) else None
    name = _glot_table(table)[0] if table is not None else "?"
    actions = list(expr.args.get("actions") or [])
    for opt in expr.args.get("options") or []:
        if isinstance(opt, exp.EngineProperty) and str(opt.name).upper() == "BLACKHOLE":
            out.add(
                "table",
                f"table {name}",
                "sql.alter_table.engine",
                DESTRUCTIVE,
                "ENGINE=BLACKHOLE discards every row",
            )
    for action in actions:
        if isinstance(action, exp.Drop):
            kind_word = str(action.args.get("kind") or "").upper()
            if kind_word == "COLUMN":
                for col in action.args.get("tables") or []:
                    out.add(
                        "column",
                        f"column {name}.{col.name}",
                        "sql.drop_column",
                        DESTRUCTIVE,
                        "ALTER TABLE … DROP COLUMN",
                    )
            elif kind_word == "PARTITION":
                out.add(
                    "table",
                    f"table {name}",
                    "sql.drop_partition",
                    DESTRUCTIVE,
                    "ALTER TABLE … DROP PARTITION",
                )
            else:
                out.add(
                    "table",
                    f"table {name}",
                    "sql.alter_table.drop_" + (kind_word.lower().replace(" ", "_") or "object"),
                    WRITE,
                )
        elif isinstance(action, exp.ModifyColumn | exp.AlterColumn):
            out.add(
                "table",
                f"table {name}",
                "sql.alter_column",
                WRITE,
                "changes a column definition",
                reversible=False,
            )
        elif isinstance(action, exp.AlterRename | exp.RenameColumn):
            out.add("table", f"table {name}", "sql.rename", WRITE)
        else:
            out.add("table", f"table {name}", "sql.alter_table", WRITE)
    if not actions:
        out.add("table", f"table {name}", "sql.alter_table", WRITE)


def _glot_grant(expr: Any, out: _Out) -> None:
    from sqlglot import exp

    privs = [
        str(p.this.name if isinstance(p.this, exp.Expression) else p.this).upper()
        for p in expr.args.get("privileges") or []
    ]
    securable = expr.args.get("securable")
    on = securable.sql() if securable is not None else "?"
    principals = [p.sql() for p in expr.args.get("principals") or []]
    why = []
    if any(p.startswith("ALL") for p in privs):
        why.append("GRANT ALL")
    if expr.args.get("grant_option"):
        why.append("WITH GRANT OPTION")
    if any(p in ("SUPER", "FILE", "PROCESS", "SHUTDOWN", "GRANT OPTION") for p in privs):
        why.append("privileged")
    if "*" in on or any(p.upper() == "PUBLIC" for p in principals):
        why.append("wildcard")
    detail = f"GRANT {', '.join(privs)} ON {on} TO {', '.join(principals)}"
    if why:
        out.add_db("sql.grant_wide", DESTRUCTIVE, f"{detail} ({', '.join(why)})")
    else:
        out.add_db("sql.grant", WRITE, detail)


def _glot_pragma(expr: Any, text: str, out: _Out) -> None:
    m = re.match(r"\s*PRAGMA\s+(?:[\w\"`\[\]]+\.)?([\w]+)\s*(=|\()?", text, re.IGNORECASE)
    name = m.group(1).lower() if m else ""
    op = m.group(2) if m else None
    if name == "writable_schema" and op:
        out.add_db("sql.pragma", DESTRUCTIVE, "PRAGMA writable_schema can corrupt the database")
    elif name in _READ_PRAGMAS:
        out.add_db("sql.pragma", READ, f"PRAGMA {name}")
    elif name in _ACTION_PRAGMAS or op == "=" or (op == "(" and name not in _READ_PRAGMAS):
        out.add_db("sql.pragma", WRITE, f"PRAGMA {name}")
    else:
        out.add_db("sql.pragma", READ, f"PRAGMA {name}")


# Statements sqlglot does not model (or parses as a bare expression), by leading keywords:
# (words, verb, risk, detail). Only keywords that bound what the statement can do.
_KEYWORDS: tuple[tuple[tuple[str, ...], str, Risk, str], ...] = (
    (("SHUTDOWN",), "sql.shutdown", DESTRUCTIVE, "stops the database server"),
    (("RESTART",), "sql.restart", DESTRUCTIVE, "restarts the database server"),
    (("KILL",), "sql.kill", DESTRUCTIVE, "ends another session"),
    (("PURGE",), "sql.purge", DESTRUCTIVE, "deletes binary logs"),
    (("RESET", "QUERY"), "sql.reset", WRITE, "resets the query cache"),
    (("RESET",), "sql.reset", DESTRUCTIVE, "RESET MASTER/REPLICA deletes logs or state"),
    (("INSTALL",), "sql.install_plugin", DESTRUCTIVE, "loads server code"),
    (("UNINSTALL",), "sql.uninstall_plugin", DESTRUCTIVE, "unloads server code"),
    (("FLUSH",), "sql.flush", WRITE, ""),
    (("LOAD", "DATA"), "sql.load_data", WRITE, "LOAD DATA inserts rows"),
    (("LOAD", "XML"), "sql.load_data", WRITE, "LOAD XML inserts rows"),
    (("LOAD", "INDEX"), "sql.load_index", WRITE, ""),
    (("OPTIMIZE",), "sql.optimize", WRITE, ""),
    (("REPAIR",), "sql.repair", WRITE, ""),
    (("CHECKSUM",), "sql.checksum", READ, ""),
    (("CHECK",), "sql.check", READ, ""),
    (("ANALYZE",), "sql.analyze", WRITE, ""),
    (("RENAME", "USER"), "sql.rename_user", WRITE, ""),
    (("RENAME",), "sql.rename", WRITE, ""),
    (("REPLACE",), "sql.replace", WRITE, "REPLACE overwrites rows with the same key"),
    (("CALL",), "sql.call", DESTRUCTIVE, "CALL runs a procedure whose body is not visible here"),
    (("HANDLER",), "sql.handler", READ, ""),
    (("DO",), "sql.do", READ, ""),
    (("SAVEPOINT",), "sql.transaction", READ, ""),
    (("RELEASE",), "sql.transaction", READ, ""),
    (("XA",), "sql.transaction", READ, ""),
    (("END",), "sql.transaction", READ, ""),
    (("LOCK",), "sql.lock", WRITE, "LOCK blocks other sessions"),
    (("UNLOCK",), "sql.unlock", READ, ""),
    (("REVOKE",), "sql.revoke", DESTRUCTIVE, ""),
    (("DROP", "DATABASE"), "sql.drop_database", CATASTROPHIC, "DROP DATABASE"),
    (("DROP", "SCHEMA"), "sql.drop_database", CATASTROPHIC, "DROP SCHEMA"),
    (("DROP", "USER"), "sql.drop_role", CATASTROPHIC, "DROP USER"),
    (("DROP", "ROLE"), "sql.drop_role", CATASTROPHIC, "DROP ROLE"),
    (("DROP",), "sql.drop", DESTRUCTIVE, ""),
    (("CREATE", "USER"), "sql.create_role", WRITE, ""),
    (("CREATE", "ROLE"), "sql.create_role", WRITE, ""),
    (("CREATE", "OR"), "sql.create_or_replace", DESTRUCTIVE, "CREATE OR REPLACE"),
    (("CREATE", "TRIGGER"), "sql.create_trigger", DESTRUCTIVE, "trigger body is not analysed"),
    (
        ("CREATE", "TEMP", "TRIGGER"),
        "sql.create_trigger",
        DESTRUCTIVE,
        "trigger body is not analysed",
    ),
    (
        ("CREATE", "TEMPORARY", "TRIGGER"),
        "sql.create_trigger",
        DESTRUCTIVE,
        "trigger body is not analysed",
    ),
    (("CREATE", "EVENT"), "sql.create_event", DESTRUCTIVE, "event body is not analysed"),
    (("CREATE", "DEFINER"), "sql.create_routine", DESTRUCTIVE, "routine body is not analysed"),
    (("ALTER", "USER"), "sql.alter_role", WRITE, ""),
    (("ALTER", "ROLE"), "sql.alter_role", WRITE, ""),
    (("ALTER", "DATABASE"), "sql.alter_database", WRITE, ""),
    (("ALTER", "SCHEMA"), "sql.alter_database", WRITE, ""),
    (("ALTER", "EVENT"), "sql.alter_event", WRITE, ""),
    (("SET",), "sql.set", READ, ""),
    (("SHOW",), "sql.show", READ, ""),
    (("DESC",), "sql.show", READ, ""),
    (("DESCRIBE",), "sql.show", READ, ""),
    (("EXPLAIN",), "sql.explain", READ, ""),
    (("HELP",), "sql.help", READ, ""),
    (("USE",), "sql.use", READ, ""),
    (("BEGIN",), "sql.transaction", READ, ""),
    (("START", "TRANSACTION"), "sql.transaction", READ, ""),
    (("COMMIT",), "sql.transaction", READ, ""),
    (("ROLLBACK",), "sql.transaction", READ, ""),
    (("VACUUM",), "sql.vacuum", WRITE, ""),
    (("REINDEX",), "sql.reindex", WRITE, ""),
)


def _glot_keyword(
    words: list[str],
    chunk: list[Any],
    text: str,
    out: _Out,
) -> bool:
    """Classify a statement sqlglot did not model by its leading keywords.

    Returns False when the keywords do not determine what the statement does.
    """
    upper = [t.text.upper() for t in chunk]
    if words and words[0] == "GRANT":
        wide = any(w in ("ALL", "SUPER", "FILE", "PROCESS", "SHUTDOWN") for w in upper)
        wide = wide or "*" in upper or "GRANT OPTION" in " ".join(upper)
        if wide:
            out.add_db("sql.grant_wide", DESTRUCTIVE, _snippet(text))
        else:
            out.add_db("sql.grant", WRITE, _snippet(text))
        return True
    if words and words[0] in ("SELECT", "WITH") and ("OUTFILE" in upper or "DUMPFILE" in upper):
        out.add_db("sql.select_into_outfile", WRITE, "SELECT … INTO OUTFILE writes a server file")
        _glot_token_functions(chunk, out)
        return True
    if len(words) >= 2 and words[0] == "ALTER" and words[1] in ("TABLE", "ONLINE", "IGNORE"):
        if any(w in ("DROP", "DISCARD", "TRUNCATE", "REMOVE", "BLACKHOLE") for w in upper):
            out.add_db("sql.alter_table", DESTRUCTIVE, _snippet(text))
            out.problem(f"cannot parse ALTER TABLE {_snippet(text)!r}")
            return True
        return False
    if words and words[0] == "SET" and ({"GLOBAL", "PERSIST", "PERSIST_ONLY"} & set(upper)):
        out.add_db("sql.set_global", WRITE, "changes the server configuration")
        return True
    for keys, verb, risk, detail in _KEYWORDS:
        if tuple(words[: len(keys)]) == keys:
            if keys in (("DROP", "USER"), ("DROP", "ROLE")):
                rest = re.sub(r"(?is)^\s*DROP\s+(USER|ROLE)\s+(IF\s+EXISTS\s+)?", "", text)
                names = [
                    n.strip().replace("`", "").replace("'", "").replace('"', "")
                    for n in rest.split(",")
                    if n.strip()
                ]
                for role in names or ["?"]:
                    out.add("role", f"role {role}", verb, risk, detail)
                return True
            if keys == ("USE",) and len(chunk) >= 2:
                out.use_database(chunk[1].text.strip("`\"'"))
            if keys == ("CREATE", "DEFINER") and "TABLE" in upper:
                return False
            out.add_db(verb, risk, detail or _snippet(text))
            _glot_token_functions(chunk, out)
            return True
    return False


def _glot_token_functions(chunk: list[Any], out: _Out) -> None:
    for tok, nxt in itertools.pairwise(chunk):
        name = tok.text.lower()
        if name in _GLOT_FUNCTIONS and nxt.token_type.name == "L_PAREN":
            risk, detail = _GLOT_FUNCTIONS[name]
            out.add_db(f"sql.call.{name}", risk, f"calls {name}(): {detail}")
