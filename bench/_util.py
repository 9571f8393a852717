"""Small helpers shared by the benchmarks (not a test: they print figures)."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence


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
