"""The protect stage's steps that happen outside the hold service, on the record: ``airlock
undo`` (``undone``) and a delete Airlock performed as a quarantine (``quarantined``, from
``airlock exec`` and the MCP server's ``run_sql``) are appended to the signed ledger of the
Airlock that owns the data dir, each with its request id, what, and where.

The ledger is the one ``airlock serve`` keeps (its SQLite file in the data dir, or the
database of ``--database`` / ``AIRLOCK_DATABASE_URL``). When there is none yet (nothing was
ever served from this data dir) no database is created just for this: the step is done,
the protect journal (``<data_dir>/protect/requests/``) keeps it, and the caller is told it
is not in the ledger.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from airlock.store.db import Store


class Recorder:
    """Appends protect steps to one ledger; :meth:`open` finds it."""

    def __init__(self, store: Store, ledger: Any) -> None:
        self.store = store
        self.ledger = ledger

    @classmethod
    def open(cls, data_dir: str, config_path: str | None = None,
             database: str | None = None) -> tuple[Recorder | None, str]:
        """(the recorder, "") or (None, why the steps cannot be recorded)."""
        from airlock.ledger import Ledger, load_or_create_key
        from airlock.store.db import database_url, open_store, redact

        url = database_url(database, data_dir)
        if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
            return None, (f"no ledger at {url[len('sqlite:///'):]} (airlock serve never ran "
                          "with this data dir)")
        every = 100
        try:
            from airlock.hold.settings import load

            every = load(config_path, os.getcwd()).hold.checkpoint_every
        except Exception:  # noqa: BLE001 - the signing interval only; the default is fine
            pass
        try:
            store = open_store(url)
            ledger = Ledger(store, load_or_create_key(data_dir), every)
        except Exception as exc:  # noqa: BLE001 - reported: the step is not recorded
            return None, f"the ledger at {redact(url)} cannot be opened: {exc}"
        return cls(store, ledger), ""

    def append(self, kind: str, request: str, payload: dict[str, Any],
               actor: str | None = None) -> None:
        with self.store.write() as conn:
            self.ledger.append(conn, kind, actor or who(), request, payload)

    def close(self) -> None:
        self.store.close()


def who() -> str:
    """The OS user running this (the actor of an unauthenticated CLI step)."""
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no passwd entry: the uid says it
        return f"os:uid {os.geteuid()}"
