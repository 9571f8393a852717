"""Gemini CLI ``BeforeTool`` hooks.

Protocol (sources in ``docs/integrations/hook-protocols.md``):

- stdin: ``session_id``, ``transcript_path``, ``cwd``, ``hook_event_name: "BeforeTool"``,
  ``timestamp``, ``tool_name``, ``tool_input`` and, for MCP tools only, ``mcp_context``
  ``{server_name, tool_name, command|url|tcp…}``. Built-in tools and their arguments:
  ``run_shell_command {command, description, dir_path, is_background}``,
  ``write_file {file_path, content}``, ``replace {file_path, old_string, new_string,
  instruction, allow_multiple}``, ``read_file {file_path, start_line, end_line}``
  (``absolute_path`` in older releases), ``read_many_files {include, exclude, …}``.
- stdout on exit 0: ``{"decision": "allow"|"deny"|"block", "reason": …,
  "systemMessage": …}``; a deny's ``reason`` goes to the agent as the tool's error,
  ``systemMessage`` is shown to the user. Exit 2 blocks with stderr as the reason; any
  other exit code, a timeout, a crash, or non-JSON stdout lets the call proceed. There is
  no fail-closed switch.
- settings: ``hooks.BeforeTool[] = {matcher (regex for tool events), hooks: [{name,
  type: "command", command, timeout (milliseconds), description}]}`` in
  ``~/.gemini/settings.json`` or ``.gemini/settings.json``. Hooks are on by default
  (``hooksConfig.enabled``); project hooks only run in trusted folders.

Decisions:

- **allow → explicit** ``{"decision": "allow"}``: ``BeforeTool`` fires when the tool is
  executed, after Gemini CLI's own confirmation step, and ``allow`` only means "do not
  block" — it cannot widen what Gemini would have asked about.
- **hold, deny, error → deny** with a reason (Gemini has no ``ask`` for tools).
- no fail-closed flag exists, so ``airlock hook run`` must itself answer deny on every
  internal failure and before its deadline.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airlock.intake.hooks.base import (
    HOOK_TIMEOUT_SECONDS,
    HookPayloadError,
    HookRequest,
    Scope,
    check_scope,
    dumps,
    get_object,
    get_str,
    install_matcher_groups,
    require_object,
    split_mcp_name,
    texts,
    uninstall_matcher_groups,
)

TOOL = "gemini-cli"
EVENT = "BeforeTool"
HOOK_NAME = "airlock"

SHELL_TOOLS = frozenset({"run_shell_command"})
WRITE_TOOLS = frozenset({"write_file", "replace"})
READ_TOOLS = frozenset({"read_file", "read_many_files"})

# Gemini matches tool events by regular expression. MCP tools are named
# ``mcp__<server>__<tool>`` in the hooks reference and ``mcp_<server>_<tool>`` in newer
# releases; ``mcp_.*`` covers both.
MATCHER = "^(run_shell_command|write_file|replace|read_file|read_many_files|mcp_.*)$"


def parse(payload: dict[str, Any]) -> HookRequest:
    """A Gemini CLI ``BeforeTool`` payload → HookRequest. HookPayloadError if malformed."""
    where = "Gemini CLI BeforeTool payload"
    payload = require_object(payload, "Gemini CLI")
    event = get_str(payload, "hook_event_name", where)
    if event and event != EVENT:
        raise HookPayloadError(f"{where}: expected hook_event_name {EVENT!r}, got {event!r}")
    name = get_str(payload, "tool_name", where, required=True)
    if "tool_input" not in payload:
        raise HookPayloadError(f"{where}: missing 'tool_input'")
    args = get_object(payload, "tool_input", where)
    cwd = get_str(payload, "cwd", where)
    common: dict[str, Any] = {
        "tool": TOOL,
        "raw_tool_name": name,
        "arguments": args,
        "session": get_str(payload, "session_id", where),
    }
    where = f"{where}, {name} tool_input"

    if name in SHELL_TOOLS:
        command = get_str(args, "command", where, required=True)
        run_dir = get_str(args, "dir_path", where) or get_str(args, "directory", where)
        if run_dir:
            cwd = os.path.join(cwd, run_dir) if cwd else run_dir
        return HookRequest(kind="shell", command=command, cwd=cwd, **common)
    if name in WRITE_TOOLS:
        path = get_str(args, "file_path", where, required=True)
        key = "content" if name == "write_file" else "new_string"
        value = args.get(key)
        content = value if isinstance(value, str) else None
        return HookRequest(
            kind="file_write", path=path, paths=(path,), content=content, cwd=cwd, **common
        )
    if name == "read_file":
        path = get_str(args, "file_path", where) or get_str(args, "absolute_path", where)
        if not path:
            raise HookPayloadError(f"{where}: missing 'file_path'")
        return HookRequest(kind="file_read", path=path, paths=(path,), cwd=cwd, **common)
    if name == "read_many_files":
        paths = _string_list(args.get("include"), where, "include") or _string_list(
            args.get("paths"), where, "paths"
        )
        first = paths[0] if len(paths) == 1 else ""
        return HookRequest(kind="file_read", path=first, paths=paths, cwd=cwd, **common)

    mcp = _mcp_identity(name, payload, where)
    if mcp is not None:
        return HookRequest(kind="mcp", mcp_server=mcp[0], mcp_tool=mcp[1], cwd=cwd, **common)
    return HookRequest(kind="other", cwd=cwd, **common)


def _string_list(value: object, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise HookPayloadError(f"{where}: {key!r} must be a string or a list of strings")


def _mcp_identity(name: str, payload: dict[str, Any], where: str) -> tuple[str, str] | None:
    context = get_object(payload, "mcp_context", where)
    if context:
        server = get_str(context, "server_name", f"{where}, mcp_context")
        tool = get_str(context, "tool_name", f"{where}, mcp_context")
        if server or tool:
            return server, tool or name
    parsed = split_mcp_name(name)
    if parsed is not None:
        return parsed
    if name.startswith("mcp_"):
        # Gemini's own FQN, split the way Gemini splits it: server up to the next "_".
        server, _, tool = name[len("mcp_") :].partition("_")
        return server, tool
    return None


def render(outcome: str, message: str, *, agent_message: str | None = None) -> tuple[str, int]:
    """Answer in Gemini CLI's protocol: (stdout, exit code).

    allow → ``{"decision": "allow"}``; hold/deny/error → ``{"decision": "deny", "reason":
    <agent text>, "systemMessage": <user text>}``; always exit 0.
    """
    outcome, user, agent = texts(outcome, message, agent_message)
    if outcome == "allow":
        return dumps({"decision": "allow", **({"systemMessage": user} if user else {})}), 0
    return dumps({"decision": "deny", "reason": agent, "systemMessage": user}), 0


def _groups(command: str) -> list[dict[str, Any]]:
    return [
        {
            "matcher": MATCHER,
            "hooks": [
                {
                    "name": HOOK_NAME,
                    "type": "command",
                    "command": command,
                    "timeout": HOOK_TIMEOUT_SECONDS * 1000,
                    "description": "Airlock: check shell, file and MCP tool calls before they run",
                }
            ],
        }
    ]


def install(settings_path: Path, command: str) -> bool:
    """Add Airlock's BeforeTool hook to a Gemini CLI settings file (idempotent)."""
    return install_matcher_groups(settings_path, command, EVENT, _groups(command))


def uninstall(settings_path: Path, command: str) -> bool:
    """Remove exactly the hooks whose command is ``command``."""
    return uninstall_matcher_groups(settings_path, command)


def default_settings_path(scope: Scope, cwd: Path, home: Path) -> Path:
    check_scope(scope)
    base = cwd if scope == "project" else home
    return base / ".gemini" / "settings.json"
