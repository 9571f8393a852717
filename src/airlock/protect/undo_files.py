"""Undo points outside git: plain copies of paths in a content-addressed store.

::

    <store>/ab/<sha256>     one read-only copy per distinct content (never a hard link)

A root's manifest (itself a copy) lists every entry as :func:`.directory.scan` sees it:
type, mode, owner, mtime (ns), size and sha256, or a symlink's target (never followed).
Used by :mod:`.undo_points`, which owns the layout and translates the errors.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from airlock.protect.directory import scan
from airlock.protect.undo_git import changed_after

CHUNK = 1024 * 1024


def object_path(store: str, sha: str) -> str:
    return os.path.join(store, sha[:2], sha)


def _put(store: str, src: str | bytes, tmp: str) -> tuple[str, int, bool]:
    """Copy a file (or bytes) into the store: (sha256, size, newly added)."""
    h = hashlib.sha256()
    size = 0
    fd, part = tempfile.mkstemp(dir=tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(src, bytes):
                h.update(src)
                out.write(src)
                size = len(src)
            else:
                with open(src, "rb") as fh:
                    while chunk := fh.read(CHUNK):
                        h.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        sha = h.hexdigest()
        dst = object_path(store, sha)
        if os.path.exists(dst):
            os.unlink(part)
            return sha, size, False
        os.makedirs(os.path.dirname(dst), mode=0o700, exist_ok=True)
        os.chmod(part, 0o400)
        os.replace(part, dst)
        return sha, size, True
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def _read_object(store: str, sha: str) -> bytes:
    try:
        with open(object_path(store, sha), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"copy {sha[:12]}… is missing",
                                store) from None


def capture(store: str, roots: list[str], max_bytes: int,
            tmp: str) -> tuple[list[dict[str, Any]], int]:
    """Copy every root into the store: one record per root (its manifest's sha256, or
    ``absent``) and the bytes newly added. Raises ``ValueError`` when over ``max_bytes``
    (before copying anything) and ``OSError`` (unreadable, disk full)."""
    scanned = []
    total = 0
    for root in roots:
        entries = scan(root) if os.path.lexists(root) else None
        total += sum(e.get("size", 0) for e in entries or [] if e["type"] == "file")
        scanned.append((root, entries))
    if max_bytes and total > max_bytes:
        raise ValueError(f"{total} bytes to copy from {', '.join(roots)}: over max_bytes "
                         f"({max_bytes})")
    out: list[dict[str, Any]] = []
    added = 0
    for root, entries in scanned:
        if entries is None:
            out.append({"path": root, "absent": True})
            continue
        size = 0
        for e in entries:
            if e["type"] == "file":
                full = root if e["path"] == "." else os.path.join(root, e["path"])
                e["sha256"], e["size"], new = _put(store, full, tmp)
                size += e["size"]
                added += e["size"] if new else 0
        manifest = json.dumps(entries, sort_keys=True).encode()
        sha, msize, new = _put(store, manifest, tmp)
        added += msize if new else 0
        out.append({"path": root, "manifest": sha, "entries": len(entries),
                    "bytes": size})
    return out, added


def entries(store: str, root: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if root.get("absent"):
        return {}
    return {e["path"]: e for e in json.loads(_read_object(store, root["manifest"]))}


def live_objects(store: str, roots: list[dict[str, Any]]) -> set[str]:
    """The copies ``roots`` (records of :func:`capture`) name."""
    live = set()
    for r in roots:
        if not r.get("absent"):
            live.add(r["manifest"])
            live.update(e["sha256"] for e in entries(store, r).values() if e["type"] == "file")
    return live


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same content: type, mode, bytes or link target (mtimes aside)."""
    if a["type"] != b["type"]:
        return False
    if a["type"] == "symlink":
        return bool(a["target"] == b["target"])
    if a["type"] == "file":
        return bool(a["sha256"] == b["sha256"] and a["mode"] == b["mode"])
    return True  # dirs: their mode and mtime are put back, never a conflict


@dataclass
class FilesPlan:
    root: str
    conflicts: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)  # relative paths, made after the point
    write: list[dict[str, Any]] = field(default_factory=list)  # entries whose content goes back
    meta: list[dict[str, Any]] = field(default_factory=list)  # entries: mode/mtime only
    dirs: list[dict[str, Any]] = field(default_factory=list)  # every captured dir

    def todo(self) -> bool:
        return bool(self.delete or self.write or self.meta)


def plan(store: str, saved: dict[str, Any], now: dict[str, Any], cutoff_ns: int) -> FilesPlan:
    """Restoring root record ``saved`` over ``now`` (a capture just taken): what to delete,
    write, touch; ``conflicts``: paths differing from ``saved``, changed after the cutoff."""
    p = FilesPlan(saved["path"])
    was, cur = entries(store, saved), entries(store, now)
    p.dirs = [e for e in was.values() if e["type"] == "dir"]
    for rel in sorted(set(was) | set(cur)):
        s, c = was.get(rel), cur.get(rel)
        full = p.root if rel == "." else os.path.join(p.root, rel)
        if s and c and _same(s, c):
            if s["type"] != "other" and (s["mode"] != c["mode"]
                                         or s["mtime_ns"] != c["mtime_ns"]):
                p.meta.append(s)  # same content: mode and mtime only
            continue
        if changed_after(full, cutoff_ns):
            p.conflicts.append(full)
        if c is not None and (s is None or s["type"] != c["type"]):
            p.delete.append(rel)
        if s is not None and s["type"] in ("file", "symlink", "dir"):
            p.write.append(s)
    return p


def apply(store: str, p: FilesPlan) -> list[str]:
    """Carry out a plan: deletions deepest first, then contents parents first, then modes
    and mtimes (directories last, deepest first)."""
    def full(rel: str) -> str:
        return p.root if rel == "." else os.path.join(p.root, rel)

    for rel in sorted(p.delete, key=lambda r: (r != ".", r.count("/"), r), reverse=True):
        _remove(full(rel))
    as_root = os.geteuid() == 0
    for e in sorted(p.write, key=lambda e: (e["path"] != ".", e["path"].count("/"),
                                            e["path"])):
        path = full(e["path"])
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent, exist_ok=True)
        if e["type"] == "dir":
            if os.path.lexists(path) and not os.path.isdir(path):
                _remove(path)
            os.makedirs(path, exist_ok=True)
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        if e["type"] == "symlink":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.symlink(e["target"], path)
        else:
            fd, part = tempfile.mkstemp(dir=parent, prefix=".airlock-undo-")
            with os.fdopen(fd, "wb") as out:
                out.write(_read_object(store, e["sha256"]))
            os.replace(part, path)
    for e in [*p.write, *p.meta]:
        if e["type"] == "dir":
            continue
        path = full(e["path"])
        if as_root:
            with contextlib.suppress(OSError):
                os.lchown(path, e["uid"], e["gid"])
        if e["type"] == "file":
            os.chmod(path, e["mode"])
        os.utime(path, ns=(e["mtime_ns"], e["mtime_ns"]), follow_symlinks=False)
    for e in sorted(p.dirs, key=lambda e: e["path"].count("/"), reverse=True):
        path = full(e["path"])  # last, deepest first: writing inside moved their mtimes
        if as_root:
            with contextlib.suppress(OSError):
                os.chown(path, e["uid"], e["gid"])
        os.chmod(path, e["mode"])
        os.utime(path, ns=(e["mtime_ns"], e["mtime_ns"]))
    files = sum(1 for e in p.write if e["type"] != "dir")
    return [f"{p.root}: restored {files} files" + (f", removed {len(p.delete)} entries made "
                                                   "after the undo point" if p.delete else "")]


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
