"""The hash-chained, signed ledger: verification catches every kind of tampering."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, update

from airlock.ledger import Ledger, load_or_create_key, public_hex, verify
from airlock.store.db import open_store
from airlock.store.models import ledger as ledger_table
from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture


def _ledger(tmp_path: Path, every: int = 10) -> tuple[Ledger, str]:
    store = open_store(f"sqlite:///{tmp_path}/l.db")
    key = load_or_create_key(str(tmp_path))
    led = Ledger(store, key, every)
    for i in range(25):
        with store.write() as conn:
            led.append(conn, "submitted", "bot", f"r{i}", {"i": i})
    return led, public_hex(key)


def test_intact_chain_with_checkpoints_verifies(tmp_path: Path) -> None:
    led, pub = _ledger(tmp_path)
    led.checkpoint()
    result = verify(led.store, [pub])
    assert result.ok, result.errors
    assert (result.entries, result.checkpoints, result.last_signed_seq) == (25, 3, 25)


def test_key_is_created_once_and_reused(tmp_path: Path) -> None:
    first = public_hex(load_or_create_key(str(tmp_path)))
    assert public_hex(load_or_create_key(str(tmp_path))) == first
    assert (tmp_path / "ledger-ed25519.pem").stat().st_mode & 0o077 == 0


def test_edited_payload_is_detected(tmp_path: Path) -> None:
    led, pub = _ledger(tmp_path)
    with led.store.write() as conn:
        conn.execute(update(ledger_table).where(ledger_table.c.seq == 7)
                     .values(payload='{"i":700}'))
    assert any("entry 7" in e for e in verify(led.store, [pub]).errors)


def test_deleted_entry_is_detected(tmp_path: Path) -> None:
    led, pub = _ledger(tmp_path)
    with led.store.write() as conn:
        conn.execute(delete(ledger_table).where(ledger_table.c.seq == 12))
    assert not verify(led.store, [pub]).ok


def test_rewritten_chain_signed_by_another_key_is_untrusted(tmp_path: Path) -> None:
    led, _ = _ledger(tmp_path)
    forger = Ed25519PrivateKey.generate()
    forged = Ledger(led.store, forger, 1)
    with led.store.write() as conn:
        forged.append(conn, "approved", "mallory", "r1")
    result = verify(led.store, [public_hex(led.key)])  # type: ignore[arg-type]
    assert any("untrusted key" in e for e in result.errors)


def test_concurrent_appends_on_sqlite_never_fork(tmp_path: Path) -> None:
    led, pub = _ledger(tmp_path, every=7)

    def append(i: int) -> None:
        with led.store.write() as conn:
            led.append(conn, "decided", "airlock", None, {"n": i})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(append, range(200)))
    result = verify(led.store, [pub])
    assert result.ok, result.errors
    assert result.entries == 225


def test_a_batch_appends_in_order_and_signs_every_checkpoint_it_crosses(
        tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/l.db")
    key = load_or_create_key(str(tmp_path))
    led = Ledger(store, key, 10)
    with store.write() as conn:
        last = led.append_many(conn, [("forwarded", "airlock", None, {"i": i}, None)
                                      for i in range(25)])
    assert last == 25
    result = verify(store, [public_hex(key)])
    assert result.ok, result.errors
    assert (result.entries, result.checkpoints) == (25, 2)  # seq 10 and 20


def test_a_batch_on_postgresql_chains_like_single_appends(
        postgres_url: str) -> None:  # noqa: F811
    import uuid

    import psycopg

    name = "ledger_" + uuid.uuid4().hex[:8]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = open_store(postgres_url.rsplit("/", 1)[0] + "/" + name)
    key = Ed25519PrivateKey.generate()
    led = Ledger(store, key, 4)
    try:
        with store.write() as conn:
            led.append(conn, "submitted", "bot", "r1", {"n": 0})
            led.append_many(conn, [("decided", "airlock", "r1", {"n": i}, None)
                                   for i in range(1, 9)])
        result = verify(store, [public_hex(key)])
        assert result.ok, result.errors
        assert (result.entries, result.checkpoints) == (9, 2)
    finally:
        store.close()
