"""``airlock purge`` as a held, logged action (G4 retention, G5 record).

1. :func:`due` lists the quarantines past their retention window (and, optionally, older
   than ``--older-than``).
2. :func:`submit` files one hold request for them, as the authenticated human who ran
   the CLI: one target per quarantine (kind ``quarantine``, verb ``airlock.purge``, risk
   destructive, production: purging cannot be undone). Other humans approve it like any
   other request (typed name, N approvers, cooldown, ledger); the requester cannot.
3. :func:`execute` claims the ready request once (``execution-claimed``) and drops each
   quarantine -- re-checking its retention window against the journal at that moment:
   nothing is purged early, whatever was approved. The ledger gets ``purged`` (what was
   dropped, what was kept and why).
"""

from __future__ import annotations

import json
import secrets
import shlex
import time
from typing import Any

from sqlalchemy import insert, select, update

from airlock.action import Action, Decision, Risk, Target
from airlock.protect import ProtectError

PURGE_VERB = "airlock.purge"
LOCATOR = "airlock-quarantine:"
COMMAND = "airlock purge"

Item = tuple[str, dict[str, Any]]  # (request that quarantined it, journal record)


def quarantined_at(protector: Any, q: dict[str, Any]) -> float:
    at = q.get("at")
    if isinstance(at, (int, float)):
        return float(at)
    return float(q["purge_after"]) - protector.settings.retention_days * 86400


def due(protector: Any, older_than: float = 0.0, request: str | None = None,
        now: float | None = None) -> list[Item]:
    """Quarantines past retention (and quarantined at least ``older_than`` s ago)."""
    now = time.time() if now is None else now
    return [(rid, q) for rid, q in protector.purgeable(now)
            if (request is None or rid == request)
            and now - quarantined_at(protector, q) >= older_than]


def target_of(rid: str, q: dict[str, Any]) -> Target:
    return Target(kind="quarantine", name=str(q["quarantine"]), verb=PURGE_VERB,
                  risk=Risk.DESTRUCTIVE, reversible=False, tool="airlock",
                  locator=f"{LOCATOR}{rid}/{q['quarantine']}",
                  detail=f"{q.get('kind')} {q.get('name')} quarantined by request {rid}",
                  env="airlock-quarantine", resource=str(q["quarantine"]), production=True)


def parse_locator(locator: str) -> tuple[str, str]:
    if not locator.startswith(LOCATOR) or "/" not in locator:
        raise ProtectError(f"not a quarantine: {locator!r}")
    rid, qname = locator[len(LOCATOR):].split("/", 1)
    return rid, qname


def submit(service: Any, requester: str, items: list[Item]) -> dict[str, Any]:
    """File the hold request for ``items``; returns the request view."""
    from airlock.fingerprint import fingerprint
    from airlock.hold import states as S
    from airlock.store.models import requests

    if not items:
        raise ProtectError("nothing is past its retention window")
    targets = [target_of(rid, q) for rid, q in items]
    command = COMMAND + " " + shlex.join(sorted(t.locator[len(LOCATOR):] for t in targets))
    action = Action(command=command, kind="shell", agent=requester)
    decision = Decision("hold", Risk.DESTRUCTIVE, targets,
                        [f"purging {len(targets)} quarantine(s) cannot be undone; a human "
                         "other than the requester must approve"])
    fp = fingerprint(action)
    rid = secrets.token_hex(5)
    plan = service.plan(decision, rid)
    confirm = plan.confirm_name if len(targets) == 1 else f"purge {len(targets)} quarantines"
    now = time.time()
    does = [{"target": t.name, "verb": PURGE_VERB, "net": None,
             "does": f"irreversible: drops {t.detail}; no snapshot is taken (the one taken "
                     "when it was quarantined stays in the store)"} for t in targets]
    with service.store.write() as conn:
        service.ledger.append(conn, "submitted", requester, rid,
                              {"action": service._action_json(action), "fingerprint": fp,
                               "purge": [t.locator for t in targets]})
        service.ledger.append(conn, "decided", "airlock", rid, decision.to_json())
        conn.execute(insert(requests).values(
            id=rid, agent=requester, owner=None, token_id=None, fingerprint=fp,
            action_json=json.dumps(service._action_json(action)),
            decision_json=json.dumps(decision.to_json()), state=S.PENDING,
            confirm_name=confirm, environment=plan.environment,
            required_approvers=plan.approvers, cooldown_seconds=plan.cooldown,
            created_at=now, updated_at=now, pending_until=now + service.hold.pending_ttl,
            cooldown_until=None, expires_at=None, claimed_at=None, ended_by=None))
        service.ledger.append(conn, "held", "airlock", rid,
                              {"environment": plan.environment, "approvers": plan.approvers,
                               "cooldown": plan.cooldown, "confirm_name": confirm,
                               "safety_net": does})
    service.notifier.notify(f"Airlock: {requester} asks to purge {len(targets)} quarantine(s)",
                            f"{command}\n{service.url(rid)}")
    view: dict[str, Any] = service.view(rid)
    return view


def _purge_targets(view: dict[str, Any]) -> list[tuple[str, str]]:
    """(request, quarantine) pairs, from the approved (fingerprinted) command."""
    targets = view["decision"].get("targets", [])
    command = str(view["action"].get("command", ""))
    if (not targets or not command.startswith(COMMAND + " ")
            or any(t.get("verb") != PURGE_VERB for t in targets)):
        raise ProtectError(f"request {view['id']} is not a purge request")
    items = [parse_locator(LOCATOR + a) for a in shlex.split(command[len(COMMAND) + 1:])]
    if len(items) != len(targets):
        raise ProtectError(f"request {view['id']}: its command and targets disagree")
    return items


def execute(service: Any, actor: str, rid: str,
            now: float | None = None) -> tuple[list[str], list[str], list[str]]:
    """Claim the ready purge request ``rid`` once, then drop what is past retention.
    Returns (purged, kept, failed) lines. Raises :class:`ProtectError` when it may not
    run at all."""
    from airlock.hold import states as S
    from airlock.store.models import requests

    view = service.view(rid)
    items = _purge_targets(view)
    with service.store.read() as conn:
        token_id = conn.execute(select(requests.c.token_id).where(requests.c.id == rid)
                                ).scalar_one()
    if token_id is not None:
        raise ProtectError(f"request {rid} was filed by an agent, not by `airlock purge`")
    if view["state"] != S.READY:
        raise ProtectError(f"request {rid} is {view['state']}: only a ready (approved, cooled "
                           "down) purge request can be executed, once")
    claim_at = time.time()
    with service.store.write() as conn:
        q = select(requests.c.id).where(requests.c.id == rid, requests.c.state.in_(S.CLAIMABLE))
        if service.store.postgres:
            q = q.with_for_update(skip_locked=True)
        res = None
        if conn.execute(q).first() is not None:
            res = conn.execute(
                update(requests).where(requests.c.id == rid, requests.c.state.in_(S.CLAIMABLE),
                                       requests.c.cooldown_until <= claim_at,
                                       requests.c.expires_at > claim_at)
                .values(state=S.EXECUTED, claimed_at=claim_at, updated_at=claim_at))
        if res is None or res.rowcount != 1:
            raise ProtectError(f"request {rid} could not be claimed (already executed, "
                               "aborted or expired)")
        # as for an agent's claim: the signed ledger must back the row (a row edited
        # behind Airlock's back purges nothing; raising rolls the claim back)
        problem = service._ledger_problem(conn, rid, view["agent"], view["fingerprint"],
                                          claim_at)
        if problem is not None:
            raise ProtectError(f"request {rid}: its stored state does not match the signed "
                               f"ledger ({problem}); nothing purged")
        service.ledger.append_signed(conn, "execution-claimed", actor, rid,
                                     {"fingerprint": view["fingerprint"], "purge": True})
    protector = service.protector()
    purged: list[str] = []
    kept: list[str] = []
    failed: list[str] = []
    by_request: dict[str, set[str]] = {}
    for qrid, qname in items:
        by_request.setdefault(qrid, set()).add(qname)
    for qrid, names in sorted(by_request.items()):
        try:
            for line in protector.purge(qrid, now=now, only=names, by=rid):
                (purged if line.startswith("purged") else kept).append(f"{qrid}: {line}")
        except Exception as exc:  # noqa: BLE001 - recorded; the rest still runs
            failed.append(f"{qrid}: {type(exc).__name__}: {exc}"[:500])
    with service.store.write() as conn:
        service.ledger.append(conn, "purged", actor, rid,
                              {"purged": purged, "kept": kept, "failed": failed})
    return purged, kept, failed
