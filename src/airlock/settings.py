"""Where Airlock keeps its state: ``AIRLOCK_HOME``, else the user's data dir. Stdlib only."""

from __future__ import annotations

import os

_Key = tuple[str | None, str | None, str | None]
_last: tuple[_Key, str] | None = None


def default_home() -> str:
    global _last
    environ = os.environ
    key = (environ.get("AIRLOCK_HOME"), environ.get("XDG_DATA_HOME"), environ.get("HOME"))
    if _last is not None and _last[0] == key:
        return _last[1]  # every decision asks; the environment rarely changes
    if key[0]:
        home = os.path.abspath(os.path.expanduser(key[0]))
    else:
        base = key[1] or os.path.join(os.path.expanduser("~"), ".local", "share")
        home = os.path.join(base, "airlock")
    if not key[0] or os.path.isabs(key[0]):  # a relative one follows the cwd
        _last = (key, home)
    return home
