"""classify ``Action(kind="mcp")``: tool packs, hints, and the ``[mcp]`` section."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from airlock.action import Action
from airlock.classify.mcp import canonical_command, database_locator, mcp_config
from airlock.config import ConfigError, load_config
from airlock.pipeline import Checker


def check(ws: Path, tool: str, args: dict[str, object], server: str = "srv",
          annotations: dict[str, object] | None = None, config: str = "") -> tuple[str, str]:
    cfg = ws / "airlock.toml"
    cfg.write_text(textwrap.dedent(config))
    checker = Checker(load_config(str(cfg), str(ws)))
    d = checker.check(Action(command=canonical_command(server, tool, args, annotations),
                             kind="mcp", cwd=str(ws)))
    return d.decision, " | ".join(d.reasons)


@pytest.mark.parametrize(("tool", "args", "want"), [
    ("query", {"sql": "SELECT * FROM users"}, "allow"),
    ("query", {"sql": "SELECT 1; DROP TABLE users"}, "hold"),
    ("execute_sql", {"sql": "DELETE FROM users"}, "hold"),
    ("read_query", {"query": "SELECT 1"}, "allow"),
    ("write_query", {"query": "TRUNCATE t"}, "hold"),
    ("query", {"sql": "SELEC nonsense"}, "hold"),
    ("query", {}, "hold"),
    ("read_file", {"path": "src/app.py"}, "allow"),
    ("read_file", {"path": "~/.aws/credentials"}, "deny"),
    ("read_multiple_files", {"paths": ["src/app.py", "~/.ssh/id_rsa"]}, "deny"),
    ("write_file", {"path": "src/new.py", "content": "x"}, "allow"),
    ("write_file", {"path": "/etc/hosts", "content": "x"}, "hold"),
    ("write_file", {"path": "airlock.toml", "content": "x"}, "deny"),
    ("delete_file", {"path": "/srv/data/db.sqlite"}, "hold"),
    ("move_file", {"source": "src/app.py", "destination": "/usr/bin/app"}, "hold"),
    ("run_command", {"command": "git status"}, "allow"),
    ("run_command", {"command": "rm -rf ~"}, "deny"),
    ("http_request", {"method": "GET", "url": "https://api.example.com/x"}, "allow"),
    ("http_request", {"method": "POST", "url": "https://api.example.com/graphql",
                      "body": '{"query": "mutation { volumeDelete(volumeId: \\"v1\\") }"}'},
     "hold"),
    ("frobnicate", {}, "hold"),
])
def test_builtin_tool_packs(workspace: Path, tool: str, args: dict[str, object],
                            want: str) -> None:
    assert check(workspace, tool, args)[0] == want


def test_annotations_are_hints_never_enough_to_allow(workspace: Path) -> None:
    decision, why = check(workspace, "tidy", {}, annotations={"readOnlyHint": True})
    assert decision == "hold" and "readOnlyHint is a claim" in why
    # declared read-only in config: allowed — unless the server itself says destructive
    cfg = '[mcp]\nread_only = ["tidy", "list_*"]\n'
    assert check(workspace, "tidy", {}, config=cfg)[0] == "allow"
    assert check(workspace, "list_things", {}, config=cfg)[0] == "allow"
    assert check(workspace, "tidy", {}, annotations={"destructiveHint": True},
                 config=cfg)[0] == "hold"
    # where the arguments are classified, what they do counts, not the label
    assert check(workspace, "query", {"sql": "SELECT 1"},
                 annotations={"destructiveHint": True})[0] == "allow"


def test_user_tool_packs(workspace: Path) -> None:
    db = workspace / "prod.db"
    cfg = f"""
        [environments.production]
        production = true
        [[resources]]
        name = "proddb"
        kind = "database"
        env = "production"
        paths = ["{db}"]
        [[mcp.tools]]
        match = "sql_*"
        server = "warehouse"
        as = "sql"
        argument = "statement"
        dialect = "sqlite"
        database = "{db}"
        [[mcp.tools]]
        match = "purge_cache"
        as = "risk"
        risk = "write"
        [[mcp.tools]]
        match = "nuke"
        as = "path"
        op = "delete_dir"
        argument = "dir"
        """
    decision, why = check(workspace, "sql_run", {"statement": "DELETE FROM t"},
                          server="warehouse", config=cfg)
    assert decision == "hold" and "production" in why, why
    assert check(workspace, "sql_run", {"statement": "SELECT 1"}, server="warehouse",
                 config=cfg)[0] == "allow"
    # the server glob: another server's sql_run is unknown
    assert check(workspace, "sql_run", {"statement": "SELECT 1"}, server="other",
                 config=cfg)[0] == "hold"
    assert check(workspace, "purge_cache", {}, config=cfg)[0] == "allow"
    assert check(workspace, "nuke", {"dir": "/var/lib/data"}, config=cfg)[0] in ("hold", "deny")


@pytest.mark.parametrize(("body", "message"), [
    ("[mcp]\nbogus = 1\n", "unknown key 'bogus'"),
    ("[mcp]\nread_only = 3\n", "read_only must be"),
    ("[mcp]\nmax_argument_bytes = 0\n", "positive integer"),
    ("[[mcp.tools]]\nas = \"sql\"\n", "needs match"),
    ("[[mcp.tools]]\nmatch = \"q\"\nas = \"magic\"\n", "as must be one of"),
    ("[[mcp.tools]]\nmatch = \"q\"\nas = \"sql\"\n", "needs argument"),
    ("[[mcp.tools]]\nmatch = \"q\"\nas = \"risk\"\n", "needs risk"),
    ("[[mcp.tools]]\nmatch = \"q\"\nas = \"path\"\nargument = \"p\"\n", "needs op"),
    ("[[mcp.tools]]\nmatch = \"q\"\nas = \"sql\"\nargument = \"s\"\ndialect = \"oracle\"\n",
     "unknown dialect"),
])
def test_mcp_section_errors_name_the_file(workspace: Path, body: str, message: str) -> None:
    cfg = workspace / "airlock.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as err:
        mcp_config(load_config(str(cfg), str(workspace)))
    assert str(cfg) in str(err.value) and message in str(err.value)


def test_broken_mcp_section_holds_instead_of_allowing(workspace: Path) -> None:
    decision, _ = check(workspace, "query", {"sql": "SELECT 1"}, config="[mcp]\nx = 1\n")
    assert decision == "hold"


def test_unreadable_or_oversized_calls_are_held(workspace: Path) -> None:
    checker = Checker(load_config(None, str(workspace)))
    for command in ("not json", "[]", '{"tool": 3}', '{"tool": "q", "arguments": []}'):
        assert checker.check(Action(command=command, kind="mcp",
                                    cwd=str(workspace))).decision == "hold"
    big = canonical_command("s", "query", {"sql": "SELECT '" + "x" * 400_000 + "'"})
    assert checker.check(Action(command=big, kind="mcp", cwd=str(workspace))).decision == "hold"


def test_database_locator() -> None:
    assert database_locator("postgresql://u:secret@db:5432/app") == "postgresql://u@db:5432/app"
    assert database_locator("sqlite:///tmp/x.db") == "sqlite:/tmp/x.db"
    assert database_locator("data/x.db", "/srv") == "sqlite:/srv/data/x.db"
    assert database_locator("sqlite:x.db", "/srv") == "sqlite:/srv/x.db"
    assert os.path.isabs(database_locator("x.sqlite")[len("sqlite:"):])
