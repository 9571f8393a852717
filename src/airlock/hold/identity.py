"""Principals: humans (password + TOTP, sessions) and agents (opaque, hashed tokens).

The two never mix: an agent token authenticates only agent routes, and everything that
turns the second key (approve, reject, abort) needs a :class:`Human`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import Connection, delete, func, insert, select, update

from airlock.ledger import Ledger
from airlock.store.db import Store
from airlock.store.models import agent_tokens, human_sessions, humans, login_failures

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
TOKEN_PREFIX = "alk_"


class AuthError(Exception):
    """Authentication failed; the message is safe to show (it never names the cause)."""


@dataclass(frozen=True)
class Human:
    id: int
    username: str
    is_admin: bool


@dataclass(frozen=True)
class AgentPrincipal:
    token_id: str
    agent: str
    scope: str | None
    owner: str | None


# ---- passwords -----------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                         p=int(p), dklen=len(digest) // 2)
    return hmac.compare_digest(got.hex(), digest)


_DUMMY_HASH = hash_password(secrets.token_hex(8))


# ---- humans --------------------------------------------------------------------------


def count_humans(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(humans)).scalar_one())


def create_human(store: Store, ledger: Ledger, username: str, password: str,
                 is_admin: bool = True, created_by: str = "bootstrap") -> str:
    """Create a human; returns the TOTP secret (shown once, never again)."""
    if not USERNAME_RE.match(username):
        raise ValueError("username: 1-64 letters, digits, _ . @ -")
    if len(password) < 10:
        raise ValueError("password: at least 10 characters")
    secret = pyotp.random_base32()
    with store.write() as conn:
        exists = conn.execute(select(humans.c.id).where(humans.c.username == username))
        if exists.first() is not None:
            raise ValueError(f"a human named {username!r} already exists")
        conn.execute(insert(humans).values(username=username,
                                           password_hash=hash_password(password),
                                           totp_secret=secret, is_admin=is_admin,
                                           last_totp_step=0, created_at=time.time()))
        ledger.append(conn, "human-created", created_by, payload={"username": username,
                                                                  "admin": is_admin})
    return secret


def otpauth_uri(username: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Airlock")


def authenticate(store: Store, ledger: Ledger, username: str, password: str, code: str,
                 max_failures: int = 5, window: float = 300.0) -> Human:
    """Password and TOTP code, rate limited per username. Raises :class:`AuthError`."""
    now = time.time()
    with store.read() as conn:
        recent = conn.execute(select(func.count()).select_from(login_failures).where(
            login_failures.c.username == username[:64],
            login_failures.c.at > now - window)).scalar_one()
        row = conn.execute(select(humans).where(humans.c.username == username[:64])
                           ).mappings().first()
    if recent >= max_failures:
        raise AuthError("too many failed logins for this user; wait a few minutes")
    ok_pw = check_password(password, row["password_hash"] if row is not None else _DUMMY_HASH)
    step = totp_step(row["totp_secret"], code, now) if row is not None else None
    reused = False
    if row is not None and ok_pw and step is not None:
        # a code counts once: it must be newer than the last one this human used, so a
        # code seen over a shoulder, in a terminal or a log cannot be replayed
        with store.write() as conn:
            moved = conn.execute(update(humans).where(
                humans.c.id == row["id"], humans.c.last_totp_step < step
            ).values(last_totp_step=step)).rowcount
        if moved == 1:
            return Human(int(row["id"]), row["username"], bool(row["is_admin"]))
        reused = True
    with store.write() as conn:
        conn.execute(insert(login_failures).values(username=username[:64], at=now))
        ledger.append(conn, "login-failed", "anonymous",
                      payload={"username": username[:64],
                               **({"reason": "code reused"} if reused else {})})
    raise AuthError("this code was already used; wait for the next one" if reused else
                    "wrong username, password or code")


def totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is (the current one or either neighbour, for
    clock drift), or None."""
    totp = pyotp.TOTP(secret)
    code = code.strip()
    if len(code) != totp.digits or not code.isdigit():
        return None
    base = int(now // totp.interval)
    for step in (base - 1, base, base + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# ---- sessions (web UI) ---------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_session(store: Store, human: Human, ttl: float) -> tuple[str, str]:
    """A new session for ``human``: (cookie value, CSRF token). Only the hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = time.time()
    with store.write() as conn:
        conn.execute(delete(human_sessions).where(human_sessions.c.expires_at < now))
        conn.execute(insert(human_sessions).values(id_hash=_sha(token), human_id=human.id,
                                                   csrf=csrf, created_at=now,
                                                   expires_at=now + ttl))
    return token, csrf


def session_human(store: Store, token: str) -> tuple[Human, str] | None:
    """The human and CSRF token of a live session, or None."""
    if not token:
        return None
    with store.read() as conn:
        row = conn.execute(
            select(humans.c.id, humans.c.username, humans.c.is_admin, human_sessions.c.csrf,
                   human_sessions.c.expires_at)
            .join(humans, humans.c.id == human_sessions.c.human_id)
            .where(human_sessions.c.id_hash == _sha(token))).mappings().first()
    if row is None or row["expires_at"] < time.time():
        return None
    return Human(int(row["id"]), row["username"], bool(row["is_admin"])), row["csrf"]


def end_session(store: Store, token: str) -> None:
    with store.write() as conn:
        conn.execute(delete(human_sessions).where(human_sessions.c.id_hash == _sha(token)))


# ---- agent tokens --------------------------------------------------------------------

_TTL_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def parse_ttl(text: str) -> float:
    m = _TTL_RE.match(text.strip())
    if not m:
        raise ValueError(f"bad duration {text!r}: use e.g. 90s, 30m, 8h, 2d")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def issue_token(store: Store, ledger: Ledger, agent: str, scope: str | None, ttl: float,
                owner: str | None = None, issued_by: str = "cli") -> tuple[str, str]:
    """A new agent token: (token id, the token itself — shown once, stored as a hash)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(6)
    now = time.time()
    with store.write() as conn:
        conn.execute(insert(agent_tokens).values(id=token_id, token_hash=_sha(token),
                                                 agent=agent, scope=scope, owner=owner,
                                                 created_at=now, expires_at=now + ttl,
                                                 revoked=False))
        ledger.append(conn, "token-issued", issued_by,
                      payload={"token_id": token_id, "agent": agent, "scope": scope,
                               "owner": owner, "expires_at": now + ttl})
    return token_id, token


def agent_for_token(store: Store, token: str) -> AgentPrincipal | None:
    """The agent a bearer token stands for, or None (unknown, expired or revoked)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = time.time()
    with store.read() as conn:
        row = conn.execute(select(agent_tokens).where(
            agent_tokens.c.token_hash == _sha(token))).mappings().first()
        link, depth = row, 0
        while link is not None and link["parent_id"] and depth < 8:  # attenuated: ancestors
            link = conn.execute(select(agent_tokens).where(
                agent_tokens.c.id == link["parent_id"])).mappings().first()
            if link is None or link["revoked"] or link["expires_at"] < now:
                return None
            depth += 1
    if row is None or row["revoked"] or row["expires_at"] < now:
        return None
    return AgentPrincipal(row["id"], row["agent"], row["scope"], row["owner"])


def is_agent_token(store: Store, token: str) -> bool:
    return agent_for_token(store, token) is not None
