"""``airlock daemon``: the resident decision daemon of single-user mode (the fast path for
hooks and ``airlock check``; :mod:`airlock.daemon`)."""

from __future__ import annotations

import os

import click


@click.command()
@click.option("--idle-timeout", type=float, default=900.0, show_default=True,
              help="exit after this many seconds without a request")
@click.option("--stop", "stop_it", is_flag=True, help="stop the running daemon")
@click.option("--status", is_flag=True, help="say whether a daemon is running")
def daemon(idle_timeout: float, stop_it: bool, status: bool) -> None:
    """Run the resident decision daemon (fast path for hooks and `airlock check`)."""
    from airlock import daemon as d
    from airlock.client import socket_path

    if stop_it:
        click.echo("stopped" if d.stop() else "no daemon was running")
        return
    if status:
        running = os.path.exists(socket_path())
        click.echo(f"running on {socket_path()}" if running else "not running")
        raise SystemExit(0 if running else 1)
    click.echo(f"airlock daemon listening on {socket_path()}", err=True)
    d.Daemon(idle_timeout=idle_timeout).serve()


COMMANDS = (daemon,)
