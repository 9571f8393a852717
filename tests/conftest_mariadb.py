"""A throwaway MariaDB server for the tests (session scoped).

``mariadb-install-db`` + ``mariadbd`` (Debian's ``mariadb-server``, which ``./dev test``
installs as root) in a temp dir, on a free port on 127.0.0.1, ``root`` without a
password. Nothing of the machine's own MariaDB is used or touched. Skipped (with the
reason) only when no MariaDB server binaries exist — and under CI a skip is a failure
(tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest_pg import free_port


@dataclass(frozen=True)
class MariaDB:
    host: str
    port: int

    def cli(self, *extra: str) -> list[str]:
        """The ``mysql`` client argv for this server, as root."""
        return ["mysql", "--protocol=TCP", "-h", self.host, "-P", str(self.port), "-u",
                "root", *extra]

    @property
    def url_prefix(self) -> str:
        return f"mysql://root@{self.host}:{self.port}"


def _binaries() -> tuple[str, str] | None:
    server = shutil.which("mariadbd", path="/usr/sbin:/usr/bin:/usr/local/sbin") or \
        shutil.which("mysqld", path="/usr/sbin:/usr/bin:/usr/local/sbin")
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if server is None or install is None or shutil.which("mysql") is None:
        return None
    return server, install


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDB]:
    found = _binaries()
    if found is None:
        pytest.skip("no MariaDB server binaries (mariadbd, mariadb-install-db, mysql): "
                    "`./dev test` as root installs Debian's mariadb-server")
    server, install = found
    tmp = tempfile.mkdtemp(prefix="airlock-mariadb-")
    data, sock = os.path.join(tmp, "data"), os.path.join(tmp, "mysqld.sock")
    port = free_port()
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run([install, "--no-defaults", f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db", *user], check=True, capture_output=True, timeout=300)
    log = open(os.path.join(tmp, "log"), "ab")  # noqa: SIM115 - closed at the end
    proc = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={data}", f"--socket={sock}",
         f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={tmp}/pid",
         "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve", *user],
        stdout=log, stderr=log)
    db = MariaDB("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 120
        while True:
            r = subprocess.run(db.cli("-e", "SELECT 1"), capture_output=True, timeout=30,
                               check=False)
            if r.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(os.path.join(tmp, "log"), encoding="utf-8", errors="replace") as fh:
                    raise RuntimeError("the throwaway MariaDB did not start: " + fh.read()[-2000:])
            time.sleep(0.2)
        yield db
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
