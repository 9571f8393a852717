"""The FastAPI application: the agent API (``/v1``) and the approval UI (``ui.py``)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import click
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from airlock.broker import grants, tokens
from airlock.hold import states as S
from airlock.hold.service import Refused
from airlock.hold.settings import OwnSectionsWatch
from airlock.instance import Instance
from airlock.security_headers import with_security
from airlock.server import auth
from airlock.server.decisions import ServiceHandler

log = logging.getLogger("airlock.server")
MAX_WAIT = 60.0
MAX_HOOK_BODY = 16 << 20  # a Write tool's payload carries the whole file
MAX_ACTION_BODY = 1 << 20  # one action: a command, a SQL script, an HTTP or MCP call
MAX_FORM_BODY = 64 << 10  # sign-in, approve, reject, abort, sign-out forms; everything else
POLL = 0.25


class WireListener(Protocol):
    """An enforcement point on the wire that ``airlock serve`` runs beside its HTTP API on
    the same event loop (the database gateway, the forward proxy): started once the ledger
    says the server started, stopped before the broker's last entries are committed."""

    async def start(self, ctx: Instance, broker: Any) -> str: ...  # what it listens on
    async def stop(self) -> None: ...


def body_limit(path: str) -> int:
    """The most a request body to ``path`` may carry (``/proxy/…`` has its own rules)."""
    if path.startswith("/v1/hooks/"):
        return MAX_HOOK_BODY
    if path == "/v1/actions":
        return MAX_ACTION_BODY
    return MAX_FORM_BODY


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _say(message: str) -> None:
    click.echo(f"airlock serve: {message}", err=True)


RESTART_NOTICE = ("[hold], [notify] and [serve] of {path} are read at start only: restart "
                  "`airlock serve` after editing them (the inventory, policies and packs are "
                  "reloaded on change)")


def _ticker(ctx: Instance, stop: threading.Event, every: float = 0.5,
            watch: OwnSectionsWatch | None = None, watch_every: int = 4) -> None:
    n = 0
    while not stop.wait(every):
        try:
            ctx.service.tick()
        except Exception as exc:  # noqa: BLE001 - keep ticking; claims do not need it
            log.warning("tick failed: %s", type(exc).__name__)
        n += 1
        if watch is not None and n % watch_every == 0:
            try:
                changed = watch.check()
            except Exception as exc:  # noqa: BLE001 - a notice only
                changed = f"cannot watch {watch.path}: {type(exc).__name__}"
            if changed:
                _say(changed)


def create_app(ctx: Instance,
               on_stop: Callable[[], None] | None = None,
               listeners: tuple[WireListener, ...] = ()) -> AirlockApp:
    """The app ``airlock serve`` runs; ``on_stop`` runs first when it stops (uvicorn
    re-raises the stopping signal once the app is down, so nothing after it runs).
    ``listeners``: the wire enforcement points to run beside it (:class:`WireListener`)."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with ctx.store.write() as conn:
            ctx.ledger.append(conn, "server-started", "airlock",
                              payload={"public_key": ctx.public_key})
        ctx.ledger.checkpoint()  # sign the tail a kill -9 left unsigned: no later rewrite
        watch = OwnSectionsWatch(ctx.settings)
        if watch.path:
            _say(RESTART_NOTICE.format(path=watch.path))
        stop = threading.Event()
        thread = threading.Thread(target=_ticker, args=(ctx, stop), name="airlock-tick",
                                  kwargs={"watch": watch}, daemon=True)
        thread.start()
        started: list[WireListener] = []
        try:
            for listener in listeners:
                _say(await listener.start(ctx, broker))
                started.append(listener)
            # everything loaded so far lives as long as the server: out of the collector's
            # sight, a collection walks only what calls allocate (~20% of the proxy's CPU
            # a call went to walking the start-up heap: docs/performance.md)
            gc.freeze()
            yield
        finally:
            if on_stop is not None:
                on_stop()
            for listener in reversed(started):
                await listener.stop()
            stop.set()
            thread.join(2)
            await proxy.aclose()
            broker.close()  # the proxy's queued ledger entries, before server-stopped
            with ctx.store.write() as conn:
                ctx.ledger.append(conn, "server-stopped", "airlock")
            ctx.ledger.checkpoint()
            ctx.notifier.close()

    app = FastAPI(title="Airlock", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.ctx = ctx

    app.add_middleware(BodyLimit)  # inside SecurityHeaders: its 413 carries them too
    app.add_middleware(SecurityHeaders)

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True}

    hooks = ServiceHandler(ctx)

    @app.post("/v1/hooks/{tool}")
    async def http_hook(request: Request, tool: str) -> Any:
        """An agent tool's HTTP hook (Claude Code ``"type": "http"``): the payload in, the
        tool's own answer out — no process per call."""
        started = time.perf_counter()
        body = await _read_limited(request, MAX_HOOK_BODY)
        if body is None:
            return _error(413, f"a hook payload is limited to {MAX_HOOK_BODY} bytes")
        token = auth.bearer(request) or ""
        home = request.headers.get("x-airlock-home", "")
        status, text = await run_in_threadpool(hooks.http_hook, tool, body, token, home)
        took = (time.perf_counter() - started) * 1000
        return Response(text, status_code=status, media_type="application/json",
                        headers={"Server-Timing": f"decide;dur={took:.3f}"})

    @app.post("/v1/actions")
    async def submit(request: Request) -> Any:
        # the whole attenuation chain: an expired or revoked ancestor kills the token, and
        # its --allow grants bind here as on the proxy (grants.py)
        token = auth.bearer(request)
        principal = await run_in_threadpool(tokens.lookup, ctx.store, token) \
            if token else None
        if principal is None:
            return _error(401, "an agent token is required: Authorization: Bearer <token>")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "the body must be a JSON object")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        try:
            return await run_in_threadpool(grants.submit, ctx, principal, body)
        except Refused as exc:
            return _error(exc.status, exc.message)

    @app.get("/v1/requests/{rid}")
    async def get_request(request: Request, rid: str, wait: float = 0.0) -> Any:
        agent = await run_in_threadpool(auth.agent, ctx.store, request)
        if agent is None:
            return _error(401, "an agent token is required: Authorization: Bearer <token>")
        try:
            view = await run_in_threadpool(ctx.service.view, rid)
        except Refused as exc:
            return _error(exc.status, exc.message)
        if view["agent"] != agent.agent:
            return _error(404, f"no request {rid!r}")
        deadline = asyncio.get_running_loop().time() + max(0.0, min(wait, MAX_WAIT))
        first = view["state"]
        while (view["state"] == first and view["state"] in (S.PENDING, S.COOLING)
               and asyncio.get_running_loop().time() < deadline):
            await asyncio.sleep(POLL)
            view = await run_in_threadpool(ctx.service.view, rid)
        return _agent_view(view)

    from airlock.server.ui import router

    app.include_router(router)

    from airlock.broker.decide import Broker
    from airlock.broker.proxy import ProxyApp  # the execute stage for HTTP APIs: /proxy/

    broker = Broker(ctx)
    proxy = ProxyApp(ctx, broker)
    return AirlockApp(app, proxy)


class AirlockApp:
    """What uvicorn runs: ``/proxy`` and ``/proxy/…`` go straight to the proxy (a plain
    ASGI app on every agent API call, see ``broker/proxy.py``), everything else — and the
    lifespan — to the FastAPI app."""

    def __init__(self, app: FastAPI, proxy: Any) -> None:
        self.app = app
        self.proxy = proxy

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == "/proxy"
                                        or scope["path"].startswith("/proxy/")):
            await self.proxy(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds the security headers to every response. A plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` costs a task and a memory stream per request, and streamed
    proxy responses would pass through it chunk by chunk."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_security(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class BodyLimit:
    """Limits every request body (:func:`body_limit`), answering 413 before the route
    sees a byte too many: a declared ``Content-Length`` over the limit is refused before
    anything is read, and a body without one (chunked) is counted as it streams in: the
    read that crosses the limit raises, the route stops there (nothing is stored), and
    the client gets the 413."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.strip().isdigit() and int(value) > limit:
                await _too_large(scope, send, limit)
                return
        seen = 0
        started = False

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:  # a route that answered before reading all of it: nothing to add
                return
            await _too_large(scope, send, limit)


async def _too_large(scope: Any, send: Any, limit: int) -> None:
    text = f"a request body to {scope['path']} is limited to {limit} bytes"
    if scope["path"].startswith("/v1/"):
        body, kind = json.dumps({"error": text}).encode(), b"application/json"
    else:
        body, kind = text.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _agent_view(view: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "state", "agent", "fingerprint", "action", "decision", "environment",
            "required_approvers", "approvals", "cooldown_until", "cooldown_remaining",
            "expires_at", "created_at", "claimed_at", "url", "safety_net",
            "safety_net_plan", "safety_net_records", "safety_net_failed", "approval_problem")
    out = {k: view[k] for k in keep if k in view}
    if view["state"] == S.READY:
        out["next"] = "re-submit exactly the same action to POST /v1/actions: it is allowed once"
    return out
