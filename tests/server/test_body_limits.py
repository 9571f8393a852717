"""Request bodies are limited on every route (issue 12): 413, and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from airlock.ledger import entries
from airlock.server.app import MAX_ACTION_BODY, MAX_FORM_BODY, MAX_HOOK_BODY, body_limit
from tests.server.harness import CSRF_RE, Airlock


def _chunks(total: int, size: int = 64 << 10) -> Iterator[bytes]:
    """A body with no Content-Length (chunked): only counting as it streams can stop it."""
    head = b'{"command": "rm -rf /srv/x", "cwd": "/srv", "pad": "'
    yield head
    sent = len(head)
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def _count(airlock: Airlock) -> int:
    return sum(1 for _ in entries(airlock.ctx.store))


def test_the_limits_per_route() -> None:
    assert body_limit("/v1/hooks/claude-code") == MAX_HOOK_BODY == 16 << 20
    assert body_limit("/v1/actions") == MAX_ACTION_BODY == 1 << 20
    for path in ("/login", "/r/abc/approve", "/logout", "/v1/requests/abc", "/"):
        assert body_limit(path) == MAX_FORM_BODY == 64 << 10


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50mb_action_is_refused_and_nothing_is_stored(shared: Airlock, chunked: bool) -> None:
    token = shared.token()
    before = _count(shared)
    big = 50 << 20
    body = _chunks(big) if chunked else json.dumps(
        {"command": "rm -rf /srv/x", "pad": "x" * big}).encode()
    r = httpx.post(f"{shared.url}/v1/actions", content=body, timeout=60,
                   headers={"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert "limited to 1048576 bytes" in r.json()["error"]
    assert r.headers["x-content-type-options"] == "nosniff"  # still a response of ours
    assert _count(shared) == before  # no submission, no decision, no hold
    # and the server goes on answering
    assert shared.submit(token, "ls")["decision"] == "allow"


def test_an_action_under_the_limit_is_still_decided(shared: Airlock) -> None:
    token = shared.token()
    out = shared.submit(token, "echo " + "a" * (200 << 10))
    assert out["decision"] == "allow"
    # under the body limit, over what the classifier reads (256 KiB): decided, as a hold
    out = shared.submit(token, "echo " + "b" * (300 << 10))
    assert out["decision"] == "hold"
    assert any("too large to judge" in r for r in out["reasons"]), out["reasons"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_forms_are_refused(shared: Airlock, chunked: bool) -> None:
    token = shared.token()
    rid = shared.submit(token, "rm -rf /srv/form-limit-" + str(chunked))["request"]
    alice = shared.browser("alice")
    alice.page(rid)
    pad = "x" * (MAX_FORM_BODY + 10)
    form = f"csrf={alice.csrf}&confirm_name={shared.confirm_name(rid)}&pad={pad}".encode()
    body: bytes | Iterator[bytes] = form if not chunked else iter(
        [form[i:i + 8192] for i in range(0, len(form), 8192)])
    before = _count(shared)
    r = alice.client.post(f"/r/{rid}/approve", content=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413, r.text
    assert shared.state(rid) == "pending" and _count(shared) == before
    # the login form too
    page = httpx.get(f"{shared.url}/login")
    csrf = CSRF_RE.search(page.text)
    assert csrf
    r = httpx.post(f"{shared.url}/login", cookies=page.cookies,
                   data={"csrf": csrf.group(1), "username": "alice", "password": pad,
                         "code": "123456"})
    assert r.status_code == 413
    assert _count(shared) == before  # not even a failed login on the record
