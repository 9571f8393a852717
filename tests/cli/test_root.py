"""The ``airlock`` click group: every command registered once. Plain click lets a second
command of the same name silently replace the first (``airlock token issue`` was once
defined in two modules, and only the later one ever ran); the CLI's groups refuse it."""

from __future__ import annotations

import click
import pytest

from airlock.cli.common import DuplicateCommand, Group, group
from airlock.cli.root import build


def _groups(cmd: click.Command, path: str = "airlock") -> list[tuple[str, click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            out += _groups(sub, f"{path} {name}")
    return out


def _command(name: str) -> click.Command:
    @click.command(name)
    def run() -> None:
        """A command."""

    return run


def test_a_group_refuses_a_second_command_of_the_same_name() -> None:
    cli = Group("airlock")
    cli.add_command(_command("issue"))
    with pytest.raises(DuplicateCommand, match="`airlock issue` is defined twice"):
        cli.add_command(_command("issue"))
    assert len(cli.commands) == 1


def test_a_subgroup_refuses_it_too_however_it_is_registered() -> None:
    @group("token")
    def token() -> None:
        """Tokens."""

    @token.command("issue")
    def first() -> None:
        """One."""

    with pytest.raises(DuplicateCommand, match="`airlock token issue` is defined twice"):
        @token.command("issue")
        def second() -> None:
            """Another."""

    with pytest.raises(DuplicateCommand):
        token.add_command(_command("other"), name="issue")


def test_building_the_cli_raises_nothing_and_every_group_is_guarded() -> None:
    cli = build()
    groups = [(path, cmd) for path, cmd in _groups(cli) if isinstance(cmd, click.Group)]
    assert {path for path, _ in groups} >= {"airlock", "airlock token", "airlock hook",
                                            "airlock admin", "airlock ledger"}
    unguarded = [path for path, cmd in groups if not isinstance(cmd, Group)]
    assert unguarded == [], f"make these with airlock.cli.common.group: {unguarded}"
    assert build() is not cli  # each build is a new group: building twice is no duplicate


def test_token_issue_is_the_one_with_api_grants() -> None:
    token = build().commands["token"]
    assert isinstance(token, click.Group)
    assert sorted(token.commands) == ["attenuate", "issue", "list", "revoke"]
    options = {opt for p in token.commands["issue"].params for opt in p.opts}
    assert {"--agent", "--scope", "--allow", "--ttl", "--owner", "--database",
            "--config"} <= options
