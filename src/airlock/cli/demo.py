"""``airlock demo incident``: the incident Airlock exists for, replayed (:mod:`airlock.demo`)."""

from __future__ import annotations

import sys

import click

from airlock.cli.common import group


@group("demo")
def demo_group() -> None:
    """Replays of the incidents Airlock exists for."""


@demo_group.command("incident")
@click.option("--keep", default=None, metavar="DIR",
              help="keep the demo's data dir here (default: a temp dir, removed after)")
def demo_incident(keep: str | None) -> None:
    """The production-volume deletion, replayed against a local stand-in PaaS."""
    from airlock.demo.incident import run

    sys.exit(run(keep_dir=keep))


COMMANDS = (demo_group,)
