"""Group commit for the proxy's ledger entries: one writer thread, one transaction (one
fsync) for everything queued by the time it commits.

Every entry is queued with the time it is due; the writer commits the whole queue as soon
as the most pressing entry is due, so entries that could wait ride along with the ones
that cannot. The ways in:

- :meth:`Recorder.commit` (a worker thread waits) and :meth:`Recorder.submit` (due now):
  write-ahead. The proxy records every decision that lets a non-read call through, and
  every refusal, this way *before* forwarding or answering. If the entries cannot be
  committed the call is refused: nothing is forwarded off the record.
- :meth:`Recorder.submit` with ``paced=True`` (:data:`SOON`): committed at once if the
  writer is idle, else at most :data:`SOON` after the previous commit (the database
  gateway's grouped reads).
- :meth:`Recorder.append` (:data:`LINGER`): an entry nobody waits for (``forwarded``,
  which exists once the provider has answered). A crash can lose those of the last
  :data:`LINGER`. A normal shutdown loses nothing.
- :class:`Batcher`, the event loop's side: everything a turn of the loop queues goes to
  the writer as one submit. The proxy's reads go this way without waiting (their
  ``decided`` entries counted per identical call, committed within :data:`LINGER`, as
  the gateway's reads are); a crash can lose the record of those last reads, never a
  write's decision. From the first failed attempt to commit, every call waits for its
  own entries (:attr:`Recorder.struggling`, :attr:`Batcher.failing`) and is refused
  while they cannot be committed.

Why: one fsync'ed SQLite transaction per entry serialised every proxied call behind the
previous one's commit, and was most of the proxy's CPU; then a thread wake-up per call,
and a committed entry per read, were most of what was left (docs/performance.md, "Proxy"
and "Forward proxy").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Hashable
from concurrent.futures import Future
from typing import Any

from airlock.ledger import Ledger
from airlock.store.db import Store

log = logging.getLogger("airlock.proxy")
SOON = 0.005  # s: a paced entry (a read's decision) waits at most this after a commit
LINGER = 0.02  # s: an entry nobody waits for (``forwarded``)
Entry = tuple[str, str, str | None, dict[str, Any]]  # kind, actor, request id, payload
# kind, actor, request id, payload, time, the future of the group's last entry
_Queued = tuple[str, str, str | None, dict[str, Any], float, "Future[int] | None"]


class RecordError(RuntimeError):
    """Entries that were to be committed before going on could not be."""


def seqs(entries: list[Entry], last: int) -> list[int]:
    return list(range(last - len(entries) + 1, last + 1))


class Recorder:
    def __init__(self, store: Store, ledger: Ledger, retries: int = 5) -> None:
        self.store = store
        self.ledger = ledger
        self.retries = retries
        self._q: deque[_Queued] = deque()
        self._cv = threading.Condition()
        self._queued = 0
        self._done = 0
        self._due = float("inf")  # monotonic time the most pressing queued entry is due
        self._last = 0.0  # monotonic time the last commit ended
        self._stop = False
        self.batches = 0  # commits made (for tests and the bench)
        # the last attempt to commit failed (set at once, not after the retries): the
        # proxy then has every call wait for its own entries
        self.struggling = False
        self._thread = threading.Thread(target=self._run, name="airlock-recorder",
                                        daemon=True)
        self._thread.start()

    def append(self, kind: str, actor: str, request_id: str | None,
               payload: dict[str, Any]) -> None:
        """Queue one entry, committed within :data:`LINGER` (non-blocking)."""
        self._put([(kind, actor, request_id, payload)], None, time.monotonic() + LINGER)

    def commit(self, entries: list[Entry], timeout: float = 30.0) -> list[int]:
        """Queue ``entries`` (in this order, in one transaction) and wait until they are
        committed; returns their sequence numbers. Raises :class:`RecordError` if they
        could not be committed in time (they may still be, later: the caller must treat
        the outcome as unknown and refuse what it was about to do)."""
        done = self.submit(entries)
        try:
            return seqs(entries, done.result(timeout))
        except Exception as exc:
            raise RecordError(f"the ledger could not record this ({type(exc).__name__}); "
                              "refused") from exc

    def submit(self, entries: list[Entry], paced: bool = False) -> Future[int]:
        """Queue ``entries`` (in this order, in one transaction) to be committed now — or,
        ``paced``, no sooner than :data:`SOON` after the previous commit; the future gets
        the last one's sequence number (:func:`seqs` gives them all) or the error.
        Non-blocking: the event loop awaits it with ``asyncio.wrap_future``."""
        done: Future[int] = Future()
        now = time.monotonic()
        self._put(entries, done, max(now, self._last + SOON) if paced else now)
        return done

    def hurry(self) -> None:
        """Commit what is queued now (someone is waiting for it)."""
        with self._cv:
            if self._q:
                self._due = 0.0
                self._cv.notify_all()

    def _put(self, entries: list[Entry], done: Future[int] | None, due: float) -> None:
        now = time.time()
        with self._cv:
            if self._stop:
                if done is not None:
                    raise RecordError("the ledger writer has stopped; refused")
                log.error("ledger writer stopped: %s entry not recorded", entries[0][0])
                return
            if due < self._due:
                self._due = due
                self._cv.notify_all()
            for i, (kind, actor, rid, payload) in enumerate(entries):
                last = i == len(entries) - 1
                self._q.append((kind, actor, rid, payload, now, done if last else None))
            self._queued += len(entries)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry queued so far is committed."""
        deadline = time.monotonic() + timeout
        with self._cv:  # an RLock: hurry() may take it again
            target = self._queued
            self.hurry()
            while self._done < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def close(self) -> None:
        self.flush()
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stop:
                    if not self._q:
                        self._due = float("inf")  # nothing is due: no stale deadline
                        self._cv.wait()
                        continue
                    left = self._due - time.monotonic()
                    if left <= 0:
                        break
                    self._cv.wait(left)
                if not self._q and self._stop:
                    return
                batch = list(self._q)
                self._q.clear()
                self._due = float("inf")
            self._commit(batch)
            self._last = time.monotonic()
            with self._cv:
                self._done += len(batch)
                self._cv.notify_all()

    def _commit(self, batch: list[_Queued]) -> None:
        error: BaseException | None = None
        for attempt in range(self.retries):
            try:
                with self.store.write() as conn:
                    last = self.ledger.append_many(conn, (q[:5] for q in batch))
                self.batches += 1
                self.struggling = False
                first = last - len(batch) + 1
                for i, q in enumerate(batch):
                    if q[5] is not None:
                        q[5].set_result(first + i)
                return
            except Exception as exc:  # noqa: BLE001 - retry, then say what was lost
                error = exc
                self.struggling = True
                log.warning("ledger batch of %d failed (%s), attempt %d", len(batch),
                            type(exc).__name__, attempt + 1)
                time.sleep(0.05 * (attempt + 1))
        log.error("ledger: %d proxy entries could not be recorded", len(batch))
        for q in batch:
            if q[5] is not None:
                q[5].set_exception(error or RecordError("not recorded"))


class Batcher:
    """The event loop's side of the :class:`Recorder`: everything queued during one turn of
    the loop goes to the writer as one :meth:`Recorder.submit` — one wake-up of its thread
    and one callback back, however many calls it carries — and while a batch is being
    committed the next one gathers, to go the moment it is done.

    Why: handing each call's entries to the writer thread on its own cost two thread
    wake-ups a call; on a loaded core each wake-up preempts the event loop (the proxy's
    CPU per call halved without them: docs/performance.md, "Forward proxy").

    Identical reads in one batch — the same token sending the same call — become one
    ``decided`` entry counting them (``calls``; they share its future), and their
    outcomes one ``forwarded`` entry per status (:meth:`outcome`, :meth:`count`), queued
    once the decision is committed so that it can name it. :attr:`failing` holds the
    error of the last batch that could not be committed, until one is
    (:attr:`Recorder.struggling` says so from its first failed attempt). Runs on the
    event loop only."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._entries: list[Entry] = []
        self._waiters: list[tuple[int, asyncio.Future[int]]] = []  # (entry index, future)
        self._groups: dict[Hashable, tuple[int, asyncio.Future[int]]] = {}  # grouped reads
        # outcomes counted per key, each waiting for the decision it names to be committed
        self._outcomes: dict[Hashable, tuple[asyncio.Future[int], Entry]] = {}
        self._busy = False  # a batch is with the writer
        self._soon: asyncio.Handle | None = None  # the flush at the end of this turn
        self._later: asyncio.TimerHandle | None = None  # the flush of lingering entries
        self.failing: BaseException | None = None
        self._urgent = False  # someone waits for what is queued

    def submit(self, entries: list[Entry], group: Hashable | None = None,
               urgent: bool = True) -> asyncio.Future[int]:
        """Queue ``entries`` for the next batch; the future gets the last one's sequence
        number once committed (or the error). ``group``: a key under which an identical
        single entry (a read's ``decided``) is counted instead of queued again (and its
        future shared). ``urgent``: committed at the end of this turn of the loop
        (someone waits for it), else within :data:`LINGER` like :meth:`append`."""
        if group is not None:
            hit = self._groups.get(group)
            if hit is not None:
                payload = self._entries[hit[0]][3]
                payload["calls"] = payload.get("calls", 1) + 1
                self._kick(now=urgent)
                return hit[1]
            kind, actor, rid, payload = entries[-1]
            entries = [*entries[:-1], (kind, actor, rid, dict(payload))]
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._entries.extend(entries)
        at = len(self._entries) - 1
        if group is not None:
            self._groups[group] = (at, fut)
        self._waiters.append((at, fut))
        self._kick(now=urgent)
        return fut

    def append(self, kind: str, actor: str, request_id: str | None,
               payload: dict[str, Any]) -> None:
        """Queue one entry nobody waits for: committed with the next batch, and within
        :data:`LINGER` at the latest."""
        self._entries.append((kind, actor, request_id, payload))
        self._kick(now=False)

    def count(self, key: Hashable, size: int, ms: float) -> bool:
        """One more outcome under ``key``, if one is queued (``calls`` + 1, ``bytes``
        added, ``ms`` the most); False if none is."""
        hit = self._outcomes.get(key)
        if hit is None:
            return False
        payload = hit[1][3]
        payload["calls"] = payload.get("calls", 1) + 1
        payload["bytes"] = payload.get("bytes", 0) + size
        payload["ms"] = max(payload.get("ms", 0), ms)
        return True

    def outcome(self, key: Hashable, decision: asyncio.Future[int], entry: Entry) -> None:
        """Queue ``entry`` (an outcome others may be counted in, :meth:`count`), to go in
        the first batch after ``decision`` is committed, naming it (``decision_seq``;
        ``decision_unrecorded`` when it could not be)."""
        self._outcomes[key] = (decision, entry)
        self._kick(now=False)

    def _ready_outcomes(self, everything: bool = False) -> None:
        """Move the outcomes whose decision is settled (all of them: ``everything``) to
        the entries."""
        keep: dict[Hashable, tuple[asyncio.Future[int], Entry]] = {}
        for key, (decision, entry) in self._outcomes.items():
            if not decision.done():
                if not everything:
                    keep[key] = (decision, entry)
                    continue
                entry[3]["decision_pending"] = True  # shutting down with it in flight
            elif decision.cancelled() or decision.exception() is not None:
                entry[3]["decision_unrecorded"] = True
            else:
                entry[3]["decision_seq"] = decision.result()
            self._entries.append(entry)
        self._outcomes = keep

    def _kick(self, now: bool) -> None:
        if now:
            self._urgent = True
        if self._busy or self._soon is not None:
            return  # flushed once the batch with the writer is committed / this turn
        loop = asyncio.get_running_loop()
        if now:
            self._soon = loop.call_soon(self._flush)
        elif self._later is None:
            self._later = loop.call_later(LINGER, self._flush)

    def _flush(self) -> None:
        self._soon = None
        self._urgent = False
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._busy:
            return
        if self._outcomes:
            self._ready_outcomes()
        if not self._entries:
            if self._outcomes:
                self._kick(now=False)  # their decisions are still on the way
            return
        entries, waiters = self._entries, self._waiters
        self._entries, self._waiters, self._groups = [], [], {}
        try:
            done = self.recorder.submit(entries)
        except RecordError as exc:  # the writer has stopped (shutting down)
            self.failing = exc
            for _, fut in waiters:
                if not fut.done():
                    fut.set_exception(exc)
            return
        self._busy = True
        loop = asyncio.get_running_loop()
        done.add_done_callback(
            lambda f: loop.call_soon_threadsafe(self._done, f, waiters, len(entries)))

    def _done(self, done: Future[int], waiters: list[tuple[int, asyncio.Future[int]]],
              n: int) -> None:
        self._busy = False
        exc = done.exception()
        self.failing = exc
        first = 0 if exc is not None else done.result() - n + 1
        for at, fut in waiters:
            if fut.done():
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(first + at)
        if self._urgent:
            self._flush()
        elif self._entries or self._outcomes:
            self._kick(now=False)

    def drain(self) -> None:
        """Hand whatever is queued to the writer now (shutdown: the loop may not turn
        again; the writer's own close commits it)."""
        for handle in (self._soon, self._later):
            if handle is not None:
                handle.cancel()
        self._soon = self._later = None
        self._ready_outcomes(everything=True)
        if self._entries:
            entries, self._entries, self._groups = self._entries, [], {}
            waiters, self._waiters = self._waiters, []
            try:
                self.recorder.submit(entries)
            except RecordError as exc:
                log.error("ledger: %d queued entries not recorded: %s", len(entries), exc)
            for _, fut in waiters:
                if not fut.done():
                    fut.cancel()
