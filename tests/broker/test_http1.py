"""http1.py over real sockets: the client pool against small servers that answer exactly
the bytes a test gives them, and the ASGI server against raw clients and httpx."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlock.broker import http1
from airlock.broker.ca import new_ca
from tests.broker.conftest import write_leaf

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _head(reader: asyncio.StreamReader) -> bytes:
    """One request head as the server received it."""
    return await reader.readuntil(b"\r\n\r\n")


async def _serve(handler: Handler, ctx: ssl.SSLContext | None = None
                 ) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx)
    return server, server.sockets[0].getsockname()[1]


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(main())


# ---- the pool (Airlock → provider) ------------------------------------------------------


def test_a_kept_alive_connection_carries_the_next_call() -> None:
    peers: list[Any] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername"))
        while True:
            try:
                head = await _head(reader)
            except asyncio.IncompleteReadError:
                return
            assert head.startswith(b"GET /v1/x?a=%2F1 HTTP/1.1\r\nHost: 127.0.0.1:")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-One: 1\r\n\r\nok")

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool()
        for _ in range(3):
            resp = await pool.send("GET", f"http://127.0.0.1:{port}/v1/x?a=%2F1",
                                   [(b"Accept", b"*/*")], None)
            assert resp.status == 200 and resp.content_length == 2
            assert (b"X-One", b"1") in resp.raw_headers
            assert await resp.read() == b"ok"
            resp.release()
        await pool.close()
        server.close()

    run(main())
    assert len(peers) == 1


def test_chunked_body_streams_in_pieces_and_a_request_body_goes_chunked() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _head(reader)
        seen.append(head)
        body = b""
        while not body.endswith(b"0\r\n\r\n"):
            body += await reader.read(1024)
        seen.append(body)
        writer.write(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3\r\nabc\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"4\r\ndefg\r\n0\r\n\r\n")

    async def body() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b"world"

    async def main() -> list[bytes]:
        server, port = await _serve(handler)
        pool = http1.Pool()
        resp = await pool.send("POST", f"http://127.0.0.1:{port}/up", [], body())
        assert resp.status == 201 and resp.content_length is None
        pieces = [chunk async for chunk in resp.content.iter_any()]
        resp.release()
        await pool.close()
        server.close()
        return pieces

    pieces = run(main())
    assert b"".join(pieces) == b"abcdefg" and len(pieces) == 2
    assert b"Transfer-Encoding: chunked" in seen[0]
    assert seen[1] == b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"


def test_head_and_204_have_no_body_and_the_connection_is_used_again() -> None:
    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",  # HEAD: no body follows
               b"HTTP/1.1 204 No Content\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend"]
    peers: list[Any] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername"))
        for answer in answers:
            await _head(reader)
            writer.write(answer)

    async def main() -> list[tuple[int, bytes, int | None]]:
        server, port = await _serve(handler)
        pool = http1.Pool()
        out = []
        for method in ("HEAD", "DELETE", "GET"):
            resp = await pool.send(method, f"http://127.0.0.1:{port}/r", [], None)
            out.append((resp.status, await resp.read(), resp.content_length))
            resp.release()
        await pool.close()
        server.close()
        return out

    assert run(main()) == [(200, b"", 5000), (204, b"", 0), (200, b"end", 3)]
    assert len(peers) == 1


def test_a_body_without_length_ends_with_the_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    async def main() -> bytes:
        server, port = await _serve(handler)
        pool = http1.Pool()
        resp = await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
        data = await resp.read()
        resp.release()
        await pool.close()
        server.close()
        return data

    assert run(main()) == b"all of it"


def test_a_read_is_sent_again_when_the_provider_closed_the_idle_connection() -> None:
    """…and a write is not: the provider may have done it."""
    count = {"conns": 0}

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        count["conns"] += 1
        await _head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()  # an idle kept-alive connection closed by the provider

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool()
        url = f"http://127.0.0.1:{port}/"
        for _ in range(2):
            resp = await pool.send("GET", url, [], None)
            assert await resp.read() == b"1"
            resp.release()
            await asyncio.sleep(0.2)
        assert count["conns"] == 2
        resp = await pool.send("GET", url, [], None)  # reuses nothing stale
        resp.release()
        await pool.close()
        server.close()

    run(main())


def test_a_write_on_a_connection_that_breaks_is_not_sent_twice() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _head(reader))
        if len(seen) == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            await _head(reader)  # the write arrives…
            seen.append(b"delete")
            writer.transport.abort()  # …and the provider breaks off before answering

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool()
        resp = await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
        resp.release()
        with pytest.raises(http1.Broken):
            await pool.send("DELETE", f"http://127.0.0.1:{port}/x", [], None)
        await pool.close()
        server.close()

    run(main())
    assert seen.count(b"delete") == 1 and len(seen) == 2


def test_a_line_break_in_a_header_is_never_sent() -> None:
    async def main() -> None:
        pool = http1.Pool()
        with pytest.raises(http1.Broken, match="line break"):
            await pool.send("GET", "http://127.0.0.1:9/", [(b"X-A", b"1\r\nX-Injected: 2")],
                            None)
        await pool.close()

    run(main())


def test_a_silent_provider_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http1, "READ_TIMEOUT", 0.3)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head(reader)
        await asyncio.sleep(5)

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool()
        with pytest.raises(http1.Broken, match="said nothing"):
            await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
        await pool.close()
        server.close()

    run(main())


def test_a_long_body_is_read_as_the_reader_goes_memory_stays_bounded() -> None:
    size = 16 << 20

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = b"x" * (1 << 20)
        for _ in range(16):
            writer.write(chunk)
            await writer.drain()

    async def main() -> tuple[int, int]:
        server, port = await _serve(handler)
        pool = http1.Pool()
        resp = await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
        got, most = 0, 0
        async for chunk in resp.iter_any():
            most = max(most, len(chunk))
            got += len(chunk)
            await asyncio.sleep(0.002)  # a slow agent
        resp.release()
        await pool.close()
        server.close()
        return got, most

    got, most = run(main())
    assert got == size
    assert most < 4 * http1.HIGH  # the provider was paused, not buffered whole


def test_at_most_limit_connections_to_one_origin() -> None:
    open_now = {"n": 0, "most": 0}

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        open_now["n"] += 1
        open_now["most"] = max(open_now["most"], open_now["n"])
        try:
            while True:
                await _head(reader)
                await asyncio.sleep(0.02)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            open_now["n"] -= 1

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool(limit=2)

        async def one() -> None:
            resp = await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
            await resp.read()
            resp.release()

        await asyncio.gather(*(one() for _ in range(10)))
        await pool.close()
        server.close()

    run(main())
    assert open_now["most"] == 2


def _tls(tmp: Path) -> tuple[ssl.SSLContext, str, str]:
    """A server context with a leaf for 127.0.0.1 from a new CA; the CA's PEM path, and
    another CA's."""
    ca, key = new_ca("http1 test CA")
    cert, leaf_key = write_leaf(tmp, "leaf", ca, key)
    (tmp / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    other, _ = new_ca("another CA")
    (tmp / "other.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, leaf_key)
    return ctx, str(tmp / "ca.pem"), str(tmp / "other.pem")


def test_tls_is_verified_against_the_named_bundle(tmp_path: Path) -> None:
    ctx, good, bad = _tls(tmp_path)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _head(reader)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async def main() -> None:
        server, port = await _serve(handler, ctx)
        pool = http1.Pool()
        resp = await pool.send("GET", f"https://127.0.0.1:{port}/", [], None, good)
        assert await resp.read() == b"ok"
        resp.release()
        with pytest.raises(ssl.SSLCertVerificationError):
            await pool.send("GET", f"https://127.0.0.1:{port}/", [], None, bad)
        with pytest.raises(ssl.SSLCertVerificationError):  # the system CAs do not know it
            await pool.send("GET", f"https://127.0.0.1:{port}/", [], None)
        await pool.close()
        server.close()

    run(main())


# ---- the server (agent → Airlock) ------------------------------------------------------


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with what it was sent: method, path, query, body (read in pieces)."""
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        more = message.get("more_body", False)
    text = f"{scope['method']} {scope['path']} {scope['query_string'].decode()} ".encode()
    headers = [(b"content-type", b"text/plain")]
    if scope["path"] != "/chunked":
        headers.append((b"content-length", str(len(text) + len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": text, "more_body": True})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _server(app: Any = _echo, keep_alive: float = 75.0) -> tuple[asyncio.Server, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: http1.Server(app, "http", keep_alive=keep_alive),
                                      "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _exchange(port: int, data: bytes, until: bytes = b"", wait: float = 0.5) -> bytes:
    """Send ``data`` on a new connection; what came back until ``until`` was seen or the
    server closed (or ``wait`` s of silence)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    out = b""
    try:
        while not (until and until in out):
            chunk = await asyncio.wait_for(reader.read(65536), wait)
            if not chunk:
                break
            out += chunk
    except TimeoutError:
        pass
    writer.close()
    return out


def test_server_keeps_the_connection_and_answers_pipelined_requests_in_order() -> None:
    async def main() -> bytes:
        server, port = await _server()
        out = await _exchange(port, b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
                                    b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                                    b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n", until=b"GET /c  ")
        server.close()
        return out

    out = run(main())
    assert out.count(b"HTTP/1.1 200 OK") == 3
    assert out.index(b"GET /a x=1 ") < out.index(b"POST /b  xyz") < out.index(b"GET /c  ")


def test_server_frames_an_unannounced_body_as_chunked_and_head_gets_none() -> None:
    async def main() -> tuple[bytes, bytes]:
        server, port = await _server()
        chunked = await _exchange(port, b"GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n",
                                  until=b"0\r\n\r\n")
        head = await _exchange(port, b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n")
        server.close()
        return chunked, head

    chunked, head = run(main())
    assert b"transfer-encoding: chunked" in chunked
    assert chunked.endswith(b"\r\n\r\ne\r\nGET /chunked  \r\n0\r\n\r\n")
    assert b"content-length: 9" in head and head.endswith(b"\r\n\r\n")  # no body bytes


def test_server_answers_expect_100_continue_then_reads_the_body() -> None:
    async def main() -> bytes:
        server, port = await _server()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(b"body")
        final = await asyncio.wait_for(reader.readuntil(b"body"), 5)
        writer.close()
        server.close()
        return interim + final

    out = run(main())
    assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert out.endswith(b"PUT /p  body")


def test_server_with_httpx_keep_alive_and_a_streamed_upload() -> None:
    async def main() -> list[str]:
        server, port = await _server()
        async with httpx.AsyncClient() as client:
            texts = []
            for i in range(3):
                r = await client.post(f"http://127.0.0.1:{port}/u{i}", content=b"z" * 300_000)
                texts.append(r.text[:20] + str(len(r.content)))
        server.close()
        return texts

    assert run(main()) == [f"POST /u{i}  {'z' * 10}{300_010}" for i in range(3)]


def test_an_app_that_fails_gets_500_before_answering_and_a_closed_connection_after() -> None:
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/late":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"10")]})
            await send({"type": "http.response.body", "body": b"12345", "more_body": True})
        raise RuntimeError("boom")

    async def main() -> tuple[bytes, bytes]:
        server, port = await _server(broken)
        early = await _exchange(port, b"GET /early HTTP/1.1\r\nHost: h\r\n\r\n")
        late = await _exchange(port, b"GET /late HTTP/1.1\r\nHost: h\r\n\r\n")
        server.close()
        return early, late

    early, late = run(main())
    assert early.startswith(b"HTTP/1.1 500 ") and b"Airlock failed" in early
    assert late.endswith(b"12345")  # cut short: the agent sees the connection end


def test_a_body_longer_than_its_content_length_is_cut_and_the_connection_closed() -> None:
    async def liar(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"3")]})
        await send({"type": "http.response.body", "body": b"abcdef"})

    async def main() -> bytes:
        server, port = await _server(liar)
        out = await _exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
                                    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        server.close()
        return out

    out = run(main())
    assert out.endswith(b"\r\n\r\nabc") and out.count(b"HTTP/1.1") == 1


def test_an_idle_connection_is_closed_after_keep_alive() -> None:
    async def main() -> float:
        server, port = await _server(keep_alive=0.3)
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        await reader.readuntil(b"GET /  ")
        t0 = loop.time()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        server.close()
        return loop.time() - t0

    assert 0.2 < run(main()) < 2


def test_the_app_learns_the_agent_went_away() -> None:
    seen: list[str] = []

    async def waits(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])  # the (empty) body
        seen.append((await receive())["type"])  # then: the agent left

    async def main() -> None:
        server, port = await _server(waits)
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        await asyncio.sleep(0.1)
        writer.close()
        for _ in range(50):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.05)
        server.close()

    run(main())
    assert seen == ["http.request", "http.disconnect"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=400))
def test_any_bytes_get_an_answer_or_a_close_and_the_server_goes_on(data: bytes) -> None:
    async def main() -> tuple[bytes, bytes]:
        server, port = await _server()
        out = await _exchange(port, data, wait=0.3)
        after = await _exchange(port, b"GET /ok HTTP/1.1\r\nHost: h\r\n\r\n", until=b"/ok  ")
        server.close()
        return out, after

    out, after = run(main())
    assert out == b"" or out.startswith(b"HTTP/1.1 ")
    assert b"GET /ok  " in after


def test_a_request_head_over_the_limit_is_refused_with_431() -> None:
    async def main() -> tuple[bytes, bytes]:
        server, port = await _server()
        big = await _exchange(port, b"GET / HTTP/1.1\r\nHost: h\r\n" +
                              b"X-Pad: " + b"a" * (http1.MAX_HEAD + 10) + b"\r\n\r\n")
        long_url = await _exchange(port, b"GET /" + b"b" * (http1.MAX_HEAD + 10) +
                                   b" HTTP/1.1\r\nHost: h\r\n\r\n")
        server.close()
        return big, long_url

    big, long_url = run(main())
    assert big.startswith(b"HTTP/1.1 431 ") and long_url.startswith(b"HTTP/1.1 431 ")


def test_a_provider_answer_with_endless_headers_is_broken_off() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for i in range(100_000):
                writer.write(b"X-%d: %s\r\n" % (i, b"v" * 100))
                await writer.drain()
        except ConnectionError:
            pass

    async def main() -> None:
        server, port = await _serve(handler)
        pool = http1.Pool()
        with pytest.raises(http1.Broken, match="headers over"):
            await pool.send("GET", f"http://127.0.0.1:{port}/", [], None)
        await pool.close()
        server.close()

    run(main())


def test_a_request_followed_by_garbage_is_refused_and_never_acted_on() -> None:
    calls: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(scope["method"])
        await _echo(scope, receive, send)

    async def main() -> bytes:
        server, port = await _server(app)
        out = await _exchange(port, b"DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n\x00\x01 not http")
        await asyncio.sleep(0.1)
        server.close()
        return out

    out = run(main())
    assert out.startswith(b"HTTP/1.1 400 ") and calls == []
