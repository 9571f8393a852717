"""Fixtures for the protect stage: a Protector with a private local store, and the real
pipeline turning a command into the targets it would destroy."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.action import Target
from airlock.protect.engine import Protector
from airlock.protect.settings import parse
from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture
from tests.support import decide


def targets(command: str, cwd: Path | str = "/", **kw: Any) -> list[Target]:
    d = decide(command, cwd=cwd, **kw)
    assert d.decision in ("hold", "deny"), (command, d.decision, d.reasons)
    return d.targets


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "airlock-home"
    d.mkdir()
    return d


@pytest.fixture
def protector(data_dir: Path) -> Protector:
    # Everything on this machine is one device: independence is tested on its own.
    return Protector(parse({"require_independent": "never"}, str(data_dir)))


def sh(cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the destructive command itself, as the agent would after the claim."""
    env = dict(os.environ)
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def ws(workspace: Path) -> Iterator[Path]:
    yield workspace
