"""Cursor agent hooks (``hooks.json``, version 1).

Protocol (sources in ``docs/integrations/hook-protocols.md``):

- every payload: ``hook_event_name``, ``conversation_id``, ``generation_id``,
  ``workspace_roots`` (and, in newer builds, ``model``, ``cursor_version``,
  ``user_email``, ``transcript_path``). Per event:
  ``beforeShellExecution {command, cwd}``;
  ``beforeMCPExecution {tool_name, tool_input, url | command, mcp_server_name,
  mcp_server_url}`` (``tool_input`` is an object, or a JSON string in some builds);
  ``beforeReadFile {file_path, content, attachments}``;
  ``preToolUse {tool_name, tool_input, tool_use_id}`` with tool names ``Shell``,
  ``Read``, ``Write``, ``Delete``, ``Grep``, ``Task``, ``MCP:<tool>``….
- stdout on exit 0: ``{"permission": "allow"|"deny"|"ask", "user_message": …,
  "agent_message": …}`` (``userMessage``/``agentMessage`` in 1.7-era builds;
  ``beforeReadFile`` and ``preToolUse`` take allow/deny only). Exit 2 blocks. Any other
  exit code, a crash, a timeout or invalid JSON lets the action proceed — unless the hook
  entry says ``"failClosed": true``, which turns each of those into a block.
- settings: ``{"version": 1, "hooks": {"<event>": [{command, timeout (seconds),
  failClosed, matcher?}]}}`` in ``~/.cursor/hooks.json`` (user) or
  ``<project>/.cursor/hooks.json`` (project). An unknown event name voids the whole file.

Decisions:

- **hold → deny**: ``ask`` is ignored in Cursor's Auto-review run mode (the command runs
  with no prompt; Cursor forum topic 173694), so it is not a refusal.
- **allow → explicit** ``{"permission": "allow"}``: with ``failClosed`` an empty answer
  is itself refused, and a hook's allow does not switch off Cursor's own run-mode
  approvals.
- **error → deny**; every entry is installed with ``"failClosed": true`` so a crashed or
  slow Airlock blocks.
- messages are sent under both spellings (``user_message`` and ``userMessage``, …) so
  older and newer Cursor builds both show them; unknown output keys are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airlock.intake.hooks.base import (
    HOOK_TIMEOUT_SECONDS,
    HookPayloadError,
    HookRequest,
    HookSettingsError,
    Scope,
    check_scope,
    dumps,
    get_str,
    hooks_section,
    is_handler_for,
    require_object,
    split_mcp_name,
    texts,
    update_settings,
)

TOOL = "cursor"
VERSION = 1

SHELL = "beforeShellExecution"
MCP = "beforeMCPExecution"
READ = "beforeReadFile"
PRE_TOOL = "preToolUse"
EVENTS: tuple[str, ...] = (SHELL, MCP, READ, PRE_TOOL)

# preToolUse is installed for file writes only: shell, MCP and reads have their own
# dedicated events with richer payloads.
WRITE_TOOLS = frozenset({"Write", "Edit", "StrReplace", "MultiEdit", "Delete"})
PRE_TOOL_MATCHER = "Write|Edit|StrReplace|MultiEdit|Delete"
_PATH_KEYS = ("file_path", "path", "target_file", "filePath")
_CONTENT_KEYS = ("contents", "content", "new_string", "newString")


def parse(payload: dict[str, Any]) -> HookRequest:
    """A Cursor hook payload → HookRequest. HookPayloadError if malformed or not one of
    the events Airlock installs."""
    payload = require_object(payload, "Cursor")
    event = get_str(payload, "hook_event_name", "Cursor hook payload", required=True)
    where = f"Cursor {event} payload"
    roots = payload.get("workspace_roots")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else ""
    cwd = get_str(payload, "cwd", where) or root
    session = get_str(payload, "conversation_id", where)
    base: dict[str, Any] = {"tool": TOOL, "cwd": cwd, "session": session}

    if event == SHELL:
        command = get_str(payload, "command", where, required=True)
        return HookRequest(kind="shell", command=command, raw_tool_name=event, **base)
    if event == MCP:
        return _parse_mcp(payload, where, base)
    if event == READ:
        path = get_str(payload, "file_path", where, required=True)
        # The file's content is in the payload; it is deliberately not copied into the
        # request, so it can never reach a log or the ledger.
        extra = {"attachments": payload["attachments"]} if "attachments" in payload else {}
        return HookRequest(
            kind="file_read", path=path, paths=(path,), raw_tool_name=event, arguments=extra, **base
        )
    if event == PRE_TOOL:
        return _parse_pre_tool(payload, where, base)
    raise HookPayloadError(f"{where}: Airlock does not handle Cursor event {event!r}")


def _tool_input(payload: dict[str, Any], where: str) -> dict[str, Any]:
    value = payload.get("tool_input")
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise HookPayloadError(f"{where}: 'tool_input' is a string but not JSON") from exc
    if not isinstance(value, dict):
        raise HookPayloadError(f"{where}: 'tool_input' must be an object")
    return value


def _parse_mcp(payload: dict[str, Any], where: str, base: dict[str, Any]) -> HookRequest:
    name = get_str(payload, "tool_name", where, required=True)
    args = _tool_input(payload, where)
    server = get_str(payload, "mcp_server_name", where)
    tool = name
    if tool.startswith("MCP:"):
        tool = tool[len("MCP:") :]
        if not server and ":" in tool:
            server, _, tool = tool.partition(":")
    parsed = split_mcp_name(tool)
    if parsed is not None:
        server, tool = (server or parsed[0]), parsed[1]
    if not server:
        # No name: the server's address is the best identity the payload gives.
        server = (
            get_str(payload, "mcp_server_url", where)
            or get_str(payload, "url", where)
            or get_str(payload, "command", where)
        )
    return HookRequest(
        kind="mcp", mcp_server=server, mcp_tool=tool, arguments=args, raw_tool_name=name, **base
    )


def _first_str(args: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = args.get(key)
        if isinstance(value, str):
            return value
    return None


def _parse_pre_tool(payload: dict[str, Any], where: str, base: dict[str, Any]) -> HookRequest:
    name = get_str(payload, "tool_name", where)
    args = _tool_input(payload, where)
    common = {**base, "arguments": args, "raw_tool_name": name}
    path = _first_str(args, _PATH_KEYS) or ""
    if name == "Shell":
        command = get_str(args, "command", f"{where}, tool_input", required=True)
        return HookRequest(kind="shell", command=command, **common)
    if name == "Read":
        if not path:
            raise HookPayloadError(f"{where}: Read without a file path")
        return HookRequest(kind="file_read", path=path, paths=(path,), **common)
    if name.startswith("MCP:"):
        server, _, tool = name[len("MCP:") :].rpartition(":")
        return HookRequest(kind="mcp", mcp_server=server, mcp_tool=tool, **common)
    # Some Cursor builds omit tool_name on preToolUse; Airlock installs preToolUse for
    # write tools only, so a nameless call that names a file is treated as a write.
    if name in WRITE_TOOLS or (not name and path):
        if not path:
            raise HookPayloadError(f"{where}: {name} without a file path")
        return HookRequest(
            kind="file_write",
            path=path,
            paths=(path,),
            content=_first_str(args, _CONTENT_KEYS),
            **common,
        )
    return HookRequest(kind="other", path=path, paths=(path,) if path else (), **common)


def render(outcome: str, message: str, *, agent_message: str | None = None) -> tuple[str, int]:
    """Answer in Cursor's protocol: (stdout, exit code).

    allow → ``{"permission": "allow"}``; hold/deny/error → ``{"permission": "deny", …}``
    with the user and agent texts under both key spellings; always exit 0.
    """
    outcome, user, agent = texts(outcome, message, agent_message)
    if outcome == "allow":
        notes = {"user_message": user, "agent_message": agent, "userMessage": user,
                 "agentMessage": agent} if user else {}
        return dumps({"permission": "allow", **notes}), 0
    return (
        dumps(
            {
                "permission": "deny",
                "user_message": user,
                "agent_message": agent,
                "userMessage": user,
                "agentMessage": agent,
            }
        ),
        0,
    )


def _entry(command: str, event: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "command": command,
        "timeout": HOOK_TIMEOUT_SECONDS,
        "failClosed": True,
    }
    if event == PRE_TOOL:
        entry["matcher"] = PRE_TOOL_MATCHER
    return entry


def _strip(hooks: dict[str, Any], command: str) -> None:
    """Remove entries whose command is ``command``; drop arrays emptied by that."""
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = [e for e in entries if not is_handler_for(e, command)]
        if len(kept) != len(entries):
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]


def install(settings_path: Path, command: str) -> bool:
    """Add Airlock's fail-closed entries to a Cursor ``hooks.json`` (idempotent)."""

    def change(doc: dict[str, Any]) -> None:
        version = doc.get("version")
        if version is None:
            rest = list(doc.items())
            doc.clear()
            doc["version"] = VERSION
            doc.update(rest)
        elif version != VERSION:
            raise HookSettingsError(
                f"{settings_path}: hooks.json version {version!r} is not {VERSION}; Airlock "
                "only knows how to write version 1"
            )
        hooks = hooks_section(doc, settings_path)
        if hooks is None:
            hooks = {}
        for event in EVENTS:
            existing = hooks.get(event)
            if existing is not None and not isinstance(existing, list):
                raise HookSettingsError(
                    f"{settings_path}: 'hooks.{event}' is a {type(existing).__name__}, "
                    "not an array; Airlock will not rewrite it"
                )
        _strip(hooks, command)
        for event in EVENTS:
            hooks.setdefault(event, []).append(_entry(command, event))
        doc["hooks"] = hooks

    return update_settings(settings_path, change)


def uninstall(settings_path: Path, command: str) -> bool:
    """Remove exactly the entries whose command is ``command``."""

    def change(doc: dict[str, Any]) -> None:
        hooks = hooks_section(doc, settings_path)
        if not hooks:
            return
        _strip(hooks, command)
        if not hooks:
            del doc["hooks"]

    return update_settings(settings_path, change)


def default_settings_path(scope: Scope, cwd: Path, home: Path) -> Path:
    check_scope(scope)
    base = cwd if scope == "project" else home
    return base / ".cursor" / "hooks.json"
