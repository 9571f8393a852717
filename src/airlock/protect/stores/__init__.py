"""Snapshot stores: content-addressed blobs plus one manifest per snapshot."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Protocol

from airlock.protect import ProtectError
from airlock.protect.manifest import Blob, Manifest

if TYPE_CHECKING:
    from airlock.protect.settings import ProtectSettings

Progress = Callable[[int], None]  # called with bytes done so far
CHUNK = 1 << 20


class Store(Protocol):
    kind: str

    def location(self) -> str: ...
    def put_stream(self, src: IO[bytes], progress: Progress | None = None) -> Blob: ...
    def open_blob(self, sha256: str) -> IO[bytes]: ...
    def has_blob(self, sha256: str) -> bool: ...
    def commit_manifest(self, manifest: Manifest) -> None: ...
    def manifests(self) -> list[Manifest]: ...
    def get_manifest(self, snapshot_id: str) -> Manifest: ...
    def delete_manifest(self, snapshot_id: str) -> None: ...
    def collect_garbage(self) -> int: ...


def put_file(store: Store, path: str, progress: Progress | None = None) -> Blob:
    with open(path, "rb") as fh:
        return store.put_stream(fh, progress)


def read_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return
        yield chunk


def verify_blob(store: Store, blob: Blob) -> bool:
    h = hashlib.sha256()
    size = 0
    try:
        with store.open_blob(blob.sha256) as fh:
            for chunk in read_chunks(fh):
                h.update(chunk)
                size += len(chunk)
    except (OSError, ProtectError):
        return False
    return h.hexdigest() == blob.sha256 and size == blob.size


def seal(store: Store, manifest: Manifest) -> Manifest:
    """Verify every blob (re-read from the store, sha256 compared), then commit."""
    import time

    for role, blob in manifest.blobs.items():
        if not verify_blob(store, blob):
            raise ProtectError(f"snapshot {manifest.id}: blob {role} failed verification "
                               "after upload; nothing committed")
    manifest.size = sum(b.size for b in manifest.blobs.values())
    manifest.sha256 = manifest.root_hash()
    manifest.verified_at = time.time()
    store.commit_manifest(manifest)
    return manifest


def open_store(settings: ProtectSettings) -> Store:
    if settings.store == "s3":
        from airlock.protect.stores.s3 import S3Store

        return S3Store.from_settings(settings)
    from airlock.protect.stores.local import LocalStore

    return LocalStore(settings.local_root, settings.quota_bytes)
