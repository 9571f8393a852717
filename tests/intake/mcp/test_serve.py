"""``airlock mcp serve`` driven by a real SDK client session over stdio."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.intake.mcp.helpers import (
    agent_env,
    make_db,
    rows,
    serve_params,
    session,
    tables,
    text,
    write_config,
)


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.hits.append(f"GET {self.path}")
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self) -> None:
        self.hits.append(f"DELETE {self.path}")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    _Handler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_guarded_tools(workspace: Path, web: str) -> None:
    db = make_db(workspace / "app.db")
    cfg = write_config(workspace)
    marker = workspace / "ran.txt"

    async def body(c: Client) -> dict[str, Any]:
        out: dict[str, Any] = {"tools": sorted(t.name for t in (await c.list_tools()).tools)}
        calls = {
            "select": ("run_sql", {"sql": "SELECT name FROM items ORDER BY id",
                                   "database": "app"}),
            "select_path": ("run_sql", {"sql": "SELECT count(*) AS n FROM items",
                                        "database": str(db)}),
            "insert": ("run_sql", {"sql": "INSERT INTO items VALUES (9, 'z')",
                                   "database": "app"}),
            "delete": ("run_sql", {"sql": "DELETE FROM items", "database": "app"}),
            "drop": ("run_sql", {"sql": "DROP TABLE items", "database": f"sqlite:///{db}"}),
            "echo": ("run_command", {"command": f"echo hello > {marker.name} && cat ran.txt"}),
            "rm": ("run_command", {"command": "rm -rf /srv/data"}),
            "rm_ws": ("run_command", {"command": "rm -rf src"}),
            "fail": ("run_command", {"command": "exit 3"}),
            "get": ("http_request", {"method": "GET", "url": f"{web}/items"}),
            "http_delete": ("http_request", {"method": "DELETE",
                                             "url": f"{web}/volumes/prod-1"}),
            "describe_db": ("describe_target", {"target": "app"}),
            "describe_res": ("describe_target", {"target": "appdb"}),
            "describe_url": ("describe_target", {"target": "postgresql://db.example/x"}),
            "status": ("request_status", {"request": "abc"}),
        }
        for key, (name, args) in calls.items():
            out[key] = await c.call_tool(name, args)
        for key, (name, args) in {"unknown": ("drop_everything", {}),
                                  "bad_db": ("run_sql", {"sql": "SELECT 1",
                                                         "database": "nosuch"}),
                                  "big": ("run_command", {"command": "x" * 300_000})}.items():
            try:
                await c.call_tool(name, args)
                out[key] = None
            except MCPError as exc:
                out[key] = exc
        return out

    out = session(serve_params(cfg, agent_env()), body)
    assert out["tools"] == ["describe_target", "http_request", "request_status", "run_command",
                            "run_sql"]
    sel = out["select"]
    assert not sel.is_error, text(sel)
    assert sel.structured_content["rows"] == [["a"], ["b"], ["c"]]
    assert out["select_path"].structured_content["rows"] == [[3]]
    assert not out["insert"].is_error, text(out["insert"])
    for key in ("delete", "drop", "http_delete"):
        assert out[key].is_error, key
        assert out[key].structured_content["airlock"]["decision"] == "hold", key
        assert "needs a human's approval" in text(out[key])
    assert rows(db) == [(1, "a"), (2, "b"), (3, "c"), (9, "z")] and tables(db) == ["items"]
    assert out["echo"].structured_content["stdout"] == "hello\n"
    assert out["rm"].is_error and out["rm"].structured_content["airlock"]["decision"] in (
        "hold", "deny")
    assert out["fail"].is_error and out["fail"].structured_content["exit_code"] == 3
    # inside the workspace: allowed once an undo point is taken, and the answer names it
    rm_ws = out["rm_ws"].structured_content
    assert not out["rm_ws"].is_error and rm_ws["undo_point"].startswith("u-"), rm_ws
    assert "allowed with undo point" in rm_ws["airlock"]
    assert not (workspace / "src").exists()
    assert out["get"].structured_content["status"] == 200
    assert _Handler.hits == ["GET /items"]  # the DELETE never left
    assert out["describe_db"].structured_content["resource"] == "appdb"
    assert out["describe_db"].structured_content["environment"] == "production"
    assert out["describe_res"].structured_content["kind"] == "database"
    assert out["describe_url"].structured_content["environment"] == "unknown"
    assert out["status"].is_error  # no hold service: an error, not a made-up state
    assert "unknown tool" in out["unknown"].message
    assert "unknown database" in out["bad_db"].message
    assert "max_argument_bytes" in out["big"].message


def test_streamable_http(workspace: Path) -> None:
    import subprocess
    import sys
    import time

    import httpx

    from tests.intake.mcp.helpers import dead_port

    make_db(workspace / "app.db")
    cfg = write_config(workspace)
    port = dead_port()
    proc = subprocess.Popen([sys.executable, "-m", "airlock", "mcp", "serve", "--config",
                             str(cfg), "--http", "--port", str(port)], env=agent_env(),
                            cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)

        async def body(c: Client) -> Any:
            return (await c.call_tool("run_sql", {"sql": "SELECT count(*) FROM items",
                                                  "database": "app"}),
                    await c.call_tool("run_sql", {"sql": "DELETE FROM items",
                                                  "database": "app"}))

        import anyio

        async def run() -> Any:
            async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as c:
                return await body(c)

        count, delete = anyio.run(run)
        assert count.structured_content["rows"] == [[3]]
        assert delete.is_error and delete.structured_content["airlock"]["decision"] == "hold"
        assert len(rows(workspace / "app.db")) == 3
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
