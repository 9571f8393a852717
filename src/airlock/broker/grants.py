"""A token's ``--allow`` grants on ``POST /v1/actions``, as on the proxy.

A token issued with ``--allow PROVIDER:KIND.VERB`` can do only that, whichever door the
agent uses. On ``/v1/actions`` the action is classified first; each target's verb
(``railway.volumeDelete``, ``fs.delete``, ``git.reset.hard``) gives the provider (before
the first dot) and the operation (after it), its kind and risk the rest, and every link of
the token's chain that carries grants must cover it (:meth:`TokenPrincipal.permits_target`,
the same patterns as the proxy). Outside them: ``deny`` with the plain reason, on the
record. Inside: the hold service decides as before (policy still applies). A token without
``--allow`` (any link) is not confined here: the scope binds, as before.
"""

from __future__ import annotations

from typing import Any

from airlock.action import Decision, Target
from airlock.broker.tokens import TokenPrincipal
from airlock.fingerprint import fingerprint


def provider_op(t: Target) -> tuple[str, str]:
    """``railway.volumeDelete`` → (railway, volumeDelete); ``git.reset.hard`` → (git,
    reset.hard); a verb without a dot is its tool's (or its own) operation."""
    provider, _, op = t.verb.partition(".")
    if not op:
        return (t.tool or t.verb), t.verb
    return provider, op


def refusals(principal: TokenPrincipal, targets: list[Target]) -> list[str]:
    out = []
    for t in targets:
        provider, op = provider_op(t)
        why = principal.permits_target(provider, t.kind, op, t.risk)
        if why:
            out.append(f"{t.verb} on {t.kind} {t.name}: {why}")
    return out


def submit(ctx: Any, principal: TokenPrincipal, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/actions`` for a token principal (raises ``Refused`` like the service)."""
    service = ctx.service
    if not principal.confined:
        answer: dict[str, Any] = service.submit(principal.agent, body)
        return answer
    action = service.action_from(principal.agent, body)
    try:
        decision: Decision = service.checker.check(action)
    except Exception:  # noqa: BLE001 - the service decides (and fails closed) itself
        answer = service.submit(principal.agent, body)
        return answer
    why = refusals(principal, decision.targets)
    if not why:
        answer = service.submit(principal.agent, body)
        return answer
    denied = Decision("deny", decision.risk, decision.targets, why, decision.flags,
                      ["token-grants"])
    fp = fingerprint(action)
    with ctx.store.write() as conn:
        ctx.ledger.append(conn, "submitted", principal.agent.agent, None,
                          {"action": {"kind": action.kind, "command": action.command[:4000],
                                      "scope": action.scope},
                           "fingerprint": fp, "token_id": principal.token_id})
        ctx.ledger.append(conn, "decided", "airlock", None, denied.to_json())
    return {"fingerprint": fp, **denied.to_json()}
