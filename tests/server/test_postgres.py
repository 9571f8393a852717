"""Replicas on one PostgreSQL database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from airlock import ledger
from tests.server.harness import Airlock

CMD = "rm -rf /srv/shared-volume"
pytestmark = pytest.mark.slow


def test_two_replicas_racing_for_one_approval_allow_exactly_once(
        make_airlock, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 0
        cooldown_default = 0
        """, database=pg_database)
    airlock.human("alice")
    airlock.start()
    first_port = airlock.port
    airlock.start()  # a second replica, same database
    second_port = airlock.port
    token = airlock.token()
    rid = airlock.submit(token, CMD, port=first_port)["request"]
    assert airlock.browser("alice").approve(rid).status_code == 303
    assert airlock.state(rid) == "ready"
    ports = [first_port, second_port] * 8
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda p: airlock.submit(token, CMD, port=p), ports))
    allowed = [a for a in answers if a["decision"] == "allow"]
    assert len(allowed) == 1 and allowed[0]["request"] == rid
    assert airlock.state(rid) == "executed"
    result = ledger.verify(airlock.ctx.store, [airlock.ctx.public_key])
    assert result.ok, result.errors
    claims = [e for e in ledger.entries(airlock.ctx.store) if e["kind"] == "execution-claimed"]
    assert len(claims) == 1


def test_replicas_appending_concurrently_never_fork_the_ledger(
        make_airlock, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(database=pg_database)
    airlock.start()
    a = airlock.port
    airlock.start()
    b = airlock.port
    token = airlock.token()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: airlock.submit(token, f"ls /tmp/d{i}", port=(a, b)[i % 2]),
                      range(80)))
    airlock.stop_all()  # each replica signs a checkpoint on shutdown
    result = ledger.verify(airlock.ctx.store, [airlock.ctx.public_key])
    assert result.ok, result.errors
    assert result.entries >= 160 and result.checkpoints >= 1
