"""Throughput and latency of ``POST /v1/actions`` (allow path) at concurrency 32, beside a
no-op endpoint (``GET /v1/health``) on the same server.

    python bench/serve_throughput.py [--requests 3000] [--concurrency 32] [--database URL]

Starts a real ``airlock serve`` on a fresh data dir (SQLite unless --database), issues an
agent token, and reports decisions/s and p50/p99 latency. Each POST varies the path so
every request runs the whole pipeline (no request dedup) and appends two ledger entries.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _run(url: str, n: int, conc: int, make: Any) -> tuple[float, list[float], dict[str, int]]:
    lat: list[float] = []
    outcomes: dict[str, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                r = await make(client, i)
                lat.append(time.perf_counter() - started)
                key = r.json().get("decision", str(r.status_code)) if r.status_code == 200 \
                    and r.request.method == "POST" else str(r.status_code)
                outcomes[key] = outcomes.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - started
    return wall, lat, outcomes


def _report(name: str, wall: float, lat: list[float], outcomes: dict[str, int]) -> None:
    lat.sort()
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    print(f"{name:<22} {len(lat) / wall:>9.0f} req/s   p50 {p50:>7.1f} ms   "
          f"p99 {p99:>7.1f} ms   {outcomes}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--database", default=None)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="airlock-bench-")
    env = {**os.environ, "AIRLOCK_HOME": home, "AIRLOCK_NO_DAEMON": "1"}
    cli = [sys.executable, "-m", "airlock"]
    db = ["--database", args.database] if args.database else []
    token = subprocess.run([*cli, "token", "issue", "--agent", "bench", *db], env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    port = _port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), *db], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}

        async def health(client: httpx.AsyncClient, _i: int) -> httpx.Response:
            return await client.get("/v1/health")

        async def action(client: httpx.AsyncClient, i: int) -> httpx.Response:
            return await client.post("/v1/actions", headers=headers,
                                     json={"command": f"ls -la /tmp/bench{i}"})

        asyncio.run(_run(url, 200, args.concurrency, action))  # warm up
        print(f"airlock serve, {args.concurrency} concurrent clients, {args.requests} requests "
              f"each, database {'sqlite' if not args.database else 'postgresql'}, "
              f"{os.cpu_count()} cores")
        _report("GET /v1/health (no-op)", *asyncio.run(
            _run(url, args.requests, args.concurrency, health)))
        _report("POST /v1/actions", *asyncio.run(
            _run(url, args.requests, args.concurrency, action)))
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
