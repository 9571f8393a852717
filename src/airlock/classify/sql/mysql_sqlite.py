"""MySQL/MariaDB and SQLite, parsed by ``sqlglot`` (imported inside the functions that need
it), with keyword matching for the statements sqlglot only tokenizes."""

from __future__ import annotations

import itertools
import logging
import re
from typing import Any

from airlock.action import Risk
from airlock.classify import limits
from airlock.classify.sql.effects import (
    CATASTROPHIC,
    DESTRUCTIVE,
    READ,
    WRITE,
    Effects,
    snippet,
    with_database,
)
from airlock.classify.sql.where import glot_truth

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


def classify_sqlglot(text: str, dialect: str, out: Effects, depth: int) -> None:
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
        out.problem(f"cannot tokenize SQL {snippet(text)!r}: {first_line(exc)}")
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
        limits.check()
        out.next_statement()
        stmt_text = text[chunk[0].start : chunk[-1].end + 1]
        too_large = limits.oversize(stmt_text, "one SQL statement", limits.SQL_STATEMENT_MAX)
        if too_large:
            out.problem(too_large)
            continue
        words = [t.text.upper() for t in chunk[:4]]
        try:
            parsed = [e for e in d.parse(stmt_text) if e is not None]
        except SqlglotError:
            parsed = []
            if not _glot_keyword(words, chunk, stmt_text, out):
                out.problem(f"cannot parse SQL {snippet(stmt_text)!r}")
            continue
        before = (out.adds, len(out.problems))
        for expr in parsed:
            _glot_stmt(expr, words, chunk, stmt_text, out, depth)
        if (out.adds, len(out.problems)) == before:
            out.problem(f"SQL statement not understood: {snippet(stmt_text)!r}")


def first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _glot_table(t: Any) -> tuple[str, str]:
    """(qualified name, database part) of a sqlglot Table."""
    parts = [p for p in (t.catalog, t.db, t.name) if p]
    return ".".join(parts) or "?", t.db or ""


def _glot_add_table(
    out: Effects, t: Any, kind: str, verb: str, risk: Risk, detail: str = "", **kw: Any
) -> None:
    name, db = _glot_table(t)
    loc = with_database(out.locator, db) if db and out.dialect == "mysql" else None
    out.add(kind, f"table {name}", verb, risk, detail, locator=loc, **kw)


def _glot_scan(expr: Any, out: Effects) -> None:
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


def _glot_where(node: Any, table_exprs: list[Any], word: str, out: Effects, limit: bool) -> None:
    """UPDATE/DELETE: destructive without a real filter."""
    from sqlglot import exp

    where = node.args.get("where")
    verb = word.lower()
    condition: Any = where
    if where is None:
        # DELETE t1 FROM t1 JOIN t2 ON …: the join condition filters
        ons = [j.args.get("on") for j in node.find_all(exp.Join) if j.args.get("on") is not None]
        if ons:
            truths = [glot_truth(o) for o in ons]
            condition = None if all(t is True for t in truths) else ons[0]
    if condition is None:
        detail = f"{word} without WHERE" + (" (LIMIT only)" if limit else "")
        for t in table_exprs:
            _glot_add_table(out, t, "rows", f"sql.{verb}_all_rows", DESTRUCTIVE, detail)
    elif where is not None and (glot_truth(where) is True or _glot_every_row(where.this)):
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


def _glot_every_row(cond: Any) -> bool:
    """``col IS NOT NULL`` (a key is never null) and ANDs of such tests; an OR with one."""
    from sqlglot import exp

    if isinstance(cond, exp.Paren):
        return _glot_every_row(cond.this)
    if isinstance(cond, exp.Not) and isinstance(cond.this, exp.Is):
        return isinstance(cond.this.this, exp.Column) and isinstance(
            cond.this.expression, exp.Null)
    if isinstance(cond, exp.And | exp.Or):
        sides = [glot_truth(x) is True or _glot_every_row(x)
                 for x in (cond.this, cond.expression)]
        return all(sides) if isinstance(cond, exp.And) else any(sides)
    return False


def _glot_stmt(
    expr: Any, words: list[str], chunk: list[Any], text: str, out: Effects, depth: int
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
            out.problem(f"INSERT into something we cannot name: {snippet(text)!r}")
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
            out.problem(f"DELETE from something we cannot name: {snippet(text)!r}")
        _glot_where(expr, tables, "DELETE", out, expr.args.get("limit") is not None)
    elif isinstance(expr, exp.Merge):
        table = expr.this if isinstance(expr.this, exp.Table) else None
        deletes = any(str(w.args.get("then") or "").upper().startswith("DELETE")
                      for w in expr.find_all(exp.When))
        if table is not None and deletes:
            _glot_add_table(out, table, "rows", "sql.merge_delete", DESTRUCTIVE,
                            "MERGE … THEN DELETE: deletes every row the join matches")
        elif table is not None:
            _glot_add_table(out, table, "rows", "sql.merge", WRITE, reversible=False)
        else:
            out.problem(f"MERGE into something we cannot name: {snippet(text)!r}")
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
        out.add_db("sql.revoke", DESTRUCTIVE, snippet(text))
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
            out.problem(f"unrecognised SQL statement {snippet(text)!r}")
        return
    _glot_scan(expr, out)


def _glot_drop(expr: Any, out: Effects) -> None:
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


def _glot_create(expr: Any, words: list[str], out: Effects) -> None:
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


def _glot_alter(expr: Any, text: str, out: Effects) -> None:
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


def _grant_wildcard(upper: list[str]) -> bool:
    """GRANT … ON <wildcard> …, by its tokens: ``*.*`` / ``*`` always; ``db.*`` unless
    every privilege only reads (a read-only user of one database)."""
    if "*" not in upper:
        return False
    on = upper.index("ON") if "ON" in upper else len(upper)
    to = upper.index("TO", on) if "TO" in upper[on:] else len(upper)
    privs = " ".join(upper[1:on]).replace(" ,", ",").split(",")
    target = upper[on + 1 : to]
    if not target or target[0] == "*" or "PUBLIC" in upper[to:]:
        return True
    return not _read_only([p.strip() for p in privs])


def _read_only(privs: list[str]) -> bool:
    return bool(privs) and all(p.upper() in ("SELECT", "SHOW VIEW") for p in privs)


def _glot_grant(expr: Any, out: Effects) -> None:
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
    every_db = on.replace("`", "").replace(" ", "").startswith("*")  # *.* or *
    if any(p.upper() == "PUBLIC" for p in principals) or (
            "*" in on and (every_db or not _read_only(privs))):
        # SELECT on db.* (a read-only user of one database) is an ordinary grant;
        # on *.* (the mysql schema's password hashes too) or to write, it is not
        why.append("wildcard")
    detail = f"GRANT {', '.join(privs)} ON {on} TO {', '.join(principals)}"
    if why:
        out.add_db("sql.grant_wide", DESTRUCTIVE, f"{detail} ({', '.join(why)})")
    else:
        out.add_db("sql.grant", WRITE, detail)


def _glot_pragma(expr: Any, text: str, out: Effects) -> None:
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
    out: Effects,
) -> bool:
    """Classify a statement sqlglot did not model by its leading keywords.

    Returns False when the keywords do not determine what the statement does.
    """
    upper = [t.text.upper() for t in chunk]
    if words and words[0] == "GRANT":
        wide = any(w in ("ALL", "SUPER", "FILE", "PROCESS", "SHUTDOWN") for w in upper)
        wide = wide or "GRANT OPTION" in " ".join(upper) or _grant_wildcard(upper)
        if wide:
            out.add_db("sql.grant_wide", DESTRUCTIVE, snippet(text))
        else:
            out.add_db("sql.grant", WRITE, snippet(text))
        return True
    if words and words[0] in ("SELECT", "WITH") and ("OUTFILE" in upper or "DUMPFILE" in upper):
        out.add_db("sql.select_into_outfile", WRITE, "SELECT … INTO OUTFILE writes a server file")
        _glot_token_functions(chunk, out)
        return True
    if len(words) >= 2 and words[0] == "ALTER" and words[1] in ("TABLE", "ONLINE", "IGNORE"):
        if any(w in ("DROP", "DISCARD", "TRUNCATE", "REMOVE", "BLACKHOLE") for w in upper):
            out.add_db("sql.alter_table", DESTRUCTIVE, snippet(text))
            out.problem(f"cannot parse ALTER TABLE {snippet(text)!r}")
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
            out.add_db(verb, risk, detail or snippet(text))
            _glot_token_functions(chunk, out)
            return True
    return False


def _glot_token_functions(chunk: list[Any], out: Effects) -> None:
    for tok, nxt in itertools.pairwise(chunk):
        name = tok.text.lower()
        if name in _GLOT_FUNCTIONS and nxt.token_type.name == "L_PAREN":
            risk, detail = _GLOT_FUNCTIONS[name]
            out.add_db(f"sql.call.{name}", risk, f"calls {name}(): {detail}")
