"""Signing in: a TOTP code counts once, on a real SQLite store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from airlock.hold.identity import AuthError, authenticate, create_human, totp_step
from airlock.ledger import Ledger, entries, load_or_create_key
from airlock.store.db import Store, open_store

PASSWORD = "correct horse battery"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[Store, Ledger, str]]:
    store = open_store(f"sqlite:///{tmp_path}/airlock.db")
    ledger = Ledger(store, load_or_create_key(str(tmp_path)))
    secret = create_human(store, ledger, "alice", PASSWORD)
    yield store, ledger, secret
    store.close()


def _code(secret: str, offset: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time() // totp.interval) + offset)


def test_a_code_signs_in_once_and_its_replay_is_refused_and_recorded(
        env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    code = _code(secret)
    assert authenticate(store, ledger, "alice", PASSWORD, code).username == "alice"
    with pytest.raises(AuthError, match="already used"):
        authenticate(store, ledger, "alice", PASSWORD, code)
    failed = [e for e in entries(store) if e["kind"] == "login-failed"]
    assert failed and "code reused" in failed[-1]["payload"]


def test_an_older_code_after_a_newer_one_is_refused(env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    authenticate(store, ledger, "alice", PASSWORD, _code(secret, +1))
    for offset in (0, -1):
        with pytest.raises(AuthError, match="already used"):
            authenticate(store, ledger, "alice", PASSWORD, _code(secret, offset))


def test_the_next_code_still_works(env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    authenticate(store, ledger, "alice", PASSWORD, _code(secret, -1))
    authenticate(store, ledger, "alice", PASSWORD, _code(secret, 0))
    authenticate(store, ledger, "alice", PASSWORD, _code(secret, +1))


def test_a_wrong_password_does_not_spend_the_code(env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    code = _code(secret)
    with pytest.raises(AuthError, match="wrong username, password or code"):
        authenticate(store, ledger, "alice", "not the password", code)
    assert authenticate(store, ledger, "alice", PASSWORD, code).username == "alice"


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", " 12 34 "])
def test_malformed_codes_match_no_step(code: str) -> None:
    assert totp_step(pyotp.random_base32(), code, time.time()) is None


def test_codes_two_steps_away_match_nothing() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = time.time()
    base = int(now // totp.interval)
    assert totp_step(secret, totp.generate_otp(base + 1), now) == base + 1
    far = totp.generate_otp(base + 2)
    if far not in {totp.generate_otp(base + d) for d in (-1, 0, 1)}:  # a chance collision
        assert totp_step(secret, far, now) is None
