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

    python bench/forward_proxy.py [--requests 500] [--burst 2000] [--rounds 3] [--no-pin]
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

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from airlock.broker.ca import issue_leaf, new_ca
from airlock.broker.secrets import SecretBox
from airlock.broker.tokens import issue
from airlock.demo.paas_api import free_port
from airlock.ledger import Ledger, load_or_create_key
from airlock.store.db import open_store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import closed_loop, pct, print_rounds, stop_all

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


async def _run(url: str, token: str, n: int, conc: int, ca: str,
               proxy: str | None) -> tuple[list[float], float]:
    """N GETs from C concurrent workers over C keep-alive connections (aiohttp keeps a
    CONNECT tunnel open and reuses it like any connection)."""
    ctx = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc, ssl=ctx),
                                     trust_env=False) as client:
        async def call() -> None:
            async with client.get(url, headers=headers, proxy=proxy) as r:
                text = await r.read()
                assert r.status == 200, text

        return await closed_loop(call, n, conc)


def _write_pem(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=500, help="per side, concurrency 1")
    ap.add_argument("--burst", type=int, default=2000, help="per side, concurrency 16")
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
    cfg = home / "airlock.toml"
    cfg.write_text(f"""
[environments.staging]
[environments.production]
[[providers]]
name = "github"
pack = "github"
upstream = "https://127.0.0.1:{up_port}"
ca_bundle = "{standin_ca}"
[airlock]
data_dir = "{home}"
""")
    env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
    store = open_store(f"sqlite:///{home}/airlock.db")
    ledger = Ledger(store, load_or_create_key(str(home)))
    SecretBox(store, ledger, str(home)).add("github", CRED)
    token = issue(store, ledger, "bench", None, ["github:*.read"], 3600)[1]
    store.close()
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
    direct_url = f"https://127.0.0.1:{up_port}/repos/acme/shop"
    proxied_url = "https://api.github.com/repos/acme/shop"
    proxy = f"http://127.0.0.1:{fwd_port}"
    airlock_ca = str(home / "ca" / "airlock-ca.pem")
    rounds: list[dict[str, float]] = []
    try:
        asyncio.run(_wait_tcp(up_port, procs[0]))
        asyncio.run(_wait_tcp(fwd_port, procs[1]))
        for _ in range(args.rounds):
            d1, _ = asyncio.run(_run(direct_url, CRED, args.requests, 1, standin_ca, None))
            p1, _ = asyncio.run(_run(proxied_url, token, args.requests, 1, airlock_ca, proxy))
            _, dtp = asyncio.run(_run(direct_url, CRED, args.burst, args.concurrency,
                                      standin_ca, None))
            _, ptp = asyncio.run(_run(proxied_url, token, args.burst, args.concurrency,
                                      airlock_ca, proxy))
            rounds.append({"d50": pct(d1, 50), "d99": pct(d1, 99), "p50": pct(p1, 50),
                           "p99": pct(p1, 99), "a50": pct(p1, 50) - pct(d1, 50),
                           "a99": pct(p1, 99) - pct(d1, 99), "dtp": dtp, "ptp": ptp,
                           "pct": 100 * ptp / dtp})
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
            "fwd rps", "% direct")
    keys = ("d50", "d99", "p50", "p99", "a50", "a99", "dtp", "ptp", "pct")
    med = print_rounds(head, keys, rounds, 10)
    print(f"added latency at concurrency 1: p50 {med['a50']:.2f} ms (target <= 3 ms), "
          f"p99 {med['a99']:.2f} ms; throughput at concurrency {args.concurrency}: "
          f"{med['ptp']:.0f} vs {med['dtp']:.0f} req/s direct = {med['pct']:.0f}% "
          "(target >= 50%)")


if __name__ == "__main__":
    main()
