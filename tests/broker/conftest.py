from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airlock.ledger import Ledger, load_or_create_key
from airlock.store.db import open_store


class Env:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = open_store(f"sqlite:///{home}/airlock.db")
        self.ledger = Ledger(self.store, load_or_create_key(str(home)))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.store.close()
