"""``airlock undo``: a human takes back what an action changed — an approved request's
snapshot or quarantine (docs/safety-net.md), or an undo point taken before an allowed
action (docs/undo-points.md). Agents may not run it (the classifier holds it as a
change to the guard)."""

from __future__ import annotations

import json
import os
import time

import click

from airlock.cli.common import fail, load_config
from airlock.protect import ProtectError, RestoreRefused


@click.command()
@click.argument("target", required=False, metavar="REQUEST_ID|UNDO_POINT")
@click.option("--last", is_flag=True, help="the newest undo point of this workspace")
@click.option("--list", "list_", is_flag=True, help="the undo points of this workspace")
@click.option("--all", "all_", is_flag=True, help="with --list: of every workspace")
@click.option("--json", "as_json", is_flag=True, help="with --list: as JSON")
@click.option("--prune", is_flag=True,
              help="remove undo points past their age or over the total size")
@click.option("--to", "to", help="a request: restore here instead of the original name")
@click.option("--force", is_flag=True, help="overwrite changes made after the snapshot "
              "or undo point")
@click.option("--database", "database", default=None, metavar="URL",
              help="the ledger's database (as for `airlock serve`)")
@click.option("--config", "config_path", help="airlock.toml to use")
def undo(target: str | None, last: bool, list_: bool, all_: bool, as_json: bool,
         prune: bool, to: str | None, force: bool, database: str | None,
         config_path: str | None) -> None:
    """Bring back what an action changed.

    \b
    airlock undo REQUEST_ID      an approved request: from quarantine, else its snapshot
    airlock undo u-…             an undo point (taken before an allowed action)
    airlock undo --last          the newest undo point of this workspace
    airlock undo --list [--all]  undo points: when, which action, what, size
    airlock undo --prune         remove expired undo points

    Refuses to overwrite changes made afterwards (exit 4) unless --force. Every step is
    recorded in the ledger. Undoing again changes nothing and exits 0."""
    cfg = load_config(config_path)
    modes = sum(bool(x) for x in (target, last, list_, prune))
    if modes != 1:
        fail("name one of REQUEST_ID, an undo point (u-…), --last, --list or --prune", 2)
    if list_:
        return _list(cfg.data_dir, all_, as_json)
    if prune:
        return _prune(cfg.data_dir)
    if last or (target or "").startswith("u-"):
        return _undo_point(cfg.data_dir, target, force)
    assert target is not None
    _undo_request(target, to, force, database, config_path)


def _list(data_dir: str, all_: bool, as_json: bool) -> None:
    from airlock.protect import undo_points as up

    points = up.list_points(data_dir, None if all_ else os.getcwd())
    if as_json:
        click.echo(json.dumps([{
            "id": p.id, "created_at": p.created_at, "workspace": p.root, "action": p.action,
            "covers": p.covers, "size_bytes": p.size_bytes, "skipped": p.skipped,
            "restores": p.restores, "restored": p.restored} for p in points], indent=1))
        return
    if not points:
        click.echo("no undo points" + ("" if all_ else " for this workspace (--all: every "
                                       "workspace)"))
        return
    for p in points:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p.created_at))
        what = p.action if p.restores is None else f"(taken before restoring {p.restores})"
        done = "  [restored]" if p.restored else ""
        click.echo(f"{p.id}  {when}  {p.size_bytes / 1e6:8.2f} MB  {what}{done}")
        click.echo(f"    {p.root}: {'; '.join(p.covers)}"
                   + "".join(f"; skipped {s['path']} ({s['reason']})" for s in p.skipped))


def _prune(data_dir: str) -> None:
    from airlock.protect import undo_points as up

    removed = up.prune(data_dir)
    click.echo(f"removed {len(removed)} undo point{'s' if len(removed) != 1 else ''}"
               + (f": {', '.join(removed)}" if removed else ""))


def _undo_point(data_dir: str, point_id: str | None, force: bool) -> None:
    from airlock.protect import undo_gate
    from airlock.protect import undo_points as up

    try:
        if point_id is None:
            point = up.last(data_dir, os.getcwd())
            if point is None:
                fail(f"no undo point for {os.getcwd()} (`airlock undo --list --all`)", 1)
        else:
            point = up.get(data_dir, point_id)
        lines = up.restore(point, force=force)
    except up.UndoConflict as exc:
        fail(f"{exc}\n  " + "\n  ".join(exc.paths[:20])
             + ("\n  …" if len(exc.paths) > 20 else "")
             + "\n(--force overwrites them; the restore takes an undo point first)", 4)
    except up.UndoPointError as exc:
        fail(exc, 1)
    for line in lines:
        click.echo(line)
    why = undo_gate.record(data_dir, "undo-point-restored", point.id,
                           {"workspace": point.root, "force": force, "result": lines[:20]})
    if why:
        click.echo(f"airlock: not in the ledger: {why} (the undo point's record keeps it)",
                   err=True)


def _undo_request(request_id: str, to: str | None, force: bool, database: str | None,
                  config_path: str | None) -> None:
    from airlock.cli.protect import protector
    from airlock.protect.record import Recorder

    cfg = load_config(config_path)
    p = protector(config_path)
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
        fail(exc, 4)
    except ProtectError as exc:
        fail(exc)
    finally:
        if recorder is not None:
            recorder.close()
        if steps and recorder is None:
            click.echo(f"airlock: not in the ledger: {why} (the protect journal keeps "
                       "it)", err=True)
        for problem in unrecorded:
            click.echo(f"airlock: not in the ledger: {problem}", err=True)


COMMANDS = (undo,)
