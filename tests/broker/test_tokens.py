"""Scoped tokens: the scope matrix, expiry, revocation, attenuation, tampering."""

from __future__ import annotations

import itertools
import time

import pytest

from airlock.action import Risk
from airlock.broker import tokens as T

KINDS = ("domain", "volume", "service", "variable")
OPS = {  # op -> (kind, risk)
    "customDomainCreate": ("domain", Risk.WRITE),
    "customDomains": ("domain", Risk.READ),
    "customDomainDelete": ("domain", Risk.DESTRUCTIVE),
    "volume": ("volume", Risk.READ),
    "volumeDelete": ("volume", Risk.CATASTROPHIC),
    "serviceDelete": ("service", Risk.DESTRUCTIVE),
    "variableUpsert": ("variable", Risk.WRITE),
}
ENVS = ("staging", "production", None)


def _expected(pattern: str, scope: str, provider: str, kind: str, op: str, risk: Risk,
              env: str | None) -> bool:
    if env != scope:
        return False
    if provider != "railway":
        return False
    pkind, verb = pattern.split(":")[1].split(".")
    if pkind not in ("*", kind):
        return False
    if verb == "*":
        return True
    if verb in ("read", "write", "destructive", "catastrophic"):
        return risk <= Risk.parse(verb)
    return verb == op


PATTERNS = ["railway:domain.*", "railway:*.read", "railway:volume.volumeDelete",
            "railway:*.write", "railway:service.destructive"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_scope_matrix(env, pattern: str) -> None:
    _, tok = T.issue(env.store, env.ledger, "bot", "staging", [pattern], 3600)
    p = T.lookup(env.store, tok)
    assert p is not None
    for (op, (kind, risk)), envname, provider in itertools.product(
            OPS.items(), ENVS, ("railway", "aws")):
        got = p.permits(provider, kind, op, risk, envname, has_id=True) is None
        want = _expected(pattern, "staging", provider, kind, op, risk, envname)
        assert got == want, (pattern, op, envname, provider)


def test_no_grants_means_no_api_calls(env) -> None:
    _, tok = T.issue(env.store, env.ledger, "bot", "staging", [], 3600)
    p = T.lookup(env.store, tok)
    assert p is not None
    assert "no API grants" in (p.permits("railway", "domain", "customDomains", Risk.READ,
                                         "staging", True) or "")


def test_bad_pattern_rejected(env) -> None:
    with pytest.raises(T.TokenError):
        T.issue(env.store, env.ledger, "bot", "staging", ["volumeDelete"], 3600)


def test_expiry(env) -> None:
    _, tok = T.issue(env.store, env.ledger, "bot", "staging", ["railway:*.*"], 0.2)
    assert T.lookup(env.store, tok) is not None
    assert T.lookup(env.store, tok, now=time.time() + 1) is None


def test_revocation(env) -> None:
    tid, tok = T.issue(env.store, env.ledger, "bot", "staging", ["railway:*.*"], 3600)
    assert T.revoke(env.store, env.ledger, tid) == 1
    assert T.lookup(env.store, tok) is None
    assert [r["state"] for r in T.listing(env.store, include_dead=True)] == ["revoked"]
    assert T.listing(env.store) == []


def test_tampered_token_refused(env) -> None:
    _, tok = T.issue(env.store, env.ledger, "bot", "staging", ["railway:*.*"], 3600)
    for bad in (tok[:-1] + ("A" if tok[-1] != "A" else "B"), tok + "x", tok[4:],
                "alk_" + "0" * 43, ""):
        assert T.lookup(env.store, bad) is None


def test_attenuation_never_widens(env) -> None:
    _, parent = T.issue(env.store, env.ledger, "bot", "staging", ["railway:domain.*"], 3600)
    # the holder asks for more than it has: the child exists but the chain still binds
    _, child = T.attenuate(env.store, env.ledger, parent, ["railway:*.*"])
    p = T.lookup(env.store, child)
    assert p is not None
    assert p.permits("railway", "volume", "volumeDelete", Risk.CATASTROPHIC, "staging",
                     True) is not None
    assert p.permits("railway", "domain", "customDomainCreate", Risk.WRITE, "staging",
                     True) is None
    # a real narrowing narrows
    _, narrow = T.attenuate(env.store, env.ledger, parent, ["railway:domain.read"])
    n = T.lookup(env.store, narrow)
    assert n is not None
    assert n.permits("railway", "domain", "customDomainCreate", Risk.WRITE, "staging",
                     True) is not None
    assert n.permits("railway", "domain", "customDomains", Risk.READ, "staging", True) is None
    # scope cannot be changed, expiry cannot be extended
    with pytest.raises(T.TokenError):
        T.attenuate(env.store, env.ledger, parent, None, scope="production")
    _, long = T.attenuate(env.store, env.ledger, parent, None, ttl=10 * 86400)
    lp = T.lookup(env.store, long)
    assert lp is not None and lp.expires_at <= time.time() + 3600 + 1


def test_attenuation_of_unscoped_token_and_parent_revocation(env) -> None:
    pid, parent = T.issue(env.store, env.ledger, "bot", None, ["railway:*.*"], 3600)
    _, child = T.attenuate(env.store, env.ledger, parent, ["railway:*.read"], scope="staging")
    c = T.lookup(env.store, child)
    assert c is not None and c.scope == "staging"
    assert c.permits("railway", "volume", "volume", Risk.READ, "production", True) is not None
    T.revoke(env.store, env.ledger, pid)
    assert T.lookup(env.store, child) is None


def test_parent_expiry_kills_child(env) -> None:
    _, parent = T.issue(env.store, env.ledger, "bot", "staging", ["railway:*.*"], 0.3)
    _, child = T.attenuate(env.store, env.ledger, parent, ["railway:*.read"])
    assert T.lookup(env.store, child, now=time.time() + 1) is None


def _allows(effective: tuple[str, ...], provider: str, kind: str, op: str,
            risk: Risk) -> bool:
    return any(all(T.pattern_matches(p, provider, kind, op, risk) for p in entry.split(" ∩ "))
               for entry in effective)


CHAIN_PATTERNS = ["*", "railway:domain.*", "railway:*.read", "railway:volume.volumeDelete",
                  "railway:*.write", "railway:volume.*", "aws:*.*", "railway:domain.custom*",
                  "railway:*.destructive"]


@pytest.mark.parametrize("parent", CHAIN_PATTERNS)
def test_effective_grants_are_exactly_what_the_chain_allows(env, parent: str) -> None:
    """What `token attenuate` and `token list` print for a child is what the chain lets
    through: never what the holder asked for when that is wider."""
    _, tok = T.issue(env.store, env.ledger, "bot", "staging", [parent], 3600)
    for child in itertools.combinations(CHAIN_PATTERNS, 2):
        _, ctok = T.attenuate(env.store, env.ledger, tok, list(child))
        p = T.lookup(env.store, ctok)
        assert p is not None
        effective = T.effective_allow(p.chain)
        assert effective is not None
        for (op, (kind, risk)), provider in itertools.product(OPS.items(),
                                                               ("railway", "aws")):
            chain_ok = p.permits_target(provider, kind, op, risk) is None
            assert _allows(effective, provider, kind, op, risk) == chain_ok, \
                (parent, child, effective, op, provider)


def test_token_attenuate_prints_the_effective_grants_not_wider_ones(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "AIRLOCK_HOME": str(tmp_path), "AIRLOCK_NO_DAEMON": "1"}
    env.pop("AIRLOCK_TOKEN", None)

    def airlock(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "airlock", *args], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)

    r = airlock("token", "issue", "--agent", "bot", "--scope", "staging", "--allow",
                "railway:domain.*", "--ttl", "1h")
    assert r.returncode == 0, r.stderr
    parent = r.stdout.strip()
    r = airlock("token", "attenuate", "--allow", "*", "--ttl", "8h", AIRLOCK_TOKEN=parent)
    assert r.returncode == 0, r.stderr
    assert "scope staging, allow railway:domain.*, expires in" in r.stderr, r.stderr
    assert "*:*.*" not in r.stderr and "8h" not in r.stderr
    r = airlock("token", "attenuate", "--allow", "railway:domain.read", "--allow",
                "railway:volume.volumeDelete", AIRLOCK_TOKEN=parent)
    assert "allow railway:domain.read, expires" in r.stderr, r.stderr
    lines = airlock("token", "list").stdout.splitlines()
    assert len(lines) == 3
    for line in lines[1:]:  # the children
        assert "parent " in line and "scope staging" in line
        assert "*:*.*" not in line and "volumeDelete" not in line
    assert "allow railway:domain.*  parent" in lines[1]
    assert "allow railway:domain.read  parent" in lines[2]
