"""``airlock requests``, ``approve``, ``reject``, ``abort``: the second key, from the
command line. Each human command authenticates its human (username, password and TOTP
code: ``--user`` plus ``AIRLOCK_PASSWORD`` / ``AIRLOCK_TOTP``, or prompted)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from airlock.cli.common import config_option, database_option, instance, login


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
    ctx = instance(config_path, database)
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

    ctx = instance(config_path, database)
    try:
        view = ctx.service.view(rid)
    except Refused as exc:
        click.echo(f"airlock: {exc.message}", err=True)
        sys.exit(4)
    click.echo(_describe(view), err=True)
    human = login(ctx, user)
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


COMMANDS = (requests_cmd, approve, reject, abort)
