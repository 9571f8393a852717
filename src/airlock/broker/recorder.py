"""Group commit for the proxy's ``forwarded`` ledger entries.

A ``forwarded`` entry (status, size, time — and for reads, the decision) can only be
written once the upstream has answered, i.e. when the agent already has the response; a
synchronous write there protects nothing more, but one fsync'ed SQLite transaction per
call made every proxied call queue behind the previous one's fsync. So those entries go
through one writer thread that commits whatever has queued up in one transaction: one
entry alone is committed at once; under load, one fsync covers every entry that arrived
during the previous commit. Each entry keeps the time it happened (``at``).

What this does not change (G5): decisions that let a write, destructive or held call
through are still committed *before* the call is forwarded (see ``proxy.Broker.decide``);
refusals are recorded synchronously. What it costs: a crash (SIGKILL, power loss) can lose
the entries of the last commit interval — a few ms of already-answered calls; a normal
shutdown (``flush`` in the server's lifespan) loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from airlock.ledger import Ledger
from airlock.store.db import Store

log = logging.getLogger("airlock.proxy")


class Recorder:
    def __init__(self, store: Store, ledger: Ledger, retries: int = 5) -> None:
        self.store = store
        self.ledger = ledger
        self.retries = retries
        self._q: deque[tuple[str, str, str | None, dict[str, Any], float]] = deque()
        self._cv = threading.Condition()
        self._queued = 0
        self._done = 0
        self._stop = False
        self.batches = 0  # commits made (for tests and the bench)
        self._thread = threading.Thread(target=self._run, name="airlock-recorder",
                                        daemon=True)
        self._thread.start()

    def append(self, kind: str, actor: str, request_id: str | None,
               payload: dict[str, Any]) -> None:
        """Queue one entry (non-blocking: safe on the event loop)."""
        with self._cv:
            self._q.append((kind, actor, request_id, payload, time.time()))
            self._queued += 1
            self._cv.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry queued so far is committed."""
        deadline = time.monotonic() + timeout
        with self._cv:
            target = self._queued
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
                while not self._q and not self._stop:
                    self._cv.wait()
                if not self._q and self._stop:
                    return
                batch = list(self._q)
                self._q.clear()
            self._commit(batch)
            with self._cv:
                self._done += len(batch)
                self._cv.notify_all()

    def _commit(self, batch: list[tuple[str, str, str | None, dict[str, Any], float]]
                ) -> None:
        for attempt in range(self.retries):
            try:
                with self.store.write() as conn:
                    for kind, actor, rid, payload, at in batch:
                        self.ledger.append(conn, kind, actor, rid, payload, at=at)
                self.batches += 1
                return
            except Exception as exc:  # noqa: BLE001 - retry, then say what was lost
                log.warning("ledger batch of %d failed (%s), attempt %d", len(batch),
                            type(exc).__name__, attempt + 1)
                time.sleep(0.05 * (attempt + 1))
        log.error("ledger: %d forwarded entries could not be recorded", len(batch))
