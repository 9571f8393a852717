"""The forward proxy: ``airlock serve --forward-proxy HOST:PORT``.

The agent's environment names it in ``HTTPS_PROXY``/``HTTP_PROXY`` and trusts Airlock's CA
(``ca.py``; ``airlock exec --proxied`` sets both up). Providers' CLIs and SDKs then send
every API call through it, configured with the agent's ``alk_`` token as if it were the
provider's token:

- ``CONNECT`` to a host of a declared provider (its pack's ``hosts`` and its upstream's
  host, :func:`routes`): TLS is terminated with a leaf certificate from Airlock's CA, and
  each request on the connection is handed to the ``/proxy`` app (``proxy.py``) as if it
  had been sent to ``/proxy/<provider>/<path>``: the same token check, decision, holds and
  denials (same status, same JSON), write-ahead ledger, credential injected in place of
  the token, response streamed and masked. The token is read from the ``Authorization``
  header in whatever scheme the client uses (``Bearer``, ``token``, ``Basic`` with the
  token as password or user name), or from the provider's own auth header.
- ``CONNECT`` to any other host: a byte tunnel, nothing read or changed — or refused
  (403) when ``[forward_proxy] only_declared`` is set and the host is not in
  ``allow_hosts``.
- A plain-HTTP proxy request (``GET http://host/…``): decided the same way when the host
  is a declared provider's, else relayed (or refused, as above). ``GET /airlock-ca.pem``
  sent to the proxy itself answers with the CA certificate.

Built from maintained parts, nothing hand-parsed: the first request head of a connection
is read with ``h11``; TLS is OpenSSL through :mod:`ssl` (``loop.start_tls`` with a server
context per host); HTTP/1.1 on the decrypted stream is served by ``http1.Server`` and sent
on by ``http1.Pool`` (both parse with httptools/llhttp; uvicorn's protocol and aiohttp,
used before, cost more CPU a call than everything Airlock decides). mitmproxy, the usual
choice, cannot be used: mitmproxy 12+ needs Python 3.12, and 11.0.2 (the last for 3.11)
pins ``h11<=0.14`` while the ``mcp`` dependency needs ``h11>=0.16``. HTTP/2 is not
offered to the agent (ALPN says ``http/1.1``).

Only what Airlock intercepts can be decided: a client that pins certificates, or ignores
the proxy variables, is listed with what to do instead in docs/forward-proxy.md.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import ipaddress
import json
import logging
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import h11

from airlock.broker.ca import Authority, load_or_create
from airlock.broker.decide import Broker, refusal
from airlock.broker.http1 import App, Receive, Scope, Send, Server
from airlock.broker.providers import Provider
from airlock.broker.proxy import ProxyApp, relay, request_body, send_json
from airlock.broker.tokens import TOKEN_PREFIX
from airlock.broker.upstream import HOP_BYTES, Redactor, UpstreamError, incoming_headers
from airlock.config import ConfigError, read_toml, unknown_key

log = logging.getLogger("airlock.forward_proxy")
MAX_HEAD = 16 << 10  # the first request head of a connection
HANDSHAKE_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0
KEEP_ALIVE = 75  # seconds an idle agent connection is kept (clients pool them)
CA_PATHS = ("/airlock-ca.pem", "/ca.pem")


@dataclass(frozen=True)
class Settings:
    """``[forward_proxy]`` of Airlock's own config."""

    only_declared: bool = False  # refuse CONNECT/HTTP to hosts no provider declares
    allow_hosts: tuple[str, ...] = ()  # globs tunnelled all the same (package indexes, …)

    def allowed(self, host: str) -> bool:
        return not self.only_declared or any(fnmatch.fnmatchcase(host, g)
                                             for g in self.allow_hosts)


def load_settings(config_path: str | None) -> Settings:
    """``[forward_proxy]`` of the config at ``config_path``; :class:`ConfigError` names a
    mistake."""
    if not config_path:
        return Settings()
    body = read_toml(config_path)[0].get("forward_proxy", {})
    where = f"{config_path}: [forward_proxy]"
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table")
    problem = unknown_key(body, "forward_proxy")
    if problem:
        raise ConfigError(f"{where}: {problem}")
    only = body.get("only_declared", False)
    hosts = body.get("allow_hosts", [])
    if not isinstance(only, bool):
        raise ConfigError(f"{where}: only_declared must be true or false")
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ConfigError(f"{where}: allow_hosts must be a list of host globs")
    return Settings(only, tuple(h.lower() for h in hosts))


def routes(providers: dict[str, Provider]) -> dict[tuple[str, int], Provider]:
    """(host, port) → the provider whose calls are intercepted there: each pack's
    ``hosts`` on 443 (and 80), and the host and port of each upstream. When several
    providers claim one host, the last declared wins (the built-in ``railway`` comes
    first)."""
    out: dict[tuple[str, int], Provider] = {}
    for prov in reversed(list(providers.values())):
        claims = [(h, p) for h in prov.hosts for p in (443, 80)]
        up = urlsplit(prov.upstream)
        if up.hostname:
            claims.append((up.hostname.lower(),
                           up.port or (443 if up.scheme == "https" else 80)))
        for claim in claims:
            out.setdefault(claim, prov)
    return out


def authority(target: str, default_port: int) -> tuple[str, int] | None:
    """``host[:port]`` (``[v6]:port`` too) → (lower-case host, port), or None."""
    try:
        parts = urlsplit("//" + target)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host.rstrip(".").lower(), port or default_port


def _credential(value: str) -> str:
    scheme, sep, rest = value.strip().partition(" ")
    if not sep:
        return scheme  # a bare token (an X-Api-Key style header)
    if scheme.lower() == "basic":  # git and some SDKs: user:token, or token:x-oauth-basic
        try:
            user, _, password = base64.b64decode(rest.strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return ""
        for part in (password, user):
            if part.startswith(TOKEN_PREFIX):
                return part
        return password or user
    return rest.strip()  # Bearer, token, or a provider's own scheme


def _split_token(headers: list[tuple[bytes, bytes]], prov: Provider
                 ) -> tuple[list[tuple[bytes, bytes]], str]:
    """The agent's headers without any that carries its token (only the injected
    credential goes upstream), and the token, in whatever form the client sent it."""
    own = prov.auth_header.lower().encode()
    out = []
    token = ""
    for name, value in headers:
        if name == b"authorization" or name == b"x-airlock-token" or name == own:
            if not token:
                token = _seen.get(value) or _credential(value.decode("latin-1"))
                if token.startswith(TOKEN_PREFIX) and value not in _seen:
                    if len(_seen) >= 1024:
                        _seen.clear()
                    _seen[value] = token  # an agent sends the same header on every call
        else:
            out.append((name, value))
    return out, token


_seen: dict[bytes, str] = {}  # an auth header's value → the Airlock token in it


class _Pipe(asyncio.Protocol):
    """One side of a CONNECT tunnel: bytes in, written to the other side, with the other
    side's reading paused while this side's write buffer is full."""

    def __init__(self) -> None:
        self.peer: _Pipe | None = None
        self.transport: asyncio.Transport | None = None
        self.early: list[bytes] = []
        self.registry: set[_Pipe] | None = None  # the open tunnels' ends, closed at stop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        peer = self.peer
        if peer is not None and peer.early:
            for chunk in peer.early:
                self.transport.write(chunk)
            peer.early.clear()

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.early.append(data)
        else:
            peer.transport.write(data)

    def eof_received(self) -> bool:
        peer = self.peer
        if peer is not None and peer.transport is not None and peer.transport.can_write_eof():
            peer.transport.write_eof()
            return True  # half-closed: the other direction goes on
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.registry is not None:
            self.registry.discard(self)
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class _Front(asyncio.Protocol):
    """A new agent connection until its first request head is read (``h11``)."""

    def __init__(self, proxy: ForwardProxy) -> None:
        self.proxy = proxy
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.raw = bytearray()
        self.transport: asyncio.Transport | None = None
        self.handed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.handed or self.transport is None:
            return
        self.raw += data
        self.conn.receive_data(data)
        try:
            event = self.conn.next_event()
        except h11.RemoteProtocolError as exc:
            self.handed = True
            _answer(self.transport, self.conn, 400, refusal(
                f"not an HTTP proxy request ({exc})"))
            return
        if event is h11.NEED_DATA:
            return
        self.handed = True
        if not isinstance(event, h11.Request):
            self.transport.close()
            return
        self.transport.pause_reading()
        if event.method == b"CONNECT":
            self.proxy.spawn(self.proxy.connect(self.transport, self.conn, event))
        else:
            self.proxy.plain(self.transport, bytes(self.raw))

    def connection_lost(self, exc: Exception | None) -> None:
        self.handed = True


def _answer(transport: asyncio.Transport, conn: h11.Connection, status: int,
            body: dict[str, Any]) -> None:
    """A JSON answer to the connection's first request, then the connection closed."""
    data = json.dumps(body).encode()
    try:
        out = conn.send(h11.Response(status_code=status, headers=[
            ("content-type", "application/json"), ("content-length", str(len(data))),
            ("connection", "close")]))
        out = (out or b"") + (conn.send(h11.Data(data=data)) or b"") + \
            (conn.send(h11.EndOfMessage()) or b"")
    except h11.LocalProtocolError:
        out = b""
    if out:
        transport.write(out)
    transport.close()


class ForwardProxy:
    """The forward proxy as a wire listener of ``airlock serve`` (``server/app.py``'s
    ``WireListener``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.tunnels: set[_Pipe] = set()
        self.conns: set[Server] = set()  # the agent connections it serves HTTP on

    async def start(self, ctx: Any, broker: Broker) -> str:
        self.ctx = ctx
        self.broker = broker
        self.settings = load_settings(ctx.settings.config.path)
        self.ca: Authority = load_or_create(ctx.data_dir)
        self.routes = routes(broker.providers)
        self.app = ProxyApp(ctx, broker)
        for (host, _port), _prov in self.routes.items():
            self.ca.context(host)  # the first CONNECT should not pay for its certificate
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Front(self), self.host, self.port,
                                               reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]
        hosts = sorted({f"{h}:{p}" for h, p in self.routes if p != 80})
        other = "refused" if self.settings.only_declared else "tunnelled"
        return (f"forward proxy on {self.host}:{self.port}: deciding {', '.join(hosts)}; "
                f"other hosts {other}; CA {self.ca.cert_path}")

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for proto in list(self.conns):
            proto.shutdown()
        for pipe in list(self.tunnels):
            if pipe.transport is not None:
                pipe.transport.close()
        for task in list(self.tasks):
            task.cancel()
        await self.app.aclose()

    def spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ---- the HTTP server on a connection (http1.py) ----------------------------------

    def _protocol(self, scheme: str, app: App) -> Server:
        return Server(app, scheme, self.conns, KEEP_ALIVE)

    def _decided(self, prov: Provider) -> App:
        """The ``/proxy`` app for one provider's calls, as the agent's client sent them."""
        call = self.app.call

        def app(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
            scope["headers"], scope["airlock.token"] = _split_token(scope["headers"], prov)
            raw = scope.get("raw_path") or scope["path"].encode()
            return call(scope, receive, send, prov, raw.decode("latin-1"))

        return app

    # ---- CONNECT ----------------------------------------------------------------------

    async def connect(self, transport: asyncio.Transport, conn: h11.Connection,
                      req: h11.Request) -> None:
        where = authority(req.target.decode("latin-1"), 443)
        if where is None:
            _answer(transport, conn, 400, refusal("CONNECT needs host:port"))
            return
        host, port = where
        prov = self.routes.get(where)
        if prov is not None:
            await self._intercept(transport, conn, host, prov)
        elif not self.settings.allowed(host):
            reason = (f"{host}:{port} is not a declared provider's host and this Airlock "
                      "lets agents reach only those ([forward_proxy] only_declared)")
            await asyncio.get_running_loop().run_in_executor(
                None, self.broker.refuse, f"{host}:{port}", "CONNECT", "", reason)
            _answer(transport, conn, 403, refusal(reason))
        else:
            await self._tunnel(transport, conn, host, port)

    async def _intercept(self, transport: asyncio.Transport, conn: h11.Connection,
                         host: str, prov: Provider) -> None:
        if conn.trailing_data[0]:  # a client must wait for the answer before its hello
            transport.close()
            return
        transport.write(conn.send(h11.Response(status_code=200, headers=[],
                                               reason=b"Connection established")) or b"")
        proto = self._protocol("https", self._decided(prov))
        try:
            tls = await asyncio.get_running_loop().start_tls(
                transport, proto, self.ca.context(host), server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            # typically a client that does not trust Airlock's CA (or pins certificates)
            log.info("TLS with the agent for %s failed: %s", host, exc)
            transport.close()
            return
        if tls is None:
            transport.close()
            return
        proto.connection_made(tls)

    async def _tunnel(self, transport: asyncio.Transport, conn: h11.Connection,
                      host: str, port: int) -> None:
        near, far = _Pipe(), _Pipe()
        near.peer, far.peer = far, near
        try:
            up, _ = await asyncio.wait_for(asyncio.get_running_loop().create_connection(
                lambda: far, host, port), CONNECT_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            _answer(transport, conn, 502, refusal(
                f"{host}:{port} cannot be reached ({type(exc).__name__})"))
            return
        early, _ = conn.trailing_data
        transport.write(conn.send(h11.Response(status_code=200, headers=[],
                                               reason=b"Connection established")) or b"")
        transport.set_protocol(near)
        near.connection_made(transport)
        if early:
            up.write(early)
        for pipe in (near, far):
            pipe.registry = self.tunnels
            self.tunnels.add(pipe)
        transport.resume_reading()

    # ---- plain HTTP -------------------------------------------------------------------

    def plain(self, transport: asyncio.Transport, head: bytes) -> None:
        proto = self._protocol("http", self._plain)
        transport.set_protocol(proto)
        proto.connection_made(transport)
        proto.data_received(head)
        transport.resume_reading()

    def _own(self, host: str, port: int) -> bool:
        if port != self.port:
            return False
        if host in (self.host, "localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    async def _plain(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A plain-HTTP request: a declared host's decided, another relayed (or refused),
        the CA certificate for a request to the proxy itself."""
        if scope["type"] != "http":
            return
        hostname = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        where = authority(hostname, 80)
        if where is None:
            await send_json(send, 400, refusal("a proxied request needs a Host"))
            return
        if self._own(*where):
            if scope["path"] in CA_PATHS:
                pem = self.ca.cert_pem
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", b"application/x-pem-file"),
                    (b"content-length", str(len(pem)).encode())]})
                await send({"type": "http.response.body", "body": pem})
            else:
                await send_json(send, 404, refusal(
                    "this is Airlock's forward proxy: set HTTPS_PROXY/HTTP_PROXY to it; "
                    f"its CA certificate is at {CA_PATHS[0]}"))
            return
        prov = self.routes.get(where)
        if prov is not None:
            await self._decided(prov)(scope, receive, send)
            return
        if not self.settings.allowed(where[0]):
            reason = (f"{where[0]}:{where[1]} is not a declared provider's host and this "
                      "Airlock lets agents reach only those ([forward_proxy] only_declared)")
            await asyncio.get_running_loop().run_in_executor(
                None, self.broker.refuse, f"{where[0]}:{where[1]}", scope["method"],
                scope["path"], reason)
            await send_json(send, 403, refusal(reason))
            return
        await self._relay(scope, receive, send, hostname)

    async def _relay(self, scope: Scope, receive: Receive, send: Send, hostname: str) -> None:
        """A plain-HTTP request to a host no provider declares, passed on as it is."""
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"http://{hostname}{raw}" + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"]
                   if k.lower() not in HOP_BYTES and k.lower() not in (b"expect",
                                                                         b"content-length")]
        body = request_body(receive) if scope["method"] not in ("GET", "HEAD") else None
        try:
            resp = await self.app.upstream.send(scope["method"], url, headers, body)
        except UpstreamError as exc:
            await send_json(send, 502, refusal(
                f"{hostname} did not answer ({type(exc).__name__})"))
            return
        await relay(resp, incoming_headers(resp), receive, send, lambda *_: None,
                    Redactor(""))
