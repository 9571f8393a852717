"""``airlock exec``, through the real CLI."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli.support import airlock


def test_exec_runs_an_allowed_command_with_stdio_and_status(
        workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", sys.executable, "-c",
                "import sys; d = sys.stdin.read(); print('out:' + d); "
                "print('err', file=sys.stderr); sys.exit(7)",
                cwd=workspace, env=env, stdin=b"hello")
    assert r.returncode == 7, r.stderr
    assert r.stdout == "out:hello\n"
    notes = [ln for ln in r.stderr.splitlines(True) if ln.startswith("airlock exec: note:")]
    assert len(notes) == 1  # the single-user notice, the first time only
    assert r.stderr.replace(notes[0], "") == "err\n"


def test_exec_shell_line(workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", "git status >/dev/null && echo ok", cwd=workspace, env=env)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r.stderr


def test_exec_refuses_a_denied_command_without_running_it(
        workspace: Path, env: dict[str, str]) -> None:
    marker = workspace / "ran"
    # denied (an agent may not edit its hook settings), and harmless had it run
    r = airlock("exec", "--", f"touch {marker} && echo x > .claude/settings.json",
                cwd=workspace, env=env)
    assert r.returncode == 4
    assert "airlock: denied, not run" in r.stderr
    assert not marker.exists()


def test_exec_refuses_a_held_command_without_a_server(
        workspace: Path, env: dict[str, str]) -> None:
    marker = workspace / "ran"
    r = airlock("exec", "--", f"touch {marker} && git push -q --force origin main",
               cwd=workspace, env=env)
    assert r.returncode == 3
    assert "airlock: held, not run" in r.stderr
    assert not marker.exists()
    env = dict(env, AIRLOCK_TOKEN="alk_not-a-real-token")
    r = airlock("exec", "--", f"touch {marker} && git push -q --force origin main",
               cwd=workspace, env=env)
    assert r.returncode == 3
    assert f"no Airlock server is reachable at {env['AIRLOCK_SERVER']}" in r.stderr
    assert not marker.exists()


def test_exec_usage_errors(workspace: Path, env: dict[str, str]) -> None:
    assert airlock("exec", cwd=workspace, env=env).returncode == 2
    assert airlock("exec", "--timeout", "x", "--", "true", cwd=workspace,
                   env=env).returncode == 2


def test_exec_missing_program(workspace: Path, env: dict[str, str]) -> None:
    r = airlock("exec", "--", "no-such-program-xyz", cwd=workspace, env=env)
    assert r.returncode in (3, 4, 127)  # unknown programs may be held; never run


def test_exec_runs_a_workspace_delete_with_an_undo_point_and_undo_brings_it_back(
        workspace: Path, env: dict[str, str]) -> None:
    from tests.independent import tree_state

    def contents() -> dict[str, object]:  # a git work tree's point keeps no mtimes
        return {k: v[:2] + v[3:] if v[0] == "file" else v
                for k, v in tree_state(workspace / "src").items()}

    (workspace / "src" / "lib.py").write_text("untracked = True\n")
    before = contents()
    r = airlock("exec", "--", "rm -rf src", cwd=workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert "allowed with undo point u-" in r.stderr
    assert not (workspace / "src").exists()
    undone = airlock("undo", "--last", cwd=workspace, env=env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert contents() == before
