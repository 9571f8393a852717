"""``airlock scan [PATH]``: where credentials lie, by file:line and kind, never the
secret. The search is :mod:`airlock.scan`."""

from __future__ import annotations

import json
import os

import click


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option("--write-denylist", is_flag=True,
              help="add the files found to $AIRLOCK_HOME/secret-files.txt (agents are "
                   "refused reading them)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per finding")
def scan(path: str, write_denylist: bool, as_json: bool) -> None:
    """Find live credentials lying in files under PATH (default: here).

    Reports file:line and the kind of credential — never the secret itself. Uses
    detect-secrets plus Airlock's own patterns (PaaS and cloud tokens, secret-named
    assignments, env files). Exit status: 0 nothing found, 1 credentials found.
    """
    from airlock.scan import scan_tree

    findings, with_ds = scan_tree(path)
    root = os.path.abspath(path) if os.path.isdir(path) else os.path.dirname(
        os.path.abspath(path))
    for f in findings:
        rel = os.path.relpath(f.path, root)
        if as_json:
            click.echo(json.dumps({"path": rel, "line": f.line, "kind": f.kind}))
        else:
            click.echo(f"{rel}:{f.line}: {f.kind}")
    files = sorted({f.path for f in findings})
    if not as_json:
        click.echo(f"{len(findings)} finding(s) in {len(files)} file(s)", err=True)
    if not with_ds:
        click.echo("note: detect-secrets is not installed; only Airlock's own patterns "
                   "were used (pip install detect-secrets)", err=True)
    if write_denylist and files:
        from airlock.classify.denylist import write_denylist as write

        target, new = write(files)
        click.echo(f"denylist {target}: {len(new)} file(s) added", err=True)
    raise SystemExit(1 if findings else 0)


COMMANDS = (scan,)
