"""``airlock mcp serve`` and ``airlock mcp proxy`` (see ``docs/integrations/mcp.md``)."""

from __future__ import annotations

import sys

import click

from airlock.cli.common import group


@group()
def mcp() -> None:
    """Airlock for MCP clients: guarded tools, or a policy proxy in front of any server.

    \b
    airlock mcp serve                       run_sql, run_command, http_request, ... (stdio)
    airlock mcp serve --http --port 8760    the same over streamable HTTP (127.0.0.1)
    airlock mcp proxy -- CMD ARGS...        guard another MCP server started by CMD
    airlock mcp proxy --url URL             guard a streamable-HTTP MCP server
    """


def _config_error(exc: Exception) -> None:
    click.echo(f"airlock mcp: {exc}", err=True)
    sys.exit(2)


@mcp.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--config", "config_path", help="airlock.toml to use")
@click.option("--url", help="the upstream MCP server's streamable-HTTP URL")
@click.option("--name", help="the upstream server's name in actions and [[mcp.tools]] "
              "(default: the name it reports)")
@click.option("--timeout", type=float, default=None,
              help="seconds to wait for the upstream's answer to one call")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def proxy(config_path: str | None, url: str | None, name: str | None, timeout: float | None,
          command: tuple[str, ...]) -> None:
    """Guard another MCP server: airlock mcp proxy [--url URL] -- COMMAND [ARGS]..."""
    from airlock.config import ConfigError

    argv = list(command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if bool(argv) == bool(url):
        click.echo("airlock mcp proxy: give the upstream either as -- COMMAND [ARGS]... or "
                   "as --url URL", err=True)
        sys.exit(2)
    from airlock.intake.mcp.proxy import main

    _notice()
    try:
        code = main(config_path, argv or None, url, name, timeout)
    except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
        _config_error(exc)
        return
    sys.exit(code)


@mcp.command()
@click.option("--config", "config_path", help="airlock.toml to use")
@click.option("--http", "http", is_flag=True, help="serve streamable HTTP instead of stdio")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8760, show_default=True)
def serve(config_path: str | None, http: bool, host: str, port: int) -> None:
    """Serve Airlock-guarded tools: run_sql, run_command, http_request, request_status,
    describe_target."""
    from airlock.config import ConfigError
    from airlock.intake.mcp.server import main

    _notice()
    try:
        code = main(config_path, http=http, host=host, port=port)
    except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
        _config_error(exc)
        return
    sys.exit(code)


def _notice() -> None:
    """Single-user mode says so, once per data dir (stderr: stdio MCP speaks on stdout)."""
    from airlock.settings import default_home
    from airlock.system import single_user_notice

    notice = single_user_notice(default_home(), "mcp")
    if notice:
        click.echo(f"airlock mcp: note: {notice}", err=True)


COMMANDS = (mcp,)
