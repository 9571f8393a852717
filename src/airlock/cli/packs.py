"""``airlock packs``: the packs in force and the programs each one knows."""

from __future__ import annotations

import click

from airlock.cli.common import load_config


@click.command()
@click.option("--config", "config_path", help="airlock.toml to use")
def packs(config_path: str | None) -> None:
    """List the packs in force and the programs each one knows."""
    from airlock.classify.classifier import Classifier

    classifier = Classifier(load_config(config_path))
    for pack in sorted(classifier.packs, key=lambda p: p.name):
        rules = len(pack.all_rules())
        user = " (+config rules)" if pack.user_rules else ""
        click.echo(f"{pack.name:<12} {rules:>3} rules{user}  {', '.join(pack.programs)}")


COMMANDS = (packs,)
