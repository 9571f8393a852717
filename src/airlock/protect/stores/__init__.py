"""Snapshot stores: content-addressed blobs plus one manifest per snapshot."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from airlock.protect import ProtectError
from airlock.protect.manifest import Blob, Manifest
from airlock.protect.stores.base import CHUNK, Progress, Store, read_chunks

__all__ = ["CHUNK", "Progress", "Store", "open_store", "put_file", "read_chunks", "seal",
           "verify_blob"]

if TYPE_CHECKING:
    from airlock.protect.settings import ProtectSettings


def put_file(store: Store, path: str, progress: Progress | None = None) -> Blob:
    with open(path, "rb") as fh:
        return store.put_stream(fh, progress)


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
