"""``airlock install --system`` and ``airlock uninstall --system`` (root): Airlock as its own
principal on this machine. The work is in :mod:`airlock.install`."""

from __future__ import annotations

import sys

import click


def _print(report: object) -> None:
    from airlock.install import Report

    assert isinstance(report, Report)
    for line in report.done:
        click.echo(f"  {line}")
    if report.next_steps:
        click.echo("next:")
        for line in report.next_steps:
            click.echo(f"  - {line}")


@click.command("install")
@click.option("--system", "system", is_flag=True, required=True,
              help="install Airlock as a system service with its own user (root only)")
@click.option("--user", "user", default=None, help="the service user (default: airlock)")
@click.option("--port", type=int, default=None,
              help="the service's port on 127.0.0.1 (default 875: below 1024, so no "
                   "unprivileged process can take it)")
@click.option("--uid", type=int, default=None,
              help="create the service user (and group) with this id (containers, fleets)")
@click.option("--config", "config_from", default=None, type=click.Path(dir_okay=False),
              help="start the service's config from this airlock.toml (when it has none)")
@click.option("--no-start", is_flag=True, help="write everything but do not start it")
@click.option("--allow-unsafe-code", is_flag=True, hidden=True,
              help="install even if non-root users can change Airlock's code (tests only)")
def install_cmd(system: bool, user: str | None, port: int | None, uid: int | None,
                config_from: str | None, no_start: bool, allow_unsafe_code: bool) -> None:
    """Run Airlock as its own OS user, so the agent cannot switch it off (root only).

    \b
    sudo airlock install --system     the user, /etc/airlock, /var/lib/airlock,
                                      /run/airlock, the pin, the systemd unit
    Idempotent: run it again to repair owners and modes. See docs/deployment.md.
    """
    from airlock.install import InstallError, Layout, install

    layout = Layout(uid=uid)
    if user:
        layout.user = user
    if port:
        if port >= 1024:
            raise click.UsageError("--port must be below 1024: an unprivileged process "
                                   "could otherwise listen there while Airlock is down")
        layout.port = port
    try:
        report = install(layout, config_from=config_from, start=not no_start,
                         allow_unsafe_code=allow_unsafe_code)
    except InstallError as exc:
        click.echo(f"airlock install: {exc}", err=True)
        sys.exit(2)
    click.echo("Airlock system install:")
    _print(report)


@click.command("uninstall")
@click.option("--system", "system", is_flag=True, required=True,
              help="remove the system service (root only)")
@click.option("--purge", is_flag=True,
              help="also remove the data dir, the config and the service user")
def uninstall_cmd(system: bool, purge: bool) -> None:
    """Remove the system service; Airlock is back in single-user mode (root only)."""
    from airlock.install import InstallError, Layout, uninstall

    try:
        report = uninstall(Layout(), purge=purge)
    except InstallError as exc:
        click.echo(f"airlock uninstall: {exc}", err=True)
        sys.exit(2)
    click.echo("Airlock system uninstall:")
    _print(report)


COMMANDS = (install_cmd, uninstall_cmd)
