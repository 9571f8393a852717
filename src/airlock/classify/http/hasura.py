"""Hasura's admin APIs: the schema API (``/v2/query``), the old schema/metadata API
(``/v1/query``) and the metadata API (``/v1/metadata``). Each request is one operation
``{"type": …, "args": …}``, or a ``bulk`` of them.

- ``run_sql`` (``pg_``/``citus_``/``cockroach_`` too: PostgreSQL; ``mssql_``,
  ``bigquery_``…: read approximately) runs ``args.sql``: the SQL decides.
- The old data operations: ``select``/``count`` read, ``insert`` writes, ``update``/``delete``
  write the rows ``args.where`` selects; an empty ``where`` ({}) selects every row.
- Metadata: ``get_…``/``export_…``/``list_…`` read; operations that drop, untrack, delete,
  remove, clear or replace (``pg_drop_source``, ``untrack_table``, ``clear_metadata``,
  ``replace_metadata``) are destructive: the API the applications use loses them; the
  rest (``track_table``, ``create_…_permission``, ``reload_metadata``) write.
"""

from __future__ import annotations

import re
from typing import Any

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext
from airlock.classify.graphql import SENTINEL, looks_destructive, name_tokens
from airlock.classify.http.request import HttpRequest
from airlock.classify.http.sql_run import APPROXIMATE, Where, read_body, run_sql, unreadable

_BULK = frozenset({"bulk", "concurrent_bulk", "bulk_keep_going", "bulk_atomic"})
_PG = ("", "pg_", "citus_", "cockroach_")
_BACKEND = re.compile(r"^(pg|mssql|citus|cockroach|bigquery|mysql|snowflake)_")
_READ_PREFIXES = ("get_", "export_", "list_", "test_", "dump_", "introspect", "select",
                  "count", "explain")
_DESTRUCTIVE_TOKENS = frozenset({"untrack", "clear", "replace", "drop"})
_MAX_OPS = 500


def classify_hasura(req: HttpRequest, where: Where, ctx: ClassifyContext, tool: str, *,
                    known: bool = True) -> list[Target] | None:
    """None when the body is not a Hasura operation (the server refuses it; the caller
    rates the request as plain HTTP). ``known``: the URL is surely Hasura's, so a body
    Airlock cannot read is held."""
    body = read_body(req)
    if body.unknown:
        if not known:
            return None
        ctx.unparsed(f"{tool}: {where.service}: {body.unknown}")
        return [unreadable(where, tool, body.unknown)]
    if not isinstance(body.data, dict) or not isinstance(body.data.get("type"), str):
        return None
    out: list[Target] = []
    _operation(body.data, where, ctx, tool, out, depth=0)
    return out


def _operation(op: Any, where: Where, ctx: ClassifyContext, tool: str, out: list[Target],
               depth: int) -> None:
    if len(out) >= _MAX_OPS or depth > 8:
        ctx.unparsed(f"{tool}: {where.service}: too many nested operations to read")
        return
    if not isinstance(op, dict) or not isinstance(op.get("type"), str):
        ctx.unparsed(f"{tool}: {where.service}: an operation Airlock cannot read")
        out.append(unreadable(where, tool, "an operation Airlock cannot read"))
        return
    kind = op["type"]
    args = op.get("args")
    low = kind.lower()
    if SENTINEL in low:
        ctx.unparsed(f"{tool}: {where.service}: the operation type is a variable")
        out.append(unreadable(where, tool, "the operation type is a variable"))
        return
    if low in _BULK:
        for sub in args if isinstance(args, list) else [args]:
            _operation(sub, where, ctx, tool, out, depth + 1)
        return
    if low.endswith("run_sql"):
        sql = args.get("sql") if isinstance(args, dict) else None
        prefix = low[: -len("run_sql")]
        source = args.get("source") if isinstance(args, dict) else None
        at = Where(service=where.service, locator=where.locator,
                   database=source if isinstance(source, str) else "default",
                   dialects=("postgresql",) if prefix in _PG else APPROXIMATE)
        if not isinstance(sql, str):
            ctx.unparsed(f"{tool}: {where.service}: {kind} without SQL Airlock can read")
            out.append(unreadable(at, tool, f"{kind} without SQL Airlock can read"))
            return
        out.extend(run_sql([(kind, sql)], at, ctx, tool)
                   or [Target(kind="database", name=at.database, verb="sql.empty",
                              risk=Risk.READ, tool=tool, locator=where.locator)])
        return
    bare = _BACKEND.sub("", low)
    if bare in ("insert", "update", "delete", "select", "count"):
        out.append(_data(bare, args, where, tool))
        return
    risk = Risk.WRITE
    if bare.startswith(_READ_PREFIXES):
        risk = Risk.READ
    elif looks_destructive(bare) or set(name_tokens(bare)) & _DESTRUCTIVE_TOKENS:
        risk = Risk.DESTRUCTIVE
    out.append(Target(kind="hasura-metadata", name=_object_name(args) or kind,
                      verb=f"hasura.{kind}", risk=risk, tool=tool, locator=where.locator,
                      detail=f"Hasura {kind}"))


def _data(verb: str, args: Any, where: Where, tool: str) -> Target:
    table = _object_name(args) or "?"
    if verb in ("select", "count"):
        return Target(kind="table", name=table, verb="sql.select", risk=Risk.READ, tool=tool,
                      locator=where.locator, reversible=True)
    if verb == "insert":
        return Target(kind="table", name=table, verb="sql.insert", risk=Risk.WRITE, tool=tool,
                      locator=where.locator)
    cond = args.get("where") if isinstance(args, dict) else None
    if isinstance(cond, dict) and cond:
        return Target(kind="table", name=table, verb=f"sql.{verb}", risk=Risk.WRITE,
                      tool=tool, locator=where.locator, detail="rows selected by where")
    return Target(kind="rows", name=f"table {table}", verb=f"sql.{verb}_all_rows",
                  risk=Risk.DESTRUCTIVE, tool=tool, locator=where.locator,
                  detail=f"Hasura {verb} with an empty where changes every row")


def _object_name(args: Any) -> str:
    """The table (or source, remote schema…) an operation names, for humans."""
    if not isinstance(args, dict):
        return ""
    for key in ("table", "name", "source", "function", "remote_schema"):
        value = args.get(key)
        if isinstance(value, str):
            return value.replace(SENTINEL, "$?")
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            schema = value.get("schema")
            name = str(value["name"])
            return (f"{schema}.{name}" if isinstance(schema, str) else name).replace(
                SENTINEL, "$?")
    return ""
