"""libSQL / Turso over HTTP (SQLite): where each version of the protocol puts its SQL.

- ``/v2/pipeline``, ``/v3/pipeline`` ("Hrana over HTTP"): ``requests`` of type
  ``execute`` (``stmt.sql``), ``batch`` (``batch.steps[].stmt.sql``), ``sequence``
  (``sql``) and ``store_sql`` (``sql``, run later by ``sql_id``); ``describe`` only
  prepares, ``close`` ends the stream;
- ``/v3/cursor``: one ``batch``; ``/v1/execute``: one ``stmt``; ``/v1/batch``: one
  ``batch``;
- ``/`` (version 0): ``statements``, each a string or ``{"q": …}``.

A statement that runs SQL stored by ``sql_id`` in an earlier request on the stream runs
SQL Airlock cannot see: held.
"""

from __future__ import annotations

from typing import Any

from airlock.action import Target
from airlock.classify.command import ClassifyContext
from airlock.classify.http.request import HttpRequest
from airlock.classify.http.sql_run import Where, read_body, run_sql, unreadable

_MAX_REQUESTS = 500


def classify_libsql(req: HttpRequest, where: Where, ctx: ClassifyContext,
                    tool: str) -> list[Target] | None:
    """None when the body is not a libSQL request at all (then the caller rates the
    request as plain HTTP)."""
    body = read_body(req)
    if body.unknown:
        ctx.unparsed(f"{tool}: {where.service}: {body.unknown}")
        return [unreadable(where, tool, body.unknown)]
    data = body.data
    if not isinstance(data, dict):
        return None
    texts: list[tuple[str, str]] = []
    problems: list[str] = []
    stored: set[Any] = set()
    if isinstance(data.get("requests"), list):
        for i, r in enumerate(data["requests"][:_MAX_REQUESTS]):
            _stream_request(r, f"requests[{i}]", texts, problems, stored)
    if isinstance(data.get("stmt"), dict):
        _stmt(data["stmt"], "stmt", texts, problems, stored)
    if isinstance(data.get("batch"), dict):
        _batch(data["batch"], "batch", texts, problems, stored)
    if isinstance(data.get("statements"), list):
        for i, s in enumerate(data["statements"][:_MAX_REQUESTS]):
            sql = s.get("q") if isinstance(s, dict) else s
            if isinstance(sql, str):
                texts.append((f"statements[{i}]", sql))
            else:
                problems.append(f"statements[{i}] holds no SQL Airlock can read")
    if not texts and not problems:
        return None
    out = run_sql(texts, where, ctx, tool)
    for p in problems:
        ctx.unparsed(f"{tool}: {where.service}: {p}")
        out.append(unreadable(where, tool, p))
    return out


def _stream_request(r: Any, place: str, texts: list[tuple[str, str]], problems: list[str],
                    stored: set[Any]) -> None:
    if not isinstance(r, dict):
        problems.append(f"{place} is not a request Airlock can read")
        return
    kind = r.get("type")
    if kind == "execute":
        _stmt(r.get("stmt"), f"{place}.stmt", texts, problems, stored)
    elif kind == "batch":
        _batch(r.get("batch"), f"{place}.batch", texts, problems, stored)
    elif kind == "store_sql":
        if isinstance(r.get("sql"), str):
            if isinstance(r.get("sql_id"), int | str):
                stored.add(r["sql_id"])
            texts.append((f"{place}.sql", r["sql"]))
    elif kind == "sequence":
        _sql_or_id(r, place, texts, problems, stored)
    elif kind not in ("close", "describe", "close_sql", "get_autocommit"):
        problems.append(f"{place} has a request type Airlock does not know ({kind!r})")


def _batch(batch: Any, place: str, texts: list[tuple[str, str]], problems: list[str],
           stored: set[Any]) -> None:
    steps = batch.get("steps") if isinstance(batch, dict) else None
    if not isinstance(steps, list):
        problems.append(f"{place} has no steps Airlock can read")
        return
    for i, step in enumerate(steps[:_MAX_REQUESTS]):
        stmt = step.get("stmt") if isinstance(step, dict) else None
        _stmt(stmt, f"{place}.steps[{i}].stmt", texts, problems, stored)


def _stmt(stmt: Any, place: str, texts: list[tuple[str, str]], problems: list[str],
          stored: set[Any]) -> None:
    if not isinstance(stmt, dict):
        problems.append(f"{place} is not a statement Airlock can read")
        return
    _sql_or_id(stmt, place, texts, problems, stored)


def _sql_or_id(obj: dict[str, Any], place: str, texts: list[tuple[str, str]],
               problems: list[str], stored: set[Any]) -> None:
    sql = obj.get("sql")
    sql_id = obj.get("sql_id")
    if isinstance(sql, str):
        texts.append((f"{place}.sql", sql))
    elif isinstance(sql_id, int | str) and sql_id in stored:
        return  # stored by this same request: its SQL is already read
    elif sql_id is not None:
        problems.append(f"{place} runs SQL stored earlier on the stream (sql_id "
                        f"{str(sql_id)[:40]!r}), which Airlock cannot see")
    else:
        problems.append(f"{place} holds no SQL Airlock can read")
