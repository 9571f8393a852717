"""Directories: snapshot, delete (as the agent, or as quarantine), undo; exact restore."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airlock.protect import RestoreRefused, StoreFull, StoreUnwritable
from airlock.protect.engine import Protector
from airlock.protect.settings import parse
from tests.independent import tree_state
from tests.protect.conftest import sh, targets


def make_tree(root: Path) -> None:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "sub" / "b.bin").write_bytes(os.urandom(200_000))
    (root / "sub" / "deep" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "sub" / "deep" / "run.sh", 0o751)
    os.chmod(root / "a.txt", 0o600)
    os.symlink("sub/b.bin", root / "link")
    os.symlink("/nonexistent/elsewhere", root / "dangling")
    os.utime(root / "a.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    os.chmod(root / "sub", 0o750)


def test_rm_rf_then_undo_restores_contents_modes_symlinks_mtimes(
        ws: Path, protector: Protector) -> None:
    data = ws / "data"
    data.mkdir()
    make_tree(data)
    before = tree_state(data)
    ts = targets("rm -rf data", cwd=ws)
    done = protector.protect(ts, "req1")
    assert done[0]["snapshot"] and done[0]["kind"] == "directory"
    sh("rm -rf data", ws)
    assert not data.exists()
    assert protector.undo("req1")
    assert tree_state(data) == before
    assert os.readlink(data / "link") == "sub/b.bin"
    assert oct(os.stat(data / "sub" / "deep" / "run.sh").st_mode & 0o777) == "0o751"
    assert os.stat(data / "a.txt").st_mtime_ns == 1_600_000_000_123_456_789


def test_undo_refuses_to_overwrite_and_restores_elsewhere(ws: Path,
                                                          protector: Protector) -> None:
    data = ws / "data"
    data.mkdir()
    make_tree(data)
    before = tree_state(data)
    protector.protect(targets("rm -rf data", cwd=ws), "req2")
    sh("rm -rf data && mkdir data && echo new > data/new", ws)
    with pytest.raises(RestoreRefused):
        protector.undo("req2")
    assert (data / "new").read_text() == "new\n"
    protector.undo("req2", to=str(ws / "data.restored"))
    assert tree_state(ws / "data.restored") == before


def test_quarantine_is_a_rename_on_the_same_filesystem_and_undo_moves_it_back(
        ws: Path, protector: Protector) -> None:
    data = ws / "data"
    data.mkdir()
    make_tree(data)
    before = tree_state(data)
    out = protector.quarantine(targets("rm -rf data", cwd=ws), "req3")
    q = out[-1]["quarantine"]["quarantine"]
    assert not data.exists() and os.stat(q).st_dev == os.stat(ws).st_dev
    assert protector.purgeable() == []  # retention: 7 days by default
    assert "moved" in protector.undo("req3")[0]
    assert tree_state(data) == before


def test_purge_only_after_retention(ws: Path, protector: Protector) -> None:
    data = ws / "data"
    data.mkdir()
    (data / "x").write_text("x")
    out = protector.quarantine(targets("rm -rf data", cwd=ws), "req4")
    q = out[-1]["quarantine"]["quarantine"]
    assert "kept" in protector.purge("req4")[0]
    import time

    assert protector.purge("req4", now=time.time() + 8 * 86400)[0].startswith("purged")
    assert not os.path.exists(q)


def test_absent_path_needs_no_snapshot(ws: Path, protector: Protector) -> None:
    out = protector.protect(targets("rm -rf nothing-here", cwd=ws), "req5")
    assert "does not exist" in out[0]["skipped"]


def test_store_full_refuses_and_leaves_no_snapshot(ws: Path, data_dir: Path) -> None:
    p = Protector(parse({"require_independent": "never", "quota_bytes": 50_000},
                        str(data_dir)))
    data = ws / "data"
    data.mkdir()
    make_tree(data)
    with pytest.raises(StoreFull, match="full"):
        p.protect(targets("rm -rf data", cwd=ws), "req6")
    assert p.snapshots() == []


def test_store_unwritable_refuses(ws: Path, data_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # the store would have to live under a regular file
    p = Protector(parse({"require_independent": "never", "path": str(blocker / "store")},
                        str(data_dir)))
    (ws / "data").mkdir()
    (ws / "data" / "x").write_text("x")
    with pytest.raises(StoreUnwritable, match="not writable"):
        p.protect(targets("rm -rf data", cwd=ws), "req7")


def test_doctor_restores_newest_snapshot_and_reports_same_device(
        ws: Path, data_dir: Path) -> None:
    p = Protector(parse({"require_independent": "never"}, str(data_dir)))
    (ws / "data").mkdir()
    make_tree(ws / "data")
    p.protect(targets("rm -rf data", cwd=ws), "req8")
    results = p.checkup()
    text = "\n".join(f"{level} {t}" for level, t in results)
    assert "ok directory: snapshot" in text and "tree checksum matches" in text
    # require_independent = "never": named, with what fixes it, but only a warning
    [same] = [t for level, t in results if "same device" in t]
    assert ("warn", same) in results and "Fix: put the store on another disk" in same
    assert all(ok for ok, _ in p.doctor())
    # "always" (or "production"): the claims it refuses make it a failure
    strict = Protector(parse({"require_independent": "always"}, str(data_dir)))
    assert any(level == "fail" and "same device" in t and "Fix:" in t
               for level, t in strict.checkup())


def test_independence_required_refuses_the_snapshot(ws: Path, data_dir: Path) -> None:
    from airlock.protect import NotIndependent

    p = Protector(parse({"require_independent": "always"}, str(data_dir)))
    (ws / "data").mkdir()
    (ws / "data" / "x").write_text("x")
    with pytest.raises(NotIndependent, match="same device"):
        p.protect(targets("rm -rf data", cwd=ws), "req9")
    inside = Protector(parse({"require_independent": "always",
                              "path": str(ws / "data" / "store")}, str(data_dir)))
    with pytest.raises(NotIndependent, match="inside the protected path"):
        inside.protect(targets("rm -rf data", cwd=ws), "req9b")


def test_production_policy_requires_independence_only_for_production(
        ws: Path, data_dir: Path) -> None:
    from airlock.action import Risk, Target
    from airlock.protect import NotIndependent

    (ws / "data").mkdir()
    (ws / "data" / "x").write_text("x")
    p = Protector(parse({"require_independent": "production"}, str(data_dir)))
    prod = Target(kind="directory", name=str(ws / "data"), verb="fs.delete",
                  risk=Risk.DESTRUCTIVE, locator=f"path:{ws / 'data'}", production=True)
    with pytest.raises(NotIndependent):
        p.protect([prod], "prod1")
    staging = Target(kind="directory", name=str(ws / "data"), verb="fs.delete",
                     risk=Risk.DESTRUCTIVE, locator=f"path:{ws / 'data'}", production=False)
    out = p.protect([staging], "stg1")
    assert out[0]["snapshot"] and "same device" in out[0]["independence"][0]  # warned
    assert p.plan([prod])[0]["independence_required"] is True


def _git_status(ws: Path) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(ws), "status", "--porcelain",
                           "--untracked-files=all"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.parametrize("where", ["data", "src/deep/data"])
def test_quarantine_stays_out_of_the_git_work_tree_and_undo_leaves_no_dir(
        ws: Path, protector: Protector, data_dir: Path, where: str) -> None:
    """The quarantine is a rename to a place outside the work tree (never in `git
    status`); undo moves it back and removes the quarantine dirs it emptied."""
    data = ws / where
    data.mkdir(parents=True)
    make_tree(data)
    before, status = tree_state(data), _git_status(ws)
    out = protector.quarantine(targets(f"rm -rf {where}", cwd=ws), "rq1")
    q = Path(out[-1]["quarantine"]["quarantine"])
    assert not data.exists() and q.exists()
    assert not q.is_relative_to(ws), q
    assert os.stat(q).st_dev == os.stat(ws).st_dev  # a rename, not a copy
    assert ".airlock-quarantine" not in _git_status(ws)
    assert not any(p.name == ".airlock-quarantine" for p in ws.rglob("*"))
    assert "moved" in protector.undo("rq1")[0]
    assert tree_state(data) == before and _git_status(ws) == status
    assert not q.parent.exists()  # the quarantine's own dir is gone, and so is the root
    assert not (data_dir / "protect" / "quarantine").exists()


def test_quarantine_beside_the_work_tree_when_the_data_dir_is_another_filesystem(
        ws: Path, tmp_path: Path) -> None:
    """The data dir on another filesystem (a rename there would be a copy): the quarantine
    goes beside the work tree, on its filesystem, still outside it."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(ws).st_dev:
        pytest.skip("no second filesystem (/dev/shm) on this machine")
    import tempfile

    home = Path(tempfile.mkdtemp(dir=shm, prefix="airlock-test-"))
    try:
        p = Protector(parse({"require_independent": "never"}, str(home)))
        data = ws / "data"
        data.mkdir()
        make_tree(data)
        before = tree_state(data)
        out = p.quarantine(targets("rm -rf data", cwd=ws), "rq2")
        q = Path(out[-1]["quarantine"]["quarantine"])
        assert q.parent.parent == ws.parent / ".airlock-quarantine", q
        assert os.stat(q).st_dev == os.stat(ws).st_dev
        assert ".airlock-quarantine" not in _git_status(ws)
        p.undo("rq2")
        assert tree_state(data) == before
        assert not (ws.parent / ".airlock-quarantine").exists()
    finally:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
