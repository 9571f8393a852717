"""Added latency per allowed ``tools/call`` through ``airlock mcp proxy``, beside direct.

A real SDK MCP server (tests/intake/mcp/upstream_server.py, over a real SQLite file) is
called over stdio by a real SDK client session, once directly and once through the
proxy, with calls that the pipeline allows: ``read_query`` (SQL, through the SQL
classifier), ``echo`` (declared read-only in ``[mcp]``). Target: <= 5 ms added at p50.

    python bench/mcp_overhead.py [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._util import pct  # noqa: E402

UPSTREAM = str(ROOT / "tests" / "intake" / "mcp" / "upstream_server.py")
CALLS = [("read_query", {"query": "SELECT id, name FROM items WHERE id = 2"}),
         ("echo", {"text": "hello"})]


async def measure(params: StdioServerParameters, calls: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name, _ in CALLS}
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        for name, args in CALLS:  # warm up: imports, parsers, Cedar
            for _ in range(20):
                await client.call_tool(name, args)
        for _ in range(calls):
            for name, args in CALLS:
                t0 = time.perf_counter()
                result = await client.call_tool(name, args)
                out[name].append((time.perf_counter() - t0) * 1000)
                assert not result.is_error, result
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airlock-mcp-bench-", dir=str(ROOT / ".pytest_ws")
                                 if (ROOT / ".pytest_ws").is_dir() else None))
    try:
        db = work / "app.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
            conn.executemany("INSERT INTO items VALUES (?, ?)", [(1, "a"), (2, "b")])
        cfg = work / "airlock.toml"
        cfg.write_text('[mcp]\nread_only = ["echo"]\n')
        env = dict(os.environ, AIRLOCK_NO_DAEMON="1", AIRLOCK_HOME=str(work / "home"))
        env.pop("AIRLOCK_TOKEN", None)
        upstream = [UPSTREAM, str(db)]
        direct = StdioServerParameters(command=sys.executable, args=upstream, env=env,
                                       cwd=str(work))
        proxied = StdioServerParameters(
            command=sys.executable,
            args=["-m", "airlock", "mcp", "proxy", "--config", str(cfg), "--",
                  sys.executable, *upstream], env=env, cwd=str(work))
        d = anyio.run(measure, direct, opts.calls)
        p = anyio.run(measure, proxied, opts.calls)
        print(f"tools/call latency, {opts.calls} calls each, client -> server over stdio")
        print(f"{'call':<12}{'direct p50':>12}{'proxy p50':>12}{'added p50':>12}"
              f"{'direct p99':>12}{'proxy p99':>12}")
        for name, _ in CALLS:
            dm, pm = statistics.median(d[name]), statistics.median(p[name])
            print(f"{name:<12}{dm:>10.2f}ms{pm:>10.2f}ms{pm - dm:>10.2f}ms"
                  f"{pct(d[name], 99):>10.2f}ms{pct(p[name], 99):>10.2f}ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
