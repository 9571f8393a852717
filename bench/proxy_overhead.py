"""Added latency and throughput of the Airlock proxy on the allow path.

Starts the stand-in PaaS API and ``airlock serve`` as separate processes on 127.0.0.1,
then sends the same read-only GraphQL query directly and through ``/proxy/railway/``,
N requests each at concurrency C (default 2000 at 16), in R alternating rounds (default
5), and prints p50/p99 latency and throughput for both, per round and the median, with
the CPU time Airlock used per proxied call. Everything it starts is stopped at the end.

    python bench/proxy_overhead.py [--requests 2000] [--concurrency 16] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from airlock.demo.paas_api import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import closed_loop, pct, print_rounds, provision, stop_all

CRED = "rw_bench_credential_0123456789abcdef"
QUERY = '{ volume(id: "5b1f0c2e-stg") { name environment { name } } }'


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: process exited {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def _run(url: str, token: str, n: int, conc: int) -> tuple[list[float], float]:
    """N calls from C concurrent workers over C keep-alive connections. The load
    generator is aiohttp, not httpx: httpx's client cost ~3.5 ms of CPU per call here,
    more than either server, and took that CPU from them."""
    body = json.dumps({"query": QUERY}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as client:
        async def call() -> None:
            async with client.post(url, data=body, headers=headers) as r:
                text = await r.read()
                assert r.status == 200, text

        return await closed_loop(call, n, conc)


def _cpu_ms(pid: int) -> float:
    """User + system CPU time a process has used so far, in ms (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="let upstream, Airlock and load generator share every core")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="airlock-bench-"))
    paas_port, airlock_port = free_port(), free_port()
    cfg, env, token = provision(home, f"""
[environments.staging]
[environments.production]
[[resources]]
name = "staging-data"
kind = "volume"
env = "staging"
ids = ["5b1f0c2e-stg"]
[[providers]]
name = "railway"
pack = "railway"
upstream = "http://127.0.0.1:{paas_port}"
""", "railway", CRED, "staging", ["railway:*.read"])
    procs = [
        subprocess.Popen([sys.executable, "-m", "airlock.demo.paas_api", "--port",
                          str(paas_port), "--root", str(home / "paas"), "--token", CRED],
                         env=env),
        subprocess.Popen([sys.executable, "-m", "airlock", "serve", "--port",
                          str(airlock_port), "--config", str(cfg)], env=env, cwd=home),
    ]
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin and len(cpus) >= 2:
        # the upstream stands for a provider's API, which runs on other machines: give it
        # a core of its own, and Airlock and the load generator the rest, in both runs
        os.sched_setaffinity(procs[0].pid, {cpus[0]})
        os.sched_setaffinity(procs[1].pid, set(cpus[1:]))
        os.sched_setaffinity(0, set(cpus[1:]))
    direct_url = f"http://127.0.0.1:{paas_port}/graphql/v2"
    proxy_url = f"http://127.0.0.1:{airlock_port}/proxy/railway/graphql/v2"
    rounds: list[dict[str, float]] = []
    try:
        _wait(direct_url, procs[0])
        _wait(f"http://127.0.0.1:{airlock_port}/v1/health", procs[1])
        for _ in range(args.rounds):
            rounds.append(_round(procs, direct_url, proxy_url, token, args))
    finally:
        stop_all(procs)
    where = (f"upstream pinned to CPU {cpus[0]}, Airlock and the load generator to "
             f"{','.join(map(str, cpus[1:]))}" if args.pin and len(cpus) >= 2 else
             "upstream, Airlock and the load generator share them")
    print(f"{args.requests} requests per side per round, {args.rounds} rounds, concurrency "
          f"{args.concurrency}, {len(cpus)} CPUs ({where})")
    head = ("direct p50", "p99", "req/s", "proxied p50", "p99", "req/s", "added p50", "p99",
            "% of direct", "Airlock CPU/call")
    keys = ("d50", "d99", "dtp", "p50", "p99", "ptp", "a50", "a99", "pct", "cpu")
    med = print_rounds(head, keys, rounds, 11)
    print(f"added p50 {med['a50']:.2f} ms (target <= 2 ms), throughput {med['pct']:.0f}% of "
          f"direct (target >= 50%); Airlock used {med['cpu']:.2f} ms of CPU per proxied call")


def _round(procs: list[subprocess.Popen[bytes]], direct_url: str, proxy_url: str,
           token: str, args: argparse.Namespace) -> dict[str, float]:
    """One direct run, then one proxied run, back to back (alternating rounds keep slow
    drifts of a shared machine out of the comparison)."""
    direct, d_tp = asyncio.run(_run(direct_url, CRED, args.requests, args.concurrency))
    before = _cpu_ms(procs[1].pid)
    proxied, p_tp = asyncio.run(_run(proxy_url, token, args.requests, args.concurrency))
    calls = args.requests + min(50, args.requests)  # with the warm-up
    return {"d50": pct(direct, 50), "d99": pct(direct, 99), "dtp": d_tp,
            "p50": pct(proxied, 50), "p99": pct(proxied, 99), "ptp": p_tp,
            "a50": pct(proxied, 50) - pct(direct, 50),
            "a99": pct(proxied, 99) - pct(direct, 99),
            "pct": 100 * p_tp / d_tp, "cpu": (_cpu_ms(procs[1].pid) - before) / calls}

if __name__ == "__main__":
    main()
