"""How Airlock does on labelled commands, measured as a user would run it.

Each file given is a labelled JSONL set: one object per line, either in the corpus format
(``{"command": …, "expect": "allow"|"hold"|"deny", "kind": …, "scope": …, "dialect": …,
"database": …}``, as in ``tests/corpus``) or the simpler ``{"command": …, "label":
"block"|"allow"}``. A case labelled hold, deny or block is *must-block*: it counts as caught
when Airlock holds or denies it. A case labelled allow is *ordinary*: it counts when
Airlock allows it.

The commands go through the real CLI, ``airlock check --jsonl`` in a subprocess, with a
fresh ``AIRLOCK_HOME`` in a temp dir (so no user config, no daemon: the default policy of
a new install, unless ``--config`` names one) and, as working directory, a throwaway git
work tree outside any temp dir laid out like the corpus workspace (``tests/test_corpus.py``
``FILES``: ``src/``, ``build/``, ``node_modules/``, ``Makefile``, ``package.json``, a
``.env`` …). Per file it prints N, the share of must-block cases caught and of ordinary
cases allowed, and the misses (30 of each; ``--all`` for all) with Airlock's reason.

It is a measurement, not a test: the exit status is 0 whatever the figures.

    python bench/heldout.py SET.jsonl [SET2.jsonl …] [--config airlock.toml] [--all]
    python bench/heldout.py --config tests/corpus/airlock.toml tests/corpus/*.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BLOCK_LABELS = {"hold", "deny", "block"}
ALLOW_LABELS = {"allow"}
PASSED = ("kind", "scope", "dialect", "database")
SHOWN = 30


@dataclass
class Case:
    line: int
    command: str
    block: bool
    action: dict[str, Any]


@dataclass
class Result:
    path: str
    cases: list[Case] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def load(path: str) -> Result:
    """The labelled cases of one file; lines without a usable label are reported, not
    measured."""
    res = Result(path)
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            res.skipped.append(f"line {n}: not JSON ({exc})")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            res.skipped.append(f"line {n}: no 'command' string")
            continue
        label = str(item.get("expect", item.get("label", ""))).lower()
        if label not in BLOCK_LABELS | ALLOW_LABELS:
            res.skipped.append(f"line {n}: label {label!r} is none of "
                               "allow/hold/deny/block")
            continue
        action = {"id": n, "command": item["command"]}
        action.update({k: item[k] for k in PASSED if item.get(k) is not None})
        res.cases.append(Case(n, item["command"], label in BLOCK_LABELS, action))
    return res


def make_workspace() -> tuple[Path, Path]:
    """The corpus workspace, under the place the test suite uses (never a temp dir: those
    are a sandbox environment, where deleting is allowed). Returns (proj, dir to remove)."""
    sys.path.insert(0, str(ROOT))
    from tests.test_corpus import FILES
    from tests.wsbase import WS_BASE

    top = WS_BASE / f"heldout-{uuid.uuid4().hex[:12]}"
    proj = top / "proj"
    for rel, text in FILES.items():
        (proj / rel).parent.mkdir(parents=True, exist_ok=True)
        (proj / rel).write_text(text)
    return proj, top


def airlock_argv() -> list[str]:
    beside = Path(sys.executable).parent / "airlock"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("airlock")
    return [found] if found else [sys.executable, "-m", "airlock"]


def run(results: list[Result], cwd: Path, config: str | None) -> None:
    """Every case through one ``airlock check --jsonl`` per file."""
    with tempfile.TemporaryDirectory(prefix="airlock-heldout-home-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
        env["AIRLOCK_HOME"] = home
        env["AIRLOCK_NO_DAEMON"] = "1"  # answer in this process; leave nothing running
        env["GIT_CEILING_DIRECTORIES"] = str(cwd.parent)
        argv = [*airlock_argv(), "check", "--jsonl"]
        if config:
            argv[-1:-1] = ["--config", str(Path(config).resolve())]
        for res in results:
            stdin = "".join(json.dumps(c.action) + "\n" for c in res.cases)
            proc = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  cwd=cwd, env=env, check=False)
            got = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
            by_id = {d.get("id"): d for d in got}
            res.decisions = [by_id.get(c.line) or {
                "decision": "error", "reasons": [f"no answer (exit {proc.returncode}): "
                                                 f"{proc.stderr.strip()[-300:]}"]}
                for c in res.cases]


def pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.1f}%)" if n else "0/0 (-)"


def report(res: Result, show_all: bool) -> str:
    block_miss: list[str] = []
    allow_miss: list[str] = []
    n_block = caught = n_allow = allowed = 0
    for case, d in zip(res.cases, res.decisions, strict=True):
        decision = d.get("decision")
        reason = (d.get("reasons") or ["-"])[0]
        row = f"    line {case.line}: {case.command!r} → {decision}: {reason}"
        if case.block:
            n_block += 1
            if decision in ("hold", "deny"):
                caught += 1
            else:
                block_miss.append(row)
        else:
            n_allow += 1
            if decision == "allow":
                allowed += 1
            else:
                allow_miss.append(row)
    out = [f"{res.path}: N={len(res.cases)}",
           f"  must-block caught (hold or deny): {pct(caught, n_block)}",
           f"  ordinary allowed:                 {pct(allowed, n_allow)}"]
    for title, rows in (("must-block allowed", block_miss), ("ordinary held", allow_miss)):
        if rows:
            limit = len(rows) if show_all else SHOWN
            out.append(f"  {title} ({len(rows)}):")
            out.extend(rows[:limit])
            if len(rows) > limit:
                out.append(f"    … {len(rows) - limit} more (--all shows them)")
    for skip in res.skipped:
        out.append(f"  skipped {skip}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("files", nargs="+", help="labelled JSONL files")
    ap.add_argument("--config", help="an airlock.toml to check with (default: none, as a "
                                     "fresh install)")
    ap.add_argument("--all", action="store_true", help="list every miss, not 30 of each")
    args = ap.parse_args(argv)
    results = []
    for path in args.files:
        try:
            results.append(load(path))
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}")
    proj, top = make_workspace()
    try:
        run(results, proj, args.config)
    finally:
        shutil.rmtree(top, ignore_errors=True)
        with contextlib.suppress(OSError):
            top.parent.rmdir()  # the per-run dir tests/wsbase.py made, when empty
    for res in results:
        print(report(res, args.all))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
