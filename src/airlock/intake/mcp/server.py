"""``airlock mcp serve``: an MCP server whose tools are Airlock-guarded operations.

- ``run_sql {sql, database, dialect?}`` — ``database`` is a name from ``[mcp] databases``
  (the URL, with its password, stays in the config: the agent never sees it), a
  ``postgresql://`` URL, or a SQLite file (``sqlite:///abs/path.db`` or a path). Decided
  as ``Action(kind="sql")`` against that database's locator, then run with psycopg
  (PostgreSQL) or sqlite3 (an existing file, opened read-write, never created).
- ``run_command {command, cwd?, timeout?}`` — decided as ``Action(kind="shell")``, then
  run with ``bash -c`` (no stdin; the agent's Airlock token is not passed on).
- ``http_request {method, url, headers?, body?}`` — decided as ``Action(kind="http")``,
  then sent with httpx (no redirects followed).
- ``request_status {request, wait?}`` — a held request's state at the hold service.
- ``describe_target {target}`` — read-only: which inventory resource and environment a
  database name, URL, path or resource name resolves to (never the agent's claim).

A held call returns ``isError: true`` with the request id and approval URL (also in
``structuredContent.airlock``); once a human approved it, the identical call runs once.
A denied call returns ``isError: true`` with the reasons. Nothing runs before the
pipeline allowed it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from airlock.classify.mcp import McpConfig, database_locator, mcp_config
from airlock.intake.mcp.guard import Guard, Verdict

MAX_ROWS = 500
MAX_OUTPUT = 64 * 1024
DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 600.0


def _schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


TOOLS: list[types.Tool] = [
    types.Tool(
        name="run_sql",
        description=("Run SQL against a database. Reads run at once; destructive statements "
                     "are held for a human's approval (the result gives the request id and "
                     "URL; after approval, make the identical call again)."),
        input_schema=_schema({
            "sql": {"type": "string", "description": "the SQL (one or more statements)"},
            "database": {"type": "string", "description": (
                "a database name from Airlock's config, a postgresql:// URL, or a SQLite "
                "file path")},
            "dialect": {"type": "string", "enum": ["postgresql", "sqlite", "mysql"]},
        }, ["sql", "database"]),
        annotations=types.ToolAnnotations(destructive_hint=True, open_world_hint=True)),
    types.Tool(
        name="run_command",
        description=("Run a shell command (bash). Destructive commands are held for a "
                     "human's approval."),
        input_schema=_schema({
            "command": {"type": "string"},
            "cwd": {"type": "string", "description": "working directory"},
            "timeout": {"type": "number", "description": f"seconds (max {MAX_TIMEOUT:.0f})"},
        }, ["command"]),
        annotations=types.ToolAnnotations(destructive_hint=True, open_world_hint=True)),
    types.Tool(
        name="http_request",
        description=("Send an HTTP request (REST or GraphQL). Destructive API calls are held "
                     "for a human's approval."),
        input_schema=_schema({
            "method": {"type": "string"},
            "url": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "string"},
        }, ["method", "url"]),
        annotations=types.ToolAnnotations(destructive_hint=True, open_world_hint=True)),
    types.Tool(
        name="request_status",
        description="The state of a held request (pending, cooling, ready, executed, ...).",
        input_schema=_schema({
            "request": {"type": "string"},
            "wait": {"type": "number", "description": "long-poll up to this many seconds"},
        }, ["request"]),
        annotations=types.ToolAnnotations(read_only_hint=True)),
    types.Tool(
        name="describe_target",
        description=("What a database name, URL, path or resource name is in Airlock's "
                     "inventory, and which environment it is really in."),
        input_schema=_schema({"target": {"type": "string"}}, ["target"]),
        annotations=types.ToolAnnotations(read_only_hint=True)),
]


def _text_result(data: dict[str, Any], is_error: bool = False,
                 text: str | None = None) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text if text is not None else
                                   json.dumps(data, default=str, ensure_ascii=False))],
        structured_content=data, is_error=is_error)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n… (truncated)"


class GuardedTools:
    def __init__(self, guard: Guard, mcfg: McpConfig) -> None:
        self.guard = guard
        self.mcfg = mcfg

    # ---- dispatch ----------------------------------------------------------------------

    async def on_list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None
                            ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=TOOLS)

    async def on_call_tool(self, ctx: Any, params: types.CallToolRequestParams
                           ) -> types.CallToolResult:
        return await self.call(params.name, params.arguments or {})

    async def call(self, name: str, args: dict[str, Any]) -> types.CallToolResult:
        size = len(json.dumps(args, ensure_ascii=False, default=str).encode("utf-8"))
        if size > self.mcfg.max_argument_bytes:
            raise MCPError(types.INVALID_PARAMS,
                           f"Airlock refused tool {name!r}: its arguments are {size} bytes, "
                           f"more than [mcp] max_argument_bytes ({self.mcfg.max_argument_bytes})")
        handler = {"run_sql": self.run_sql, "run_command": self.run_command,
                   "http_request": self.http_request, "request_status": self.request_status,
                   "describe_target": self.describe_target}.get(name)
        if handler is None:
            raise MCPError(types.INVALID_PARAMS, f"unknown tool: {name!r}")
        try:
            return await handler(args)
        except MCPError:
            raise
        except _BadArguments as exc:
            raise MCPError(types.INVALID_PARAMS, f"{name}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a failure is a tool error, never a success
            return _text_result({"error": f"{type(exc).__name__}: {exc}"[:1000]}, True,
                                f"{name} failed: {type(exc).__name__}: {exc}"[:1000])

    async def _decide(self, action: Any, what: str) -> Verdict:
        decision = self.guard.check(action)
        if decision.decision == "allow":
            return self.guard.settle(decision, action, what)
        return await anyio.to_thread.run_sync(self.guard.settle, decision, action, what)

    # ---- run_sql -----------------------------------------------------------------------

    def database(self, name: str) -> tuple[str, str]:
        """(connection URL or sqlite:/path, locator) for a database argument."""
        name = name.strip()
        if not name:
            raise _BadArguments("database is empty")
        base = self.guard.cwd
        if name in self.mcfg.databases:
            url = self.mcfg.databases[name]
            if self.mcfg.path:
                base = os.path.dirname(os.path.abspath(self.mcfg.path))
        elif "://" in name or name.startswith("sqlite:") or os.sep in name or \
                name.endswith((".db", ".sqlite", ".sqlite3")):
            url = name
        else:
            known = ", ".join(sorted(self.mcfg.databases)) or "none"
            raise _BadArguments(f"unknown database {name!r}: give a URL or a SQLite path, or "
                                f"a name from [mcp] databases ({known})")
        locator = database_locator(url, base)
        if locator.startswith("sqlite:"):
            return locator, locator
        if not url.startswith(("postgresql://", "postgres://")):
            raise _BadArguments("run_sql runs PostgreSQL (postgresql://) and SQLite databases")
        return url, locator

    async def run_sql(self, args: dict[str, Any]) -> types.CallToolResult:
        sql = _string(args, "sql")
        url, locator = self.database(_string(args, "database"))
        dialect = args.get("dialect") or ("sqlite" if locator.startswith("sqlite:")
                                          else "postgresql")
        if not isinstance(dialect, str):
            raise _BadArguments("dialect must be a string")
        action = self.guard.action(sql, "sql", dialect=dialect, database=locator)
        verdict = await self._decide(action, f"this SQL on {locator}")
        if not verdict.allowed:
            return verdict.result()
        rid = str(verdict.extra.get("approved_request") or "")
        if rid and verdict.decision is not None and not locator.startswith("sqlite:"):
            # G4: an approved DROP DATABASE/TABLE/SCHEMA is done as a quarantine instead.
            from airlock.protect.execute import perform

            lines = await anyio.to_thread.run_sync(
                perform, self.guard.checker().config, verdict.decision.targets, rid)
            if lines is not None:
                return _text_result({"quarantined": lines, "request": rid,
                                     "database": locator},
                                    text="Airlock " + "; ".join(lines) + ".")
        out = await anyio.to_thread.run_sync(_execute_sql, url, sql)
        out["database"] = locator
        return _text_result(out)

    # ---- run_command -------------------------------------------------------------------

    async def run_command(self, args: dict[str, Any]) -> types.CallToolResult:
        command = _string(args, "command")
        cwd = args.get("cwd") or self.guard.cwd
        if not isinstance(cwd, str):
            raise _BadArguments("cwd must be a string")
        cwd = os.path.normpath(os.path.join(self.guard.cwd, os.path.expanduser(cwd)))
        if not os.path.isdir(cwd):
            raise _BadArguments(f"cwd {cwd} is not a directory")
        timeout = args.get("timeout", DEFAULT_TIMEOUT)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise _BadArguments("timeout must be a positive number of seconds")
        action = self.guard.action(command, "shell", cwd=cwd)
        shown = " ".join(command.split())
        point = None
        try:
            decision, point = await anyio.to_thread.run_sync(self._with_undo_point, action)
        except Exception as exc:  # noqa: BLE001 - fail closed: the call does not run
            return Verdict("error", f"Airlock could not check `{shown[:117]}` and blocked "
                           f"it (fail closed): {type(exc).__name__}: {exc}"[:500]).result()
        if point is None:
            verdict = await anyio.to_thread.run_sync(self.guard.settle, decision, action,
                                                     f"`{shown[:117]}`")
            if not verdict.allowed:
                return verdict.result()
        try:
            out = await anyio.to_thread.run_sync(_execute_command, command, cwd,
                                                 min(float(timeout), MAX_TIMEOUT),
                                                 self.guard.env)
        finally:
            if point is not None:
                from airlock.protect.undo_points import settle

                settle(point)
        if point is not None:  # one line the agent can pass on to its human
            out = {**out, "airlock": f"Airlock: {decision.reasons[0]}",
                   "undo_point": point.id}
        return _text_result(out, is_error=out["exit_code"] != 0)

    def _with_undo_point(self, action: Any) -> tuple[Any, Any]:
        from airlock.protect import undo_gate

        checker = self.guard.checker()
        return undo_gate.decide(checker, action, checker.check(action),
                                checker.config.data_dir)

    # ---- http_request ------------------------------------------------------------------

    async def http_request(self, args: dict[str, Any]) -> types.CallToolResult:
        method = _string(args, "method").upper()
        url = _string(args, "url")
        headers = args.get("headers") or {}
        if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise _BadArguments("headers must be an object of strings")
        body = args.get("body")
        if body is not None and not isinstance(body, str):
            raise _BadArguments("body must be a string")
        command = json.dumps({"method": method, "url": url, "headers": headers,
                              "body": body or ""}, sort_keys=True)
        action = self.guard.action(command, "http")
        verdict = await self._decide(action, f"{method} {url}")
        if not verdict.allowed:
            return verdict.result()
        out = await anyio.to_thread.run_sync(_execute_http, method, url, headers, body)
        return _text_result(out, is_error=out["status"] >= 400)

    # ---- read-only ---------------------------------------------------------------------

    async def request_status(self, args: dict[str, Any]) -> types.CallToolResult:
        from airlock.intake.hook_runner import ServiceError, ServiceUnavailable

        rid = _string(args, "request")
        wait = args.get("wait", 0)
        if not isinstance(wait, (int, float)) or isinstance(wait, bool) or wait < 0:
            raise _BadArguments("wait must be a number of seconds")
        try:
            view = await anyio.to_thread.run_sync(self.guard.status, rid, min(float(wait), 60))
        except (ServiceUnavailable, ServiceError) as exc:
            return _text_result({"error": str(exc)}, True,
                                f"Airlock cannot reach the hold service: {exc}")
        keep = ("id", "state", "url", "environment", "confirm_name", "approvers",
                "required_approvers", "cooldown_remaining", "created_at", "updated_at")
        data = {k: view[k] for k in keep if k in view}
        state = data.get("state", "?")
        hint = {"ready": " — approved: make exactly the same call again to run it once.",
                "pending": " — waiting for a human's approval.",
                "cooling": " — approved, in its cooldown; anyone can still abort it."}
        return _text_result(data, text=f"request {rid}: {state}{hint.get(str(state), '')}")

    async def describe_target(self, args: dict[str, Any]) -> types.CallToolResult:
        from airlock.action import Risk, Target
        from airlock.resolve import resolve

        name = _string(args, "target")
        config = self.guard.checker().config
        res = next((r for r in config.resources if r.name == name), None)
        if res is not None:
            env = config.environment(res.env)
            data = {"target": name, "resource": res.name, "kind": res.kind,
                    "environment": env.name, "production": env.production,
                    "sandbox": env.sandbox, "protected": res.protected,
                    "tags": list(res.tags), "description": res.description}
            return _text_result(data)
        if name in self.mcfg.databases or name.startswith("sqlite:") or "://" in name:
            locator = self.database(name)[1]
        elif os.sep in name or name.startswith(("~", ".")):
            full = os.path.normpath(os.path.join(self.guard.cwd, os.path.expanduser(name)))
            locator = "path:" + full
        else:
            locator = name
        target = Target(kind="target", name=name, verb="describe", risk=Risk.READ,
                        locator=locator)
        resolve([target], config, self.guard.cwd)
        match = next((r for r in config.resources if r.name == target.resource), None)
        data = {"target": name, "locator": locator, "resource": target.resource or None,
                "kind": match.kind if match else None, "environment": target.env or "unknown",
                "production": target.production, "sandbox": target.sandbox,
                "protected": target.protected, "tags": list(target.tags),
                "description": match.description if match else ""}
        if not target.resource and target.env == "unknown":
            data["note"] = "not in the inventory: Airlock treats it as production"
        return _text_result(data)

    def server(self) -> Server[Any]:
        from airlock.intake.mcp.proxy import _version

        return Server("airlock", version=_version(),
                      instructions=("Airlock-guarded operations. Destructive calls are held "
                                    "for a human's approval: tell the user the approval URL; "
                                    "do not look for other ways to do it."),
                      on_list_tools=self.on_list_tools, on_call_tool=self.on_call_tool)


class _BadArguments(ValueError):
    pass


def _string(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _BadArguments(f"{key} (a non-empty string) is required")
    return value


# --------------------------------------------------------------------------- execution


def _execute_sql(url: str, sql: str) -> dict[str, Any]:
    if url.startswith("sqlite:"):
        return _execute_sqlite(url[len("sqlite:"):], sql)
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute(sql.encode("utf-8"))
        out = _rows_of(cur)
        conn.commit()
        return out


def _execute_sqlite(path: str, sql: str) -> dict[str, Any]:
    from urllib.parse import quote

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no SQLite database at {path}")
    conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=10)
    try:
        try:
            cur = conn.execute(sql)
        except sqlite3.ProgrammingError as exc:
            if "one statement" not in str(exc):
                raise
            conn.executescript(sql)
            conn.commit()
            return {"columns": [], "rows": [], "rowcount": -1}
        out = _rows_of(cur)
        conn.commit()
        return out
    finally:
        conn.close()


def _rows_of(cur: Any) -> dict[str, Any]:
    if cur.description is None:
        return {"columns": [], "rows": [], "rowcount": cur.rowcount}
    columns = [d[0] for d in cur.description]
    rows = cur.fetchmany(MAX_ROWS + 1)
    out: dict[str, Any] = {"columns": columns,
                           "rows": [[_jsonable(v) for v in r] for r in rows[:MAX_ROWS]],
                           "rowcount": len(rows[:MAX_ROWS])}
    if len(rows) > MAX_ROWS:
        out["truncated"] = True
    return out


def _execute_command(command: str, cwd: str, timeout: float,
                     env: Any) -> dict[str, Any]:
    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    child_env = {k: v for k, v in dict(env).items() if k != "AIRLOCK_TOKEN"}
    try:
        proc = subprocess.run([shell, "-c", command], cwd=cwd, env=child_env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        return {"exit_code": -1, "stdout": _clip((exc.stdout or b"").decode("utf-8", "replace")),
                "stderr": f"timed out after {timeout:.0f} s"}
    return {"exit_code": proc.returncode,
            "stdout": _clip(proc.stdout.decode("utf-8", "replace")),
            "stderr": _clip(proc.stderr.decode("utf-8", "replace"))}


def _execute_http(method: str, url: str, headers: dict[str, str],
                  body: str | None) -> dict[str, Any]:
    import httpx

    with httpx.Client(timeout=30, follow_redirects=False) as client:
        resp = client.request(method, url, headers=headers,
                              content=body.encode("utf-8") if body else None)
    return {"status": resp.status_code, "headers": dict(resp.headers),
            "body": _clip(resp.text)}


# --------------------------------------------------------------------------- entry point


def main(config_path: str | None, *, http: bool = False, host: str = "127.0.0.1",
         port: int = 8760) -> int:
    guard = Guard(config_path, os.getcwd())
    tools = GuardedTools(guard, mcp_config(guard.checker().config))
    server = tools.server()
    if http:
        import uvicorn

        app = server.streamable_http_app(host=host)
        print(f"airlock mcp serve: streamable HTTP on http://{host}:{port}/mcp",
              file=sys.stderr)
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
        return 0

    from airlock.intake.mcp.stdio import serve_stdio

    anyio.run(serve_stdio, server)
    return 0
