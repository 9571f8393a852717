"""The forwarding proxy: ``/proxy/<provider>/<path>`` on ``airlock serve``.

For each call: the agent's Airlock token (never a provider credential) → the decision
(``decide.py``: classify, resolve, grants, policy, hold, safety net) → if allowed, the
call is forwarded with the real credential injected (``upstream.py``), the response
streamed back as it arrives, and the status recorded in the ledger.

A plain ASGI app that ``server/app.py`` puts in front of FastAPI for paths under
``/proxy``: this runs before every API call an agent makes, so it pays for no routing,
dependency injection or middleware stack it does not use (docs/performance.md, "Proxy").
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import unquote

from airlock.broker import tokens
from airlock.broker.decide import Blocking, Broker, Outcome, refusal
from airlock.broker.http1 import Receive, Scope, Send
from airlock.broker.providers import Provider
from airlock.broker.recorder import RecordError, seqs
from airlock.broker.upstream import (
    Redactor,
    Upstream,
    UpstreamError,
    outgoing_headers,
)
from airlock.security_headers import with_security

log = logging.getLogger("airlock.proxy")
MAX_CLASSIFY_BODY = 1 << 20  # a GraphQL request larger than this is refused, not guessed
MAX_ON_LOOP = 16 << 10  # larger bodies are parsed in a worker thread, not on the event loop
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
WATCH_AFTER = 16  # chunks relayed before a task starts watching for the agent leaving
SMALL = 64 << 10  # a response announced at most this long is read whole, sent in one piece

T = TypeVar("T")


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope["headers"]:
        if k == name:
            return str(v.decode("latin-1"))
    return ""


def _bearer(scope: Scope) -> str:
    auth = _header(scope, b"authorization")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return _header(scope, b"x-airlock-token").strip()


def _ambiguous(raw_path: str) -> bool:
    """A dot segment (``..``, also percent-encoded), an encoded slash or a backslash."""
    if "\\" in raw_path:
        return True
    if "%" in raw_path:
        low = raw_path.lower()
        if "%2f" in low or "%5c" in low:
            return True
    elif "." not in raw_path:
        return False
    return any(seg in (".", "..") for seg in unquote(raw_path).split("/"))


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": with_security([(b"content-type", b"application/json"),
                                           (b"content-length", str(len(data)).encode())])})
    await send({"type": "http.response.body", "body": data, "more_body": False})


class ProxyApp:
    """The ASGI app for ``/proxy`` and ``/proxy/<provider>/<path>``."""

    def __init__(self, ctx: Any, broker: Broker, workers: int = 16) -> None:
        self.ctx = ctx
        self.broker = broker
        self.upstream = Upstream()
        # deciding may ask the provider's API, write the ledger or take a snapshot: it runs
        # here, never on the event loop
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="airlock-proxy")

    async def _thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def aclose(self) -> None:
        await self.upstream.close()
        self.pool.shutdown(wait=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path in ("/proxy", "/proxy/"):
            await send_json(send, 200, {"providers": sorted(self.broker.providers)})
            return
        # the raw path is what goes upstream; its decoded form is what is decided on
        raw_path = scope.get("raw_path") or path.encode()
        name, _, rest = raw_path.decode("latin-1")[len("/proxy/"):].partition("/")
        name = unquote(name)
        prov = self.broker.providers.get(name)
        if prov is None:
            await send_json(send, 404, refusal(
                f"no provider {name!r} is configured "
                f"(known: {', '.join(sorted(self.broker.providers))})"))
            return
        await self.call(scope, receive, send, prov, "/" + rest)

    def call(self, scope: Scope, receive: Receive, send: Send, prov: Provider,
             raw_upath: str) -> Awaitable[None]:
        """One call to ``prov`` at ``raw_upath`` (as the agent wrote it, query apart): the
        forward proxy enters here with the path of the URL it intercepted. (Not a
        coroutine itself: every coroutine frame above the call's own is resumed again
        each time it waits.)"""
        method = scope["method"]
        if method not in METHODS:
            return send_json(send, 405, refusal(f"method {method} is not proxied"))
        if _ambiguous(raw_upath):
            # the provider could read these as another path than the one decided on
            return send_json(send, 400, refusal(
                "dot segments and encoded slashes are not proxied (the provider could read "
                "the path differently from Airlock); refused"))
        return self._call(scope, receive, send, prov, method, raw_upath)

    async def _call(self, scope: Scope, receive: Receive, send: Send, prov: Provider,
                    method: str, raw_upath: str) -> None:
        upath = unquote(raw_upath)
        started = time.monotonic()
        broker = self.broker
        token = scope.get("airlock.token")  # the forward proxy found it already
        if token is None:
            token = _bearer(scope)
        principal = tokens.cached(self.ctx.store, token) if token else None  # memory only
        if principal is None and token:
            principal = await self._thread(tokens.lookup_cached, self.ctx.store, token)
        if principal is None:
            if not token:
                reason = "an Airlock token is required: Authorization: Bearer alk_…"
            elif not token.startswith(tokens.TOKEN_PREFIX):
                reason = ("this is not an Airlock-issued token. Airlock never forwards a raw "
                          "provider credential an agent holds: it was not used. Ask the human "
                          "for a scoped Airlock token, and do not look for other credentials")
            else:
                reason = "the Airlock token is unknown, expired or revoked"
            await self._thread(broker.refuse, prov.name, method, upath, reason)
            await send_json(send, 401, refusal(reason))
            return
        body: bytes | None = None
        stream_body = False
        if prov.is_graphql(method, upath):
            chunks = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_CLASSIFY_BODY:
                    await send_json(send, 413, refusal(
                        "GraphQL request too large to inspect; refused"))
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
        elif method not in ("GET", "HEAD", "OPTIONS"):
            stream_body = True  # REST: method + path decide; the body streams through
        query = scope.get("query_string", b"").decode("latin-1")
        now = self._prepare_now(principal, prov, method, upath, query, body)
        if now is None or now[3]:
            out, credential, pending = await self._prepare(now, principal, prov, method,
                                                           upath, query, body)
        else:
            out, credential, pending, _ = now
        if out.decision != "allow" or credential is None:
            await send_json(send, out.status, out.body)
            return
        headers = outgoing_headers(scope["headers"], prov.auth_header,
                                   prov.auth_value(credential))
        url = prov.upstream + raw_upath + (f"?{query}" if query else "")
        content: bytes | AsyncIterator[bytes] | None = body
        if stream_body:
            content = request_body(receive)

        def done(status: int, size: int, complete: bool) -> None:
            broker.record(principal, prov, method, upath, out.request_id, status, size,
                          started, out.decision_seq, complete, read=pending)

        try:
            resp = await self.upstream.send(method, url, headers, content, prov.ca_bundle)
        except UpstreamError as exc:
            done(502, 0, False)
            await send_json(send, 502, refusal(
                f"the provider did not answer ({type(exc).__name__})"))
            return
        redact = Redactor(credential)
        raw = redact.answer_headers(resp)
        if out.snapshots:
            raw.append((b"x-airlock-snapshot",
                        ",".join(m["sha256"][:16] for m in out.snapshots).encode()))
        await relay(resp, raw, receive, send, done, redact)

    def _prepare_now(self, principal: tokens.TokenPrincipal, prov: Provider, method: str,
                     upath: str, query: str, body: bytes | None
                     ) -> tuple[Outcome, str | None, asyncio.Future[int] | None, bool] | None:
        """The decision and the credential if allowed, decided right here on the event
        loop when that needs nothing that blocks (a small body, everything it needs in
        memory; else None: :meth:`_prepare` decides it in a worker thread). Its ledger
        entries are queued with the loop's :class:`Batcher`; the last item says whether
        they must be awaited (:meth:`_prepare`) before the call goes on: a write's or a
        refusal's, and any call's while the ledger is failing. A read's is committed as
        it travels (the returned future)."""
        if body is not None and len(body) > MAX_ON_LOOP:
            return None
        broker = self.broker
        try:
            out, credential = broker.prepare_nowait(principal, prov, method, upath, query,
                                                    body)
        except Blocking:
            return None
        if not out.entries:
            return out, credential, None, False
        # identical reads of one token committed together are one entry
        group = None if out.ahead else ("decided", principal.token_id,
                                        out.entries[-1][3]["action"]["command"])
        wait = out.ahead or broker.batch.failing is not None or broker.recorder.struggling
        return out, credential, broker.batch.submit(out.entries, group, urgent=wait), wait

    async def _prepare(self, now: tuple[Outcome, str | None, asyncio.Future[int] | None,
                                        bool] | None,
                       principal: tokens.TokenPrincipal, prov: Provider, method: str,
                       upath: str, query: str, body: bytes | None
                       ) -> tuple[Outcome, str | None, asyncio.Future[int] | None]:
        """What :meth:`_prepare_now` left to do: decide in a worker thread (``now`` is
        None), or wait until its entries are committed — refused if they cannot be."""
        if now is None:
            out, credential = await self._thread(self.broker.prepare, principal, prov,
                                                 method, upath, query, body)
            return out, credential, None
        out, credential, pending, _ = now
        if pending is None or await self._settle(out, pending):
            return out, credential, None
        return self.broker.unrecorded(out, RecordError(
            "the ledger could not record this call; refused")), None, None

    async def _settle(self, out: Outcome, pending: asyncio.Future[int]) -> bool:
        """Wait for ``out``'s entries to be committed; False if they could not be."""
        try:  # shielded: identical reads share the future, one leaving must not cancel it
            self.broker.committed(out, seqs(out.entries, await asyncio.shield(pending)))
            return True
        except Exception as exc:  # noqa: BLE001 - not on the record
            log.error("ledger: %s", exc)
            return False


async def request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("the agent went away while sending the body")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def relay(resp: Any, headers: list[tuple[bytes, bytes]], receive: Receive,
                 send: Send, done: Callable[[int, int, bool], None],
                 redact: Redactor) -> None:
    """The provider's answer, passed to the agent chunk by chunk as it arrives (each
    ``send`` waits while the agent's socket is full, so nothing piles up in memory).
    ``done`` runs whatever happens: the status is always recorded, the upstream connection
    always released. A task watching for the agent leaving starts only once a body turns
    out to be long."""
    sent = 0
    complete = False
    length = resp.content_length
    if length is not None and length <= SMALL:
        try:
            data = resp.body_now() if resp.complete else await resp.read()
        except UpstreamError:
            resp.close()
            done(502, 0, False)
            await send_json(send, 502, refusal("the provider broke off its answer"))
            return
        try:
            await send({"type": "http.response.start", "status": resp.status,
                        "headers": headers})
            await send({"type": "http.response.body", "body": redact.whole(data),
                        "more_body": False})
        finally:
            resp.release()
            done(resp.status, len(data), True)
        return
    gone = asyncio.Event()
    watcher: asyncio.Task[None] | None = None

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    try:
        await send({"type": "http.response.start", "status": resp.status,
                    "headers": headers})
        n = 0
        try:
            async for chunk in resp.content.iter_any():
                sent += len(chunk)
                await send({"type": "http.response.body", "body": redact.chunk(chunk),
                            "more_body": True})
                n += 1
                if n == WATCH_AFTER:
                    watcher = asyncio.ensure_future(watch())
                if gone.is_set():
                    break
            else:
                await send({"type": "http.response.body", "body": redact.rest(),
                            "more_body": False})
                complete = True
        except UpstreamError:
            pass  # the provider broke off mid-body: the agent's response ends short
    finally:
        if watcher is not None:
            watcher.cancel()
        if complete:
            resp.release()
        else:
            resp.close()  # never hand a half-read connection back to the pool
        done(resp.status, sent, complete)
