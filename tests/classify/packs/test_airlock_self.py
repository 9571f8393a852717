"""An agent may ask Airlock questions, but never turn the second key or switch it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import decide


@pytest.mark.parametrize("command", [
    "airlock approve 42", "airlock reject 42", "airlock abort 42",
    "airlock admin create mallory", "airlock token issue --agent me --scope production",
    "airlock admin list --as alice", "airlock admin remove alice --as mallory",
    "airlock admin reset-totp alice --as mallory",
    "AIRLOCK_PASSWORD=x AIRLOCK_TOTP=1 airlock admin reset-totp alice --as alice",
    "airlock hook uninstall claude-code", "airlock daemon --stop", "airlock secret add x",
    "sudo airlock approve 42", "bash -c 'airlock approve 42'", "airlock frobnicate",
])
def test_human_only_airlock_commands_are_denied_to_agents(workspace: Path,
                                                          command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "deny"
    assert any(f.kind == "guard-tamper" for f in d.flags)


@pytest.mark.parametrize("command", [
    "airlock check -- git status", "airlock requests", "airlock --help",
    "airlock ledger verify", "airlock scan .",
])
def test_asking_airlock_questions_is_allowed(workspace: Path, command: str) -> None:
    assert decide(command, cwd=workspace).decision == "allow"


def test_airlock_exec_is_classified_as_its_command(workspace: Path) -> None:
    assert decide("airlock exec -- rm -rf /", cwd=workspace).decision == "deny"
    assert decide("airlock exec -- git status", cwd=workspace).decision == "allow"


@pytest.mark.parametrize("command", [
    "sqlite3 ~/.local/share/airlock/airlock.db 'select * from humans'",
    "cat ~/.local/share/airlock/signing.key",
    "cp -r ~/.local/share/airlock /tmp/loot",
])
def test_reading_airlock_data_dir_is_denied(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "deny"
    assert any(f.kind == "secret-read" for f in d.flags)
