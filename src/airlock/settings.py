"""Where Airlock keeps its state: ``AIRLOCK_HOME``, else the user's data dir. Stdlib only."""

from __future__ import annotations

import os


def default_home() -> str:
    env = os.environ.get("AIRLOCK_HOME")
    if env:
        return os.path.abspath(os.path.expanduser(env))
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                          "share")
    return os.path.join(base, "airlock")
