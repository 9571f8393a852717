"""``airlock secret add|list|remove``: provider credentials the broker injects, encrypted at
rest and never printed (:mod:`airlock.broker.secrets`)."""

from __future__ import annotations

import os
import sys
import time

import click

from airlock.cli.common import config_option, database_option, group, instance


@group("secret")
def secret_group() -> None:
    """Provider credentials, encrypted at rest; never printed."""


@secret_group.command("add")
@click.argument("name")
@click.option("--from-env", "from_env", default=None, metavar="VAR",
              help="read the credential from this environment variable")
@click.option("--from-stdin", "from_stdin", is_flag=True, help="read it from stdin")
@database_option
@config_option
def secret_add(name: str, from_env: str | None, from_stdin: bool, database: str | None,
               config_path: str | None) -> None:
    """Store the credential Airlock injects for provider NAME."""
    from airlock.broker.secrets import SecretBox, SecretError

    if from_env:
        value = os.environ.get(from_env, "")
        if not value:
            click.echo(f"airlock: ${from_env} is empty or unset", err=True)
            sys.exit(2)
    elif from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = click.prompt(f"Credential for {name}", hide_input=True)
    ctx = instance(config_path, database)
    try:
        SecretBox(ctx.store, ctx.ledger, ctx.data_dir).add(name, value)
    except SecretError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)
    click.echo(f"stored credential {name!r} (encrypted; it is never shown again)")


@secret_group.command("list")
@database_option
@config_option
def secret_list(database: str | None, config_path: str | None) -> None:
    """Names of stored credentials (never their values)."""
    from airlock.broker.secrets import SecretBox

    ctx = instance(config_path, database)
    rows = SecretBox(ctx.store, ctx.ledger, ctx.data_dir).names()
    if not rows:
        click.echo("no credentials")
    for r in rows:
        added = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(str(r["created_at"]))))
        click.echo(f"{r['name']}  added {added} by {r['created_by']}")


@secret_group.command("remove")
@click.argument("name")
@database_option
@config_option
def secret_remove(name: str, database: str | None, config_path: str | None) -> None:
    """Delete a stored credential."""
    from airlock.broker.secrets import SecretBox

    ctx = instance(config_path, database)
    if not SecretBox(ctx.store, ctx.ledger, ctx.data_dir).remove(name):
        click.echo(f"airlock: no credential {name!r}", err=True)
        sys.exit(2)
    click.echo(f"removed {name!r}")


COMMANDS = (secret_group,)
