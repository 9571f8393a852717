"""CLI commands of the hold and record stages: serve, token, admin, requests, approve,
reject, abort, ledger. Registered on the main click group by :func:`register`.

The human commands talk to the database directly, as an authenticated human: they ask
for username, password and TOTP code (or take ``--user`` plus ``AIRLOCK_PASSWORD`` /
``AIRLOCK_TOTP`` from the environment, or prompt).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from airlock.hold.settings import ServeSettings

database_option = click.option("--database", "database", default=None, metavar="URL",
                               help="postgresql://… (default: SQLite in the data dir, or "
                                    "AIRLOCK_DATABASE_URL)")
config_option = click.option("--config", "config_path", default=None,
                             help="airlock.toml to use")


def _settings(config_path: str | None) -> ServeSettings:
    from airlock.config import ConfigError
    from airlock.hold import settings

    try:
        return settings.load(config_path, os.getcwd())
    except ConfigError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)


def _context(config_path: str | None, database: str | None, base_url: str = "",
             with_checker: bool = False) -> Any:
    from airlock.instance import build

    return build(_settings(config_path), database, base_url or "http://127.0.0.1:8750",
                 with_checker=with_checker)


def _login(ctx: Any, user: str | None) -> Any:
    from airlock.hold.identity import AuthError, authenticate

    user = user or click.prompt("Username")
    password = os.environ.get("AIRLOCK_PASSWORD") or click.prompt("Password", hide_input=True)
    code = os.environ.get("AIRLOCK_TOTP") or click.prompt("Authenticator code")
    hold = ctx.settings.hold
    try:
        return authenticate(ctx.store, ctx.ledger, user, password, code, hold.login_failures,
                            hold.login_window)
    except AuthError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(5)


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(token)
    cli.add_command(admin)
    cli.add_command(requests_cmd)
    cli.add_command(approve)
    cli.add_command(reject)
    cli.add_command(abort)
    cli.add_command(ledger_group)


# ---- serve ---------------------------------------------------------------------------


@click.command()
@click.option("--host", default=None, help="default 127.0.0.1 (a system install: the pin's)")
@click.option("--port", default=None, type=int,
              help="default 8750 (a system install: the pin's privileged port, 875)")
@database_option
@config_option
@click.option("--access-log/--no-access-log", default=False, show_default=True)
def serve(host: str | None, port: int | None, database: str | None, config_path: str | None,
          access_log: bool) -> None:
    """Run the agent API and the approval web UI (and, in a system install, the decision
    socket the agents' hooks ask)."""
    import threading

    import uvicorn

    from airlock.server import boot as B
    from airlock.server.app import create_app
    from airlock.store.db import redact

    try:
        started = B.prepare(host, port)
    except B.BootError as exc:
        click.echo(f"airlock serve: {exc}", err=True)
        sys.exit(2)
    if started.listener is not None and started.port == 0:
        started.port = started.listener.getsockname()[1]
    base = f"http://{started.host}:{started.port}"
    if started.pin is not None:
        config_path = started.pin.config  # the service's own, whatever was asked
    ctx = _context(config_path, database, base, with_checker=True)
    if started.pin is None:
        for change in B.secure_single_user(ctx.data_dir):
            click.echo(f"airlock serve: made the data dir private: {change}", err=True)
    B.announce(started)
    click.echo(f"airlock serve: {base}  database {redact(ctx.store.url)}  "
               f"ledger key {ctx.public_key[:16]}…"
               f"{'  (system install, user ' + started.pin.user + ')' if started.pin else ''}",
               err=True)
    decisions = None
    if started.pin is not None:
        from airlock.daemon import Daemon
        from airlock.server.decisions import ServiceHandler

        decisions = Daemon(started.pin.socket, idle_timeout=None,
                           handler=ServiceHandler(ctx), socket_mode=0o666, watch_code=False)
        thread = threading.Thread(target=decisions.serve, kwargs={"install_signals": False},
                                  name="airlock-decisions", daemon=True)
        thread.start()
        if not decisions.listening.wait(30):
            click.echo("airlock serve: the decision socket did not start", err=True)
            sys.exit(1)
        click.echo(f"airlock serve: decisions on {started.pin.socket}", err=True)

    def stop_decisions() -> None:
        if decisions is not None:
            decisions.stopping.set()
            thread.join(3)  # it removes its socket on the way out

    # proxy_headers off: nothing sits in front of Airlock by default, and a local agent
    # must not be able to pick the client address Airlock sees with X-Forwarded-For
    config = uvicorn.Config(create_app(ctx, on_stop=stop_decisions), host=started.host,
                            port=started.port, access_log=access_log, log_level="warning",
                            timeout_graceful_shutdown=5, proxy_headers=False)
    uvicorn.Server(config).run(
        sockets=[started.listener] if started.listener is not None else None)


# ---- agent tokens --------------------------------------------------------------------


@click.group()
def token() -> None:
    """Agent tokens (opaque; only a hash is stored)."""


@token.command("issue")
@click.option("--agent", required=True, help="the agent this token stands for")
@click.option("--scope", default=None, help="the environment the agent is confined to")
@click.option("--ttl", default="8h", show_default=True, help="lifetime: 90s, 30m, 8h, 2d")
@click.option("--owner", default=None,
              help="the human on whose behalf the agent runs (who then cannot approve it)")
@database_option
@config_option
def token_issue(agent: str, scope: str | None, ttl: str, owner: str | None,
                database: str | None, config_path: str | None) -> None:
    """Issue an agent token; it is printed once and never stored."""
    from airlock.hold.identity import issue_token, parse_ttl

    try:
        seconds = parse_ttl(ttl)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    ctx = _context(config_path, database)
    token_id, secret = issue_token(ctx.store, ctx.ledger, agent, scope, seconds, owner)
    click.echo(f"token {token_id} for agent {agent}"
               f"{' scope ' + scope if scope else ''}, expires in {ttl}:", err=True)
    click.echo(secret)


# ---- humans --------------------------------------------------------------------------


@click.group()
def admin() -> None:
    """Human accounts: create, list, remove, reset-totp.

    Without a terminal (a script, CI), secrets come from the environment:
    AIRLOCK_NEW_PASSWORD (the new human's password), AIRLOCK_PASSWORD and AIRLOCK_TOTP
    (the authorising admin's)."""


def _no_terminal(what: str, variables: str) -> None:
    """Exit 2 saying which variables to set, when there is no terminal to ask on."""
    click.echo(f"airlock: no terminal to ask for {what}: set {variables} (or run this in "
               "a terminal)", err=True)
    sys.exit(2)


def _admin_login(ctx: Any, as_user: str) -> Any:
    """The admin authorising an admin command (password + TOTP), or exit."""
    missing = [v for v in ("AIRLOCK_PASSWORD", "AIRLOCK_TOTP") if not os.environ.get(v)]
    if missing and not sys.stdin.isatty():
        _no_terminal(f"{as_user}'s password and authenticator code", " and ".join(missing))
    human = _login(ctx, as_user)
    if not human.is_admin:
        click.echo(f"airlock: {human.username} is not an admin", err=True)
        sys.exit(5)
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

    ctx = _context(config_path, database)
    with ctx.store.read() as conn:
        existing = count_humans(conn)
    if existing and not as_user:
        click.echo("airlock: humans exist already: authorise with --as ADMIN", err=True)
        sys.exit(2)
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
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)
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

    ctx = _context(config_path, database)
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

    ctx = _context(config_path, database)
    admin_ = _admin_login(ctx, as_user)
    try:
        remove_human(ctx.store, ctx.ledger, username, admin_.username)
    except ValueError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)
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

    ctx = _context(config_path, database)
    admin_ = _admin_login(ctx, as_user)
    try:
        secret = reset_totp(ctx.store, ctx.ledger, username, admin_.username)
    except ValueError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)
    click.echo(f"new TOTP secret for {username}. Add this to an authenticator app now; it "
               "is not shown again.", err=True)
    click.echo(f"TOTP secret: {secret}")
    click.echo(f"otpauth URI: {otpauth_uri(username, secret)}")


# ---- requests ------------------------------------------------------------------------


def _describe(view: dict[str, Any]) -> str:
    from airlock.hold.service import duration, readable

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(view["created_at"]))
    lines = [f"request {view['id']}  [{view.get('shown_state', view['state'])}]  "
             f"{view['decision'].get('risk', '?')}  agent {view['agent']}  "
             f"env {view['environment']}  asked {when}"]
    shown = readable(view["action"])
    if shown["mcp"]:
        lines.append(f"  mcp:     {shown['server']} / {shown['tool']}")
        for name, value in shown["arguments"]:
            lines.append(f"    {name}: " + value.replace("\n", "\n      "))
    else:
        lines.append(f"  command: {view['action']['command']}")
    for t in view["decision"].get("targets", []):
        where = f" in {t['resource']}" if t.get("resource") else ""
        lines.append(f"  target:  {t['name']}{where} ({t['kind']}, {t['verb']}, {t['risk']}) "
                     f"env {t['env']}")
    for reason in view["decision"].get("reasons", []):
        lines.append(f"  why:     {reason}")
    lines.append(f"  approvals {len(view['approvals'])}/{view['required_approvers']}"
                 f"{' (' + ', '.join(view['approvals']) + ')' if view['approvals'] else ''}"
                 f"  cooldown {duration(view['cooldown_seconds'])}  safety net: "
                 f"{view['safety_net']}")
    if view["state"] == "pending":
        lines.append(f"  to approve, type: {view['confirm_name']}")
        if view.get("approval_problem"):
            lines.append(f"  warning: {view['approval_problem']}")
    if view["state"] == "cooling":
        lines.append(f"  cooling: {duration(view['cooldown_remaining'])} left")
    if view.get("undone"):
        undone = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(view["undone"]["at"]))
        lines.append(f"  undone:  {undone} by {view['undone']['by']}")
    return "\n".join(lines)


@click.command("requests")
@click.option("--all", "show_all", is_flag=True, help="closed requests too")
@click.option("--json", "as_json", is_flag=True)
@database_option
@config_option
def requests_cmd(show_all: bool, as_json: bool, database: str | None,
                 config_path: str | None) -> None:
    """List requests waiting for humans."""
    ctx = _context(config_path, database)
    rows = ctx.service.list(only_open=not show_all)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("nothing is waiting")
    for view in rows:
        click.echo(_describe(view))


def _human_op(op: str, rid: str, user: str | None, database: str | None,
              config_path: str | None, confirm: str | None = None, reason: str = "") -> None:
    from airlock.hold.service import Refused

    ctx = _context(config_path, database)
    try:
        view = ctx.service.view(rid)
    except Refused as exc:
        click.echo(f"airlock: {exc.message}", err=True)
        sys.exit(4)
    click.echo(_describe(view), err=True)
    human = _login(ctx, user)
    try:
        if op == "approve":
            typed = confirm if confirm is not None else click.prompt(
                f"To approve, type {view['confirm_name']}", default="", show_default=False)
            view = ctx.service.approve(human, rid, typed)
        elif op == "reject":
            view = ctx.service.reject(human, rid, reason)
        else:
            view = ctx.service.abort(human, rid, reason)
    except Refused as exc:
        hint = ""
        if op == "approve" and exc.status == 422:
            hint = f" (type exactly: {view['confirm_name']})"
        click.echo(f"airlock: refused: {exc.message}{hint}", err=True)
        sys.exit(4)
    from airlock.hold.service import duration

    extra = ""
    if view["state"] == "cooling":
        extra = f"; cooling down for {duration(view['cooldown_remaining'])} (abort with " \
                f"`airlock abort {rid}`)"
    elif view["state"] == "pending":
        extra = (f"; {len(view['approvals'])}/{view['required_approvers']} approvals, "
                 "waiting for another human")
        if view.get("approval_problem"):
            extra += f"\nwarning: {view['approval_problem']}"
    click.echo(f"{rid}: {view['state']}{extra}")


@click.command()
@click.argument("request_id")
@click.option("--user", default=None)
@click.option("--confirm", default=None, metavar="NAME",
              help="what `airlock requests` shows after \"to approve, type:\" (prompted "
                   "when omitted)")
@database_option
@config_option
def approve(request_id: str, user: str | None, confirm: str | None, database: str | None,
            config_path: str | None) -> None:
    """Approve a held request: you type the name `airlock requests` shows after "to
    approve, type:" (the inventory resource's name when there is one)."""
    _human_op("approve", request_id, user, database, config_path, confirm=confirm)


@click.command()
@click.argument("request_id")
@click.option("--user", default=None)
@click.option("--reason", default="")
@database_option
@config_option
def reject(request_id: str, user: str | None, reason: str, database: str | None,
           config_path: str | None) -> None:
    """Reject a pending request."""
    _human_op("reject", request_id, user, database, config_path, reason=reason)


@click.command()
@click.argument("request_id")
@click.option("--user", default=None)
@click.option("--reason", default="")
@database_option
@config_option
def abort(request_id: str, user: str | None, reason: str, database: str | None,
          config_path: str | None) -> None:
    """Abort a request that has not run (pending, cooling or ready)."""
    _human_op("abort", request_id, user, database, config_path, reason=reason)


# ---- ledger --------------------------------------------------------------------------


@click.group("ledger")
def ledger_group() -> None:
    """The hash-chained, signed record."""


@ledger_group.command("verify")
@click.option("--trust-key", multiple=True, metavar="HEX",
              help="another replica's Ed25519 public key (the local one is trusted)")
@database_option
@config_option
def ledger_verify(trust_key: tuple[str, ...], database: str | None,
                  config_path: str | None) -> None:
    """Check the hash chain, every signed checkpoint, and that every approved, ready or
    executed request is backed by a signed approval in the ledger; exit 1 on any
    problem (each names the entry or request)."""
    from airlock import ledger

    ctx = _context(config_path, database)
    started = time.monotonic()
    result = ledger.verify(ctx.store, [ctx.public_key, *trust_key])
    for err in result.errors[:50]:
        click.echo(f"FAIL {err}")
    click.echo(f"{'ok' if result.ok else 'BROKEN'}: {result.entries} entries, "
               f"{result.checkpoints} signed checkpoints (last at {result.last_signed_seq}; "
               f"{result.unsigned_tail} entries after it), {len(result.errors)} problems, "
               f"{time.monotonic() - started:.2f}s")
    sys.exit(0 if result.ok else 1)


@ledger_group.command("export")
@click.option("-o", "--output", default="-", help="file to write (default stdout)")
@database_option
@config_option
def ledger_export(output: str, database: str | None, config_path: str | None) -> None:
    """Write every ledger entry as JSON lines."""
    from airlock import ledger

    ctx = _context(config_path, database)
    if output == "-":
        n = ledger.export(ctx.store, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            n = ledger.export(ctx.store, fh)
    click.echo(f"{n} entries", err=True)
