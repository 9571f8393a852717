"""CLI of the execute stage: scoped agent tokens, provider secrets, and the incident demo.

``airlock token`` is one group: ``issue`` (the hold service's options plus ``--allow``),
``list``, ``revoke``, ``attenuate``. Registered on the main click group by
:func:`register`, after :mod:`airlock.commands_serve`.
"""

from __future__ import annotations

import json
import os
import sys
import time

import click

from airlock.commands_serve import _context, config_option, database_option


def register(cli: click.Group) -> None:
    group = cli.commands.get("token")
    if not isinstance(group, click.Group):
        group = token_group
        cli.add_command(group)
    for cmd in (token_issue, token_list, token_revoke, token_attenuate):
        group.add_command(cmd)
    group.help = "Scoped agent tokens (opaque; only a hash is stored)."
    cli.add_command(secret_group)
    cli.add_command(demo_group)


@click.group("token")
def token_group() -> None:
    """Scoped agent tokens (opaque; only a hash is stored)."""


def _ttl(text: str) -> float:
    from airlock.hold.identity import parse_ttl

    try:
        return parse_ttl(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("issue")
@click.option("--agent", required=True, help="the agent this token stands for")
@click.option("--scope", default=None, help="the environment the agent is confined to")
@click.option("--allow", "allow", multiple=True, metavar="PROVIDER:KIND.VERB",
              help="API grant (repeatable), e.g. 'railway:domain.*', 'railway:*.read'")
@click.option("--ttl", default="8h", show_default=True, help="lifetime: 90s, 30m, 8h, 2d")
@click.option("--owner", default=None,
              help="the human on whose behalf the agent runs (who then cannot approve it)")
@database_option
@config_option
def token_issue(agent: str, scope: str | None, allow: tuple[str, ...], ttl: str,
                owner: str | None, database: str | None, config_path: str | None) -> None:
    """Issue an agent token; it is printed once and never stored."""
    from airlock.broker.tokens import TokenError, issue

    seconds = _ttl(ttl)
    ctx = _context(config_path, database)
    try:
        token_id, secret = issue(ctx.store, ctx.ledger, agent, scope, list(allow), seconds,
                                 owner)
    except TokenError as exc:
        raise click.BadParameter(str(exc)) from None
    grants = f" allow {', '.join(allow)}" if allow else " (no API grants)"
    click.echo(f"token {token_id} for agent {agent}"
               f"{' scope ' + scope if scope else ''}{grants}, expires in {ttl}:", err=True)
    click.echo(secret)


@click.command("list")
@click.option("--all", "show_all", is_flag=True, help="revoked and expired tokens too")
@click.option("--json", "as_json", is_flag=True)
@database_option
@config_option
def token_list(show_all: bool, as_json: bool, database: str | None,
               config_path: str | None) -> None:
    """List tokens (never the tokens themselves: only ids, agents and grants)."""
    from airlock.broker.tokens import listing

    rows = listing(_context(config_path, database).store, include_dead=show_all)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no tokens")
    for r in rows:
        # what the token really allows: an attenuated child within its parent's grants
        left = r["expires_at"] - time.time()
        click.echo(f"{r['id']}  {r['state']:<7}  agent {r['agent']}  scope "
                   f"{r['effective_scope'] or '-'}  allow "
                   f"{', '.join(r['effective_allow']) or '-'}"
                   f"{'  parent ' + r['parent'] if r['parent'] else ''}"
                   f"  {'expires in %.0fm' % (left / 60) if left > 0 else 'expired'}")


@click.command("revoke")
@click.argument("token_id")
@database_option
@config_option
def token_revoke(token_id: str, database: str | None, config_path: str | None) -> None:
    """Revoke a token by id (tokens attenuated from it die with it)."""
    from airlock.broker.tokens import revoke

    ctx = _context(config_path, database)
    if not revoke(ctx.store, ctx.ledger, token_id):
        click.echo(f"airlock: no token {token_id!r}", err=True)
        sys.exit(2)
    click.echo(f"revoked {token_id}")


@click.command("attenuate")
@click.option("--allow", "allow", multiple=True, metavar="PROVIDER:KIND.VERB")
@click.option("--scope", default=None)
@click.option("--ttl", default=None)
@database_option
@config_option
def token_attenuate(allow: tuple[str, ...], scope: str | None, ttl: str | None,
                    database: str | None, config_path: str | None) -> None:
    """Derive a narrower token from $AIRLOCK_TOKEN (it can never do more than its parent)."""
    from airlock.broker.tokens import TokenError, attenuate, describe, lookup

    parent = os.environ.get("AIRLOCK_TOKEN", "")
    if not parent:
        click.echo("airlock: set AIRLOCK_TOKEN to the token to attenuate", err=True)
        sys.exit(2)
    ctx = _context(config_path, database)
    try:
        token_id, secret = attenuate(ctx.store, ctx.ledger, parent, list(allow) or None,
                                     scope, _ttl(ttl) if ttl else None)
    except TokenError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(4)
    child = lookup(ctx.store, secret)
    if child is None:  # expired in between
        click.echo(f"airlock: token {token_id} expired as it was made", err=True)
        sys.exit(4)
    # what the child can really do: its grants within every ancestor's, never what the
    # holder asked for
    click.echo(f"token {token_id} for agent {child.agent.agent}, attenuated from "
               f"{child.chain[1].token_id}: {describe(child)}:", err=True)
    click.echo(secret)


# ---- provider secrets ----------------------------------------------------------------


@click.group("secret")
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
    ctx = _context(config_path, database)
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

    ctx = _context(config_path, database)
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

    ctx = _context(config_path, database)
    if not SecretBox(ctx.store, ctx.ledger, ctx.data_dir).remove(name):
        click.echo(f"airlock: no credential {name!r}", err=True)
        sys.exit(2)
    click.echo(f"removed {name!r}")


# ---- demo ----------------------------------------------------------------------------


@click.group("demo")
def demo_group() -> None:
    """Replays of the incidents Airlock exists for."""


@demo_group.command("incident")
@click.option("--keep", default=None, metavar="DIR",
              help="keep the demo's data dir here (default: a temp dir, removed after)")
def demo_incident(keep: str | None) -> None:
    """The production-volume deletion, replayed against a local stand-in PaaS."""
    from airlock.demo.incident import run

    sys.exit(run(keep_dir=keep))
