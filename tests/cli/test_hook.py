"""``airlock hook install|uninstall``, through the real CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import AIRLOCK, airlock

HOOK = f"{AIRLOCK} hook run claude-code"

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
                                            "Read|Grep", "mcp__.*"]
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


def test_install_proxied_sets_claude_codes_command_environment(
        workspace: Path, env: dict[str, str]) -> None:
    assert airlock("ca", "export", cwd=workspace, env=env).returncode == 0  # the CA exists
    settings = workspace / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": {"FOO": "bar"}}))
    # nothing listens on port 9: the CA comes from this installation's data dir
    r = airlock("hook", "install", "claude-code", "--proxied", "--proxy", "127.0.0.1:9",
                cwd=workspace, env={**env, "XDG_CACHE_HOME": str(workspace / "cache")})
    assert r.returncode == 0, r.stderr
    doc = json.loads(settings.read_text())
    assert doc["env"]["FOO"] == "bar"
    assert doc["env"]["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert "BEGIN CERTIFICATE" in Path(doc["env"]["NODE_EXTRA_CA_CERTS"]).read_text()
    assert Path(doc["env"]["SSL_CERT_FILE"]).stat().st_size > 1000  # system CAs + Airlock's
    refused = airlock("hook", "install", "gemini", "--proxied", cwd=workspace, env=env)
    assert refused.returncode == 2 and "airlock exec --proxied" in refused.stderr
