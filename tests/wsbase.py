"""Where tests put their workspaces: never under a temp dir, never in the checkout.

Airlock treats /tmp, /var/tmp and $TMPDIR as a sandbox environment, where deleting is
allowed, so a workspace there would make every test of "is this delete harmful?" pass
for the wrong reason. And nothing a test does may touch the repository it runs from: the
workspaces live under the user's cache dir (``~/.cache/airlock-test-workspaces``), one
directory per run, removed at the end of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

from airlock.paths import in_temp


def _choose() -> Path:
    run = f"run-{os.getpid()}"
    candidates = [
        Path.home() / ".cache" / "airlock-test-workspaces" / run,
        Path("/var/lib/airlock-test-workspaces") / run,
    ]
    for base in candidates:
        if in_temp(str(base)) or in_temp(str(base) + "/x"):
            continue
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(base, os.W_OK):
            return base
    raise RuntimeError("no writable place outside temp dirs for test workspaces")


WS_BASE = _choose()
