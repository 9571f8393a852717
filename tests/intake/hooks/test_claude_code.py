"""Claude Code PreToolUse hooks: parse, render, install/uninstall."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from airlock.intake import hooks
from airlock.intake.hooks import claude_code as cc
from airlock.intake.hooks.base import HookPayloadError, HookSettingsError

FIXTURES = Path(__file__).parent / "fixtures" / "claude-code"
CMD = "airlock hook run claude-code"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# --------------------------------------------------------------------------- parse


def test_every_fixture_parses() -> None:
    files = sorted(FIXTURES.glob("*.json"))
    assert len(files) >= 5
    for path in files:
        req = cc.parse(json.loads(path.read_text()))
        assert req.tool == "claude-code"
        assert req.raw_tool_name


def test_parse_bash() -> None:
    req = cc.parse(fixture("bash.json"))
    assert req.kind == "shell"
    assert req.command == "psql -c 'SELECT * FROM users'"
    assert req.cwd == "/path/to/project"
    assert req.session == "abc123"
    assert req.raw_tool_name == "Bash"
    assert req.arguments["description"] == "Query the users table"
    assert req.path == "" and req.paths == () and req.content is None


def test_parse_write() -> None:
    req = cc.parse(fixture("write.json"))
    assert (req.kind, req.path, req.content) == ("file_write", "/path/to/file.txt", "file content")
    assert req.paths == ("/path/to/file.txt",)


def test_parse_edit_keeps_new_text_as_content() -> None:
    req = cc.parse(fixture("edit.json"))
    assert req.kind == "file_write"
    assert req.path == "/path/to/project/src/app.py"
    assert req.content == "DEBUG = False"
    assert req.arguments["old_string"] == "DEBUG = True"


def test_parse_multiedit_and_notebookedit() -> None:
    req = cc.parse(fixture("multiedit.json"))
    assert req.kind == "file_write"
    assert req.path == "/path/to/project/.claude/settings.json"
    assert req.content == '"PostToolUse"\n"timeout": 1'
    nb = cc.parse(fixture("notebookedit.json"))
    assert nb.kind == "file_write"
    assert nb.path == "/path/to/project/analysis.ipynb"
    assert nb.content == "df.to_sql('users', engine, if_exists='replace')"


def test_parse_read() -> None:
    req = cc.parse(fixture("read.json"))
    assert (req.kind, req.path) == ("file_read", "/path/to/project/.env")
    assert req.content is None


def test_parse_grep_is_a_read_of_its_path() -> None:
    req = cc.parse(fixture("grep.json"))
    assert (req.kind, req.path, req.paths) == ("file_read", "/path/to/project",
                                               ("/path/to/project",))
    assert req.raw_tool_name == "Grep"
    assert req.arguments["glob"] == "*.py"
    payload = fixture("grep.json")
    del payload["tool_input"]["path"]
    assert cc.parse(payload).path == "."  # ripgrep's default: the cwd


def test_parse_glob_lists_names_only() -> None:
    req = cc.parse(fixture("glob.json"))
    assert req.kind == "other"
    assert req.raw_tool_name == "Glob"


def test_parse_mcp() -> None:
    req = cc.parse(fixture("mcp.json"))
    assert req.kind == "mcp"
    assert (req.mcp_server, req.mcp_tool) == ("memory", "create_entities")
    assert req.arguments["entities"][0]["name"] == "Airlock"


def test_parse_plugin_mcp_name_splits_at_first_separator() -> None:
    payload = fixture("mcp.json")
    payload["tool_name"] = "mcp__plugin_ctx_context-mode__ctx_batch_execute"
    req = cc.parse(payload)
    assert (req.mcp_server, req.mcp_tool) == ("plugin_ctx_context-mode", "ctx_batch_execute")


def test_parse_other_tool() -> None:
    req = cc.parse(fixture("todowrite.json"))
    assert req.kind == "other"
    assert req.raw_tool_name == "TodoWrite"
    assert req.session == "xxxx-xxxx-xxxx-xxxx-xxxx"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("tool_name"),
        lambda p: p.pop("tool_input"),
        lambda p: p.update(tool_name=7),
        lambda p: p.update(tool_name=""),
        lambda p: p.update(tool_input="ls"),
        lambda p: p.update(hook_event_name="PostToolUse"),
        lambda p: p["tool_input"].pop("command"),
        lambda p: p["tool_input"].update(command=["rm", "-rf", "/"]),
        lambda p: p.update(cwd=3),
    ],
)
def test_malformed_payloads_raise(mutate: Any) -> None:
    payload = fixture("bash.json")
    mutate(payload)
    with pytest.raises(HookPayloadError):
        cc.parse(payload)


def test_write_without_path_raises() -> None:
    payload = fixture("write.json")
    del payload["tool_input"]["file_path"]
    with pytest.raises(HookPayloadError):
        cc.parse(payload)


@pytest.mark.parametrize("payload", [[], "x", None, 3])
def test_non_object_payload_raises(payload: Any) -> None:
    with pytest.raises(HookPayloadError):
        cc.parse(payload)


# --------------------------------------------------------------------------- render


def test_render_allow_is_no_opinion() -> None:
    assert cc.render("allow", "") == ("{}", 0)
    # with a note (an undo point was taken) it is still no opinion, and the user sees it
    assert json.loads(cc.render("allow", "undo point u-1")[0]) == {
        "systemMessage": "undo point u-1"}


@pytest.mark.parametrize("outcome", ["hold", "deny", "error"])
def test_render_refusals_are_deny(outcome: str) -> None:
    out, code = cc.render(outcome, "for you", agent_message="for the agent")
    assert code == 0
    assert out == (
        '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", '
        '"permissionDecisionReason": "for the agent"}, "systemMessage": "for you"}'
    )


def test_render_hold_exact() -> None:
    out, code = cc.render(
        "hold",
        "Held: railway volumeDelete on production. Approve with: airlock approve r-1",
        agent_message="Held for human approval (request r-1). Do not retry or work around it.",
    )
    assert code == 0
    assert json.loads(out) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": (
                "Held for human approval (request r-1). Do not retry or work around it."
            ),
        },
        "systemMessage": (
            "Held: railway volumeDelete on production. Approve with: airlock approve r-1"
        ),
    }


def test_render_agent_text_defaults_to_message() -> None:
    out, _ = cc.render("deny", "no")
    assert json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"] == "no"


def test_render_error_without_message_still_explains() -> None:
    out, code = cc.render("error", "  ")
    data = json.loads(out)
    assert code == 0
    assert data["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "fails closed" in data["hookSpecificOutput"]["permissionDecisionReason"]
    assert data["systemMessage"] == data["hookSpecificOutput"]["permissionDecisionReason"]


def test_render_unknown_outcome_refuses() -> None:
    out, code = cc.render("maybe", "?")
    assert code == 0
    assert json.loads(out)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_render_output_is_ascii() -> None:
    out, _ = cc.render("deny", "volume “prod” — refused")
    assert out.isascii()
    assert json.loads(out)["systemMessage"] == "volume “prod” — refused"


# --------------------------------------------------------------------------- install


USER_SETTINGS: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(git status)"], "deny": ["Read(./.env)"]},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh"}]}
        ],
        "PostToolUse": [
            {"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --write"}]}
        ],
    },
    "env": {"FOO": "1"},
}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def airlock_groups(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        g
        for g in doc["hooks"]["PreToolUse"]
        if any(h.get("command") == CMD for h in g.get("hooks", []))
    ]


def test_install_into_existing_settings(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    write_json(path, USER_SETTINGS)
    assert cc.install(path, CMD) is True
    doc = json.loads(path.read_text())
    # unrelated settings and hooks kept as they were
    assert doc["model"] == "opus" and doc["env"] == {"FOO": "1"}
    assert doc["permissions"] == USER_SETTINGS["permissions"]
    assert doc["hooks"]["PostToolUse"] == USER_SETTINGS["hooks"]["PostToolUse"]
    assert doc["hooks"]["PreToolUse"][0] == USER_SETTINGS["hooks"]["PreToolUse"][0]
    # Airlock's groups appended, fail-closed, with a timeout
    assert [g["matcher"] for g in airlock_groups(doc)] == [
        "Bash",
        "Write|Edit|MultiEdit|NotebookEdit",
        "Read|Grep",
        "mcp__.*",
    ]
    for group in airlock_groups(doc):
        assert group["hooks"] == [
            {"type": "command", "command": CMD, "timeout": 30, "onFailure": "block"}
        ]


def test_install_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, USER_SETTINGS)
    assert cc.install(path, CMD) is True
    first = path.read_bytes()
    assert cc.install(path, CMD) is False
    assert path.read_bytes() == first
    assert len(airlock_groups(json.loads(first))) == 4


def test_install_replaces_an_older_airlock_entry(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    old = {
        "hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": CMD}]}]}
    }
    write_json(path, old)
    assert cc.install(path, CMD) is True
    doc = json.loads(path.read_text())
    assert "*" not in [g["matcher"] for g in doc["hooks"]["PreToolUse"]]
    assert len(airlock_groups(doc)) == 4


def test_uninstall_removes_exactly_what_install_added(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, USER_SETTINGS)
    cc.install(path, CMD)
    assert cc.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == USER_SETTINGS
    assert cc.uninstall(path, CMD) is False


def test_uninstall_keeps_user_handler_in_a_shared_group(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    shared = {
        "matcher": "Bash",
        "hooks": [
            {"type": "command", "command": "~/bin/guard.sh"},
            {"type": "command", "command": CMD},
        ],
    }
    write_json(path, {"hooks": {"PreToolUse": [shared], "Stop": []}})
    assert cc.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == {
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh"}]}
            ],
            "Stop": [],
        }
    }


def test_install_creates_file_and_dirs_and_uninstall_drops_what_it_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "proj" / ".claude" / "settings.json"
    assert cc.install(path, CMD) is True
    assert len(airlock_groups(json.loads(path.read_text()))) == 4
    assert cc.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == {}


def test_uninstall_missing_file_is_noop(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "settings.json"
    assert cc.uninstall(path, CMD) is False
    assert not path.exists()


def test_other_commands_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, USER_SETTINGS)
    cc.install(path, CMD)
    assert cc.uninstall(path, "airlock hook run cursor") is False


@pytest.mark.parametrize("text", ["{not json", '{"hooks": {"PreToolUse": []}', "[1, 2]", '"hooks"'])
def test_invalid_json_is_refused_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    for op in (cc.install, cc.uninstall):
        with pytest.raises(HookSettingsError, match=r"settings\.json"):
            op(path, CMD)
        assert path.read_text() == text


@pytest.mark.parametrize(
    "doc", [{"hooks": []}, {"hooks": "x"}, {"hooks": {"PreToolUse": {"matcher": "Bash"}}}]
)
def test_unexpected_shapes_are_refused(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "settings.json"
    write_json(path, doc)
    before = path.read_bytes()
    with pytest.raises(HookSettingsError, match=r"settings\.json"):
        cc.install(path, CMD)
    assert path.read_bytes() == before


def test_install_keeps_file_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, USER_SETTINGS)
    os.chmod(path, 0o600)
    cc.install(path, CMD)
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_install_writes_through_a_symlinked_settings_file(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "claude-settings.json"
    write_json(target, USER_SETTINGS)
    link = tmp_path / ".claude" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(target)
    assert cc.install(link, CMD) is True
    assert link.is_symlink()
    assert len(airlock_groups(json.loads(target.read_text()))) == 4
    assert cc.uninstall(link, CMD) is True
    assert link.is_symlink()
    assert json.loads(target.read_text()) == USER_SETTINGS


def test_default_settings_path(tmp_path: Path) -> None:
    cwd, home = tmp_path / "repo", tmp_path / "home"
    assert cc.default_settings_path("project", cwd, home) == cwd / ".claude" / "settings.json"
    assert cc.default_settings_path("user", cwd, home) == home / ".claude" / "settings.json"
    with pytest.raises(ValueError):
        cc.default_settings_path("local", cwd, home)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- registry


def test_registry() -> None:
    assert hooks.TOOLS == ("claude-code", "cursor", "gemini-cli", "codex")
    assert hooks.adapter("claude-code") is cc
    assert hooks.adapter("claude") is cc
    assert hooks.adapter("gemini").TOOL == "gemini-cli"
    with pytest.raises(KeyError, match="known"):
        hooks.adapter("copilot")
