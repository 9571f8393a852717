"""A token's ``--allow`` grants bind on ``POST /v1/actions`` as on the proxy, and the
whole attenuation chain authenticates there (a revoked ancestor kills the token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airlock.broker import tokens as T
from tests.server.harness import Airlock

CONFIG = """
[environments.production]
[environments.staging]
"""
RM = {"command": "rm -rf /srv/shop/uploads", "kind": "shell"}
DOMAIN = {"kind": "http", "command": "POST https://backboard.railway.app/graphql/v2\n\n"
          + json.dumps({"query": 'mutation { customDomainCreate(input: {domain: "a.shop.dev",'
                                 ' environmentId: "env-stg"}) { id } }'})}


@pytest.fixture
def airlock(tmp_path: Path) -> Iterator[Airlock]:
    a = Airlock(tmp_path / "home", CONFIG)
    a.start()
    try:
        yield a
    finally:
        a.stop_all()


def _submit(a: Airlock, token: str, body: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{a.url}/v1/actions", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}"})


def _issue(a: Airlock, *allow: str, scope: str | None = None) -> tuple[str, str]:
    return T.issue(a.ctx.store, a.ctx.ledger, "bot", scope, list(allow), 3600)


def test_grants_bind_on_actions(airlock: Airlock) -> None:
    _, tok = _issue(airlock, "railway:domain.*")
    r = _submit(airlock, tok, RM)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "deny" and body["policies"] == ["token-grants"]
    assert "allows railway:domain.*" in body["reasons"][0]
    assert "fs:" in body["reasons"][0] and "is outside it" in body["reasons"][0]
    # inside the grants: policy decides, as for any token
    ok = _submit(airlock, tok, DOMAIN)
    assert ok.status_code == 200, ok.text
    assert "token-grants" not in ok.json()["policies"]
    from airlock import ledger

    decided = [e for e in ledger.entries(airlock.ctx.store) if e["kind"] == "decided"]
    assert any("token-grants" in str(e["payload"]) for e in decided)


def test_risk_class_grant(airlock: Airlock) -> None:
    _, tok = _issue(airlock, "*:*.read")
    assert _submit(airlock, tok, RM).json()["policies"] == ["token-grants"]
    r = _submit(airlock, tok, {"command": "ls /srv/shop", "kind": "shell"})
    assert "token-grants" not in r.json()["policies"]


def test_token_without_grants_not_confined(airlock: Airlock) -> None:
    tok = airlock.token("bot")  # the hold service's own tokens: no --allow
    assert "token-grants" not in _submit(airlock, tok, RM).json()["policies"]
    _, tok2 = _issue(airlock)  # airlock token issue without --allow
    assert "token-grants" not in _submit(airlock, tok2, RM).json()["policies"]


def test_attenuated_child_confined_and_dies_with_parent(airlock: Airlock) -> None:
    pid, parent = _issue(airlock)  # unconfined
    _, child = T.attenuate(airlock.ctx.store, airlock.ctx.ledger, parent,
                           allow=["railway:domain.*"])
    assert _submit(airlock, child, RM).json()["policies"] == ["token-grants"]
    assert _submit(airlock, parent, RM).status_code == 200
    T.revoke(airlock.ctx.store, airlock.ctx.ledger, pid)
    assert _submit(airlock, child, DOMAIN).status_code == 401
    assert _submit(airlock, parent, DOMAIN).status_code == 401
    from airlock.hold.identity import agent_for_token  # GET /v1/requests/… authenticates so

    assert agent_for_token(airlock.ctx.store, child) is None
