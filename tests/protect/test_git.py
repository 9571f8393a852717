"""Git work trees: reset --hard, clean -fd, checkout -- ., stash drop -- then undo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from airlock.protect import RestoreRefused
from airlock.protect.engine import Protector
from tests.protect.conftest import sh, targets


def git(ws: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(ws), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def state(ws: Path) -> dict[str, str]:
    out = {}
    for root, dirs, files in os.walk(ws):
        dirs[:] = [d for d in dirs if d != ".git"]
        for f in files:
            p = Path(root) / f
            out[str(p.relative_to(ws))] = p.read_text()
    out["<index>"] = git(ws, "diff", "--cached")
    out["<stash>"] = git(ws, "stash", "list", "--format=%H")
    return out


def dirty_repo(ws: Path) -> None:
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "base")
    (ws / "src" / "app.py").write_text("print('changed, unstaged')\n")
    (ws / "staged.txt").write_text("staged\n")
    git(ws, "add", "staged.txt")
    (ws / "build" / "untracked.o").write_text("untracked\n")


@pytest.mark.parametrize("cmd", ["git reset --hard", "git clean -fd", "git checkout -- ."])
def test_discarding_commands_are_undone(ws: Path, protector: Protector, cmd: str) -> None:
    dirty_repo(ws)
    before = state(ws)
    ts = targets(cmd, cwd=ws)
    assert ts[0].verb.startswith("git.")
    out = protector.protect(ts, "g1")
    assert out[0]["kind"] == "git"
    assert git(ws, "for-each-ref", "refs/airlock/").count("refs/airlock/g1/") >= 2
    sh(cmd, ws)
    assert state(ws) != before
    protector.undo("g1")
    assert state(ws) == before


def test_stash_drop_is_undone(ws: Path, protector: Protector) -> None:
    dirty_repo(ws)
    git(ws, "stash", "push", "-q", "-m", "precious")
    before = state(ws)
    protector.protect(targets("git stash drop", cwd=ws), "g2")
    sh("git stash drop", ws)
    assert state(ws)["<stash>"] == ""
    assert "1 stash entries" in protector.undo("g2")[0]
    assert state(ws) == before


def test_undo_refuses_to_overwrite_new_work_and_doctor_restores(
        ws: Path, protector: Protector) -> None:
    dirty_repo(ws)
    protector.protect(targets("git reset --hard", cwd=ws), "g3")
    sh("git reset --hard", ws)
    (ws / "src" / "app.py").write_text("new work after the reset\n")
    with pytest.raises(RestoreRefused):
        protector.undo("g3")
    results = protector.doctor()
    assert any(ok and "git: snapshot" in t and "matches" in t for ok, t in results), results


def lstate(ws: Path) -> dict[str, str]:
    """:func:`state`, with each symlink as its own target (never followed)."""
    out = {}
    for root, dirs, files in os.walk(ws):
        dirs[:] = [d for d in dirs if d != ".git"]
        for f in [*files, *(d for d in dirs if (Path(root) / d).is_symlink())]:
            p = Path(root) / f
            rel = str(p.relative_to(ws))
            out[rel] = f"-> {os.readlink(p)}" if p.is_symlink() else p.read_text()
    out["<index>"] = git(ws, "diff", "--cached")
    out["<stash>"] = git(ws, "stash", "list", "--format=%H")
    return out


def test_undo_compares_a_symlink_itself_not_what_it_points_to(
        ws: Path, protector: Protector) -> None:
    """A work tree holding symlinks (to a directory, to a file, dangling) is undone: the
    "changes made after the snapshot" check compares each link's own target (what git
    stores), never the file or directory it points to."""
    dirty_repo(ws)
    os.symlink("src", ws / "src-link")  # a link to a directory
    os.symlink("src/app.py", ws / "app-link")  # a link to a file
    os.symlink("/nonexistent/elsewhere", ws / "dangling")
    before = lstate(ws)
    assert before["src-link"] == "-> src" and before["dangling"].startswith("-> /")
    protector.protect(targets("git reset --hard", cwd=ws), "g4")
    sh("git reset --hard", ws)
    assert lstate(ws) != before
    out = protector.undo("g4")
    assert "restored work tree" in out[0], out
    assert lstate(ws) == before
