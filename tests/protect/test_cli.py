"""The command line: snapshots, restore, undo, doctor, purge (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airlock.protect.directory import hash_tree
from airlock.protect.engine import Protector
from airlock.protect.settings import parse
from tests.protect.conftest import sh, targets


def cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "AIRLOCK_HOME": str(data_dir), **env}
    return subprocess.run([sys.executable, "-m", "airlock", *args], env=full,
                          capture_output=True, text=True, timeout=120, cwd=data_dir)


def test_cli_snapshots_restore_undo_doctor(ws: Path, data_dir: Path) -> None:
    (data_dir / "protect.toml").write_text('require_independent = "never"\n')
    p = Protector(parse({"require_independent": "never"}, str(data_dir)))
    data = ws / "data"
    data.mkdir()
    (data / "f").write_text("hello\n")
    before = hash_tree(str(data))
    snap = p.protect(targets("rm -rf data", cwd=ws), "c1")[0]["snapshot"]
    listed = cli(data_dir, "snapshots", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["snapshot"] for s in json.loads(listed.stdout)] == [snap]
    restored = cli(data_dir, "restore", snap, "--to", str(ws / "copy"))
    assert restored.returncode == 0, restored.stderr
    assert hash_tree(str(ws / "copy")) == before
    again = cli(data_dir, "restore", snap, "--to", str(ws / "copy"))
    assert again.returncode == 4 and "exists" in again.stderr
    sh("rm -rf data", ws)
    undo = cli(data_dir, "undo", "c1")
    assert undo.returncode == 0, undo.stderr
    assert hash_tree(str(data)) == before
    doctor = cli(data_dir, "doctor")
    assert doctor.returncode == 1  # same device: reported
    assert "ok    directory: snapshot" in doctor.stdout and "FAIL  independence" in doctor.stdout
    purge = cli(data_dir, "purge")
    assert purge.returncode == 0 and "nothing" in purge.stdout
    assert cli(data_dir, "undo", "nope").returncode == 1


def test_killed_mid_snapshot_leaves_nothing_listed(ws: Path, data_dir: Path) -> None:
    data = ws / "data"
    data.mkdir()
    for i in range(20):
        (data / f"f{i}").write_bytes(os.urandom(10_000))
    code = ("import sys; from airlock.protect.engine import Protector; "
            "from airlock.protect.settings import parse; from tests.support import decide; "
            f"ts = decide('rm -rf data', cwd={str(ws)!r}).targets; "
            f"Protector(parse({{'require_independent': 'never'}}, {str(data_dir)!r}))"
            ".protect(ts, 'k1')")
    env = {**os.environ, "AIRLOCK_TEST_FAULT": "snapshot-midway"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert proc.returncode == -9, proc.stderr
    p = Protector(parse({"require_independent": "never"}, str(data_dir)))
    assert p.snapshots() == []
    blobs = list((data_dir / "snapshots" / "blobs").rglob("*"))
    assert blobs  # some blobs were written before the kill, yet no snapshot is listed
    assert (data / "f0").exists()  # and nothing was deleted
