"""The approval path end to end: an MCP client's destructive call through the proxy and
through ``airlock mcp serve`` is held at a real ``airlock serve``, a human approves it in the
web UI, and the identical call then runs exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.intake.mcp.helpers import (
    agent_env,
    make_db,
    proxy_params,
    rows,
    serve_params,
    session,
    text,
    write_config,
)
from tests.server.harness import Airlock

pytestmark = pytest.mark.slow

SERVER_CONFIG = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 0
cooldown_default = 0
cooldown_sandbox = 0
approval_ttl = 60

[environments.production]
production = true

[[resources]]
name = "appdb"
kind = "database"
env = "production"
paths = ["{db}"]

[[mcp.tools]]
match = "*_query"
server = "test-sqlite"
as = "sql"
argument = "query"
dialect = "sqlite"
database = "{db}"
"""


@pytest.fixture
def stack(tmp_path: Path, workspace: Path) -> Iterator[tuple[Airlock, Path, dict[str, str]]]:
    db = make_db(workspace / "app.db")
    airlock = Airlock(tmp_path / "airlock-home", SERVER_CONFIG.format(db=db))
    airlock.human("alice")
    token = airlock.token("bot")
    airlock.start()
    env = agent_env(AIRLOCK_SERVER=airlock.url, AIRLOCK_TOKEN=token,
                    AIRLOCK_HOME=str(tmp_path / "agent-home"))
    try:
        yield airlock, db, env
    finally:
        airlock.stop_all()


def _held(result: Any) -> tuple[str, str]:
    assert result.is_error, text(result)
    body = result.structured_content["airlock"]
    assert body["decision"] == "hold", body
    assert f"as request {body['request']} for human approval at {body['url']}" in text(result)
    return str(body["request"]), str(body["url"])


async def _approve(airlock: Airlock, rid: str) -> None:
    def go() -> None:
        assert airlock.browser("alice").approve(rid).status_code == 303
        assert airlock.state(rid) == "ready"

    await anyio.to_thread.run_sync(go)


def test_proxy_held_approved_runs_once(stack: tuple[Airlock, Path, dict[str, str]]) -> None:
    airlock, db, env = stack
    cfg = write_config(db.parent)
    delete = {"query": "DELETE FROM items"}

    async def body(c: Client) -> None:
        rid, url = _held(await c.call_tool("write_query", delete))
        assert url == f"{airlock.url}/r/{rid}"
        assert _held(await c.call_tool("write_query", delete))[0] == rid  # same request
        assert len(rows(db)) == 3
        # a different call is not covered by the approval
        await _approve(airlock, rid)
        other = await c.call_tool("write_query", {"query": "DELETE FROM items WHERE 1=1"})
        assert _held(other)[0] != rid
        assert len(rows(db)) == 3
        ran = await c.call_tool("write_query", delete)  # the identical call: runs once
        assert not ran.is_error, text(ran)
        assert rows(db) == []
        again = await c.call_tool("write_query", delete)
        assert _held(again)[0] not in (rid,)

    session(proxy_params(cfg, db, env), body)
    assert airlock.state(rid := _last_executed(airlock)) == "executed", rid


def test_serve_held_approved_runs_once(stack: tuple[Airlock, Path, dict[str, str]]) -> None:
    airlock, db, env = stack
    cfg = write_config(db.parent)
    drop = {"sql": "DROP TABLE items", "database": "app"}

    async def body(c: Client) -> None:
        rid, _ = _held(await c.call_tool("run_sql", drop))
        status = await c.call_tool("request_status", {"request": rid})
        assert status.structured_content["state"] == "pending"
        assert len(rows(db)) == 3
        await _approve(airlock, rid)
        status = await c.call_tool("request_status", {"request": rid})
        assert status.structured_content["state"] == "ready"
        ran = await c.call_tool("run_sql", drop)
        assert not ran.is_error, text(ran)
        status = await c.call_tool("request_status", {"request": rid})
        assert status.structured_content["state"] == "executed"
        again = await c.call_tool("run_sql", drop)
        assert _held(again)[0] != rid

    session(serve_params(cfg, env), body)
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='items'"
                            ).fetchone() == (0,)


def _last_executed(airlock: Airlock) -> str:
    executed = [r for r in airlock.ctx.service.list(only_open=False) if r["state"] == "executed"]
    assert len(executed) == 1
    return str(executed[0]["id"])
