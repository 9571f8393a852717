"""The S3 store against moto's ThreadedMotoServer (a real local S3 HTTP endpoint with
versioning and Object Lock): snapshot, list, undo, doctor, retention, independence."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.protect.engine import Protector
from airlock.protect.settings import parse
from tests.conftest_pg import free_port
from tests.independent import tree_state
from tests.protect.conftest import sh, targets

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_protector(s3_endpoint: str, data_dir: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Protector:
    monkeypatch.setenv("AIRLOCK_S3_ACCESS_KEY_ID", "airlock-store-key")
    monkeypatch.setenv("AIRLOCK_S3_SECRET_ACCESS_KEY", "airlock-store-secret")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    bucket = f"snaps-{os.urandom(3).hex()}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="airlock-store-key",
                          aws_secret_access_key="airlock-store-secret")
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Protector(parse({"store": "s3", "bucket": bucket, "endpoint_url": s3_endpoint,
                            "object_lock_days": 1, "require_independent": "always"},
                           str(data_dir)))


def test_s3_snapshot_undo_doctor_and_object_lock(ws: Path, s3_protector: Protector) -> None:
    data = ws / "data"
    (data / "d").mkdir(parents=True)
    (data / "d" / "f").write_bytes(os.urandom(70_000))
    os.symlink("d/f", data / "l")
    before = tree_state(data)
    out = s3_protector.protect(targets("rm -rf data", cwd=ws), "s3a")
    assert out[0]["snapshot"]
    assert [m.id for m in s3_protector.snapshots("s3a")] == [out[0]["snapshot"]]
    sh("rm -rf data", ws)
    s3_protector.undo("s3a")
    assert tree_state(data) == before
    results = s3_protector.doctor()
    assert all(ok for ok, _ in results), results
    # Object Lock: the manifest's version cannot be deleted before its retention date.
    store: Any = s3_protector.store
    key = f"{store.prefix}manifests/{out[0]['snapshot']}.json"
    version = store.client.head_object(Bucket=store.bucket, Key=key)["VersionId"]
    with pytest.raises(Exception, match=r"AccessDenied|locked|retention|WORM"):
        store.client.delete_object(Bucket=store.bucket, Key=key, VersionId=version)


def test_s3_with_the_protected_resources_credentials_is_not_independent(
        ws: Path, s3_protector: Protector, monkeypatch: pytest.MonkeyPatch) -> None:
    from airlock.protect import NotIndependent

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "airlock-store-key")  # the same key the agent has
    (ws / "data").mkdir()
    (ws / "data" / "x").write_text("x")
    with pytest.raises(NotIndependent, match="same as the ambient"):
        s3_protector.protect(targets("rm -rf data", cwd=ws), "s3b")
    assert any(not ok and "same as the ambient" in t for ok, t in s3_protector.doctor())
