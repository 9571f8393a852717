"""Airlock's SQLite store is private to its owner, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

from airlock.store.db import open_store


def test_a_new_store_is_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'airlock.db'}")
        with store.write() as conn:
            conn.exec_driver_sql("SELECT 1")
        store.close()
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))


def test_an_existing_store_open_to_others_is_closed(tmp_path: Path) -> None:
    db = tmp_path / "airlock.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    open_store(f"sqlite:///{db}").close()
    assert db.stat().st_mode & 0o077 == 0
