"""Decision latency of classify → resolve → decide, and the cost of one `airlock check`.

Prints, for a corpus of ≥ 1,000 actions decided in one process: median and p99
microseconds per decision and decisions per second — for the first pass (cold caches:
every command new to the process) and for the steady state (the same commands again,
as a long-running daemon sees them). Then the whole-process wall time of
`airlock check -- git status` beside `python -c pass` on the same interpreter: in-process
(no daemon) and through a warm resident daemon.

Targets (issue 2): median ≤ 200 µs, p99 ≤ 2 ms per decision; whole process ≤ 3× the
bare interpreter.

    python bench/check_latency.py [--runs 40]
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
CORPUS = ROOT / "tests" / "corpus"

EXTRA = [
    "git status", "git diff", "git log --oneline -20", "ls -la", "cat README.md",
    "grep -rn TODO src", "pytest -q", "npm test", "npm run build", "make", "cargo test",
    "rm -rf build", "rm -rf /", "git reset --hard", "git push --force origin main",
    "psql -h db.prod.internal -c 'DROP TABLE users'", "kubectl delete ns prod",
    "terraform destroy -auto-approve", "aws s3 rb s3://acme-prod-assets --force",
    "curl -X POST -d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c42fb\\\") }\"}' "
    "https://backboard.railway.app/graphql/v2",
]


def load_corpus(corpus: Path = CORPUS) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                items.append({k: item[k] for k in ("command", "kind", "dialect", "scope")
                              if k in item})
    items.extend({"command": c} for c in EXTRA)
    return items


def make_workspace(base: Path) -> Path:
    ws = base / "shop"
    (ws / ".git").mkdir(parents=True)
    for d in ("src", "build", "node_modules", "migrations"):
        (ws / d).mkdir()
    (ws / "README.md").write_text("# shop\n")
    return ws


def in_process(ws: Path, corpus: Path = CORPUS) -> None:
    from airlock.action import Action
    from airlock.config import load_config
    from airlock.pipeline import Checker

    config_path = CORPUS / "airlock.toml"
    cfg = load_config(str(config_path) if config_path.exists() else None, str(ws))
    t0 = time.perf_counter()
    checker = Checker(cfg)
    build_ms = (time.perf_counter() - t0) * 1000
    items = load_corpus(corpus)
    actions = [Action(command=i["command"], kind=i.get("kind", "shell"), scope=i.get("scope"),
                      dialect=i.get("dialect"), cwd=str(ws)) for i in items]
    # ≥ 1,000 distinct decisions: the corpus in three working directories
    subdirs = [ws, ws / "src", ws / "build"]
    batch = [Action(command=a.command, kind=a.kind, scope=a.scope, dialect=a.dialect,
                    cwd=str(d)) for d in subdirs for a in actions]
    while len(batch) < 1000:
        batch.extend(batch[: 1000 - len(batch)])

    def run(label: str) -> None:
        times = []
        t_all = time.perf_counter()
        for a in batch:
            t = time.perf_counter()
            checker.check(a)
            times.append((time.perf_counter() - t) * 1e6)
        total = time.perf_counter() - t_all
        print(f"  {label:<28} median {statistics.median(times):7.1f} µs   "
              f"p99 {pct(times, 99):8.1f} µs   max {max(times):8.1f} µs   "
              f"{len(batch) / total:8.0f} decisions/s")

    print(f"decisions in one process: {len(batch)} actions "
          f"({len(items)} distinct commands × {len(subdirs)} cwds); "
          f"engine build {build_ms:.0f} ms")
    run("first pass (cold caches)")
    run("steady state")
    run("steady state, again")


def whole_process(ws: Path, runs: int) -> None:
    py = sys.executable
    home = tempfile.mkdtemp(prefix="airlock-bench-home-")
    env = {**os.environ, "AIRLOCK_HOME": home, "AIRLOCK_NO_DAEMON": "1"}
    env.pop("AIRLOCK_CONFIG", None)
    script = shutil.which("airlock", path=str(Path(py).parent)) or "airlock"
    print(f"\nwhole process, {runs} runs each (cwd = a git work tree):")
    bare = time_process([py, "-c", "pass"], runs, env=env)
    print(f"  python -c pass                         {summary_ms(bare)}")
    cold = time_process([script, "check", "--", "git status"], runs, env=env, cwd=str(ws))
    print(f"  airlock check (in-process, no daemon)  {summary_ms(cold)}   "
          f"{statistics.median(cold) / statistics.median(bare):.1f}× bare")
    denv = {**env}
    denv.pop("AIRLOCK_NO_DAEMON")
    daemon = subprocess.Popen([script, "daemon", "--idle-timeout", "120"], env=denv,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sock = Path(home) / "run" / "airlock.sock"
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        time_process([script, "check", "--", "git status"], 3, env=denv, cwd=str(ws))
        warm = time_process([script, "check", "--", "git status"], runs, env=denv, cwd=str(ws))
        print(f"  airlock check (warm daemon)            {summary_ms(warm)}   "
              f"{statistics.median(warm) / statistics.median(bare):.1f}× bare")
        modm = time_process([py, "-m", "airlock", "check", "--", "git status"], runs, env=denv,
                            cwd=str(ws))
        print(f"  python -m airlock check (warm daemon)  {summary_ms(modm)}   "
              f"{statistics.median(modm) / statistics.median(bare):.1f}× bare")
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="a directory of labelled *.jsonl to decide (default: "
                             "tests/corpus), e.g. an older checkout's, to compare like "
                             "for like")
    parser.add_argument("--decisions-only", action="store_true",
                        help="skip the whole-process timings")
    args = parser.parse_args()
    # not under /tmp: Airlock treats temp dirs as a sandbox
    sys.path.insert(0, str(ROOT))
    from tests.wsbase import WS_BASE

    base = Path(tempfile.mkdtemp(prefix="airlock-bench-", dir=str(WS_BASE)))
    try:
        ws = make_workspace(base)
        in_process(ws, args.corpus)
        if not args.decisions_only:
            whole_process(ws, args.runs)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
