"""``airlock undo``, ``snapshots``, ``restore``, ``doctor``, ``purge``: the protect stage
on the command line (see docs/safety-net.md)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from airlock.config import Config
    from airlock.protect.engine import Protector


def _config(config_path: str | None) -> Config:
    from airlock.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)


def _protector(config_path: str | None) -> Protector:
    from airlock.config import ConfigError
    from airlock.protect.engine import Protector
    from airlock.protect.settings import load

    cfg = _config(config_path)
    try:
        return Protector(load(cfg.data_dir, cfg.path))
    except ConfigError as exc:
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)


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


def _fail(exc: Exception, code: int = 1) -> None:
    click.echo(f"airlock: {exc}", err=True)
    sys.exit(code)


def register(cli: click.Group) -> None:
    from airlock.protect import ProtectError, RestoreRefused

    @cli.command()
    @click.argument("request_id")
    @click.option("--to", "to", help="restore here instead of the original name")
    @click.option("--force", is_flag=True, help="git: overwrite changes made after the snapshot")
    @click.option("--database", "database", default=None, metavar="URL",
                  help="the ledger's database (as for `airlock serve`)")
    @click.option("--config", "config_path", help="airlock.toml to use")
    def undo(request_id: str, to: str | None, force: bool, database: str | None,
             config_path: str | None) -> None:
        """Bring back what REQUEST_ID destroyed: from quarantine when possible, else from
        its snapshot. Refuses to overwrite anything that exists now under the same name
        (exit 4). Each step is recorded in the ledger (`undone`). Undoing it again changes
        nothing, says when it was undone, and exits 0."""
        from airlock.protect.record import Recorder

        cfg = _config(config_path)
        p = _protector(config_path)
        recorder, why = Recorder.open(cfg.data_dir, cfg.path, database)
        steps: list[dict[str, object]] = []
        unrecorded: list[str] = []

        def record(step: dict[str, object]) -> None:
            steps.append(step)
            if recorder is None:
                return
            try:
                recorder.append("undone", request_id, {**step, "force": force})
            except Exception as exc:  # noqa: BLE001 - it is undone; say it is unrecorded
                unrecorded.append(f"{type(exc).__name__}: {exc}"[:300])

        try:
            for line in p.undo(request_id, to, force, on_step=record):
                click.echo(line)
        except RestoreRefused as exc:
            _fail(exc, 4)
        except ProtectError as exc:
            _fail(exc)
        finally:
            if recorder is not None:
                recorder.close()
            if steps and recorder is None:
                click.echo(f"airlock: not in the ledger: {why} (the protect journal keeps "
                           "it)", err=True)
            for problem in unrecorded:
                click.echo(f"airlock: not in the ledger: {problem}", err=True)

    @cli.command()
    @click.option("--request", "request_id", help="only this request's snapshots")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--config", "config_path", help="airlock.toml to use")
    def snapshots(request_id: str | None, as_json: bool, config_path: str | None) -> None:
        """List the verified snapshots in the store (a partial one is never listed)."""
        p = _protector(config_path)
        try:
            ms = p.snapshots(request_id)
        except ProtectError as exc:
            _fail(exc)
            return
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

    @cli.command()
    @click.argument("snapshot_id")
    @click.option("--to", "to", required=True,
                  help="a new path (directory/git/sqlite) or database name (postgres/mysql)")
    @click.option("--config", "config_path", help="airlock.toml to use")
    def restore(snapshot_id: str, to: str, config_path: str | None) -> None:
        """Restore one snapshot into a new place (never over an existing one)."""
        p = _protector(config_path)
        try:
            with _progress(f"restore {snapshot_id}") as report:
                where = p.restore(snapshot_id, to, report)
            click.echo(f"restored {snapshot_id} into {where}")
        except RestoreRefused as exc:
            _fail(exc, 4)
        except ProtectError as exc:
            _fail(exc)

    @cli.command()
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--config", "config_path", help="airlock.toml to use")
    def doctor(as_json: bool, config_path: str | None) -> None:
        """Probe the trust boundary (who could switch Airlock off, per agent tool whether
        its hook could be removed or bypassed), then the safety net (the store's
        independence; the newest snapshot of each kind restored into a scratch place with
        its checksums compared). Each line is ok, warn (e.g. a store that is not independent
        while require_independent = "never") or FAIL; exit 1 on any FAIL; each warning and
        failure says what fixes it."""
        import os

        from airlock import boundary
        from airlock.system import PinError, drop_to_service, load_pin

        results = [("trust boundary", "ok" if ok else "fail", text)
                   for ok, text in boundary.checks()]
        try:
            pin = load_pin()
        except PinError:
            pin = None
        if pin is not None and os.geteuid() == 0:
            drop_to_service(pin)  # the safety net's probes must leave the service's files
        if pin is not None and os.geteuid() != pin.uid:
            results.append(("safety net", "fail",
                            "safety net: run `sudo airlock doctor` to probe it"))
        else:
            results += [("safety net", level, text)
                        for level, text in _protector(config_path).checkup()]
        if as_json:
            click.echo(json.dumps([{"ok": level != "fail", "level": level, "part": part,
                                    "check": text} for part, level, text in results],
                                  indent=1))
        else:
            shown = {"ok": "ok  ", "warn": "warn"}
            for _part, level, text in results:
                click.echo(f"{shown.get(level, 'FAIL')}  {text}")
        sys.exit(0 if all(level != "fail" for _p, level, _t in results) else 1)

    @cli.command()
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
        p = _protector(config_path)
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
        from airlock.commands_serve import _context, _login

        ctx = _context(config_path, database)
        human = _login(ctx, user)
        try:
            view = P.submit(ctx.service, human.username, due)
        except ProtectError as exc:
            _fail(exc)
            return
        click.echo(f"purge request {view['id']} held: {view['required_approvers']} other "
                   f"human(s) must approve it by typing {view['confirm_name']!r} "
                   f"(`airlock approve {view['id']}` or {view['url']}); then run "
                   f"`airlock purge --execute {view['id']}`")


def _purge_execute(rid: str, user: str | None, database: str | None,
                   config_path: str | None) -> None:
    from airlock.commands_serve import _context, _login
    from airlock.hold.service import Refused
    from airlock.protect import ProtectError
    from airlock.protect import purge as P

    ctx = _context(config_path, database)
    human = _login(ctx, user)
    try:
        purged, kept, failed = P.execute(ctx.service, human.username, rid)
    except Refused as exc:
        _fail(Exception(exc.message), 4)
        return
    except ProtectError as exc:
        _fail(exc, 4)
        return
    for line in [*purged, *kept]:
        click.echo(line)
    for line in failed:
        click.echo(f"airlock: purge failed: {line}", err=True)
    click.echo(f"request {rid}: {len(purged)} purged, {len(kept)} kept, {len(failed)} failed")
    sys.exit(1 if failed else 0)
