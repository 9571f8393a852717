"""What the click commands share: the guarded command group, the ``--database`` and
``--config`` options, the instance a command works on, a human's login, and exiting with
Airlock's message on a config error."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from airlock.config import Config
    from airlock.hold.identity import Human
    from airlock.hold.settings import ServeSettings
    from airlock.instance import Instance

T = TypeVar("T")

database_option = click.option("--database", "database", default=None, metavar="URL",
                               help="postgresql://… (default: SQLite in the data dir, or "
                                    "AIRLOCK_DATABASE_URL)")
config_option = click.option("--config", "config_path", default=None,
                             help="airlock.toml to use")


class DuplicateCommand(Exception):
    """Two commands were registered under one name in one group."""


class Group(click.Group):
    """A click group that refuses a second command of the same name. Plain click lets the
    later one silently replace the earlier (``airlock token issue`` was once defined
    twice, and only one of them ever ran); here building the CLI fails instead."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is not None and name in self.commands:
            where = f"airlock {self.name} {name}" if self.name != "airlock" else \
                f"airlock {name}"
            raise DuplicateCommand(
                f"`{where}` is defined twice: in {_origin(self.commands[name])} and in "
                f"{_origin(cmd)}")
        super().add_command(cmd, name)


def _origin(cmd: click.Command) -> str:
    callback = cmd.callback
    return getattr(callback, "__module__", "?") if callback is not None else "?"


def group(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Group]:
    """``@click.group`` making a :class:`Group` (every group of the CLI is one)."""
    return click.group(name, cls=Group, **kwargs)


def fail(problem: object, code: int = 1) -> NoReturn:
    """``airlock: PROBLEM`` on stderr, then exit ``code``."""
    click.echo(f"airlock: {problem}", err=True)
    sys.exit(code)


def or_exit(make: Callable[[], T]) -> T:
    """``make()``, or exit 2 saying what is wrong with the configuration."""
    from airlock.config import ConfigError

    try:
        return make()
    except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
        fail(exc, 2)


def load_config(config_path: str | None) -> Config:
    """The configuration (``--config``, else discovered), or exit 2."""
    from airlock import config

    return or_exit(lambda: config.load_config(config_path))


def serve_settings(config_path: str | None) -> ServeSettings:
    """The service's settings (``[hold]``, ``[serve]``, ``[notify]``…), or exit 2."""
    from airlock.hold import settings

    return or_exit(lambda: settings.load(config_path, os.getcwd()))


def instance(config_path: str | None, database: str | None, base_url: str = "",
             with_checker: bool = False) -> Instance:
    """The Airlock instance (store, ledger, hold service) a command works on."""
    from airlock.instance import build

    return build(serve_settings(config_path), database, base_url or "http://127.0.0.1:8750",
                 with_checker=with_checker)


def login(ctx: Instance, user: str | None) -> Human:
    """The human running this command, authenticated by password and TOTP code (from
    ``AIRLOCK_PASSWORD`` / ``AIRLOCK_TOTP``, else asked), or exit 5."""
    from airlock.hold.identity import AuthError, authenticate

    user = user or click.prompt("Username")
    password = os.environ.get("AIRLOCK_PASSWORD") or click.prompt("Password", hide_input=True)
    code = os.environ.get("AIRLOCK_TOTP") or click.prompt("Authenticator code")
    hold = ctx.settings.hold
    try:
        return authenticate(ctx.store, ctx.ledger, user, password, code, hold.login_failures,
                            hold.login_window)
    except AuthError as exc:
        fail(exc, 5)
