"""What the proxy sends to the provider and passes back, through a real ``airlock serve``
in front of the stand-in API's echo endpoint (which records what reached it)."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from airlock import ledger
from airlock.broker import tokens as T
from airlock.demo.paas_api import PaasState, free_port
from tests.broker.conftest import behind_airlock
from tests.server.harness import Airlock

REAL = "acme_live_4d3c2b1a09f8e7d6c5b4a3928170f6e5"
CONFIG = """
[environments.production]
[environments.staging]

[[resources]]
name = "echo-staging"
kind = "echo"
env = "staging"
ids = ["e1"]

[[providers]]
name = "acme"
api = "rest"
upstream = "http://127.0.0.1:{port}/rest"

[[providers.operations]]
method = "GET"
path = "/v1/echo/{{id}}"
kind = "echo"
risk = "read"
name = "echoGet"

[[providers.operations]]
method = "HEAD"
path = "/v1/echo/{{id}}"
kind = "echo"
risk = "read"
name = "echoHead"

[[providers.operations]]
method = "PUT"
path = "/v1/echo/{{id}}"
kind = "echo"
risk = "write"
name = "echoPut"

[[providers]]
name = "down"
api = "rest"
upstream = "http://127.0.0.1:{down}"
secret = "acme"

[[providers.operations]]
method = "GET"
path = "/v1/echo/{{id}}"
kind = "echo"
risk = "read"
name = "echoGet"
"""


class Fwd:
    def __init__(self, airlock: Airlock, state: PaasState) -> None:
        self.airlock = airlock
        self.state = state
        self.token = T.issue(airlock.ctx.store, airlock.ctx.ledger, "bot", "staging",
                             ["acme:echo.*", "down:echo.*"], 3600)[1]

    def url(self, path: str) -> str:
        return f"{self.airlock.url}/proxy/acme{path}"

    def auth(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def raw(self, request_line: str) -> int:
        """Send a request line exactly as written (httpx would normalise the path)."""
        with socket.create_connection(("127.0.0.1", self.airlock.port), timeout=10) as s:
            s.sendall(f"{request_line} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      f"{self.token}\r\nConnection: close\r\n\r\n".encode())
            return int(s.recv(4096).split(b" ", 2)[1])

    def entries(self, kind: str) -> list[dict[str, Any]]:
        out = []
        for e in ledger.entries(self.airlock.ctx.store):
            if e["kind"] == kind:
                out.append({**e, "payload": json.loads(e["payload"])})
        return out

    def forwarded(self, path: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            hits = [e for e in self.entries("forwarded") if e["payload"]["path"] == path]
            if hits:
                return hits[-1]
            assert time.monotonic() < deadline, f"no forwarded entry for {path}"
            time.sleep(0.05)


@pytest.fixture
def fwd(tmp_path: Path) -> Iterator[Fwd]:
    with behind_airlock(tmp_path, CONFIG, "acme", REAL, down=free_port()) as (airlock, state,
                                                                              _paas):
        yield Fwd(airlock, state)


def _headers(seen: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in seen["headers"]:
        out.setdefault(k, []).append(v)
    return out


def test_the_agents_token_and_cookies_stay_behind_and_the_credential_goes(fwd: Fwd) -> None:
    r = httpx.get(fwd.url("/v1/echo/e1?b=2&a=%20x"), timeout=10, headers=fwd.auth(**{
        "Cookie": "session=agent", "X-Airlock-Token": fwd.token, "X-Request-Id": "r-1",
        "User-Agent": "agent/1.0", "Accept": "application/x-test",
        "Proxy-Authorization": "Basic eA=="}))
    assert r.status_code == 200, r.text
    seen = fwd.state.echoes[-1]
    h = _headers(seen)
    assert h["authorization"] == [f"Bearer {REAL}"]  # only the real credential
    for gone in ("cookie", "x-airlock-token", "proxy-authorization"):
        assert gone not in h, gone
    assert h["x-request-id"] == ["r-1"] and h["user-agent"] == ["agent/1.0"]
    assert h["accept"] == ["application/x-test"]
    assert seen["query"] == "b=2&a=%20x" and seen["raw_path"] == "/rest/v1/echo/e1"
    assert fwd.token not in json.dumps(seen)
    # the answer comes back as the provider gave it, with its length and our headers
    assert r.headers["x-echo"] == "1" and r.headers["set-cookie"] == "upstream=1"
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.headers["x-content-type-options"] == "nosniff"
    # the echo reflects the Authorization header it got: the agent sees it masked
    assert REAL not in r.text and f"Bearer {'*' * len(REAL)}" in r.text


def test_nothing_is_added_that_the_agent_did_not_send(fwd: Fwd) -> None:
    with socket.create_connection(("127.0.0.1", fwd.airlock.port), timeout=10) as s:
        s.sendall(f"GET /proxy/acme/v1/echo/e1 HTTP/1.1\r\nHost: x\r\nAuthorization: "
                  f"Bearer {fwd.token}\r\nConnection: close\r\n\r\n".encode())
        assert b" 200 " in s.recv(4096)
    names = {k for k, _ in fwd.state.echoes[-1]["headers"]}
    assert names == {"host", "authorization"}  # no User-Agent/Accept of Airlock's own


def test_percent_encoding_is_forwarded_as_sent(fwd: Fwd) -> None:
    r = httpx.get(fwd.url("/v1/echo/e%31"), headers=fwd.auth(), timeout=10)
    assert r.status_code == 200, r.text
    assert fwd.state.echoes[-1]["raw_path"] == "/rest/v1/echo/e%31"


@pytest.mark.parametrize("line", [
    "GET /proxy/acme/v1/echo/e1/../../admin",
    "GET /proxy/acme/v1/echo/./e1",
    "GET /proxy/acme/v1/echo/x%2F..%2F..%2Fadmin",
    "GET /proxy/acme/v1/echo/x%5c..",
    "GET /proxy/acme/v1/echo/x\\..\\admin",
])
def test_paths_the_provider_could_read_differently_are_refused(fwd: Fwd, line: str) -> None:
    assert fwd.raw(line) == 400
    assert fwd.state.echoes == []


def test_a_streamed_body_arrives_intact(fwd: Fwd) -> None:
    chunk = bytes(range(256)) * 256  # 64 KiB
    want = hashlib.sha256(chunk * 80).hexdigest()  # 5 MiB

    def body() -> Iterator[bytes]:
        for _ in range(80):
            yield chunk

    r = httpx.put(fwd.url("/v1/echo/e1"), content=body(), headers=fwd.auth(), timeout=30)
    assert r.status_code == 200, r.text
    seen = fwd.state.echoes[-1]
    assert (seen["method"], seen["bytes"], seen["sha256"]) == ("PUT", 80 << 16, want)


def test_head_is_forwarded_without_a_body(fwd: Fwd) -> None:
    r = httpx.head(fwd.url("/v1/echo/e1"), headers=fwd.auth(), timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert fwd.state.echoes[-1]["method"] == "HEAD"


def test_a_read_is_decided_on_the_record_before_its_outcome(fwd: Fwd) -> None:
    assert httpx.get(fwd.url("/v1/echo/e1"), headers=fwd.auth(), timeout=10).status_code == 200
    out = fwd.forwarded("/v1/echo/e1")
    decided = [e for e in fwd.entries("decided") if e["seq"] == out["payload"]["decision_seq"]]
    assert decided and decided[0]["seq"] < out["seq"]
    p = decided[0]["payload"]
    assert p["decision"] == "allow" and p["risk"] == "read" and p["via"] == "proxy"
    assert p["action"]["command"].startswith("GET http://127.0.0.1:")
    assert out["payload"]["status"] == 200


def test_a_write_is_submitted_and_decided_before_it_goes_out(fwd: Fwd) -> None:
    r = httpx.put(fwd.url("/v1/echo/e1"), content=b"x", headers=fwd.auth(), timeout=10)
    assert r.status_code == 200, r.text
    kinds = [e["kind"] for e in ledger.entries(fwd.airlock.ctx.store)]
    assert kinds[-2:] == ["submitted", "decided"] or "forwarded" in kinds[-1:]
    out = fwd.forwarded("/v1/echo/e1")
    seqs = {e["kind"]: e["seq"] for e in ledger.entries(fwd.airlock.ctx.store)
            if e["seq"] <= out["payload"]["decision_seq"]}
    assert seqs["submitted"] < seqs["decided"] == out["payload"]["decision_seq"]


def test_a_provider_that_does_not_answer_is_a_502_on_the_record(fwd: Fwd) -> None:
    r = httpx.get(f"{fwd.airlock.url}/proxy/down/v1/echo/e1", headers=fwd.auth(), timeout=30)
    assert r.status_code == 502
    assert "did not answer" in r.json()["errors"][0]["message"]
    assert fwd.forwarded("/v1/echo/e1")["payload"]["status"] == 502


def test_a_call_the_ledger_cannot_record_is_refused(fwd: Fwd) -> None:
    db = fwd.airlock.home / "airlock.db"
    assert httpx.get(fwd.url("/v1/echo/e1"), headers=fwd.auth(), timeout=10).status_code == 200
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TRIGGER no_ledger BEFORE INSERT ON ledger "
                     "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    try:
        # a read is committed as it travels (as the database gateway's are): the first
        # one after the ledger broke is answered; once its batch has failed, every call
        # waits for its own entries and is refused while they cannot be committed
        deadline = time.monotonic() + 15
        while True:
            r = httpx.get(fwd.url("/v1/echo/e1"), headers=fwd.auth(), timeout=30)
            if r.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 503 and "could not record" in r.text
        assert "sha256" not in r.text
        # a write: never forwarded
        before = len(fwd.state.echoes)
        r = httpx.put(fwd.url("/v1/echo/e1"), content=b"x", headers=fwd.auth(), timeout=30)
        assert r.status_code == 503 and "could not record" in r.text
        assert len(fwd.state.echoes) == before
    finally:
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TRIGGER no_ledger")
    assert httpx.get(fwd.url("/v1/echo/e1"), headers=fwd.auth(), timeout=10).status_code == 200


def test_unknown_provider_and_method(fwd: Fwd) -> None:
    r = httpx.get(f"{fwd.airlock.url}/proxy/nope/x", headers=fwd.auth(), timeout=10)
    assert r.status_code == 404 and "acme" in r.text
    assert fwd.raw("TRACE /proxy/acme/v1/echo/e1") == 405
    listing = httpx.get(f"{fwd.airlock.url}/proxy", timeout=10).json()
    assert listing == {"providers": ["acme", "down", "railway"]}
