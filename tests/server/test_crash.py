"""kill -9 at the worst moments, then restart: nothing approved is lost, no cooldown is
skipped, nothing is allowed twice."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from airlock import ledger
from tests.server.harness import Airlock

CMD = "rm -rf /srv/important"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """Each crash test runs on the embedded SQLite and on a throwaway PostgreSQL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_database")
    return url


def _claims(airlock: Airlock, rid: str) -> int:
    return sum(1 for e in ledger.entries(airlock.ctx.store)
               if e["kind"] == "execution-claimed" and e["request_id"] == rid)


def _signed_cooldown(airlock: Airlock, rid: str) -> float:
    """The deadline the ``approved`` ledger entry of ``rid`` signed."""
    [approved] = [e for e in ledger.entries(airlock.ctx.store)
                  if e["kind"] == "approved" and e["request_id"] == rid]
    body = approved["payload"]
    body = json.loads(body) if isinstance(body, str) else body
    return float(body["cooldown_until"])


@pytest.mark.slow
def test_sigkill_mid_cooldown_then_restart_keeps_the_cooldown(
        make_airlock, database: str | None) -> None:  # type: ignore[no-untyped-def]
    """Approved with a 600 s cooldown, the server is killed and restarted: the request is
    still ``cooling`` with the very deadline stored and signed at the approval (neither
    reset nor dropped), the agent is still held, and nothing was claimed."""
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 600
        cooldown_default = 600
        """, database=database)
    airlock.human("alice")
    proc = airlock.start()
    token = airlock.token()
    rid = airlock.submit(token, CMD)["request"]
    assert airlock.browser("alice").approve(rid).status_code == 303
    before = airlock.ctx.service.view(rid)
    assert before["state"] == "cooling", before["state"]
    until = float(before["cooldown_until"])
    assert _signed_cooldown(airlock, rid) == until
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    airlock.start()
    during = airlock.submit(token, CMD)
    assert during["decision"] == "hold" and during["request"] == rid
    assert during["state"] == "cooling" and 0 < during["cooldown_remaining"] <= 600
    after = airlock.ctx.service.view(rid)
    assert (after["state"], after["stored_state"]) == ("cooling", "cooling")
    assert float(after["cooldown_until"]) == until  # the stored deadline, unchanged
    assert _signed_cooldown(airlock, rid) == until
    assert airlock.submit(token, CMD)["decision"] == "hold"
    assert _claims(airlock, rid) == 0
    verify = airlock.cli("ledger", "verify")
    assert verify.returncode == 0, verify.stdout


@pytest.mark.parametrize("fault, state_after_restart", [
    ("claim-before-commit", "ready"),  # the claim rolled back: still usable, once
    ("claim-after-commit", "executed"),  # the claim committed: never again
])
def test_sigkill_between_claim_and_record_never_allows_twice(
        make_airlock, fault: str, state_after_restart: str,
        database: str | None) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 0
        cooldown_default = 0
        """, database=database)
    airlock.human("alice")
    proc = airlock.start(AIRLOCK_TEST_FAULT=fault)
    token = airlock.token()
    rid = airlock.submit(token, CMD)["request"]
    assert airlock.browser("alice").approve(rid).status_code == 303
    with pytest.raises(httpx.HTTPError):
        airlock.submit(token, CMD)  # the server dies by SIGKILL mid-claim
    assert proc.wait(10) == -signal.SIGKILL
    airlock.start()
    assert airlock.state(rid) == state_after_restart
    decisions = [airlock.submit(token, CMD)["decision"] for _ in range(3)]
    allowed = decisions.count("allow")
    if fault == "claim-before-commit":
        assert decisions[0] == "allow" and allowed == 1
    else:
        assert allowed == 0
    assert _claims(airlock, rid) == 1
    verify = airlock.cli("ledger", "verify")
    assert verify.returncode == 0, verify.stdout


def test_ledger_export_is_jsonl_of_every_step(make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 0
        """)
    airlock.human("alice")
    airlock.start()
    token = airlock.token()
    rid = airlock.submit(token, CMD)["request"]
    airlock.browser("alice").approve(rid)
    airlock.submit(token, CMD)
    out = airlock.cli("ledger", "export")
    kinds = [json.loads(line)["kind"] for line in out.stdout.splitlines()]
    for kind in ("submitted", "decided", "held", "approval", "approved", "ready",
                 "execution-claimed", "login"):
        assert kind in kinds, kind
