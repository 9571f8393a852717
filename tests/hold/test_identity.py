"""Signing in: a TOTP code counts once, on a real SQLite store."""

from __future__ import annotations

import json
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


# ---- the rate limit (issue 12): keyed on the password an agent lacks ------------------


def _wrong(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    base = int(time.time() // totp.interval)
    valid = {totp.generate_otp(base + d) for d in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test_wrong_passwords_never_lock_out_a_human_with_password_and_fresh_code(
        env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    for n in range(12):
        with pytest.raises(AuthError, match=r"^wrong username, password or code$"):
            authenticate(store, ledger, "alice", f"guess {n}", _wrong(secret), via="web",
                         source="127.0.0.1")
    assert authenticate(store, ledger, "alice", PASSWORD, _code(secret), via="web",
                        source="127.0.0.1").username == "alice"


def test_wrong_codes_lock_the_web_for_that_user_but_not_the_cli(
        env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    for n in range(5):
        with pytest.raises(AuthError, match=r"^wrong username, password or code$"):
            authenticate(store, ledger, "alice", PASSWORD, _wrong(secret), via="web",
                         source=f"10.0.0.{n}")
    code = _code(secret)
    with pytest.raises(AuthError, match="too many wrong authenticator codes"):
        authenticate(store, ledger, "alice", PASSWORD, code, via="web", source="10.0.0.9")
    # a wrong guess still reads as any wrong guess: a guesser learns nothing from the lock
    with pytest.raises(AuthError, match=r"^wrong username, password or code$"):
        authenticate(store, ledger, "alice", "not it", code, via="web", source="10.0.0.9")
    with pytest.raises(AuthError, match=r"^wrong username, password or code$"):
        authenticate(store, ledger, "alice", PASSWORD, _wrong(secret), via="web")
    # the refused code was not spent: alice uses it on the server's host
    assert authenticate(store, ledger, "alice", PASSWORD, code, via="cli").username == "alice"


def test_wrong_codes_on_the_cli_lock_the_cli_only(env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(store, ledger, "alice", PASSWORD, _wrong(secret))
    with pytest.raises(AuthError, match="too many wrong authenticator codes"):
        authenticate(store, ledger, "alice", PASSWORD, _code(secret))
    assert authenticate(store, ledger, "alice", PASSWORD, _code(secret), via="web",
                        source="127.0.0.1").username == "alice"


def test_the_limit_ages_out(env: tuple[Store, Ledger, str]) -> None:
    store, ledger, secret = env
    for _ in range(2):
        with pytest.raises(AuthError):
            authenticate(store, ledger, "alice", PASSWORD, _wrong(secret), 2, 0.5)
    with pytest.raises(AuthError, match="too many"):
        authenticate(store, ledger, "alice", PASSWORD, _code(secret), 2, 0.5)
    time.sleep(0.6)
    assert authenticate(store, ledger, "alice", PASSWORD, _code(secret), 2, 0.5)


def test_failed_logins_are_recorded_with_channel_and_address(
        env: tuple[Store, Ledger, str]) -> None:
    store, ledger, _secret = env
    with pytest.raises(AuthError):
        authenticate(store, ledger, "alice", "nope", "123456", via="web", source="192.0.2.7")
    with pytest.raises(AuthError):
        authenticate(store, ledger, "alice", "nope", "123456")
    failed = [json.loads(e["payload"]) for e in entries(store) if e["kind"] == "login-failed"]
    assert failed == [{"username": "alice", "via": "web", "source": "192.0.2.7"},
                      {"username": "alice", "via": "cli"}]
