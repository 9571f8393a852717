"""The gateway reaches an upstream that accepts only TLS (``hostssl``, verified against
the server's CA with ``sslmode=verify-full``), on a throwaway cluster of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from airlock.broker import tokens as T
from airlock.broker.ca import issue_leaf, new_ca
from airlock.broker.secrets import SecretBox
from tests.conftest_pg import cluster, free_port
from tests.server.harness import Airlock

PASSWORD = "tls-only-" + os.urandom(6).hex()


@pytest.fixture
def tls_cluster(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    ca, ca_key = new_ca("test upstream CA")
    cafile = tmp_path / "upstream-ca.pem"
    cafile.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def tls_only(data: Path) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = issue_leaf(ca, ca_key, "127.0.0.1", key)
        (data / "server.crt").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        (data / "server.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        os.chmod(data / "server.key", 0o600)
        hba = data / "pg_hba.conf"
        hba.write_text("hostssl all app 127.0.0.1/32 scram-sha-256\n"
                       "hostnossl all app 127.0.0.1/32 reject\n" + hba.read_text())

    with cluster("-c ssl=on", tls_only) as (port, _data):
        with psycopg.connect(f"postgresql://airlock@127.0.0.1:{port}/postgres",
                             autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
            conn.execute("CREATE DATABASE tlsdb OWNER app")
        yield port, cafile


def test_the_gateway_speaks_verified_tls_to_a_tls_only_upstream(
        tls_cluster: tuple[int, Path], tmp_path: Path) -> None:
    port, cafile = tls_cluster
    airlock = Airlock(tmp_path / "home", f"""
[environments.staging]

[[databases]]
name = "tlsdb"
upstream = "postgresql://app@127.0.0.1:{port}/tlsdb?sslmode=verify-full&sslrootcert={cafile}"
env = "staging"
secret = "tlsdb-password"
""")
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(airlock.home)).add("tlsdb-password",
                                                                            PASSWORD)
    token = T.issue(airlock.ctx.store, airlock.ctx.ledger, "bot", "staging", ["tlsdb:*.*"],
                    600)[1]
    gport = free_port()
    airlock.start(serve_args=("--pg-listen", f"127.0.0.1:{gport}"))
    try:
        url = f"postgresql://bot:{token}@127.0.0.1:{gport}/tlsdb"
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT ssl, version FROM pg_stat_ssl "
                               "WHERE pid = pg_backend_pid()").fetchone()
            assert row is not None and row[0] is True and row[1].startswith("TLS")
        # a CA that did not sign the server's certificate: refused, never unverified
        other, _key = new_ca("someone else")
        cafile.write_bytes(other.public_bytes(serialization.Encoding.PEM))
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=10).close()
    finally:
        airlock.stop_all()
