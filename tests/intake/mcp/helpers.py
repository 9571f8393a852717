"""Shared by the MCP tests: a SQLite database, configs, and SDK client sessions."""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import Client, StdioServerParameters

UPSTREAM = str(Path(__file__).with_name("upstream_server.py"))
T = TypeVar("T")


def make_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO items VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "c")])
    return path


def rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id, name FROM items ORDER BY id").fetchall()


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(ws: Path, extra_mcp: str = "", extra: str = "") -> Path:
    cfg = ws / "airlock.toml"
    cfg.write_text(textwrap.dedent(f"""
        [environments.production]
        production = true

        [[resources]]
        name = "appdb"
        kind = "database"
        env = "production"
        paths = ["app.db"]
        {extra}
        [mcp]
        read_only = ["echo", "crash"]
        databases = {{ app = "sqlite:app.db" }}
        {extra_mcp}

        [[mcp.tools]]
        match = "*_query"
        server = "test-sqlite"
        as = "sql"
        argument = "query"
        dialect = "sqlite"
        database = "app.db"
        """))
    return cfg


def agent_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("AIRLOCK_TOKEN", "AIRLOCK_CONFIG", "AIRLOCK_SERVER"):
        env.pop(key, None)
    env["AIRLOCK_SERVER"] = f"http://127.0.0.1:{dead_port()}"  # no hold service
    env["AIRLOCK_NO_DAEMON"] = "1"
    env.update(extra)
    return env


def proxy_params(cfg: Path, db: Path, env: dict[str, str],
                 upstream: list[str] | None = None) -> StdioServerParameters:
    up = upstream or [sys.executable, UPSTREAM, str(db)]
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "airlock", "mcp", "proxy", "--config", str(cfg), "--", *up],
        env=env, cwd=str(cfg.parent))


def serve_params(cfg: Path, env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "airlock", "mcp", "serve", "--config", str(cfg)],
        env=env, cwd=str(cfg.parent))


def session(params: StdioServerParameters,
            body: Callable[[Client], Awaitable[T]]) -> T:
    async def run() -> T:
        with anyio.fail_after(60):
            async with Client(params, mode="legacy") as client:
                return await body(client)

    return anyio.run(run)


def text(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)
