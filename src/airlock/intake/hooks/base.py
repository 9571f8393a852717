"""What every agent tool's hook adapter shares: the request record, the errors, the outcome
texts, safe read-merge-write of the tool's settings file, and finding Airlock's own hook
commands in it.

This module (and every adapter beside it) is on the hook fast path: it runs before every
agent tool call, so it imports the standard library only.

Protocol facts and their sources are in ``docs/integrations/hook-protocols.md``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Kind = Literal["shell", "file_read", "file_write", "mcp", "other"]
Scope = Literal["project", "user"]
Outcome = Literal["allow", "hold", "deny", "error"]
OUTCOMES: tuple[str, ...] = ("allow", "hold", "deny", "error")

# Every adapter installs its hook with a timeout of this many seconds (converted to the
# tool's own unit). Claude Code, Codex and Gemini CLI let the tool call *through* when a
# hook times out (only Cursor with ``failClosed`` and Claude Code with ``onFailure`` do
# not), so ``airlock hook run`` must answer — with a deny — well before this: it has
# ANSWER_DEADLINE_SECONDS to produce its answer.
HOOK_TIMEOUT_SECONDS = 30
ANSWER_DEADLINE_SECONDS = 20

# Used when a caller hands render() an empty message: several tools reject or ignore a
# deny without a reason (Codex treats ``deny`` without a reason as an invalid answer and
# runs the call), so a refusal must always carry text.
DEFAULT_MESSAGES: Mapping[str, str] = {
    "hold": "Airlock is holding this action until a human approves it.",
    "deny": "Airlock denied this action.",
    "error": "Airlock could not check this action, so it is blocked (Airlock fails closed).",
}


class HookPayloadError(ValueError):
    """The payload on stdin is not what the tool's hook protocol promises.

    The caller answers such a payload with ``render("error", …)``: a refusal.
    """


class HookSettingsError(Exception):
    """The tool's settings file cannot be read or merged safely; it was left untouched."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HookRequest:
    """One tool call an agent is about to make, as its hook reported it.

    ``path`` is absolute or relative to ``cwd``, as the tool gave it. ``paths`` lists every
    file the call touches (a Codex patch or a Gemini ``read_many_files`` can touch several);
    for single-file calls it is ``(path,)``. ``content`` is the text a write would put in
    the file, when the payload carries it. ``arguments`` are the tool's own arguments,
    as sent (the MCP call's arguments for ``kind == "mcp"``).
    """

    tool: str
    kind: Kind
    command: str = ""
    path: str = ""
    content: str | None = None
    mcp_server: str = ""
    mcp_tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    cwd: str = ""
    session: str = ""
    raw_tool_name: str = ""
    paths: tuple[str, ...] = ()


class HookAdapter(Protocol):
    """The interface each adapter module (``claude_code``, ``cursor``…) implements."""

    TOOL: str

    def parse(self, payload: dict[str, Any]) -> HookRequest: ...

    def render(
        self, outcome: str, message: str, *, agent_message: str | None = None
    ) -> tuple[str, int]: ...

    def install(self, settings_path: Path, command: str) -> bool: ...

    def uninstall(self, settings_path: Path, command: str) -> bool: ...

    def default_settings_path(self, scope: Scope, cwd: Path, home: Path) -> Path: ...


# --------------------------------------------------------------------------- payloads


def require_object(payload: object, tool: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise HookPayloadError(f"{tool} hook payload must be a JSON object")
    return payload


def get_str(obj: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    """``obj[key]`` as a string; "" when absent and not required; a HookPayloadError when
    present with another type (a payload we misread is a payload we must not allow)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise HookPayloadError(f"{where}: missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise HookPayloadError(f"{where}: {key!r} must be a string, not {type(value).__name__}")
    if required and not value:
        raise HookPayloadError(f"{where}: {key!r} is empty")
    return value


def get_object(obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HookPayloadError(f"{where}: {key!r} must be an object, not {type(value).__name__}")
    return value


def split_mcp_name(name: str) -> tuple[str, str] | None:
    """``mcp__<server>__<tool>`` → (server, tool); None for any other name.

    The server part is everything up to the first ``__`` after the prefix (Claude Code's
    plugin servers are ``mcp__plugin_<plugin>_<server>__<tool>``); the rest is the tool.
    """
    if not name.startswith("mcp__"):
        return None
    server, sep, tool = name[len("mcp__") :].partition("__")
    if not sep or not server or not tool:
        return None
    return server, tool


# --------------------------------------------------------------------------- outcomes


def render_pretooluse(event: str, outcome: str, message: str,
                      agent_message: str | None = None) -> tuple[str, int]:
    """The ``PreToolUse`` answer shared by Claude Code and Codex: allow → ``{}`` (no
    opinion; ``{"systemMessage": …}`` when there is something to say);
    hold/deny/error → ``permissionDecision: "deny"`` with the agent text as the
    (non-empty) reason and the user text as ``systemMessage``; always exit 0."""
    outcome, user, agent = texts(outcome, message, agent_message)
    if outcome == "allow":  # a note (an undo point was taken) goes to the user only
        return (dumps({"systemMessage": user}) if user else "{}"), 0
    return dumps({
        "hookSpecificOutput": {
            "hookEventName": event,
            "permissionDecision": "deny",
            "permissionDecisionReason": agent,
        },
        "systemMessage": user,
    }), 0


def texts(outcome: str, message: str, agent_message: str | None) -> tuple[str, str, str]:
    """Normalise render()'s arguments: (outcome, text for the user, text for the agent).

    An outcome render() does not know is treated as ``error`` — it can only end in a
    refusal, never in an allow.
    """
    if outcome not in OUTCOMES:
        outcome = "error"
    user = message.strip() or DEFAULT_MESSAGES.get(outcome, "")
    agent = (agent_message or "").strip() or user
    return outcome, user, agent


def dumps(obj: object) -> str:
    # ASCII-only output: Cursor on Windows reads hook stdout in the console code page.
    return json.dumps(obj, ensure_ascii=True)


# --------------------------------------------------------------------------- settings files


def check_scope(scope: str) -> None:
    if scope not in ("project", "user"):
        raise ValueError(f"scope must be 'project' or 'user', not {scope!r}")


def load_settings(path: Path) -> dict[str, Any] | None:
    """The settings file as a JSON object, or None when it does not exist.

    Raises HookSettingsError naming the file when it cannot be read or is not a JSON
    object: a file we cannot parse is a file we must never overwrite.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HookSettingsError(f"cannot read {path}: {exc}") from exc
    if not text.strip():
        # An empty file holds no settings; treat it like a missing one.
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HookSettingsError(
            f"{path} is not valid JSON ({exc}); fix or remove it first, Airlock will not "
            "overwrite a file it cannot parse"
        ) from exc
    if not isinstance(data, dict):
        raise HookSettingsError(
            f"{path} holds a JSON {type(data).__name__}, not an object; Airlock will not "
            "overwrite it"
        )
    return data


def _commands_in(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "command" and isinstance(value, str):
                yield value
            else:
                yield from _commands_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _commands_in(item)


def airlock_hook_commands(path: Path, tool: str) -> list[str]:
    """Every hook command in the settings file ``path`` that runs some Airlock's ``hook
    run <tool>`` (an install from another virtualenv or an older path included)."""
    doc = load_settings(path)
    if doc is None:
        return []
    pattern = re.compile(r"(^|[/\s'\"])airlock['\"]?\s+hook\s+run\s+" + re.escape(tool) + r"$")
    return sorted({c for c in _commands_in(doc.get("hooks")) if pattern.search(c.strip())})


def write_settings(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON atomically: a temp file beside ``path``, then os.replace.

    Parent directories are created; an existing file keeps its permission bits. A settings
    file that is a symlink (dotfiles setups) is written through: its target is replaced,
    the link stays.
    """
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def hooks_section(doc: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``doc["hooks"]``: None when absent, HookSettingsError when not an object."""
    hooks = doc.get("hooks")
    if hooks is None:
        return None
    if not isinstance(hooks, dict):
        raise HookSettingsError(
            f"{path}: 'hooks' is a {type(hooks).__name__}, not an object; Airlock will not "
            "rewrite it"
        )
    return hooks


def update_settings(path: Path, change: Callable[[dict[str, Any]], None]) -> bool:
    """Load ``path``, apply ``change`` to a copy, write it back only if it differs.

    Returns whether the file changed. A missing file starts as ``{}``; if ``change``
    leaves it empty, nothing is created.
    """
    original = load_settings(path)
    doc: dict[str, Any] = copy.deepcopy(original) if original is not None else {}
    change(doc)
    if original is None and not doc:
        return False
    if doc == original:
        return False
    write_settings(path, doc)
    return True


def is_handler_for(entry: object, command: str) -> bool:
    return isinstance(entry, dict) and entry.get("command") == command


def strip_matcher_groups(hooks: dict[str, Any], command: str) -> None:
    """Remove every handler whose command is ``command`` from a ``{event: [{matcher,
    hooks: [handler…]}…]}`` section (the layout of Claude Code, Gemini CLI and Codex).

    A matcher group left without handlers by this removal is dropped, and so is an event
    array left empty by it; groups and arrays that were empty before are left alone.
    """
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups: list[Any] = []
        removed = False
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(handlers, list):
                kept = [h for h in handlers if not is_handler_for(h, command)]
                if len(kept) != len(handlers):
                    removed = True
                    if not kept:
                        continue
                    group = {**group, "hooks": kept}
            kept_groups.append(group)
        if removed:
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]


def install_matcher_groups(
    path: Path, command: str, event: str, groups: list[dict[str, Any]]
) -> bool:
    """Make ``groups`` the only place ``command`` appears in ``path``'s hooks section.

    Airlock's own handlers are removed first (so an older install with other matchers or
    timeouts is replaced, not duplicated), then ``groups`` are appended to
    ``hooks[event]``. Installing twice leaves the file as installing once did.
    """

    def change(doc: dict[str, Any]) -> None:
        hooks = hooks_section(doc, path)
        if hooks is None:
            hooks = {}
        existing = hooks.get(event)
        if existing is not None and not isinstance(existing, list):
            raise HookSettingsError(
                f"{path}: 'hooks.{event}' is a {type(existing).__name__}, not an array; "
                "Airlock will not rewrite it"
            )
        strip_matcher_groups(hooks, command)
        hooks.setdefault(event, []).extend(copy.deepcopy(groups))
        doc["hooks"] = hooks

    return update_settings(path, change)


def uninstall_matcher_groups(path: Path, command: str) -> bool:
    """Remove exactly the handlers whose command is ``command``; see strip_matcher_groups."""

    def change(doc: dict[str, Any]) -> None:
        hooks = hooks_section(doc, path)
        if not hooks:
            return
        strip_matcher_groups(hooks, command)
        if not hooks:
            del doc["hooks"]

    return update_settings(path, change)
