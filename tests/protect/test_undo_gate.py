"""Which actions get an undo point, decided from the pipeline's real decisions in a real
workspace (a git work tree outside /tmp), and what happens when none can be taken."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from airlock.action import Action
from airlock.config import Config
from airlock.pipeline import Checker
from airlock.protect import undo_gate
from airlock.protect import undo_points as up


@pytest.fixture
def checker() -> Checker:
    return Checker(Config())


def _action(command: str, ws: Path) -> Action:
    return Action(command=command, kind="shell", cwd=str(ws), agent="bot",
                  home=str(ws.parent / "home"))


@pytest.mark.parametrize("command", [
    "rm -rf src", "git reset --hard HEAD~2", "git clean -fdx", "git checkout -- .",
    "git stash clear", "git branch -D feature", "git tag -d v1", "sed -i s/a/b/ src/app.py",
    "find . -name '*.py' -delete", "git commit --amend -m x",
])
def test_workspace_destruction_gets_a_plan(checker: Checker, workspace: Path,
                                           command: str) -> None:
    action = _action(command, workspace)
    where = undo_gate.plan(checker.check(action), action)
    assert where is not None and where.needed
    assert where.root == str(workspace)
    assert all(p.startswith(str(workspace) + "/") for p in where.paths)


@pytest.mark.parametrize("command", [
    "git push --force origin main",  # leaves the machine
    "rm -rf .git",  # the repository itself
    "rm -rf /srv/data",  # outside the workspace
    "git reflog expire --expire=now --all",  # a point does not keep reflogs
    "git gc --prune=now",
    "rm -rf $DIR",  # unresolved
    "git status",  # changes nothing
])
def test_what_a_point_cannot_bring_back_gets_no_plan(checker: Checker, workspace: Path,
                                                     command: str) -> None:
    action = _action(command, workspace)
    assert undo_gate.plan(checker.check(action), action) is None


def test_a_plain_commit_needs_no_point(checker: Checker, workspace: Path) -> None:
    action = _action("git commit -m x", workspace)
    where = undo_gate.plan(checker.check(action), action)
    assert where is not None and not where.needed
    decision, point = undo_gate.decide(checker, action, checker.check(action),
                                       str(workspace.parent / "data"))
    assert decision.decision == "allow" and point is None


def test_a_held_workspace_delete_is_allowed_once_the_point_is_taken(
        checker: Checker, workspace: Path) -> None:
    data_dir = str(workspace.parent / "data")
    action = _action("rm -rf src", workspace)
    first = checker.check(action)
    assert first.decision == "hold"
    decision, point = undo_gate.decide(checker, action, first, data_dir)
    assert point is not None and decision.decision == "allow"
    assert decision.undo_point == point.id and "allow-with-undo-point" in decision.policies
    assert decision.reasons[0].startswith(f"allowed with undo point {point.id}")
    assert [p.id for p in up.list_points(data_dir, str(workspace))] == [point.id]


def test_check_takes_nothing_and_keeps_the_hold(checker: Checker, workspace: Path) -> None:
    data_dir = str(workspace.parent / "data")
    action = _action("git reset --hard", workspace)
    decision, point = undo_gate.decide(checker, action, checker.check(action), data_dir,
                                       take=False)
    assert point is None and decision.decision == "hold"
    assert "allowed once an undo point is taken" in decision.reasons[-1]
    assert up.list_points(data_dir) == []


def test_a_workspace_of_another_user_is_not_written_and_stays_held(
        checker: Checker, workspace: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the workspace to another user")
    subprocess.run(["chown", "-R", "65534:65534", str(workspace)], check=True)
    data_dir = str(workspace.parent / "data")
    action = _action("rm -rf src", workspace)
    decision, point = undo_gate.decide(checker, action, checker.check(action), data_dir)
    assert point is None and decision.decision == "hold"
    assert "belongs to another OS user" in decision.reasons[0]
    assert (workspace / "src").exists() and up.list_points(data_dir) == []


def test_a_point_that_cannot_be_taken_leaves_the_hold(checker: Checker, workspace: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> up.UndoPoint:
        raise up.UndoPointError("disk full")

    monkeypatch.setattr(up, "take", full)
    action = _action("git clean -fdx", workspace)
    decision, point = undo_gate.decide(checker, action, checker.check(action),
                                       str(workspace.parent / "data"))
    assert point is None and decision.decision == "hold"
    assert "no undo point could be taken (disk full)" in decision.reasons[0]


def test_the_next_call_settles_the_workspaces_points(checker: Checker,
                                                     workspace: Path) -> None:
    data_dir = str(workspace.parent / "data")
    action = _action("rm -rf src", workspace)
    _, point = undo_gate.decide(checker, action, checker.check(action), data_dir)
    assert point is not None and up.get(data_dir, point.id).settled_ns is None
    assert undo_gate.settle_pending(data_dir, str(workspace)) == [point.id]
    assert up.get(data_dir, point.id).settled_ns is not None
    assert undo_gate.settle_pending(data_dir, str(workspace)) == []  # one stat, nothing
