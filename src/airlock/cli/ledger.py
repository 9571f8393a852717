"""``airlock ledger verify|export``: the hash-chained, signed record."""

from __future__ import annotations

import sys
import time

import click

from airlock.cli.common import config_option, database_option, group, instance


@group("ledger")
def ledger_group() -> None:
    """The hash-chained, signed record."""


@ledger_group.command("verify")
@click.option("--trust-key", multiple=True, metavar="HEX",
              help="another replica's Ed25519 public key (the local one is trusted)")
@database_option
@config_option
def ledger_verify(trust_key: tuple[str, ...], database: str | None,
                  config_path: str | None) -> None:
    """Check the hash chain, every signed checkpoint, and that every approved, ready or
    executed request is backed by a signed approval in the ledger; exit 1 on any
    problem (each names the entry or request)."""
    from airlock import ledger

    ctx = instance(config_path, database)
    started = time.monotonic()
    result = ledger.verify(ctx.store, [ctx.public_key, *trust_key])
    for err in result.errors[:50]:
        click.echo(f"FAIL {err}")
    click.echo(f"{'ok' if result.ok else 'BROKEN'}: {result.entries} entries, "
               f"{result.checkpoints} signed checkpoints (last at {result.last_signed_seq}; "
               f"{result.unsigned_tail} entries after it), {len(result.errors)} problems, "
               f"{time.monotonic() - started:.2f}s")
    sys.exit(0 if result.ok else 1)


@ledger_group.command("export")
@click.option("-o", "--output", default="-", help="file to write (default stdout)")
@database_option
@config_option
def ledger_export(output: str, database: str | None, config_path: str | None) -> None:
    """Write every ledger entry as JSON lines."""
    from airlock import ledger

    ctx = instance(config_path, database)
    if output == "-":
        n = ledger.export(ctx.store, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            n = ledger.export(ctx.store, fh)
    click.echo(f"{n} entries", err=True)


COMMANDS = (ledger_group,)
