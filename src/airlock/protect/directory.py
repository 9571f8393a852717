"""Directories and files (what ``rm -rf`` hits).

Snapshot: every regular file is a content-addressed blob; a ``tree`` blob lists every
entry with its type, mode, owner, mtime (ns), size, sha256 or symlink target. Restore is
exact: contents, modes, symlinks, mtimes (and owners when running as root).
Quarantine: a rename (never a copy: instant whatever the size) to a place on the same
filesystem that is outside every git work tree, so it never shows in ``git status``: the
data dir's ``protect/quarantine/``, else ``.airlock-quarantine/`` beside the outermost work
tree holding the path, else the repository's own ``.git/airlock-quarantine/``; each
quarantine gets a directory of its own there (``<request>-<ts>-XXXX/<name>``). Undo and
purge remove the directories they emptied.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import time
from typing import Any

from airlock.action import Risk, Target
from airlock.protect import ProtectError, RestoreRefused
from airlock.protect.manifest import Blob, Manifest, new_id
from airlock.protect.nets import Context, fault, short
from airlock.protect.stores import read_chunks, seal

QUARANTINE = ".airlock-quarantine"  # the directory beside a work tree
# A rename into the candidate failed for one of these: try the next candidate.
_NEXT_PLACE = {errno.EXDEV, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC,
               errno.EINVAL, errno.ENOTDIR}


def target_path(target: Target) -> str:
    loc = target.locator
    if not loc.startswith("path:"):
        raise ProtectError(f"not a path locator: {loc!r}")
    return os.path.abspath(loc[len("path:"):])


def scan(root: str) -> list[dict[str, Any]]:
    """Every entry under ``root`` (itself included, as ``.``), parents first."""
    entries: list[dict[str, Any]] = []

    def entry(rel: str, full: str) -> dict[str, Any]:
        st = os.lstat(full)
        e: dict[str, Any] = {"path": rel, "mode": stat.S_IMODE(st.st_mode),
                             "mtime_ns": st.st_mtime_ns, "uid": st.st_uid, "gid": st.st_gid}
        if stat.S_ISLNK(st.st_mode):
            e.update(type="symlink", target=os.readlink(full))
        elif stat.S_ISDIR(st.st_mode):
            e["type"] = "dir"
        elif stat.S_ISREG(st.st_mode):
            e.update(type="file", size=st.st_size)
        else:
            e["type"] = "other"  # sockets, fifos, devices: recorded, not restored
        return e

    entries.append(entry(".", root))
    if entries[0]["type"] != "dir":
        return entries
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            full = os.path.join(dirpath, name)
            entries.append(entry(os.path.relpath(full, root), full))
    return entries


def tree_digest(entries: list[dict[str, Any]], hashes: dict[str, str]) -> str:
    """A checksum of a tree: every path, type, mode, mtime, link target and content."""
    h = hashlib.sha256()
    for e in sorted(entries, key=lambda e: e["path"]):
        if e["type"] == "other":
            continue
        mtime = e["mtime_ns"] if e["type"] != "dir" else 0  # dir mtimes change on restore order
        h.update(json.dumps([e["path"], e["type"], e["mode"] if e["type"] != "symlink" else 0,
                             mtime, e.get("target", ""), hashes.get(e["path"], "")]).encode())
    return h.hexdigest()


def hash_tree(root: str) -> str:
    entries = scan(root)
    hashes = {}
    for e in entries:
        if e["type"] == "file":
            h = hashlib.sha256()
            full = root if e["path"] == "." else os.path.join(root, e["path"])
            with open(full, "rb") as fh:
                for chunk in read_chunks(fh):
                    h.update(chunk)
            hashes[e["path"]] = h.hexdigest()
    return tree_digest(entries, hashes)


class DirectoryNet:
    kind = "directory"

    def handles(self, target: Target) -> bool:
        return target.locator.startswith("path:") and target.risk >= Risk.DESTRUCTIVE

    def describe(self, target: Target) -> str:
        return (f"snapshot {target.name} (contents, modes, symlinks, mtimes) into the store; "
                "when Airlock executes: move to a quarantine dir on the same filesystem")

    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest:
        root = target_path(target)
        m = Manifest(new_id(), request, self.kind, target.verb, target.locator, root,
                     time.time())
        if not os.path.lexists(root):
            m.meta["absent"] = True
            m.blobs["tree"] = ctx.store.put_stream(io.BytesIO(b"[]"))
            return seal(ctx.store, m)
        entries = scan(root)
        total = sum(e.get("size", 0) for e in entries)
        done = 0
        hashes: dict[str, str] = {}
        files = [e for e in entries if e["type"] == "file"]
        for i, e in enumerate(files):
            full = root if e["path"] == "." else os.path.join(root, e["path"])
            try:
                with open(full, "rb") as fh:
                    blob = ctx.store.put_stream(fh)
            except FileNotFoundError:
                continue
            hashes[e["path"]] = blob.sha256
            e["sha256"] = blob.sha256
            e["size"] = blob.size
            m.blobs["file:" + e["path"]] = blob
            done += blob.size
            ctx.report("snapshot", done, total)
            if i == len(files) // 2:
                fault("snapshot-midway")
        m.blobs["tree"] = ctx.store.put_stream(io.BytesIO(json.dumps(entries).encode()))
        m.meta["digest"] = tree_digest(entries, hashes)
        m.meta["entries"] = len(entries)
        return seal(ctx.store, m)

    # ---- restore ---------------------------------------------------------------------

    def _entries(self, ctx: Context, m: Manifest) -> list[dict[str, Any]]:
        with ctx.store.open_blob(m.blobs["tree"].sha256) as fh:
            data: list[dict[str, Any]] = json.loads(fh.read())
            return data

    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str:
        dest = os.path.abspath(to)
        if os.path.lexists(dest):
            raise RestoreRefused(f"{dest} exists; choose another place with --to")
        entries = self._entries(ctx, manifest)
        if not entries:
            raise ProtectError(f"snapshot {manifest.id}: {manifest.name} did not exist when "
                               "the snapshot was taken; nothing to restore")
        tmp = f"{dest}.airlock-restoring-{os.getpid()}"
        total = sum(e.get("size", 0) for e in entries if e["type"] == "file")
        done = 0
        root_is_dir = entries[0]["type"] == "dir"
        if root_is_dir:
            os.makedirs(tmp, mode=0o700)
        dirs: list[dict[str, Any]] = []
        as_root = os.geteuid() == 0
        for e in entries:
            full = tmp if e["path"] == "." else os.path.join(tmp, e["path"])
            kind = e["type"]
            if kind == "dir":
                if e["path"] != ".":
                    os.mkdir(full, 0o700)
                dirs.append(e)
                continue
            if kind == "symlink":
                os.symlink(e["target"], full)
                if as_root:
                    with contextlib.suppress(OSError):
                        os.lchown(full, e["uid"], e["gid"])
                os.utime(full, ns=(e["mtime_ns"], e["mtime_ns"]), follow_symlinks=False)
                continue
            if kind != "file":
                continue
            with ctx.store.open_blob(e["sha256"]) as src, open(full, "wb") as out:
                for chunk in read_chunks(src):
                    out.write(chunk)
                    done += len(chunk)
                    ctx.report("restore", done, total)
            if as_root:
                with contextlib.suppress(OSError):
                    os.chown(full, e["uid"], e["gid"])
            os.chmod(full, e["mode"])
            os.utime(full, ns=(e["mtime_ns"], e["mtime_ns"]))
        for e in sorted(dirs, key=lambda e: e["path"].count("/"), reverse=True):
            full = tmp if e["path"] == "." else os.path.join(tmp, e["path"])
            if as_root:
                with contextlib.suppress(OSError):
                    os.chown(full, e["uid"], e["gid"])
            os.chmod(full, e["mode"])
            os.utime(full, ns=(e["mtime_ns"], e["mtime_ns"]))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(tmp, dest)
        return dest

    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str:
        dest = to or manifest.name
        if manifest.meta.get("absent"):
            return f"{manifest.name} did not exist before; nothing to undo"
        if os.path.lexists(dest):
            if self._matches(dest, manifest):  # restored already (by an earlier undo)
                return f"{dest} already matches snapshot {manifest.id}; nothing to do"
            raise RestoreRefused(f"{dest} exists now; refusing to overwrite it (use --to "
                                 "to restore elsewhere)")
        return f"restored {self.restore(ctx, manifest, dest)} from snapshot {manifest.id}"

    @staticmethod
    def _matches(path: str, manifest: Manifest) -> bool:
        try:
            return bool(manifest.meta.get("digest")) and hash_tree(path) == manifest.meta[
                "digest"]
        except OSError:
            return False

    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str:
        if manifest.meta.get("absent"):
            return "empty snapshot (the path did not exist)"
        dest = self.restore(ctx, manifest, os.path.join(scratch, "restored"))
        got = hash_tree(dest)
        if got != manifest.meta.get("digest"):
            raise ProtectError(f"restored tree checksum {got[:12]} != snapshot "
                               f"{str(manifest.meta.get('digest'))[:12]}")
        return f"restored {manifest.meta.get('entries')} entries; tree checksum matches"

    # ---- quarantine ------------------------------------------------------------------

    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]:
        path = target_path(target)
        if not os.path.lexists(path):
            return {"kind": self.kind, "skipped": f"{path} does not exist"}
        tried = []
        for qdir in quarantine_places(ctx.settings.journal_dir, path):
            created = not os.path.isdir(qdir)
            try:
                os.makedirs(qdir, mode=0o700, exist_ok=True)
                box = tempfile.mkdtemp(dir=qdir, prefix=f"{short(request)}-{int(time.time())}-")
            except OSError as exc:
                tried.append(f"{qdir}: {exc.strerror}")
                continue
            qpath = os.path.join(box, os.path.basename(path))
            try:
                os.rename(path, qpath)  # same filesystem: atomic and instant
            except OSError as exc:
                _remove_empty(box, qdir if created else None)
                if exc.errno not in _NEXT_PLACE:
                    raise
                tried.append(f"{qdir}: {exc.strerror}")
                continue
            return {"kind": self.kind, "name": path, "quarantine": qpath, "qdir": qdir,
                    "at": time.time()}
        raise ProtectError(f"no place on the filesystem of {path} outside its git work tree "
                           "could take its quarantine (" + "; ".join(tried) + ")")

    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str:
        dest = to or record["name"]
        src = record["quarantine"]
        if os.path.lexists(dest):
            if not os.path.lexists(src):  # moved back already (by an earlier undo)
                return f"{dest} is back already; nothing to do"
            raise RestoreRefused(f"{dest} exists now; refusing to overwrite it (use --to)")
        os.rename(src, dest)
        _remove_empty(os.path.dirname(src), record.get("qdir"))
        return f"moved {src} back to {dest}"

    def purge(self, ctx: Context, record: dict[str, Any]) -> str:
        q = record["quarantine"]
        if os.path.isdir(q) and not os.path.islink(q):
            shutil.rmtree(q, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(q)
        _remove_empty(os.path.dirname(q), record.get("qdir"))
        return f"purged {q}"


def _worktree_top(path: str) -> str | None:
    """The nearest directory at or above ``path`` that is a git work tree's top, as git
    finds it (never at or above a ``GIT_CEILING_DIRECTORIES`` entry)."""
    ceilings = {os.path.abspath(c) for c in
                os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep) if c}
    d = os.path.abspath(path)
    while d not in ceilings:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        up = os.path.dirname(d)
        if up == d:
            return None
        d = up
    return None


def quarantine_places(journal_dir: str, path: str) -> list[str]:
    """Where the quarantine of ``path`` may go, best first: none inside a git work tree
    (or inside ``path``). Whether it is the same filesystem, the rename itself tells."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    out = []
    own = os.path.join(journal_dir, "quarantine")
    if not _within(own, path):
        out.append(own)
    outside, top, innermost = parent, _worktree_top(parent), None
    while top is not None:
        innermost = innermost or top
        outside = os.path.dirname(top)
        top = _worktree_top(outside) if outside != top else None
    if not _within(outside, path):
        out.append(os.path.join(outside, QUARANTINE))
    if innermost is not None and innermost != path and os.path.isdir(
            os.path.join(innermost, ".git")) and not _within(innermost, path):
        out.append(os.path.join(innermost, ".git", "airlock-quarantine"))
    return out


def _within(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def _remove_empty(box: str, qdir: str | None) -> None:
    """Remove a quarantine's own directory, then the quarantine dir, when empty."""
    for d in (box, qdir):
        if not d or os.path.realpath(d) == "/":
            continue
        try:
            os.rmdir(d)
        except OSError:
            return


def blob_of(manifest: Manifest, role: str) -> Blob:
    return manifest.blobs[role]
