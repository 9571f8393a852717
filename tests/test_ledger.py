"""The hash-chained, signed ledger: verification catches every kind of tampering."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from airlock.hold import settings as hold_settings
from airlock.instance import Instance, build
from airlock.ledger import Ledger, load_or_create_key, public_hex, verify
from airlock.store.db import Store, open_store
from airlock.store.models import checkpoints, ledger_head, requests
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


# ---- approvals signed at their own entry; the requests table checked against them --------


def _request(store: Store, rid: str, state: str, **cols: Any) -> None:
    now = time.time()
    values: dict[str, Any] = dict(
        id=rid, agent="bot", owner=None, token_id=None, fingerprint="f" * 64,
        action_json="{}", decision_json="{}", state=state, confirm_name="db",
        environment="production", required_approvers=1, cooldown_seconds=0.0,
        created_at=now, updated_at=now, pending_until=now + 60, cooldown_until=now,
        expires_at=now + 60, claimed_at=None, ended_by=None)
    values.update(cols)
    with store.write() as conn:
        conn.execute(insert(requests).values(**values))


def test_append_signed_signs_its_own_entry_also_where_a_checkpoint_falls(
        tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/l.db")
    key = load_or_create_key(str(tmp_path))
    led = Ledger(store, key, 5)
    with store.write() as conn:
        for _ in range(3):
            led.append(conn, "submitted", "bot", "r1")
        seq, digest = led.append_signed(conn, "approved", "alice", "r1", {"n": 1})
        assert seq == 4
        for _ in range(5):
            led.append(conn, "submitted", "bot", "r2")
        assert led.append_signed(conn, "approved", "alice", "r2")[0] == 10  # also periodic
    with store.read() as conn:
        signed = dict(conn.execute(select(checkpoints.c.seq, checkpoints.c.hash)).all())
    assert signed == {4: digest, 5: signed[5], 10: signed[10]}
    result = verify(store, [public_hex(key)])
    assert result.ok, result.errors


def test_checkpoint_never_signs_an_approval_airlock_did_not_sign_itself(
        tmp_path: Path) -> None:
    led, _ = _ledger(tmp_path)
    with led.store.write() as conn:  # valid hashes, head moved: but not append_signed
        forged = led.append(conn, "approved", "mallory", "r1", {"agent": "bot"})
    assert led.checkpoint() is None
    with led.store.read() as conn:
        assert conn.execute(select(checkpoints).where(checkpoints.c.seq == forged)
                            ).first() is None
    with led.store.write() as conn:
        after = led.append(conn, "server-started", "airlock")
    assert led.checkpoint() == after


def test_the_head_a_crash_left_unsigned_is_signed_when_the_server_starts(
        tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from airlock.server.app import create_app

    ctx = _context(tmp_path)
    try:
        with ctx.store.write() as conn:  # entries, then kill -9: no shutdown checkpoint
            for i in range(3):
                ctx.ledger.append(conn, "submitted", "bot", f"r{i}")
        with TestClient(create_app(ctx)), ctx.store.read() as conn:
            head = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one()
            cp = conn.execute(select(checkpoints.c.hash).where(checkpoints.c.seq == head[0])
                              ).scalar_one_or_none()
            kind = conn.execute(select(ledger_table.c.kind)
                                .where(ledger_table.c.seq == head[0])).scalar_one()
        assert kind == "server-started" and cp == head[1]
    finally:
        ctx.store.close()


def test_ledger_verify_names_a_request_row_the_signed_ledger_does_not_back(
        tmp_path: Path) -> None:
    from click.testing import CliRunner

    from airlock.cli.ledger import ledger_verify

    ctx = _context(tmp_path)
    try:
        _request(ctx.store, "abc", "ready")
        result = verify(ctx.store, [ctx.public_key])
        assert result.errors == ["request abc: state ready but no signed approval in the "
                                 "ledger"]
        run = CliRunner().invoke(ledger_verify, ["--config", str(tmp_path / "airlock.toml")])
        assert run.exit_code == 1, run.output
        assert "request abc: state ready but no signed approval in the ledger" in run.output
    finally:
        ctx.store.close()


def test_verify_checks_executed_rows_and_honours_approvals_from_before_signing(
        tmp_path: Path) -> None:
    led, pub = _ledger(tmp_path)
    now = time.time()
    deadlines = {"cooldown_until": now, "expires_at": now + 60}
    # an approval recorded before approvals were signed at their own entry, then run
    _request(led.store, "old", "executed", **deadlines)
    with led.store.write() as conn:
        led.append(conn, "approved", "alice", "old", {"approvers": ["alice"], **deadlines})
        led.append(conn, "execution-claimed", "bot", "old", {"fingerprint": "f" * 64})
    led.checkpoint()
    assert verify(led.store, [pub]).errors == []
    # the same kind of approval for an open row: it will never be honoured
    _request(led.store, "open", "ready", **deadlines)
    with led.store.write() as conn:
        led.append(conn, "approved", "alice", "open", {"approvers": ["alice"], **deadlines})
    led.checkpoint()
    # a signed approval, but the row says executed and nothing claimed it
    _request(led.store, "new", "executed", **deadlines)
    with led.store.write() as conn:
        led.append_signed(conn, "approved", "alice", "new",
                          {"fingerprint": "f" * 64, "agent": "bot", "approvers": ["alice"],
                           "required_approvers": 1, **deadlines})
    errors = verify(led.store, [pub]).errors
    assert [e.split(" but ")[0] for e in errors] == ["request open: state ready",
                                                      "request new: state executed"]
    assert "no execution-claimed entry" in errors[1]


def _context(tmp_path: Path) -> Instance:
    cfg = tmp_path / "airlock.toml"
    cfg.write_text(f'[airlock]\ndata_dir = "{tmp_path}"\n')
    return build(hold_settings.load(str(cfg), str(tmp_path)), None, "http://127.0.0.1:1")
