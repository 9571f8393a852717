"""What the proxy decides for one call (``proxy.py`` is the HTTP side).

Given the agent's token principal and the call: classify it with the provider's pack →
resolve targets (inventory, else the provider's API, cached) → the token's scope and
grants bind → policy → allow / hold / deny. A hold goes through the hold service (request
id + approval URL; the identical call is allowed once after approval). An approved
destructive call on a volume is snapshotted (and verified) before this returns allow.
Only an allowed call gets the provider's credential, which ``proxy.py`` puts in the
outgoing request's auth header and nowhere else. :meth:`Broker.prepare` runs in a worker
thread (it may ask the provider's API, hold, snapshot, write the ledger);
:meth:`Broker.prepare_nowait` is the same decision on the event loop, for calls that need
none of that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from airlock.action import Action, Assessment, Decision, Risk
from airlock.broker import tokens
from airlock.broker.discover import Discoverer
from airlock.broker.providers import Provider, classify, has_id, load, op_name, warm_up
from airlock.broker.recorder import Batcher, Entry, Recorder, RecordError
from airlock.broker.secrets import SecretBox, SecretError
from airlock.broker.volumes import BrokerProtector, NetError, VolumeNet
from airlock.classify.command import ClassifyContext
from airlock.hold.service import HoldService, Refused
from airlock.resolve import resolve

log = logging.getLogger("airlock.proxy")
READS_TTL = 2.0  # s an allowed read's decision is reused (a changed config reaches it after)
READS_MAX = 4096  # decisions of reads kept


@dataclass
class Outcome:
    decision: str
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    decision_seq: int | None = None  # the ledger entry of the decision that allowed it
    # entries to commit before answering (write-ahead); the caller commits them —
    # before forwarding when ``ahead``, else (a read) before passing the response on
    entries: list[Entry] = field(default_factory=list)
    ahead: bool = True


class Blocking(Exception):
    """Deciding this call would block (ask the provider's API, hold it, snapshot, read the
    database): decide it in a worker thread instead."""


class _Precomputed:
    """The proxy's decision, handed to the hold service's ``check`` on the same thread."""

    def __init__(self) -> None:
        self.local = threading.local()

    def check(self, action: Action) -> Decision:
        pre = getattr(self.local, "pre", None)
        if pre is not None and pre[0] == action.command:
            decision: Decision = pre[1]
            return decision
        return Decision("hold", Risk.CATASTROPHIC, [],
                        ["the proxy's decision was not available; held"])


class Broker:
    def __init__(self, ctx: Any) -> None:
        from airlock.policy.engine import PolicyEngine

        self.ctx = ctx
        self.config = ctx.settings.config
        self.providers: dict[str, Provider] = load(self.config.path)
        self.engine = PolicyEngine(self.config)
        self.secrets = SecretBox(ctx.store, ctx.ledger, ctx.data_dir)
        self.discover = Discoverer(self.secrets.reveal)
        self.volumes = VolumeNet(ctx.data_dir, self.secrets.reveal, self.config.path)
        self.pre = _Precomputed()
        self.service = HoldService(ctx.store, ctx.ledger, ctx.settings, self.pre,
                                   ctx.notifier, ctx.service.base_url)
        self.recorder = Recorder(ctx.store, ctx.ledger)
        self.batch = Batcher(self.recorder)  # the event loop's way to the recorder
        self._current = threading.local()
        # allowed reads (token, provider, method, path, query, body) → (until, the decided
        # entry's payload, the credential): a pure function of the call for READS_TTL
        self._reads: dict[tuple[Any, ...], tuple[float, dict[str, Any], str]] = {}
        self._cwd, self._home = os.getcwd(), os.path.expanduser("~")  # the server's own
        warm_up()  # the first agent call should not pay for importing the GraphQL parser
        if hasattr(self.service, "_protector"):  # the hold service runs the safety net
            self.service._protector = BrokerProtector(
                self.volumes, lambda: getattr(self._current, "provider", None),
                self._default_protector)

    def close(self) -> None:
        """Commit every queued ledger entry (the server's shutdown calls this)."""
        self.batch.drain()
        self.recorder.close()

    def prepare(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
                path: str, query: str, body: bytes | None) -> tuple[Outcome, str | None]:
        """The decision (its entries committed) and, when it is allow, the credential to
        inject. May block: runs in a worker thread."""
        out = self.decide(principal, prov, method, path, query, body)
        if out.entries:
            try:
                self.committed(out, self.recorder.commit(out.entries))
            except RecordError as exc:
                out = self.unrecorded(out, exc)
        if out.decision != "allow":
            return out, None
        try:
            return out, self.secrets.reveal(prov.secret)
        except SecretError as exc:
            return Outcome("deny", 503, refusal(str(exc))), None

    def prepare_nowait(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
                       path: str, query: str, body: bytes | None
                       ) -> tuple[Outcome, str | None]:
        """:meth:`prepare` without blocking, for the event loop: the same decision, with its
        entries *not yet committed* (the caller awaits :meth:`Recorder.submit` and passes
        the sequence numbers to :meth:`committed`). Raises :class:`Blocking` when the call
        needs anything that could block (then :meth:`prepare` in a thread decides it).
        An allowed read's decision is reused for :data:`READS_TTL` (the token is checked
        on every call by the caller: a revoked or expired one never gets here)."""
        key = (principal.token_id, prov.name, method, path, query, body) \
            if body is None or len(body) <= 4096 else None
        hit = self._reads.get(key) if key is not None else None
        if hit is not None and hit[0] > time.monotonic():
            return Outcome("allow", ahead=False,
                           entries=[("decided", "airlock", None, hit[1])]), hit[2]
        out = self.decide(principal, prov, method, path, query, body, block=False)
        if out.decision != "allow":
            return out, None
        credential = self.secrets.cached(prov.secret)
        if credential is None:
            raise Blocking("the credential is not in memory")
        if key is not None and not out.ahead and len(out.entries) == 1:
            if len(self._reads) >= READS_MAX:
                self._reads.clear()
            self._reads[key] = (time.monotonic() + READS_TTL, out.entries[0][3], credential)
        return out, credential

    @staticmethod
    def committed(out: Outcome, seqs: list[int]) -> None:
        out.decision_seq = seqs[-1]
        out.entries = []

    @staticmethod
    def unrecorded(out: Outcome, exc: Exception) -> Outcome:
        """What to answer when the decision could not be put on the record: a refusal."""
        log.error("%s", exc)
        if out.decision == "allow":
            return Outcome("deny", 503, refusal(str(exc)))
        out.entries = []
        return out  # refused all the same

    def _default_protector(self) -> Any:
        from airlock.protect.engine import Protector
        from airlock.protect.settings import load as load_protect

        return Protector(load_protect(self.config.data_dir, self.config.path))

    # ---- deciding ----------------------------------------------------------------------

    def _targets(self, prov: Provider, method: str, path: str, body: bytes | None,
                 action: Action, block: bool = True) -> Assessment:
        cwd = self._cwd
        ctx = ClassifyContext(cwd=cwd, home=self._home, config=self.config, origin=cwd)
        assessment = Assessment(action)
        assessment.targets = classify(prov, method, path, body, ctx)
        assessment.flags = list(ctx.flags)
        resolve(assessment.targets, self.config, cwd)
        for t in assessment.targets:
            hint = next((x[15:] for x in t.tags if x.startswith("environment-id:")), "")
            if t.resource or t.env not in ("", "unknown") or not (has_id(t) or hint):
                continue
            # the call names its environment: ask the API which that is
            kind, ident = ("environment", hint) if hint else \
                (t.kind, t.locator.split(":", 2)[2])
            if not block:
                known, found = self.discover.cached(prov, kind, ident)
                if not known:
                    raise Blocking("the provider's API must be asked")
            else:
                try:
                    found = self.discover.environment(prov, kind, ident)
                except SecretError:
                    found = None
            if found:
                env = self.config.environment(found)
                t.env, t.production, t.sandbox = env.name, env.production, env.sandbox
                t.detail = (t.detail + "; " if t.detail else "") + \
                    f"environment {env.name} reported by the {prov.name} API"
        return assessment

    def decide(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
               path: str, query: str, body: bytes | None, block: bool = True) -> Outcome:
        """The decision for one call. Allows and refusals by the token's grants come back
        with the ledger entries to commit first (``Outcome.entries``); holds and policy
        denials go through the hold service, which records them itself (``block`` only)."""
        shown = path + (f"?{query}" if query else "")
        text = body.decode("utf-8", "replace") if body is not None else ""
        command = f"{method} {prov.upstream}{shown}" + (f"\n\n{text}" if text else "")
        action = Action(command=command, kind="http", scope=principal.scope,
                        agent=principal.agent.agent)
        assessment = self._targets(prov, method, path, body, action, block)
        refusals = []
        for t in assessment.targets:
            why = principal.permits(prov.name, t.kind, op_name(t), t.risk,
                                    t.env if t.env != "unknown" else None, has_id(t))
            if why:
                refusals.append(f"{t.verb} on {t.kind} {t.name} ({t.env or 'unknown'}): "
                                f"{why}")
        submitted: Entry = ("submitted", principal.agent.agent, None,
                            {"action": {"kind": "http", "command": command[:4000],
                                        "scope": principal.scope},
                             "token_id": principal.token_id, "via": "proxy"})
        if refusals:
            denied = Decision("deny", assessment.risk, assessment.targets, refusals,
                              assessment.flags, ["token-grants"]).to_json()
            return Outcome("deny", 403, self._answer(denied, prov),
                           entries=[submitted, ("decided", "airlock", None, denied)])
        decision = self.engine.decide(assessment, self.config)
        if decision.decision == "allow":
            # write-ahead: the decision is committed before the call is forwarded (a read
            # as one entry; anything else as submitted + decided)
            decided = {"decision": "allow", "risk": decision.risk.label,
                       "targets": [t.to_json() for t in decision.targets]}
            if decision.risk == Risk.READ:
                return Outcome("allow", ahead=False, entries=[(
                    "decided", "airlock", None,
                    {**decided, **submitted[3], "agent": principal.agent.agent})])
            return Outcome("allow", entries=[submitted, ("decided", "airlock", None, decided)])
        if not block:
            raise Blocking("held or denied by policy: the hold service decides")
        # hold or deny by policy: the hold service makes the request, or claims an approved one
        self.pre.local.pre = (command, decision)
        self._current.provider = prov
        try:
            answer = self.service.submit(principal.agent, {"command": command, "kind": "http"})
        except Refused as exc:
            return Outcome("deny", exc.status, {"errors": [{"message": exc.message}]})
        finally:
            self.pre.local.pre = None
            self._current.provider = None
        if answer["decision"] == "allow" and "safety_net" in answer:
            # the hold service ran the safety net (snapshot, verified) before the claim
            snaps = [{"sha256": r["snapshot"]} for r in answer["safety_net"]
                     if isinstance(r, dict) and r.get("snapshot")]
            return Outcome("allow", request_id=answer.get("request"), snapshots=snaps)
        if answer["decision"] == "allow":
            out = Outcome("allow", request_id=answer.get("request"))
            try:
                out.snapshots = self._protect(prov, decision, out.request_id or "")
            except (NetError, RecordError) as exc:
                msg = (f"the safety net failed ({exc}); the approved action was NOT "
                       "forwarded")
                try:
                    self.recorder.commit([("failed", "airlock", out.request_id,
                                           {"reason": msg})])
                except RecordError as rexc:
                    log.error("%s", rexc)
                return Outcome("deny", 502, refusal(msg))
            return out
        status = 428 if answer["decision"] == "hold" else 403
        return Outcome(answer["decision"], status, self._answer(answer, prov),
                       answer.get("request"))

    def _protect(self, prov: Provider, decision: Decision, rid: str) -> list[dict[str, Any]]:
        out = []
        for t in decision.targets:
            if self.volumes.handles(prov, t):
                m = self.volumes.snapshot(prov, t, rid)
                self.recorder.commit([("snapshot-taken", "airlock", rid,
                                       {k: m[k] for k in ("kind", "volume", "name",
                                                          "sha256", "bytes", "files")})])
                out.append(m)
        return out

    @staticmethod
    def _answer(answer: dict[str, Any], prov: Provider) -> dict[str, Any]:
        reasons = answer.get("reasons", [])
        verdict = answer["decision"]
        if verdict == "hold":
            head = (f"held as request {answer.get('request')} for human approval at "
                    f"{answer.get('url')}; once approved, send this identical call again "
                    "(it is allowed once). Do not look for other credentials or other ways "
                    "to do this.")
        else:
            head = "Airlock denied this call: " + "; ".join(reasons)
        keep = {k: answer[k] for k in ("decision", "risk", "targets", "reasons", "request",
                                       "url", "state") if k in answer}
        return {"errors": [{"message": head}], "data": None, "airlock": keep}

    def record(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
               path: str, rid: str | None, status: int, size: int, started: float,
               decision_seq: int | None = None, complete: bool = True,
               read: asyncio.Future[int] | None = None) -> None:
        """The ``forwarded`` entry, queued for the group-committing writer (non-blocking,
        on the event loop; see ``recorder.py`` for why this one entry may be written a few
        ms late). ``read``: the future of a read's ``decided`` entry — the outcome is
        counted with those of identical reads allowed by the same entry (``calls``,
        ``bytes`` summed, ``ms`` the most) and queued once that entry is committed."""
        ms = round((time.monotonic() - started) * 1000, 2)
        key = None
        if read is not None:
            key = (read, method, path, status, complete)
            if self.batch.count(key, size, ms):
                return
        payload: dict[str, Any] = {
            "provider": prov.name, "method": method, "path": path,
            "agent": principal.agent.agent, "token_id": principal.token_id,
            "status": status, "bytes": size, "ms": ms}
        if not complete:
            payload["incomplete"] = True  # the agent went away or the upstream broke off
        if read is None:
            if decision_seq is not None:
                payload["decision_seq"] = decision_seq  # the entry that let it through
            self.batch.append("forwarded", "airlock", rid, payload)
        else:
            self.batch.outcome(key, read, ("forwarded", "airlock", rid, payload))

    def refuse(self, prov: str, method: str, path: str, reason: str) -> None:
        try:
            self.recorder.commit([("proxy-refused", "unknown", None,
                                   {"provider": prov, "method": method, "path": path,
                                    "reason": reason})])
        except RecordError as exc:
            log.error("%s", exc)  # refused all the same


def refusal(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}], "data": None,
            "airlock": {"decision": "deny", "reasons": [message]}}
