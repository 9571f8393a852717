"""Cursor hooks.json hooks: parse, render, install/uninstall."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airlock.intake.hooks import cursor
from airlock.intake.hooks.base import HookPayloadError, HookSettingsError

FIXTURES = Path(__file__).parent / "fixtures" / "cursor"
CMD = "airlock hook run cursor"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# --------------------------------------------------------------------------- parse


def test_every_fixture_parses() -> None:
    files = sorted(FIXTURES.glob("*.json"))
    assert len(files) >= 4
    for path in files:
        req = cursor.parse(json.loads(path.read_text()))
        assert req.tool == "cursor"
        assert req.session == "conv-123"


def test_parse_shell() -> None:
    req = cursor.parse(fixture("before_shell_execution.json"))
    assert req.kind == "shell"
    assert req.command == "npm install express"
    assert req.cwd == "/path/to/project"
    assert req.raw_tool_name == "beforeShellExecution"


def test_parse_shell_cwd_falls_back_to_workspace_root() -> None:
    payload = fixture("before_shell_execution.json")
    del payload["cwd"]
    payload["workspace_roots"] = ["/ws/one", "/ws/two"]
    assert cursor.parse(payload).cwd == "/ws/one"


def test_parse_mcp_object_input() -> None:
    req = cursor.parse(fixture("before_mcp_execution.json"))
    assert req.kind == "mcp"
    assert req.mcp_tool == "database_query"
    assert req.mcp_server == "http://localhost:3000"  # no server name: its address
    assert req.arguments == {"query": "SELECT * FROM users"}


def test_parse_mcp_string_input_and_server_name() -> None:
    req = cursor.parse(fixture("before_mcp_execution_string_input.json"))
    assert (req.mcp_server, req.mcp_tool) == ("postgres", "database_query")
    assert req.arguments == {"query": "SELECT * FROM users"}


@pytest.mark.parametrize(
    ("name", "server", "tool"),
    [("MCP:github:create_issue", "github", "create_issue"), ("mcp__gh__list", "gh", "list")],
)
def test_parse_mcp_prefixed_names(name: str, server: str, tool: str) -> None:
    payload = fixture("before_mcp_execution.json")
    payload["tool_name"] = name
    req = cursor.parse(payload)
    assert (req.mcp_server, req.mcp_tool) == (server, tool)


def test_parse_read_does_not_copy_file_content() -> None:
    req = cursor.parse(fixture("before_read_file.json"))
    assert req.kind == "file_read"
    assert req.path == "/path/to/project/secrets.env"
    assert req.content is None
    assert "API_KEY" not in json.dumps(req.arguments)
    assert req.arguments["attachments"][0]["file_path"] == "/path/to/project/.cursorrules"


def test_parse_pre_tool_write() -> None:
    req = cursor.parse(fixture("pre_tool_use_write.json"))
    assert req.kind == "file_write"
    assert req.path == "/path/to/project/.cursor/hooks.json"
    assert req.content == '{"version": 1, "hooks": {}}'
    assert req.raw_tool_name == "Write"


def test_parse_pre_tool_without_tool_name_is_a_write() -> None:
    payload = fixture("pre_tool_use_write.json")
    del payload["tool_name"]
    req = cursor.parse(payload)
    assert (req.kind, req.raw_tool_name) == ("file_write", "")


@pytest.mark.parametrize(
    ("name", "tool_input", "kind"),
    [
        ("Shell", {"command": "ls"}, "shell"),
        ("Read", {"file_path": "a.txt"}, "file_read"),
        ("Delete", {"path": "a.txt"}, "file_write"),
        ("MCP:github:create_issue", {"title": "x"}, "mcp"),
        ("Grep", {"pattern": "TODO"}, "other"),
    ],
)
def test_parse_pre_tool_kinds(name: str, tool_input: dict[str, Any], kind: str) -> None:
    payload = fixture("pre_tool_use_write.json")
    payload.update(tool_name=name, tool_input=tool_input)
    assert cursor.parse(payload).kind == kind


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        ("before_shell_execution.json", lambda p: p.pop("command")),
        ("before_shell_execution.json", lambda p: p.update(command=None)),
        ("before_shell_execution.json", lambda p: p.pop("hook_event_name")),
        ("before_shell_execution.json", lambda p: p.update(hook_event_name="stop")),
        ("before_mcp_execution.json", lambda p: p.pop("tool_name")),
        ("before_mcp_execution.json", lambda p: p.update(tool_input="{not json")),
        ("before_mcp_execution.json", lambda p: p.update(tool_input=[1])),
        ("before_read_file.json", lambda p: p.pop("file_path")),
        ("pre_tool_use_write.json", lambda p: p.update(tool_input={})),
    ],
)
def test_malformed_payloads_raise(name: str, mutate: Any) -> None:
    payload = fixture(name)
    mutate(payload)
    with pytest.raises(HookPayloadError):
        cursor.parse(payload)


# --------------------------------------------------------------------------- render


def test_render_allow_is_explicit() -> None:
    assert cursor.render("allow", "") == ('{"permission": "allow"}', 0)
    noted = json.loads(cursor.render("allow", "undo point u-1")[0])
    assert noted["permission"] == "allow" and noted["user_message"] == "undo point u-1"


@pytest.mark.parametrize("outcome", ["hold", "deny", "error"])
def test_render_refusals_are_deny(outcome: str) -> None:
    out, code = cursor.render(outcome, "for you", agent_message="for the agent")
    assert code == 0
    assert out == (
        '{"permission": "deny", "user_message": "for you", "agent_message": "for the agent", '
        '"userMessage": "for you", "agentMessage": "for the agent"}'
    )


def test_render_error_without_message() -> None:
    out, code = cursor.render("error", "")
    data = json.loads(out)
    assert code == 0 and data["permission"] == "deny"
    assert data["user_message"] == data["agent_message"]
    assert "fails closed" in data["user_message"]


def test_render_unknown_outcome_refuses() -> None:
    assert json.loads(cursor.render("ask", "x")[0])["permission"] == "deny"


# --------------------------------------------------------------------------- install

EXISTING: dict[str, Any] = {
    "version": 1,
    "hooks": {
        "afterFileEdit": [{"command": "./hooks/format.sh"}],
        "beforeShellExecution": [{"command": "./hooks/block-git.sh", "timeout": 5}],
    },
}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def test_install_into_existing_hooks(tmp_path: Path) -> None:
    path = tmp_path / ".cursor" / "hooks.json"
    write_json(path, EXISTING)
    assert cursor.install(path, CMD) is True
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["hooks"]["afterFileEdit"] == [{"command": "./hooks/format.sh"}]
    entry = {"command": CMD, "timeout": 30, "failClosed": True}
    assert doc["hooks"]["beforeShellExecution"] == [
        {"command": "./hooks/block-git.sh", "timeout": 5},
        entry,
    ]
    assert doc["hooks"]["beforeMCPExecution"] == [entry]
    assert doc["hooks"]["beforeReadFile"] == [entry]
    assert doc["hooks"]["preToolUse"] == [
        {**entry, "matcher": "Write|Edit|StrReplace|MultiEdit|Delete"}
    ]


def test_install_is_idempotent_and_uninstall_exact(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    write_json(path, EXISTING)
    assert cursor.install(path, CMD) is True
    once = path.read_bytes()
    assert cursor.install(path, CMD) is False
    assert path.read_bytes() == once
    assert cursor.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == EXISTING
    assert cursor.uninstall(path, CMD) is False


def test_install_new_file_starts_with_version(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".cursor" / "hooks.json"
    assert cursor.install(path, CMD) is True
    doc = json.loads(path.read_text())
    assert list(doc) == ["version", "hooks"]
    assert set(doc["hooks"]) == {
        "beforeShellExecution",
        "beforeMCPExecution",
        "beforeReadFile",
        "preToolUse",
    }
    assert cursor.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == {"version": 1}


def test_install_adds_missing_version_first(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    write_json(path, {"hooks": {"stop": [{"command": "x"}]}})
    cursor.install(path, CMD)
    doc = json.loads(path.read_text())
    assert next(iter(doc)) == "version" and doc["version"] == 1
    assert doc["hooks"]["stop"] == [{"command": "x"}]


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    write_json(path, {"version": 2, "hooks": {}})
    before = path.read_bytes()
    with pytest.raises(HookSettingsError, match=r"hooks\.json"):
        cursor.install(path, CMD)
    assert path.read_bytes() == before


@pytest.mark.parametrize("text", ["{", "[]", "not json at all"])
def test_invalid_json_is_refused_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hooks.json"
    path.write_text(text)
    for op in (cursor.install, cursor.uninstall):
        with pytest.raises(HookSettingsError, match=r"hooks\.json"):
            op(path, CMD)
        assert path.read_text() == text


def test_non_array_event_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    write_json(path, {"version": 1, "hooks": {"beforeReadFile": {"command": "x"}}})
    before = path.read_bytes()
    with pytest.raises(HookSettingsError):
        cursor.install(path, CMD)
    assert path.read_bytes() == before


def test_default_settings_path(tmp_path: Path) -> None:
    cwd, home = tmp_path / "repo", tmp_path / "home"
    assert cursor.default_settings_path("project", cwd, home) == cwd / ".cursor" / "hooks.json"
    assert cursor.default_settings_path("user", cwd, home) == home / ".cursor" / "hooks.json"
