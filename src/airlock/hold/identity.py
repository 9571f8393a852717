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


def human_names(conn: Connection) -> list[str]:
    """Every human's name (who could approve what: see ``hold.service.eligible``)."""
    return [str(n) for n in conn.execute(select(humans.c.username)
                                         .order_by(humans.c.username)).scalars()]


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


CHANNELS = ("web", "cli")


def _failure_key(username: str, via: str, password_ok: bool) -> str:
    """What a failed login is counted under (``login_failures.username``). Only failures
    that presented the right password count towards the limit, per channel: ``alice``
    (the web, every address together), ``cli/alice`` (the CLI on the server's host);
    the rest are kept as ``pw/alice``. ``/`` is not allowed in a user name, so the keys
    never collide with one."""
    if not password_ok:
        return f"pw/{username}"[:64]
    return username[:64] if via == "web" else f"cli/{username}"[:64]


def authenticate(store: Store, ledger: Ledger, username: str, password: str, code: str,
                 max_failures: int = 5, window: float = 300.0, *, via: str = "cli",
                 source: str = "") -> Human:
    """Password and TOTP code. Raises :class:`AuthError`.

    The rate limit keys on what an attacker lacks, not on where it connects from (an agent
    on the same host can connect from any 127.0.0.0/8 address, and so can the human's
    browser): failed attempts that presented **the right password** are counted per user
    and channel (``via``: ``web`` — every address together — or ``cli``, the CLI on the
    server's host, which talks to the database directly). Once ``max_failures`` of them
    fall within ``window`` seconds, that user cannot sign in on that channel until they
    age out: nobody can try more than ``max_failures`` codes per window for one user,
    from any number of addresses. Attempts with a wrong password never lock anyone out:
    whoever does not hold alice's password cannot keep her from signing in (the answer
    is the same whether the password or the code was wrong, so it tells a guesser
    nothing). Failures on the web never block the CLI. ``source`` (the client address)
    goes into the ledger entry."""
    if via not in CHANNELS:
        raise ValueError(f"via must be one of {CHANNELS}")
    now = time.time()
    name = username[:64]
    with store.read() as conn:
        recent = conn.execute(select(func.count()).select_from(login_failures).where(
            login_failures.c.username == _failure_key(name, via, True),
            login_failures.c.at > now - window)).scalar_one()
        row = conn.execute(select(humans).where(humans.c.username == name)
                           ).mappings().first()
    # always the same work, whatever the outcome: the password hash, then the code
    ok_pw = check_password(password, row["password_hash"] if row is not None else _DUMMY_HASH)
    step = totp_step(row["totp_secret"], code, now) if row is not None else None
    password_ok = row is not None and ok_pw
    locked = recent >= max_failures
    reason = ""
    if row is not None and password_ok and step is not None:
        if locked:
            if step > int(row["last_totp_step"]):  # a fresh code, not spent: say why
                # the human herself: on the record, but not one more guess
                _record_failure(store, ledger, name, via, source, now, counted=False,
                                reason="locked: too many wrong codes", window=window)
                raise AuthError(
                    f"too many wrong authenticator codes for {name} in the last "
                    f"{int(window // 60) or 1} min, with the right password: someone else "
                    "may know it. Wait a few minutes"
                    + (", or use the CLI on the server's host." if via == "web" else "."))
            reason = "code reused"
        else:
            # a code counts once: it must be newer than the last one this human used, so
            # a code seen over a shoulder, in a terminal or a log cannot be replayed
            with store.write() as conn:
                moved = conn.execute(update(humans).where(
                    humans.c.id == row["id"], humans.c.last_totp_step < step
                ).values(last_totp_step=step)).rowcount
            if moved == 1:
                return Human(int(row["id"]), row["username"], bool(row["is_admin"]))
            reason = "code reused"
    _record_failure(store, ledger, name, via, source, now, counted=password_ok,
                    reason=reason, window=window)
    if reason:
        raise AuthError("this code was already used; wait for the next one")
    # the same words whether the password, the code or both were wrong, locked or not:
    # anything else would tell a guesser when a password was right
    raise AuthError("wrong username, password or code")


def _record_failure(store: Store, ledger: Ledger, name: str, via: str, source: str,
                    now: float, *, counted: bool, reason: str, window: float) -> None:
    with store.write() as conn:
        # the table only counts: rows older than the window (or a day) are dropped
        conn.execute(delete(login_failures).where(
            login_failures.c.at < now - max(window, 86400.0)))
        conn.execute(insert(login_failures).values(
            username=_failure_key(name, via, counted), at=now))
        ledger.append(conn, "login-failed", "anonymous",
                      payload={"username": name, "via": via,
                               **({"source": source[:100]} if source else {}),
                               **({"reason": reason} if reason else {})})


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


# ---- administering humans (airlock admin list / remove / reset-totp) -----------------

# A removed human whose approvals are on record keeps its row (they point at it) under
# this name, which no one can create or sign in with: no password, a TOTP secret no one
# has, not an admin. The ledger and the approvals keep the name it had.
REMOVED_PREFIX = "#removed-"


def list_humans(store: Store, ledger: Ledger, by: str) -> list[dict[str, object]]:
    """Every human (never a secret): name, admin or not, created when. Recorded."""
    with store.write() as conn:
        rows = conn.execute(select(humans.c.username, humans.c.is_admin, humans.c.created_at)
                            .where(~humans.c.username.startswith(REMOVED_PREFIX))
                            .order_by(humans.c.id)).mappings().all()
        ledger.append(conn, "humans-listed", by, payload={"count": len(rows)})
    return [{"username": r["username"], "admin": bool(r["is_admin"]),
             "created_at": float(r["created_at"])} for r in rows]


def _admin_row(conn: Connection, username: str) -> dict[str, object]:
    row = conn.execute(select(humans).where(humans.c.username == username)).mappings().first()
    if row is None or str(row["username"]).startswith(REMOVED_PREFIX):
        raise ValueError(f"no human named {username!r}")
    return dict(row)


def remove_human(store: Store, ledger: Ledger, username: str, by: str) -> None:
    """Remove a human: their sessions end and they can no longer sign in. The last admin
    is never removed (raises ValueError, as for an unknown name)."""
    from airlock.store.models import approvals

    with store.write() as conn:
        # appending first locks the ledger's head: two removals cannot both see
        # another admin left; a refusal below rolls the entry back with the rest
        row = _admin_row(conn, username)
        ledger.append(conn, "human-removed", by,
                      payload={"username": username, "admin": bool(row["is_admin"])})
        if row["is_admin"]:
            admins = conn.execute(select(func.count()).select_from(humans).where(
                humans.c.is_admin.is_(True),
                ~humans.c.username.startswith(REMOVED_PREFIX))).scalar_one()
            if admins <= 1:
                raise ValueError(f"{username} is the last admin: create another admin "
                                 "first (airlock admin create NAME --as "
                                 f"{username})")
        conn.execute(delete(human_sessions).where(human_sessions.c.human_id == row["id"]))
        referenced = conn.execute(select(func.count()).select_from(approvals).where(
            approvals.c.human_id == row["id"])).scalar_one()
        if referenced:
            conn.execute(update(humans).where(humans.c.id == row["id"]).values(
                username=f"{REMOVED_PREFIX}{row['id']}", password_hash="!removed",
                totp_secret=pyotp.random_base32(), is_admin=False))
        else:
            conn.execute(delete(humans).where(humans.c.id == row["id"]))


def reset_totp(store: Store, ledger: Ledger, username: str, by: str) -> str:
    """A new TOTP secret for a human (returned once, never shown again); the old one
    stops working and the human's web sessions end."""
    secret = pyotp.random_base32()
    with store.write() as conn:
        row = _admin_row(conn, username)
        conn.execute(update(humans).where(humans.c.id == row["id"]).values(
            totp_secret=secret, last_totp_step=0))
        conn.execute(delete(human_sessions).where(human_sessions.c.human_id == row["id"]))
        ledger.append(conn, "human-totp-reset", by, payload={"username": username})
    return secret


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
