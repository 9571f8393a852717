"""Whole-process latency of `airlock hook run claude-code` for an allowed `git status`.

Measures, in one run and on the venv's interpreter:

- `python -c pass` (the floor any Python hook pays),
- the hook through a warm resident daemon (started here, stopped at the end), with the
  console script (`.venv/bin/airlock`) and with `python -m airlock`,
- the hook answered in-process, cold (`AIRLOCK_NO_DAEMON=1`), both ways,
- the import cost of the console script's own entry point (`import airlock.cli`).

Target (issue 3): warm median ≤ 2× the bare interpreter.

    python bench/hook_latency.py [--runs 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import pct, summary_ms, time_process

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    runs = max(50, args.runs)

    python = sys.executable
    script = str(Path(python).parent / "airlock")
    if not os.path.exists(script):
        script = shutil.which("airlock") or script
    # The workspace must not be under /tmp (a sandbox environment for Airlock).
    base = Path(tempfile.mkdtemp(prefix="hook-bench-", dir=ROOT))
    ws = base / "proj"
    (ws / ".git").mkdir(parents=True)
    home = base / "airlock-home"
    payload = json.dumps({
        "session_id": "bench", "cwd": str(ws), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "git status", "description": "status"},
        "tool_use_id": "toolu_bench"}).encode()
    env = {k: v for k, v in os.environ.items()
           if k not in ("AIRLOCK_NO_DAEMON", "AIRLOCK_CONFIG", "AIRLOCK_TOKEN")}
    env["AIRLOCK_HOME"] = str(home)
    # a port where nothing listens: this payload never needs the hold service anyway
    env["AIRLOCK_SERVER"] = "http://127.0.0.1:9"
    cold = dict(env, AIRLOCK_NO_DAEMON="1")
    hook_script = [script, "hook", "run", "claude-code"]
    hook_module = [python, "-m", "airlock", "hook", "run", "claude-code"]

    check = subprocess.run(hook_script, input=payload, env=cold, cwd=ws,
                           capture_output=True, check=False)
    if check.stdout.strip() != b"{}" or check.returncode != 0:
        print(f"hook did not allow git status: {check.stdout!r} {check.stderr!r}")
        shutil.rmtree(base, ignore_errors=True)
        return 1

    results: dict[str, list[float]] = {}
    results["python -c pass"] = time_process([python, "-c", "pass"], runs)
    results["python -c 'import airlock.cli'"] = time_process(
        [python, "-c", "import airlock.cli"], runs)
    daemon = subprocess.Popen([script, "daemon", "--idle-timeout", "300"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sock = home / "run" / "airlock.sock"
        for _ in range(400):
            if sock.exists():
                break
            time.sleep(0.025)
        time_process(hook_script, 5, env=env, stdin=payload, cwd=str(ws))  # warm the daemon
        results["hook warm, console script"] = time_process(
            hook_script, runs, env=env, stdin=payload, cwd=str(ws))
        results["hook warm, python -m airlock"] = time_process(
            hook_module, runs, env=env, stdin=payload, cwd=str(ws))
    finally:
        daemon.terminate()
        daemon.wait(10)
    cold_runs = max(10, runs // 3)
    results["hook cold in-process, console script"] = time_process(
        hook_script, cold_runs, env=cold, stdin=payload, cwd=str(ws))
    results["hook cold in-process, python -m airlock"] = time_process(
        hook_module, cold_runs, env=cold, stdin=payload, cwd=str(ws))
    shutil.rmtree(base, ignore_errors=True)

    bare = statistics.median(results["python -c pass"])
    print(f"interpreter: {python}")
    for name, values in results.items():
        ratio = statistics.median(values) / bare
        print(f"{name:<42} {summary_ms(values)}  {ratio:4.2f}x bare")
    warm = statistics.median(results["hook warm, console script"])
    print(f"target warm median <= 2x bare ({2 * bare:.1f} ms): "
          f"{'met' if warm <= 2 * bare else 'NOT met'} ({warm:.1f} ms, p99 "
          f"{pct(results['hook warm, console script'], 99):.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
