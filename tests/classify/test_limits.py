"""Limits on the work spent judging one action, and NUL bytes (issue 13).

Timing targets live in bench/limits.py; these tests assert the decision and its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airlock.action import Action
from airlock.classify import limits
from airlock.classify.classifier import Classifier
from airlock.classify.sql import classify_sql
from airlock.config import Config
from airlock.pipeline import Checker

STMT = "INSERT INTO items (id, name, note) VALUES (1, 'x', 'some text here');\n"


def heredoc(n_bytes: int, program: str = "psql") -> str:
    return f"{program} <<'EOF'\n" + STMT * (n_bytes // len(STMT)) + "EOF\n"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(Config())


def _decide(checker: Checker, command: str, kind: str = "shell", cwd: str | None = None):
    return checker.check(Action(command=command, kind=kind, cwd=cwd or os.getcwd()))


def _unparsed(decision) -> list[str]:
    return [f.detail for f in decision.flags if f.kind == "unparsed"]


# ------------------------------------------------------------------------- size


@pytest.mark.parametrize("kind", ["shell", "sql", "http"])
def test_an_action_over_the_size_limit_is_held_as_too_large(checker: Checker,
                                                            kind: str) -> None:
    text = heredoc(5_000_000) if kind != "http" else (
        "POST https://api.example.com/x HTTP/1.1\n\n" + "a" * 5_000_000)
    d = _decide(checker, text, kind)
    assert d.decision == "hold"
    details = _unparsed(d)
    assert details and details[0].startswith("too large to judge")
    assert "MiB" in details[0] and "256 KiB" in details[0]
    assert any("too large to judge" in r for r in d.reasons)


def test_just_under_the_limit_is_judged(checker: Checker) -> None:
    d = _decide(checker, heredoc(limits.MAX_BYTES - 1024))
    assert d.decision == "allow", d.reasons
    assert not _unparsed(d)


def test_oversize_counts_utf8_bytes() -> None:
    assert limits.oversize("é" * (limits.MAX_BYTES // 2 + 10), "x")  # 2 bytes each
    assert limits.oversize("a" * limits.MAX_BYTES, "x") is None


def test_sql_text_over_the_limit_is_a_problem_not_parsed() -> None:
    _targets, problems = classify_sql(STMT * (limits.MAX_BYTES // len(STMT) + 10))
    assert problems and problems[0].startswith("too large to judge: the SQL text")


def test_one_huge_mysql_statement_is_not_handed_to_sqlglot() -> None:
    row = "(1, 'x', 'some text here'),"
    one = "INSERT INTO items VALUES " + row * (limits.SQL_STATEMENT_MAX // len(row) + 10) + \
        "(2, 'y', 'z')"
    _targets, problems = classify_sql(one, dialect="mysql")
    assert any(p.startswith("too large to judge: one SQL statement") for p in problems)


def test_a_script_read_from_a_file_is_capped_too(checker: Checker, workspace: Path) -> None:
    from airlock.classify.command import ClassifyContext
    from airlock.classify.shell import parse_script

    ctx = ClassifyContext(cwd=str(workspace), home=str(workspace))
    assert parse_script("echo hi; " * (limits.MAX_BYTES // 9 + 10), ctx) == []
    assert ctx.flags and ctx.flags[0].detail.startswith("too large to judge: the shell script")


# ------------------------------------------------------------------------- time


def test_a_parse_past_the_time_budget_is_held(monkeypatch: pytest.MonkeyPatch,
                                              checker: Checker) -> None:
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.0)
    for command, kind in [("echo a; " * 3000, "shell"), (heredoc(40_000), "shell"),
                          (STMT * 500, "sql")]:
        d = _decide(checker, command, kind)
        assert d.decision == "hold", command[:40]
        assert _unparsed(d) == ["too large to judge: Airlock stopped after 0 s of work on it"]


def test_the_budget_is_per_action(monkeypatch: pytest.MonkeyPatch, checker: Checker) -> None:
    # a held action leaves nothing behind: the next one is judged afresh
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.0)
    assert _decide(checker, "echo a; " * 3000).decision == "hold"
    monkeypatch.setattr(limits, "TIME_BUDGET", 1.0)
    d = _decide(checker, "git status; echo a; " * 50)
    assert d.decision == "allow", d.reasons


def test_the_budget_does_nothing_outside_a_classification() -> None:
    limits.check()  # no budget open: never raises
    with limits.budget(0.0), pytest.raises(limits.TooLarge):
        sum(range(10_000))
        limits.check()
    limits.check()


def test_too_large_is_not_swallowed_by_except_exception() -> None:
    assert not issubclass(limits.TooLarge, Exception)


# ------------------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize(("command", "kind"), [
    ("ls\x00", "shell"),
    ("cat .e\x00nv", "shell"),
    ("rm -rf /tmp/x\x00/etc", "shell"),
    ("git status\x00; rm -rf ~", "shell"),
    ("SELECT 1\x00; DROP TABLE users", "sql"),
    ("GET https://api.example.com/\x00 HTTP/1.1\n\n", "http"),
])
def test_a_nul_byte_is_never_allowed(checker: Checker, command: str, kind: str) -> None:
    d = _decide(checker, command, kind)
    assert d.decision in ("hold", "deny")
    assert any("NUL byte" in f for f in _unparsed(d))


def test_a_nul_byte_inside_nested_shell_is_refused(workspace: Path) -> None:
    from airlock.classify.command import ClassifyContext
    from airlock.classify.shell import parse_script

    ctx = ClassifyContext(cwd=str(workspace), home=str(workspace))
    assert parse_script("ls\x00 -la", ctx) == []
    assert "NUL byte" in ctx.flags[0].detail


def test_classifier_reports_nul_before_parsing() -> None:
    a = Classifier(Config()).classify(Action(command="ls\x00", kind="shell", cwd="/"))
    assert [t.verb for t in a.targets] == ["shell.unknown"]


# ------------------------------------------------------------------------- the CLI


def test_a_5mb_sql_heredoc_through_airlock_check_is_held(workspace: Path,
                                                         tmp_path: Path) -> None:
    # 5 MB does not fit in one argv string (Linux caps one at 128 KiB): --jsonl on stdin
    env = {**os.environ, "AIRLOCK_NO_DAEMON": "1", "AIRLOCK_HOME": str(tmp_path / "home"),
           "HOME": str(tmp_path)}
    lines = json.dumps({"id": 1, "command": heredoc(5_000_000)}) + "\n" + \
        json.dumps({"id": 2, "command": "git status"}) + "\n"
    proc = subprocess.run([sys.executable, "-m", "airlock", "check", "--jsonl"],
                          cwd=workspace, env=env, input=lines, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    big, small = (json.loads(line) for line in proc.stdout.splitlines())
    assert big["decision"] == "hold"
    assert any(f["detail"].startswith("too large to judge") for f in big["flags"])
    assert small["decision"] == "allow"


@pytest.mark.parametrize("value", ["https://example.com/\x00", "\\\x00x"])
def test_a_nul_byte_in_an_mcp_call_is_never_allowed(checker: Checker, value: str) -> None:
    from airlock.classify.mcp import canonical_command

    d = _decide(checker, canonical_command("srv", "fetch", {"url": value}, None), "mcp")
    assert d.decision in ("hold", "deny")
    assert any("NUL byte" in f for f in _unparsed(d))


def test_an_escaped_backslash_u0000_is_not_a_nul(checker: Checker) -> None:
    from airlock.classify.mcp import canonical_command

    d = _decide(checker, canonical_command("srv", "query", {"sql": "SELECT '\\u0000'"},
                                           None), "mcp")
    assert not any("NUL byte" in f for f in _unparsed(d))
