"""SQL sent through HTTP APIs is classified as SQL: which services run SQL they are sent,
where the SQL is in the request, and which dialect reads it.

:data:`SQL_APIS` is the table (data first): a service is known by its URL path (and, for
hosted services, its host or a header), its SQL sits at JSON paths of the body (or is read
by a reader for the service's own protocol: PostgREST, Hasura, libSQL), and the SQL
classifier (:mod:`airlock.classify.sql`) decides what it does. The environment is the
service's: a locator naming the project or database (``supabase:project:<ref>``,
``cloudflare:d1:<id>``, the ``Neon-Connection-String``), else the URL's host.

A request to one of these services whose SQL Airlock cannot read (a body from a file it
cannot see, SQL from a variable, SQL stored earlier on a libSQL stream) is held. A request
to any other service whose JSON body has a field named like SQL (``sql``, ``statement``,
``query``…) holding destructive SQL is destructive too (:func:`sql_in_fields`).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext
from airlock.classify.graphql import SENTINEL, undynamic
from airlock.classify.http.hasura import classify_hasura
from airlock.classify.http.libsql import classify_libsql
from airlock.classify.http.postgrest import classify_postgrest
from airlock.classify.http.request import HttpRequest, Url
from airlock.classify.http.sql_run import (
    APPROXIMATE,
    Where,
    at_path,
    classify,
    dynamic,
    looks_like_sql,
    query_fields,
    read_body,
    run_sql,
    unreadable,
)


@dataclass(frozen=True)
class SqlApi:
    """One service that runs SQL sent over HTTP."""

    service: str  # for humans
    path: str  # a regular expression the URL's path must match in full
    reader: str  # fields | postgrest | hasura(-shape) | libsql | d1-import | destructive
    dialects: tuple[str, ...] = ("postgresql",)
    hosts: tuple[str, ...] = ()  # host patterns (fnmatch); empty: any host
    fields: tuple[str, ...] = ()  # JSON paths of the SQL in the body (reader "fields")
    locator: str = ""  # a template over the path's named groups ({host0}: the first label
    database: str = ""  # of the host); "" → the URL
    header: str = ""  # a header that names the service on any host
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.path, re.I))


_SUPABASE = ("api.supabase.com", "api.supabase.io")
_SUPABASE_PROJECT = ("*.supabase.co", "*.supabase.in")
_D1 = r"/client/v4/accounts/(?P<account>[^/]+)/d1/database/(?P<db>[^/]+)"

SQL_APIS: tuple[SqlApi, ...] = (
    # Supabase Management API: run SQL, apply a migration (PostgreSQL)
    SqlApi("Supabase Management API", r"/v1/projects/(?P<ref>[^/]+)/database/query(?:/[^/]*)?",
           "fields", hosts=_SUPABASE, fields=("query",), locator="supabase:project:{ref}",
           database="{ref}"),
    SqlApi("Supabase Management API", r"/v1/projects/(?P<ref>[^/]+)/database/migrations/?",
           "fields", hosts=_SUPABASE, fields=("query",), locator="supabase:project:{ref}",
           database="{ref}"),
    # Supabase Studio's postgres-meta (hosted and self-hosted)
    SqlApi("Supabase pg-meta", r"(?:/api)?/platform/pg-meta/(?P<ref>[^/]+)/query", "fields",
           fields=("query",), locator="supabase:project:{ref}", database="{ref}"),
    SqlApi("Supabase pg-meta", r"/pg/query", "fields", fields=("query",)),
    # PostgREST: a project's REST API on Supabase, or self-hosted behind /rest/v1
    SqlApi("Supabase PostgREST", r"/rest/v1/(?P<rel>.*)", "postgrest",
           hosts=_SUPABASE_PROJECT, locator="supabase:project:{host0}", database="{host0}"),
    SqlApi("PostgREST", r"/rest/v1/(?P<rel>.*)", "postgrest"),
    # Cloudflare D1 (SQLite): query and raw take {"sql"} or {"batch": [{"sql"}]}
    SqlApi("Cloudflare D1", _D1 + r"/(?:query|raw)/?", "fields", ("sqlite",),
           hosts=("api.cloudflare.com",), fields=("sql", "batch[].sql"),
           locator="cloudflare:d1:{db}", database="{db}"),
    SqlApi("Cloudflare D1", _D1 + r"/import/?", "d1-import", ("sqlite",),
           hosts=("api.cloudflare.com",), locator="cloudflare:d1:{db}", database="{db}"),
    SqlApi("Cloudflare D1", _D1 + r"/time_travel/restore/?", "destructive", ("sqlite",),
           hosts=("api.cloudflare.com",), locator="cloudflare:d1:{db}", database="{db}"),
    # Hasura: schema API, metadata API, the old schema/metadata API (any host)
    SqlApi("Hasura", r"/v2/query/?|/v1/metadata/?", "hasura"),
    SqlApi("Hasura", r"/v1/query/?", "hasura", hosts=("*.hasura.app",)),
    SqlApi("Hasura", r"/v1/query/?", "hasura-shape"),
    # Neon's SQL over HTTP: POST /sql with the connection string in a header
    SqlApi("Neon SQL over HTTP", r"/sql/?", "fields",
           hosts=("*.neon.tech", "*.neon.build"), fields=("query", "queries[].query"),
           header="neon-connection-string"),
    # libSQL / Turso (SQLite): Hrana over HTTP on any host; the older versions of its HTTP
    # API, on paths other APIs use too, on Turso's hosts
    SqlApi("libSQL", r"/v[23]/pipeline/?|/v3/cursor/?", "libsql", ("sqlite",)),
    SqlApi("Turso", r"/v1/execute/?|/v1/batch/?|/?", "libsql", ("sqlite",),
           hosts=("*.turso.io",)),
    # PlanetScale's HTTP API (MySQL)
    SqlApi("PlanetScale", r"(?:/.*)?/psdb\.v1alpha1\.Database/Execute", "fields", ("mysql",),
           fields=("query",)),
    # warehouses whose dialect the classifier reads approximately
    SqlApi("Snowflake SQL API", r"/api/v2/statements/?", "fields", APPROXIMATE,
           hosts=("*.snowflakecomputing.com",), fields=("statement",)),
    SqlApi("Databricks SQL Statement Execution", r"/api/2\.0/sql/statements/?", "fields",
           APPROXIMATE, hosts=("*.cloud.databricks.com", "*.azuredatabricks.net",
                               "*.gcp.databricks.com"), fields=("statement",)),
    SqlApi("BigQuery", r"/bigquery/v2/projects/(?P<project>[^/]+)/(?:queries|jobs)/?",
           "fields", APPROXIMATE, hosts=("bigquery.googleapis.com", "www.googleapis.com"),
           fields=("query", "configuration.query.query"), locator="gcp:bigquery:{project}",
           database="{project}"),
    SqlApi("Xata SQL", r"/db/(?P<db>[^/]+)/sql/?", "fields", hosts=("*.xata.sh",),
           fields=("statement", "queries[].statement"), database="{db}"),
)

# Fields of any other API's JSON body that may hold SQL. "strict": named for SQL, so SQL
# Airlock cannot read there whose first word destroys is held; "lenient": often prose or a
# search (``q``), so only SQL that parses and is destructive counts.
_STRICT_KEYS = frozenset({"sql", "statement", "stmt", "sql_query", "sqlquery", "sqltext"})
_LENIENT_KEYS = frozenset({"query", "q", "command"})
_DESTRUCTIVE_START = re.compile(
    r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*(?:drop|truncate|delete|alter|grant|revoke|update"
    r"|merge|replace|purge)\b", re.I | re.S)


def match_sql_api(req: HttpRequest, parts: Url) -> tuple[SqlApi, dict[str, str]] | None:
    """The service a request goes to, and the path's named groups, if it runs SQL. The
    path is compared the way servers tend to read it: percent-decoded, ``//`` and ``.``
    segments folded, case aside."""
    path = _normal_path(parts.path)
    for api in SQL_APIS:
        if api.hosts and not any(fnmatch.fnmatchcase(parts.host, h) for h in api.hosts) \
                and not (api.header and req.header(api.header) is not None):
            continue
        m = api.compiled.fullmatch(path)
        if m is not None:
            return api, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


def _normal_path(path: str) -> str:
    folded = posixpath.normpath("/" + unquote(path).lstrip("/"))
    return "/" if folded in (".", "//") else folded.replace("//", "/")


def classify_sql_api(req: HttpRequest, parts: Url, method: str, ctx: ClassifyContext,
                     tool: str) -> list[Target] | None:
    """The targets of a request to a service that runs SQL; None when the request is not
    one (or carries no SQL where the service reads it): the caller rates it otherwise."""
    found = match_sql_api(req, parts)
    if found is None:
        return None
    api, groups = found
    where = _where(api, groups, req, parts)
    if api.reader == "postgrest":
        return classify_postgrest(req, parts, method, groups.get("rel", ""), where, ctx, tool)
    if api.reader in ("hasura", "hasura-shape"):
        # /v1/query on any host is Hasura only when the body says so
        return classify_hasura(req, where, ctx, tool, known=api.reader == "hasura")
    if api.reader == "libsql":
        return classify_libsql(req, where, ctx, tool)
    if api.reader == "destructive":
        return [Target(kind="database", name=where.database or api.service,
                       verb="d1.time_travel.restore", risk=Risk.DESTRUCTIVE, tool=tool,
                       locator=where.locator, detail="rewinds the database to a bookmark")]
    if api.reader == "d1-import":
        return _d1_import(req, where, ctx, tool)
    body = read_body(req)
    if body.unknown:
        ctx.unparsed(f"{tool}: {api.service}: {body.unknown}")
        return [unreadable(where, tool, body.unknown)]
    texts: list[tuple[str, str]] = []
    for path in api.fields:
        for place, value in at_path(body.data, path):
            if isinstance(value, str):
                texts.append((place, value))
            elif value is not None:
                ctx.unparsed(f"{tool}: {api.service}: {place} is not SQL text")
                return [unreadable(where, tool, f"{place} is not SQL text")]
    if not texts:
        if body.raw is not None and body.raw.strip():
            # not JSON (nor a form): the service may still read it in a way Airlock cannot
            why = "the request body is not JSON Airlock can read"
            ctx.unparsed(f"{tool}: {api.service}: {why}")
            return [unreadable(where, tool, why)]
        return None
    return run_sql(texts, where, ctx, tool) or [
        Target(kind="database", name=where.database or api.service, verb="sql.empty",
               risk=Risk.READ, tool=tool, locator=where.locator, detail="no statement")]


def _where(api: SqlApi, groups: dict[str, str], req: HttpRequest, parts: Url) -> Where:
    values = dict(groups)
    values["host0"] = parts.host.split(".")[0]
    values = {k: v.replace(SENTINEL, "*") for k, v in values.items()}
    locator = api.locator.format(**values) if api.locator else parts.locator
    database = api.database.format(**values) if api.database else ""
    if api.header:
        conn = req.header(api.header)
        if conn and SENTINEL not in undynamic(conn):
            locator, database = _connection(conn, locator, database)
    return Where(service=api.service, locator=locator, database=database,
                 dialects=api.dialects)


def _connection(conn: str, locator: str, database: str) -> tuple[str, str]:
    """A connection string → (locator without its password, database name)."""
    try:
        s = urlsplit(conn.strip())
        host = s.hostname or ""
    except ValueError:
        return locator, database
    if not host:
        return locator, database
    user = f"{s.username}@" if s.username else ""
    port = f":{s.port}" if s.port else ""
    db = s.path.lstrip("/")
    return f"{s.scheme or 'postgresql'}://{user}{host}{port}/{db}", db or database


def _d1_import(req: HttpRequest, where: Where, ctx: ClassifyContext,
               tool: str) -> list[Target]:
    """D1's import: ``init`` starts an upload, ``ingest`` runs the uploaded SQL file (which
    Airlock cannot see), ``poll`` asks how it went."""
    body = read_body(req)
    action = body.data.get("action") if isinstance(body.data, dict) else None
    if action == "poll":
        return [Target(kind="database", name=where.database, verb="d1.import.poll",
                       risk=Risk.READ, tool=tool, locator=where.locator)]
    if action == "init":
        return [Target(kind="database", name=where.database, verb="d1.import.init",
                       risk=Risk.WRITE, tool=tool, locator=where.locator,
                       detail="starts an upload of SQL to import")]
    why = "runs an uploaded SQL file Airlock cannot see"
    ctx.unparsed(f"{tool}: {where.service} import {why}")
    return [unreadable(where, tool, f"import {why}")]


def sql_in_fields(req: HttpRequest, parts: Url, ctx: ClassifyContext,
                  tool: str) -> list[Target]:
    """Destructive SQL in a field named for SQL, in the body or the query string, of a
    request to a service not in :data:`SQL_APIS`: its targets (or a held one when that SQL
    cannot be read). Nothing for the rest: the request is rated as plain HTTP. A search's
    ``?q=`` on a GET is prose, never SQL."""
    candidates: list[tuple[str, str, bool]] = []  # (place, text, strict)
    body = read_body(req)
    if isinstance(body.data, dict):
        _named_fields(body.data, "", candidates, depth=0)
    elif body.raw is not None and looks_like_sql(body.raw):
        strict = req.content_type in ("application/sql", "text/sql", "application/x-sql")
        candidates.append(("the body", body.raw, strict))
    if parts.query and "=" in parts.query:
        in_query: list[tuple[str, str, bool]] = []
        _named_fields(query_fields(parts.query), "query string ", in_query, depth=0)
        # a search (GET ?q=drop+table) is prose; SQL run from the query string is POSTed
        read_only = req.method.upper() in ("GET", "HEAD", "OPTIONS")
        candidates.extend(c for c in in_query if c[2] or not read_only)
    if not candidates:
        return []
    service = parts.host or "an HTTP API"
    approximate = Where(service=service, locator=parts.locator, dialects=APPROXIMATE)
    # PostgreSQL's own parser refuses prose ("delete my account") that the lenient
    # parsers of the other dialects accept: a field that may hold prose is read with it
    strict_parser = Where(service=service, locator=parts.locator, dialects=("postgresql",))
    out: list[Target] = []
    for place, text, strict in candidates:
        where = approximate if strict else strict_parser
        found = run_sql([(place, text)], where, ctx, tool, lenient=True)
        if found:
            out.extend(found)
        elif strict and _DESTRUCTIVE_START.match(undynamic(text)) and not _parses(text, where):
            ctx.unparsed(f"{tool}: {place} holds SQL Airlock cannot read")
            out.append(unreadable(where, tool, f"{place} holds SQL Airlock cannot read"))
    return out


def _parses(text: str, where: Where) -> bool:
    return not dynamic(text) and not classify(text, where, "")[1]


def _named_fields(data: dict[str, Any], prefix: str, out: list[tuple[str, str, bool]],
                  depth: int) -> None:
    for key, value in list(data.items())[:200]:
        k = str(key).lower()
        if isinstance(value, str):
            if (k in _STRICT_KEYS or k in _LENIENT_KEYS) and looks_like_sql(value):
                out.append((f"{prefix}field {key}", value, k in _STRICT_KEYS))
        elif isinstance(value, dict) and depth < 3:
            _named_fields(value, f"{prefix}{key}.", out, depth + 1)
        elif isinstance(value, list) and depth < 3:
            for item in value[:100]:
                if isinstance(item, dict):
                    _named_fields(item, f"{prefix}{key}[].", out, depth + 1)
