"""``airlock doctor``: the trust boundary (:mod:`airlock.boundary`), then the safety net
(the protect engine's checkup)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from airlock.cli.protect import protector


@click.command()
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
    results += [("databases", level, text) for level, text in _databases(config_path, pin)]
    if pin is not None and os.geteuid() == 0:
        drop_to_service(pin)  # the safety net's probes must leave the service's files
    if pin is not None and os.geteuid() != pin.uid:
        results.append(("safety net", "fail",
                        "safety net: run `sudo airlock doctor` to probe it"))
    else:
        results += [("safety net", level, text)
                    for level, text in protector(config_path).checkup()]
    if as_json:
        click.echo(json.dumps([{"ok": level != "fail", "level": level, "part": part,
                                "check": text} for part, level, text in results],
                              indent=1))
    else:
        shown = {"ok": "ok  ", "warn": "warn"}
        for _part, level, text in results:
            click.echo(f"{shown.get(level, 'FAIL')}  {text}")
    sys.exit(0 if all(level != "fail" for _p, level, _t in results) else 1)


def _databases(config_path: str | None, pin: Any) -> list[tuple[str, str]]:
    """The gateway's databases: is a real credential also where the agent can read it?
    (Before dropping to the service user: root reads the homes and /proc.)"""
    import os

    from airlock.broker import pg_exposure
    from airlock.broker.secrets import SecretBox
    from airlock.cli.common import load_config
    from airlock.ledger import Ledger
    from airlock.store.db import database_url, open_store

    cfg = load_config(pin.config if pin is not None else config_path)
    if not cfg.databases:
        return []
    store = open_store(database_url(None, cfg.data_dir))
    try:
        box = SecretBox(store, Ledger(store, None), cfg.data_dir)
        return pg_exposure.checks(cfg, box.reveal, os.getcwd(),
                                  pin.uid if pin is not None else None)
    finally:
        store.close()


COMMANDS = (doctor,)
