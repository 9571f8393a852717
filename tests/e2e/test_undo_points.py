"""Allow with an undo point, end to end: the agent's hook answers allow and names the
undo point, the command really runs, and a human's `airlock undo --last` brings the
repository back byte for byte (work tree with untracked and ignored files, the index,
the refs, the stash), compared with a state hash the test computes itself. A change made
after the point makes undo refuse without --force. What leaves the machine, or the
repository itself, is still held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protect.test_undo_points import full_state, git, make_repo, sh

AIRLOCK = str(Path(sys.executable).with_name("airlock"))

COMMANDS = [
    "rm -rf src",
    "git reset --hard HEAD~2",
    "git clean -fdx",
    "git checkout -- .",
    "git stash clear",
    "git branch -D feature",
    "find . -name '*.py' -delete",
    "sed -i 's/a/b/' README.md",
]


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[user]\n\tname = t\n\temail = t@t\n[init]\n\tdefaultBranch = main\n"
                   "[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = workspace.parent / "w"  # outside /tmp: a workspace, not a sandbox
    root.mkdir()
    yield make_repo(root)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    out = {k: v for k, v in os.environ.items()
           if k not in ("AIRLOCK_CONFIG", "AIRLOCK_TOKEN", "AIRLOCK_SCOPE")}
    out.update({"AIRLOCK_HOME": str(tmp_path / "airlock-home"), "AIRLOCK_NO_DAEMON": "1",
                "AIRLOCK_SERVER": "http://127.0.0.1:9", "HOME": str(home)})
    return out


def hook(command: str, repo: Path, env: dict[str, str]) -> dict[str, object]:
    payload = {"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": command}, "cwd": str(repo)}
    done = subprocess.run([AIRLOCK, "hook", "run", "claude-code"], cwd=repo, env=env,
                          input=json.dumps(payload), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def undo(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIRLOCK, "undo", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_the_hook_allows_with_an_undo_point_and_undo_last_restores_it(
        repo: Path, env: dict[str, str], command: str) -> None:
    before = full_state(repo)
    answer = hook(command, repo, env)
    assert "hookSpecificOutput" not in answer, answer  # no deny: allowed
    note = str(answer.get("systemMessage", ""))
    assert "allowed with undo point u-" in note, answer
    assert full_state(repo) == before  # taking the point changed nothing
    sh(command, repo)  # the agent tool runs it, for real
    assert full_state(repo) != before, "the command changed nothing: a useless case"
    hook("git status", repo, env)  # the agent's next call: its action is over
    done = undo(repo, env, "--last")
    assert done.returncode == 0, done.stdout + done.stderr
    assert full_state(repo) == before
    again = undo(repo, env, "--last")
    assert again.returncode == 0 and "nothing to restore" in again.stdout, again.stdout


def test_a_change_after_the_point_is_not_overwritten_without_force(
        repo: Path, env: dict[str, str]) -> None:
    answer = hook("git reset --hard HEAD~2", repo, env)
    assert "undo point u-" in str(answer.get("systemMessage", "")), answer
    sh("git reset --hard HEAD~2", repo)
    hook("git status", repo, env)
    (repo / "README.md").write_text("the human's own edit, after the reset\n")
    refused = undo(repo, env, "--last")
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "README.md" in refused.stderr
    assert (repo / "README.md").read_text() == "the human's own edit, after the reset\n"
    forced = undo(repo, env, "--last", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "stashed" not in git(repo, "log", "-1", "--format=%s")  # main is back at "three"
    assert git(repo, "log", "-1", "--format=%s").strip() == "three"


@pytest.mark.parametrize("command", ["git push --force origin main", "rm -rf .git",
                                     "git reflog expire --expire=now --all"])
def test_what_a_point_cannot_bring_back_is_still_refused(
        repo: Path, env: dict[str, str], command: str) -> None:
    answer = hook(command, repo, env)
    spec = answer.get("hookSpecificOutput")
    assert isinstance(spec, dict) and spec.get("permissionDecision") == "deny", answer
    assert "undo point u-" not in json.dumps(answer)


def test_a_policy_can_keep_holding_what_an_undo_point_would_allow(
        repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    policy = tmp_path / "strict.cedar"
    policy.write_text('@id("hold-even-with-undo-point")\n@decision("hold")\n'
                      '@reason("resets wait for a human here")\n'
                      'forbid (principal, action == Action::"destructive", resource)\n'
                      'when { context.undo_point };\n')
    config = tmp_path / "airlock.toml"
    config.write_text(f'[policy]\nfiles = ["{policy}"]\n')
    answer = hook("git reset --hard HEAD~2", repo, {**env, "AIRLOCK_CONFIG": str(config)})
    spec = answer.get("hookSpecificOutput")
    assert isinstance(spec, dict) and spec.get("permissionDecision") == "deny", answer
    assert "resets wait for a human here" in json.dumps(answer)
    listed = undo(repo, {**env, "AIRLOCK_CONFIG": str(config)}, "--list")
    assert "no undo points" in listed.stdout  # none was taken for a held action


def test_undo_list_shows_the_point_and_its_action(repo: Path, env: dict[str, str]) -> None:
    hook("git clean -fdx", repo, env)
    listed = undo(repo, env, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "git clean -fdx" in listed.stdout and "u-" in listed.stdout
    as_json = json.loads(undo(repo, env, "--list", "--json").stdout)
    assert [p["action"] for p in as_json] == ["git clean -fdx"]


def _write(path: Path, repo: Path, env: dict[str, str]) -> dict[str, object]:
    payload = {"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Write",
               "tool_input": {"file_path": str(path), "content": "replaced\n"},
               "cwd": str(repo)}
    done = subprocess.run([AIRLOCK, "hook", "run", "claude-code"], cwd=repo, env=env,
                          input=json.dumps(payload), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_the_write_tool_keeps_what_git_cannot_give_back(repo: Path,
                                                        env: dict[str, str]) -> None:
    untracked = repo / "notes" / "todo.txt"  # git has no copy of it
    before = untracked.read_text()
    answer = _write(untracked, repo, env)
    assert "undo point u-" in str(answer.get("systemMessage", "")), answer
    untracked.write_text("replaced\n")  # the agent tool writes it
    hook("git status", repo, env)
    done = undo(repo, env, "--last")
    assert done.returncode == 0, done.stdout + done.stderr
    assert untracked.read_text() == before
    # a tracked file without changes: git gives it back, no point is taken
    git(repo, "stash", "-q", "-u")
    assert _write(repo / "run.sh", repo, env) == {}
    # a new file: nothing to keep
    assert _write(repo / "brand-new.txt", repo, env) == {}
