"""PostgreSQL, parsed by ``pglast`` (the PostgreSQL parser itself): one handler per
statement node type. ``pglast`` is imported inside the functions that need it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from airlock.action import Risk
from airlock.classify import limits
from airlock.classify.sql.effects import (
    CATASTROPHIC,
    DESTRUCTIVE,
    READ,
    WRITE,
    Effects,
    has_sql,
    snippet,
    with_database,
)
from airlock.classify.sql.pg_nodes import (
    objtype_word,
    pg_children,
    pg_objname,
    pg_relations,
    pg_role,
    relation_name,
)
from airlock.classify.sql.where import pg_const_truth, pg_truth

_MAX_DEPTH = 16


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


def classify_postgres(text: str, out: Effects, depth: int) -> None:
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
            limits.check()
            try:
                part = pglast.parse_sql(piece)
            except ParseError as exc2:
                out.problem(f"cannot parse SQL {snippet(piece)!r}: {exc2}")
                continue
            for raw in part:
                limits.check()
                _pg_top(raw.stmt, out, depth)
        if len(out.problems) == before:
            out.problem(f"cannot parse SQL {snippet(text)!r}: {exc}")
        return
    for raw in stmts:
        limits.check()
        _pg_top(raw.stmt, out, depth)


def _pg_top(node: Any, out: Effects, depth: int) -> None:
    """One top-level statement: it must yield a target or a problem, never nothing."""
    out.next_statement()
    before = (out.adds, len(out.problems))
    _pg_stmt(node, out, depth)
    if (out.adds, len(out.problems)) == before:
        out.problem(f"PostgreSQL statement {type(node).__name__} was not understood")


def _pg_scan(root: Any, out: Effects, depth: int) -> None:
    """Nested data-modifying statements and functions with side effects below ``root``."""
    stack = list(pg_children(root))
    while stack:
        n = stack.pop()
        name = type(n).__name__
        if name in _PG_DML:
            _pg_stmt(n, out, depth + 1)
            continue
        if name == "FuncCall":
            _pg_func(n, out)
        stack.extend(pg_children(n))


def _pg_func(node: Any, out: Effects) -> None:
    names = [getattr(s, "sval", "") for s in node.funcname or ()]
    fname = (names[-1] if names else "").lower()
    if fname in _PG_FUNCTIONS:
        risk, detail = _PG_FUNCTIONS[fname]
        out.add_db(f"sql.call.{fname}", risk, f"calls {fname}(): {detail}")
    elif fname.startswith("pg_stat_reset"):
        out.add_db(f"sql.call.{fname}", WRITE, f"calls {fname}(): resets statistics")


def _pg_stmt(node: Any, out: Effects, depth: int) -> None:
    if depth > _MAX_DEPTH:
        out.problem("SQL nested too deeply to analyse")
        return
    name = type(node).__name__
    handler = _PG_HANDLERS.get(name)
    if handler is None:
        handler = _pg_generic
    if handler(node, out, depth):
        _pg_scan(node, out, depth)


def _pg_generic(node: Any, out: Effects, depth: int) -> bool:
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


def _pg_generic_object(node: Any, out: Effects) -> tuple[str, str]:
    rel = getattr(node, "relation", None)
    if type(rel).__name__ == "RangeVar":
        return "table", f"table {relation_name(rel)}"
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
            return kind, f"{kind} {pg_objname(value)}"
    return "database", out.db_name


def _pg_select(node: Any, out: Effects, depth: int) -> bool:
    into = getattr(node, "intoClause", None)
    if into is not None:
        out.add(
            "table",
            f"table {relation_name(into.rel)}",
            "sql.create_table",
            WRITE,
            "SELECT INTO creates a table",
        )
    rels = pg_relations(node)
    for rel in rels:
        out.add("table", f"table {rel}", "sql.select", READ)
    if not rels:
        out.add_db("sql.select", READ)
    return True


def _pg_insert(node: Any, out: Effects, depth: int) -> bool:
    conflict = getattr(node, "onConflictClause", None)
    upsert = conflict is not None and "UPDATE" in str(getattr(conflict, "action", ""))
    out.add(
        "rows",
        f"table {relation_name(node.relation)}",
        "sql.insert",
        WRITE,
        "INSERT … ON CONFLICT DO UPDATE" if upsert else "",
        reversible=not upsert,
    )
    return True


def _pg_update_delete(node: Any, out: Effects, depth: int) -> bool:
    word = "UPDATE" if type(node).__name__ == "UpdateStmt" else "DELETE"
    verb = word.lower()
    where = node.whereClause
    table = f"table {relation_name(node.relation)}"
    if where is None:
        out.add("rows", table, f"sql.{verb}_all_rows", DESTRUCTIVE, f"{word} without WHERE")
    elif type(where).__name__ != "CurrentOfExpr" and pg_truth(where) is True:
        out.add(
            "rows", table, f"sql.{verb}_all_rows", DESTRUCTIVE, f"{word} with an always-true WHERE"
        )
    elif _every_row(where):
        out.add("rows", table, f"sql.{verb}_all_rows", DESTRUCTIVE,
                f"{word} … WHERE col IS NOT NULL (every row with a value: a key is never null)")
    elif word == "DELETE" and _self_join(node):
        out.add("rows", table, "sql.delete_all_rows", DESTRUCTIVE,
                "DELETE … USING the same table: a self-join matches every row")
    else:
        out.add("rows", table, f"sql.{verb}", WRITE, reversible=False)
    return True


def _every_row(where: Any) -> bool:
    """A filter that keeps every row that has its columns set: ``id IS NOT NULL`` (a key
    is never null), and ANDs of such tests; an OR with one of them is as wide."""
    kind = type(where).__name__
    if kind == "NullTest":
        return (str(getattr(where.nulltesttype, "name", "")) == "IS_NOT_NULL"
                and type(where.arg).__name__ == "ColumnRef")
    if kind == "BoolExpr":
        op = str(getattr(where.boolop, "name", ""))
        parts = [pg_truth(a) is True or _every_row(a) for a in where.args or ()]
        return all(parts) if op == "AND_EXPR" else any(parts) if op == "OR_EXPR" else False
    return False


def _replaces_values(cmd: Any) -> bool:
    """ALTER COLUMN … TYPE … USING expr, where expr reads no column (``USING NULL``,
    ``USING 0``): the old values are thrown away."""
    using = getattr(getattr(cmd, "def_", None), "raw_default", None)
    if using is None:
        return False
    from pglast.visitors import Visitor

    class _Columns(Visitor):
        found = False

        def visit_ColumnRef(self, ancestors: Any, node: Any) -> None:
            self.found = True

    seen = _Columns()
    seen(using)
    return not seen.found


def _self_join(node: Any) -> bool:
    """DELETE FROM t … USING t: the same table joined to itself."""
    target = relation_name(node.relation)
    return any(type(r).__name__ == "RangeVar" and relation_name(r) == target
               for r in node.usingClause or ())


def _pg_merge(node: Any, out: Effects, depth: int) -> bool:
    table = f"table {relation_name(node.relation)}"
    actions = {str(getattr(w.commandType, "name", "")) for w in node.mergeWhenClauses or ()}
    always = pg_truth(node.joinCondition) is True
    if always and actions & {"CMD_DELETE", "CMD_UPDATE"}:
        out.add("rows", table, "sql.merge_all_rows", DESTRUCTIVE, "MERGE on an always-true join")
    elif "CMD_DELETE" in actions:
        out.add("rows", table, "sql.merge_delete", DESTRUCTIVE,
                "MERGE … THEN DELETE: deletes every row the join matches")
    else:
        out.add("rows", table, "sql.merge", WRITE, reversible=False)
    return True


def _pg_truncate(node: Any, out: Effects, depth: int) -> bool:
    cascade = "CASCADE" in str(getattr(node.behavior, "name", ""))
    detail = "TRUNCATE … CASCADE" if cascade else "TRUNCATE"
    for rel in node.relations or ():
        out.add("rows", f"table {relation_name(rel)}", "sql.truncate", DESTRUCTIVE, detail)
    return True


def _pg_drop(node: Any, out: Effects, depth: int) -> bool:
    word = objtype_word(node.removeType)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    risk = CATASTROPHIC if word == "schema" else DESTRUCTIVE
    cascade = "CASCADE" in str(getattr(node.behavior, "name", ""))
    detail = f"DROP {word.upper().replace('_', ' ')}" + (" … CASCADE" if cascade else "")
    for obj in node.objects or ():
        out.add(kind, f"{kind} {pg_objname(obj)}", f"sql.drop_{word}", risk, detail)
    if not node.objects:
        out.add_db(f"sql.drop_{word}", risk, detail)
    return True


def _pg_dropdb(node: Any, out: Effects, depth: int) -> bool:
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


def _pg_createdb(node: Any, out: Effects, depth: int) -> bool:
    name = str(node.dbname)
    out.add(
        "database",
        f"database {name}",
        "sql.create_database",
        WRITE,
        locator=with_database(out.locator, name),
    )
    return False


def _pg_alterdb(node: Any, out: Effects, depth: int) -> bool:
    name = str(node.dbname)
    out.add(
        "database",
        f"database {name}",
        "sql.alter_database",
        WRITE,
        locator=with_database(out.locator, name),
    )
    return False


def _pg_droprole(node: Any, out: Effects, depth: int) -> bool:
    for role in node.roles or ():
        out.add("role", f"role {pg_role(role)}", "sql.drop_role", CATASTROPHIC, "DROP ROLE")
    return False


def _pg_dropowned(node: Any, out: Effects, depth: int) -> bool:
    word = "DROP OWNED" if type(node).__name__ == "DropOwnedStmt" else "REASSIGN OWNED"
    verb = "sql.drop_owned" if word == "DROP OWNED" else "sql.reassign_owned"
    for role in node.roles or ():
        out.add("role", f"role {pg_role(role)}", verb, DESTRUCTIVE, word)
    return False


def _pg_grant(node: Any, out: Effects, depth: int) -> bool:
    word = objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    target_type = str(getattr(node.targtype, "name", ""))
    if target_type.endswith("ALL_IN_SCHEMA"):
        names = [f"all {kind}s in schema {pg_objname(o)}" for o in node.objects or ()]
    elif target_type.endswith("DEFAULTS"):
        names = [f"default privileges on {kind}s"]
    else:
        names = [f"{kind} {pg_objname(o)}" for o in node.objects or ()]
    grantees = [pg_role(g) for g in node.grantees or ()]
    privs = [pg_objname(p) for p in node.privileges] if node.privileges else ["ALL"]
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
    if target_type.endswith("ALL_IN_SCHEMA") and not _read_only(privs):
        # read access to every table of a schema (a read-only role) is an ordinary,
        # reversible grant; writing to all of them is not
        why.append("ON ALL … IN SCHEMA")
    detail = f"GRANT {', '.join(privs)} TO {', '.join(grantees)}"
    for name in names or [out.db_name]:
        if why:
            out.add(kind, name, "sql.grant_wide", DESTRUCTIVE, f"{detail} ({', '.join(why)})")
        else:
            out.add(kind, name, "sql.grant", WRITE, detail)
    return False


# Privileges that only let the grantee read (USAGE on sequences allows nextval(),
# REFERENCES lets foreign keys block deletes: neither is here).
READ_PRIVILEGES = frozenset({"select", "show view"})


def _read_only(privs: list[str]) -> bool:
    return bool(privs) and all(p.lower() in READ_PRIVILEGES for p in privs)


def _pg_grant_role(node: Any, out: Effects, depth: int) -> bool:
    granted = [pg_objname(r) for r in node.granted_roles or ()]
    grantees = [pg_role(g) for g in node.grantee_roles or ()]
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


def _pg_default_privs(node: Any, out: Effects, depth: int) -> bool:
    return _pg_grant(node.action, out, depth)


def _pg_role_stmt(node: Any, out: Effects, depth: int) -> bool:
    create = type(node).__name__ == "CreateRoleStmt"
    role = str(node.role) if create else pg_role(node.role)
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


def _pg_function(node: Any, out: Effects, depth: int) -> bool:
    fname = pg_objname(node.funcname)
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
        elif body_text is not None and has_sql(body_text, sub):
            classify_postgres(body_text, sub, depth + 1)
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


def _pg_rule(node: Any, out: Effects, depth: int) -> bool:
    out.add(
        "table",
        f"table {relation_name(node.relation)}",
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


def _pg_do(node: Any, out: Effects, depth: int) -> bool:
    language = "plpgsql"
    for opt in node.args or ():
        if opt.defname == "language":
            language = str(getattr(opt.arg, "sval", language))
    out.add_db("sql.do_block", DESTRUCTIVE, f"DO block in {language}: procedural code not analysed")
    return False


def _pg_call(node: Any, out: Effects, depth: int) -> bool:
    fname = pg_objname(node.funccall.funcname) if node.funccall else "?"
    out.add(
        "function",
        f"procedure {fname}",
        "sql.call",
        DESTRUCTIVE,
        "CALL runs a procedure whose body is not visible here",
    )
    return True


def _pg_copy(node: Any, out: Effects, depth: int) -> bool:
    if node.relation is not None:
        what, kind = f"table {relation_name(node.relation)}", "rows"
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


def _pg_explain(node: Any, out: Effects, depth: int) -> bool:
    analyze = False
    for opt in node.options or ():
        if opt.defname == "analyze":
            arg = getattr(opt, "arg", None)
            analyze = arg is None or pg_const_truth(arg) is not False
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


def _pg_prepare(node: Any, out: Effects, depth: int) -> bool:
    out.prepared.add(str(node.name))
    _pg_stmt(node.query, out, depth + 1)
    return False


def _pg_execute(node: Any, out: Effects, depth: int) -> bool:
    if str(node.name) in out.prepared:
        out.add_db("sql.execute", READ, f"EXECUTE {node.name} (classified at PREPARE)")
    else:
        out.problem(f"EXECUTE {node.name}: the prepared statement is not visible here")
    return False


def _pg_cursor(node: Any, out: Effects, depth: int) -> bool:
    _pg_stmt(node.query, out, depth + 1)
    return False


def _pg_set(node: Any, out: Effects, depth: int) -> bool:
    name = str(getattr(node, "name", "") or "")
    if name == "session_replication_role":
        out.add_db("sql.set", WRITE, "session_replication_role turns off triggers and FK checks")
    else:
        out.add_db("sql.set", READ, f"SET {name}".strip())
    return True


def _pg_alter_table(node: Any, out: Effects, depth: int) -> bool:
    word = objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    rel = relation_name(node.relation)
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
        elif sub == "AlterColumnType" and _replaces_values(cmd):
            out.add(
                "column",
                f"column {rel}.{cmd.name}",
                "sql.alter_column_type",
                DESTRUCTIVE,
                "ALTER … TYPE … USING an expression that does not read the column: every "
                "value is replaced",
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


def _pg_rename(node: Any, out: Effects, depth: int) -> bool:
    word = objtype_word(node.renameType)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    if node.relation is not None:
        old = relation_name(node.relation)
    elif node.object is not None:
        old = pg_objname(node.object)
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
    def handler(node: Any, out: Effects, depth: int) -> bool:
        rels = []
        for item in getattr(node, attr, None) or ():
            rv = getattr(item, "relation", item)
            if type(rv).__name__ == "RangeVar":
                rels.append(relation_name(rv))
        single = getattr(node, "relation", None)
        if type(single).__name__ == "RangeVar":
            rels.append(relation_name(single))
        for rel in rels:
            out.add("table", f"table {rel}", verb, risk, detail)
        if not rels:
            out.add_db(verb, risk, detail)
        return True

    return handler


def _pg_db(verb: str, risk: Risk, detail: str = "") -> Any:
    def handler(node: Any, out: Effects, depth: int) -> bool:
        out.add_db(verb, risk, detail)
        return True

    return handler


def _pg_create_table(node: Any, out: Effects, depth: int) -> bool:
    out.add("table", f"table {relation_name(node.relation)}", "sql.create_table", WRITE)
    return True


def _pg_create_table_as(node: Any, out: Effects, depth: int) -> bool:
    word = objtype_word(node.objtype)
    kind = _PG_KINDS.get(word, word.replace("_", " "))
    out.add(kind, f"{kind} {relation_name(node.into.rel)}", f"sql.create_{word}", WRITE)
    return True


def _pg_view(node: Any, out: Effects, depth: int) -> bool:
    out.add("view", f"view {relation_name(node.view)}", "sql.create_view", WRITE)
    return True


def _pg_index(node: Any, out: Effects, depth: int) -> bool:
    out.add(
        "index",
        f"index {node.idxname or '(unnamed)'} on {relation_name(node.relation)}",
        "sql.create_index",
        WRITE,
    )
    return True


def _pg_create_schema(node: Any, out: Effects, depth: int) -> bool:
    out.add(
        "schema", f"schema {node.schemaname or pg_role(node.authrole)}", "sql.create_schema", WRITE
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
