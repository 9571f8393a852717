"""``airlock hook install|uninstall`` and ``airlock exec``, through the real CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

AIRLOCK = str(Path(sys.executable).parent / "airlock")
HOOK = f"{AIRLOCK} hook run claude-code"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path, workspace: Path) -> dict[str, str]:
    out = dict(os.environ)
    # Fence git inside the workspace: its bare .git dir is no repository to git, which
    # would otherwise walk up to the enclosing checkout (a `git reset --hard` that got
    # through would wipe uncommitted work there).
    out["GIT_CEILING_DIRECTORIES"] = str(workspace.parent)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True, env=out)
    out.update({"AIRLOCK_NO_DAEMON": "1", "AIRLOCK_HOME": str(tmp_path / "airlock-home"),
                "AIRLOCK_SERVER": f"http://127.0.0.1:{free_port()}",
                "HOME": str(tmp_path / "home")})
    for key in ("AIRLOCK_CONFIG", "AIRLOCK_TOKEN", "AIRLOCK_SCOPE", "CODEX_HOME"):
        out.pop(key, None)
    (tmp_path / "home").mkdir()
    return out


def airlock(*args: str, cwd: Path, env: dict[str, str],
            stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIRLOCK, *args], cwd=cwd, env=env, input=stdin.decode(),
                          capture_output=True, text=True, timeout=60, check=False)


OTHER_HOOK = {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}


def test_install_and_uninstall_claude_code_keeps_other_hooks(
        workspace: Path, env: dict[str, str]) -> None:
    settings = workspace / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = {"model": "opus", "hooks": {"PreToolUse": [OTHER_HOOK],
                                           "Stop": [{"hooks": [{"type": "command",
                                                                "command": "notify"}]}]}}
    settings.write_text(json.dumps(original))
    r = airlock("hook", "install", "claude-code", cwd=workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert f"Airlock hook installed for claude-code in {settings}" in r.stdout
    assert f"command: {HOOK}" in r.stdout
    doc = json.loads(settings.read_text())
    assert doc["model"] == "opus" and doc["hooks"]["Stop"] == original["hooks"]["Stop"]
    groups = doc["hooks"]["PreToolUse"]
    assert groups[0] == OTHER_HOOK
    ours = [g for g in groups if g["hooks"][0]["command"] == HOOK]
    assert [g["matcher"] for g in ours] == ["Bash", "Write|Edit|MultiEdit|NotebookEdit",
                                            "Read", "mcp__.*"]
    assert all(g["hooks"][0]["onFailure"] == "block" for g in ours)

    again = airlock("hook", "install", "claude", "--project", cwd=workspace, env=env)
    assert "already installed" in again.stdout
    assert json.loads(settings.read_text()) == doc

    r = airlock("hook", "uninstall", "claude-code", cwd=workspace, env=env)
    assert r.returncode == 0 and "removed" in r.stdout
    assert json.loads(settings.read_text()) == original


def test_install_replaces_an_install_from_another_environment(
        workspace: Path, env: dict[str, str]) -> None:
    settings = workspace / ".gemini" / "settings.json"
    settings.parent.mkdir()
    stale = "/old/venv/bin/airlock hook run gemini-cli"
    settings.write_text(json.dumps({"hooks": {"BeforeTool": [
        {"matcher": ".*", "hooks": [{"type": "command", "command": stale}]},
        {"matcher": "x", "hooks": [{"type": "command", "command": "other"}]}]}}))
    r = airlock("hook", "install", "gemini", cwd=workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert f"replaced: {stale}" in r.stdout
    text = settings.read_text()
    assert stale not in text and f"{AIRLOCK} hook run gemini-cli" in text and '"other"' in text
    r = airlock("hook", "uninstall", "gemini-cli", cwd=workspace, env=env)
    doc = json.loads(settings.read_text())
    assert doc == {"hooks": {"BeforeTool": [
        {"matcher": "x", "hooks": [{"type": "command", "command": "other"}]}]}}


@pytest.mark.parametrize("tool, rel", [("cursor", ".cursor/hooks.json"),
                                       ("codex", ".codex/hooks.json"),
                                       ("claude-code", ".claude/settings.json"),
                                       ("gemini-cli", ".gemini/settings.json")])
def test_user_scope_install(tool: str, rel: str, workspace: Path,
                            env: dict[str, str]) -> None:
    path = Path(env["HOME"]) / rel
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"hooks": {}, "keep": 1}))
    r = airlock("hook", "install", tool, "--user", cwd=workspace, env=env)
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(path.read_text())
    assert doc["keep"] == 1 and f"hook run {tool}" in path.read_text()
    assert not (workspace / rel).exists()
    airlock("hook", "uninstall", tool, "--user", cwd=workspace, env=env)
    doc = json.loads(path.read_text())
    assert "hook run" not in path.read_text() and doc["keep"] == 1


def test_install_refuses_a_file_it_cannot_parse(workspace: Path, env: dict[str, str]) -> None:
    settings = workspace / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{ not json")
    r = airlock("hook", "install", "claude-code", cwd=workspace, env=env)
    assert r.returncode == 1
    assert "not valid JSON" in r.stderr and settings.read_text() == "{ not json"


def test_install_unknown_tool_is_a_usage_error(workspace: Path, env: dict[str, str]) -> None:
    r = airlock("hook", "install", "vim", cwd=workspace, env=env)
    assert r.returncode == 2 and "unknown agent tool" in r.stderr


def test_installed_command_answers(workspace: Path, env: dict[str, str]) -> None:
    """The command written into the settings file is runnable as written."""
    airlock("hook", "install", "claude-code", cwd=workspace, env=env)
    doc = json.loads((workspace / ".claude" / "settings.json").read_text())
    command = doc["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    payload = {"hook_event_name": "PreToolUse", "cwd": str(workspace), "tool_name": "Bash",
               "tool_input": {"command": "git status"}}
    proc = subprocess.run(command, shell=True, cwd=workspace, env=env,
                          input=json.dumps(payload), capture_output=True, text=True,
                          timeout=60, check=False)
    assert (proc.stdout.strip(), proc.returncode) == ("{}", 0)


# ---- exec ---------------------------------------------------------------------------


def test_exec_runs_an_allowed_command_with_stdio_and_status(
        workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", sys.executable, "-c",
                "import sys; d = sys.stdin.read(); print('out:' + d); "
                "print('err', file=sys.stderr); sys.exit(7)",
                cwd=workspace, env=env, stdin=b"hello")
    assert r.returncode == 7, r.stderr
    assert r.stdout == "out:hello\n"
    notes = [ln for ln in r.stderr.splitlines(True) if ln.startswith("airlock exec: note:")]
    assert len(notes) == 1  # the single-user notice, the first time only
    assert r.stderr.replace(notes[0], "") == "err\n"


def test_exec_shell_line(workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", "git status >/dev/null && echo ok", cwd=workspace, env=env)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r.stderr


def test_exec_refuses_a_denied_command_without_running_it(
        workspace: Path, env: dict[str, str]) -> None:
    marker = workspace / "ran"
    # denied (an agent may not edit its hook settings), and harmless had it run
    r = airlock("exec", "--", f"touch {marker} && echo x > .claude/settings.json",
                cwd=workspace, env=env)
    assert r.returncode == 4
    assert "airlock: denied, not run" in r.stderr
    assert not marker.exists()


def test_exec_refuses_a_held_command_without_a_server(
        workspace: Path, env: dict[str, str]) -> None:
    marker = workspace / "ran"
    r = airlock("exec", "--", f"touch {marker} && git reset --hard", cwd=workspace, env=env)
    assert r.returncode == 3
    assert "airlock: held, not run" in r.stderr
    assert not marker.exists()
    env = dict(env, AIRLOCK_TOKEN="alk_not-a-real-token")
    r = airlock("exec", "--", f"touch {marker} && git reset --hard", cwd=workspace, env=env)
    assert r.returncode == 3
    assert f"no Airlock server is reachable at {env['AIRLOCK_SERVER']}" in r.stderr
    assert not marker.exists()


def test_exec_usage_errors(workspace: Path, env: dict[str, str]) -> None:
    assert airlock("exec", cwd=workspace, env=env).returncode == 2
    assert airlock("exec", "--timeout", "x", "--", "true", cwd=workspace,
                   env=env).returncode == 2


def test_exec_missing_program(workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", "no-such-program-xyz", cwd=workspace, env=env)
    assert r.returncode in (3, 4, 127)  # unknown programs may be held; never run
