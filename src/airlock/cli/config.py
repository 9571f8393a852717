"""``airlock config check``: is this airlock.toml (with its policy files and packs) valid?"""

from __future__ import annotations

import click

from airlock.cli.common import group, load_config, or_exit


@group()
def config() -> None:
    """Work with airlock.toml."""


@config.command("check")
@click.option("--config", "config_path", help="airlock.toml to use")
def config_check(config_path: str | None) -> None:
    """Validate the config, its policy files and its packs; exit 2 on any error."""
    from airlock.pipeline import Checker

    cfg = load_config(config_path)
    or_exit(lambda: Checker(cfg))
    where = cfg.path or "(no config file: defaults)"
    click.echo(f"ok: {where}: {len(cfg.environments)} environments, {len(cfg.resources)} "
               f"resources, {len(cfg.policy_files)} policy files, {len(cfg.packs)} packs")


COMMANDS = (config,)
