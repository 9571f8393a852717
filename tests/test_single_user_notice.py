"""Single-user mode says, once per surface and data dir, that the agent could switch
Airlock off — plainly, and not on every call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airlock.system import PIN_PATH

pytestmark = pytest.mark.skipif(os.path.exists(PIN_PATH),
                                reason="a system install is present: no single-user mode")


def run(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIRLOCK_HOME": str(home), "AIRLOCK_NO_DAEMON": "1"}
    return subprocess.run([sys.executable, "-m", "airlock", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args", [["check", "--", "git status"], ["exec", "--", "true"]])
def test_each_surface_says_it_once(tmp_path: Path, workspace: Path, args: list[str]) -> None:
    first = run(tmp_path / "home", workspace, *args)
    assert first.returncode == 0, first.stderr
    assert "single-user mode" in first.stderr and "sudo airlock install --system" \
        in first.stderr
    again = run(tmp_path / "home", workspace, *args)
    assert again.returncode == 0 and "single-user mode" not in again.stderr
