"""``airlock snapshots``, ``restore``, ``purge``: the protect stage on the command line
(see docs/safety-net.md; ``airlock undo`` is :mod:`airlock.cli.undo`). The work is in
:mod:`airlock.protect`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from airlock.cli.common import fail, instance, load_config, login, or_exit
from airlock.protect import ProtectError, RestoreRefused

if TYPE_CHECKING:
    from airlock.protect.engine import Protector


def protector(config_path: str | None) -> Protector:
    """The protect engine for this configuration, or exit 2."""
    from airlock.protect.engine import Protector
    from airlock.protect.settings import load

    cfg = load_config(config_path)
    return or_exit(lambda: Protector(load(cfg.data_dir, cfg.path)))


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr, fed by the nets' (phase, done, total) reports."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda phase, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(phase: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label}: {phase}", completed=done,
                       total=total or None)

        yield report


@click.command()
@click.option("--request", "request_id", help="only this request's snapshots")
@click.option("--json", "as_json", is_flag=True)
@click.option("--config", "config_path", help="airlock.toml to use")
def snapshots(request_id: str | None, as_json: bool, config_path: str | None) -> None:
    """List the verified snapshots in the store (a partial one is never listed)."""
    p = protector(config_path)
    try:
        ms = p.snapshots(request_id)
    except ProtectError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps([{**m.summary(), "request": m.request} for m in ms],
                              indent=1))
        return
    if not ms:
        click.echo(f"no snapshots in {p.store.location()}")
    for m in ms:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.created_at))
        click.echo(f"{m.id}  {when}  {m.kind:<9} {m.size:>12,d} B  "
                   f"req={m.request or '-':<10}  {m.verb:<20} {m.name}")


@click.command()
@click.argument("snapshot_id")
@click.option("--to", "to", required=True,
              help="a new path (directory/git/sqlite) or database name (postgres/mysql)")
@click.option("--config", "config_path", help="airlock.toml to use")
def restore(snapshot_id: str, to: str, config_path: str | None) -> None:
    """Restore one snapshot into a new place (never over an existing one)."""
    p = protector(config_path)
    try:
        with _progress(f"restore {snapshot_id}") as report:
            where = p.restore(snapshot_id, to, report)
        click.echo(f"restored {snapshot_id} into {where}")
    except RestoreRefused as exc:
        fail(exc, 4)
    except ProtectError as exc:
        fail(exc)


@click.command()
@click.option("--request", "request_id", help="only this request's quarantine")
@click.option("--older-than", "older_than", default=None, metavar="DURATION",
              help="only quarantines at least this old (e.g. 30d); never younger than "
                   "the retention window")
@click.option("--dry-run", is_flag=True, help="only say what is due; file nothing")
@click.option("--execute", "execute_id", default=None, metavar="REQUEST_ID",
              help="run an approved purge request (once)")
@click.option("--user", default=None, help="you, a human (as for `airlock approve`)")
@click.option("--database", "database", default=None, metavar="URL",
              help="the hold service's database (as for `airlock serve`)")
@click.option("--config", "config_path", help="airlock.toml to use")
def purge(request_id: str | None, older_than: str | None, dry_run: bool,
          execute_id: str | None, user: str | None, database: str | None,
          config_path: str | None) -> None:
    """Purge quarantined resources past their retention window: a held action.

    \b
    airlock purge [--older-than 30d] [--request ID]   list what is due and file a purge
                                                     request for other humans to approve
    airlock purge --execute REQUEST_ID               once approved and cooled down: drop
                                                     them (anything still inside its
                                                     retention window is kept)
    Every step is in the ledger (submitted, held, approval, execution-claimed, purged).
    """
    if execute_id:
        _purge_execute(execute_id, user, database, config_path)
        return
    from airlock.hold.identity import parse_ttl
    from airlock.protect import purge as P

    try:
        min_age = parse_ttl(older_than) if older_than else 0.0
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    p = protector(config_path)
    due = P.due(p, min_age, request_id)
    if not due:
        click.echo("nothing is past its retention window")
        return
    for rid, q in due:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(P.quarantined_at(p, q)))
        click.echo(f"{rid}: {q.get('kind')} {q.get('name')} at {q.get('quarantine')} "
                   f"(quarantined {when})")
    if dry_run:
        click.echo("(dry run: nothing filed)")
        return
    ctx = instance(config_path, database)
    human = login(ctx, user)
    try:
        view = P.submit(ctx.service, human.username, due)
    except ProtectError as exc:
        fail(exc)
    click.echo(f"purge request {view['id']} held: {view['required_approvers']} other "
               f"human(s) must approve it by typing {view['confirm_name']!r} "
               f"(`airlock approve {view['id']}` or {view['url']}); then run "
               f"`airlock purge --execute {view['id']}`")


def _purge_execute(rid: str, user: str | None, database: str | None,
                   config_path: str | None) -> None:
    from airlock.hold.service import Refused
    from airlock.protect import purge as P

    ctx = instance(config_path, database)
    human = login(ctx, user)
    try:
        purged, kept, failed = P.execute(ctx.service, human.username, rid)
    except Refused as exc:
        fail(exc.message, 4)
    except ProtectError as exc:
        fail(exc, 4)
    for line in [*purged, *kept]:
        click.echo(line)
    for line in failed:
        click.echo(f"airlock: purge failed: {line}", err=True)
    click.echo(f"request {rid}: {len(purged)} purged, {len(kept)} kept, {len(failed)} failed")
    sys.exit(1 if failed else 0)


COMMANDS = (snapshots, restore, purge)
