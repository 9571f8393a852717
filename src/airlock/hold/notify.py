"""Notifications to humans (new holds, executions) through apprise, off the hot path.

Messages go into a bounded queue drained by one background thread; a notifier that is
down or slow delays only that thread, never a decision. When the queue is full the
message is dropped (and counted): the ledger, not the notification, is the record.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

log = logging.getLogger("airlock.notify")


class Notifier:
    def __init__(self, urls: list[str], maxsize: int = 1000) -> None:
        self.urls = list(urls)
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        if self.urls:
            self._thread = threading.Thread(target=self._run, name="airlock-notify",
                                            daemon=True)
            self._thread.start()

    def notify(self, title: str, body: str) -> None:
        if not self.urls:
            return
        try:
            self._queue.put_nowait((title, body))
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 2.0) -> None:
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        import apprise

        sender: Any = apprise.Apprise()
        for url in self.urls:
            if not sender.add(url):
                log.warning("notify: ignoring an apprise URL it cannot parse")
        while True:
            item = self._queue.get()
            if item is None:
                return
            title, body = item
            try:
                ok = sender.notify(title=title, body=body)
            except Exception:  # noqa: BLE001 - a notifier must never take the server down
                ok = False
            if ok:
                self.sent += 1
            else:
                self.failed += 1
