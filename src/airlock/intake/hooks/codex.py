"""Codex CLI ``PreToolUse`` hooks.

Codex has had Claude-Code-shaped lifecycle hooks since 0.124 (on by default; GA in May
2026). Protocol (sources in ``docs/integrations/hook-protocols.md``):

- stdin: ``session_id``, ``turn_id``, ``transcript_path`` (string or null), ``cwd``,
  ``hook_event_name: "PreToolUse"``, ``model``, ``permission_mode``, ``tool_name``,
  ``tool_input``, ``tool_use_id`` (plus ``agent_id``/``agent_type`` in subagents).
  Shell-like tools (shell, unified exec) report ``tool_name: "Bash"`` and ``tool_input:
  {"command": "…"}``; file edits report ``tool_name: "apply_patch"`` with the raw patch in
  ``tool_input.command``; MCP tools report their model-visible name ``mcp__<server>__<tool>``
  and their JSON arguments as ``tool_input``.
- stdout on exit 0: ``{"hookSpecificOutput": {"hookEventName": "PreToolUse",
  "permissionDecision": "deny", "permissionDecisionReason": …}, "systemMessage": …}``.
  Codex *rejects* ``permissionDecision: "allow"`` (unless it carries ``updatedInput``) and
  ``"ask"`` as unsupported: the hook is marked failed and the call runs. A deny without a
  non-empty reason is equally invalid. Exit 2 blocks with stderr as the reason; any other
  exit code, a crash, a timeout or unparsable output lets the call run (no fail-closed
  switch yet: openai/codex#41979).
- settings: ``hooks.json`` next to a config layer — ``~/.codex/hooks.json`` (user) or
  ``<repo>/.codex/hooks.json`` (project) — as ``{"hooks": {"PreToolUse": [{matcher,
  hooks: [{type: "command", command, timeout (seconds), statusMessage}]}]}}``. The same
  tables may live inline in ``config.toml``; Airlock writes ``hooks.json`` only, since
  rewriting TOML without losing the user's comments needs more than the standard library.
  Non-managed hooks run only after the user trusts them in ``/hooks``.

Decisions:

- **allow → no opinion** (``{}``): the only explicit allow Codex accepts is one that
  rewrites the input.
- **hold, deny, error → deny** with a reason: ``ask`` is not honoured, it runs the call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airlock.intake.hooks.base import (
    HOOK_TIMEOUT_SECONDS,
    HookPayloadError,
    HookRequest,
    Scope,
    check_scope,
    get_object,
    get_str,
    install_matcher_groups,
    render_pretooluse,
    require_object,
    split_mcp_name,
    uninstall_matcher_groups,
)

TOOL = "codex"
EVENT = "PreToolUse"

SHELL_TOOLS = frozenset({"Bash"})
PATCH_TOOLS = frozenset({"apply_patch"})
MATCHERS: tuple[str, ...] = ("Bash", "apply_patch", "mcp__.*")

_PATCH_HEADERS = ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ")


def patch_paths(patch: str) -> tuple[str, ...]:
    """Every file an ``apply_patch`` body adds, updates, deletes or moves to, in order."""
    seen: list[str] = []
    for line in patch.splitlines():
        for header in _PATCH_HEADERS:
            if line.startswith(header):
                path = line[len(header) :].strip()
                if path and path not in seen:
                    seen.append(path)
                break
    return tuple(seen)


def parse(payload: dict[str, Any]) -> HookRequest:
    """A Codex ``PreToolUse`` payload → HookRequest. HookPayloadError if malformed."""
    where = "Codex PreToolUse payload"
    payload = require_object(payload, "Codex")
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
    if name in PATCH_TOOLS:
        patch = get_str(args, "command", where, required=True)
        paths = patch_paths(patch)
        if not paths:
            raise HookPayloadError(f"{where}: the patch names no file")
        return HookRequest(kind="file_write", path=paths[0], paths=paths, content=patch, **common)
    mcp = split_mcp_name(name)
    if mcp is not None:
        return HookRequest(kind="mcp", mcp_server=mcp[0], mcp_tool=mcp[1], **common)
    return HookRequest(kind="other", **common)


def render(outcome: str, message: str, *, agent_message: str | None = None) -> tuple[str, int]:
    """Answer in Codex's protocol: (stdout, exit code).

    allow → ``{}``; hold/deny/error → ``permissionDecision: "deny"`` with the agent text
    as the (required, non-empty) reason and the user text as ``systemMessage``; exit 0.
    """
    return render_pretooluse(EVENT, outcome, message, agent_message)


def _groups(command: str) -> list[dict[str, Any]]:
    handler = {
        "type": "command",
        "command": command,
        "timeout": HOOK_TIMEOUT_SECONDS,
        "statusMessage": "Airlock: checking",
    }
    return [{"matcher": m, "hooks": [dict(handler)]} for m in MATCHERS]


def install(settings_path: Path, command: str) -> bool:
    """Add Airlock's PreToolUse handlers to a Codex ``hooks.json`` (idempotent)."""
    return install_matcher_groups(settings_path, command, EVENT, _groups(command))


def uninstall(settings_path: Path, command: str) -> bool:
    """Remove exactly the handlers whose command is ``command``."""
    return uninstall_matcher_groups(settings_path, command)


def default_settings_path(scope: Scope, cwd: Path, home: Path) -> Path:
    """``<cwd>/.codex/hooks.json`` or ``<home>/.codex/hooks.json``.

    When ``$CODEX_HOME`` is set, Codex reads its user layer from that directory instead;
    a caller honouring it passes ``Path(os.environ["CODEX_HOME"]) / "hooks.json"`` itself.
    """
    check_scope(scope)
    base = cwd if scope == "project" else home
    return base / ".codex" / "hooks.json"
