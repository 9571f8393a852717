"""``airlock ca export``: the forward proxy's CA certificate, and how to trust it."""

from __future__ import annotations

import click

from airlock.cli.common import config_option, fail, group, load_config

SETUP = """\
# Airlock's CA ({path})
# Trust it for the agent's tools (or let `airlock exec --proxied -- CMD` do all of this):
#   a bundle of the system CAs + this one: airlock ca export --bundle ~/.airlock-ca-bundle.pem
#   curl:    export CURL_CA_BUNDLE=~/.airlock-ca-bundle.pem   (or curl --cacert …)
#   Python:  export REQUESTS_CA_BUNDLE=~/.airlock-ca-bundle.pem
#            export SSL_CERT_FILE=~/.airlock-ca-bundle.pem
#   Node:    export NODE_EXTRA_CA_CERTS={path}
#   Go:      export SSL_CERT_FILE=~/.airlock-ca-bundle.pem
#   proxy:   export HTTPS_PROXY=http://127.0.0.1:8751 HTTP_PROXY=http://127.0.0.1:8751
"""


@group("ca")
def ca_group() -> None:
    """The forward proxy's certificate authority (docs/forward-proxy.md)."""


@ca_group.command("export")
@click.option("--bundle", "bundle", default=None, metavar="FILE",
              help="also write the system's CAs + Airlock's CA to FILE (one trust file for "
                   "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)")
@click.option("--pem-only", is_flag=True, help="print the certificate and nothing else")
@config_option
def ca_export(bundle: str | None, pem_only: bool, config_path: str | None) -> None:
    """Print the CA certificate (PEM; made on first use, private key kept in the data dir,
    0600) with the one-line setups for curl, Python, Node and Go."""
    from airlock.broker.ca import CAError, load_or_create, write_bundle

    try:
        ca = load_or_create(load_config(config_path).data_dir)
    except (CAError, OSError) as exc:
        fail(exc, 1)
    if bundle:
        write_bundle(ca.cert_pem, bundle)
        click.echo(f"airlock: wrote {bundle}", err=True)
    if not pem_only:
        click.echo(SETUP.format(path=ca.cert_path), nl=False)
    click.echo(ca.cert_pem.decode(), nl=False)


COMMANDS = (ca_group,)
