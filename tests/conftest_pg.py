"""A throwaway PostgreSQL cluster for the tests (session scoped).

``initdb`` + ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` on a free port in a temp
dir; as root they run as the ``postgres`` user. Skipped (with the reason) only when no
PostgreSQL binaries exist.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _bindir() -> str | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return cand
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def cluster(options: str = "", prepare: Callable[[Path], None] | None = None
            ) -> Iterator[tuple[int, Path]]:
    """A throwaway cluster (trust auth for ``airlock``) on a free port: (port, data dir).
    ``prepare(data)`` runs after initdb, before the start (its files are handed to the
    ``postgres`` user); ``options`` are more server ``-c`` settings. Skips the test when
    no PostgreSQL binaries exist."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb/pg_ctl) on this machine")
    tmp = tempfile.mkdtemp(prefix="airlock-pg-")  # not under a 0700 parent: postgres reads it
    data = Path(tmp) / "data"
    port = free_port()
    prefix: list[str] = []
    pw = None
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(os.path.join(bindir, "initdb"), "-D", str(data), "-U", "airlock", "--auth=trust",
        "-E", "UTF8", "--no-sync")
    if prepare is not None:
        prepare(data)
        if pw is not None:
            for f in data.iterdir():
                os.chown(f, pw.pw_uid, pw.pw_gid)
    run(os.path.join(bindir, "pg_ctl"), "-D", str(data), "-l", os.path.join(tmp, "log"), "-w",
        "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
        f"-c max_connections=200 {options}", "start")
    try:
        yield port, data
    finally:
        subprocess.run([*prefix, os.path.join(bindir, "pg_ctl"), "-D", str(data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with cluster() as (port, _data):
        yield f"postgresql://airlock@127.0.0.1:{port}/postgres"
