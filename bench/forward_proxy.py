"""Added latency and throughput of the forward proxy (``airlock serve --forward-proxy``).

Starts a stand-in HTTPS API (a small JSON ``GET /repos/acme/shop``, certificate from a
throwaway CA) and ``airlock serve --forward-proxy`` as separate processes on 127.0.0.1,
with a ``github`` provider whose upstream is the stand-in. The same GET is then sent
directly (to the stand-in, with the real credential) and through the forward proxy (to
``https://api.github.com/…`` with the agent's ``alk_`` token: CONNECT, TLS terminated by
Airlock, decided, credential injected, forwarded over Airlock's own pool), over kept-alive
connections, in alternating rounds:

- concurrency 1: p50/p99 latency, and the added latency (proxied - direct);
- concurrency 16: throughput, proxied as a percentage of direct.

Targets (issue 16): <= 3 ms added at p50 at concurrency 1, >= 50% of direct throughput at
concurrency 16. Everything it starts is stopped at the end.

    python bench/forward_proxy.py [--requests 500] [--burst 10000] [--rounds 3] [--no-pin]
                                  [--upstream-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httptools
import uvloop
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from airlock.broker.ca import issue_leaf, new_ca
from airlock.demo.paas_api import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import closed_loop, pct, print_rounds, provision, stop_all

CRED = "ghp_bench_credential_0123456789abcdef"
BODY = b'{"id": 1, "name": "shop", "full_name": "acme/shop", "private": true}'


def upstream(port: int, cert: str, key: str, delay_ms: float) -> None:
    """The stand-in API (run in its own process: ``--upstream``), answering after
    ``delay_ms`` (0: at once)."""
    from aiohttp import web

    async def repo(request: web.Request) -> web.Response:
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if request.headers.get("Authorization") != f"Bearer {CRED}":
            return web.json_response({"message": "Bad credentials"}, status=401)
        return web.Response(body=BODY, content_type="application/json")

    app = web.Application()
    app.router.add_get("/repos/acme/shop", repo)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    web.run_app(app, host="127.0.0.1", port=port, ssl_context=ctx, print=None,
                access_log=None)


async def _wait_tcp(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"port {port}: process exited {proc.returncode}")
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"port {port} did not come up")


class _Conn(asyncio.Protocol):
    """One kept-alive client connection of the load generator: a request written whole,
    its response read with httptools (llhttp). The load generator shares a core with
    Airlock in the proxied runs, so it must cost little per call (aiohttp's client cost
    ~0.1 ms of CPU a call here: more than the proxy's budget, taken from the proxy)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.head = b""  # the proxy's answer to CONNECT, before TLS
        self.tunnelling = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.tunnelling:
            self.head += data
            if b"\r\n\r\n" in self.head and self.waiter is not None:
                self.waiter.set_result(int(self.head.split(b" ", 2)[1]))
                self.waiter = None
            return
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    async def call(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _connect(port: int, ctx: ssl.SSLContext, host: str, proxied: bool) -> _Conn:
    loop = asyncio.get_running_loop()
    if not proxied:
        _, conn = await loop.create_connection(_Conn, "127.0.0.1", port, ssl=ctx,
                                               server_hostname=host)
        return conn
    transport, conn = await loop.create_connection(_Conn, "127.0.0.1", port)
    conn.tunnelling = True
    conn.waiter = loop.create_future()
    transport.write(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    status = await conn.waiter
    if status != 200:
        raise SystemExit(f"CONNECT answered {status}")
    conn.tunnelling = False
    tls = await loop.start_tls(transport, conn, ctx, server_hostname=host)
    assert tls is not None
    conn.transport = tls  # type: ignore[assignment]
    return conn


async def _run(port: int, host: str, token: str, n: int, conc: int, ca: str,
               proxied: bool, server_pid: int | None = None
               ) -> tuple[list[float], float, float, float]:
    """N GETs from C workers, each over its own kept-alive connection (through a CONNECT
    tunnel when ``proxied``): latencies (ms), calls/s, and CPU µs per call of this load
    generator and of ``server_pid``."""
    ctx = ssl.create_default_context(cafile=ca)
    request = (f"GET /repos/acme/shop HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
               f"{token}\r\nAccept: application/vnd.github+json\r\nUser-Agent: bench\r\n"
               "\r\n").encode()
    conns = [await _connect(port, ctx, host, proxied) for _ in range(conc)]

    async def call(conn: _Conn) -> None:
        status = await conn.call(request)
        assert status == 200, status

    pool = list(conns)
    before = time.process_time(), _cpu(server_pid)

    async def any_call() -> None:
        conn = pool.pop()
        try:
            await call(conn)
        finally:
            pool.append(conn)

    lat, rate = await closed_loop(any_call, n, conc)
    own, server = time.process_time() - before[0], _cpu(server_pid) - before[1]
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    calls = n + min(50, n)
    return lat, rate, own / calls * 1e6, server / calls * 1e6


def _cpu(pid: int | None) -> float:
    """CPU seconds used so far by process ``pid`` (0 when None)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _write_pem(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=500, help="per side, concurrency 1")
    ap.add_argument("--burst", type=int, default=10000, help="per side, concurrency 16")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="let upstream, Airlock and load generator share every core")
    ap.add_argument("--upstream-ms", type=float, default=0.0,
                    help="the stand-in API's own time per call (default 0: a zero-cost "
                         "API, the worst case for the throughput ratio)")
    ap.add_argument("--upstream", nargs=3, metavar=("PORT", "CERT", "KEY"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.upstream:
        upstream(int(args.upstream[0]), args.upstream[1], args.upstream[2], args.upstream_ms)
        return
    home = Path(tempfile.mkdtemp(prefix="airlock-bench-fwd-"))
    ca, ca_key = new_ca("bench stand-in CA")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    standin_ca = _write_pem(home / "standin-ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    cert = _write_pem(home / "standin.pem", issue_leaf(ca, ca_key, "127.0.0.1", leaf_key)
                      .public_bytes(serialization.Encoding.PEM))
    key = _write_pem(home / "standin.key", leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    up_port, airlock_port, fwd_port = free_port(), free_port(), free_port()
    cfg, env, token = provision(home, f"""
[environments.staging]
[environments.production]
[[providers]]
name = "github"
pack = "github"
upstream = "https://127.0.0.1:{up_port}"
ca_bundle = "{standin_ca}"
""", "github", CRED, None, ["github:*.read"])
    procs = [
        subprocess.Popen([sys.executable, __file__, "--upstream", str(up_port), cert, key,
                          "--upstream-ms", str(args.upstream_ms)], env=env),
        subprocess.Popen([sys.executable, "-m", "airlock", "serve", "--port",
                          str(airlock_port), "--config", str(cfg), "--forward-proxy",
                          f"127.0.0.1:{fwd_port}"], env=env, cwd=home),
    ]
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin and len(cpus) >= 2:
        # the upstream stands for a provider's API on other machines: a core of its own
        os.sched_setaffinity(procs[0].pid, {cpus[0]})
        os.sched_setaffinity(procs[1].pid, set(cpus[1:]))
        os.sched_setaffinity(0, set(cpus[1:]))
    airlock_ca = str(home / "ca" / "airlock-ca.pem")
    direct = (up_port, "127.0.0.1", CRED, standin_ca, False)
    proxied = (fwd_port, "api.github.com", token, airlock_ca, True)
    rounds: list[dict[str, float]] = []
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as run:
            run.run(_wait_tcp(up_port, procs[0]))
            run.run(_wait_tcp(fwd_port, procs[1]))
            for _ in range(args.rounds):
                port, host, tok, ca, via = direct
                d1 = run.run(_run(port, host, tok, args.requests, 1, ca, via))[0]
                port, host, tok, ca, via = proxied
                p1 = run.run(_run(port, host, tok, args.requests, 1, ca, via))[0]
                port, host, tok, ca, via = direct
                _, dtp, dgen, _ = run.run(_run(port, host, tok, args.burst,
                                               args.concurrency, ca, via))
                port, host, tok, ca, via = proxied
                _, ptp, pgen, cpu = run.run(_run(port, host, tok, args.burst,
                                                 args.concurrency, ca, via, procs[1].pid))
                rounds.append({"d50": pct(d1, 50), "d99": pct(d1, 99), "p50": pct(p1, 50),
                               "p99": pct(p1, 99), "a50": pct(p1, 50) - pct(d1, 50),
                               "a99": pct(p1, 99) - pct(d1, 99), "dtp": dtp, "ptp": ptp,
                               "pct": 100 * ptp / dtp, "cpu": cpu, "dgen": dgen,
                               "pgen": pgen})
    finally:
        stop_all(procs)
    where = (f"upstream pinned to CPU {cpus[0]}, Airlock and the load generator to "
             f"{','.join(map(str, cpus[1:]))}" if args.pin and len(cpus) >= 2 else
             "upstream, Airlock and the load generator share them")
    print(f"small JSON GETs over kept-alive HTTPS: {args.requests} per side at concurrency 1, "
          f"{args.burst} at concurrency {args.concurrency}; {args.rounds} rounds; upstream "
          f"answers in {args.upstream_ms:g} ms + its own CPU; "
          f"{len(cpus)} CPUs ({where})")
    head = ("direct p50", "p99", "fwd p50", "p99", "added p50", "p99", "direct rps",
            "fwd rps", "% direct", "Airlock µs", "gen µs d", "gen µs f")
    keys = ("d50", "d99", "p50", "p99", "a50", "a99", "dtp", "ptp", "pct", "cpu", "dgen",
            "pgen")
    med = print_rounds(head, keys, rounds, 10)
    print(f"added latency at concurrency 1: p50 {med['a50']:.2f} ms (target <= 3 ms), "
          f"p99 {med['a99']:.2f} ms; throughput at concurrency {args.concurrency}: "
          f"{med['ptp']:.0f} vs {med['dtp']:.0f} req/s direct = {med['pct']:.0f}% "
          f"(target >= 50%); Airlock used {med['cpu']:.0f} µs of CPU per call, the load "
          f"generator {med['dgen']:.0f} µs direct and {med['pgen']:.0f} µs proxied")


if __name__ == "__main__":
    main()
