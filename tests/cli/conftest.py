from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.support import free_port


@pytest.fixture
def env(tmp_path: Path, workspace: Path) -> dict[str, str]:
    """A user's environment for the CLI: single-user mode, no daemon, its own
    AIRLOCK_HOME and HOME, a server address where nothing listens, the workspace a git
    repository of its own."""
    out = dict(os.environ)
    # Fence git inside the workspace: its bare .git dir is no repository to git, which
    # would otherwise walk up to the enclosing checkout (a `git reset --hard` that got
    # through would wipe uncommitted work there).
    out["GIT_CEILING_DIRECTORIES"] = str(workspace.parent)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True, env=out)
    out.update({"AIRLOCK_NO_DAEMON": "1", "AIRLOCK_HOME": str(tmp_path / "airlock-home"),
                "AIRLOCK_SERVER": f"http://127.0.0.1:{free_port()}",
                "HOME": str(tmp_path / "home")})
    for key in ("AIRLOCK_CONFIG", "AIRLOCK_TOKEN", "AIRLOCK_SCOPE", "CODEX_HOME"):
        out.pop(key, None)
    (tmp_path / "home").mkdir()
    return out
