"""Codex CLI PreToolUse hooks: parse, render, install/uninstall."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airlock.intake.hooks import codex
from airlock.intake.hooks.base import HookPayloadError, HookSettingsError

FIXTURES = Path(__file__).parent / "fixtures" / "codex"
CMD = "airlock hook run codex"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# --------------------------------------------------------------------------- parse


def test_every_fixture_parses() -> None:
    files = sorted(FIXTURES.glob("*.json"))
    assert len(files) >= 3
    for path in files:
        req = codex.parse(json.loads(path.read_text()))
        assert req.tool == "codex"
        assert req.session == "019a3c2e-7b1d-7c42-9f0e-5d3b8a1c6e20"
        assert req.cwd == "/path/to/cwd"


def test_parse_bash() -> None:
    req = codex.parse(fixture("bash.json"))
    assert (req.kind, req.command, req.raw_tool_name) == ("shell", "rm -f /tmp/example", "Bash")


def test_parse_apply_patch_lists_every_file() -> None:
    req = codex.parse(fixture("apply_patch.json"))
    assert req.kind == "file_write"
    assert req.paths == ("hello.txt", "src/app.py", ".codex/hooks.json")
    assert req.path == "hello.txt"
    assert req.content is not None and req.content.startswith("*** Begin Patch")


def test_patch_paths_includes_move_targets() -> None:
    patch = "*** Begin Patch\n*** Update File: a.py\n*** Move to: b.py\n@@\n-x\n+y\n*** End Patch"
    assert codex.patch_paths(patch) == ("a.py", "b.py")


def test_parse_mcp() -> None:
    req = codex.parse(fixture("mcp.json"))
    assert req.kind == "mcp"
    assert (req.mcp_server, req.mcp_tool) == ("memory", "create_entities")
    assert req.arguments["entities"][0]["entityType"] == "project"


def test_parse_other_tool() -> None:
    payload = fixture("bash.json")
    payload.update(tool_name="update_plan", tool_input={"plan": []})
    assert codex.parse(payload).kind == "other"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("tool_name"),
        lambda p: p.pop("tool_input"),
        lambda p: p.update(tool_input="rm -rf /"),
        lambda p: p.update(hook_event_name="PermissionRequest"),
        lambda p: p["tool_input"].pop("command"),
        lambda p: p["tool_input"].update(command=["bash", "-lc", "ls"]),
    ],
)
def test_malformed_payloads_raise(mutate: Any) -> None:
    payload = fixture("bash.json")
    mutate(payload)
    with pytest.raises(HookPayloadError):
        codex.parse(payload)


def test_patch_naming_no_file_raises() -> None:
    payload = fixture("apply_patch.json")
    payload["tool_input"]["command"] = "*** Begin Patch\n*** End Patch\n"
    with pytest.raises(HookPayloadError):
        codex.parse(payload)


# --------------------------------------------------------------------------- render


def test_render_allow_is_no_opinion() -> None:
    # Codex rejects permissionDecision "allow" without updatedInput as unsupported.
    assert codex.render("allow", "") == ("{}", 0)
    assert json.loads(codex.render("allow", "undo point u-1")[0]) == {
        "systemMessage": "undo point u-1"}


@pytest.mark.parametrize("outcome", ["hold", "deny", "error"])
def test_render_refusals_are_deny(outcome: str) -> None:
    out, code = codex.render(outcome, "for you", agent_message="for the agent")
    assert code == 0
    assert out == (
        '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", '
        '"permissionDecisionReason": "for the agent"}, "systemMessage": "for you"}'
    )


@pytest.mark.parametrize("outcome", ["hold", "deny", "error", "bogus"])
def test_render_deny_reason_is_never_empty(outcome: str) -> None:
    # Codex treats a deny without a non-empty reason as an invalid answer and runs the call.
    out, _ = codex.render(outcome, " ", agent_message="")
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.strip()


# --------------------------------------------------------------------------- install

EXISTING: dict[str, Any] = {
    "hooks": {
        "SessionStart": [
            {
                "matcher": "startup|resume",
                "hooks": [{"type": "command", "command": "sh .codex/hooks/session-start.sh"}],
            }
        ],
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {
                        "type": "command",
                        "command": "python3 .codex/hooks/pre_tool_use.py",
                        "statusMessage": "Checking plan before Bash",
                    }
                ],
            }
        ],
    }
}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def test_install_into_existing_hooks(tmp_path: Path) -> None:
    path = tmp_path / ".codex" / "hooks.json"
    write_json(path, EXISTING)
    assert codex.install(path, CMD) is True
    doc = json.loads(path.read_text())
    assert doc["hooks"]["SessionStart"] == EXISTING["hooks"]["SessionStart"]
    pre = doc["hooks"]["PreToolUse"]
    assert pre[0] == EXISTING["hooks"]["PreToolUse"][0]
    handler = {
        "type": "command",
        "command": CMD,
        "timeout": 30,
        "statusMessage": "Airlock: checking",
    }
    assert pre[1:] == [
        {"matcher": "Bash", "hooks": [handler]},
        {"matcher": "apply_patch", "hooks": [handler]},
        {"matcher": "mcp__.*", "hooks": [handler]},
    ]


def test_install_is_idempotent_and_uninstall_exact(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    write_json(path, EXISTING)
    assert codex.install(path, CMD) is True
    once = path.read_bytes()
    assert codex.install(path, CMD) is False
    assert path.read_bytes() == once
    assert codex.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == EXISTING
    assert codex.uninstall(path, CMD) is False


def test_install_creates_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".codex" / "hooks.json"
    assert codex.install(path, CMD) is True
    assert [g["matcher"] for g in json.loads(path.read_text())["hooks"]["PreToolUse"]] == [
        "Bash",
        "apply_patch",
        "mcp__.*",
    ]
    assert codex.uninstall(path, CMD) is True
    assert json.loads(path.read_text()) == {}


@pytest.mark.parametrize("text", ['{"hooks": ', "{'hooks': {}}"])
def test_invalid_json_is_refused_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hooks.json"
    path.write_text(text)
    for op in (codex.install, codex.uninstall):
        with pytest.raises(HookSettingsError, match=r"hooks\.json"):
            op(path, CMD)
        assert path.read_text() == text


def test_default_settings_path(tmp_path: Path) -> None:
    cwd, home = tmp_path / "repo", tmp_path / "home"
    assert codex.default_settings_path("project", cwd, home) == cwd / ".codex" / "hooks.json"
    assert codex.default_settings_path("user", cwd, home) == home / ".codex" / "hooks.json"
