"""The proxy against the stand-in PaaS API, through a real ``airlock serve``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airlock.broker import tokens as T
from airlock.demo.paas_api import ThreadServer
from tests.broker.conftest import behind_airlock
from tests.server.harness import Airlock

REAL = "rw_live_7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
FOUND = "rw_cli_domains_0a9b8c7d6e5f4a3b2c1d"
CONFIG = """
[environments.production]
[environments.staging]

[[resources]]
name = "staging-data"
kind = "volume"
env = "staging"
ids = ["5b1f0c2e-stg"]

[[providers]]
name = "railway"
pack = "railway"
upstream = "http://127.0.0.1:{port}"

[hold]
production_approvers = 1
cooldown_production = 0
cooldown_default = 0
"""


class Rig:
    def __init__(self, airlock: Airlock, paas: ThreadServer, root: Path) -> None:
        self.airlock = airlock
        self.paas = paas
        self.root = root

    def token(self, scope: str | None, *allow: str, agent: str = "bot",
              ttl: float = 3600) -> str:
        return T.issue(self.airlock.ctx.store, self.airlock.ctx.ledger, agent, scope,
                       list(allow), ttl)[1]

    def gql(self, token: str, query: str, **variables: object) -> httpx.Response:
        return httpx.post(f"{self.airlock.url}/proxy/railway/graphql/v2",
                          json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with behind_airlock(tmp_path, CONFIG, "railway", REAL, [REAL, FOUND]) as (airlock, _, paas):
        yield Rig(airlock, paas, tmp_path / "paas")


VOLUME_Q = "query($id: String!) { volume(id: $id) { name environment { name } } }"
DELETE = 'mutation { volumeDelete(volumeId: "%s") }'


def test_allowed_read_is_forwarded_with_injected_credential(rig: Rig) -> None:
    tok = rig.token("staging", "railway:*.read")
    r = rig.gql(tok, VOLUME_Q, id="5b1f0c2e-stg")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["volume"]["environment"]["name"] == "staging"
    assert REAL not in r.text and REAL not in json.dumps(dict(r.headers))


def test_raw_provider_credential_refused(rig: Rig) -> None:
    r = rig.gql(FOUND, DELETE % "3d2c42fb-prd")
    assert r.status_code == 401
    assert "not an Airlock-issued token" in r.json()["errors"][0]["message"]
    assert (rig.root / "volumes" / "3d2c42fb-prd" / "db" / "orders.csv").exists()
    tampered = rig.token("staging", "railway:*.*")[:-2] + "zz"
    assert rig.gql(tampered, VOLUME_Q, id="5b1f0c2e-stg").status_code == 401


def test_scope_mismatch_discovered_from_provider(rig: Rig) -> None:
    tok = rig.token("staging", "railway:*.*")
    r = rig.gql(tok, DELETE % "3d2c42fb-prd")
    assert r.status_code == 403, r.text
    msg = r.json()["errors"][0]["message"]
    assert "scoped to staging" in msg and "production" in msg
    assert (rig.root / "volumes" / "3d2c42fb-prd").is_dir()
    # reads of production are outside a staging token too
    assert rig.gql(tok, VOLUME_Q, id="3d2c42fb-prd").status_code == 403


def test_grant_pattern_binds(rig: Rig) -> None:
    tok = rig.token("staging", "railway:domain.*")
    ok = rig.gql(tok, 'mutation { customDomainCreate(input: {domain: "a.staging.shop.dev", '
                      'environmentId: "env-stg"}) { id } }')
    # the domain is not in the inventory; its environmentId is asked of the API: staging
    assert ok.status_code == 200, ok.text
    other = rig.gql(tok, 'mutation { customDomainCreate(input: {domain: "shop.dev", '
                         'environmentId: "env-prd"}) { id } }')
    assert other.status_code == 403 and "scoped to staging" in other.text
    r = rig.gql(tok, 'mutation { variableUpsert(input: {name: "DB_URL", value: "x", '
                     'environmentId: "env-stg"}) }')
    assert r.status_code == 403
    assert "railway:domain.*" in r.json()["errors"][0]["message"]


def test_hold_then_approved_once(rig: Rig) -> None:
    tok = rig.token("staging", "railway:service.*")
    q = 'mutation { serviceDelete(id: "svc-web-stg") }'
    r = rig.gql(tok, q)
    assert r.status_code == 428, r.text
    rid = r.json()["airlock"]["request"]
    assert rig.airlock.url + "/r/" + rid == r.json()["airlock"]["url"]
    rig.airlock.human("alice")
    web = rig.airlock.browser("alice")
    assert web.approve(rid).status_code == 303
    r2 = rig.gql(tok, q)
    assert r2.status_code == 200, r2.text
    assert r2.json()["data"]["serviceDelete"] is True
    r3 = rig.gql(tok, q)
    assert r3.status_code == 428  # once only: decided afresh, held again
    deadline = time.monotonic() + 5  # a `forwarded` entry is written a few ms late
    while "forwarded" not in (kinds := [e["kind"] for e in _ledger(rig)]) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert "execution-claimed" in kinds and "forwarded" in kinds


def test_revoked_and_expired_tokens(rig: Rig) -> None:
    tid, tok = T.issue(rig.airlock.ctx.store, rig.airlock.ctx.ledger, "bot", "staging",
                       ["railway:*.read"], 3600)
    assert rig.gql(tok, VOLUME_Q, id="5b1f0c2e-stg").status_code == 200
    T.revoke(rig.airlock.ctx.store, rig.airlock.ctx.ledger, tid)
    time.sleep(T.CACHE_TTL + 0.1)  # the server caches live tokens for at most CACHE_TTL
    assert rig.gql(tok, VOLUME_Q, id="5b1f0c2e-stg").status_code == 401
    short = rig.token("staging", "railway:*.read", ttl=0.01)
    assert rig.gql(short, VOLUME_Q, id="5b1f0c2e-stg").status_code == 401


def test_discovery_is_cached(rig: Rig) -> None:
    tok = rig.token("production", "railway:*.read")
    for _ in range(3):
        assert rig.gql(tok, VOLUME_Q, id="3d2c42fb-prd").status_code == 200
    entries = [e for e in _ledger(rig) if e["kind"] == "decided"]
    assert "reported by the railway API" in json.dumps(entries[-1])


def _ledger(rig: Rig) -> list[dict[str, object]]:
    from airlock import ledger

    return list(ledger.entries(rig.airlock.ctx.store))
