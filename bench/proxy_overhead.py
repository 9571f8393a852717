"""Added latency and throughput of the Airlock proxy on the allow path.

Starts the stand-in PaaS API and ``airlock serve`` as separate processes on 127.0.0.1,
then sends the same read-only GraphQL query directly and through ``/proxy/railway/``,
N requests each at concurrency C (default 2000 at 16), and prints p50/p99 latency and
throughput for both. Everything it starts is stopped at the end.

    python bench/proxy_overhead.py [--requests 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from airlock.broker.secrets import SecretBox
from airlock.broker.tokens import issue
from airlock.demo.paas_api import free_port
from airlock.ledger import Ledger, load_or_create_key
from airlock.store.db import open_store

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
    lat: list[float] = []
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(min(50, n)):  # warm up
            r = await client.post(url, json={"query": QUERY}, headers=headers)
            assert r.status_code == 200, r.text
        todo = iter(range(n))

        async def worker() -> None:
            for _ in todo:
                t0 = time.perf_counter()
                r = await client.post(url, json={"query": QUERY}, headers=headers)
                lat.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return lat, n / (time.perf_counter() - t0)


def _pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100)[int(p) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="airlock-bench-"))
    paas_port, airlock_port = free_port(), free_port()
    cfg = home / "airlock.toml"
    cfg.write_text(f"""
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
[airlock]
data_dir = "{home}"
""")
    env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
    store = open_store(f"sqlite:///{home}/airlock.db")
    ledger = Ledger(store, load_or_create_key(str(home)))
    SecretBox(store, ledger, str(home)).add("railway", CRED)
    token = issue(store, ledger, "bench", "staging", ["railway:*.read"], 3600)[1]
    store.close()
    procs = [
        subprocess.Popen([sys.executable, "-m", "airlock.demo.paas_api", "--port",
                          str(paas_port), "--root", str(home / "paas"), "--token", CRED],
                         env=env),
        subprocess.Popen([sys.executable, "-m", "airlock", "serve", "--port",
                          str(airlock_port), "--config", str(cfg)], env=env, cwd=home),
    ]
    try:
        _wait(f"http://127.0.0.1:{paas_port}/graphql/v2", procs[0])
        _wait(f"http://127.0.0.1:{airlock_port}/v1/health", procs[1])
        direct, d_tp = asyncio.run(_run(f"http://127.0.0.1:{paas_port}/graphql/v2", CRED,
                                        args.requests, args.concurrency))
        proxied, p_tp = asyncio.run(_run(
            f"http://127.0.0.1:{airlock_port}/proxy/railway/graphql/v2", token,
            args.requests, args.concurrency))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"{args.requests} requests each, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs")
    for name, lat, tp in (("direct", direct, d_tp), ("proxied", proxied, p_tp)):
        print(f"{name:8} p50 {_pct(lat, 50):7.2f} ms  p99 {_pct(lat, 99):7.2f} ms  "
              f"{tp:7.0f} req/s")
    print(f"added    p50 {_pct(proxied, 50) - _pct(direct, 50):7.2f} ms  "
          f"p99 {_pct(proxied, 99) - _pct(direct, 99):7.2f} ms  "
          f"throughput {100 * p_tp / d_tp:.0f}% of direct")


if __name__ == "__main__":
    main()
