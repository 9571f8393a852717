"""HTTP/1.1 on asyncio protocols, every message parsed by httptools (llhttp, the parser
uvicorn and Node run): the two ends of a proxied call that must cost little.

- :class:`Server` — an ASGI server for one connection, run by the forward proxy on each
  agent connection it decrypts (``forward_proxy.py``). Requests are served one at a time,
  a pipelined one waiting for the answer before; a response's head goes out with its
  first body bytes (one TLS record, one ``send``).
- :class:`Pool` — kept-alive connections to the providers' APIs, used by every proxied
  call (``upstream.py``). A request goes out in one write; its response is read as it
  arrives, the connection paused while the reader is behind.

Why not uvicorn's protocol and aiohttp's client, which did this before: both are general
(timers, flow-control objects, header validation, tracing, cookie and redirect logic) and
together cost ~0.15 ms of CPU a call, more than everything Airlock decides; the proxy
pays for them on every call an agent makes (docs/performance.md, "Forward proxy"). This
module frames messages only as RFC 9112 says (Content-Length or chunked, never both); all
parsing is llhttp's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import httptools

log = logging.getLogger("airlock.http1")
HIGH = 256 << 10  # bytes buffered from a peer before its connection is paused
MAX_HEAD = 64 << 10  # bytes of a request's target and headers (an agent's), at most
MAX_ANSWER_HEAD = 256 << 10  # bytes of a response's headers (a provider's), at most
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0  # s of silence from a provider while an answer is awaited
IDLE = 30.0  # s an idle kept-alive connection to a provider is kept
# ASGI, as the proxy's apps and this server speak it
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_NO_BODY = frozenset({204, 304})
_ASGI = {"version": "3.0", "spec_version": "2.3"}


class Broken(ConnectionError):
    """The peer broke off, or sent what is not HTTP/1.1."""


class _TooLarge(Exception):
    """Raised in a parser callback: the head is over its limit (llhttp stops there)."""


def _status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))


# ---- the agent's side: a small ASGI server ---------------------------------------------


class _Cycle:
    """One request on a :class:`Server` connection, and its response."""

    __slots__ = (
        "body",
        "chunked",
        "continue_",
        "done",
        "gone",
        "head",
        "head_only",
        "keep_alive",
        "left",
        "more",
        "read",
        "scope",
        "size",
        "started",
        "waiter",
    )

    def __init__(self, scope: dict[str, Any], keep_alive: bool, expect: bool) -> None:
        self.scope = scope
        self.body: deque[bytes] = deque()
        self.size = 0
        self.more = True  # the request's body is still arriving
        self.waiter: asyncio.Future[None] | None = None  # receive() waiting for bytes
        self.gone = False  # the agent's connection is lost
        self.started = False
        self.done = False
        self.keep_alive = keep_alive
        self.chunked = False
        self.left: int | None = None  # body bytes the response's Content-Length promises
        self.head = b""  # the response head, written with the first body bytes
        self.continue_ = expect  # "100 Continue" owed before the body is read
        self.head_only = scope["method"] == "HEAD"
        self.read = False  # the app was given the body's last piece

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class Server(asyncio.Protocol):
    """ASGI over HTTP/1.1 on one connection (``connection_made`` may be called with a
    transport already carrying TLS)."""

    def __init__(self, app: App, scheme: str = "https", registry: set[Server] | None = None,
                 keep_alive: float = 75.0) -> None:
        self.app = app
        self.scheme = scheme
        self.registry = registry
        self.keep_alive = keep_alive
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.cycle: _Cycle | None = None  # the request being answered
        self.queue: deque[_Cycle] = deque()  # pipelined requests after it
        self.parsing: _Cycle | None = None  # the request whose bytes are being parsed
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.expect = False  # the request being parsed asked for 100 Continue
        self.size = 0  # bytes of the head being parsed
        self.idle: asyncio.TimerHandle | None = None
        self.last = 0.0  # loop time the connection last went idle
        self.drained: asyncio.Future[None] | None = None  # set while writing is paused
        self.closing = False
        self.worker: asyncio.Task[None] | None = None  # runs the app for each request
        self.wakeup: asyncio.Future[None] | None = None  # the worker waits for a request
        self.sent: asyncio.Future[None] | None = None  # done: what send() returns
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None

    # -- connection --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.loop = asyncio.get_running_loop()
        self.sent = self.loop.create_future()
        self.sent.set_result(None)
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.server = (str(sock[0]), int(sock[1])) if isinstance(sock, tuple) else None
        if self.registry is not None:
            self.registry.add(self)
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        if self.registry is not None:
            self.registry.discard(self)
        if self.idle is not None:
            self.idle.cancel()
        for cycle in (self.cycle, *self.queue):
            if cycle is not None:
                cycle.gone = True
                cycle.wake()
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)  # the worker ends

    def pause_writing(self) -> None:
        if self.drained is None or self.drained.done():
            self.drained = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(501, b"protocol upgrades are not proxied")
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _TooLarge) or isinstance(exc.__cause__, _TooLarge):
                self._refuse(431, b"request head over %d bytes; refused" % MAX_HEAD)
            else:
                self._refuse(400, f"not HTTP/1.1: {exc}".encode())
        except httptools.HttpParserError as exc:
            self._refuse(400, f"not HTTP/1.1: {exc}".encode())

    def _refuse(self, status: int, why: bytes) -> None:
        """An answer to bytes no request can be made of; the connection is closed, and no
        request of it that has not been answered goes on: one whose head was read in the
        same bytes must not be acted on while the agent is told it was refused."""
        for cycle in (self.cycle, *self.queue):
            if cycle is not None:
                cycle.gone = True
        self.queue.clear()
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()
        if self.transport is None or self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.started:
            body = json.dumps({"errors": [{"message": why.decode("latin-1")}]}).encode()
            self.transport.write(_status_line(status) + b"content-type: application/json\r\n"
                                 b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
                                 + body)
        self.transport.close()

    def shutdown(self) -> None:
        """Close once the request being answered is (the server is stopping)."""
        if self.cycle is None and self.transport is not None:
            self.transport.close()
        else:
            self.closing = True

    def _arm_idle(self) -> None:
        """One timer per connection, moved on only when it fires (not per request)."""
        self.last = self.loop.time()
        if self.idle is None:
            self.idle = self.loop.call_at(self.last + self.keep_alive, self._expire)

    def _expire(self) -> None:
        self.idle = None
        if self.transport is None or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.cycle is None and self.parsing is None and \
                now - self.last >= self.keep_alive:
            self.transport.close()
            return
        self.idle = self.loop.call_at(max(now, self.last) + self.keep_alive, self._expire)

    # -- llhttp's callbacks --

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.expect = False
        self.size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.size += len(url)
        if self.size > MAX_HEAD:
            raise _TooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        self.size += len(name) + len(value) + 4
        if self.size > MAX_HEAD:
            raise _TooLarge
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parsed = httptools.parse_url(self.url)
        raw = parsed.path or b"/"
        scope = {
            "type": "http", "asgi": _ASGI,
            "http_version": self.parser.get_http_version(), "scheme": self.scheme,
            "method": self.parser.get_method().decode("ascii"),
            "path": unquote(raw.decode("latin-1")), "raw_path": raw,
            "query_string": parsed.query or b"", "root_path": "",
            "headers": self.headers, "server": self.server, "client": self.client,
        }
        cycle = _Cycle(scope, self.parser.should_keep_alive() and not self.closing,
                       self.expect)
        self.parsing = cycle
        if self.cycle is None:
            self._start(cycle)
        else:  # pipelined: it waits for the answer before, and so does what follows it
            self.queue.append(cycle)
            if self.transport is not None:
                self.transport.pause_reading()

    def on_body(self, body: bytes) -> None:
        cycle = self.parsing
        if cycle is None:
            return
        cycle.body.append(body)
        cycle.size += len(body)
        if cycle.size > HIGH and self.transport is not None:
            self.transport.pause_reading()  # resumed as receive() takes it
        cycle.wake()

    def on_message_complete(self) -> None:
        cycle = self.parsing
        self.parsing = None
        if cycle is None:
            return
        cycle.more = False
        cycle.wake()

    # -- one request --

    def _start(self, cycle: _Cycle) -> None:
        """Hand ``cycle`` to the connection's task (started with its first request: a
        task per connection, not per request)."""
        self.cycle = cycle
        if self.worker is None:
            self.worker = self.loop.create_task(self._serve())
        elif self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    async def _serve(self) -> None:
        """The connection's task: each request's app call in turn (inlined here: every
        frame between the task and the app is resumed again whenever the app waits)."""
        while True:
            cycle = self.cycle
            if cycle is None:
                if self.transport is None or self.transport.is_closing():
                    return
                self.wakeup = self.loop.create_future()
                await self.wakeup
                self.wakeup = None
                continue

            async def receive(cycle: _Cycle = cycle) -> dict[str, Any]:
                return await self._receive(cycle)

            def send(message: dict[str, Any], cycle: _Cycle = cycle) -> Awaitable[None]:
                # done at once unless the agent's socket is full: no coroutine a message
                if self._emit(cycle, message) and self.drained is not None:
                    return self.drained
                assert self.sent is not None
                return self.sent

            try:
                await self.app(cycle.scope, receive, send)
            except Exception:
                log.exception("the proxy failed on %s %s", cycle.scope["method"],
                              cycle.scope["path"])
                if not cycle.started and not cycle.gone:
                    body = b'{"errors": [{"message": "Airlock failed on this call"}]}'
                    self._emit(cycle, {
                        "type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"%d" % len(body))]})
                    self._emit(cycle, {"type": "http.response.body", "body": body})
            finally:
                if not cycle.done and self.transport is not None:
                    self.transport.close()  # an answer cut short: the framing is lost
            if self.cycle is cycle:  # not answered to its end: the connection is closed
                self.cycle = None
                return

    async def _receive(self, cycle: _Cycle) -> dict[str, Any]:
        if cycle.continue_ and cycle.more and not cycle.body and self.transport is not None:
            cycle.continue_ = False
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while not cycle.body and cycle.more and not cycle.gone:
            cycle.waiter = self.loop.create_future()
            await cycle.waiter
            cycle.waiter = None
        if cycle.body:
            data = b"".join(cycle.body)
            cycle.body.clear()
            if cycle.size > HIGH and self.transport is not None and cycle.more:
                self.transport.resume_reading()
            cycle.size = 0
            cycle.read = not cycle.more
            return {"type": "http.request", "body": data, "more_body": cycle.more}
        if cycle.gone or cycle.done:
            return {"type": "http.disconnect"}  # as uvicorn: nothing more will come
        if not cycle.more:
            if not cycle.read:  # the end of the body, said once
                cycle.read = True
                return {"type": "http.request", "body": b"", "more_body": False}
            # what is left to say is that the agent went away
            while not cycle.gone and not cycle.done:
                cycle.waiter = self.loop.create_future()
                await cycle.waiter
                cycle.waiter = None
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"", "more_body": True}

    def _emit(self, cycle: _Cycle, message: dict[str, Any]) -> bool:
        """One ASGI message of the response written (its head with its first body
        bytes); True when the app must wait for the agent's socket to drain."""
        transport = self.transport
        if cycle.gone or transport is None or cycle.done:
            return False
        if message["type"] == "http.response.start":
            if cycle.started:
                raise RuntimeError("the response was already started")
            cycle.started = True
            status = int(message["status"])
            head = [_status_line(status)]
            for name, value in message.get("headers", ()):
                low = name.lower()
                if low == b"content-length":
                    cycle.left = int(value)
                elif low == b"transfer-encoding" or low == b"connection":
                    continue  # framing and the connection are this hop's
                head.append(name + b": " + value + b"\r\n")
            if cycle.left is None and status not in _NO_BODY and status >= 200 and \
                    not cycle.head_only:
                cycle.chunked = True
                head.append(b"transfer-encoding: chunked\r\n")
            if not cycle.keep_alive or self.closing:
                cycle.keep_alive = False
                head.append(b"connection: close\r\n")
            head.append(b"\r\n")
            cycle.head = b"".join(head)
            return False
        if message["type"] != "http.response.body" or not cycle.started:
            raise RuntimeError(f"unexpected ASGI message {message['type']!r}")
        body = message.get("body", b"")
        more = message.get("more_body", False)
        out = cycle.head
        cycle.head = b""
        if cycle.head_only:
            pass
        elif cycle.chunked:
            if body:
                out += b"%x\r\n" % len(body) + body + b"\r\n"
            if not more:
                out += b"0\r\n\r\n"
        else:
            if cycle.left is not None:
                cycle.left -= len(body)
                if cycle.left < 0 or (not more and cycle.left):
                    # the body does not match its Content-Length: what fits, then the end
                    transport.write(out + (body[:cycle.left] if cycle.left < 0 else body))
                    cycle.done = True
                    self.cycle = None
                    transport.close()
                    return False
            out += body
        if out:
            transport.write(out)
        if not more:
            self._finish(cycle)
            return False
        return self.drained is not None and not self.drained.done()

    def _finish(self, cycle: _Cycle) -> None:
        cycle.done = True
        cycle.wake()
        self.cycle = None
        transport = self.transport
        if transport is None:
            return
        if not cycle.keep_alive or cycle.more:  # the request's body was never read
            transport.close()
            return
        if self.queue:
            self._start(self.queue.popleft())
        else:
            self._arm_idle()
        transport.resume_reading()


# ---- the provider's side: kept-alive client connections -------------------------------


class Response:
    """A provider's answer as it arrives: ``status``, ``raw_headers`` (names as sent),
    ``content_length``; the body with :meth:`read` or :meth:`iter_any` (also as
    ``content.iter_any()``); then :meth:`release` (the connection goes back to the pool
    when the body was read to its end) or :meth:`close`."""

    def __init__(self, conn: _Conn) -> None:
        self._conn = conn
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self.body: deque[bytes] = deque()
        self.size = 0
        self.complete = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.finished = False

    @property
    def content(self) -> Response:
        return self

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def _more(self) -> None:
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def body_now(self) -> bytes:
        """The body read so far (all of it once :attr:`complete`)."""
        data = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        self.body.clear()
        return data

    async def read(self) -> bytes:
        """The whole body (raises :class:`Broken` if the provider broke off)."""
        while not self.complete:
            if self.error is not None:
                raise self.error
            self._conn.resume()
            await self._more()
        data = b"".join(self.body)
        self.body.clear()
        return data

    async def iter_any(self) -> AsyncIterator[bytes]:
        """The body in the pieces it arrives in."""
        while True:
            if self.body:
                data = b"".join(self.body)
                self.body.clear()
                self.size = 0
                self._conn.resume()
                yield data
                continue
            if self.complete:
                return
            if self.error is not None:
                raise self.error
            await self._more()

    def release(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.complete:
            self._conn.idle()
        else:
            self._conn.close()

    def close(self) -> None:
        if not self.finished:
            self.finished = True
            self._conn.close()


class _Conn(asyncio.Protocol):
    """One kept-alive connection to a provider, answering one request at a time."""

    def __init__(self, pool: _Origin) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.resp: Response | None = None
        self.head_only = False
        self.until_close = False  # a body without length ends when the connection does
        self.paused = False
        self.lost = False
        self.heard = 0.0  # loop time of the last bytes from the provider
        self.timer: asyncio.TimerHandle | None = None
        self.since = 0.0  # loop time it went idle
        self.headers_done: asyncio.Future[None] | None = None
        self.size = 0  # bytes of the answer's headers so far
        self.keep = True  # the provider lets the connection be used again
        self.answered = False  # bytes of an answer came on this connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._stop_timer()
        resp = self.resp
        if resp is not None and not resp.complete:
            if self.until_close and resp.status:
                resp.complete = True  # its body ended with the connection, as it said
            else:
                resp.error = Broken("the provider closed the connection mid-answer")
            resp._wake()
        self._headers(Broken("the provider closed the connection before answering"))
        self.pool.forget(self)

    def data_received(self, data: bytes) -> None:
        self.heard = self.pool.loop.time()
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            why = f"headers over {MAX_ANSWER_HEAD} bytes" \
                if isinstance(exc.__context__, _TooLarge) else str(exc)
            self._fail(Broken(f"the provider's answer is not acceptable HTTP/1.1 ({why})"))

    def eof_received(self) -> bool | None:
        return None  # close: a half-closed provider is done

    def _fail(self, exc: Exception) -> None:
        resp = self.resp
        if resp is not None and not resp.complete:
            resp.error = exc
            resp._wake()
        self._headers(exc)
        if self.transport is not None:
            self.transport.abort()

    def _headers(self, exc: Exception | None) -> None:
        if self.headers_done is not None and not self.headers_done.done():
            if exc is None:
                self.headers_done.set_result(None)
            else:
                self.headers_done.set_exception(exc)

    # -- llhttp's callbacks --

    def on_message_begin(self) -> None:
        self.size = 0
        if self.resp is not None:
            self.resp.raw_headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.size += len(name) + len(value) + 4
        if self.size > MAX_ANSWER_HEAD:
            raise _TooLarge
        if self.resp is not None:
            self.resp.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        resp = self.resp
        if resp is None:
            return
        status = self.parser.get_status_code()
        if status < 200:
            return  # an interim answer (102, 103): the final one follows
        resp.status = status
        chunked = False
        for name, value in resp.raw_headers:
            low = name.lower()
            if low == b"content-length":
                resp.content_length = int(value)
            elif low == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        self.keep = self.parser.should_keep_alive()
        if self.head_only or status in _NO_BODY:
            resp.content_length = resp.content_length if self.head_only else 0
            resp.complete = True
            # the parser would wait for the body a HEAD's Content-Length announces
            self.parser = httptools.HttpResponseParser(self)
        elif resp.content_length is None and not chunked:
            self.until_close = True
        self._headers(None)

    def on_body(self, body: bytes) -> None:
        resp = self.resp
        if resp is None:
            return
        resp.body.append(body)
        resp.size += len(body)
        if resp.size > HIGH and self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        resp._wake()

    def on_message_complete(self) -> None:
        resp = self.resp
        if resp is None or resp.status < 200 or resp.complete:
            return
        resp.complete = True
        self.keep = self.parser.should_keep_alive()
        resp._wake()

    # -- the pool's side --

    def resume(self) -> None:
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _check(self) -> None:
        """Read timeout: the provider has been silent for :data:`READ_TIMEOUT` while an
        answer is awaited. One timer per connection, moved on only when it fires."""
        self.timer = None
        loop = self.pool.loop
        if self.resp is None or self.resp.complete:
            return  # armed again by the next request
        if loop.time() - self.heard >= READ_TIMEOUT:
            self._fail(Broken(f"the provider said nothing for {READ_TIMEOUT:g} s"))
        else:
            self.timer = loop.call_at(self.heard + READ_TIMEOUT, self._check)

    def begin(self, head: bytes, body: bytes | None, head_only: bool
              ) -> tuple[Response, asyncio.Future[None]]:
        """Write a request (and its whole body); the response, and a future done when its
        head has come (or with the error)."""
        assert self.transport is not None
        resp = self.resp = Response(self)
        self.head_only = head_only
        self.until_close = False
        self.answered = False
        loop = self.pool.loop
        self.heard = loop.time()
        if self.timer is None:
            self.timer = loop.call_at(self.heard + READ_TIMEOUT, self._check)
        done = self.headers_done = loop.create_future()
        self.transport.write(head + body if body else head)
        return resp, done

    async def stream(self, body: AsyncIterator[bytes]) -> None:
        """The body of the request :meth:`begin` started, chunked as it comes."""
        assert self.transport is not None
        async for chunk in body:
            if chunk:
                self.transport.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            if self.lost:
                return
        self.transport.write(b"0\r\n\r\n")

    def idle(self) -> None:
        self.resp = None
        if self.lost or self.until_close or not self.keep:
            self.close()
            return
        self.since = self.pool.loop.time()
        self.pool.put(self)

    def close(self) -> None:
        self.resp = None
        self._stop_timer()
        if self.transport is not None:
            self.transport.close()
        self.pool.forget(self)


class _Origin:
    """The kept-alive connections to one scheme://host:port (with one CA bundle)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int,
                 ctx: ssl.SSLContext | None, limit: int) -> None:
        self.loop = loop
        self.host = host
        self.port = port
        self.ctx = ctx
        self.free: list[_Conn] = []
        self.limit = limit
        self.used = 0  # connections taken (and being opened)
        self.queue: deque[asyncio.Future[None]] = deque()  # takers waiting for a slot
        self.busy: set[_Conn] = set()

    async def _slot(self) -> None:
        if self.used < self.limit and not self.queue:
            self.used += 1
            return
        fut = self.loop.create_future()
        self.queue.append(fut)
        try:
            await fut  # the slot is handed over by _release
        except BaseException:
            if fut.done() and not fut.cancelled():
                self._release()  # handed over, but the taker is gone
            elif fut in self.queue:
                self.queue.remove(fut)
            raise

    def _release(self) -> None:
        while self.queue:
            fut = self.queue.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot passes on as it is
                return
        self.used -= 1

    def take_now(self) -> _Conn | None:
        """An idle kept-alive connection, when one is free and a slot too (no waiting)."""
        if self.used >= self.limit or self.queue:
            return None
        now = self.loop.time()
        while self.free:
            conn = self.free.pop()
            if not conn.lost and now - conn.since < IDLE:
                self.used += 1
                self.busy.add(conn)
                return conn
            conn.close()
        return None

    async def take(self) -> tuple[_Conn, bool]:
        """A connection (and whether it was used before), a fresh one if none is idle."""
        await self._slot()
        try:
            now = self.loop.time()
            while self.free:
                conn = self.free.pop()
                if not conn.lost and now - conn.since < IDLE:
                    self.busy.add(conn)
                    return conn, True
                conn.close()
            _, conn = await asyncio.wait_for(self.loop.create_connection(
                lambda: _Conn(self), self.host, self.port, ssl=self.ctx,
                server_hostname=self.host if self.ctx is not None else None),
                CONNECT_TIMEOUT)
        except BaseException:
            self._release()
            raise
        self.busy.add(conn)
        return conn, False

    def put(self, conn: _Conn) -> None:
        if conn in self.busy:
            self.busy.discard(conn)
            self._release()
        self.free.append(conn)

    def forget(self, conn: _Conn) -> None:
        if conn in self.busy:
            self.busy.discard(conn)
            self._release()
        if conn in self.free:
            self.free.remove(conn)

    def close(self) -> None:
        for conn in [*self.free, *self.busy]:
            if conn.transport is not None:
                conn.transport.close()


class Pool:
    """Kept-alive HTTP/1.1 connections to the providers' APIs, per origin, at most
    ``limit`` at once to each."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self.origins: dict[tuple[str, str, int, str], _Origin] = {}
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.hosts: dict[tuple[str, str, str], tuple[_Origin, str]] = {}

    def _context(self, ca_bundle: str) -> ssl.SSLContext:
        ctx = self.contexts.get(ca_bundle)
        if ctx is None:
            from airlock.broker.providers import verify_context

            ctx = verify_context(ca_bundle) if ca_bundle else ssl.create_default_context()
            ctx.set_alpn_protocols(["http/1.1"])
            self.contexts[ca_bundle] = ctx
        return ctx

    def _origin(self, scheme: str, host: str, port: int, ca_bundle: str) -> _Origin:
        key = (scheme, host, port, ca_bundle)
        origin = self.origins.get(key)
        if origin is None:
            ctx = self._context(ca_bundle) if scheme == "https" else None
            origin = self.origins[key] = _Origin(asyncio.get_running_loop(), host, port,
                                                 ctx, self.limit)
        return origin

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: bytes | AsyncIterator[bytes] | None,
                   ca_bundle: str = "") -> Response:
        """Send one request to ``url`` exactly as written (already percent-encoded).
        Raises :class:`OSError` (:class:`Broken`, an ``ssl`` error…) or
        :class:`TimeoutError` when the provider cannot be reached or breaks off before
        answering."""
        scheme, sep, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        if "?" in authority:
            authority, _, query = authority.partition("?")
            slash, path = "/", "?" + query
        known = self.hosts.get((scheme, authority, ca_bundle)) if sep else None
        if known is None:
            known = self._where(url, ca_bundle)
        origin, host = known
        target = (slash + path).partition("#")[0] or "/"
        lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n".encode("latin-1")]
        for name, value in headers:
            if b"\n" in value or b"\r" in value or b"\n" in name or b"\r" in name:
                raise Broken(f"the {name.decode('latin-1')} header carries a line break; "
                             "not sent")
            lines.append(name + b": " + value + b"\r\n")
        if isinstance(body, bytes):
            lines.append(b"Content-Length: %d\r\n" % len(body))
        elif body is not None:
            lines.append(b"Transfer-Encoding: chunked\r\n")
        elif method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: 0\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        while True:
            idle = origin.take_now()
            conn, reused = (idle, True) if idle is not None else await origin.take()
            try:
                if body is None or isinstance(body, bytes):
                    resp, done = conn.begin(head, body, method == "HEAD")
                else:
                    resp, done = conn.begin(head, None, method == "HEAD")
                    await conn.stream(body)
                await done
                return resp
            except Broken:
                conn.close()
                # a kept-alive connection the provider had closed meanwhile: a read is
                # sent once more on a new one (never a write: it may have been done)
                if not reused or conn.answered or method not in ("GET", "HEAD", "OPTIONS"):
                    raise
            except BaseException:
                conn.close()
                raise

    def _where(self, url: str, ca_bundle: str) -> tuple[_Origin, str]:
        """The origin of ``url`` and its ``Host`` header (remembered by scheme and
        authority: the proxy sends every call of a provider to one)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Broken(f"not an http(s) URL: {url}")
        default = 443 if parts.scheme == "https" else 80
        port = parts.port or default
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        host = name if port == default else f"{name}:{port}"
        known = (self._origin(parts.scheme, parts.hostname, port, ca_bundle), host)
        if len(self.hosts) < 1024:
            self.hosts[(parts.scheme, parts.netloc, ca_bundle)] = known
        return known

    async def close(self) -> None:
        for origin in self.origins.values():
            origin.close()
        self.origins.clear()
        self.hosts.clear()
