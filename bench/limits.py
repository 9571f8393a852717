"""How long Airlock takes to answer an action it will not judge in full (issue 13).

Prints the time `classify → resolve → decide` takes, in one warm process, for a 5 MB
SQL heredoc (over the size limit: held before parsing), the same SQL as a `--kind sql`
action, a heredoc just under the limit (judged in full), and a script of many small
commands that runs into the time budget; then the whole `airlock check --jsonl` process
for the 5 MB heredoc. Target: the 5 MB case answers in well under a second (it took
~61 s before the limits).

    python bench/limits.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from airlock.action import Action
from airlock.classify import limits
from airlock.config import Config
from airlock.pipeline import Checker

STMT = "INSERT INTO items (id, name, note) VALUES (1, 'x', 'some text here');\n"


def heredoc(n_bytes: int) -> str:
    return "psql <<'EOF'\n" + STMT * (n_bytes // len(STMT)) + "EOF\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    checker = Checker(Config())
    cwd = os.getcwd()
    cases = [
        ("5 MB SQL heredoc (shell)", heredoc(5_000_000), "shell"),
        ("5 MB SQL (--kind sql)", STMT * (5_000_000 // len(STMT)), "sql"),
        ("heredoc just under 256 KiB", heredoc(limits.MAX_BYTES - 1024), "shell"),
        ("32,000 x `echo a;` (time budget)", "echo a; " * 32_000, "shell"),
    ]
    for name, command, kind in cases:
        times, decision = [], None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            decision = checker.check(Action(command=command, kind=kind, cwd=cwd))
            times.append((time.perf_counter() - t0) * 1000)
        assert decision is not None
        why = next((f.detail for f in decision.flags if f.kind == "unparsed"), "")
        print(f"{name:<34} {len(command) / 1e6:5.2f} MB  {decision.decision:<5} "
              f"median {statistics.median(times):8.1f} ms  {why[:60]}")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "AIRLOCK_NO_DAEMON": "1", "AIRLOCK_HOME": home}
        line = json.dumps({"command": heredoc(5_000_000)}) + "\n"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "airlock", "check", "--jsonl"],
                              input=line, capture_output=True, text=True, env=env,
                              cwd=str(Path(home)), check=False)
        ms = (time.perf_counter() - t0) * 1000
        print(f"airlock check --jsonl, 5 MB heredoc: {json.loads(proc.stdout)['decision']} "
              f"in {ms:.0f} ms (whole process)")


if __name__ == "__main__":
    main()
