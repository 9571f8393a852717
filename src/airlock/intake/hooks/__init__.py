"""Each agent tool's hook protocol: parse its payload, answer in its own words, and
install or remove Airlock's hook in its settings file.

One module per tool, all with the same interface (:class:`~.base.HookAdapter`):
``parse``, ``render``, ``install``, ``uninstall``, ``default_settings_path``.

    adapter = airlock.intake.hooks.adapter("claude-code")
    request = adapter.parse(json.load(sys.stdin))
    stdout, code = adapter.render("hold", "…", agent_message="…")

Standard library only: this runs before every agent tool call.
"""

from __future__ import annotations

from airlock.intake.hooks import claude_code, codex, cursor, gemini_cli
from airlock.intake.hooks.base import (
    ANSWER_DEADLINE_SECONDS,
    HOOK_TIMEOUT_SECONDS,
    HookAdapter,
    HookPayloadError,
    HookRequest,
    HookSettingsError,
)

ADAPTERS: dict[str, HookAdapter] = {
    claude_code.TOOL: claude_code,
    cursor.TOOL: cursor,
    gemini_cli.TOOL: gemini_cli,
    codex.TOOL: codex,
}
ALIASES: dict[str, str] = {"claude": "claude-code", "gemini": "gemini-cli", "codex-cli": "codex"}
TOOLS: tuple[str, ...] = tuple(ADAPTERS)


def adapter(tool: str) -> HookAdapter:
    """The adapter for ``tool`` (``claude-code``, ``cursor``, ``gemini-cli``, ``codex``, or
    an alias). KeyError naming the known tools otherwise."""
    name = ALIASES.get(tool, tool)
    try:
        return ADAPTERS[name]
    except KeyError:
        raise KeyError(f"unknown agent tool {tool!r}; known: {', '.join(TOOLS)}") from None


__all__ = [
    "ADAPTERS",
    "ALIASES",
    "ANSWER_DEADLINE_SECONDS",
    "HOOK_TIMEOUT_SECONDS",
    "TOOLS",
    "HookAdapter",
    "HookPayloadError",
    "HookRequest",
    "HookSettingsError",
    "adapter",
]
