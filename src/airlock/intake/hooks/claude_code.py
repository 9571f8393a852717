"""Claude Code ``PreToolUse`` hooks.

Protocol (sources in ``docs/integrations/hook-protocols.md``):

- stdin: ``session_id``, ``transcript_path``, ``cwd``, ``permission_mode``,
  ``hook_event_name: "PreToolUse"``, ``tool_name``, ``tool_input``, ``tool_use_id``.
  ``tool_input`` by tool: Bash ``{command, description, timeout, run_in_background}``;
  Write ``{file_path, content}``; Edit ``{file_path, old_string, new_string,
  replace_all}``; MultiEdit ``{file_path, edits: [{old_string, new_string}…]}``;
  NotebookEdit ``{notebook_path, new_source, cell_id, cell_type, edit_mode}``; Read
  ``{file_path, offset, limit}``; Grep ``{pattern, path, glob, type, output_mode, …}``
  (ripgrep over ``path``, default the cwd); Glob ``{pattern, path}`` (lists file names,
  reads no file). MCP tools are named ``mcp__<server>__<tool>``.
- stdout on exit 0: ``{"hookSpecificOutput": {"hookEventName": "PreToolUse",
  "permissionDecision": "allow"|"deny"|"ask"|"defer", "permissionDecisionReason": …}}``;
  the deny reason is shown to Claude, top-level ``systemMessage`` to the user. Exit 2
  blocks with stderr as the reason; any other exit code, a crash, a timeout or unparsable
  output lets the call proceed — unless the handler says ``"onFailure": "block"``
  (Claude Code ≥ 2.1.295).
- settings: ``hooks.PreToolUse[] = {matcher, hooks: [{type: "command", command,
  timeout (seconds), onFailure}]}`` in ``~/.claude/settings.json`` (user) or
  ``.claude/settings.json`` (project).

Decisions:

- **hold → deny.** ``ask`` is auto-approved when the session runs in
  ``bypassPermissions`` mode (anthropics/claude-code#77212), so it is not a refusal. A
  hold is a deny whose reason tells Claude the action waits for a human.
- **allow → no opinion** (``{}``, exit 0). ``permissionDecision: "allow"`` skips Claude
  Code's own permission prompt (anthropics/claude-code#28812): Airlock allowing must not
  silently widen what the user's own rules would have asked about.
- **error → deny**, with exit 0 and JSON (exit 2 would make Claude Code read stderr, which
  render() does not produce).
- installed with ``"onFailure": "block"`` so a crashed or timed-out Airlock blocks instead
  of allowing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airlock.intake.hooks.base import (
    HOOK_TIMEOUT_SECONDS,
    HookPayloadError,
    HookRequest,
    HookSettingsError,
    Scope,
    check_scope,
    get_object,
    get_str,
    install_matcher_groups,
    render_pretooluse,
    require_object,
    split_mcp_name,
    uninstall_matcher_groups,
    update_settings,
)

TOOL = "claude-code"
EVENT = "PreToolUse"

SHELL_TOOLS = frozenset({"Bash"})
WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read"})
# Searches file contents below ``path``: a read of every file it searches (the hook
# runner walks the tree; see :mod:`airlock.classify.secret_search`).
SEARCH_TOOLS = frozenset({"Grep"})
# Glob lists names and reads no file's content: "other" (allowed), and not matched.

# One matcher group per family, so the settings file reads plainly.
MATCHERS: tuple[str, ...] = ("Bash", "Write|Edit|MultiEdit|NotebookEdit", "Read|Grep",
                             "mcp__.*")


def parse(payload: dict[str, Any]) -> HookRequest:
    """A Claude Code ``PreToolUse`` payload → HookRequest. HookPayloadError if malformed."""
    where = "Claude Code PreToolUse payload"
    payload = require_object(payload, "Claude Code")
    event = get_str(payload, "hook_event_name", where)
    if event and event != EVENT:
        raise HookPayloadError(f"{where}: expected hook_event_name {EVENT!r}, got {event!r}")
    name = get_str(payload, "tool_name", where, required=True)
    if "tool_input" not in payload:
        raise HookPayloadError(f"{where}: missing 'tool_input'")
    args = get_object(payload, "tool_input", where)
    common: dict[str, Any] = {
        "tool": TOOL,
        "raw_tool_name": name,
        "arguments": args,
        "cwd": get_str(payload, "cwd", where),
        "session": get_str(payload, "session_id", where),
    }
    where = f"{where}, {name} tool_input"
    if name in SHELL_TOOLS:
        return HookRequest(
            kind="shell", command=get_str(args, "command", where, required=True), **common
        )
    if name in WRITE_TOOLS:
        key = "notebook_path" if name == "NotebookEdit" else "file_path"
        path = get_str(args, key, where, required=True)
        return HookRequest(
            kind="file_write", path=path, paths=(path,), content=_written(name, args), **common
        )
    if name in READ_TOOLS:
        path = get_str(args, "file_path", where, required=True)
        return HookRequest(kind="file_read", path=path, paths=(path,), **common)
    if name in SEARCH_TOOLS:
        path = get_str(args, "path", where) or "."
        return HookRequest(kind="file_read", path=path, paths=(path,), **common)
    mcp = split_mcp_name(name)
    if mcp is not None:
        return HookRequest(kind="mcp", mcp_server=mcp[0], mcp_tool=mcp[1], **common)
    return HookRequest(kind="other", **common)


def _written(name: str, args: dict[str, Any]) -> str | None:
    """The text a write tool puts into the file (new text only, for edits)."""
    if name == "Write":
        value = args.get("content")
    elif name == "Edit":
        value = args.get("new_string")
    elif name == "NotebookEdit":
        value = args.get("new_source")
    else:  # MultiEdit
        edits = args.get("edits")
        if not isinstance(edits, list):
            return None
        parts = [e.get("new_string") for e in edits if isinstance(e, dict)]
        return "\n".join(p for p in parts if isinstance(p, str))
    return value if isinstance(value, str) else None


def render(outcome: str, message: str, *, agent_message: str | None = None) -> tuple[str, int]:
    """Answer in Claude Code's protocol: (stdout, exit code).

    allow → ``{}`` (no opinion: Claude Code's own permission rules still apply);
    hold/deny/error → ``permissionDecision: "deny"`` with the agent text as the reason
    (shown to Claude) and the user text as ``systemMessage`` (shown to the user).
    """
    return render_pretooluse(EVENT, outcome, message, agent_message)


def _groups(command: str) -> list[dict[str, Any]]:
    handler = {
        "type": "command",
        "command": command,
        "timeout": HOOK_TIMEOUT_SECONDS,
        "onFailure": "block",
    }
    return [{"matcher": m, "hooks": [dict(handler)]} for m in MATCHERS]


def install(settings_path: Path, command: str) -> bool:
    """Add Airlock's PreToolUse handlers to a Claude Code settings file (idempotent)."""
    return install_matcher_groups(settings_path, command, EVENT, _groups(command))


def set_env(settings_path: Path, env: dict[str, str]) -> bool:
    """Merge ``env`` into the settings' ``env``: what Claude Code sets for every command
    it runs (``airlock hook install claude-code --proxied``: the forward proxy)."""

    def change(doc: dict[str, Any]) -> None:
        current = doc.get("env")
        if current is not None and not isinstance(current, dict):
            raise HookSettingsError(f"{settings_path}: 'env' is not an object; Airlock will "
                                    "not rewrite it")
        doc["env"] = {**(current or {}), **env}

    return update_settings(settings_path, change)


def uninstall(settings_path: Path, command: str) -> bool:
    """Remove exactly the handlers whose command is ``command``."""
    return uninstall_matcher_groups(settings_path, command)


def default_settings_path(scope: Scope, cwd: Path, home: Path) -> Path:
    check_scope(scope)
    base = cwd if scope == "project" else home
    return base / ".claude" / "settings.json"
