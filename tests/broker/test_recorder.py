"""The proxy's group-committing ledger writer, on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from airlock.broker.recorder import LINGER, Batcher, Entry, Recorder, RecordError, seqs
from airlock.ledger import entries, public_hex, verify
from tests.broker.conftest import Env


def _kinds(env: Env) -> list[str]:
    return [e["kind"] for e in entries(env.store)]


def _fail_inserts(env: Env) -> None:
    with sqlite3.connect(env.home / "airlock.db") as db:
        db.execute("CREATE TRIGGER no_ledger BEFORE INSERT ON ledger "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")


def _heal(env: Env) -> None:
    with sqlite3.connect(env.home / "airlock.db") as db:
        db.execute("DROP TRIGGER no_ledger")


def test_commit_returns_the_sequence_numbers_in_order(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    try:
        got = rec.commit([("submitted", "bot", None, {"n": 1}),
                          ("decided", "airlock", None, {"n": 2})])
        assert got == [1, 2]
        assert rec.commit([("decided", "airlock", None, {"n": 3})]) == [3]
        assert _kinds(env) == ["submitted", "decided", "decided"]
    finally:
        rec.close()


def test_concurrent_commits_share_transactions_and_keep_the_chain(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    # another writer holds the database: the recorder's first transaction waits for it,
    # and every commit made meanwhile queues up behind it
    blocker = sqlite3.connect(env.home / "airlock.db", isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        def one(i: int) -> tuple[list[Entry], Future[int]]:
            group: list[Entry] = [("submitted", "bot", None, {"i": i}),
                                  ("decided", "airlock", None, {"i": i})]
            return group, rec.submit(group)

        with ThreadPoolExecutor(16) as pool:  # 16 threads queueing 400 commits
            queued = list(pool.map(one, range(400)))
        blocker.execute("COMMIT")
        results = [seqs(group, done.result(120)) for group, done in queued]
        flat = [s for pair in results for s in pair]
        assert sorted(flat) == list(range(1, 801))  # every entry once, no gaps
        assert all(b == a + 1 for a, b in results)  # a group is never split
        # the one in flight when the database was busy, then everything else in one go
        assert rec.batches <= 2, rec.batches
    finally:
        blocker.close()
        rec.close()
    assert verify(env.store, [public_hex(env.ledger.key)]).ok  # type: ignore[arg-type]


def _wait_kinds(env: Env, n: int, what: str) -> list[str]:
    """The ledger's kinds once it holds ``n`` entries (a generous ceiling: a state wait,
    not a measure of the linger)."""
    deadline = time.monotonic() + 30
    while len(kinds := _kinds(env)) < n:
        assert time.monotonic() < deadline, what
        time.sleep(0.01)
    return kinds


def test_append_is_committed_without_anyone_waiting(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    try:
        rec.append("forwarded", "airlock", None, {"status": 200})
        assert _wait_kinds(env, 1, "the entry was never committed") == ["forwarded"]
        assert rec.batches == 1
    finally:
        rec.close()


def test_an_appended_entry_lingers_until_a_flush_hurries_it(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from airlock.broker import recorder

    monkeypatch.setattr(recorder, "LINGER", 60.0)  # not due for a minute
    rec = Recorder(env.store, env.ledger)
    try:
        rec.append("forwarded", "airlock", None, {"status": 200})
        time.sleep(0.5)  # an entry committed at once would be there by now
        assert _kinds(env) == [] and rec.batches == 0
        assert rec.flush(30)  # someone waits: committed now, not in a minute
        assert _kinds(env) == ["forwarded"] and rec.batches == 1
    finally:
        rec.close()


def test_lingering_entries_ride_along_with_a_commit(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from airlock.broker import recorder

    # the appended entry certainly still lingers when the commit comes (however slow
    # this machine is between the two calls)
    monkeypatch.setattr(recorder, "LINGER", 60.0)
    rec = Recorder(env.store, env.ledger)
    try:
        rec.append("forwarded", "airlock", None, {"status": 200})
        assert rec.commit([("decided", "airlock", None, {})]) == [2]
        assert _kinds(env) == ["forwarded", "decided"]
        assert rec.batches == 1
    finally:
        rec.close()


def test_close_commits_what_is_queued(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    for i in range(5):
        rec.append("forwarded", "airlock", None, {"i": i})
    rec.close()
    assert _kinds(env) == ["forwarded"] * 5


def test_paced_submit_commits_at_once_when_the_writer_is_idle(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from airlock.broker import recorder

    monkeypatch.setattr(recorder, "SOON", 60.0)  # pacing, were it applied, would show
    rec = Recorder(env.store, env.ledger)
    try:
        # nothing was committed before: no pacing, committed now
        assert rec.submit([("decided", "airlock", None, {})], paced=True).result(30) == 1
        # right after a commit, a paced entry waits (SOON)… unless someone hurries it
        paced = rec.submit([("decided", "airlock", None, {})], paced=True)
        with pytest.raises(TimeoutError):
            paced.result(0.5)
        rec.hurry()
        assert paced.result(30) == 2
    finally:
        rec.close()


def test_the_event_loop_can_await_a_commit(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)

    async def main() -> list[int]:
        group = [("submitted", "bot", None, {}), ("decided", "airlock", None, {})]
        last = await asyncio.wrap_future(rec.submit(group))
        return seqs(group, last)

    try:
        assert asyncio.run(main()) == [1, 2]
    finally:
        rec.close()


def test_a_failing_database_is_an_error_for_whoever_waits(env: Env) -> None:
    rec = Recorder(env.store, env.ledger, retries=2)
    try:
        _fail_inserts(env)
        with pytest.raises(RecordError, match="could not record"):
            rec.commit([("decided", "airlock", None, {})])
        fut = rec.submit([("decided", "airlock", None, {})])
        with pytest.raises(Exception, match="disk says no"):
            fut.result(10)
        _heal(env)
        assert rec.commit([("decided", "airlock", None, {"after": True})]) == [1]
        assert _kinds(env) == ["decided"]
    finally:
        rec.close()


def test_after_close_a_commit_is_refused_and_an_append_dropped(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    rec.close()
    with pytest.raises(RecordError, match="stopped"):
        rec.commit([("decided", "airlock", None, {})])
    rec.append("forwarded", "airlock", None, {})  # logged, not raised
    assert _kinds(env) == []
    assert not rec._thread.is_alive()


def test_a_flush_with_nothing_queued_leaves_later_entries_on_time(env: Env) -> None:
    rec = Recorder(env.store, env.ledger)
    try:
        time.sleep(0.1)  # the writer is waiting on an empty queue
        assert rec.flush()
        time.sleep(0.1)
        assert rec.commit([("decided", "airlock", None, {})], timeout=5) == [1]
        rec.append("forwarded", "airlock", None, {})
        assert _wait_kinds(env, 2, "the lingering entry was never committed") == [
            "decided", "forwarded"]
    finally:
        rec.close()


# ---- the event loop's side: Batcher ----------------------------------------------------


def _payloads(env: Env, kind: str) -> list[dict[str, object]]:
    return [json.loads(e["payload"]) for e in entries(env.store) if e["kind"] == kind]


READ: Entry = ("decided", "airlock", None, {"decision": "allow", "risk": "read"})


@pytest.fixture
def batch(env: Env) -> Iterator[Batcher]:
    rec = Recorder(env.store, env.ledger, retries=1)
    try:
        yield Batcher(rec)
    finally:
        rec.close()


def test_what_one_loop_turn_submits_is_one_commit(env: Env, batch: Batcher) -> None:
    async def main() -> list[int]:
        futs = [batch.submit([("submitted", "bot", None, {"i": i}),
                              ("decided", "airlock", None, {"i": i})]) for i in range(20)]
        return list(await asyncio.gather(*futs))

    before = batch.recorder.batches
    last = asyncio.run(main())
    assert batch.recorder.batches == before + 1
    assert last == list(range(2, 41, 2))  # each caller gets its own last entry
    assert [p["i"] for p in _payloads(env, "decided")] == list(range(20))


def test_identical_reads_in_one_batch_are_one_counted_entry(env: Env, batch: Batcher) -> None:
    async def main() -> tuple[list[int], int]:
        futs = [batch.submit([READ], group=("tok", "GET /x")) for _ in range(5)]
        other = batch.submit([READ], group=("tok", "GET /y"))
        return list(await asyncio.gather(*futs)), await other

    same, other = asyncio.run(main())
    assert len(set(same)) == 1 and other != same[0]
    counted = _payloads(env, "decided")
    assert [p.get("calls", 1) for p in counted] == [5, 1]
    assert "calls" not in READ[3]  # the caller's payload is not changed


def test_outcomes_are_counted_per_key_and_name_their_committed_decision(
        env: Env, batch: Batcher) -> None:
    async def main() -> None:
        decision = batch.submit([READ], group=("tok", "GET /x"), urgent=False)
        assert batch.submit([READ], group=("tok", "GET /x"), urgent=False) is decision
        for status, ms, size in ((200, 1.0, 10), (200, 3.0, 20), (200, 2.0, 30), (404, 1.0, 1)):
            key = (decision, status)
            if not batch.count(key, size, ms):
                batch.outcome(key, decision, ("forwarded", "airlock", None,
                                              {"status": status, "bytes": size, "ms": ms}))
        await asyncio.sleep(LINGER * 10)  # nobody waits: committed all the same

    asyncio.run(main())
    seq = [e["seq"] for e in entries(env.store) if e["kind"] == "decided"]
    got = _payloads(env, "forwarded")
    assert got == [{"status": 200, "bytes": 60, "ms": 3.0, "calls": 3, "decision_seq": seq[0]},
                   {"status": 404, "bytes": 1, "ms": 1.0, "decision_seq": seq[0]}]
    assert _payloads(env, "decided")[0]["calls"] == 2


def test_a_failing_ledger_fails_every_waiter_and_is_remembered_until_it_heals(
        env: Env, batch: Batcher) -> None:
    _fail_inserts(env)

    async def main() -> None:
        futs = [batch.submit([("decided", "airlock", None, {"i": i})]) for i in range(3)]
        results = await asyncio.gather(*futs, return_exceptions=True)
        assert all(isinstance(r, Exception) for r in results)
        assert batch.failing is not None
        _heal(env)
        assert await batch.submit([("decided", "airlock", None, {"i": 9})]) > 0
        assert batch.failing is None

    asyncio.run(main())
    assert [p["i"] for p in _payloads(env, "decided")] == [9]


def test_drain_hands_what_is_queued_to_the_writer(env: Env, batch: Batcher) -> None:
    async def main() -> None:
        batch.append("forwarded", "airlock", None, {"n": 1})
        batch.drain()  # the server stops before the entry's linger is over

    asyncio.run(main())
    batch.recorder.close()
    assert _payloads(env, "forwarded") == [{"n": 1}]


def test_the_writer_says_it_struggles_from_the_first_failed_attempt(env: Env) -> None:
    rec = Recorder(env.store, env.ledger, retries=5)
    try:
        _fail_inserts(env)
        done = rec.submit([("decided", "airlock", None, {"i": 1})])
        deadline = time.monotonic() + 5
        while not rec.struggling and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rec.struggling and not done.done()  # known before the retries are over
        with pytest.raises(Exception):  # noqa: B017 - the database's own error
            done.result(10)
        _heal(env)
        rec.commit([("decided", "airlock", None, {"i": 2})])
        assert not rec.struggling
    finally:
        rec.close()
