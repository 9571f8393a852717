"""``airlock serve``: the agent API and the approval web UI (and, in a system install, the
decision socket the agents' hooks ask)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from airlock.cli.common import config_option, database_option, instance

if TYPE_CHECKING:
    from airlock.server.app import WireListener


@click.command()
@click.option("--host", default=None, help="default 127.0.0.1 (a system install: the pin's)")
@click.option("--port", default=None, type=int,
              help="default 8750 (a system install: the pin's privileged port, 875)")
@database_option
@config_option
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option("--pg-listen", default=None, metavar="HOST:PORT",
              help="also run the database gateway there (agents connect with an Airlock "
                   "token to the [[databases]] of airlock.toml; docs/databases.md); "
                   "default: [serve] pg_listen")
@click.option("--forward-proxy", "forward_proxy", default=None, metavar="HOST:PORT",
              help="also run the HTTPS forward proxy there (agents set HTTPS_PROXY to it; "
                   "docs/forward-proxy.md); default: [serve] forward_proxy")
def serve(host: str | None, port: int | None, database: str | None, config_path: str | None,
          access_log: bool, pg_listen: str | None, forward_proxy: str | None) -> None:
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
    ctx = instance(config_path, database, base, with_checker=True)
    listeners = _listeners(pg_listen or ctx.settings.pg_listen,
                           forward_proxy or ctx.settings.forward_proxy)
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
    config = uvicorn.Config(create_app(ctx, on_stop=stop_decisions,
                                       listeners=tuple(listeners)), host=started.host,
                            port=started.port, access_log=access_log, log_level="warning",
                            timeout_graceful_shutdown=5, proxy_headers=False)
    uvicorn.Server(config).run(
        sockets=[started.listener] if started.listener is not None else None)


def _listeners(pg_listen: str, forward_proxy: str) -> list[WireListener]:
    """The wire enforcement points asked for (by option, else by ``[serve]``); exit 2 on
    an address that makes no sense."""
    out: list[WireListener] = []
    try:
        if pg_listen:
            from airlock.broker.pg_gateway import PgGateway

            out.append(PgGateway(*_address(pg_listen, "--pg-listen", "127.0.0.1:6543")))
        if forward_proxy:
            from airlock.broker.forward_proxy import ForwardProxy

            out.append(ForwardProxy(*_address(forward_proxy, "--forward-proxy",
                                              "127.0.0.1:8751")))
    except ValueError as exc:
        click.echo(f"airlock serve: {exc}", err=True)
        sys.exit(2)
    return out


def _address(text: str, option: str, example: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) of a listener → (host, port); ValueError names
    the mistake."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{option} {text!r}: expected HOST:PORT, e.g. {example}")
    return host.strip("[]"), int(port)


COMMANDS = (serve,)
