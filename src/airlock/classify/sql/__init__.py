"""SQL classification: what each statement of a SQL string would do, and how badly.

:func:`classify_sql` parses SQL with a real parser — PostgreSQL with ``pglast`` (the
PostgreSQL parser itself), MySQL/MariaDB and SQLite with ``sqlglot`` — and returns one or
more :class:`~airlock.action.Target` per statement, plus a list of *problems*: anything
that could not be parsed or understood. The caller turns problems into an ``unparsed``
flag, so the action is held (fail closed). Non-empty SQL never yields neither a target
nor a problem; empty, whitespace-only and comment-only SQL yields neither.

Parsers are imported inside the functions that need them: importing this module costs
only the standard library.

Where each part lives: :mod:`.effects` collects what statements do; :mod:`.postgres`
(with :mod:`.pg_nodes`) reads PostgreSQL, :mod:`.mysql_sqlite` MySQL/MariaDB and SQLite;
:mod:`.where` decides whether a condition is always true, for both.

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
    narrow GRANT [sql.grant] (read-only SELECT on ALL TABLES IN SCHEMA / ``db.*``
    included); GRANT of an ordinary role; CREATE FUNCTION in SQL whose
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
    ALL, TO PUBLIC, WITH GRANT OPTION, ON ALL … IN SCHEMA or MySQL ``db.*`` beyond
    SELECT, ``*.*``, granting a built-in privileged role, or ADMIN OPTION);
    CREATE/ALTER ROLE with SUPERUSER, CREATEROLE,
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

from airlock.action import Target
from airlock.classify.sql.effects import SQL_WHITESPACE, Effects, has_sql, with_database
from airlock.classify.sql.mysql_sqlite import classify_sqlglot
from airlock.classify.sql.postgres import classify_postgres

PG_DIALECTS = frozenset({"postgresql", "postgres", "pg", "psql"})
SQLGLOT_DIALECTS = {"mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite"}
DIALECTS = tuple(sorted(PG_DIALECTS | set(SQLGLOT_DIALECTS)))



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
    out = Effects(database=database, locator=locator, tool=tool)
    try:
        _classify(text, dialect, out, depth=0)
    except RecursionError:
        out.problem("SQL nested too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - a parser bug must not open the gate: hold
        out.problem(f"could not analyse SQL ({type(exc).__name__}: {exc})"[:300])
    return out.targets, out.problems


def _classify(text: str, dialect: str, out: Effects, depth: int) -> None:
    if not has_sql(text, out):
        return
    d = dialect.strip().lower()
    if d in PG_DIALECTS:
        out.dialect = "postgresql"
        classify_postgres(text, out, depth)
    elif d in SQLGLOT_DIALECTS:
        out.dialect = SQLGLOT_DIALECTS[d]
        classify_sqlglot(text, SQLGLOT_DIALECTS[d], out, depth)
    else:
        out.problem(f"unknown SQL dialect {dialect!r} (expected one of {', '.join(DIALECTS)})")


__all__ = ["DIALECTS", "PG_DIALECTS", "SQLGLOT_DIALECTS", "SQL_WHITESPACE", "classify_sql",
           "with_database"]
