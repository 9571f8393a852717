"""One Airlock instance, assembled once: its settings, state store, ledger, hold service
and notifier. `airlock serve` runs the web server over it; the broker, `airlock undo` of
PaaS volumes and the demo build one too (this module imports neither of them)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airlock.action import Action, Decision
from airlock.hold.notify import Notifier
from airlock.hold.service import HoldService
from airlock.hold.settings import ServeSettings
from airlock.ledger import Ledger, load_or_create_key, public_hex
from airlock.store.db import Store, database_url, open_store

if TYPE_CHECKING:
    from airlock.pipeline import Checker


class LazyChecker:
    """The pipeline's Checker for the server's own configuration plus the project config
    of the action's working directory (which only tightens), built on first use and
    rebuilt when a file changes (a failure holds the action: the service fails closed)."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self._checker: Checker | None = None
        self._lock = threading.Lock()

    def check(self, action: Action) -> Decision:
        from airlock.pipeline import checker_for

        if self.settings.config.path is not None:
            return checker_for(self.settings.config.path, action.cwd or os.getcwd()).check(
                action)
        checker = self._checker
        if checker is None:
            with self._lock:
                if self._checker is None:
                    from airlock.pipeline import Checker

                    self._checker = Checker(self.settings.config)
                checker = self._checker
        return checker.check(action)


@dataclass
class Instance:
    settings: ServeSettings
    store: Store
    ledger: Ledger
    service: HoldService
    notifier: Notifier
    data_dir: str
    public_key: str


def build(settings: ServeSettings, database: str | None, base_url: str,
          with_checker: bool = True) -> Instance:
    """Open (and migrate) the database, load or create the signing key, wire the service."""
    data_dir = settings.config.data_dir
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    store = open_store(database_url(database, data_dir))
    key = load_or_create_key(data_dir)
    ledger = Ledger(store, key, settings.hold.checkpoint_every)
    checker = LazyChecker(settings) if with_checker else None
    notifier = Notifier(settings.notify_urls)
    service = HoldService(store, ledger, settings, checker, notifier,
                          settings.public_url or base_url)
    return Instance(settings, store, ledger, service, notifier, data_dir,
                         public_hex(key))
