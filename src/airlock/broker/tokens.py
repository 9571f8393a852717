"""Scoped agent tokens: environment × resource pattern × verb, expiring, revocable.

The scheme is *opaque tokens stored hashed, with server-side attenuation* (see
``docs/tokens.md`` for why not Biscuit or macaroons). A token is ``alk_`` + 32 random
bytes; only its sha256 is stored, in ``agent_tokens`` beside:

- ``scope``  the one environment it may touch (``None``: not confined by the token);
- ``allow``  a JSON list of grant patterns ``PROVIDER:KIND.VERB`` (globs), e.g.
  ``railway:domain.*``, ``railway:*.read``, ``railway:volume.volumeDelete``. ``VERB``
  matches the operation's name, or is a risk class (``read``, ``write``, ``destructive``,
  ``catastrophic``) that covers that class and the ones below it. ``NULL``: no API grants;
- ``parent_id`` the token it was attenuated from.

Attenuation works like a macaroon's caveats: a child token is checked against its own
grants *and every ancestor's*, its expiry is the earliest in the chain, and revoking or
expiring an ancestor kills it. So whatever the holder writes into the child, it can never
do more than its parent.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from airlock.action import Risk
from airlock.hold.identity import TOKEN_PREFIX, AgentPrincipal
from airlock.ledger import Ledger
from airlock.store.db import Store
from airlock.store.models import agent_tokens

PATTERN_RE = re.compile(r"^[A-Za-z0-9_*?\-]+:[A-Za-z0-9_*?\-]+\.[A-Za-z0-9_*?\-]+$")
RISKS = {r.label: r for r in Risk}
MAX_CHAIN = 8
CACHE_TTL = 1.0  # a revocation reaches a running server within this (docs/tokens.md)
_CACHE_MAX = 4096
_cache: dict[tuple[int, str], tuple[float, TokenPrincipal]] = {}
_cache_lock = threading.Lock()


class TokenError(ValueError):
    """A token operation that is not allowed; the message says why."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_pattern(pattern: str) -> str:
    p = pattern.strip()
    if p == "*":
        return "*:*.*"
    if not PATTERN_RE.match(p):
        raise TokenError(f"bad grant pattern {pattern!r}: use PROVIDER:KIND.VERB, e.g. "
                         "railway:domain.*, railway:*.read, railway:volume.volumeDelete")
    return p


def pattern_matches(pattern: str, provider: str, kind: str, op: str, risk: Risk) -> bool:
    prov, _, rest = pattern.partition(":")
    pkind, _, verb = rest.partition(".")
    if not fnmatch.fnmatchcase(provider, prov) or not fnmatch.fnmatchcase(kind, pkind):
        return False
    if verb in RISKS:
        return risk <= RISKS[verb]
    return fnmatch.fnmatchcase(op, verb)


@dataclass(frozen=True)
class Grant:
    """One link of a token chain: what that token allows."""

    token_id: str
    scope: str | None
    allow: tuple[str, ...] | None
    expires_at: float

    def describe(self) -> str:
        what = ", ".join(self.allow) if self.allow else "no API calls"
        return f"{what} in {self.scope or 'any environment'}"


@dataclass(frozen=True)
class TokenPrincipal:
    """An agent as a token proves it, with the whole attenuation chain (self first)."""

    agent: AgentPrincipal
    chain: tuple[Grant, ...] = field(default=())

    @property
    def token_id(self) -> str:
        return self.agent.token_id

    @property
    def scope(self) -> str | None:
        return self.agent.scope

    @functools.cached_property
    def expires_at(self) -> float:
        return min(g.expires_at for g in self.chain)

    def permits(self, provider: str, kind: str, op: str, risk: Risk, env: str | None,
                has_id: bool) -> str | None:
        """None when every link of the chain allows it, else the plain reason why not."""
        for g in self.chain:
            why = []
            if g.scope and has_id and env != g.scope:
                why.append(f"this token is scoped to {g.scope}; {kind} is in "
                           f"{env or 'an unknown environment'}")
            if not g.allow:
                why.append(f"token {g.token_id} carries no API grants (issue one with "
                           "--allow PROVIDER:KIND.VERB)")
            elif not any(pattern_matches(p, provider, kind, op, risk) for p in g.allow):
                why.append(f"token {g.token_id} allows {', '.join(g.allow)}; "
                           f"{provider}:{kind}.{op} ({risk.label}) is outside it")
            if why:
                return "; ".join(why)
        return None

    @property
    def confined(self) -> bool:
        """Some link of the chain carries ``--allow`` grants: they bind on /v1/actions."""
        return any(g.allow for g in self.chain)

    def permits_target(self, provider: str, kind: str, op: str, risk: Risk) -> str | None:
        """The grant check of ``POST /v1/actions``: every link that carries grants must
        cover the target (a link without ``--allow`` does not confine actions; the scope
        binds there through the action's scope and the policy, as before)."""
        for g in self.chain:
            if g.allow and not any(pattern_matches(p, provider, kind, op, risk)
                                   for p in g.allow):
                return (f"token {g.token_id} allows {', '.join(g.allow)}; "
                        f"{provider}:{kind}.{op} ({risk.label}) is outside it")
        return None


# ---- what a chain allows, as one list (for people: the checks walk the chain) ---------

_INCOMPARABLE = object()  # two globs whose overlap is no single glob


def _meet_glob(a: str, b: str) -> str | object | None:
    """The overlap of two globs: one of them, None when it is empty, or _INCOMPARABLE."""
    if a == b or b == "*":
        return a
    if a == "*":
        return b
    a_glob, b_glob = any(c in a for c in "*?"), any(c in b for c in "*?")
    if not a_glob and not b_glob:
        return None
    if not a_glob:
        return a if fnmatch.fnmatchcase(a, b) else None
    if not b_glob:
        return b if fnmatch.fnmatchcase(b, a) else None
    return _INCOMPARABLE


def _meet_verb(a: str, b: str) -> str | object | None:
    if a in RISKS and b in RISKS:
        return a if RISKS[a] <= RISKS[b] else b
    if a in RISKS or b in RISKS:  # a risk class and an operation: only "*" is simple
        if a == "*" or b == "*":
            return b if a == "*" else a
        return _INCOMPARABLE
    return _meet_glob(a, b)


def _meet(a: str, b: str) -> str | object | None:
    """The grant both patterns allow: a pattern, None (nothing), or _INCOMPARABLE."""
    (ap, _, ar), (bp, _, br) = a.partition(":"), b.partition(":")
    (ak, _, av), (bk, _, bv) = ar.partition("."), br.partition(".")
    parts = (_meet_glob(ap, bp), _meet_glob(ak, bk), _meet_verb(av, bv))
    if any(p is None for p in parts):
        return None
    if any(p is _INCOMPARABLE for p in parts):
        return _INCOMPARABLE
    return f"{parts[0]}:{parts[1]}.{parts[2]}"


def _narrow(conj: tuple[str, ...], pattern: str) -> tuple[str, ...] | None:
    """``conj`` (patterns that must all match) and ``pattern`` too; None when empty."""
    out: list[str] = []
    absorbed = False
    for q in conj:
        m = _meet(q, pattern)
        if m is None:
            return None
        if isinstance(m, str):
            absorbed = True
            q = m
        if q not in out:
            out.append(q)
    if not absorbed:
        out.append(pattern)
    return tuple(out)


def effective_allow(chain: tuple[Grant, ...]) -> tuple[str, ...] | None:
    """What a chain of grants lets through, as one list: each entry a pattern, or
    patterns joined with `` ∩ `` that must all match (when their overlap is no single
    pattern, e.g. ``railway:volume.volumeDelete ∩ railway:*.read``). Links without
    grants are skipped (on ``/v1/actions`` they do not confine); None when no link has
    any. Never wider than any link: a child that asks for more shows what it really
    gets."""
    links = [g.allow for g in reversed(chain) if g.allow]
    if not links:
        return None
    conjs: list[tuple[str, ...]] = [(p,) for p in links[0]]
    for allow in links[1:]:
        narrowed: list[tuple[str, ...]] = []
        for conj in conjs:
            for p in allow:
                c = _narrow(conj, p)
                if c is not None and c not in narrowed:
                    narrowed.append(c)
        conjs = narrowed
    return tuple(" ∩ ".join(c) for c in conjs)


def effective_scope(chain: tuple[Grant, ...]) -> str | None:
    """The environment the chain confines to (a child keeps its parent's)."""
    return next((g.scope for g in chain if g.scope), None)


def describe(principal: TokenPrincipal) -> str:
    """One line for people: the effective scope, grants and expiry of a token."""
    chain = principal.chain
    allow = effective_allow(chain)
    scope = effective_scope(chain)
    if allow is None:
        grants = "no API grants"
    elif not allow:
        grants = "allow nothing (its grants and its parent's do not overlap)"
    else:
        grants = "allow " + ", ".join(allow)
        if not all(g.allow for g in chain):
            grants += (" (on /v1/actions; no API calls through the proxy: a token in its "
                       "chain carries no grants)")
    left = principal.expires_at - time.time()
    return (f"scope {scope or 'any environment'}, {grants}, expires in "
            f"{_duration(left)}")


def _duration(seconds: float) -> str:
    if seconds <= 0:
        return "0s (expired)"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def issue(store: Store, ledger: Ledger, agent: str, scope: str | None, allow: list[str],
          ttl: float, owner: str | None = None, issued_by: str = "cli",
          parent_id: str | None = None) -> tuple[str, str]:
    """A new token: (token id, the token — shown once; only its hash is stored)."""
    if ttl <= 0:
        raise TokenError("ttl must be positive")
    patterns = [check_pattern(p) for p in allow]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(6)
    now = time.time()
    with store.write() as conn:
        conn.execute(insert(agent_tokens).values(
            id=token_id, token_hash=_sha(token), agent=agent, scope=scope, owner=owner,
            created_at=now, expires_at=now + ttl, revoked=False,
            allow=json.dumps(patterns) if patterns else None, parent_id=parent_id))
        ledger.append(conn, "token-issued", issued_by,
                      payload={"token_id": token_id, "agent": agent, "scope": scope,
                               "allow": patterns, "owner": owner, "parent": parent_id,
                               "expires_at": now + ttl})
    return token_id, token


def _grant(row: Any) -> Grant:
    allow = tuple(json.loads(row["allow"])) if row["allow"] else None
    return Grant(row["id"], row["scope"], allow, float(row["expires_at"]))


def lookup(store: Store, token: str, now: float | None = None) -> TokenPrincipal | None:
    """The principal a bearer token stands for, or None (unknown, tampered, expired,
    revoked — or any ancestor expired or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = time.time() if now is None else now
    with store.read() as conn:
        row = conn.execute(select(agent_tokens).where(
            agent_tokens.c.token_hash == _sha(token))).mappings().first()
        if row is None:
            return None
        first = row
        chain: list[Grant] = []
        while row is not None and len(chain) < MAX_CHAIN:
            if row["revoked"] or row["expires_at"] < now:
                return None
            chain.append(_grant(row))
            if not row["parent_id"]:
                break
            row = conn.execute(select(agent_tokens).where(
                agent_tokens.c.id == row["parent_id"])).mappings().first()
            if row is None:
                return None
        else:
            return None
    principal = AgentPrincipal(first["id"], first["agent"], first["scope"], first["owner"])
    return TokenPrincipal(principal, tuple(chain))


_digests: dict[str, str] = {}  # token → its sha256 (the proxy hashes it on every call)


def cached(store: Store, token: str) -> TokenPrincipal | None:
    """The principal of a token looked up less than :data:`CACHE_TTL` ago, or None —
    memory only, no I/O (so the proxy can ask on its event loop)."""
    digest = _digests.get(token)
    if digest is None:
        if len(_digests) >= _CACHE_MAX:
            _digests.clear()
        digest = _digests[token] = _sha(token)
    hit = _cache.get((id(store), digest))
    if hit is None or hit[0] < time.monotonic() or hit[1].expires_at < time.time():
        return None
    return hit[1]


def lookup_cached(store: Store, token: str) -> TokenPrincipal | None:
    """:func:`lookup` behind a short in-process cache of live tokens. A token revoked
    (or an ancestor revoked) elsewhere stops working here within :data:`CACHE_TTL`; one
    revoked through this process, at once. Expiry is exact. Failures are not cached."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    hit = cached(store, token)
    if hit is not None:
        return hit
    found = lookup(store, token)
    if found is not None:
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[(id(store), _sha(token))] = (time.monotonic() + CACHE_TTL, found)
    return found


def forget() -> None:
    """Drop every cached token (after a revocation in this process)."""
    with _cache_lock:
        _cache.clear()


def attenuate(store: Store, ledger: Ledger, token: str, allow: list[str] | None = None,
              scope: str | None = None, ttl: float | None = None) -> tuple[str, str]:
    """A narrower child of ``token``, asked for by its holder. The child can only narrow:
    it is checked against the parent's grants as well as its own."""
    parent = lookup(store, token)
    if parent is None:
        raise TokenError("the token is not valid (unknown, expired or revoked)")
    if parent.scope and scope and scope != parent.scope:
        raise TokenError(f"cannot widen: the token is scoped to {parent.scope}")
    remaining = parent.expires_at - time.time()
    life = remaining if ttl is None else min(ttl, remaining)
    own = list(parent.chain[0].allow or ()) if allow is None else allow
    return issue(store, ledger, parent.agent.agent, scope or parent.scope, own, life,
                 parent.agent.owner, issued_by=parent.agent.agent,
                 parent_id=parent.token_id)


def revoke(store: Store, ledger: Ledger, token_id: str, by: str = "cli") -> int:
    """Revoke a token (its attenuated children die with it). Returns rows changed."""
    with store.write() as conn:
        res = conn.execute(update(agent_tokens).where(agent_tokens.c.id == token_id)
                           .values(revoked=True))
        if res.rowcount:
            ledger.append(conn, "token-revoked", by, payload={"token_id": token_id})
    forget()
    return int(res.rowcount or 0)


def listing(store: Store, include_dead: bool = False) -> list[dict[str, Any]]:
    """Every token (live ones only, unless ``include_dead``). ``allow`` is what the
    token itself was given; ``effective_allow`` and ``effective_scope`` what its whole
    chain lets through (an attenuated child never shows wider than its parent), and
    ``state`` is ``revoked`` or ``expired`` when any ancestor is."""
    now = time.time()
    with store.read() as conn:
        rows = conn.execute(select(agent_tokens).order_by(agent_tokens.c.created_at)
                            ).mappings().all()
    by_id = {r["id"]: r for r in rows}
    out = []
    for r in rows:
        chain: list[Any] = [r]
        while chain[-1]["parent_id"] and len(chain) < MAX_CHAIN:
            parent = by_id.get(chain[-1]["parent_id"])
            if parent is None:
                break
            chain.append(parent)
        if any(link["revoked"] for link in chain):
            state = "revoked"
        elif any(link["expires_at"] < now for link in chain):
            state = "expired"
        else:
            state = "live"
        if state != "live" and not include_dead:
            continue
        grants = tuple(_grant(link) for link in chain)
        effective = effective_allow(grants)
        out.append({"id": r["id"], "agent": r["agent"], "scope": r["scope"],
                    "allow": json.loads(r["allow"]) if r["allow"] else [],
                    "effective_scope": effective_scope(grants),
                    "effective_allow": list(effective) if effective is not None else [],
                    "owner": r["owner"], "parent": r["parent_id"], "state": state,
                    "created_at": r["created_at"],
                    "expires_at": min(float(link["expires_at"]) for link in chain)})
    return out
