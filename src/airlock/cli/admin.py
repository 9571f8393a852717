"""``airlock admin create|list|remove|reset-totp``: the humans who approve.

The commands talk to the database directly, as an authenticated admin: they ask for
username, password and TOTP code (or take ``--as`` plus ``AIRLOCK_PASSWORD`` /
``AIRLOCK_TOTP`` from the environment, or prompt).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, NoReturn

import click

from airlock.cli.common import config_option, database_option, fail, group, instance, login

if TYPE_CHECKING:
    from airlock.hold.identity import Human
    from airlock.instance import Instance


@group()
def admin() -> None:
    """Human accounts: create, list, remove, reset-totp.

    Without a terminal (a script, CI), secrets come from the environment:
    AIRLOCK_NEW_PASSWORD (the new human's password), AIRLOCK_PASSWORD and AIRLOCK_TOTP
    (the authorising admin's)."""


def _no_terminal(what: str, variables: str) -> NoReturn:
    """Exit 2 saying which variables to set, when there is no terminal to ask on."""
    fail(f"no terminal to ask for {what}: set {variables} (or run this in a terminal)", 2)


def _admin_login(ctx: Instance, as_user: str) -> Human:
    """The admin authorising an admin command (password + TOTP), or exit."""
    missing = [v for v in ("AIRLOCK_PASSWORD", "AIRLOCK_TOTP") if not os.environ.get(v)]
    if missing and not sys.stdin.isatty():
        _no_terminal(f"{as_user}'s password and authenticator code", " and ".join(missing))
    human = login(ctx, as_user)
    if not human.is_admin:
        fail(f"{human.username} is not an admin", 5)
    return human


@admin.command("create")
@click.argument("username")
@click.option("--as", "as_user", default=None,
              help="an existing admin authorising this (needed once a human exists)")
@click.option("--no-admin", is_flag=True, help="an approver who cannot create humans")
@database_option
@config_option
def admin_create(username: str, as_user: str | None, no_admin: bool, database: str | None,
                 config_path: str | None) -> None:
    """Create a human; prints the TOTP secret and otpauth URI once.

    The password is asked on the terminal; without one, it is read from
    AIRLOCK_NEW_PASSWORD (at least 10 characters). With --as, the admin's password and
    code are asked, or read from AIRLOCK_PASSWORD and AIRLOCK_TOTP."""
    from airlock.hold.identity import count_humans, create_human, otpauth_uri

    ctx = instance(config_path, database)
    with ctx.store.read() as conn:
        existing = count_humans(conn)
    if existing and not as_user:
        fail("humans exist already: authorise with --as ADMIN", 2)
    password = os.environ.get("AIRLOCK_NEW_PASSWORD")
    if not password and not sys.stdin.isatty():  # said before an admin's code is spent
        _no_terminal(f"{username}'s password", "AIRLOCK_NEW_PASSWORD (at least 10 characters)")
    by = _admin_login(ctx, as_user).username if existing and as_user else "bootstrap"
    if not password:
        password = click.prompt(f"Password for {username}", hide_input=True,
                                confirmation_prompt=True)
    try:
        secret = create_human(ctx.store, ctx.ledger, username, password, not no_admin, by)
    except ValueError as exc:
        fail(exc, 2)
    click.echo(f"created {username}. Add this to an authenticator app now; it is not shown "
               "again.", err=True)
    click.echo(f"TOTP secret: {secret}")
    click.echo(f"otpauth URI: {otpauth_uri(username, secret)}")


as_admin_option = click.option(
    "--as", "as_user", required=True, metavar="ADMIN",
    help="the admin authorising this (password and code asked, or AIRLOCK_PASSWORD and "
         "AIRLOCK_TOTP)")


@admin.command("list")
@as_admin_option
@click.option("--json", "as_json", is_flag=True)
@database_option
@config_option
def admin_list(as_user: str, as_json: bool, database: str | None,
               config_path: str | None) -> None:
    """List the humans (names and roles, never a secret). Recorded in the ledger."""
    from airlock.hold.identity import list_humans

    ctx = instance(config_path, database)
    admin_ = _admin_login(ctx, as_user)
    rows = list_humans(ctx.store, ctx.ledger, admin_.username)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(str(r["created_at"]))))
        click.echo(f"{r['username']}  {'admin' if r['admin'] else 'approver'}  created "
                   f"{created}")


@admin.command("remove")
@click.argument("username")
@as_admin_option
@database_option
@config_option
def admin_remove(username: str, as_user: str, database: str | None,
                 config_path: str | None) -> None:
    """Remove a human: they can no longer sign in, and their web sessions end. The last
    admin is never removed. Recorded in the ledger (their approvals stay on record)."""
    from airlock.hold.identity import remove_human

    ctx = instance(config_path, database)
    admin_ = _admin_login(ctx, as_user)
    try:
        remove_human(ctx.store, ctx.ledger, username, admin_.username)
    except ValueError as exc:
        fail(exc, 2)
    click.echo(f"removed {username}")


@admin.command("reset-totp")
@click.argument("username")
@as_admin_option
@database_option
@config_option
def admin_reset_totp(username: str, as_user: str, database: str | None,
                     config_path: str | None) -> None:
    """Give a human a new TOTP secret (a lost or exposed authenticator): prints it once;
    the old one stops working and their web sessions end. Recorded in the ledger."""
    from airlock.hold.identity import otpauth_uri, reset_totp

    ctx = instance(config_path, database)
    admin_ = _admin_login(ctx, as_user)
    try:
        secret = reset_totp(ctx.store, ctx.ledger, username, admin_.username)
    except ValueError as exc:
        fail(exc, 2)
    click.echo(f"new TOTP secret for {username}. Add this to an authenticator app now; it "
               "is not shown again.", err=True)
    click.echo(f"TOTP secret: {secret}")
    click.echo(f"otpauth URI: {otpauth_uri(username, secret)}")


COMMANDS = (admin,)
