"""The local record of what the protect stage did for each request: snapshot ids and
quarantines (where a resource was moved to, and when it may be purged).

Every change of a record is a read-modify-write under an exclusive ``flock`` on the
request's lock file, written to a private temporary file and renamed over the record, so
concurrent writers (threads, ``airlock serve`` replicas sharing the data dir, an ``airlock
undo`` running at the same time) neither lose an entry nor trip over each other's
temporary file.

The claim locks (``claims/<request>.lock``) tell whether the claimer of a request in
``claiming`` is still alive on this host: the claimer takes the lock and writes its claim
token in it before its claim is committed, and holds it for as long as the claim runs;
the kernel drops the lock when the process dies, so a lock that is free while the file
still names the request's claim token means that claimer died. Identical calls on this
host that find the lock taken are refused at once (someone is claiming it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any


def _safe(request: str) -> str:
    return "".join(c for c in request if c.isalnum() or c in "-_") or "manual"


def _path(journal_dir: str, request: str) -> str:
    return os.path.join(journal_dir, "requests", f"{_safe(request)}.json")


def empty(request: str) -> dict[str, Any]:
    return {"request": request, "snapshots": [], "quarantines": [], "undone": []}


def load(journal_dir: str, request: str) -> dict[str, Any]:
    try:
        with open(_path(journal_dir, request), encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
            return data
    except FileNotFoundError:
        return empty(request)


def _write_json(path: str, body: Any, indent: int | None = None) -> None:
    """Atomically replace ``path`` with ``body`` (a temporary file of this writer's own)."""
    d = os.path.dirname(path)
    os.makedirs(d, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=indent, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(journal_dir: str, record: dict[str, Any]) -> None:
    _write_json(_path(journal_dir, record["request"]), record, indent=1)


@contextlib.contextmanager
def locked(journal_dir: str, request: str) -> Iterator[None]:
    """Hold the request's journal lock (exclusive, across threads and processes)."""
    path = os.path.join(journal_dir, "requests", f"{_safe(request)}.lock")
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # drops the lock


@contextlib.contextmanager
def update(journal_dir: str, request: str) -> Iterator[dict[str, Any]]:
    """The request's record, locked for the block; saved at its end if it changed."""
    with locked(journal_dir, request):
        rec = load(journal_dir, request)
        before = json.dumps(rec, sort_keys=True)
        try:
            yield rec
        finally:
            if json.dumps(rec, sort_keys=True) != before:
                save(journal_dir, rec)


def add(journal_dir: str, request: str, key: str, item: Any) -> None:
    with update(journal_dir, request) as rec:
        rec.setdefault(key, []).append(item)
        rec["updated_at"] = time.time()


def all_records(journal_dir: str) -> list[dict[str, Any]]:
    d = os.path.join(journal_dir, "requests")
    out = []
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            if name.endswith(".json") and not name.startswith("."):
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    out.append(json.load(fh))
    return out


def progress_path(journal_dir: str, request: str) -> str:
    return os.path.join(journal_dir, "progress", f"{_safe(request)}.json")


def write_progress(journal_dir: str, request: str, body: dict[str, Any]) -> None:
    _write_json(progress_path(journal_dir, request), body)


def read_progress(journal_dir: str, request: str) -> dict[str, Any] | None:
    try:
        with open(progress_path(journal_dir, request), encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
            return data
    except (OSError, ValueError):
        return None


# ---- claim locks: is a claimer on this host still alive? ---------------------------------


def _claim_path(journal_dir: str, request: str) -> str:
    return os.path.join(journal_dir, "claims", f"{_safe(request)}.lock")


class ClaimLock:
    """Held by the caller claiming ``request`` on this host, from just before its claim is
    committed until the claim ends, with the claim's token written in it."""

    def __init__(self, journal_dir: str, request: str) -> None:
        self.path = _claim_path(journal_dir, request)
        self.fd: int | None = None

    def acquire(self, token: str, wait: float = 0.25) -> str:
        """``held`` (and ``token`` written), ``busy`` (another live caller here holds it:
        a claim in progress; a liveness probe lets go within ``wait``), or ``unavailable``
        (no lock file can be made: the claim then relies on its lease alone)."""
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return "unavailable"
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return "busy"
                time.sleep(0.005)
            except OSError:
                os.close(fd)
                return "unavailable"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, token.encode(), 0)
        except OSError:
            os.close(fd)
            return "unavailable"
        self.fd = fd
        return "held"

    def release(self) -> None:
        """Let go (the token is wiped first: a claim that ended is not a dead claimer)."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        os.close(self.fd)
        self.fd = None


def claimer_gone(journal_dir: str, request: str, token: str) -> bool:
    """True when the claim ``token`` of ``request`` was made on this host (its lock file
    names it) and nobody holds that lock any more: its claimer died. False when alive or
    unknown (a claimer elsewhere: its lease decides)."""
    try:
        fd = os.open(_claim_path(journal_dir, request), os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return False  # held: the claimer is alive
        return os.pread(fd, 256, 0).decode(errors="replace") == token
    finally:
        os.close(fd)
