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
from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb/pg_ctl) on this machine")
    tmp = tempfile.mkdtemp(prefix="airlock-pg-")
    data = os.path.join(tmp, "data")
    port = free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(os.path.join(bindir, "initdb"), "-D", data, "-U", "airlock", "--auth=trust",
        "-E", "UTF8", "--no-sync")
    run(os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(tmp, "log"), "-w",
        "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c max_connections=200", "start")
    try:
        yield f"postgresql://airlock@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
