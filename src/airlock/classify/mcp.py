"""classify an MCP ``tools/call``: ``Action(kind="mcp")``.

The action's command is canonical JSON::

    {"server": "pg", "tool": "query", "arguments": {"sql": "…"}, "annotations": {…}}

A **tool pack** says what a tool is in Airlock's terms, so that the call goes through the
same classifier as the equivalent shell command, SQL statement or HTTP request:

- ``sql``: an argument holds SQL → :func:`airlock.classify.sql.classify_sql` (every
  statement; the database is the pack's ``database`` locator, or a ``database`` argument).
- ``path``: a filesystem tool → the shell command it amounts to (``read_file`` is
  ``cat PATH``, ``write_file`` is ``tee PATH``, ``delete_file`` is ``rm -f PATH``,
  ``move_file`` is ``mv SRC DST``…), so secret files, Airlock's own guard files, the
  workspace and the inventory count exactly as they do for a shell.
- ``shell``: an argument holds a shell command → the shell classifier.
- ``http``: ``method``/``url``/``headers``/``body`` arguments → the HTTP classifier.
- ``read``: declared read-only (``[mcp] read_only`` or a ``[[mcp.tools]]`` entry).
- ``risk``: a fixed risk (``read``, ``write``, ``destructive``, ``catastrophic``).

Built-in packs cover the reference Postgres, SQLite and filesystem MCP servers, common
shell and fetch tools, and Airlock's own ``airlock mcp serve`` tools; ``[[mcp.tools]]`` in
``airlock.toml`` adds or overrides (first match wins, user entries first).

Anything else is held: a tool Airlock does not know, and that the config does not
declare read-only, is ``unparsed``. Tool annotations (``readOnlyHint``,
``destructiveHint``) come from the server, which may be wrong or hostile: a destructive
hint makes a call worse, a read-only hint is only mentioned in the reason, never enough
to allow.

``[mcp]`` is validated here (:func:`mcp_config`); every error names the file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import threading
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airlock.action import Action, Risk, Target
from airlock.config import SECTION_KEYS, Config, ConfigError, unknown_key

if TYPE_CHECKING:
    from airlock.classify.command import ClassifyContext

DEFAULT_MAX_ARGUMENT_BYTES = 256 * 1024
PACK_KINDS = ("sql", "path", "shell", "http", "read", "risk")

# what a filesystem tool amounts to, as a shell command
_FS_COMMANDS: dict[str, str] = {
    "read": "cat",
    "list": "ls",
    "write": "tee",
    "mkdir": "mkdir -p",
    "delete": "rm -f",
    "delete_dir": "rm -rf",
    "move": "mv",
    "copy": "cp",
}


@dataclass(frozen=True, slots=True)
class ToolPack:
    """What one MCP tool (name glob, on servers matching ``server``) is to Airlock."""

    match: str
    as_: str  # one of PACK_KINDS
    server: str = "*"
    argument: str = ""  # the argument that holds the SQL / path / command
    arguments: tuple[str, ...] = ()  # path: several path arguments (``source``, ``destination``)
    op: str = ""  # path: read | list | write | mkdir | delete | delete_dir | move | copy
    dialect: str = ""
    database: str = ""  # sql: the locator (URL without password, sqlite:/abs/path)
    risk: Risk = Risk.DESTRUCTIVE  # risk: the fixed risk
    verb: str = ""
    where: str = "built-in"

    def matches(self, server: str, tool: str) -> bool:
        return fnmatch.fnmatchcase(tool, self.match) and fnmatch.fnmatchcase(server or "",
                                                                           self.server)


def _b(match: str, as_: str, **kw: Any) -> ToolPack:
    return ToolPack(match=match, as_=as_, **kw)


# The reference servers' tool names (modelcontextprotocol/servers and servers-archived):
# server-postgres `query {sql}` (read-only transaction there, but Airlock does not rely on
# it), mcp-server-sqlite `read_query/write_query/create_table {query}`, server-filesystem.
BUILTIN_PACKS: tuple[ToolPack, ...] = (
    _b("query", "sql", argument="sql"),
    _b("execute_sql", "sql", argument="sql"),
    _b("run_sql", "sql", argument="sql"),
    _b("read_query", "sql", argument="query", dialect="sqlite"),
    _b("write_query", "sql", argument="query", dialect="sqlite"),
    _b("create_table", "sql", argument="query", dialect="sqlite"),
    _b("list_tables", "read"),
    _b("describe_table", "read"),
    _b("read_file", "path", argument="path", op="read"),
    _b("read_text_file", "path", argument="path", op="read"),
    _b("read_media_file", "path", argument="path", op="read"),
    _b("read_multiple_files", "path", argument="paths", op="read"),
    _b("get_file_info", "path", argument="path", op="read"),
    _b("list_directory", "path", argument="path", op="list"),
    _b("list_directory_with_sizes", "path", argument="path", op="list"),
    _b("directory_tree", "path", argument="path", op="list"),
    _b("search_files", "path", argument="path", op="list"),
    _b("list_allowed_directories", "read"),
    _b("write_file", "path", argument="path", op="write"),
    _b("edit_file", "path", argument="path", op="write"),
    _b("create_directory", "path", argument="path", op="mkdir"),
    _b("delete_file", "path", argument="path", op="delete"),
    _b("delete_directory", "path", argument="path", op="delete_dir"),
    _b("move_file", "path", arguments=("source", "destination"), op="move"),
    _b("copy_file", "path", arguments=("source", "destination"), op="copy"),
    _b("run_command", "shell", argument="command"),
    _b("execute_command", "shell", argument="command"),
    _b("run_shell_command", "shell", argument="command"),
    _b("shell", "shell", argument="command"),
    _b("bash", "shell", argument="command"),
    _b("http_request", "http"),
    _b("fetch", "http"),
    _b("request_status", "read"),
    _b("describe_target", "read"),
)


@dataclass
class McpConfig:
    """The validated ``[mcp]`` section."""

    path: str | None = None
    max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES
    expose: tuple[str, ...] = ("*",)  # tool-name globs the proxy lists
    hide: tuple[str, ...] = ()  # tool-name globs the proxy never lists nor forwards
    read_only: tuple[str, ...] = ()  # tool-name globs declared read-only
    tools: list[ToolPack] = field(default_factory=list)  # [[mcp.tools]], before built-ins
    databases: dict[str, str] = field(default_factory=dict)  # name → URL, for mcp serve

    def packs(self) -> list[ToolPack]:
        return [*self.tools, *BUILTIN_PACKS]

    def pack_for(self, server: str, tool: str) -> ToolPack | None:
        for pack in self.tools:
            if pack.matches(server, tool):
                return pack
        if any(fnmatch.fnmatchcase(tool, g) for g in self.read_only):
            return ToolPack(match=tool, as_="read", where="[mcp] read_only")
        for pack in BUILTIN_PACKS:
            if pack.matches(server, tool):
                return pack
        return None

    def listed(self, tool: str) -> bool:
        """Whether the proxy shows (and forwards) ``tool``."""
        if any(fnmatch.fnmatchcase(tool, g) for g in self.hide):
            return False
        return any(fnmatch.fnmatchcase(tool, g) for g in self.expose)


_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, McpConfig]] = {}


def mcp_config(config: Config | None) -> McpConfig:
    """The ``[mcp]`` section of ``config``'s file (cached until the file changes).

    Raises :class:`~airlock.config.ConfigError` naming the file."""
    if config is None or not config.path:
        return McpConfig()
    path = config.path
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return McpConfig(path=path)
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [mcp]: {exc}") from None
    parsed = parse_mcp(data.get("mcp", {}), path, text)
    with _cache_lock:
        _cache[path] = (mtime, parsed)
    return parsed


def parse_mcp(section: Any, path: str, text: str = "") -> McpConfig:
    def err(msg: str, needle: str = "") -> ConfigError:
        line = ""
        if needle:
            for i, row in enumerate(text.splitlines(), 1):
                if needle in row:
                    line = f":{i}"
                    break
        return ConfigError(f"{path}{line}: {msg}")

    out = McpConfig(path=path)
    if not isinstance(section, dict):
        raise err("[mcp] must be a table", "mcp")
    problem = unknown_key(section, "mcp")
    if problem:
        raise err(f"[mcp]: {problem}", next(k for k in section if k not in SECTION_KEYS["mcp"]))
    limit = section.get("max_argument_bytes", DEFAULT_MAX_ARGUMENT_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise err("[mcp] max_argument_bytes must be a positive integer", "max_argument_bytes")
    out.max_argument_bytes = limit
    for key in ("expose", "hide", "read_only"):
        if key in section:
            setattr(out, key, _globs(section[key], f"[mcp] {key}", err))
    dbs = section.get("databases", {})
    if not isinstance(dbs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                            for k, v in dbs.items()):
        raise err("[mcp] databases must be a table of name = \"URL\"", "databases")
    out.databases = dict(dbs)
    tools = section.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise err("[mcp] tools must be an array of tables: [[mcp.tools]]", "tools")
    for i, body in enumerate(tools):
        out.tools.append(_tool_pack(body, f"[[mcp.tools]] #{i + 1}", err,
                                    os.path.dirname(os.path.abspath(path))))
    return out


def _globs(value: Any, where: str, err: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise err(f"{where} must be a string or a list of strings", where.split()[-1])
    return tuple(value)


def _tool_pack(body: dict[str, Any], where: str, err: Any, base: str) -> ToolPack:
    problem = unknown_key(body, "mcp.tools")
    if problem:
        raise err(f"{where}: {problem}",
                  next(k for k in body if k not in SECTION_KEYS["mcp.tools"]))
    for key in ("match", "server", "as", "argument", "op", "dialect", "database", "verb"):
        if key in body and not isinstance(body[key], str):
            raise err(f"{where}: {key} must be a string", key)
    match = body.get("match", "")
    if not match:
        raise err(f"{where} needs match = \"<tool name or glob>\"", "[[mcp.tools]]")
    where = f"{where} ({match!r})"
    as_ = body.get("as", "")
    if as_ not in PACK_KINDS:
        raise err(f"{where}: as must be one of {', '.join(PACK_KINDS)}", match)
    arguments = body.get("arguments", [])
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        raise err(f"{where}: arguments must be a list of argument names", match)
    risk = Risk.DESTRUCTIVE
    if "risk" in body:
        if not isinstance(body["risk"], str):
            raise err(f"{where}: risk must be a string", match)
        try:
            risk = Risk.parse(body["risk"])
        except ValueError as exc:
            raise err(f"{where}: {exc}", match) from None
    elif as_ == "risk":
        raise err(f"{where}: as = \"risk\" needs risk = \"read|write|destructive|"
                  "catastrophic\"", match)
    op = body.get("op", "")
    if as_ == "path":
        if op not in _FS_COMMANDS:
            raise err(f"{where}: as = \"path\" needs op = one of {', '.join(_FS_COMMANDS)}",
                      match)
        if not body.get("argument") and not arguments:
            raise err(f"{where}: as = \"path\" needs argument = \"<name>\"", match)
    if as_ in ("sql", "shell") and not body.get("argument"):
        raise err(f"{where}: as = \"{as_}\" needs argument = \"<name>\"", match)
    if as_ == "sql" and body.get("dialect"):
        from airlock.classify.sql import DIALECTS

        if body["dialect"] not in DIALECTS:
            raise err(f"{where}: unknown dialect {body['dialect']!r} (one of "
                      f"{', '.join(DIALECTS)})", match)
    database = body.get("database", "")
    if database:
        database = database_locator(database, base)
    return ToolPack(match=match, as_=as_, server=body.get("server", "*") or "*",
                    argument=body.get("argument", ""), arguments=tuple(arguments), op=op,
                    dialect=body.get("dialect", ""), database=database, risk=risk,
                    verb=body.get("verb", ""), where=where)


def database_locator(url: str, base: str = "") -> str:
    """The locator resolve matches for a database: a URL without its password, or
    ``sqlite:/abs/path`` for a SQLite file (``sqlite:///path``, ``sqlite:path`` or a bare
    path ending in .db/.sqlite/.sqlite3)."""
    from urllib.parse import urlsplit, urlunsplit

    url = url.strip()
    if url.startswith("sqlite:"):
        rest = url[len("sqlite:"):]
        if rest.startswith("//"):
            rest = rest[2:]
        return "sqlite:" + os.path.normpath(os.path.join(base or os.getcwd(),
                                                         os.path.expanduser(rest)))
    if "://" not in url:
        return "sqlite:" + os.path.normpath(os.path.join(base or os.getcwd(),
                                                         os.path.expanduser(url)))
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


# --------------------------------------------------------------------------- classify


@dataclass(frozen=True, slots=True)
class McpCall:
    server: str
    tool: str
    arguments: dict[str, Any]
    annotations: dict[str, Any]


def canonical_command(server: str, tool: str, arguments: dict[str, Any] | None,
                      annotations: dict[str, Any] | None = None) -> str:
    """The command of ``Action(kind="mcp")`` for one call: canonical, so the same call
    always has the same fingerprint (an approval binds to it)."""
    body: dict[str, Any] = {"server": server, "tool": tool, "arguments": arguments or {}}
    if annotations:
        body["annotations"] = annotations
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_call(command: str) -> McpCall:
    """Raises ValueError when ``command`` is not an MCP call object."""
    data = json.loads(command)
    if not isinstance(data, dict):
        raise ValueError("an MCP call must be a JSON object")
    tool = data.get("tool")
    if not isinstance(tool, str) or not tool:
        raise ValueError("an MCP call needs a tool name")
    server = data.get("server") or ""
    if not isinstance(server, str):
        raise ValueError("an MCP call's server must be a string")
    arguments = data.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise ValueError("an MCP call's arguments must be a JSON object")
    annotations = data.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise ValueError("an MCP call's annotations must be a JSON object")
    return McpCall(server, tool, arguments, annotations)


def classify_mcp(action: Action, ctx: ClassifyContext, registry: dict[str, Any]) -> list[Target]:
    """The targets of one MCP tool call (flags go to ``ctx``)."""
    cfg = mcp_config(ctx.config)
    if len(action.command.encode("utf-8", "replace")) > cfg.max_argument_bytes + 4096:
        ctx.unparsed(f"the MCP call is larger than [mcp] max_argument_bytes "
                     f"({cfg.max_argument_bytes})")
        return [_opaque("?", "?", "call too large")]
    try:
        call = parse_call(action.command)
    except ValueError as exc:
        ctx.unparsed(f"not an MCP call Airlock can read: {exc}")
        return [_opaque("?", "?", "unreadable MCP call")]
    pack = cfg.pack_for(call.server, call.tool)
    if pack is None:
        hint = ""
        if call.annotations.get("readOnlyHint") is True:
            hint = (" (the server's readOnlyHint is a claim, not a guarantee: declare the "
                    "tool in [mcp] read_only if it really only reads)")
        ctx.unparsed(f"MCP tool {call.tool!r} on server {call.server or '?'!r} is not known "
                     f"to Airlock and not declared read-only in [mcp]{hint}")
        return [_opaque(call.server, call.tool, "unknown MCP tool")]
    targets = _by_pack(pack, call, action, ctx, registry)
    # A tool declared read-only by name that its own server calls destructive: the two
    # disagree, so a human decides. (Where the arguments were classified — SQL, paths,
    # shell, HTTP — what they do counts, not the server's label.)
    if pack.as_ in ("read", "risk") and call.annotations.get("destructiveHint") is True \
            and call.annotations.get("readOnlyHint") is not True \
            and all(t.risk < Risk.DESTRUCTIVE for t in targets):
        targets.append(Target(kind="mcp-tool", name=f"{call.server}/{call.tool}",
                              verb="mcp.destructive_hint", risk=Risk.DESTRUCTIVE,
                              tool="mcp", locator=_tool_locator(call),
                              detail="the server marks this tool destructiveHint"))
    return targets


def _tool_locator(call: McpCall) -> str:
    return f"mcp:{call.server or '?'}/{call.tool}"


def _opaque(server: str, tool: str, why: str) -> Target:
    return Target(kind="mcp-tool", name=f"{server or '?'}/{tool}", verb="mcp.call",
                  risk=Risk.DESTRUCTIVE, tool="mcp", locator=f"mcp:{server or '?'}/{tool}",
                  detail=why, unresolved=True)


def _arg_str(call: McpCall, name: str, ctx: ClassifyContext) -> str | None:
    value = call.arguments.get(name)
    if isinstance(value, str) and value.strip():
        return value
    ctx.unparsed(f"MCP tool {call.tool!r}: argument {name!r} is missing or not a string")
    return None


def _by_pack(pack: ToolPack, call: McpCall, action: Action, ctx: ClassifyContext,
             registry: dict[str, Any]) -> list[Target]:
    if pack.as_ == "read":
        return [Target(kind="mcp-tool", name=f"{call.server or '?'}/{call.tool}",
                       verb=pack.verb or "mcp.read", risk=Risk.READ, reversible=True,
                       tool="mcp", locator=_tool_locator(call),
                       detail=f"declared read-only ({pack.where})")]
    if pack.as_ == "risk":
        return [Target(kind="mcp-tool", name=f"{call.server or '?'}/{call.tool}",
                       verb=pack.verb or f"mcp.{pack.risk.label}", risk=pack.risk,
                       reversible=pack.risk == Risk.READ, tool="mcp",
                       locator=_tool_locator(call), detail=f"declared ({pack.where})")]
    if pack.as_ == "sql":
        return _sql(pack, call, action, ctx)
    if pack.as_ == "shell":
        command = _arg_str(call, pack.argument, ctx)
        if command is None:
            return [_opaque(call.server, call.tool, "no command")]
        return _shell(command, ctx, registry)
    if pack.as_ == "path":
        return _path(pack, call, ctx, registry)
    if pack.as_ == "http":
        return _http(call, ctx)
    ctx.unparsed(f"unknown tool pack kind {pack.as_!r}")
    return [_opaque(call.server, call.tool, "unknown pack kind")]


def _shell(command: str, ctx: ClassifyContext, registry: dict[str, Any]) -> list[Target]:
    from airlock.classify.dispatch import classify_command
    from airlock.classify.shell import parse_script

    targets: list[Target] = []
    for cmd in parse_script(command, ctx):
        targets.extend(classify_command(cmd, ctx, registry))
    return targets


def _sql(pack: ToolPack, call: McpCall, action: Action, ctx: ClassifyContext) -> list[Target]:
    from airlock.classify.sql import classify_sql

    text = _arg_str(call, pack.argument, ctx)
    if text is None:
        return [_opaque(call.server, call.tool, "no SQL")]
    locator = pack.database
    arg_db = call.arguments.get("database")
    if not locator and isinstance(arg_db, str) and arg_db:
        locator = database_locator(arg_db, ctx.cwd)
    if not locator and action.database:
        locator = action.database
    dialect = pack.dialect or action.dialect or (
        "sqlite" if locator.startswith("sqlite:") else "postgresql")
    found, problems = classify_sql(text, dialect=dialect, database=locator,
                                   locator=locator or "unknown:", tool="mcp")
    for p in problems:
        ctx.unparsed(p)
    if problems and not found:
        found = [_opaque(call.server, call.tool, "SQL Airlock cannot parse")]
    return found


def _path(pack: ToolPack, call: McpCall, ctx: ClassifyContext,
          registry: dict[str, Any]) -> list[Target]:
    names = pack.arguments or (pack.argument,)
    paths: list[str] = []
    for name in names:
        value = call.arguments.get(name)
        if isinstance(value, str) and value:
            paths.append(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v
                                                       for v in value):
            paths.extend(value)
        else:
            ctx.unparsed(f"MCP tool {call.tool!r}: argument {name!r} is missing or not a "
                         "path")
            return [_opaque(call.server, call.tool, "no path")]
    if any("\x00" in p for p in paths):
        ctx.unparsed(f"MCP tool {call.tool!r}: a path contains a NUL byte")
        return [_opaque(call.server, call.tool, "bad path")]
    # "--" so a path that starts with "-" is never an option; quoted, so it is literal.
    command = f"{_FS_COMMANDS[pack.op]} -- " + " ".join(shlex.quote(p) for p in paths)
    if pack.op == "copy":
        command = "cp -- " + " ".join(shlex.quote(p) for p in paths)
    targets = _shell(command, ctx, registry)
    from airlock.classify import guards

    if pack.op == "read":
        # the shell pack for `cat` flags secret files; make sure of it for every path
        extra = tuple(ctx.config.secret_files) if ctx.config is not None else ()
        for p in paths:
            full = ctx.abspath(p)
            if guards.is_secret_file(full, extra):
                ctx.flag("secret-read", f"reads {p}, a file that holds live credentials")
    return targets


def _http(call: McpCall, ctx: ClassifyContext) -> list[Target]:
    from airlock.classify import credentials
    from airlock.classify.http import HttpParseError, classify_request, parse_raw_request

    url = call.arguments.get("url")
    if not isinstance(url, str) or not url:
        ctx.unparsed(f"MCP tool {call.tool!r}: no url argument")
        return [_opaque(call.server, call.tool, "no URL")]
    method = call.arguments.get("method") or "GET"
    headers = call.arguments.get("headers") or {}
    body = call.arguments.get("body")
    if not isinstance(method, str) or not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        ctx.unparsed(f"MCP tool {call.tool!r}: method/headers are not strings")
        return [_opaque(call.server, call.tool, "bad request")]
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    raw = json.dumps({"method": method.upper(), "url": url, "headers": headers,
                      "body": body or ""})
    try:
        req = parse_raw_request(raw)
    except HttpParseError as exc:
        ctx.unparsed(str(exc))
        return [_opaque(call.server, call.tool, "HTTP request Airlock cannot parse")]
    for name, value in req.headers:
        found = credentials.scan_word(f"{name}: {value}")
        if found:
            ctx.flag("credential", f"raw credential literal in the request: {found}")
    return classify_request(req, ctx, tool="mcp")


__all__ = ["BUILTIN_PACKS", "McpConfig", "ToolPack", "canonical_command", "classify_mcp",
           "database_locator", "mcp_config", "parse_call"]
