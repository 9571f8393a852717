"""``airlock policy show``: the Cedar policies in force."""

from __future__ import annotations

import click

from airlock.cli.common import group, load_config, or_exit


@group()
def policy() -> None:
    """Inspect the Cedar policies in force."""


@policy.command("show")
@click.option("--config", "config_path", help="airlock.toml to use")
def policy_show(config_path: str | None) -> None:
    """Print every policy in force, in evaluation order, with its source file."""
    from airlock.policy.engine import PolicyEngine, default_policy_files

    config = load_config(config_path)
    engine = or_exit(lambda: PolicyEngine(config))
    if config.default_policies:
        for name, text in default_policy_files():
            click.echo(f"// ---- {name}\n{text}")
    for path in config.policy_files:
        with open(path, encoding="utf-8") as fh:
            click.echo(f"// ---- {path}\n{fh.read()}")
    click.echo(f"// {len(engine.infos)} policies", err=True)


COMMANDS = (policy,)
