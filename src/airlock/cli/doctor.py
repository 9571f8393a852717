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
    Root reads the homes and /proc; the passwords are read by a child that has dropped to
    the service user (root must never open the service's store: SQLite would leave it
    files the service cannot write)."""
    import os

    from airlock.broker import pg_exposure
    from airlock.cli.common import load_config

    cfg = load_config(pin.config if pin is not None else config_path)
    if not cfg.databases:
        return []
    if pin is not None:  # loaded as root: its default data dir would be root's
        cfg.data_dir = pin.data_dir
    names = sorted({d.secret for d in cfg.databases if d.secret})
    try:
        found = _secrets_as_service(cfg.data_dir, names, pin) if names else {}
    except OSError as exc:
        return [("fail", f"databases: the secrets could not be read ({exc})")]

    def reveal(name: str) -> str:
        if name not in found:
            raise KeyError(f"no secret named {name!r} (airlock secret add {name})")
        return found[name]

    return pg_exposure.checks(cfg, reveal, os.getcwd(), pin.uid if pin is not None else None)


def _secrets_as_service(data_dir: str, names: list[str], pin: Any) -> dict[str, str]:
    """The named secrets, read as the service user (a forked child in a system install run
    by root; this process otherwise). Missing ones are left out."""
    import os

    def read() -> dict[str, str]:
        import contextlib

        from airlock.broker.secrets import SecretBox, SecretError
        from airlock.ledger import Ledger
        from airlock.store.db import database_url, open_store

        store = open_store(database_url(None, data_dir))
        try:
            box = SecretBox(store, Ledger(store, None), data_dir)
            out = {}
            for name in names:
                with contextlib.suppress(SecretError):
                    out[name] = box.reveal(name)
            return out
        finally:
            store.close()

    if pin is None or os.geteuid() != 0:
        return read()
    rfd, wfd = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        answer: dict[str, Any]
        try:
            os.close(rfd)
            from airlock.system import drop_to_service

            drop_to_service(pin)
            answer = {"secrets": read()}
        except BaseException as exc:  # noqa: BLE001 - said to the parent
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            with os.fdopen(wfd, "w") as fh:
                json.dump(answer, fh)
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as fh:
        text = fh.read()
    os.waitpid(child, 0)
    try:
        got = json.loads(text)
    except ValueError:
        raise OSError("the service user's child gave no answer") from None
    if "error" in got:
        raise OSError(got["error"])
    result: dict[str, str] = got["secrets"]
    return result


COMMANDS = (doctor,)
