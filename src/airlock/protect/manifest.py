"""The manifest of one snapshot: what, from where, when, how big, its checksums, and for
which request. A snapshot exists only once its manifest is committed to the store, which
happens after every blob was re-read and its sha256 matched (see :func:`seal`)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def redact(locator: str) -> str:
    """A locator without any password in it (manifests and the ledger never hold one)."""
    if "://" not in locator:
        return locator
    parts = urlsplit(locator)
    if parts.password is None:
        return locator
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, parts.query, ""))


def new_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4)


@dataclass
class Blob:
    sha256: str
    size: int


@dataclass
class Manifest:
    id: str
    request: str
    kind: str  # directory | git | sqlite | postgres | mysql
    verb: str  # the destructive verb it protects against, e.g. sql.drop_table
    source: str  # the target's locator (redacted)
    name: str  # what a human calls it: a path, "table s.orders", "database shop"
    created_at: float
    blobs: dict[str, Blob] = field(default_factory=dict)  # role -> blob
    meta: dict[str, Any] = field(default_factory=dict)
    verified_at: float = 0.0
    sha256: str = ""  # over the sorted (role, sha256, size) triples
    size: int = 0

    def root_hash(self) -> str:
        h = hashlib.sha256()
        for role in sorted(self.blobs):
            b = self.blobs[role]
            h.update(f"{role}\0{b.sha256}\0{b.size}\n".encode())
        return h.hexdigest()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, indent=1).encode()

    @classmethod
    def loads(cls, data: bytes | str) -> Manifest:
        raw = json.loads(data)
        blobs = {k: Blob(**v) for k, v in raw.pop("blobs", {}).items()}
        return cls(blobs=blobs, **raw)

    def summary(self) -> dict[str, Any]:
        return {"snapshot": self.id, "kind": self.kind, "verb": self.verb, "name": self.name,
                "source": self.source, "size": self.size, "sha256": self.sha256,
                "created_at": self.created_at, "verified_at": self.verified_at}
