"""Small helpers shared by the benchmarks (not a test: they print figures)."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path


def provision(home: Path, config: str, secret: str, credential: str, scope: str | None,
              allow: list[str], ttl: float = 7200) -> tuple[Path, dict[str, str], str]:
    """An Airlock home for a bench: ``config`` as its airlock.toml (with ``data_dir`` set
    to ``home``), ``credential`` as the secret ``secret``, and a token for agent "bench".
    Returns the config's path, the environment to run ``airlock serve`` in, the token."""
    from airlock.broker.secrets import SecretBox
    from airlock.broker.tokens import issue
    from airlock.ledger import Ledger, load_or_create_key
    from airlock.store.db import open_store

    path = home / "airlock.toml"
    path.write_text(config + f'\n[airlock]\ndata_dir = "{home}"\n')
    store = open_store(f"sqlite:///{home}/airlock.db")
    ledger = Ledger(store, load_or_create_key(str(home)))
    SecretBox(store, ledger, str(home)).add(secret, credential)
    token = issue(store, ledger, "bench", scope, allow, ttl)[1]
    store.close()
    return path, dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1"), token


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def time_process(argv: list[str], runs: int, env: dict[str, str] | None = None,
                 stdin: bytes | None = None, cwd: str | None = None) -> list[float]:
    """Wall-clock milliseconds of ``runs`` whole-process runs of ``argv``."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, input=stdin, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary_ms(values: Sequence[float]) -> str:
    return (f"median {statistics.median(values):7.2f} ms   p99 {pct(values, 99):7.2f} ms   "
            f"(n={len(values)})")


async def closed_loop(call: Callable[[], Awaitable[None]], n: int, conc: int
                      ) -> tuple[list[float], float]:
    """``n`` calls of ``call`` by ``conc`` workers, each starting its next call when the
    last one answered (after a warm-up of up to 50): the latencies in ms and the calls
    per second."""
    for _ in range(min(50, n)):
        await call()
    lat: list[float] = []
    todo = iter(range(n))

    async def worker() -> None:
        for _ in todo:
            t0 = time.perf_counter()
            await call()
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return lat, n / (time.perf_counter() - t0)


def stop_all(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process, then wait (kill what has not stopped within 10 s)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def print_rounds(head: Sequence[str], keys: Sequence[str], rounds: list[dict[str, float]],
                 width: int = 10) -> dict[str, float]:
    """A table of the rounds' figures with a median row; returns the medians."""
    print("       " + "  ".join(f"{h:>{width}}" for h in head))
    for i, r in enumerate(rounds, 1):
        print(f"round {i}" + "  ".join(f"{r[k]:{width}.2f}" for k in keys))
    med = {k: statistics.median(r[k] for r in rounds) for k in keys}
    print("median " + "  ".join(f"{med[k]:{width}.2f}" for k in keys))
    return med
