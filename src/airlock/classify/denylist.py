"""The secret-file denylist: files ``airlock scan --write-denylist`` found credentials in.

``$AIRLOCK_HOME/secret-files.txt`` holds one absolute path per line (``#`` comments and
blank lines are ignored). Reading any of them is flagged like reading a ``.env``: pass
:func:`load_denylist` to :func:`airlock.classify.guards.is_secret_file` as ``extra``.
The file lives in Airlock's data dir, which no agent may write. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterable

FILENAME = "secret-files.txt"

_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[str, ...]]] = {}


def denylist_path(home: str | None = None) -> str:
    if home is None:
        # function-level: the hook runner's fast path loads this module (stdlib only);
        # settings is loaded only when no home is given
        from airlock.settings import default_home

        home = default_home()
    return os.path.join(home, FILENAME)


def load_denylist(home: str | None = None) -> tuple[str, ...]:
    """The absolute paths in the denylist; () when there is none. Cached per mtime."""
    path = denylist_path(home)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return ()
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return ()
    entries = tuple(
        dict.fromkeys(
            os.path.normpath(line.strip())
            for line in lines
            if line.strip() and not line.lstrip().startswith("#") and os.path.isabs(line.strip())
        )
    )
    with _lock:
        _cache[path] = (mtime, entries)
    return entries


def write_denylist(
    paths: Iterable[str], home: str | None = None, *, merge: bool = True
) -> tuple[str, list[str]]:
    """Add ``paths`` (made absolute) to the denylist, atomically, mode 0600.

    Returns (the denylist's path, the paths that were not in it before).
    """
    target = denylist_path(home)
    existing = list(load_denylist(home)) if merge else []
    new = [p for p in dict.fromkeys(os.path.abspath(p) for p in paths) if p not in existing]
    entries = sorted(set(existing) | set(new))
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    text = (
        "# Files that hold live credentials (written by `airlock scan --write-denylist`).\n"
        "# Agents are refused reading them. One absolute path per line.\n"
        + "".join(f"{p}\n" for p in entries)
    )
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{FILENAME}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with _lock:
        _cache.pop(target, None)
    return target, new
