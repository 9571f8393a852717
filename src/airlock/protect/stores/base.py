"""What every snapshot store is (:class:`Store`) and reads with: the interface the
stores in this package implement, apart from the package's factory so that a store
imports it without importing the package that picks stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Protocol

from airlock.protect.manifest import Blob, Manifest

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


def read_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return
        yield chunk
