"""``airlock token issue|list|revoke|attenuate``: scoped agent tokens (opaque; only a hash
is stored). What a token can do is in docs/tokens.md; the work is in
:mod:`airlock.broker.tokens`."""

from __future__ import annotations

import json
import os
import sys
import time

import click

from airlock.cli.common import config_option, database_option, group, instance


@group("token")
def token() -> None:
    """Scoped agent tokens (opaque; only a hash is stored)."""


def _ttl(text: str) -> float:
    from airlock.hold.identity import parse_ttl

    try:
        return parse_ttl(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@token.command("issue")
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
    ctx = instance(config_path, database)
    try:
        token_id, secret = issue(ctx.store, ctx.ledger, agent, scope, list(allow), seconds,
                                 owner)
    except TokenError as exc:
        raise click.BadParameter(str(exc)) from None
    grants = f" allow {', '.join(allow)}" if allow else " (no API grants)"
    click.echo(f"token {token_id} for agent {agent}"
               f"{' scope ' + scope if scope else ''}{grants}, expires in {ttl}:", err=True)
    click.echo(secret)


@token.command("list")
@click.option("--all", "show_all", is_flag=True, help="revoked and expired tokens too")
@click.option("--json", "as_json", is_flag=True)
@database_option
@config_option
def token_list(show_all: bool, as_json: bool, database: str | None,
               config_path: str | None) -> None:
    """List tokens (never the tokens themselves: only ids, agents and grants)."""
    from airlock.broker.tokens import listing

    rows = listing(instance(config_path, database).store, include_dead=show_all)
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


@token.command("revoke")
@click.argument("token_id")
@database_option
@config_option
def token_revoke(token_id: str, database: str | None, config_path: str | None) -> None:
    """Revoke a token by id (tokens attenuated from it die with it)."""
    from airlock.broker.tokens import revoke

    ctx = instance(config_path, database)
    if not revoke(ctx.store, ctx.ledger, token_id):
        click.echo(f"airlock: no token {token_id!r}", err=True)
        sys.exit(2)
    click.echo(f"revoked {token_id}")


@token.command("attenuate")
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
    ctx = instance(config_path, database)
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


COMMANDS = (token,)
