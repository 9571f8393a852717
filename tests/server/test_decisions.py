"""What `airlock serve` answers for agents' hooks: Claude Code's HTTP hook
(`POST /v1/hooks/<tool>`), and the single-user start (against a real server)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.harness import Airlock


def payload(command: str, cwd: Path) -> dict[str, Any]:
    return {"session_id": "s", "cwd": str(cwd), "permission_mode": "bypassPermissions",
            "hook_event_name": "PreToolUse", "tool_name": "Bash",
            "tool_input": {"command": command}, "tool_use_id": "t"}


def post(airlock: Airlock, body: Any, token: str = "", tool: str = "claude-code",
         home: str = "") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if home:
        headers["X-Airlock-Home"] = home
    return httpx.post(f"{airlock.url}/v1/hooks/{tool}", headers=headers, timeout=30,
                      content=body if isinstance(body, bytes) else json.dumps(body))


def verdict(r: httpx.Response) -> str:
    assert r.status_code == 200, r.text
    out = r.json()
    if out == {}:
        return "allow"
    spec = out["hookSpecificOutput"]
    assert spec["permissionDecision"] == "deny"
    reason = spec["permissionDecisionReason"]
    return "hold" if "as request" in reason and "for human approval" in reason else "deny"


def test_the_http_hook_answers_in_claude_codes_protocol(shared: Airlock,
                                                         workspace: Path) -> None:
    token = shared.token()
    r = post(shared, payload("git status", workspace), token)
    assert verdict(r) == "allow"
    assert r.headers["server-timing"].startswith("decide;dur=")
    push = payload("git push --force origin main", workspace)  # leaves the machine: held
    assert verdict(post(shared, push, token)) == "hold"
    assert verdict(post(shared, payload("rm -rf /", workspace), token)) == "deny"
    # without a token the hold cannot be filed: still refused, never allowed
    assert verdict(post(shared, push)) == "deny"


def test_the_tokens_scope_binds_the_hook(shared: Airlock, workspace: Path) -> None:
    write_prod = "psql postgresql://db.prod.example/shop -c 'INSERT INTO t VALUES (1)'"
    assert verdict(post(shared, payload(write_prod, workspace), shared.token())) == "allow"
    staging = shared.token(scope="staging")
    r = post(shared, payload(write_prod, workspace), staging)
    # the host is in no inventory: not known to be out of scope, so held for a human
    # (a target declared in another environment is denied: tests/corpus/scope.jsonl)
    assert verdict(r) == "hold" and "scope is staging" in r.text


def test_home_is_what_tilde_means(shared: Airlock, workspace: Path) -> None:
    token = shared.token()
    r = post(shared, payload("rm -rf ~", workspace), token, home=str(workspace.parent))
    assert verdict(r) == "deny" and str(workspace.parent) in r.text


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"tool_name": "Bash"}'])
def test_a_malformed_payload_is_refused(shared: Airlock, body: bytes) -> None:
    assert verdict(post(shared, body)) == "deny"


def test_an_unknown_tool_is_404_and_a_huge_payload_413(shared: Airlock) -> None:
    assert post(shared, b"{}", tool="nope").status_code == 404
    r = httpx.post(f"{shared.url}/v1/hooks/claude-code", content=b"x" * (17 << 20),
                   timeout=60)
    assert r.status_code == 413


def test_single_user_serve_says_so_and_keeps_its_files_private(make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock()
    airlock.home.chmod(0o755)
    airlock.start()
    log = next(airlock.home.glob("serve-*.log")).read_text()
    assert "single-user mode" in log and "airlock install --system" in log
    assert (airlock.home.stat().st_mode & 0o777) == 0o700
    assert (airlock.home / "airlock.db").stat().st_mode & 0o077 == 0
    doctor = airlock.cli("doctor")
    assert doctor.returncode == 1
    assert "mode: single-user" in doctor.stdout and "sudo airlock install --system" \
        in doctor.stdout


def test_a_second_server_on_a_taken_port_leaves_the_first_ones_ledger_alone(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock()
    airlock.start()
    before = airlock.cli("ledger", "export").stdout.count("\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "airlock", "serve", "--port", str(port),
                            "--config", str(airlock.config_path)], env=airlock.env(),
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "cannot listen" in r.stderr, r.stderr
    assert airlock.cli("ledger", "export").stdout.count("\n") == before
