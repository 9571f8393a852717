"""The click command group for everything but the fast path (see ``cli.py``)."""

from __future__ import annotations

import os
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="airlock")
def cli() -> None:
    """Airlock: a safety control plane between AI agents and the infrastructure they touch.

    \b
    airlock serve              the approval service and web UI (http://127.0.0.1:8750)
    airlock admin create NAME  the first human who approves (password + TOTP)
    airlock token issue …      a scoped, expiring token for an agent
    airlock hook install TOOL  guard Claude Code, Cursor, Gemini CLI or Codex
    airlock check -- CMD       would CMD be allowed, held for a human, or denied?
    airlock exec -- CMD        check, wait for approval if held, then run CMD
    airlock requests / approve / reject / abort     the second key
    airlock undo REQUEST       bring back what an approved action destroyed
    airlock ledger verify      check the hash chain and signed checkpoints
    airlock packs / policy show / config check      what is in force
    """


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def check(ctx: click.Context) -> None:
    """Classify, resolve and decide an action (see `airlock check --help`)."""
    from airlock.check_cmd import main

    raise SystemExit(main(list(ctx.args)))


@cli.command()
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


@cli.command()
@click.option("--config", "config_path", help="airlock.toml to use")
def packs(config_path: str | None) -> None:
    """List the packs in force and the programs each one knows."""
    from airlock.classify.classifier import Classifier
    from airlock.config import load_config

    classifier = Classifier(_load(load_config, config_path))
    for pack in sorted(classifier.packs, key=lambda p: p.name):
        rules = len(pack.all_rules())
        user = " (+config rules)" if pack.user_rules else ""
        click.echo(f"{pack.name:<12} {rules:>3} rules{user}  {', '.join(pack.programs)}")


@cli.group()
def policy() -> None:
    """Inspect the Cedar policies in force."""


@policy.command("show")
@click.option("--config", "config_path", help="airlock.toml to use")
def policy_show(config_path: str | None) -> None:
    """Print every policy in force, in evaluation order, with its source file."""
    from airlock.config import load_config
    from airlock.policy.engine import PolicyEngine, default_policy_files

    config = _load(load_config, config_path)
    engine = _load(lambda *_: PolicyEngine(config), None)
    if config.default_policies:
        for name, text in default_policy_files():
            click.echo(f"// ---- {name}\n{text}")
    for path in config.policy_files:
        with open(path, encoding="utf-8") as fh:
            click.echo(f"// ---- {path}\n{fh.read()}")
    click.echo(f"// {len(engine.infos)} policies", err=True)


@cli.group()
def config() -> None:
    """Work with airlock.toml."""


@config.command("check")
@click.option("--config", "config_path", help="airlock.toml to use")
def config_check(config_path: str | None) -> None:
    """Validate the config, its policy files and its packs; exit 2 on any error."""
    from airlock.config import load_config
    from airlock.pipeline import Checker

    cfg = _load(load_config, config_path)
    _load(lambda *_: Checker(cfg), None)
    where = cfg.path or "(no config file: defaults)"
    click.echo(f"ok: {where}: {len(cfg.environments)} environments, {len(cfg.resources)} "
               f"resources, {len(cfg.policy_files)} policy files, {len(cfg.packs)} packs")


def _load(fn, arg):  # type: ignore[no-untyped-def]
    from airlock.config import ConfigError

    try:
        return fn(arg) if arg is not None else fn(None)
    except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
        click.echo(f"airlock: {exc}", err=True)
        sys.exit(2)


from airlock.commands_serve import register as _register_serve  # noqa: E402

_register_serve(cli)

from airlock.commands_hooks import register as _register_hooks  # noqa: E402

_register_hooks(cli)

from airlock.commands_mcp import register as _register_mcp  # noqa: E402

_register_mcp(cli)

from airlock.commands_protect import register as _register_protect  # noqa: E402

_register_protect(cli)

from airlock.commands_broker import register as _register_broker  # noqa: E402

_register_broker(cli)

from airlock.commands_install import register as _register_install  # noqa: E402

_register_install(cli)
