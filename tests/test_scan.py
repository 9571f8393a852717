"""``airlock scan``: where credentials lie, by file:line and kind — never the secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airlock.classify.denylist import denylist_path, load_denylist, write_denylist

AIRLOCK = str(Path(sys.executable).parent / "airlock")
GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
RAILWAY = "3d2c42fb-9a1e-4c7d-b2f0-6e8a1d5c7b93"
AWS = "AKIA" + "QWERTYUIOPASDFGH"


@pytest.fixture
def tree(workspace: Path) -> Path:
    (workspace / ".env").write_text(f"# local\nDEBUG=1\nRAILWAY_TOKEN={RAILWAY}\n")
    (workspace / ".env.example").write_text("RAILWAY_TOKEN=your-token-here\n")
    (workspace / "ops").mkdir()
    (workspace / "ops" / "domains.sh").write_text(
        f"#!/bin/sh\n# custom domains\ncurl -H 'Authorization: Bearer {GH}' x\n")
    (workspace / "src" / "settings.py").write_text(
        f'import os\nKEY = os.environ["API_KEY"]\naws_key = "{AWS}"\n'
        'password = get_password()\n')
    (workspace / "config.json").write_text(json.dumps({"name": "x", "token": RAILWAY}))
    (workspace / "node_modules").mkdir()
    (workspace / "node_modules" / "x.env").write_text(f"TOKEN={RAILWAY}\n")
    return workspace


def scan(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
    return subprocess.run([AIRLOCK, "scan", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_scan_reports_file_line_kind_never_the_secret(tree: Path, tmp_path: Path) -> None:
    r = scan(cwd=tree, home=tmp_path / "h")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith(".env:3: RAILWAY_TOKEN assignment") for line in lines)
    assert any(line.startswith("ops/domains.sh:3: ") and "GitHub token" in line
               for line in lines)
    assert any(line.startswith("src/settings.py:3: ") and "AWS access key id" in line
               for line in lines)
    assert any(line.startswith("config.json:1: ") and "token assignment" in line
               for line in lines)
    assert not any(line.startswith((".env.example", "node_modules", "src/settings.py:2",
                                    "src/settings.py:4")) for line in lines), lines
    for secret in (GH, RAILWAY, AWS, RAILWAY[:8], GH[4:12]):
        assert secret not in r.stdout and secret not in r.stderr
    assert "finding(s) in 4 file(s)" in r.stderr


def test_scan_json_and_single_file(tree: Path, tmp_path: Path) -> None:
    r = scan("--json", ".env", cwd=tree, home=tmp_path / "h")
    assert r.returncode == 1
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows == [{"path": ".env", "line": 3, "kind": "RAILWAY_TOKEN assignment"}]


def test_scan_clean_tree_exits_0(workspace: Path, tmp_path: Path) -> None:
    r = scan(cwd=workspace, home=tmp_path / "h")
    assert (r.returncode, r.stdout) == (0, "")


def test_write_denylist_and_the_hook_honours_it(tree: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    r = scan("--write-denylist", cwd=tree, home=home)
    assert r.returncode == 1
    listed = load_denylist(str(home))
    assert str(tree / "ops" / "domains.sh") in listed and str(tree / ".env") in listed
    assert str(tree / ".env.example") not in listed
    assert oct(os.stat(denylist_path(str(home))).st_mode & 0o777) == "0o600"
    # a second scan adds nothing new
    r = scan("--write-denylist", cwd=tree, home=home)
    assert "0 file(s) added" in r.stderr
    payload = {"hook_event_name": "PreToolUse", "cwd": str(tree), "tool_name": "Read",
               "tool_input": {"file_path": str(tree / "ops" / "domains.sh")}}
    env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
    proc = subprocess.run([AIRLOCK, "hook", "run", "claude-code"], input=json.dumps(payload),
                          cwd=tree, env=env, capture_output=True, text=True, check=False)
    out = json.loads(proc.stdout)
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_denylist_loader(tmp_path: Path) -> None:
    assert load_denylist(str(tmp_path)) == ()
    target, new = write_denylist(["/a/b", "/a/b", "/c"], str(tmp_path))
    assert new == ["/a/b", "/c"] and load_denylist(str(tmp_path)) == ("/a/b", "/c")
    Path(target).write_text("# c\n\nrelative/ignored\n/x/y\n")
    assert load_denylist(str(tmp_path)) == ("/x/y",)
