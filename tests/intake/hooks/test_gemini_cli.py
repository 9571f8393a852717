"""Gemini CLI BeforeTool hooks: parse, render, install/uninstall."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airlock.intake.hooks import gemini_cli as gem
from airlock.intake.hooks.base import HookPayloadError, HookSettingsError

FIXTURES = Path(__file__).parent / "fixtures" / "gemini-cli"
CMD = "airlock hook run gemini-cli"
SESSION = "7d0c3e2a-1f5b-4c1e-9a54-0b6f2d1e8c11"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# --------------------------------------------------------------------------- parse


def test_every_fixture_parses() -> None:
    files = sorted(FIXTURES.glob("*.json"))
    assert len(files) >= 4
    for path in files:
        req = gem.parse(json.loads(path.read_text()))
        assert req.tool == "gemini-cli"
        assert req.session == SESSION


def test_parse_shell_runs_in_dir_path() -> None:
    req = gem.parse(fixture("run_shell_command.json"))
    assert req.kind == "shell"
    assert req.command == "rm -rf build"
    assert req.cwd == "/home/user/project/packages/web"
    assert req.raw_tool_name == "run_shell_command"


def test_parse_shell_without_dir_path_uses_cwd() -> None:
    payload = fixture("run_shell_command.json")
    del payload["tool_input"]["dir_path"]
    assert gem.parse(payload).cwd == "/home/user/project"


def test_parse_write_file_and_replace() -> None:
    req = gem.parse(fixture("write_file.json"))
    assert (req.kind, req.path, req.content) == (
        "file_write",
        "/home/user/project/notes.md",
        "# Notes\n",
    )
    rep = gem.parse(fixture("replace.json"))
    assert rep.kind == "file_write"
    assert rep.path == "/home/user/project/.gemini/settings.json"
    assert rep.content == '"enabled": false'


def test_parse_read_file_and_legacy_absolute_path() -> None:
    req = gem.parse(fixture("read_file.json"))
    assert (req.kind, req.path) == ("file_read", "/home/user/project/.env")
    payload = fixture("read_file.json")
    payload["tool_input"] = {"absolute_path": "/etc/passwd"}
    assert gem.parse(payload).path == "/etc/passwd"


def test_parse_read_many_files() -> None:
    payload = fixture("read_file.json")
    payload.update(tool_name="read_many_files", tool_input={"include": ["src/**/*.py", ".env"]})
    req = gem.parse(payload)
    assert req.kind == "file_read"
    assert req.paths == ("src/**/*.py", ".env")
    assert req.path == ""


def test_parse_mcp_uses_mcp_context() -> None:
    req = gem.parse(fixture("mcp.json"))
    assert req.kind == "mcp"
    assert (req.mcp_server, req.mcp_tool) == ("github", "create_issue")
    assert req.arguments["title"] == "Flaky test"


@pytest.mark.parametrize(
    ("name", "server", "tool"),
    [
        ("mcp__github__create_issue", "github", "create_issue"),
        ("mcp_github_list", "github", "list"),
    ],
)
def test_parse_mcp_names_without_context(name: str, server: str, tool: str) -> None:
    payload = fixture("mcp.json")
    del payload["mcp_context"]
    payload["tool_name"] = name
    req = gem.parse(payload)
    assert (req.kind, req.mcp_server, req.mcp_tool) == ("mcp", server, tool)


def test_parse_other_tool() -> None:
    payload = fixture("read_file.json")
    payload.update(tool_name="google_web_search", tool_input={"query": "x"})
    assert gem.parse(payload).kind == "other"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("tool_name"),
        lambda p: p.pop("tool_input"),
        lambda p: p.update(tool_input=[]),
        lambda p: p.update(hook_event_name="AfterTool"),
        lambda p: p["tool_input"].pop("command"),
        lambda p: p["tool_input"].update(dir_path=1),
        lambda p: p.update(session_id=42),
    ],
)
def test_malformed_payloads_raise(mutate: Any) -> None:
    payload = fixture("run_shell_command.json")
    mutate(payload)
    with pytest.raises(HookPayloadError):
        gem.parse(payload)


def test_bad_mcp_context_raises() -> None:
    payload = fixture("mcp.json")
    payload["mcp_context"] = "github"
    with pytest.raises(HookPayloadError):
        gem.parse(payload)


# --------------------------------------------------------------------------- render


def test_render_allow() -> None:
    assert gem.render("allow", "") == ('{"decision": "allow"}', 0)
    assert json.loads(gem.render("allow", "undo point u-1")[0]) == {
        "decision": "allow", "systemMessage": "undo point u-1"}


@pytest.mark.parametrize("outcome", ["hold", "deny", "error"])
def test_render_refusals_are_deny(outcome: str) -> None:
    out, code = gem.render(outcome, "for you", agent_message="for the agent")
    assert code == 0
    assert out == '{"decision": "deny", "reason": "for the agent", "systemMessage": "for you"}'


def test_render_deny_always_has_a_reason() -> None:
    data = json.loads(gem.render("hold", "")[0])
    assert data["decision"] == "deny" and data["reason"].startswith("Airlock is holding")


# --------------------------------------------------------------------------- install

EXISTING: dict[str, Any] = {
    "general": {"vimMode": True},
    "hooksConfig": {"enabled": True},
    "hooks": {
        "BeforeTool": [
            {
                "matcher": "write_file|replace",
                "hooks": [
                    {
                        "name": "security-check",
                        "type": "command",
                        "command": "$GEMINI_PROJECT_DIR/.gemini/hooks/security.sh",
                        "timeout": 5000,
                    }
                ],
            }
        ],
        "AfterTool": [
            {"matcher": "*", "hooks": [{"type": "command", "command": "./log.sh"}]},
        ],
    },
}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def test_install_into_existing_settings(tmp_path: Path) -> None:
    path = tmp_path / ".gemini" / "settings.json"
    write_json(path, EXISTING)
    assert gem.install(path, CMD) is True
    doc = json.loads(path.read_text())
    assert doc["general"] == {"vimMode": True} and doc["hooksConfig"] == {"enabled": True}
    assert doc["hooks"]["AfterTool"] == EXISTING["hooks"]["AfterTool"]
    before_tool = doc["hooks"]["BeforeTool"]
    assert before_tool[0] == EXISTING["hooks"]["BeforeTool"][0]
    assert before_tool[1] == {
        "matcher": "^(run_shell_command|write_file|replace|read_file|read_many_files|mcp_.*)$",
        "hooks": [
            {
                "name": "airlock",
                "type": "command",
                "command": CMD,
                "timeout": 30000,
                "description": "Airlock: check shell, file and MCP tool calls before they run",
            }
        ],
    }


def test_install_is_idempotent_and_uninstall_exact(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, EXISTING)
    assert gem.install(path, CMD) is True
    once = path.read_bytes()
    assert gem.install(path, CMD) is False
    assert path.read_bytes() == once
    assert gem.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == EXISTING
    assert gem.uninstall(path, CMD) is False


def test_legacy_non_event_keys_in_hooks_survive(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, {"hooks": {"enabled": True, "disabled": ["x"]}})
    gem.install(path, CMD)
    gem.uninstall(path, CMD)
    assert json.loads(path.read_text()) == {"hooks": {"enabled": True, "disabled": ["x"]}}


def test_matcher_covers_the_tools_airlock_checks() -> None:
    import re

    pattern = re.compile(gem.MATCHER)
    for name in ("run_shell_command", "write_file", "replace", "read_file", "read_many_files"):
        assert pattern.search(name)
    for name in ("mcp__github__create_issue", "mcp_github_create_issue"):
        assert pattern.search(name)
    for name in ("google_web_search", "list_directory", "replace_all_things"):
        assert not pattern.search(name)


@pytest.mark.parametrize("text", ["{,}", "null", "1"])
def test_invalid_json_is_refused_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    for op in (gem.install, gem.uninstall):
        with pytest.raises(HookSettingsError, match=r"settings\.json"):
            op(path, CMD)
        assert path.read_text() == text


def test_default_settings_path(tmp_path: Path) -> None:
    cwd, home = tmp_path / "repo", tmp_path / "home"
    assert gem.default_settings_path("project", cwd, home) == cwd / ".gemini" / "settings.json"
    assert gem.default_settings_path("user", cwd, home) == home / ".gemini" / "settings.json"
