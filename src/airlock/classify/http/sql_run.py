"""What the readers of SQL sent over HTTP share: the request body as data, SQL found at
JSON paths, whether a string looks like SQL, and SQL → targets through the SQL
classifier (:func:`airlock.classify.sql.classify_sql`, never changed here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext
from airlock.classify.graphql import SENTINEL, undynamic
from airlock.classify.http.request import HttpRequest
from airlock.classify.sql import classify_sql

# Dialects tried, in order, for services whose own SQL dialect the classifier does not
# speak (Snowflake, Databricks, BigQuery, T-SQL): the worst reading of those that parse.
APPROXIMATE = ("postgresql", "mysql", "sqlite")

# A statement's first word: what tells SQL from prose in a field that might hold either.
_SQL_WORDS = """
select insert update delete drop truncate alter create grant revoke with do call copy vacuum
analyze begin start commit rollback set reset merge replace upsert comment lock reindex
cluster refresh explain show pragma attach detach values table declare execute exec prepare
rename load kill flush optimize use savepoint release listen notify discard import purge
"""
_SQL_STARTS = frozenset(_SQL_WORDS.split())
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\(|;)+", re.S)


@dataclass
class Body:
    """A request body read as data: JSON, or a form's fields; ``raw`` for other text."""

    data: Any = None
    raw: str | None = None
    unknown: str = ""  # why the body cannot be read ("" when it can)


def read_body(req: HttpRequest) -> Body:
    if req.body_unknown:
        src = req.body_source or "somewhere Airlock cannot see"
        return Body(unknown=f"the request body comes from {src}")
    encoding = (req.header("content-encoding") or "").strip().lower()
    if req.body is not None and encoding not in ("", "identity"):
        return Body(unknown=f"the request body is encoded ({encoding[:40]}): Airlock cannot "
                            "read it")
    if req.form is not None:
        return Body(data={k: undynamic(v) for k, v in req.form})
    if req.body is None:
        return Body()
    text = undynamic(req.body)
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):  # an object, an array, or one JSON string
        twice: list[str] = []
        try:
            data = json.loads(text, object_pairs_hook=lambda pairs: _object(pairs, twice))
        except (ValueError, RecursionError):
            if SENTINEL in text:
                return Body(unknown="the request body is partly a variable or command output")
            return Body(raw=text)  # not JSON: the service refuses it
        if twice:
            # {"sql": "SELECT 1", "sql": "DROP TABLE t"}: parsers differ on which one wins
            return Body(unknown=f"the request body gives the key {twice[0][:40]!r} twice")
        return Body(data=data)
    if "=" in stripped:
        fields = dict(parse_qsl(text, keep_blank_values=True))
        if fields:
            return Body(data=fields)
    return Body(raw=text)


def _object(pairs: list[tuple[str, Any]], twice: list[str]) -> dict[str, Any]:
    """A JSON object; a key given twice (or in two cases, ``sql``/``SQL``: some decoders
    match keys case-insensitively) with different values is noted in ``twice``."""
    out: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for k, v in pairs:
        low = k.lower() if isinstance(k, str) else k
        if low in seen and seen[low] != v:
            twice.append(str(k))
        seen[low] = v
        out[k] = v
    return out


def query_fields(query: str) -> dict[str, str]:
    return dict(parse_qsl(undynamic(query), keep_blank_values=True))


def at_path(data: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) for every value at a JSON path: ``batch[].sql`` walks each item of
    the ``batch`` list, ``configuration.query.query`` nested objects."""
    items: list[tuple[str, Any]] = [("", data)]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part[:-2] if each else part
        nxt: list[tuple[str, Any]] = []
        for where, value in items:
            found: list[tuple[str, Any]] = [(where, value)]
            if key:
                if not isinstance(value, dict):
                    continue
                # case-insensitively: some services' JSON decoders match keys so (Go's)
                found = [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()
                         if isinstance(k, str) and k.lower() == key.lower()]
            for place, v in found:
                if not each:
                    nxt.append((place, v))
                elif isinstance(v, list):
                    nxt.extend((f"{place}[{i}]", x) for i, x in enumerate(v))
        items = nxt
    yield from items


def looks_like_sql(text: str) -> bool:
    """Does the string start (after blanks, comments and brackets) with a SQL verb?"""
    rest = _LEADING_NOISE.sub("", text[:2000], count=1)
    m = re.match(r"[A-Za-z_]+", rest)
    return m is not None and m.group(0).lower() in _SQL_STARTS


def dynamic(text: str) -> bool:
    return SENTINEL in text or DYNAMIC in text


@dataclass(frozen=True)
class Where:
    """Where the SQL goes: the service, its connection locator and database name."""

    service: str
    locator: str
    database: str = ""
    dialects: Sequence[str] = ("postgresql",)


def run_sql(texts: Sequence[tuple[str, str]], where: Where, ctx: ClassifyContext,
            tool: str, *, lenient: bool = False) -> list[Target]:
    """Targets of each (place, SQL) pair; what cannot be read is flagged ``unparsed`` (held)
    and stands as a destructive target of the service.

    ``lenient``: the text may be prose rather than SQL (a field of an API that does not
    say it runs SQL): only SQL that parses and is destructive counts, nothing is flagged."""
    out: list[Target] = []
    for place, text in texts:
        if lenient:
            if not dynamic(text):
                found, problems = classify(text, where, tool)
                if not problems and any(t.risk >= Risk.DESTRUCTIVE for t in found):
                    out.extend(_sent(found, where))
            continue
        if dynamic(text):
            out.append(unreadable(where, tool, f"the SQL in {place} is partly a variable or "
                                               "command output"))
            ctx.unparsed(f"{tool}: {where.service}: the SQL in {place} cannot be read")
            continue
        found, problems = classify(text, where, tool)
        for p in problems:
            ctx.unparsed(f"{tool}: {where.service}: {p}")
        if problems and not found:
            out.append(unreadable(where, tool, f"SQL in {place} Airlock cannot read"))
        out.extend(_sent(found, where))
    return out


def _sent(found: list[Target], where: Where) -> list[Target]:
    for t in found:
        t.detail = (f"{t.detail}; " if t.detail else "") + f"sent to {where.service}"
    return found


def classify(text: str, where: Where, tool: str) -> tuple[list[Target], list[str]]:
    """One SQL text in the service's dialect; with several dialects (an approximation of
    one the classifier does not speak) the worst reading among those that parse."""
    first_problems: list[str] = []
    readings: list[list[Target]] = []
    for dialect in where.dialects:
        found, problems = classify_sql(text, dialect=dialect, database=where.database,
                                       locator=where.locator, tool=tool)
        if not problems:
            readings.append(found)
        elif not first_problems:
            first_problems = problems
        if len(where.dialects) == 1:
            return found, problems
    if not readings:
        return [], first_problems
    return max(readings, key=lambda ts: max((t.risk for t in ts), default=Risk.READ)), []


def unreadable(where: Where, tool: str, detail: str) -> Target:
    return Target(kind="database", name=where.database or where.service, verb="sql.unknown",
                  risk=Risk.DESTRUCTIVE, tool=tool, locator=where.locator, detail=detail,
                  unresolved=True)
