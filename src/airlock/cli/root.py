"""The click side of the command line: the ``airlock`` group with every command module's
commands on it (:func:`build`). The fast path (``check``, ``hook run``) never comes here;
see :mod:`airlock.cli`."""

from __future__ import annotations

import click

from airlock.cli.common import Group, group


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def check(ctx: click.Context) -> None:
    """Classify, resolve and decide an action (see `airlock check --help`)."""
    from airlock.cli.check import main

    raise SystemExit(main(list(ctx.args)))


def build() -> Group:
    """A new ``airlock`` group with every command on it. A name registered twice in one
    group raises :class:`~airlock.cli.common.DuplicateCommand`."""
    from airlock.cli import (
        admin,
        ca,
        config,
        daemon,
        demo,
        doctor,
        hook,
        install,
        ledger,
        mcp,
        packs,
        policy,
        protect,
        requests,
        scan,
        secret,
        serve,
        token,
        undo,
    )
    from airlock.cli import exec as exec_

    @group("airlock", context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="airlock")
    def cli() -> None:
        """Airlock: a safety control plane between AI agents and the infrastructure they touch.

        \b
        airlock serve              the approval service and web UI (http://127.0.0.1:8750)
        airlock admin create NAME  the first human who approves (password + TOTP)
        airlock token issue …      a scoped, expiring token for an agent
        airlock hook install TOOL  guard Claude Code, Cursor, Gemini CLI or Codex
        airlock check -- CMD       would CMD be allowed, held for a human, or denied?
        airlock exec -- CMD        check, wait for approval if held, then run CMD
        airlock requests / approve / reject / abort     the second key
        airlock undo REQUEST|u-…   bring back what an action destroyed (--last, --list)
        airlock ledger verify      check the hash chain and signed checkpoints
        airlock packs / policy show / config check      what is in force
        """

    cli.add_command(check)
    for module in (serve, token, admin, requests, ledger, hook, exec_, scan, mcp, protect,
                   undo, doctor, secret, demo, install, daemon, packs, policy, config, ca):
        for command in module.COMMANDS:
            cli.add_command(command)
    return cli
