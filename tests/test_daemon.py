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


def _env(home: Path, daemon: bool | None = True) -> dict[str, str]:
    """``daemon``: True — only the daemon may answer (AIRLOCK_REQUIRE_DAEMON: no silent
    in-process fallback, so what is compared is really the daemon's); False — in-process
    only; None — as a user gets it (the daemon when one answers, else in-process)."""
    env = {**os.environ, "AIRLOCK_HOME": str(home)}
    env.pop("AIRLOCK_NO_DAEMON", None)
    env.pop("AIRLOCK_REQUIRE_DAEMON", None)
    if daemon is True:
        env["AIRLOCK_REQUIRE_DAEMON"] = "1"
    elif daemon is False:
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


def check(args: list[str], home: Path, cwd: Path, daemon: bool | None = True,
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
    # /srv/d is now unknown: never allowed, but not known to be out of scope: held
    assert r.returncode == 3, r.stdout + r.stderr
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
    # where the daemon is required, a dead one is a refusal, not an answer from here
    dead = check(["--", "git status"], home, workspace)
    assert dead.returncode == 1 and "no daemon answered" in dead.stderr
    # as users get it: answered in-process (which starts a new daemon for the next call)
    assert check(["--", "rm -rf /"], home, workspace, daemon=None).returncode == 4
    assert check(["--", "git status"], home, workspace, daemon=None).returncode == 0
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


JSONL = '{"id": 1, "command": "git status"}\n{"id": 2, "command": "rm -rf /"}\n'


def test_jsonl_with_no_daemon_answers_every_line(home: Path, workspace: Path) -> None:
    """The first call on a fresh data dir (no daemon yet) used to print nothing, exit 0."""
    r = check(["--jsonl"], home, workspace, daemon=None, stdin=JSONL)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["decision"] for x in r.stdout.splitlines()] == ["allow", "deny"]


def test_jsonl_with_a_dead_daemons_socket_answers_every_line(home: Path,
                                                              workspace: Path) -> None:
    (home / "run").mkdir(parents=True)
    import socket

    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(home / "run" / "airlock.sock"))  # bound, never listening
    try:
        r = check(["--jsonl"], home, workspace, daemon=None, stdin=JSONL)
    finally:
        dead.close()
    assert [json.loads(x)["decision"] for x in r.stdout.splitlines()] == ["allow", "deny"]


def test_a_required_daemon_that_is_not_there_is_a_refusal(home: Path,
                                                          workspace: Path) -> None:
    r = check(["--", "git status"], home, workspace)
    assert r.returncode == 1 and "no daemon answered" in r.stderr
