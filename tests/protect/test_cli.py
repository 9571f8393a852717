"""The command line: snapshots, restore, undo, doctor, purge (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airlock.protect.engine import Protector
from airlock.protect.settings import parse
from tests.independent import tree_state
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
    before = tree_state(data)
    snap = p.protect(targets("rm -rf data", cwd=ws), "c1")[0]["snapshot"]
    listed = cli(data_dir, "snapshots", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["snapshot"] for s in json.loads(listed.stdout)] == [snap]
    restored = cli(data_dir, "restore", snap, "--to", str(ws / "copy"))
    assert restored.returncode == 0, restored.stderr
    assert tree_state(ws / "copy") == before
    again = cli(data_dir, "restore", snap, "--to", str(ws / "copy"))
    assert again.returncode == 4 and "exists" in again.stderr
    sh("rm -rf data", ws)
    undo = cli(data_dir, "undo", "c1")
    assert undo.returncode == 0, undo.stderr
    assert tree_state(data) == before
    doctor = cli(data_dir, "doctor")
    assert doctor.returncode == 1  # single-user mode: the trust boundary does not hold
    assert "ok    directory: snapshot" in doctor.stdout
    assert "warn  independence" in doctor.stdout  # same device: named, only a warning
    assert "FAIL  independence" not in doctor.stdout
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


def _ledger(data_dir: Path) -> tuple[object, str]:
    """The ledger ``airlock serve`` would keep in ``data_dir`` (created here)."""
    from airlock.ledger import load_or_create_key, public_hex
    from airlock.store.db import open_store

    store = open_store(f"sqlite:///{data_dir / 'airlock.db'}")
    return store, public_hex(load_or_create_key(str(data_dir)))


def _entries(store: object, kind: str) -> list[dict[str, object]]:
    from airlock import ledger as L

    return [{**e, "payload": json.loads(str(e["payload"]))}
            for e in L.entries(store) if e["kind"] == kind]  # type: ignore[arg-type]


def test_undo_of_a_target_snapshotted_twice_exits_0_and_again_says_already_undone(
        ws: Path, data_dir: Path) -> None:
    """A request may hold two snapshots of one target (a claim taken over after its first
    claimer died snapshots again). Undo restores it once, from the newest, and exits 0;
    undoing again changes nothing, says so, and exits 0; each undo step is in the ledger."""
    from airlock import ledger as L

    store, key = _ledger(data_dir)
    (data_dir / "protect.toml").write_text('require_independent = "never"\n')
    p = Protector(parse({"require_independent": "never"}, str(data_dir)))
    data = ws / "data"
    data.mkdir()
    (data / "f").write_text("hello\n")
    before = tree_state(data)
    first = p.protect(targets("rm -rf data", cwd=ws), "tw1")[0]["snapshot"]
    second = p.protect(targets("rm -rf data", cwd=ws), "tw1")[0]["snapshot"]
    sh("rm -rf data", ws)
    undo = cli(data_dir, "undo", "tw1")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert f"from snapshot {second}" in undo.stdout and first not in undo.stdout
    assert tree_state(data) == before
    again = cli(data_dir, "undo", "tw1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already undone" in again.stdout and str(data) in again.stdout
    assert tree_state(data) == before
    [undone] = _entries(store, "undone")  # the second undo did nothing: nothing recorded
    assert undone["request_id"] == "tw1"
    body = undone["payload"]
    assert isinstance(body, dict)
    assert (body["what"], body["from"], body["snapshot"]) == (str(data), "snapshot", second)
    assert L.verify(store, [key]).ok  # type: ignore[arg-type]


def test_doctor_verdicts_follow_require_independent_and_every_fail_says_what_fixes_it(
        ws: Path, data_dir: Path) -> None:
    """The README's setup (no [protect] settings: require_independent = "never") with a
    snapshot on the same device: the safety net reports a warning, not a FAIL, as
    docs/safety-net.md promises. Under "always" it is a FAIL, and it says what to change."""
    p = Protector(parse({}, str(data_dir)))
    (ws / "data").mkdir()
    (ws / "data" / "f").write_text("x\n")
    p.protect(targets("rm -rf data", cwd=ws), "dr1")
    out = cli(data_dir, "doctor", "--json")
    checks = json.loads(out.stdout)
    [indep] = [c for c in checks if c["check"].startswith("independence")]
    assert indep["ok"] and indep.get("level") == "warn", indep  # not a FAIL
    assert "same device" in indep["check"]
    net = [c for c in checks if c["part"] == "safety net"]
    assert net and all(c["ok"] for c in net), net
    assert "Fix: put the store on another disk" in indep["check"]
    assert str(data_dir / "protect.toml") in indep["check"]  # where to change it
    (data_dir / "protect.toml").write_text('require_independent = "always"\n')
    strict = cli(data_dir, "doctor")
    assert strict.returncode == 1
    fails = [line for line in strict.stdout.splitlines()
             if line.startswith("FAIL") and "mode: single-user" not in line]
    assert fails and any("independence" in line for line in fails), strict.stdout
    assert all("Fix:" in line for line in fails), fails


def test_a_quarantine_done_by_airlock_and_its_undo_are_in_the_ledger(
        ws: Path, data_dir: Path) -> None:
    """What `airlock exec` / `run_sql` do instead of a delete (protect.execute.perform),
    and `airlock undo` of it, are ledger entries: quarantined, then undone, each with the
    request id, what, and where."""
    from airlock import ledger as L
    from airlock.config import Config
    from airlock.protect.execute import perform

    store, key = _ledger(data_dir)
    data = ws / "data"
    data.mkdir()
    (data / "f").write_text("keep me\n")
    before = tree_state(data)
    lines = perform(Config(data_dir=str(data_dir)), targets("rm -rf data", cwd=ws), "qr1")
    assert lines and "quarantined" in lines[0] and "not in the ledger" not in " ".join(lines)
    [q] = _entries(store, "quarantined")
    body = q["payload"]
    assert isinstance(body, dict)
    assert q["request_id"] == "qr1" and body["what"] == str(data)
    where = str(body["where"])
    assert where in lines[0] and os.path.exists(where) and not data.exists()
    undo = cli(data_dir, "undo", "qr1")
    assert undo.returncode == 0, undo.stderr
    assert tree_state(data) == before
    [u] = _entries(store, "undone")
    ubody = u["payload"]
    assert isinstance(ubody, dict)
    assert u["request_id"] == "qr1" and ubody["from"] == "quarantine"
    assert (ubody["what"], ubody["quarantine"]) == (str(data), where)
    assert str(u["actor"]).startswith("os:")
    assert L.verify(store, [key]).ok  # type: ignore[arg-type]


def test_undo_without_a_ledger_still_undoes_and_says_it_is_not_recorded(
        ws: Path, data_dir: Path) -> None:
    p = Protector(parse({"require_independent": "never"}, str(data_dir)))
    data = ws / "data"
    data.mkdir()
    (data / "f").write_text("x\n")
    p.protect(targets("rm -rf data", cwd=ws), "nl1")
    sh("rm -rf data", ws)
    undo = cli(data_dir, "undo", "nl1")
    assert undo.returncode == 0 and data.exists(), undo.stderr
    assert "not in the ledger" in undo.stderr and "journal" in undo.stderr
    assert not (data_dir / "airlock.db").exists()  # no stray ledger made for it
