"""End to end: an agent's held command goes through the hook to a real ``airlock serve``, a
human approves it with the CLI, and the identical command is then allowed exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import next_code

AIRLOCK = str(Path(sys.executable).parent / "airlock")
PUSH = "git push --force origin main"  # held: it leaves the machine
PASSWORD = "correct horse battery"
STEPS: dict[str, int] = {}  # the last TOTP step used per secret (a code counts once)
HELD = re.compile(r"as request ([0-9a-f]+) for human approval at (\S+?) \(")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    def __init__(self, home: Path) -> None:
        self.home = home
        home.mkdir(parents=True)
        self.config = home / "airlock.toml"
        self.config.write_text(textwrap.dedent(f"""
            [hold]
            production_approvers = 1
            default_approvers = 1
            cooldown_production = 0
            cooldown_default = 0
            cooldown_sandbox = 0

            [airlock]
            data_dir = "{home}"
            """))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
        for key in ("AIRLOCK_CONFIG", "AIRLOCK_TOKEN", "AIRLOCK_DATABASE_URL"):
            self.env.pop(key, None)
        self.proc: subprocess.Popen[bytes] | None = None
        # The agent's side has its own data dir. (With one shared dir, the core config
        # loader would find $AIRLOCK_HOME/airlock.toml and refuse its [hold] section.)
        self.agent_home = home.parent / "agent-home"

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([AIRLOCK, *args, "--config", str(self.config)],
                              env={**self.env, **env}, cwd=self.home, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)

    def start(self) -> None:
        log = open(self.home / "serve.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [AIRLOCK, "serve", "--port", str(self.port), "--config", str(self.config)],
            env=self.env, cwd=self.home, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.home / "serve.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("airlock serve did not come up")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def stack(tmp_path: Path) -> Any:
    s = Stack(tmp_path / "airlock-home")
    s.start()
    yield s
    s.stop()


def hook(stack: Stack, token: str, command: str, ws: Path) -> dict[str, Any]:
    payload = {"session_id": "s1", "cwd": str(ws), "permission_mode": "bypassPermissions",
               "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": command}, "tool_use_id": "t1"}
    proc = subprocess.run([AIRLOCK, "hook", "run", "claude-code"], input=json.dumps(payload),
                          cwd=ws, capture_output=True, text=True, timeout=60, check=False,
                          env={**stack.env, "AIRLOCK_SERVER": stack.url,
                               "AIRLOCK_TOKEN": token, "AIRLOCK_HOME": str(stack.agent_home)})
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def held(out: dict[str, Any]) -> tuple[str, str]:
    reason = out["hookSpecificOutput"]["permissionDecisionReason"]
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
    m = HELD.search(reason)
    assert m, reason
    assert "Do not look for other credentials or other ways to do this" in reason
    return m.group(1), m.group(2)


def approve(stack: Stack, rid: str, secret: str) -> None:
    rows = json.loads(stack.cli("requests", "--json").stdout)
    name = next(r["confirm_name"] for r in rows if r["id"] == rid)
    r = stack.cli("approve", rid, "--user", "alice", "--confirm", name,
                  AIRLOCK_PASSWORD=PASSWORD, AIRLOCK_TOTP=next_code(secret, STEPS, secret))
    assert r.returncode == 0, r.stderr
    assert f"{rid}: ready" in r.stdout


def test_held_approved_allowed_once(stack: Stack, workspace: Path) -> None:
    r = stack.cli("admin", "create", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    secret = re.search(r"TOTP secret: (\S+)", r.stdout)
    assert secret
    r = stack.cli("token", "issue", "--agent", "bot")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]

    # allowed and denied actions are decided locally, without the server (a force push
    # leaves the machine: held, an undo point cannot make it reversible)
    assert hook(stack, token, "git status", workspace) == {}

    rid, url = held(hook(stack, token, PUSH, workspace))
    assert url == f"{stack.url}/r/{rid}"
    # asking again before approval: the same request, still held
    assert held(hook(stack, token, PUSH, workspace))[0] == rid

    approve(stack, rid, secret.group(1))
    assert hook(stack, token, PUSH, workspace) == {}  # allowed, once
    rid2, _ = held(hook(stack, token, PUSH, workspace))  # and only once
    assert rid2 != rid

    approve(stack, rid2, secret.group(1))
    tampered = hook(stack, token, "git push --force origin dev", workspace)
    assert held(tampered)[0] not in (rid, rid2)
    # the approval of rid2 is still there for the exact action it was given for
    assert hook(stack, token, PUSH, workspace) == {}


def test_bad_token_is_refused_not_allowed(stack: Stack, workspace: Path) -> None:
    out = hook(stack, "alk_forged", PUSH, workspace)
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "refused the request (HTTP 401" in out["systemMessage"]


def isolated_repo(workspace: Path) -> dict[str, str]:
    """Make ``workspace`` a real git repository of its own, and fence git in it.

    The ``workspace`` fixture's bare ``.git`` directory is not a repository to git, which
    would then walk up to the enclosing checkout: a git command this test runs once
    approved would act there. GIT_CEILING_DIRECTORIES stops that.
    """
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(workspace.parent)}
    subprocess.run(["git", "init", "-q", str(workspace)], check=True, env=env)
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=workspace, text=True,
                         capture_output=True, check=True, env=env)
    assert Path(top.stdout.strip()).resolve() == workspace.resolve()
    return {"GIT_CEILING_DIRECTORIES": str(workspace.parent)}


def start_exec(stack: Stack, token: str, command: str, ws: Path,
               fence: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [AIRLOCK, "exec", "--timeout", "60", "--", command], cwd=ws,
        env={**stack.env, **fence, "AIRLOCK_SERVER": stack.url, "AIRLOCK_TOKEN": token,
             "AIRLOCK_HOME": str(stack.agent_home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    while line.startswith("airlock exec: note:"):  # the single-user notice, said once
        line = proc.stderr.readline()
    m = re.search(r"held as request ([0-9a-f]+)", line)
    if not m:
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return proc, m.group(1)


def test_exec_waits_for_approval_then_runs(stack: Stack, workspace: Path) -> None:
    fence = isolated_repo(workspace)
    r = stack.cli("admin", "create", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD)
    secret = re.search(r"TOTP secret: (\S+)", r.stdout)
    assert secret
    token = stack.cli("token", "issue", "--agent", "bot").stdout.strip().splitlines()[-1]
    marker = workspace / "ran"
    command = f"git push -q --force origin main 2>/dev/null; touch {marker}"
    proc, rid = start_exec(stack, token, command, workspace, fence)
    assert not marker.exists()
    approve(stack, rid, secret.group(1))
    assert proc.wait(60) == 0
    assert marker.exists()

    # rejected: exit 3, not run
    marker.unlink()
    proc, rid = start_exec(stack, token, command, workspace, fence)
    r = stack.cli("reject", rid, "--user", "alice", AIRLOCK_PASSWORD=PASSWORD,
                  AIRLOCK_TOTP=next_code(secret.group(1), STEPS, secret.group(1)))
    assert r.returncode == 0, r.stderr
    assert proc.wait(60) == 3
    assert not marker.exists()
