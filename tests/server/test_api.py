"""The agent API and the human's second key, against a real ``airlock serve`` (SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server.harness import PASSWORD, Airlock

_n = [0]
# approved requests certainly stay ``cooling`` for as long as a test looks at them
LONG_COOLDOWN = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 600
cooldown_default = 600
cooldown_sandbox = 600
approval_ttl = 30
"""


def held() -> str:
    """A destructive command no other test submitted (open requests are deduplicated)."""
    _n[0] += 1
    return f"rm -rf /srv/data{_n[0]}"


@pytest.fixture(scope="module")
def cooling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airlock]:
    """A server whose approvals stay ``cooling`` (600 s) for as long as a test looks:
    humans alice and bob."""
    airlock = Airlock(tmp_path_factory.mktemp("cooling"), LONG_COOLDOWN)
    airlock.human("alice")
    airlock.human("bob")
    airlock.start()
    yield airlock
    airlock.stop_all()


def _wait_state(airlock: Airlock, rid: str, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while airlock.state(rid) != state:
        assert time.monotonic() < deadline, f"{rid} never became {state}"
        time.sleep(0.1)


def test_submit_without_token_is_401(shared: Airlock) -> None:
    r = httpx.post(f"{shared.url}/v1/actions", json={"command": "ls"})
    assert r.status_code == 401


def test_read_only_action_is_allowed(shared: Airlock) -> None:
    out = shared.submit(shared.token(), "ls -la")
    assert out["decision"] == "allow", out
    assert "request" not in out


def test_destructive_action_is_held_with_request_and_url(shared: Airlock) -> None:
    cmd = held()
    out = shared.submit(shared.token(), cmd)
    assert out["decision"] == "hold"
    assert out["url"] == f"{shared.url}/r/{out['request']}"
    assert out["state"] == "pending"


def test_approved_action_is_allowed_exactly_once_then_held_again(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    assert shared.browser("alice").approve(rid).status_code == 303
    _wait_state(shared, rid, "ready")
    # leading/trailing whitespace does not change the fingerprint (inner whitespace does)
    first = shared.submit(token, f"  {cmd}\n")
    assert first["decision"] == "allow" and first["request"] == rid
    again = shared.submit(token, cmd)
    assert again["decision"] == "hold" and again["request"] != rid
    assert shared.state(rid) == "executed"


def test_approval_does_not_allow_a_different_action(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    shared.browser("alice").approve(rid)
    _wait_state(shared, rid, "ready")
    other = shared.submit(token, cmd + "-other")
    assert other["decision"] != "allow"
    assert shared.state(rid) == "ready"


def test_approval_does_not_allow_another_agent(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token("bot"), cmd)["request"]
    shared.browser("alice").approve(rid)
    _wait_state(shared, rid, "ready")
    out = shared.submit(shared.token("other-bot"), cmd)
    assert out["decision"] != "allow"


def test_request_cooling_is_still_hold_for_the_agent(cooling: Airlock) -> None:
    cmd = held()
    token = cooling.token()
    rid = cooling.submit(token, cmd)["request"]
    assert cooling.browser("alice").approve(rid).status_code == 303
    out = cooling.submit(token, cmd)
    assert out["decision"] == "hold" and out["request"] == rid and out["state"] == "cooling"
    assert 0 < out["cooldown_remaining"] <= 600


def test_long_poll_returns_when_state_changes(cooling: Airlock) -> None:
    """A long poll (``wait=60``, the most the server waits) stays open while nothing
    happens and answers when a human approves: the client gives up after 40 s, so an
    answer only at the end of the wait fails; the 600 s cooldown keeps it ``cooling``."""
    airlock = cooling
    cmd = held()
    token = airlock.token()
    rid = airlock.submit(token, cmd)["request"]
    alice = airlock.browser("alice")
    answered = threading.Event()
    got: list[httpx.Response] = []

    def poll() -> None:
        try:
            got.append(httpx.get(f"{airlock.url}/v1/requests/{rid}?wait=60",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=40))
        finally:
            answered.set()

    waiter = threading.Thread(target=poll, daemon=True)
    waiter.start()
    # nothing changed: the poll is still open (a poll answering at once would be done)
    assert not answered.wait(1.0), got
    assert airlock.state(rid) == "pending"
    assert alice.approve(rid).status_code == 303
    assert answered.wait(60), "the long poll never answered"
    waiter.join(5)
    assert got, "the long poll failed (timed out: it did not answer on the change)"
    assert got[0].status_code == 200 and got[0].json()["state"] == "cooling", got[0].text


def test_poll_needs_the_requesting_agents_token(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token("bot"), cmd)["request"]
    r = httpx.get(f"{shared.url}/v1/requests/{rid}",
                  headers={"Authorization": f"Bearer {shared.token('intruder')}"})
    assert r.status_code == 404


# ---- refusals -----------------------------------------------------------------------


def test_refuses_approval_with_an_agent_token(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    r = httpx.post(f"{shared.url}/r/{rid}/approve",
                   data={"confirm_name": shared.confirm_name(rid), "csrf": "x"},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "agent tokens cannot" in r.text
    assert shared.state(rid) == "pending"


def test_refuses_approval_with_agent_token_even_inside_a_human_session(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    alice = shared.browser("alice")
    alice.page(rid)
    r = alice.client.post(f"/r/{rid}/approve", headers={"Authorization": f"Bearer {token}"},
                          data={"confirm_name": shared.confirm_name(rid), "csrf": alice.csrf})
    assert r.status_code == 403
    assert shared.state(rid) == "pending"


def test_refuses_approving_your_own_request(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(agent="bot", owner="alice"), cmd)["request"]
    r = shared.browser("alice").approve(rid)
    assert r.status_code == 403 and "your own request" in r.text
    assert shared.state(rid) == "pending"
    assert shared.browser("bob").approve(rid).status_code == 303


def test_refuses_approval_without_typing_the_name(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    r = shared.browser("alice").approve(rid, name="")
    assert r.status_code == 422 and "type the target" in r.text
    assert shared.state(rid) == "pending"


def test_refuses_approval_with_the_wrong_name(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    r = shared.browser("alice").approve(rid, name="/srv/staging-data")
    assert r.status_code == 422 and "not the target" in r.text
    assert shared.state(rid) == "pending"


def test_refuses_replaying_an_approval(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    alice = shared.browser("alice")
    assert alice.approve(rid).status_code == 303
    replay = alice.approve(rid)  # the same form posted again
    assert replay.status_code == 409
    _wait_state(shared, rid, "ready")
    assert shared.submit(token, cmd)["decision"] == "allow"
    assert shared.submit(token, cmd)["decision"] == "hold"  # single use
    assert shared.browser("bob").approve(rid).status_code == 409


def test_refuses_approval_after_abort(shared: Airlock) -> None:
    cmd = held()
    token = shared.token()
    rid = shared.submit(token, cmd)["request"]
    bob = shared.browser("bob")
    assert bob.post(rid, "abort").status_code == 303
    r = shared.browser("alice").approve(rid)
    assert r.status_code == 409 and "aborted" in r.text
    assert shared.submit(token, cmd)["request"] != rid


def test_abort_during_cooldown_stops_the_action(cooling: Airlock) -> None:
    """Approved, certainly still cooling (600 s, never waited for), then aborted by
    another human: the request ends aborted and the agent's action is held anew."""
    airlock = cooling
    cmd = held()
    token = airlock.token()
    rid = airlock.submit(token, cmd)["request"]
    approved = airlock.browser("alice").approve(rid)
    assert approved.status_code == 303, approved.status_code
    assert approved.headers["location"] == f"/r/{rid}?msg=approved"
    assert airlock.state(rid) == "cooling"
    during = airlock.submit(token, cmd)  # the agent, meanwhile: still held, same request
    assert (during["decision"], during["request"], during["state"]) == ("hold", rid, "cooling")
    aborted = airlock.browser("bob").post(rid, "abort")
    assert aborted.status_code == 303, aborted.status_code
    assert aborted.headers["location"] == f"/r/{rid}?msg=aborted"
    assert airlock.state(rid) == "aborted"
    after = airlock.submit(token, cmd)
    assert after["decision"] == "hold" and after["request"] != rid
    assert airlock.state(rid) == "aborted"  # and it stays so: nothing claims it


def test_refuses_forged_csrf_token(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    r = shared.browser("alice").approve(rid, csrf="forged-token-value")
    assert r.status_code == 403 and "CSRF" in r.text
    assert shared.state(rid) == "pending"


def test_refuses_missing_csrf_token(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    r = shared.browser("alice").approve(rid, csrf="<missing>")
    assert r.status_code == 403
    assert shared.state(rid) == "pending"


def test_refuses_another_sessions_csrf_token(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    bob = shared.browser("bob")
    bob.page(rid)
    r = shared.browser("alice").approve(rid, csrf=bob.csrf)
    assert r.status_code == 403


def test_refuses_approval_without_a_session(shared: Airlock) -> None:
    cmd = held()
    rid = shared.submit(shared.token(), cmd)["request"]
    r = httpx.post(f"{shared.url}/r/{rid}/approve", data={"confirm_name": "x", "csrf": "x"})
    assert r.status_code == 401


def test_session_cookie_is_httponly_and_samesite_strict(shared: Airlock) -> None:
    client = httpx.Client(base_url=shared.url)
    page = client.get("/login")
    assert "httponly" in page.headers["set-cookie"].lower()
    from tests.server.harness import CSRF_RE

    csrf = CSRF_RE.search(page.text)
    assert csrf
    r = client.post("/login", data={"csrf": csrf.group(1), "username": "alice",
                                    "password": PASSWORD, "code": shared.code("alice")})
    cookie = r.headers["set-cookie"].lower()
    assert "airlock_session=" in cookie and "httponly" in cookie
    assert "samesite=strict" in cookie


def test_expired_approval_is_not_usable(make_airlock) -> None:  # type: ignore[no-untyped-def]
    cmd = held()
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 0.3
        cooldown_default = 0.3
        approval_ttl = 0.7
        """)
    airlock.human("alice")
    airlock.start()
    token = airlock.token()
    rid = airlock.submit(token, cmd)["request"]
    assert airlock.browser("alice").approve(rid).status_code == 303
    time.sleep(1.3)
    out = airlock.submit(token, cmd)
    assert out["decision"] == "hold" and out["request"] != rid
    assert airlock.state(rid) == "expired"


def test_two_approvers_required_and_page_says_when_humans_are_missing(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    cmd = held()
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 2
        cooldown_production = 0
        """)
    airlock.human("alice")
    airlock.start()
    token = airlock.token()
    rid = airlock.submit(token, cmd)["request"]
    alice = airlock.browser("alice")
    page = alice.page(rid)
    assert "no one can complete this approval yet" in page.text
    assert "only 1 human (alice) may approve it" in page.text
    assert alice.approve(rid).status_code == 303
    assert airlock.state(rid) == "pending"
    page = alice.page(rid)
    assert 'id="approve"' not in page.text and "You approved this request already" in page.text
    assert alice.approve(rid).status_code == 409  # the same human twice does not count
    airlock.human("bob")
    assert airlock.browser("bob").approve(rid).status_code == 303
    assert airlock.state(rid) == "ready"
    assert airlock.submit(token, cmd)["decision"] == "allow"


def test_cli_lists_approves_and_verifies_the_ledger(make_airlock) -> None:  # type: ignore[no-untyped-def]
    cmd = held()
    airlock: Airlock = make_airlock()
    airlock.human("alice")
    airlock.start()
    token = airlock.token()
    rid = airlock.submit(token, cmd)["request"]
    listed = airlock.cli("requests")
    assert rid in listed.stdout and cmd in listed.stdout
    wrong = airlock.cli("approve", rid, "--user", "alice", "--confirm", "nope",
                        AIRLOCK_PASSWORD=PASSWORD, AIRLOCK_TOTP=airlock.code("alice"))
    assert wrong.returncode == 4 and "not the target" in wrong.stderr
    ok = airlock.cli("approve", rid, "--user", "alice", "--confirm", airlock.confirm_name(rid),
                     AIRLOCK_PASSWORD=PASSWORD, AIRLOCK_TOTP=airlock.code("alice"))
    assert ok.returncode == 0, ok.stderr
    assert "cooling" in ok.stdout
    bad_login = airlock.cli("abort", rid, "--user", "alice", AIRLOCK_PASSWORD="wrong",
                            AIRLOCK_TOTP="123456")
    assert bad_login.returncode == 5
    verify = airlock.cli("ledger", "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("ok:"), verify.stdout


def test_every_response_carries_the_security_headers(shared: Airlock) -> None:
    for r in (httpx.get(f"{shared.url}/v1/health"), httpx.get(f"{shared.url}/login")):
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
