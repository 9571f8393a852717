"""The sign-in rate limit (issue 12): an agent's failed logins never lock a human out who
has her password and a fresh code, and codes cannot be guessed without limit."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pyotp

from airlock.ledger import entries
from tests.server.harness import CSRF_RE, PASSWORD, Airlock


def _client(airlock: Airlock, source: str = "127.0.0.1") -> httpx.Client:
    """A client that connects from ``source`` (any 127.0.0.0/8 address is this host, and
    an agent on it can pick any of them)."""
    return httpx.Client(base_url=airlock.url, timeout=30,
                        transport=httpx.HTTPTransport(local_address=source))


def _login(client: httpx.Client, name: str, password: str, code: str) -> httpx.Response:
    csrf = CSRF_RE.search(client.get("/login").text)
    assert csrf
    return client.post("/login", data={"csrf": csrf.group(1), "username": name,
                                       "password": password, "code": code})


def wrong_code(secret: str) -> str:
    """A code that is valid for no step the server accepts now."""
    totp = pyotp.TOTP(secret)
    base = int(time.time() // totp.interval)
    valid = {totp.generate_otp(base + d) for d in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in valid)


def _failed_logins(airlock: Airlock) -> list[dict[str, Any]]:
    return [json.loads(e["payload"]) for e in entries(airlock.ctx.store)
            if e["kind"] == "login-failed"]


def test_an_agents_failed_logins_do_not_lock_the_human_out(make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock()
    airlock.human("alice")
    airlock.start()
    rid = airlock.submit(airlock.token(), "rm -rf /srv/agent-wants-this")["request"]
    # the agent: wrong passwords for alice, from the address her browser uses and others
    for source in ["127.0.0.1"] * 6 + ["127.0.0.2", "127.0.0.3"]:
        with _client(airlock, source) as agent:
            r = _login(agent, "alice", "a guessed password", wrong_code(airlock.totp["alice"]))
            assert r.status_code == 401 and "wrong username, password or code" in r.text
    # alice, from the same address, signs in and aborts
    with _client(airlock) as browser:
        r = _login(browser, "alice", PASSWORD, airlock.code("alice"))
        assert r.status_code == 303, r.text
        page = browser.get(f"/r/{rid}")
        csrf = CSRF_RE.search(page.text)
        assert csrf
        assert browser.post(f"/r/{rid}/abort", data={"csrf": csrf.group(1)}).status_code == 303
    assert airlock.state(rid) == "aborted"
    failed = _failed_logins(airlock)
    assert len(failed) == 8 and {f["source"] for f in failed} == {
        "127.0.0.1", "127.0.0.2", "127.0.0.3"}


def test_wrong_codes_are_limited_per_user_over_every_address_but_not_on_the_cli(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock()
    airlock.human("alice")
    airlock.start()
    rid = airlock.submit(airlock.token(), "rm -rf /srv/guessed")["request"]
    wrong = wrong_code(airlock.totp["alice"])
    # someone who knows alice's password guesses codes, from a new address each time
    for n in range(2, 7):
        with _client(airlock, f"127.0.0.{n}") as guesser:
            r = _login(guesser, "alice", PASSWORD, wrong)
        assert r.status_code == 401 and "wrong username, password or code" in r.text
    # the limit (5 per 5 min) is reached: even the right code, from yet another address,
    # is refused, and alice is told why and what still works
    with _client(airlock, "127.0.0.9") as browser:
        refused = _login(browser, "alice", PASSWORD, airlock.code("alice"))
    assert refused.status_code == 401 and "too many wrong authenticator codes" in refused.text
    assert "CLI on the server&#39;s host" in refused.text
    # a wrong password gets the same words as before the limit: nothing for a guesser
    with _client(airlock, "127.0.0.10") as guesser:
        r = _login(guesser, "alice", "not her password", wrong)
    assert r.status_code == 401 and "wrong username, password or code" in r.text
    assert "too many" not in r.text
    # the CLI on the server's host counts only its own failures: alice aborts there
    out = airlock.cli("abort", rid, "--user", "alice", AIRLOCK_PASSWORD=PASSWORD,
                      AIRLOCK_TOTP=airlock.code("alice"))
    assert out.returncode == 0, out.stderr
    assert airlock.state(rid) == "aborted"
    failed = _failed_logins(airlock)
    assert [f["via"] for f in failed] == ["web"] * 7
    assert failed[5]["reason"].startswith("locked")
