"""A REST upstream described with the generic ``[[providers]]`` format, through a real
``airlock serve`` in front of the stand-in API's REST mode."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airlock.broker import tokens as T
from airlock.demo.paas_api import blob_chunk
from tests.broker.conftest import behind_airlock
from tests.server.harness import Airlock

REAL = "acme_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CONFIG = """
[environments.production]
[environments.staging]

[[providers]]
name = "acme"
api = "rest"
upstream = "http://127.0.0.1:{port}/rest"

[[providers.operations]]
method = "GET"
path = "/v1/volumes/{{id}}"
kind = "volume"
risk = "read"
name = "volumeGet"

[[providers.operations]]
method = "DELETE"
path = "/v1/volumes/{{id}}"
kind = "volume"
risk = "destructive"
name = "volumeDelete"

[[providers.operations]]
method = "GET"
path = "/v1/blobs/{{id}}"
kind = "blob"
risk = "read"
name = "blobGet"

[providers.discover.volume]
method = "GET"
path = "/v1/volumes/{{id}}"
env = "environment.name"

[hold]
production_approvers = 1
"""
STG, PRD = "5b1f0c2e-stg", "3d2c42fb-prd"


class Rest:
    def __init__(self, airlock: Airlock, root: Path) -> None:
        self.airlock = airlock
        self.root = root

    def token(self, scope: str | None, *allow: str) -> str:
        return T.issue(self.airlock.ctx.store, self.airlock.ctx.ledger, "bot", scope,
                       list(allow), 3600)[1]

    def call(self, method: str, path: str, token: str) -> httpx.Response:
        return httpx.request(method, f"{self.airlock.url}/proxy/acme{path}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def forwarded(self, path: str, timeout: float = 5.0) -> dict[str, object]:
        """The ``forwarded`` ledger entry of ``path`` (committed a few ms after the call)."""
        from airlock import ledger

        deadline = time.monotonic() + timeout
        while True:
            for e in ledger.entries(self.airlock.ctx.store):
                payload = e["payload"]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                if e["kind"] == "forwarded" and payload.get("path") == path:
                    return dict(payload)
            if time.monotonic() > deadline:
                raise AssertionError(f"no forwarded entry for {path}")
            time.sleep(0.05)


@pytest.fixture
def rest(tmp_path: Path) -> Iterator[Rest]:
    with behind_airlock(tmp_path, CONFIG, "acme", REAL) as (airlock, _, _paas):
        yield Rest(airlock, tmp_path / "paas")


def test_get_allowed_with_injected_credential(rest: Rest) -> None:
    tok = rest.token("staging", "acme:volume.*")
    r = rest.call("GET", f"/v1/volumes/{STG}", tok)
    assert r.status_code == 200, r.text
    assert r.json()["environment"]["name"] == "staging"
    assert REAL not in r.text and REAL not in json.dumps(dict(r.headers))
    entry = rest.forwarded(f"/v1/volumes/{STG}")
    assert entry["status"] == 200 and entry["method"] == "GET"
    # the raw credential itself is refused, and not forwarded
    raw = rest.call("GET", f"/v1/volumes/{STG}", REAL)
    assert raw.status_code == 401 and REAL not in raw.text


def test_delete_on_production_is_held(rest: Rest) -> None:
    tok = rest.token("production", "acme:volume.*")
    r = rest.call("DELETE", f"/v1/volumes/{PRD}", tok)
    assert r.status_code == 428, r.text
    body = r.json()["airlock"]
    assert body["decision"] == "hold" and body["request"]
    assert body["targets"][0]["env"] == "production"  # asked of the REST API (discover)
    assert (rest.root / "volumes" / PRD / "db" / "orders.csv").exists()
    # a staging token may not even try it
    stg = rest.token("staging", "acme:volume.*")
    r = rest.call("DELETE", f"/v1/volumes/{PRD}", stg)
    assert r.status_code == 403 and "scoped to staging" in r.text


def test_path_outside_allow_is_refused(rest: Rest) -> None:
    tok = rest.token("staging", "acme:volume.read")
    r = rest.call("GET", "/v1/blobs/1", tok)
    assert r.status_code == 403
    assert "acme:blob.blobGet (read) is outside it" in r.json()["errors"][0]["message"]
    r = rest.call("GET", "/v1/environments/env-stg", tok)  # no operation in the pack
    assert r.status_code == 403 and "acme:endpoint.get" in r.text
    r = rest.call("DELETE", f"/v1/volumes/{STG}", tok)
    assert r.status_code == 403 and "volumeDelete (destructive) is outside it" in r.text
    assert (rest.root / "volumes" / STG).is_dir()


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_large_body_streams_without_buffering(rest: Rest) -> None:
    tok = rest.token(None, "acme:blob.read")  # a blob has no environment: unscoped token
    assert rest.call("GET", "/v1/blobs/1", tok).status_code == 200  # warm up
    pid = rest.airlock.procs[0].pid
    before = _hwm_kib(pid)
    mib = 128
    want, got = hashlib.sha256(), hashlib.sha256()
    for i in range(mib * 16):
        want.update(blob_chunk(i))
    chunks = size = 0
    with httpx.stream("GET", f"{rest.airlock.url}/proxy/acme/v1/blobs/{mib}", timeout=60,
                      headers={"Authorization": f"Bearer {tok}"}) as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers  # passed on as it arrives
        for chunk in r.iter_raw():
            chunks += 1
            size += len(chunk)
            got.update(chunk)
    assert size == mib << 20 and got.hexdigest() == want.hexdigest()
    assert chunks > 64  # arrived in pieces, not as one buffered body
    grew = (_hwm_kib(pid) - before) / 1024
    print(f"peak memory grew {grew:.1f} MiB for {mib} MiB streamed in {chunks} chunks")
    assert grew < 32, f"the proxy's peak memory grew by {grew:.0f} MiB for {mib} MiB"
    entry = rest.forwarded(f"/v1/blobs/{mib}")
    assert entry["bytes"] == mib << 20 and entry["status"] == 200
