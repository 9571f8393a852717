"""G4 through a real ``airlock serve``: the claim of an approved request runs the safety
net first; a net that cannot be put in place fails the request and nothing is allowed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.independent import tree_state
from tests.protect.conftest import sh
from tests.server.harness import Airlock

FAST = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 0
cooldown_default = 0
cooldown_sandbox = 0
approval_ttl = 60
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Airlock]:
    airlock = Airlock(tmp_path / "home", FAST)
    airlock.human("alice")
    yield airlock
    airlock.stop_all()


def held_and_ready(airlock: Airlock, token: str, cmd: str, cwd: Path) -> str:
    out = airlock.submit(token, cmd, cwd=str(cwd))
    assert out["decision"] == "hold", out
    rid = str(out["request"])
    view = airlock.ctx.service.view(rid)
    assert "snapshot" in view["safety_net"], view["safety_net"]  # the plan names the net
    assert airlock.browser("alice").approve(rid).status_code == 303
    assert airlock.state(rid) == "ready"
    return rid


def tree(ws: Path) -> Path:
    data = ws / f"data-{uuid.uuid4().hex[:6]}"
    (data / "sub").mkdir(parents=True)
    (data / "a").write_text("a" * 1000)
    (data / "sub" / "b").write_bytes(bytes(range(256)) * 100)
    return data


def test_claim_snapshots_first_then_allows_and_undo_restores(server: Airlock,
                                                             ws: Path) -> None:
    (server.home / "protect.toml").write_text('require_independent = "never"\n')
    server.start()
    token = server.token()
    data = tree(ws)
    before = tree_state(data)
    cmd = f"rm -rf {data.name}"
    rid = held_and_ready(server, token, cmd, ws)
    out = server.submit(token, cmd, cwd=str(ws))
    assert out["decision"] == "allow", out
    snap = out["safety_net"][0]["snapshot"]
    view = server.ctx.service.view(rid)
    assert snap in view["safety_net"] and "verified" in view["safety_net"]
    assert view["safety_net_records"][0]["snapshot"] == snap
    page = server.browser("alice").page(rid).text
    assert snap in page  # the request page shows the snapshot record
    kinds = [e["kind"] for e in _ledger(server, rid)]
    assert kinds.index("protected") < kinds.index("execution-claimed")
    sh(cmd, ws)  # the agent runs it
    assert not data.exists()
    undo = server.cli("undo", rid)
    assert undo.returncode == 0, undo.stderr
    assert tree_state(data) == before


def _ledger(airlock: Airlock, rid: str) -> list[dict[str, object]]:
    from airlock.ledger import entries

    return [e for e in entries(airlock.ctx.store) if e["request_id"] == rid]


@pytest.mark.parametrize("fault", ["full", "unwritable"])
def test_store_full_or_unwritable_fails_the_request_and_nothing_is_allowed(
        server: Airlock, ws: Path, fault: str) -> None:
    if fault == "full":  # a store whose quota we enforce (no tiny tmpfs on this machine)
        conf = 'require_independent = "never"\nquota_bytes = 1000\n'
    else:  # a store path under a regular file: every write fails, even as root
        (server.home / "blocker").write_text("")
        conf = f'require_independent = "never"\npath = "{server.home}/blocker/store"\n'
    (server.home / "protect.toml").write_text(conf)
    server.start()
    token = server.token()
    data = tree(ws)
    cmd = f"rm -rf {data.name}"
    rid = held_and_ready(server, token, cmd, ws)
    out = server.submit(token, cmd, cwd=str(ws))
    assert out["decision"] == "deny" and out["state"] == "failed", out
    word = "full" if fault == "full" else "not writable"
    assert word in out["reasons"][0]
    view = server.ctx.service.view(rid)
    assert view["state"] == "failed" and word in view["safety_net"]
    assert data.exists()
    again = server.submit(token, cmd, cwd=str(ws))
    assert again["decision"] == "hold" and again["request"] != rid  # never allowed


def test_server_killed_mid_snapshot_executes_nothing_and_lists_no_snapshot(
        server: Airlock, ws: Path) -> None:
    (server.home / "protect.toml").write_text('require_independent = "never"\n')
    proc = server.start(AIRLOCK_TEST_FAULT="snapshot-midway")
    token = server.token()
    data = ws / "many"
    data.mkdir()
    for i in range(10):
        (data / f"f{i}").write_text(str(i) * 5000)
    cmd = "rm -rf many"
    rid = held_and_ready(server, token, cmd, ws)
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{server.url}/v1/actions", json={"command": cmd, "cwd": str(ws)},
                   headers={"Authorization": f"Bearer {token}"}, timeout=30)
    proc.wait(10)
    assert server.state(rid) == "ready"  # not claimed: nothing may have run
    listed = server.cli("snapshots", "--json")
    assert json.loads(listed.stdout) == []  # the partial snapshot is not a snapshot
    server.start()
    out = server.submit(token, cmd, cwd=str(ws))
    assert out["decision"] == "allow" and out["safety_net"][0]["snapshot"]
    time.sleep(0)
