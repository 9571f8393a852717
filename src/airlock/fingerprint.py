"""The canonical fingerprint of an action: what an approval is bound to.

Two submissions are "the same action" exactly when their fingerprints are equal:
sha256 over a canonical JSON of kind, command, cwd, scope, dialect, database, (when
known) the agent's home, and (when the decision read files: a script, a Makefile, a
request body) the sha256 of each such file. The
command is normalised only by trimming it and unifying line endings: whitespace inside
it can be meaning (``rm -rf 'a  b'`` is not ``rm -rf 'a b'``), so it stays byte for
byte. The agent is deliberately not part of it (an approval is
additionally bound to the agent that asked, by the hold service).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from airlock.action import Action


def canonical(action: Action, inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields that define an action, normalised; ``inputs`` (path → sha256 of the
    files read to classify it: a script, a Makefile) bind it to their contents."""
    out: dict[str, Any] = {
        "kind": action.kind or "shell",
        "command": action.command.replace("\r\n", "\n").strip(),
        "cwd": action.cwd or "",
        "scope": action.scope or "",
        "dialect": (action.dialect or "").lower(),
        "database": action.database or "",
    }
    if inputs:
        out["inputs"] = dict(sorted(inputs.items()))
    if action.home:
        # what ``~`` meant when it was classified: an approval of ``rm -rf ~/x`` for one
        # home is not an approval for another
        out["home"] = action.home
    return out


def canonical_json(action: Action, inputs: dict[str, str] | None = None) -> str:
    return json.dumps(canonical(action, inputs), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def fingerprint(action: Action, inputs: dict[str, str] | None = None) -> str:
    """Hex sha256 of the canonical JSON of ``action`` (and of the contents it was decided
    on: the same command after its script changed is another action)."""
    return hashlib.sha256(canonical_json(action, inputs).encode("utf-8")).hexdigest()
