"""The proxy's way to the providers' APIs: one connection pool per server
(``http1.Pool``), created on the event loop at the first call and closed at shutdown.

It is a transparent forwarder, not a browser-like client: no cookie jar (one agent's
upstream cookies must never ride along on another's calls), no redirects followed, no
decompression (bytes pass through as the provider sent them, ``Content-Encoding`` with
them), no headers of its own but ``Host`` and the body's framing.

Why not a general client: httpx's pool probed every pooled connection with a
``getpeername`` and a ``poll`` whenever a request was assigned or released (2.9 ms of CPU
a call), and aiohttp's request machinery still cost ~0.07 ms of the forward proxy's
~0.35 ms a call; ``http1.py`` writes a request in one piece and reads the answer with
llhttp (docs/performance.md, "Proxy" and "Forward proxy").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, ClassVar

from airlock.broker.http1 import Pool, Response
from airlock.security_headers import SECURITY_NAMES, with_security

# Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus the ones the
# client sets from what it sends.
HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                 "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
                 "content-length"})
# What the agent sent that must never reach the provider: its Airlock token and cookies
# (and Expect: the agent's 100-continue has already been answered).
STRIP_OUT = HOP | {"authorization", "cookie", "x-airlock-token", "expect"}
STRIP_OUT_BYTES = frozenset(h.encode() for h in STRIP_OUT)
# a response keeps its Content-Length: its body is passed on byte for byte
HOP_BYTES = frozenset(h.encode() for h in HOP - {"content-length"})
UpstreamError = (OSError,)  # unreachable, TLS refused, broke off, timed out (TimeoutError)


class Upstream:
    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._pool: Pool | None = None

    def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
             body: bytes | AsyncIterator[bytes] | None,
             ca_bundle: str = "") -> Awaitable[Response]:
        """Send one request to ``url`` exactly as written (already percent-encoded: no
        re-quoting, no normalisation); the caller reads the body and must ``release()`` or
        ``close()`` the response. An https upstream's certificate is verified against the
        system's CAs, or against ``ca_bundle`` when one is named (a provider's
        ``ca_bundle``); verification is never switched off. Raises one of
        :data:`UpstreamError` when the provider cannot be reached or breaks off before
        answering."""
        if self._pool is None:
            self._pool = Pool(self.limit)
        return self._pool.send(method, url, headers, body, ca_bundle)  # one frame less

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def outgoing_headers(raw: list[tuple[bytes, bytes]], auth_header: str,
                     auth_value: str) -> list[tuple[bytes, bytes]]:
    """The agent's request headers minus hop-by-hop ones, its token and its cookies,
    plus the provider's credential."""
    out = [(k, v) for k, v in raw if k.lower() not in STRIP_OUT_BYTES]
    out.append((auth_header.encode(), auth_value.encode()))
    return out


def incoming_headers(resp: Any) -> list[tuple[bytes, bytes]]:
    """The provider's response headers minus hop-by-hop ones."""
    return [(k, v) for k, v in resp.raw_headers if k.lower() not in HOP_BYTES]


class Redactor:
    """Masks the provider credential in what comes back (same length, so a
    ``Content-Length`` stays true): an endpoint that reflects request headers — a debug
    route, an error page — must not hand the agent the credential Airlock injected. Works
    across chunk boundaries by holding back the last ``len(secret) - 1`` bytes of a chunk
    until the next one. Does not see through compression or other encodings."""

    _known: ClassVar[dict[str, tuple[bytes, bytes]]] = {}  # credential → bytes, mask

    def __init__(self, secret: str) -> None:
        known = self._known.get(secret)
        if known is None:
            if len(self._known) >= 64:
                self._known.clear()
            known = self._known[secret] = (secret.encode(), b"*" * len(secret.encode()))
        self.secret, self.mask = known
        self.keep = max(0, len(self.secret) - 1)
        self.carry = b""

    def whole(self, data: bytes) -> bytes:
        return data.replace(self.secret, self.mask) if self.secret else data

    def chunk(self, data: bytes) -> bytes:
        """The part of ``carry + data`` that can be passed on now, masked."""
        buf = self.whole(self.carry + data)
        if len(buf) <= self.keep:
            self.carry = buf
            return b""
        cut = len(buf) - self.keep
        self.carry = buf[cut:]
        return buf[:cut]

    def rest(self) -> bytes:
        out, self.carry = self.whole(self.carry), b""
        return out

    def answer_headers(self, resp: Any) -> list[tuple[bytes, bytes]]:
        """The provider's response headers for the agent: hop-by-hop ones dropped, the
        credential masked, Airlock's security headers added where the provider set none
        (one pass: the proxy does this on every call)."""
        secret, mask = self.secret, self.mask
        out = []
        own: set[bytes] = set()  # security headers the provider set itself
        for k, v in resp.raw_headers:
            low = k.lower()
            if low in HOP_BYTES:
                continue
            if low in SECURITY_NAMES:
                own.add(low)
            out.append((k, v.replace(secret, mask) if secret and secret in v else v))
        return with_security(out, own)
