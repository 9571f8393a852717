"""The resident daemon answers exactly what the in-process path answers, and a dead or
missing daemon never changes a decision."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

AIRLOCK = [sys.executable, "-m", "airlock"]


@pytest.fixture
def home() -> Iterator[Path]:
    # unix socket paths are limited to ~108 bytes: keep AIRLOCK_HOME short
    path = Path(tempfile.mkdtemp(prefix="al-", dir="/tmp"))
    yield path
    subprocess.run([*AIRLOCK, "daemon", "--stop"], env=_env(path), capture_output=True,
                   timeout=30)


def _env(home: Path, daemon: bool = True) -> dict[str, str]:
    env = {**os.environ, "AIRLOCK_HOME": str(home)}
    env.pop("AIRLOCK_NO_DAEMON", None)
    if not daemon:
        env["AIRLOCK_NO_DAEMON"] = "1"
    return env


def start_daemon(home: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*AIRLOCK, "daemon", "--idle-timeout", "60"], env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sock = home / "run" / "airlock.sock"
    for _ in range(300):
        if sock.exists():
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("daemon did not start: " + proc.stderr.read().decode()
                         if proc.stderr else "")


def check(args: list[str], home: Path, cwd: Path, daemon: bool = True,
          stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AIRLOCK, "check", *args], env=_env(home, daemon), cwd=cwd,
                          input=stdin, capture_output=True, text=True, timeout=60)


COMMANDS = ["git status", "git reset --hard", "rm -rf /", "cat .env", "rm -rf build",
            "echo x > .claude/settings.json"]


def test_daemon_answers_like_the_in_process_path(home: Path, workspace: Path) -> None:
    start_daemon(home)
    socket_file = home / "run" / "airlock.sock"
    assert oct(socket_file.stat().st_mode & 0o777) == "0o600"
    for command in COMMANDS:
        via_daemon = check(["--json", "--", command], home, workspace)
        local = check(["--json", "--", command], home, workspace, daemon=False)
        assert via_daemon.returncode == local.returncode, command
        assert json.loads(via_daemon.stdout) == json.loads(local.stdout), command


def test_daemon_uses_the_callers_working_directory_and_config(home: Path,
                                                              workspace: Path) -> None:
    start_daemon(home)
    (workspace / "airlock.toml").write_text(
        '[environments.production]\n[[resources]]\nname = "d"\nkind = "directory"\n'
        'env = "production"\npaths = ["/srv/d"]\n')
    r = check(["--scope", "staging", "--", "touch /srv/d/x"], home, workspace)
    assert r.returncode == 4, r.stdout + r.stderr
    # the config changes: the daemon notices without a restart
    (workspace / "airlock.toml").write_text("[agent]\nname = 'x'\n")
    time.sleep(0.01)
    os.utime(workspace / "airlock.toml")
    r = check(["--scope", "staging", "--", "touch /srv/d/x"], home, workspace)
    assert r.returncode == 4  # /srv/d is now unknown: still production, still denied
    assert "unknown" in r.stdout


def test_jsonl_through_the_daemon(home: Path, workspace: Path) -> None:
    start_daemon(home)
    stdin = '{"id": 1, "command": "git status"}\n{"id": 2, "command": "rm -rf /"}\n'
    r = check(["--jsonl"], home, workspace, stdin=stdin)
    assert [json.loads(x)["decision"] for x in r.stdout.splitlines()] == ["allow", "deny"]


def test_a_killed_daemon_leaves_decisions_unchanged(home: Path, workspace: Path) -> None:
    proc = start_daemon(home)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert (home / "run" / "airlock.sock").exists()  # stale socket left behind
    assert check(["--", "rm -rf /"], home, workspace).returncode == 4
    assert check(["--", "git status"], home, workspace).returncode == 0
    # and a new daemon can take over the stale socket
    start_daemon(home)
    assert check(["--", "git reset --hard"], home, workspace).returncode == 3


def test_daemon_stop_removes_socket_and_pid(home: Path) -> None:
    start_daemon(home)
    r = subprocess.run([*AIRLOCK, "daemon", "--stop"], env=_env(home), capture_output=True,
                       text=True, timeout=30)
    assert "stopped" in r.stdout
    for _ in range(100):
        if not (home / "run" / "airlock.sock").exists():
            break
        time.sleep(0.05)
    assert not (home / "run" / "airlock.sock").exists()
    assert not (home / "run" / "airlock.pid").exists()
