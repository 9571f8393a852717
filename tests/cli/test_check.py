"""`airlock check`: the stable machine contract from DESIGN.md, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AIRLOCK = [sys.executable, "-m", "airlock"]


def run(args: list[str], cwd: Path, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "AIRLOCK_NO_DAEMON": "1", **(env or {})}
    return subprocess.run([*AIRLOCK, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=full_env, timeout=60)


@pytest.mark.parametrize(("command", "code"), [
    (["git status"], 0),
    (["git", "status"], 0),
    (["git reset --hard"], 3),
    (["rm -rf /"], 4),
])
def test_exit_status_is_0_allow_3_hold_4_deny(workspace: Path, command: list[str],
                                              code: int) -> None:
    r = run(["check", "--", *command], workspace)
    assert r.returncode == code, r.stderr


def test_json_output_names_decision_risk_targets_and_reasons(workspace: Path) -> None:
    r = run(["check", "--json", "--", "rm -rf /"], workspace)
    body = json.loads(r.stdout)
    assert body["decision"] == "deny" and body["risk"] == "catastrophic"
    assert body["targets"][0]["verb"] == "fs.delete"
    assert body["reasons"]


def test_text_output_is_readable_at_a_glance(workspace: Path) -> None:
    r = run(["check", "--", "git reset --hard"], workspace)
    assert r.stdout.startswith("HOLD")
    assert "git.reset.hard" in r.stdout


def test_usage_errors_exit_2(workspace: Path) -> None:
    assert run(["check"], workspace).returncode == 2
    assert run(["check", "--kind", "nope", "--", "x"], workspace).returncode == 2
    assert run(["check", "--jsonl", "--", "ls"], workspace).returncode == 2


def test_invalid_config_is_a_usage_error_naming_the_file(workspace: Path) -> None:
    (workspace / "airlock.toml").write_text("[agent\n")
    r = run(["check", "--", "git status"], workspace)
    assert r.returncode == 2
    assert "airlock.toml" in r.stderr and "invalid TOML" in r.stderr


def test_scope_flag_overrides_config_scope(workspace: Path) -> None:
    (workspace / "airlock.toml").write_text(
        '[agent]\nscope = "production"\n[environments.production]\n[environments.staging]\n'
        '[[resources]]\nname = "d"\nkind = "directory"\nenv = "production"\n'
        'paths = ["/srv/d"]\n')
    assert run(["check", "--", "touch /srv/d/x"], workspace).returncode == 0
    r = run(["check", "--scope", "staging", "--json", "--", "touch /srv/d/x"], workspace)
    assert r.returncode == 4
    assert "scope is staging; file /srv/d/x is production" in json.loads(r.stdout)["reasons"]


def test_jsonl_answers_every_line_in_order_with_ids(workspace: Path) -> None:
    lines = [
        {"id": 1, "command": "git status"},
        {"id": "b", "command": "rm -rf /"},
        {"id": 3, "kind": "sql", "command": "SELECT 1"},
        {"id": 4, "kind": "sql", "command": "DROP DATABASE app", "dialect": "postgresql"},
        {"id": 5, "command": "git reset --hard"},
    ]
    stdin = "".join(json.dumps(x) + "\n" for x in lines)
    r = run(["check", "--jsonl"], workspace, stdin=stdin)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3, 4, 5]
    assert [o["decision"] for o in out] == ["allow", "deny", "allow", "deny", "hold"]
    for o in out:
        assert set(o) >= {"id", "decision", "risk", "targets", "reasons"}


def test_jsonl_bad_lines_are_held_not_skipped(workspace: Path) -> None:
    stdin = 'not json\n{"id": 2}\n{"id": 3, "command": "ls", "kind": "ftp"}\n'
    r = run(["check", "--jsonl"], workspace, stdin=stdin)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 3
    assert all(o["decision"] == "hold" and "error" in o for o in out)
    assert [o["id"] for o in out] == [None, 2, 3]


def test_jsonl_scope_per_line(workspace: Path) -> None:
    (workspace / "airlock.toml").write_text(
        '[environments.production]\n[environments.staging]\n'
        '[[resources]]\nname = "d"\nkind = "directory"\nenv = "production"\n'
        'paths = ["/srv/d"]\n')
    stdin = ('{"id": 1, "command": "touch /srv/d/x", "scope": "staging"}\n'
             '{"id": 2, "command": "touch /srv/d/x", "scope": "production"}\n')
    out = [json.loads(x) for x in run(["check", "--jsonl"], workspace, stdin).stdout.splitlines()]
    assert [o["decision"] for o in out] == ["deny", "allow"]


NO_WORKSPACE_COMMANDS = ["git status", "git reset --hard", "git push --force",
                         "git checkout .", "git -c core.pager=less log",
                         "git config core.fsmonitor 'touch /tmp/x'", 'cd "$X" && git clean -fdx',
                         "rm -rf build", "touch notes.txt", "docker run -v .:/src alpine"]


@pytest.mark.parametrize("where", ["/tmp", "/", "home"])
def test_no_internal_marker_leaks_where_there_is_no_workspace(where: str,
                                                              tmp_path: Path) -> None:
    """From /tmp, / or the home dir there is no workspace: targets are named by their
    real paths, never by the internal no-workspace marker (or any NUL)."""
    home = tmp_path / "home"
    home.mkdir()
    cwd = home if where == "home" else Path(where)
    env = {"HOME": str(home), "AIRLOCK_HOME": str(tmp_path / "airlock")}
    stdin = "".join(json.dumps({"id": i, "command": c}) + "\n"
                    for i, c in enumerate(NO_WORKSPACE_COMMANDS))
    r = run(["check", "--jsonl"], cwd, stdin=stdin, env=env)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(NO_WORKSPACE_COMMANDS)
    texts = [r.stdout, r.stderr]
    for command in NO_WORKSPACE_COMMANDS[:4]:
        t = run(["check", "--", command], cwd, env=env)
        texts += [t.stdout, t.stderr]
        j = run(["check", "--json", "--", command], cwd, env=env)
        texts.append(j.stdout)
        target = json.loads(j.stdout)["targets"][0]
        if target["kind"] == "repository":
            assert target["name"] == str(cwd)
            if where != "home":  # (this home is under a temp dir, which counts as local)
                assert target["env"] == "unknown", "no workspace here: nothing is in it"
    for text in texts:
        assert "\x00" not in text and "\\u0000" not in text and "no-workspace" not in text, text


def test_help_names_every_option(workspace: Path) -> None:
    from airlock.cli.check import _parser

    r = run(["check", "--help"], workspace)
    assert r.returncode == 0
    options = [o for a in _parser()._actions for o in a.option_strings if o.startswith("--")]
    assert "--agent" in options
    for option in options:
        assert option in r.stdout, f"airlock check --help does not mention {option}"


def test_json_shows_each_targets_locator(workspace: Path) -> None:
    body = json.loads(run(["check", "--json", "--", "railway volume delete --volume 3d2c42fb"],
                          workspace).stdout)
    assert body["targets"][0]["locator"] == "railway:volume:3d2c42fb"
    body = json.loads(run(["check", "--json", "--", 'touch "$X"'], workspace).stdout)
    assert body["targets"][0]["locator"].startswith("path:")
    assert "\x00" not in body["targets"][0]["locator"]
    out = run(["check", "--jsonl"], workspace, stdin='{"command": "git status"}\n').stdout
    assert json.loads(out)["targets"][0]["locator"] == f"git:repo:{workspace}"
