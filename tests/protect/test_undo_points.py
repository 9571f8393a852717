"""Undo points (protect/undo_points.py, protect/undo_git.py): take one, really run the
destructive command, restore, and compare the whole state byte for byte with a hash this
file computes on its own (never with the engine's code).

Every repository lives in its own temp dir with ``GIT_CEILING_DIRECTORIES`` at the temp
dir's parent, its own git config, and commands run with the repository as cwd.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.protect import undo_files, undo_git
from airlock.protect import undo_points as up
from airlock.protect.undo_points import UndoConflict, UndoPointError, UndoSettings

# The big ignored dir is over this, so it is skipped (and so left out of the state hash).
SETTINGS = UndoSettings(ignored_max_bytes=64 * 1024)
BIG_DIR = "node_modules"


@pytest.fixture(autouse=True)
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[user]\n\tname = t\n\temail = t@t\n[init]\n\tdefaultBranch = main\n"
                   "[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    assert not str(tmp_path).startswith("/work/main")
    yield


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "--no-optional-locks", *args], cwd=repo, check=check,
                          capture_output=True, text=True)
    return proc.stdout


def sh(cmd: str, cwd: Path) -> None:
    subprocess.run(["bash", "-c", cmd], cwd=cwd, check=True, capture_output=True, timeout=60)


def write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


# ---- the state, computed independently -----------------------------------------------------


def tree_state(root: Path, skip: tuple[str, ...] = (".git", BIG_DIR),
               mtimes: bool = False) -> dict[str, Any]:
    """Every entry under ``root``: type, mode, sha256 of bytes or link target (never
    followed); ``skip`` names top-level entries left out."""
    out: dict[str, Any] = {}
    for dirpath, dirs, names in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirs[:] = [d for d in dirs if d not in skip]
            names = [n for n in names if n not in skip]
        for name in [*dirs, *names]:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                entry: tuple[Any, ...] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                entry = ("dir", stat.S_IMODE(st.st_mode))
            else:
                with open(full, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
                entry = ("file", stat.S_IMODE(st.st_mode), digest)
            if mtimes and not stat.S_ISDIR(st.st_mode):
                entry += (st.st_mtime_ns,)
            out[rel] = entry
    return out


def git_state(repo: Path) -> dict[str, Any]:
    refs = [line for line in git(repo, "for-each-ref", "--format=%(objectname) "
                                 "%(objecttype) %(refname)").splitlines()
            if " refs/airlock/" not in line]
    has_stash = bool(git(repo, "rev-parse", "-q", "--verify", "refs/stash", check=False))
    return {
        "index": git(repo, "ls-files", "--stage", "-z"),
        "refs": refs,
        "stash": git(repo, "stash", "list"),
        "stash_commits": git(repo, "log", "-g", "--format=%H %T %P", "refs/stash")
        if has_stash else "",
        "head": (git(repo, "symbolic-ref", "-q", "HEAD", check=False),
                 git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False)),
    }


def full_state(repo: Path) -> dict[str, Any]:
    return {"files": tree_state(repo), **git_state(repo)}


def untouchable(repo: Path) -> dict[str, Any]:
    """What taking a point must leave exactly as it was."""
    dot = repo / ".git"
    logs = {str(p.relative_to(dot)): p.read_bytes() for p in (dot / "logs").rglob("*")
            if p.is_file()}
    return {
        "status": git(repo, "status", "--porcelain=v2", "-uall", "--ignored"),
        "index_bytes": (dot / "index").read_bytes(),
        "index_mtime": (dot / "index").stat().st_mtime_ns,
        "HEAD": (dot / "HEAD").read_bytes(),
        "packed": (dot / "packed-refs").read_bytes() if (dot / "packed-refs").exists()
        else b"",
        "logs": logs,
        "files": tree_state(repo, skip=(".git",), mtimes=True),
        **git_state(repo),
    }


# ---- the repository ---------------------------------------------------------------------------


def make_repo(root: Path) -> Path:
    """Commits, a branch with unpushed commits, tags, two stash entries, then: changes
    unstaged and staged (one file both), untracked files, a small ignored file and dir, a
    big ignored dir, a symlink, an executable."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo / ".gitignore", f"{BIG_DIR}/\n*.log\nbuild/\n")
    write(repo / "src" / "app.py", "print('a')\n")
    write(repo / "src" / "lib" / "util.py", "def f():\n    return 'a'\n")
    write(repo / "README.md", "a readme with a\n")
    write(repo / "run.sh", "#!/bin/sh\necho a\n", 0o755)
    os.symlink("src/app.py", repo / "app-link")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    write(repo / "docs" / "guide.md", "guide a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    git(repo, "tag", "-a", "v1", "-m", "release 1")
    git(repo, "branch", "feature")
    git(repo, "checkout", "-q", "feature")
    write(repo / "feature.py", "feature = 'a'\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature 1")
    write(repo / "feature.py", "feature = 'b'\n")
    git(repo, "commit", "-qam", "feature 2")
    git(repo, "checkout", "-q", "main")
    write(repo / "src" / "app.py", "print('a')\nprint('three')\n")
    git(repo, "commit", "-qam", "three")
    git(repo, "tag", "light")
    write(repo / "README.md", "stashed change a\n")
    git(repo, "stash", "push", "-q", "-m", "first stash")
    write(repo / "docs" / "guide.md", "guide a, stashed\n")
    write(repo / "stashed-untracked.txt", "a\n")
    git(repo, "stash", "push", "-q", "-u", "-m", "second stash")
    # The dirty state the destructive command meets.
    write(repo / "staged.txt", "staged and never committed a\n")
    write(repo / "src" / "app.py", "print('a')\nprint('staged')\n")
    git(repo, "add", "staged.txt", "src/app.py")
    write(repo / "src" / "app.py", "print('a')\nprint('staged')\nprint('unstaged')\n")
    write(repo / "README.md", "a readme with a, edited\n")
    write(repo / "notes" / "todo.txt", "untracked a\n")
    write(repo / "src" / "scratch.py", "untracked = 'a'\n")
    os.symlink("../README.md", repo / "notes" / "readme-link")
    write(repo / "tool.sh", "#!/bin/sh\necho untracked a\n", 0o755)
    write(repo / "debug.log", "ignored small a\n")
    write(repo / "build" / "out.o", "ignored small dir a\n")
    for i in range(2):
        (repo / BIG_DIR / "pkg").mkdir(parents=True, exist_ok=True)
        (repo / BIG_DIR / "pkg" / f"blob{i}.js").write_bytes(os.urandom(50 * 1024))
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "airlock-home")


# ---- the commands ----------------------------------------------------------------------------

COMMANDS: list[tuple[str, list[str] | None]] = [
    ("rm -rf src", ["src"]),
    ("git reset --hard HEAD~2", None),
    ("git clean -fdx", None),
    ("git checkout -- .", None),
    ("git stash clear", None),
    ("git stash drop", None),
    ("git branch -D feature", None),
    # paths inside the work tree are covered by it ("." itself would copy .git too: see
    # test_removing_the_whole_repository_is_copied_out)
    ("find . -name '*.py' -delete", ["src", "docs"]),
    ("sed -i 's/a/b/' README.md", ["README.md"]),
    ("git tag -d v1 light", None),
    ("git commit --amend -qm amended", None),
    ("git checkout -q -f feature", None),
    ("git reset --hard HEAD~2 && git clean -fdx && git stash clear && git branch -D feature",
     None),
]


@pytest.mark.parametrize(("cmd", "paths"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_command_is_undone_byte_for_byte(repo: Path, data_dir: str, cmd: str,
                                         paths: list[str] | None) -> None:
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action=cmd, paths=paths, settings=SETTINGS)
    assert point.git is not None and point.files == []  # all in git's object store
    assert full_state(repo) == before
    sh(cmd, repo)
    assert full_state(repo) != before, "the command changed nothing: a useless case"
    up.settle(point)
    done = up.restore(point)
    assert any("undo point u-" in line for line in done), done
    assert full_state(repo) == before
    # Restoring again is a no-op that says so.
    assert up.restore(point) == [f"nothing to restore: {repo} already matches undo point "
                                 f"{point.id}"]
    assert full_state(repo) == before


def test_taking_a_point_changes_nothing(repo: Path, data_dir: str) -> None:
    before = untouchable(repo)
    point = up.take(str(repo), data_dir, action="git clean -fdx", settings=SETTINGS)
    assert untouchable(repo) == before
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/airlock/").split()
    assert f"refs/airlock/undo/{point.id}/point" in refs
    assert all(r.startswith(f"refs/airlock/undo/{point.id}/") for r in refs)
    assert not (repo / ".git" / "logs" / "refs" / "airlock").exists()
    # A second point (the objects are there now) changes nothing either.
    up.take(str(repo), data_dir, action="again", settings=SETTINGS)
    assert untouchable(repo) == before


def test_point_metadata(repo: Path, data_dir: str) -> None:
    point = up.take(str(repo), data_dir, action="git clean -fdx", settings=SETTINGS)
    assert point.id.startswith("u-") and len(point.id) == 12
    path = Path(data_dir) / "undo" / "points" / f"{point.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for d in ("undo", "undo/points", "undo/objects"):
        assert stat.S_IMODE((Path(data_dir) / d).stat().st_mode) == 0o700
    meta = json.loads(path.read_bytes())
    assert meta["action"] == "git clean -fdx"
    assert meta["workspace"] == str(repo)
    assert meta["size_bytes"] > 0
    assert abs(meta["created_at"] - time.time()) < 60
    assert [s["path"] for s in meta["skipped"]] == [f"{BIG_DIR}/"]
    assert "ignored, over 65536 bytes" in meta["skipped"][0]["reason"]
    assert f"skipped {BIG_DIR}/" in point.describe()
    assert "index" in point.covers
    assert up.get(data_dir, point.id).to_json() == point.to_json()
    assert [p.id for p in up.list_points(data_dir, str(repo / "src"))] == [point.id]
    assert up.list_points(data_dir, str(Path(data_dir))) == []
    assert up.last(data_dir, str(repo)).id == point.id  # type: ignore[union-attr]
    with pytest.raises(UndoPointError):
        up.get(data_dir, "u-0000000000")
    with pytest.raises(UndoPointError):
        up.get(data_dir, "../etc/passwd")


def test_small_ignored_dir_is_captured_big_one_is_not(repo: Path, data_dir: str) -> None:
    point = up.take(str(repo), data_dir, action="git clean -fdx",
                    settings=UndoSettings(ignored_max_bytes=1024 * 1024))
    assert point.skipped == []
    sh("git clean -fdx", repo)
    up.settle(point)
    up.restore(point)
    assert len(list((repo / BIG_DIR / "pkg").iterdir())) == 2


def test_a_change_after_the_point_is_refused_unless_forced(repo: Path, data_dir: str) -> None:
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="git reset --hard HEAD~2", settings=SETTINGS)
    sh("git reset --hard HEAD~2", repo)
    up.settle(point)
    time.sleep(0.05)  # file times are coarse: the next write must land after the settle
    write(repo / "docs" / "guide.md", "new work after the reset\n")
    write(repo / "brand-new.txt", "also new\n")
    after = full_state(repo)
    with pytest.raises(UndoConflict) as err:
        up.restore(point)
    assert sorted(err.value.paths) == [str(repo / "brand-new.txt"),
                                       str(repo / "docs" / "guide.md")]
    assert full_state(repo) == after  # nothing changed
    done = up.restore(point, force=True)
    assert full_state(repo) == before
    # The forced restore kept the state it replaced as a point of its own: undo the undo.
    previous = done[-1].split()[-1]
    assert up.get(data_dir, previous).restores == point.id
    assert up.last(data_dir, str(repo)).id == point.id  # type: ignore[union-attr]
    up.restore(up.get(data_dir, previous))
    assert full_state(repo) == after


def test_a_commit_after_the_point_is_a_conflict(repo: Path, data_dir: str) -> None:
    point = up.take(str(repo), data_dir, action="git branch -D feature", settings=SETTINGS)
    sh("git branch -D feature", repo)
    up.settle(point)
    time.sleep(0.05)
    git(repo, "commit", "-qm", "work after the point")  # moves main, writes the index
    with pytest.raises(UndoConflict) as err:
        up.restore(point)
    assert "(ref) refs/heads/main" in err.value.paths


def test_unsettled_point_counts_the_action_own_changes(repo: Path, data_dir: str) -> None:
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="sed -i", paths=["README.md"],
                    settings=SETTINGS)
    time.sleep(0.05)
    sh("sed -i 's/a/b/' README.md", repo)
    with pytest.raises(UndoConflict) as err:
        up.restore(point)
    assert err.value.paths == [str(repo / "README.md")]
    assert "never settled" in str(err.value)
    assert up.settle_pending(data_dir, str(repo)) == [point.id]
    up.restore(point)
    assert full_state(repo) == before


def test_deleted_files_are_never_a_conflict(repo: Path, data_dir: str) -> None:
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="rm -rf src docs", paths=["src", "docs"],
                    settings=SETTINGS)
    sh("rm -rf src docs", repo)  # never settled: deletions leave nothing to overwrite
    up.restore(point)
    assert full_state(repo) == before


def test_unmerged_index_is_restored_exactly(repo: Path, data_dir: str) -> None:
    git(repo, "stash", "push", "-q", "-u", "-m", "park")
    git(repo, "checkout", "-q", "-b", "other", "HEAD~1")
    write(repo / "src" / "app.py", "print('other side')\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    assert "CONFLICT" in subprocess.run(["git", "merge", "other"], cwd=repo,
                                        capture_output=True, text=True).stdout
    assert " 2\tsrc/app.py" in git(repo, "ls-files", "-s")
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="git reset --hard", settings=SETTINGS)
    sh("git reset --hard", repo)
    up.settle(point)
    up.restore(point)
    assert full_state(repo) == before


def test_unborn_repository(tmp_path: Path, data_dir: str) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo / "a.txt", "a\n")
    write(repo / "b.txt", "b\n")
    git(repo, "add", "a.txt")
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="git rm -f a.txt", settings=SETTINGS)
    assert "HEAD (main)" in point.covers
    sh("git rm -qf a.txt && rm b.txt", repo)
    up.settle(point)
    up.restore(point)
    assert full_state(repo) == before


def test_removing_the_whole_repository_is_copied_out(tmp_path: Path, data_dir: str) -> None:
    repo = make_repo(tmp_path)
    before = full_state(repo)
    point = up.take(str(repo), data_dir, action="rm -rf repo", paths=[str(repo)],
                    settings=UndoSettings(max_bytes=0))
    assert point.git is None and [r["path"] for r in point.files] == [str(repo)]
    sh("rm -rf repo", tmp_path)
    up.restore(point)
    assert full_state(repo) == before
    dot = up.take(str(repo), data_dir, action="find . -delete", paths=["."],
                  settings=UndoSettings(max_bytes=0))
    assert dot.git is None and [r["path"] for r in dot.files] == [str(repo)]
    sh("find . -delete", repo)
    up.settle(dot)
    up.restore(dot)
    assert full_state(repo) == before


def test_too_large_fails_and_leaves_nothing(repo: Path, data_dir: str) -> None:
    (repo / "huge.bin").write_bytes(os.urandom(300 * 1024))
    with pytest.raises(UndoPointError, match="too large"):
        up.take(str(repo), data_dir, action="git clean -fd",
                settings=UndoSettings(max_bytes=200 * 1024, ignored_max_bytes=64 * 1024))
    assert git(repo, "for-each-ref", "refs/airlock/") == ""
    assert up.list_points(data_dir) == []


def test_unreadable_file_fails(tmp_path: Path) -> None:
    """A file the taker cannot read fails the point (nothing left behind). Root reads
    any file, so the point is taken by an unprivileged user (nobody) in a subprocess."""
    import shutil
    import sys
    import tempfile

    if os.geteuid() != 0:
        base = tmp_path
    else:  # a tree nobody can reach: pytest's own temp dirs are root's alone
        base = Path(tempfile.mkdtemp(prefix="airlock-undo-nobody-"))
        base.chmod(0o755)
    try:
        repo = make_repo(base)
        data_dir = base / "data"
        data_dir.mkdir()
        (repo / "unreadable.txt").write_text("x")
        prefix: list[str] = []
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "65534:65534", str(repo), str(data_dir)],
                           check=True)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        (repo / "unreadable.txt").chmod(0)
        code = (
            "import sys\n"
            "from airlock.protect import undo_points as up\n"
            "try:\n"
            f"    up.take({str(repo)!r}, {str(data_dir)!r}, action='git clean -fd',\n"
            "            settings=up.UndoSettings(ignored_max_bytes=65536))\n"
            "except up.UndoPointError as exc:\n"
            "    print(exc); sys.exit(3)\n")
        env = {**os.environ, "HOME": str(base), "GIT_CEILING_DIRECTORIES": str(base)}
        done = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True,
                              text=True, env=env, timeout=60, check=False)
        assert done.returncode == 3, done.stdout + done.stderr
        assert "unreadable.txt" in done.stdout
        assert not list(data_dir.glob("undo/points/*.json"))  # nothing left behind
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(("err", "message"), [
    (OSError(errno.ENOSPC, "No space left on device"), "disk full"),
    (PermissionError(errno.EACCES, "Permission denied"), "cannot read"),
])
def test_copy_failures_are_undo_point_errors(tmp_path: Path, data_dir: str,
                                             monkeypatch: pytest.MonkeyPatch,
                                             err: OSError, message: str) -> None:
    plain = make_plain(tmp_path)
    real_open = open

    def failing_open(path: Any, *args: Any, **kw: Any) -> Any:
        if str(path).endswith("a.txt"):
            err.filename = str(path)
            raise err
        return real_open(path, *args, **kw)

    monkeypatch.setattr(undo_files, "open", failing_open, raising=False)
    with pytest.raises(UndoPointError, match=message):
        up.take(str(plain), data_dir, action="rm -rf data", paths=["data"])
    assert up.list_points(data_dir) == []


def test_git_disk_full_is_an_undo_point_error(repo: Path, data_dir: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_a: Any, **_kw: Any) -> Any:
        raise undo_git.GitError("git update-index failed: No space left", nospace=True)

    monkeypatch.setattr(undo_git, "capture", full)
    with pytest.raises(UndoPointError, match=r"^disk full"):
        up.take(str(repo), data_dir, action="git clean -fdx", settings=SETTINGS)


def test_repository_gone_is_reported(repo: Path, data_dir: str) -> None:
    point = up.take(str(repo), data_dir, action="x", settings=SETTINGS)
    sh("rm -rf .git", repo)
    with pytest.raises(UndoPointError, match="gone"):
        up.restore(point)


# ---- prune -----------------------------------------------------------------------------------


def test_prune_by_age_then_size(repo: Path, tmp_path: Path, data_dir: str) -> None:
    plain = tmp_path / "plain"
    write(plain / "data.bin", "x" * 10_000)
    old = up.take(str(repo), data_dir, action="old", settings=SETTINGS)
    files = up.take(str(plain), data_dir, action="rm -rf plain", paths=[str(plain)])
    new = up.take(str(repo), data_dir, action="new", settings=SETTINGS)
    objects = Path(data_dir) / "undo" / "objects"
    assert any(p.is_file() for p in objects.rglob("*"))
    assert up.prune(data_dir, max_age_days=1, now=time.time() + 3600) == []
    assert up.prune(data_dir, max_age_days=1,
                    now=old.created_at + 86400 + (files.created_at - old.created_at) / 2
                    ) == [old.id]
    assert not git(repo, "for-each-ref", f"refs/airlock/undo/{old.id}/")
    assert git(repo, "for-each-ref", f"refs/airlock/undo/{new.id}/")
    removed = up.prune(data_dir, max_total_bytes=new.size_bytes)
    assert removed == [files.id]
    assert not any(p.is_file() for p in objects.rglob("*"))  # its copies went with it
    assert [p.id for p in up.list_points(data_dir)] == [new.id]
    assert up.prune(data_dir, max_total_bytes=0) == [new.id]
    assert git(repo, "for-each-ref", "refs/airlock/") == ""


# ---- outside git -------------------------------------------------------------------------------


def make_plain(root: Path) -> Path:
    d = root / "plain"
    write(d / "data" / "a.txt", "alpha a\n")
    write(d / "data" / "deep" / "b.txt", "beta a\n", 0o600)
    write(d / "data" / "run.sh", "#!/bin/sh\n", 0o755)
    os.symlink("deep/b.txt", d / "data" / "link")
    os.symlink("/nonexistent/target", d / "data" / "dangling")
    write(d / "top.txt", "top a\n")
    write(d / "keep.py", "x = 'a'\n")
    return d


PLAIN_COMMANDS = [
    ("rm -rf data", ["data"]),
    ("mv top.txt moved.txt", ["top.txt", "moved.txt"]),
    ("find . -name '*.txt' -delete", ["."]),
    ("sed -i 's/a/b/' top.txt data/a.txt", ["top.txt", "data/a.txt"]),
    ("rm -rf data && mkdir data && echo new > data/a.txt", ["data"]),
]


@pytest.mark.parametrize(("cmd", "paths"), PLAIN_COMMANDS, ids=[c for c, _ in PLAIN_COMMANDS])
def test_outside_git(tmp_path: Path, data_dir: str, cmd: str, paths: list[str]) -> None:
    plain = make_plain(tmp_path)
    before = tree_state(plain, skip=(), mtimes=True)
    point = up.take(str(plain), data_dir, action=cmd, paths=paths)
    assert point.git is None
    assert tree_state(plain, skip=(), mtimes=True) == before
    sh(cmd, plain)
    up.settle(point)
    up.restore(point)
    assert tree_state(plain, skip=(), mtimes=True) == before
    assert up.restore(point)[0].startswith("nothing to restore")
    for p in (Path(data_dir) / "undo" / "objects").rglob("*"):
        if p.is_file():
            assert p.stat().st_nlink == 1  # copies, never hard links


def test_outside_git_change_after_is_refused(tmp_path: Path, data_dir: str) -> None:
    plain = make_plain(tmp_path)
    point = up.take(str(plain), data_dir, action="rm -rf data", paths=["data"])
    sh("rm -rf data", plain)
    up.settle(point)
    time.sleep(0.05)
    write(plain / "data" / "a.txt", "rewritten after the point\n")
    with pytest.raises(UndoConflict) as err:
        up.restore(point)
    assert str(plain / "data" / "a.txt") in err.value.paths
    assert (plain / "data" / "a.txt").read_text() == "rewritten after the point\n"
    up.restore(point, force=True)
    assert (plain / "data" / "a.txt").read_text() == "alpha a\n"


def test_paths_outside_the_work_tree_are_copied(repo: Path, tmp_path: Path,
                                                data_dir: str) -> None:
    plain = make_plain(tmp_path)
    before = (full_state(repo), tree_state(plain, skip=()))
    point = up.take(str(repo), data_dir, action="rm -rf src ../plain/data",
                    paths=["src", str(plain / "data")], settings=SETTINGS)
    assert point.git is not None and [r["path"] for r in point.files] == [str(plain / "data")]
    sh(f"rm -rf src {plain / 'data'}", repo)
    up.settle(point)
    up.restore(point)
    assert (full_state(repo), tree_state(plain, skip=())) == before


# ---- settings ----------------------------------------------------------------------------------


def test_settings_from_mapping() -> None:
    s = UndoSettings.from_mapping({"max_bytes": 10, "max_age_days": 3})
    assert (s.max_bytes, s.max_age_days, s.ignored_max_bytes) == (10, 3.0, 10 * 1024 * 1024)
    with pytest.raises(ValueError, match="unknown key"):
        UndoSettings.from_mapping({"max_byte": 1})
    with pytest.raises(ValueError, match="max_bytes"):
        UndoSettings.from_mapping({"max_bytes": "1"})
    with pytest.raises(ValueError, match="max_bytes"):
        UndoSettings.from_mapping({"max_bytes": 1.5})
