from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from airlock.broker.ca import issue_leaf
from airlock.broker.secrets import SecretBox
from airlock.demo.paas_api import PaasState, ThreadServer, create_app, free_port, seed
from airlock.ledger import Ledger, load_or_create_key
from airlock.store.db import open_store
from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture
from tests.server.harness import Airlock


def write_leaf(root: Path, name: str, ca: Any, ca_key: Any) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by ``ca`` and its key, as ``root/name.pem`` and
    ``root/name.key`` (a stand-in server's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue_leaf(ca, ca_key, "127.0.0.1", key)
    cert_path, key_path = root / f"{name}.pem", root / f"{name}.key"
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Env:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = open_store(f"sqlite:///{home}/airlock.db")
        self.ledger = Ledger(self.store, load_or_create_key(str(home)))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.store.close()


@contextmanager
def behind_airlock(tmp_path: Path, config: str, secret: str, credential: str,
                   tokens: list[str] | None = None, **fmt: object
                   ) -> Iterator[tuple[Airlock, PaasState, ThreadServer]]:
    """The stand-in PaaS API (in a thread, accepting ``tokens``, default the credential)
    and a real ``airlock serve`` in front of it holding ``credential`` as ``secret``;
    ``config`` is formatted with the stand-in's ``port`` and ``fmt``. On the way out,
    checks that the credential was written nowhere outside the stand-in's own files."""
    port = free_port()
    state = seed(str(tmp_path / "paas"), tokens or [credential])
    paas = ThreadServer(create_app(state), port).start()
    airlock = Airlock(tmp_path / "home", config.format(port=port, **fmt))
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(airlock.home)).add(secret, credential)
    airlock.start()
    try:
        yield airlock, state, paas
    finally:
        airlock.stop_all()
        paas.stop()
        for p in tmp_path.rglob("*"):
            if p.is_file() and "paas" not in p.relative_to(tmp_path).parts:
                assert credential.encode() not in p.read_bytes(), f"credential leaked into {p}"
