"""Claude Code's Grep tool reads the files it searches; its Glob tool only lists names.

Run through the real console script, like ``test_hook_runner.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airlock.classify import secret_search
from airlock.intake.hook_runner import secret_reads
from airlock.intake.hooks import claude_code
from tests.intake.test_hook_runner import env, fixture, run  # noqa: F401 - the fixture

SECRET = "RAILWAY_TOKEN=3d2c42fb-0000-4000-8000-000000000000\n"


@pytest.fixture
def repo(workspace: Path) -> Path:
    (workspace / ".env").write_text(SECRET)  # hidden and gitignored: rg skips it
    (workspace / ".gitignore").write_text(".env\n")
    (workspace / "keys").mkdir()
    (workspace / "keys" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (workspace / "src" / "util.py").write_text("# TODO\n")
    return workspace


def grep(ws: Path, **tool_input: Any) -> dict[str, Any]:
    p = fixture("claude-code", "grep.json")
    p["cwd"] = str(ws)
    p["tool_input"] = {"pattern": "TOKEN", **tool_input}
    return p


def decision(out: dict[str, Any]) -> str:
    if out == {}:
        return "allow"
    return str(out["hookSpecificOutput"]["permissionDecision"])


@pytest.mark.parametrize(("tool_input", "expect"), [
    ({}, "deny"),  # the whole tree: keys/id_rsa is neither hidden nor ignored
    ({"path": "."}, "deny"),
    ({"path": "keys"}, "deny"),
    ({"path": "src"}, "allow"),
    ({"glob": "*.py"}, "allow"),
    ({"glob": "*.{py,md}"}, "allow"),
    ({"type": "py"}, "allow"),
    ({"glob": "!keys"}, "allow"),
    ({"glob": "*.env"}, "deny"),  # a glob overrides the ignore rules, as rg -g does
    ({"glob": ".env*"}, "deny"),
    ({"path": ".env"}, "deny"),
    ({"path": "src/app.py"}, "allow"),
])
def test_grep_is_a_read_of_what_it_searches(repo: Path, env: dict[str, str],  # noqa: F811
                                            tool_input: dict[str, Any], expect: str) -> None:
    out, code, _ = run("claude-code", grep(repo, **tool_input), repo, env)
    assert code == 0
    assert decision(out) == expect, out


def test_grep_refusal_names_the_file_and_how_to_narrow(repo: Path,
                                                        env: dict[str, str]) -> None:  # noqa: F811
    out, _, _ = run("claude-code", grep(repo), repo, env)
    reason = out["hookSpecificOutput"]["permissionDecisionReason"]
    assert str(repo / "keys" / "id_rsa") in reason
    assert "glob" in reason


def test_grep_skips_what_ripgrep_skips_a_gitignored_hidden_env(repo: Path,
                                                               env: dict[str, str]) -> None:  # noqa: F811
    # the Grep tool is ripgrep with its defaults: a hidden, gitignored .env is not read
    (repo / "keys" / "id_rsa").unlink()
    out, code, _ = run("claude-code", grep(repo), repo, env)
    assert (out, code) == ({}, 0)


def test_glob_tool_is_allowed(repo: Path, env: dict[str, str]) -> None:  # noqa: F811
    p = fixture("claude-code", "glob.json")
    p["cwd"] = str(repo)
    p["tool_input"] = {"pattern": "**/.env*", "path": str(repo)}
    out, code, _ = run("claude-code", p, repo, env)
    assert (out, code) == ({}, 0)


def test_grep_is_matched_by_the_installed_hook() -> None:
    assert any("Grep" in m.split("|") for m in claude_code.MATCHERS)
    assert not any("Glob" in m.split("|") for m in claude_code.MATCHERS)


def test_grep_over_a_tree_too_large_to_check_is_refused(
        repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for i in range(20):
        (repo / "src" / f"m{i}.py").write_text("")
    monkeypatch.setattr(secret_search, "WALK_MAX_ENTRIES", 5)
    request = claude_code.parse(grep(repo, path="src"))
    found = secret_reads(request, str(repo), {"HOME": str(tmp_path),
                                              "AIRLOCK_HOME": str(tmp_path / "ah")},
                         use_config=False)
    assert found and "too large" in found[0][1]


def test_grep_over_airlocks_data_dir_is_refused(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "ah"
    home.mkdir()
    (home / "agent-token").write_text("x")
    request = claude_code.parse(grep(repo, path=str(tmp_path)))
    found = secret_reads(request, str(repo), {"HOME": str(tmp_path),
                                              "AIRLOCK_HOME": str(home)},
                         use_config=False)
    assert [p for p, _ in found] == [str(home)]
