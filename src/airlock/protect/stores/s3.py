"""An S3-compatible store (boto3), with versioning and Object Lock retention when the
bucket has them.

Keys: ``<prefix>blobs/<sha256>`` and ``<prefix>manifests/<id>.json``. Each blob is
uploaded with its SHA-256 checksum (the server checks it), and :func:`seal` re-reads it
before the manifest is written. With Object Lock enabled on the bucket, every object is
written with a retention date (``object_lock_days``, or the bucket's default rule), so
not even Airlock's own credentials can delete a snapshot early. The store's credentials
are its own (``access_key_env``/``secret_key_env``), never the ambient AWS ones.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import tempfile
from typing import IO, Any

from airlock.protect import ProtectError, StoreFull, StoreUnwritable
from airlock.protect.manifest import Blob, Manifest
from airlock.protect.settings import ProtectSettings
from airlock.protect.stores.base import Progress, read_chunks


class S3Store:
    kind = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "airlock/",
                 lock_days: int = 0, quota_bytes: int = 0) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.lock_days = lock_days
        self.quota = quota_bytes
        self._lock: bool | None = None

    @classmethod
    def from_settings(cls, s: ProtectSettings) -> S3Store:
        import boto3  # type: ignore[import-untyped]

        key = os.environ.get(s.access_key_env) or None
        secret = os.environ.get(s.secret_key_env) or None
        client = boto3.client("s3", endpoint_url=s.endpoint_url or None, region_name=s.region,
                              aws_access_key_id=key, aws_secret_access_key=secret)
        if not s.bucket:
            raise ProtectError("[protect] store = 's3' needs a bucket")
        return cls(client, s.bucket, s.prefix, s.object_lock_days, s.quota_bytes)

    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _err(self, exc: Exception) -> ProtectError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "NoSuchBucket", "InvalidAccessKeyId",
                    "SignatureDoesNotMatch"):
            return StoreUnwritable(f"{self.location()}: {code}")
        if code in ("QuotaExceeded", "EntityTooLarge"):
            return StoreFull(f"{self.location()}: {code}")
        return ProtectError(f"{self.location()}: {type(exc).__name__}: {exc}")

    def object_lock(self) -> bool:
        if self._lock is None:
            try:
                conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
                self._lock = (conf.get("ObjectLockConfiguration", {})
                              .get("ObjectLockEnabled") == "Enabled")
            except Exception:  # noqa: BLE001 - no lock configuration: not locked
                self._lock = False
        return self._lock

    def _lock_args(self) -> dict[str, Any]:
        if not self.lock_days or not self.object_lock():
            return {}
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self.lock_days)
        return {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}

    def used(self) -> int:
        total = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "blobs/")
        for page in pages:
            total += sum(int(o["Size"]) for o in page.get("Contents", []))
        return total

    def put_stream(self, src: IO[bytes], progress: Progress | None = None) -> Blob:
        h = hashlib.sha256()
        size = 0
        used = self.used() if self.quota else 0
        with tempfile.TemporaryFile() as spool:
            for chunk in read_chunks(src):
                size += len(chunk)
                if self.quota and used + size > self.quota:
                    raise StoreFull(f"{self.location()} is full: quota {self.quota} bytes")
                h.update(chunk)
                spool.write(chunk)
                if progress:
                    progress(size)
            sha = h.hexdigest()
            key = f"{self.prefix}blobs/{sha}"
            if self.has_blob(sha):
                return Blob(sha, size)
            spool.seek(0)
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=spool,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=base64.b64encode(bytes.fromhex(sha)).decode(),
                    **self._lock_args())
            except Exception as exc:  # noqa: BLE001 - botocore errors of every kind
                raise self._err(exc) from None
        return Blob(sha, size)

    def open_blob(self, sha256: str) -> IO[bytes]:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}blobs/{sha256}")
        except Exception as exc:  # noqa: BLE001
            raise self._err(exc) from None
        body: IO[bytes] = obj["Body"]
        return body

    def has_blob(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=f"{self.prefix}blobs/{sha256}")
            return True
        except Exception:  # noqa: BLE001 - 404 or no access: treat as absent
            return False

    def commit_manifest(self, manifest: Manifest) -> None:
        data = manifest.dumps()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=f"{self.prefix}manifests/{manifest.id}.json",
                Body=io.BytesIO(data),
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
                **self._lock_args())
        except Exception as exc:  # noqa: BLE001
            raise self._err(exc) from None

    def manifests(self) -> list[Manifest]:
        out = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "manifests/")
            for page in pages:
                for o in page.get("Contents", []):
                    body = self.client.get_object(Bucket=self.bucket, Key=o["Key"])["Body"]
                    try:
                        out.append(Manifest.loads(body.read()))
                    except (ValueError, TypeError):
                        continue
        except ProtectError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._err(exc) from None
        return sorted(out, key=lambda m: m.created_at)

    def get_manifest(self, snapshot_id: str) -> Manifest:
        try:
            body = self.client.get_object(
                Bucket=self.bucket, Key=f"{self.prefix}manifests/{snapshot_id}.json")["Body"]
        except Exception:  # noqa: BLE001
            raise ProtectError(f"no snapshot {snapshot_id!r} in {self.location()}") from None
        return Manifest.loads(body.read())

    def delete_manifest(self, snapshot_id: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket,
                                      Key=f"{self.prefix}manifests/{snapshot_id}.json")
        except Exception as exc:  # noqa: BLE001 - locked objects refuse: that is the point
            raise self._err(exc) from None

    def collect_garbage(self) -> int:
        return 0  # retention on S3 is the bucket's lifecycle and Object Lock rules
