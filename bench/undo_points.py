"""Benchmark of undo points in a git work tree (prints figures; no assertions).

For a committed repository of 1,000 files (~50 MB) and one of 10,000 files (~300 MB),
with 1% of the files then modified:

- time to take an undo point (median of ``--runs``), and of plain ``git status`` beside it;
- the extra disk space of the first point: growth of ``.git/objects`` plus the data dir;
- time to restore after ``git checkout -- .`` threw the changes away.

Each repository lives in a temp dir of its own (``GIT_CEILING_DIRECTORIES`` at the temp
dir's parent). Usage: ``python bench/undo_points.py [--runs 7] [--sizes 1000:50,10000:300]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from airlock.protect import undo_points as up


def du(path: str) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
    return total


def git(repo: str, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(root: str, n_files: int, total_mb: int) -> tuple[str, list[str]]:
    repo = os.path.join(root, "repo")
    os.makedirs(repo)
    size = total_mb * 1024 * 1024 // n_files
    paths = []
    for i in range(n_files):
        rel = f"pkg{i // 1000:02d}/mod{i // 100 % 10}/file{i:05d}.dat"
        full = os.path.join(repo, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(os.urandom(size))
        paths.append(rel)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "base")
    return repo, paths


def modify(repo: str, paths: list[str]) -> int:
    """Change 1% of the files in place; returns the bytes of the changed files."""
    changed = 0
    for rel in paths[:: 100]:
        full = os.path.join(repo, rel)
        with open(full, "r+b") as fh:
            fh.seek(len(rel))
            fh.write(os.urandom(64))
        changed += os.path.getsize(full)
    return changed


def bench(n_files: int, total_mb: int, runs: int) -> None:
    root = tempfile.mkdtemp(prefix="airlock-bench-undo-")
    os.environ["GIT_CEILING_DIRECTORIES"] = os.path.dirname(root)
    try:
        t0 = time.perf_counter()
        repo, paths = make_repo(root, n_files, total_mb)
        setup = time.perf_counter() - t0
        changed = modify(repo, paths)
        git(repo, "--no-optional-locks", "status", "-s")  # warm the page cache
        data = os.path.join(root, "airlock-home")
        objects = os.path.join(repo, ".git", "objects")
        before = du(objects)
        times = []
        space = 0
        for i in range(runs):
            t0 = time.perf_counter()
            up.take(repo, data, action="git checkout -- .")
            times.append((time.perf_counter() - t0) * 1000)
            if i == 0:
                space = du(objects) - before + du(data)
        status = []
        for _ in range(runs):
            t0 = time.perf_counter()
            git(repo, "--no-optional-locks", "status", "--porcelain=v2", "-uall")
            status.append((time.perf_counter() - t0) * 1000)
        restores = []
        for _ in range(3):
            modify(repo, paths)
            p = up.take(repo, data, action="git checkout -- .")
            git(repo, "checkout", "--", ".")
            up.settle(p)
            t0 = time.perf_counter()
            up.restore(p)
            restores.append((time.perf_counter() - t0) * 1000)
        print(f"{n_files:>6} files {total_mb:>4} MB (setup {setup:5.1f} s), 1% changed "
              f"({changed / 1e6:.2f} MB):")
        print(f"    take      first {times[0]:7.1f} ms (writes the changed files' objects); "
              f"then median {statistics.median(times[1:]):7.1f} ms  min {min(times[1:]):7.1f}"
              f"  max {max(times[1:]):7.1f}  (n={runs - 1})")
        print(f"    git status median {statistics.median(status):6.1f} ms (for scale)")
        print(f"    space     {space / 1e6:7.2f} MB (.git/objects growth + data dir) for "
              f"{changed / 1e6:.2f} MB of changed files")
        print(f"    restore   median {statistics.median(restores):7.1f} ms (after git "
              "checkout -- ., incl. the point of the state it replaces)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="1000:50,10000:300", help="files:MB,…")
    args = ap.parse_args()
    if os.path.realpath(os.getcwd()).startswith(os.path.realpath(
            os.path.join(os.path.dirname(__file__), ".."))):
        os.chdir(tempfile.gettempdir())  # never run git from inside the project checkout
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    print(f"git {version.split()[-1]}, {os.cpu_count()} cores")
    for spec in args.sizes.split(","):
        n, mb = spec.split(":")
        bench(int(n), int(mb), args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
