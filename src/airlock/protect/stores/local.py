"""The local directory store (the embedded default).

::

    <root>/blobs/ab/abcdef…      content-addressed, read-only files
    <root>/manifests/<id>.json   committed only after verification (atomic rename)
    <root>/tmp/                  uploads in progress; swept on open

A quota (``quota_bytes``) is enforced while writing: the upload that would pass it fails
with :class:`StoreFull` before its blob exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from typing import IO

from airlock.protect import ProtectError, StoreFull, StoreUnwritable
from airlock.protect.manifest import Blob, Manifest
from airlock.protect.stores.base import Progress, read_chunks


class LocalStore:
    kind = "local"

    def __init__(self, root: str, quota_bytes: int = 0) -> None:
        self.root = os.path.abspath(root)
        self.quota = int(quota_bytes)
        self._used: int | None = None

    def location(self) -> str:
        return self.root

    def _dirs(self) -> None:
        try:
            for sub in ("blobs", "manifests", "tmp"):
                os.makedirs(os.path.join(self.root, sub), mode=0o700, exist_ok=True)
            probe = os.path.join(self.root, "tmp", f".probe-{os.getpid()}")
            with open(probe, "wb") as fh:
                fh.write(b"x")
            os.unlink(probe)
        except OSError as exc:
            raise StoreUnwritable(f"snapshot store {self.root} is not writable: "
                                  f"{exc.strerror or exc}") from None

    def used(self) -> int:
        if self._used is None:
            total = 0
            for dirpath, _dirs, files in os.walk(os.path.join(self.root, "blobs")):
                for f in files:
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(dirpath, f)).st_size
            self._used = total
        return self._used

    def _blob_path(self, sha: str) -> str:
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise ProtectError(f"not a sha256: {sha!r}")
        return os.path.join(self.root, "blobs", sha[:2], sha)

    def put_stream(self, src: IO[bytes], progress: Progress | None = None) -> Blob:
        self._dirs()
        h = hashlib.sha256()
        size = 0
        used = self.used() if self.quota else 0
        try:
            fd, tmp = tempfile.mkstemp(dir=os.path.join(self.root, "tmp"), suffix=".part")
        except OSError as exc:
            raise StoreUnwritable(f"snapshot store {self.root}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in read_chunks(src):
                    size += len(chunk)
                    if self.quota and used + size > self.quota:
                        raise StoreFull(f"snapshot store {self.root} is full: quota "
                                        f"{self.quota} bytes, {used} used, this snapshot "
                                        f"needs more than {size - len(chunk)} more")
                    h.update(chunk)
                    out.write(chunk)
                    if progress:
                        progress(size)
                out.flush()
                os.fsync(out.fileno())
            sha = h.hexdigest()
            dst = self._blob_path(sha)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(dst):
                os.unlink(tmp)
            else:
                os.chmod(tmp, 0o400)
                os.replace(tmp, dst)
                if self._used is not None:
                    self._used += size
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if exc.errno == 28:  # ENOSPC
                raise StoreFull(f"snapshot store {self.root}: no space left") from None
            raise StoreUnwritable(f"snapshot store {self.root}: {exc.strerror}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return Blob(sha, size)

    def open_blob(self, sha256: str) -> IO[bytes]:
        try:
            return open(self._blob_path(sha256), "rb")
        except FileNotFoundError:
            raise ProtectError(f"blob {sha256[:12]}… is missing from {self.root}") from None

    def has_blob(self, sha256: str) -> bool:
        return os.path.exists(self._blob_path(sha256))

    def commit_manifest(self, manifest: Manifest) -> None:
        self._dirs()
        final = os.path.join(self.root, "manifests", f"{manifest.id}.json")
        tmp = os.path.join(self.root, "tmp", f"{manifest.id}.json.part")
        try:
            with open(tmp, "wb") as fh:
                fh.write(manifest.dumps())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            dfd = os.open(os.path.join(self.root, "manifests"), os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            raise StoreUnwritable(f"snapshot store {self.root}: {exc.strerror}") from None

    def manifests(self) -> list[Manifest]:
        mdir = os.path.join(self.root, "manifests")
        out = []
        try:
            names = sorted(os.listdir(mdir))
        except FileNotFoundError:
            return []
        for name in names:
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(mdir, name), "rb") as fh:
                    out.append(Manifest.loads(fh.read()))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(out, key=lambda m: m.created_at)

    def get_manifest(self, snapshot_id: str) -> Manifest:
        if "/" in snapshot_id or snapshot_id.startswith("."):
            raise ProtectError(f"no snapshot {snapshot_id!r}")
        try:
            with open(os.path.join(self.root, "manifests", f"{snapshot_id}.json"), "rb") as fh:
                return Manifest.loads(fh.read())
        except FileNotFoundError:
            raise ProtectError(f"no snapshot {snapshot_id!r} in {self.root}") from None

    def delete_manifest(self, snapshot_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.root, "manifests", f"{snapshot_id}.json"))

    def collect_garbage(self) -> int:
        """Remove blobs no manifest references and stale uploads; returns bytes freed."""
        live = {b.sha256 for m in self.manifests() for b in m.blobs.values()}
        freed = 0
        bdir = os.path.join(self.root, "blobs")
        for dirpath, _dirs, files in os.walk(bdir):
            for f in files:
                if f not in live:
                    p = os.path.join(dirpath, f)
                    freed += os.lstat(p).st_size
                    os.unlink(p)
        tdir = os.path.join(self.root, "tmp")
        if os.path.isdir(tdir):
            for f in os.listdir(tdir):
                p = os.path.join(tdir, f)
                if time.time() - os.lstat(p).st_mtime > 3600:
                    shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        self._used = None
        return freed
