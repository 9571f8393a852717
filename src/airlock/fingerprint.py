"""The canonical fingerprint of an action: what an approval is bound to.

Two submissions are "the same action" exactly when their fingerprints are equal:
sha256 over a canonical JSON of kind, whitespace-normalised command, cwd, scope,
dialect and database. The agent is deliberately not part of it (an approval is
additionally bound to the agent that asked, by the hold service).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from airlock.action import Action

_WS = re.compile(r"\s+")


def canonical(action: Action) -> dict[str, Any]:
    """The fields that define an action, normalised."""
    return {
        "kind": action.kind or "shell",
        "command": _WS.sub(" ", action.command).strip(),
        "cwd": action.cwd or "",
        "scope": action.scope or "",
        "dialect": (action.dialect or "").lower(),
        "database": action.database or "",
    }


def canonical_json(action: Action) -> str:
    return json.dumps(canonical(action), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def fingerprint(action: Action) -> str:
    """Hex sha256 of the canonical JSON of ``action``."""
    return hashlib.sha256(canonical_json(action).encode("utf-8")).hexdigest()
