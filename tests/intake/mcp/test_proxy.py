"""``airlock mcp proxy`` driven by a real SDK client session (stdio), in front of a real
SDK MCP server over a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.intake.mcp.helpers import (
    UPSTREAM,
    agent_env,
    dead_port,
    make_db,
    proxy_params,
    rows,
    session,
    tables,
    text,
    write_config,
)


@pytest.fixture
def db(workspace: Path) -> Path:
    return make_db(workspace / "app.db")


def test_reads_pass_writes_pass_destructive_held_database_untouched(
        workspace: Path, db: Path) -> None:
    cfg = write_config(workspace, extra_mcp='hide = ["list_tables"]')
    before = rows(db)

    async def body(c: Client) -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["tools"] = sorted(t.name for t in (await c.list_tools()).tools)
        out["read"] = await c.call_tool("read_query", {"query": "SELECT * FROM items"})
        out["delete"] = await c.call_tool("write_query", {"query": "DELETE FROM items"})
        out["drop"] = await c.call_tool("write_query", {"query": "SELECT 1; DROP TABLE items"})
        out["wipe"] = await c.call_tool("wipe", {})
        out["tidy"] = await c.call_tool("tidy", {})  # lies: readOnlyHint
        out["echo"] = await c.call_tool("echo", {"text": "hi"})
        for name, args in (("nope", {}), ("list_tables", {}),
                           ("echo", {"text": "x" * 300_000})):
            try:
                await c.call_tool(name, args)
                out[f"err:{name}"] = None
            except MCPError as exc:
                out[f"err:{name}"] = exc
        return out

    out = session(proxy_params(cfg, db, agent_env()), body)
    assert out["tools"] == ["crash", "echo", "read_query", "tidy", "wipe", "write_query"]
    assert not out["read"].is_error
    assert out["read"].structured_content["result"][0] == {"id": 1, "name": "a"}
    for key in ("delete", "drop", "wipe", "tidy"):
        res = out[key]
        assert res.is_error, key
        assert res.structured_content["airlock"]["decision"] == "hold", key
        assert "needs a human's approval" in text(res), key
        assert "Do not look for other credentials" in text(res)
    assert "appdb" in json.dumps(out["delete"].structured_content)  # resolved to the inventory
    assert "not known to Airlock" in text(out["tidy"])
    assert rows(db) == before and tables(db) == ["items"]
    assert not out["echo"].is_error and text(out["echo"]) == "hi"
    assert out["err:nope"] is not None and "unknown tool" in out["err:nope"].message
    assert out["err:list_tables"] is not None  # hidden by [mcp] hide: not forwarded
    assert "max_argument_bytes" in out["err:echo"].message


def test_writes_are_allowed_and_run(workspace: Path, db: Path) -> None:
    cfg = write_config(workspace)

    async def body(c: Client) -> Any:
        return await c.call_tool("write_query",
                                 {"query": "INSERT INTO items VALUES (4, 'd')"})

    res = session(proxy_params(cfg, db, agent_env()), body)
    assert not res.is_error, text(res)
    assert rows(db)[-1] == (4, "d")


def test_denied_call_is_an_error_with_the_reason(workspace: Path, db: Path) -> None:
    cfg = write_config(workspace)
    fs_upstream = [sys.executable, "-c", FS_SERVER]

    async def body(c: Client) -> Any:
        return await c.call_tool("read_file", {"path": "~/.aws/credentials"})

    res = session(proxy_params(cfg, db, agent_env(), fs_upstream), body)
    assert res.is_error
    assert res.structured_content["airlock"]["decision"] == "deny"
    assert "live credentials" in text(res)


FS_SERVER = """
from mcp.server.mcpserver import MCPServer
app = MCPServer("fs")
@app.tool()
def read_file(path: str) -> str:
    raise SystemExit("must never be called")
app.run("stdio")
"""


def test_upstream_crash_is_a_clean_error(workspace: Path, db: Path) -> None:
    cfg = write_config(workspace)

    async def body(c: Client) -> list[Any]:
        out: list[Any] = [await c.call_tool("echo", {"text": "before"})]
        for name, args in (("crash", {}), ("echo", {"text": "after"}),
                           ("write_query", {"query": "DELETE FROM items"})):
            try:
                out.append(await c.call_tool(name, args))
            except MCPError as exc:
                out.append(exc)
        return out

    before, crash, after, delete = session(proxy_params(cfg, db, agent_env()), body)
    assert text(before) == "before"
    assert isinstance(crash, MCPError) and "upstream MCP server" in crash.message
    assert isinstance(after, MCPError) and "gone" in after.message
    assert isinstance(delete, MCPError) or delete.is_error
    assert len(rows(db)) == 3


def test_upstream_that_cannot_start_exits_non_zero(workspace: Path) -> None:
    cfg = write_config(workspace)
    proc = subprocess.run(
        [sys.executable, "-m", "airlock", "mcp", "proxy", "--config", str(cfg), "--",
         str(workspace / "no-such-server")], env=agent_env(), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, cwd=workspace)
    assert proc.returncode == 1
    assert "cannot start the upstream MCP server" in proc.stderr


def test_bad_mcp_config_names_the_file(workspace: Path) -> None:
    cfg = write_config(workspace, extra_mcp="bogus = 1")
    proc = subprocess.run(
        [sys.executable, "-m", "airlock", "mcp", "proxy", "--config", str(cfg), "--",
         sys.executable, UPSTREAM, "x.db"], env=agent_env(), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, cwd=workspace)
    assert proc.returncode == 2
    assert str(cfg) in proc.stderr and "bogus" in proc.stderr


def test_malformed_json_rpc_gets_errors_and_never_reaches_a_tool(
        workspace: Path, db: Path) -> None:
    cfg = write_config(workspace)
    params = proxy_params(cfg, db, agent_env())
    proc = subprocess.Popen([params.command, *params.args], env=params.env, cwd=params.cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    lines: Queue[str] = Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout],  # type: ignore[union-attr]
                     daemon=True).start()

    def send(msg: Any) -> None:
        assert proc.stdin is not None
        proc.stdin.write((msg if isinstance(msg, str) else json.dumps(msg)) + "\n")
        proc.stdin.flush()

    def answer() -> dict[str, Any]:
        out: dict[str, Any] = json.loads(lines.get(timeout=20))
        return out

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}})
        assert answer()["id"] == 1
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send('{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wipe"')
        assert answer() == {"jsonrpc": "2.0", "id": None,
                            "error": {"code": -32700,
                                      "message": "Parse error: the line is not valid JSON"}}
        send(["wipe"])
        assert answer()["error"]["code"] == -32600
        send({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
              "params": {"name": "write_query", "arguments": "DROP TABLE items"}})
        assert answer()["error"]["code"] == -32602
        send({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "wipe"}})
        held = answer()
        assert held["id"] == 4 and held["result"]["isError"] is True
        time.sleep(0.2)
        with pytest.raises(Empty):
            lines.get(timeout=0.3)
        assert rows(db) == [(1, "a"), (2, "b"), (3, "c")] and tables(db) == ["items"]
    finally:
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_an_upstream_reached_by_url_is_guarded_the_same_way(workspace: Path, db: Path) -> None:
    """``airlock mcp proxy --url``: the upstream is a streamable-HTTP MCP server."""
    port = dead_port()
    server = subprocess.Popen([sys.executable, UPSTREAM, str(db), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "no upstream"
                time.sleep(0.1)
        cfg = write_config(workspace)
        params = proxy_params(cfg, db, agent_env())
        params.args = ["-m", "airlock", "mcp", "proxy", "--config", str(cfg), "--url",
                       f"http://127.0.0.1:{port}/mcp"]

        async def body(c: Client) -> dict[str, Any]:
            return {"tools": sorted(t.name for t in (await c.list_tools()).tools),
                    "read": await c.call_tool("read_query", {"query": "SELECT * FROM items"}),
                    "drop": await c.call_tool("write_query", {"query": "DROP TABLE items"})}

        out = session(params, body)
    finally:
        server.terminate()
        server.wait(10)
    assert out["tools"] == ["crash", "echo", "list_tables", "read_query", "tidy", "wipe",
                            "write_query"]
    assert not out["read"].is_error
    assert out["read"].structured_content["result"][0] == {"id": 1, "name": "a"}
    assert out["drop"].is_error
    assert out["drop"].structured_content["airlock"]["decision"] == "hold"
    assert "needs a human's approval" in text(out["drop"])
    assert tables(db) == ["items"]  # the upstream never ran the DROP
