"""PostgREST (Supabase's ``/rest/v1/``): a table's rows by HTTP verb, and SQL carried in
the arguments of a function called through ``rpc/``.

- ``GET``/``HEAD`` read rows; ``POST`` inserts (or upserts), ``PUT`` upserts one row: writes.
- ``PATCH`` and ``DELETE`` change the rows the query's filters select (``?id=eq.1``): a
  narrow write. With no filter, or only filters that match every row (``name=like.*``),
  they change every row: destructive (``sql.update_all_rows``/``sql.delete_all_rows``).
- ``rpc/<function>`` calls a function: a write, unless an argument is SQL (a function
  named like ``exec_sql`` runs it): then the SQL decides, read with the SQL classifier.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext
from airlock.classify.graphql import SENTINEL, undynamic
from airlock.classify.http.request import HttpRequest, Url
from airlock.classify.http.rest import method_overrides
from airlock.classify.http.sql_run import (
    Where,
    looks_like_sql,
    query_fields,
    read_body,
    run_sql,
    unreadable,
)

# query parameters that shape the answer rather than select rows
_RESERVED = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict"})
_LOGICAL = frozenset({"or", "and", "not.or", "not.and"})
_OPERATOR_WORDS = """
eq gt gte lt lte neq like ilike match imatch in is isdistinct fts plfts phfts wfts cs cd ov
sl sr nxr nxl adj
"""
_OPERATORS = frozenset(_OPERATOR_WORDS.split())
# a function whose name says it runs SQL: its string arguments are SQL
_SQL_FUNCTION = re.compile(r"(?:^|_)(?:sql|query|exec|execute)(?:_|$)", re.I)
_SQL_KEYS = frozenset({"sql", "query", "statement", "stmt", "q", "command", "cmd", "sql_query"})
_MAX_STRINGS = 200


def classify_postgrest(req: HttpRequest, parts: Url, method: str, rel: str, where: Where,
                       ctx: ClassifyContext, tool: str) -> list[Target]:
    """Targets of one request to ``…/rest/v1/<rel>``."""
    name = rel.strip("/")
    if name.startswith("rpc/"):
        return _rpc(req, parts, method, name[4:], where, ctx, tool)
    effective = method
    for override, _how in method_overrides(req, parts):
        if override in ("DELETE", "PATCH", "?"):
            effective = override  # a gateway may honour it: judge the worse method
    table = name.replace(SENTINEL, "$?") or "?"
    unresolved = SENTINEL in name or not name
    if effective in ("GET", "HEAD", "OPTIONS"):
        return [_row_target(table, "sql.select", Risk.READ, where, tool, "", unresolved)]
    if effective in ("POST", "PUT"):
        return [_row_target(table, "sql.insert" if effective == "POST" else "sql.upsert",
                            Risk.WRITE, where, tool, "", unresolved)]
    if effective not in ("PATCH", "DELETE"):
        return [_row_target(table, f"postgrest.{effective.lower()}", Risk.DESTRUCTIVE, where,
                            tool, f"unknown method {effective}", True)]
    verb = "delete" if effective == "DELETE" else "update"
    scope, why = row_scope(parts.query)
    if scope == "narrow":
        return [_row_target(table, f"sql.{verb}", Risk.WRITE, where, tool,
                            "rows selected by the query's filters", unresolved)]
    return [_row_target(table, f"sql.{verb}_all_rows", Risk.DESTRUCTIVE, where, tool,
                        f"{effective} {why}", unresolved or scope == "unknown")]


def row_scope(query: str) -> tuple[str, str]:
    """("narrow" | "all" | "unknown", why) for a PostgREST query string."""
    filters = 0
    wide = 0
    for key, value in parse_qsl(undynamic(query), keep_blank_values=True):
        if SENTINEL in key:
            return "unknown", "with a filter Airlock cannot read (a variable)"
        k = key.strip().lower()
        if k in _RESERVED or ("." in k and k not in _LOGICAL):
            continue  # shaping the answer, or a filter on an embedded resource
        if k in _LOGICAL:
            if value.strip("() "):
                filters += 1
            continue
        kind = _filter_kind(value)
        if kind == "none":
            continue
        filters += 1
        wide += kind == "wide"
    if filters == 0:
        return "all", "with no filter changes every row"
    if wide == filters:
        return "all", "with a filter that matches every row"
    return "narrow", ""


def _filter_kind(value: str) -> str:
    """"narrow", "wide" (matches every row) or "none" (not a filter PostgREST reads)."""
    ops = value.split(".")
    if ops and ops[0].lower() == "not":
        ops = ops[1:]
    if not ops:
        return "none"
    op = re.sub(r"\((?:any|all)\)$", "", ops[0].lower())
    if op not in _OPERATORS and SENTINEL not in op:
        return "none"
    arg = ".".join(ops[1:])
    if op in ("like", "ilike") and arg and not arg.strip("*%"):
        return "wide"
    if op in ("match", "imatch") and arg in ("", ".*", "^.*$", "^", ".*$"):
        return "wide"
    return "narrow"


def _row_target(table: str, verb: str, risk: Risk, where: Where, tool: str, detail: str,
                unresolved: bool) -> Target:
    return Target(kind="table", name=table, verb=verb, risk=risk, tool=tool,
                  locator=where.locator, reversible=risk == Risk.READ,
                  detail=(f"{detail}; " if detail else "") + f"through {where.service}",
                  unresolved=unresolved)


def _rpc(req: HttpRequest, parts: Url, method: str, function: str, where: Where,
         ctx: ClassifyContext, tool: str) -> list[Target]:
    runs_sql = bool(_SQL_FUNCTION.search(function)) or SENTINEL in function
    body = read_body(req)
    if body.unknown and runs_sql:
        ctx.unparsed(f"{tool}: {where.service}: rpc/{function}: {body.unknown}")
        return [unreadable(where, tool, f"rpc/{function}: {body.unknown}")]
    args: Any = body.data if method not in ("GET", "HEAD") else query_fields(parts.query)
    if body.raw is not None and method not in ("GET", "HEAD"):
        args = {"": body.raw}  # a single unnamed argument (Prefer: params=single-object)
    strings = _strings(args)
    risk = Risk.READ if method in ("GET", "HEAD") else Risk.WRITE
    call = Target(kind="function", name=function.replace(SENTINEL, "$?"),
                  verb="postgrest.rpc", risk=risk, tool=tool, locator=where.locator,
                  detail=f"calls a database function through {where.service}",
                  unresolved=SENTINEL in function)
    if runs_sql:  # its SQL argument is what it does
        texts = [(f"rpc/{function} argument {k or 'body'}", s) for k, s in strings
                 if k.rsplit(".", 1)[-1] in _SQL_KEYS or looks_like_sql(s)]
        return run_sql(texts, where, ctx, tool) or [call]
    # any other function: SQL in an argument may be run (or may be prose); only SQL that
    # parses and is destructive raises the call
    texts = [(f"rpc/{function} argument {k or 'body'}", s) for k, s in strings
             if looks_like_sql(s)]
    return [call, *run_sql(texts, where, ctx, tool, lenient=True)]


def _strings(value: Any, key: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """(key path, string) for the string values of a JSON value, shallowly bounded."""
    out: list[tuple[str, str]] = []
    if depth > 6:
        return out
    if isinstance(value, str):
        out.append((key, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            out.extend(_strings(v, f"{key}.{k}" if key else str(k), depth + 1))
    elif isinstance(value, list):
        for v in value:
            out.extend(_strings(v, key, depth + 1))
    return out[:_MAX_STRINGS]
