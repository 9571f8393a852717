"""Where tests put their workspaces: never under a temp dir.

Airlock treats /tmp, /var/tmp and $TMPDIR as a sandbox environment, where deleting is
allowed, so a workspace there would make every test of "is this delete harmful?" pass
for the wrong reason. The repo's own `.pytest_ws/` is used unless the checkout itself
lives in a temp dir (CI may clone anywhere); then a directory under the home dir.
"""

from __future__ import annotations

import os
from pathlib import Path

from airlock.paths import in_temp


def _choose() -> Path:
    candidates = [
        Path(__file__).resolve().parent.parent / ".pytest_ws",
        Path.home() / ".cache" / "airlock-test-workspaces",
        Path("/opt/airlock-test-workspaces"),
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
