"""The forwarding proxy: ``/proxy/<provider>/<path>``, mounted on ``airlock serve``.

For each call: the agent's Airlock token (never a provider credential) → classify the
call with the provider's pack → resolve targets (inventory, else the provider's API,
cached) → the token's scope and grants bind → policy → allow / hold / deny. A hold goes
through the hold service (request id + approval URL; the identical call is allowed once
after approval). An approved destructive call on a volume is snapshotted first. Then the
call is forwarded with the real credential injected, the response streamed back as it
arrives, and the status recorded in the ledger. The credential never leaves this module
except in the outgoing request's auth header.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from airlock.action import Action, Assessment, Decision, Risk
from airlock.broker import tokens
from airlock.broker.discover import Discoverer
from airlock.broker.providers import Provider, classify, has_id, load, op_name
from airlock.broker.recorder import Recorder
from airlock.broker.secrets import SecretBox, SecretError
from airlock.broker.volumes import BrokerProtector, NetError, VolumeNet
from airlock.classify.command import ClassifyContext
from airlock.hold.service import HoldService, Refused
from airlock.resolve import resolve

log = logging.getLogger("airlock.proxy")
if importlib.util.find_spec("sniffio") is None:
    # httpcore retries this failing import (a sys.path scan) on every pool operation;
    # None in sys.modules makes it fail at once (httpcore then assumes asyncio)
    sys.modules["sniffio"] = None  # type: ignore[assignment]
MAX_CLASSIFY_BODY = 1 << 20  # a GraphQL request larger than this is refused, not guessed
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
TIMEOUT = {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 60.0}
STRIP_OUT = HOP | {"authorization", "cookie", "x-airlock-token"}


@dataclass
class Outcome:
    decision: str
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    snapshots: list[dict[str, Any]] = field(default_factory=list)


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
        self._transport: httpx.AsyncHTTPTransport | None = None
        self._current = threading.local()
        if hasattr(self.service, "_protector"):  # the hold service runs the safety net
            self.service._protector = BrokerProtector(
                self.volumes, lambda: getattr(self._current, "provider", None),
                self._default_protector)

    def transport(self) -> httpx.AsyncHTTPTransport:
        """The connection pool to the providers. The transport, not an ``AsyncClient``: a
        client keeps a cookie jar (one agent's upstream cookies would ride along on
        another's calls) and adds redirect/auth/hook machinery the proxy must not apply."""
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        return self._transport

    def close(self) -> None:
        """Commit every queued ledger entry (the server's shutdown calls this)."""
        self.recorder.close()

    def prepare(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
                path: str, query: str, body: bytes | None) -> tuple[Outcome, str | None]:
        """The decision and, when it is allow, the credential to inject."""
        out = self.decide(principal, prov, method, path, query, body)
        if out.decision != "allow":
            return out, None
        try:
            return out, self.secrets.reveal(prov.secret)
        except SecretError as exc:
            return Outcome("deny", 503, {"errors": [{"message": str(exc)}], "data": None,
                                         "airlock": {"decision": "deny",
                                                     "reasons": [str(exc)]}}), None

    def _default_protector(self) -> Any:
        from airlock.protect.engine import Protector
        from airlock.protect.settings import load as load_protect

        return Protector(load_protect(self.config.data_dir, self.config.path))

    # ---- deciding (sync: runs in the thread pool) --------------------------------------

    def _targets(self, prov: Provider, method: str, path: str, body: bytes | None,
                 action: Action) -> Assessment:
        cwd = os.getcwd()
        ctx = ClassifyContext(cwd=cwd, home=os.path.expanduser("~"), config=self.config,
                              origin=cwd)
        assessment = Assessment(action)
        assessment.targets = classify(prov, method, path, body, ctx)
        assessment.flags = list(ctx.flags)
        resolve(assessment.targets, self.config, cwd)
        for t in assessment.targets:
            hint = next((x[15:] for x in t.tags if x.startswith("environment-id:")), "")
            if t.resource or t.env not in ("", "unknown") or not (has_id(t) or hint):
                continue
            try:
                if hint:  # the call names its environment: ask the API which that is
                    found = self.discover.environment(prov, "environment", hint)
                else:
                    found = self.discover.environment(prov, t.kind,
                                                      t.locator.split(":", 2)[2])
            except SecretError:
                found = None
            if found:
                env = self.config.environment(found)
                t.env, t.production, t.sandbox = env.name, env.production, env.sandbox
                t.detail = (t.detail + "; " if t.detail else "") + \
                    f"environment {env.name} reported by the {prov.name} API"
        return assessment

    def decide(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
               path: str, query: str, body: bytes | None) -> Outcome:
        shown = path + (f"?{query}" if query else "")
        text = body.decode("utf-8", "replace") if body is not None else ""
        command = f"{method} {prov.upstream}{shown}" + (f"\n\n{text}" if text else "")
        action = Action(command=command, kind="http", scope=principal.scope,
                        agent=principal.agent.agent)
        assessment = self._targets(prov, method, path, body, action)
        refusals = []
        for t in assessment.targets:
            why = principal.permits(prov.name, t.kind, op_name(t), t.risk,
                                    t.env if t.env != "unknown" else None, has_id(t))
            if why:
                refusals.append(f"{t.verb} on {t.kind} {t.name} ({t.env or 'unknown'}): "
                                f"{why}")
        if refusals:
            decision = Decision("deny", assessment.risk, assessment.targets, refusals,
                                assessment.flags, ["token-grants"])
            with self.ctx.store.write() as conn:
                self.ctx.ledger.append(conn, "submitted", principal.agent.agent, None,
                                       {"action": {"kind": "http", "command": command,
                                                   "scope": principal.scope},
                                        "token_id": principal.token_id, "via": "proxy"})
                self.ctx.ledger.append(conn, "decided", "airlock", None, decision.to_json())
            return Outcome("deny", 403, self._answer(decision.to_json(), prov))
        decision = self.engine.decide(assessment, self.config)
        if decision.decision == "allow" and decision.risk == Risk.READ:
            # a read: one ledger entry after the response (decision + status together)
            return Outcome("allow", body={"decided": {
                "decision": "allow", "risk": "read", "command": command[:2000],
                "targets": [t.to_json() for t in decision.targets]}})
        if decision.decision == "allow":
            with self.ctx.store.write() as conn:
                self.ctx.ledger.append(conn, "submitted", principal.agent.agent, None,
                                       {"action": {"kind": "http", "command": command[:4000],
                                                   "scope": principal.scope},
                                        "token_id": principal.token_id, "via": "proxy"})
                self.ctx.ledger.append(conn, "decided", "airlock", None,
                                       {"decision": "allow", "risk": decision.risk.label,
                                        "targets": [t.to_json() for t in decision.targets]})
            return Outcome("allow")
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
            except NetError as exc:
                msg = (f"the safety net failed ({exc}); the approved action was NOT "
                       "forwarded")
                with self.ctx.store.write() as conn:
                    self.ctx.ledger.append(conn, "failed", "airlock", out.request_id,
                                           {"reason": msg})
                return Outcome("deny", 502, {"errors": [{"message": msg}],
                                             "airlock": {"decision": "deny",
                                                         "reasons": [msg]}})
            return out
        status = 428 if answer["decision"] == "hold" else 403
        return Outcome(answer["decision"], status, self._answer(answer, prov),
                       answer.get("request"))

    def _protect(self, prov: Provider, decision: Decision, rid: str) -> list[dict[str, Any]]:
        out = []
        for t in decision.targets:
            if self.volumes.handles(prov, t):
                m = self.volumes.snapshot(prov, t, rid)
                with self.ctx.store.write() as conn:
                    self.ctx.ledger.append(conn, "snapshot-taken", "airlock", rid,
                                           {k: m[k] for k in ("kind", "volume", "name",
                                                              "sha256", "bytes", "files")})
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
               decided: dict[str, Any] | None = None, complete: bool = True) -> None:
        """The ``forwarded`` entry, queued for the group-committing writer (non-blocking;
        see ``recorder.py`` for why this one entry may be written a few ms late)."""
        payload: dict[str, Any] = {
            "provider": prov.name, "method": method, "path": path,
            "agent": principal.agent.agent, "token_id": principal.token_id,
            "status": status, "bytes": size,
            "ms": round((time.monotonic() - started) * 1000, 2)}
        if not complete:
            payload["incomplete"] = True  # the agent went away or the upstream broke off
        if decided:
            payload["decided"] = decided
        self.recorder.append("forwarded", "airlock", rid, payload)

    def refuse(self, prov: str, method: str, path: str, reason: str) -> None:
        with self.ctx.store.write() as conn:
            self.ctx.ledger.append(conn, "proxy-refused", "unknown", None,
                                   {"provider": prov, "method": method, "path": path,
                                    "reason": reason})


def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-airlock-token", "").strip()


def _json(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}], "data": None,
                         "airlock": {"decision": "deny", "reasons": [message], **extra}},
                        status_code=status)


class _Relay(Response):
    """The upstream's answer, passed to the agent chunk by chunk as it arrives (uvicorn's
    flow control makes each ``send`` wait while the agent's socket is full, so nothing
    piles up in memory). ``done`` runs whatever happens — the status is always recorded,
    the upstream connection always released. A plain ASGI response: Starlette's
    ``StreamingResponse`` starts a task group per response to watch for a disconnect; here
    a watcher starts only once a body turns out to be long."""

    WATCH_AFTER = 16  # chunks

    def __init__(self, upstream: httpx.Response, headers: list[tuple[bytes, bytes]],
                 done: Any) -> None:
        self.status_code = upstream.status_code
        self.upstream = upstream
        self.raw_headers = headers
        self.done = done
        self.background = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        sent = 0
        gone = asyncio.Event()
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        complete = False
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            n = 0
            async for chunk in self.upstream.aiter_raw():
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                n += 1
                if n == self.WATCH_AFTER:
                    watcher = asyncio.ensure_future(watch())
                if gone.is_set():
                    break
            else:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                complete = True
        finally:
            if watcher is not None:
                watcher.cancel()
            await self.upstream.aclose()
            self.done(self.status_code, sent, complete)


def router(ctx: Any, broker: Broker | None = None) -> APIRouter:
    broker = broker or Broker(ctx)
    r = APIRouter()

    @r.api_route("/proxy/{provider}/{path:path}",
                 methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    async def proxy(request: Request, provider: str, path: str) -> Response:
        started = time.monotonic()
        method = request.method.upper()
        upath = "/" + path
        prov = broker.providers.get(provider)
        if prov is None:
            return _json(404, f"no provider {provider!r} is configured "
                              f"(known: {', '.join(sorted(broker.providers))})")
        token = _bearer(request)
        principal = tokens.cached(ctx.store, token) if token else None  # memory only
        if principal is None and token:
            principal = await run_in_threadpool(tokens.lookup_cached, ctx.store, token)
        if principal is None:
            if not token:
                reason = "an Airlock token is required: Authorization: Bearer alk_…"
            elif not token.startswith(tokens.TOKEN_PREFIX):
                reason = ("this is not an Airlock-issued token. Airlock never forwards a raw "
                          "provider credential an agent holds: it was not used. Ask the human "
                          "for a scoped Airlock token, and do not look for other credentials")
            else:
                reason = "the Airlock token is unknown, expired or revoked"
            await run_in_threadpool(broker.refuse, prov.name, method, upath, reason)
            return _json(401, reason)
        body: bytes | None = None
        stream_body = False
        if prov.api == "graphql" and method == "POST":
            chunks = []
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_CLASSIFY_BODY:
                    return _json(413, "GraphQL request too large to inspect; refused")
                chunks.append(chunk)
            body = b"".join(chunks)
        elif method not in ("GET", "HEAD", "OPTIONS"):
            stream_body = True  # REST: method + path decide; the body streams through
        query = request.url.query
        # one hop to the thread pool: decide (may ask the provider, may write the ledger)
        # and the credential (cached in memory after the first call)
        out, credential = await run_in_threadpool(broker.prepare, principal, prov, method,
                                                  upath, query, body)
        if out.decision != "allow" or credential is None:
            return JSONResponse(out.body, status_code=out.status)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in STRIP_OUT]
        headers.append((prov.auth_header, prov.auth_value(credential)))
        url = prov.upstream + upath + (f"?{query}" if query else "")
        content: Any = body if body is not None else (request.stream() if stream_body
                                                      else None)
        upstream = httpx.Request(method, url, headers=headers, content=content,
                                 extensions={"timeout": TIMEOUT})
        decided = out.body.get("decided")
        try:
            resp = await broker.transport().handle_async_request(upstream)
        except httpx.HTTPError as exc:
            broker.record(principal, prov, method, upath, out.request_id, 502, 0, started,
                          decided)
            return _json(502, f"the provider did not answer ({type(exc).__name__})")

        def done(status: int, size: int, complete: bool) -> None:
            broker.record(principal, prov, method, upath, out.request_id, status, size,
                          started, decided, complete)

        raw = [(k, v) for k, v in resp.headers.raw if k.lower().decode("latin-1") not in HOP]
        if out.snapshots:
            raw.append((b"x-airlock-snapshot",
                        ",".join(m["sha256"][:16] for m in out.snapshots).encode()))
        return _Relay(resp, raw, done)

    @r.get("/proxy")
    async def providers() -> Response:
        return JSONResponse({"providers": sorted(broker.providers)})

    return r
