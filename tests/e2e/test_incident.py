"""The incident, end to end: ``airlock demo incident`` as a user runs it, and the same
scenario in-process with every step asserted (and the credential grepped for)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from airlock.demo import incident


def test_scenario_steps(tmp_path: Path) -> None:
    lines: list[str] = []
    res = incident.scenario(tmp_path, lines.append)
    assert incident.expected(res) == []
    assert res["found_token"] == 401 and res["scope"] == 403 and res["held"] == 428
    assert res["executed"] == 200 and res["snapshot"] and res["restored"]
    kinds = res["ledger_kinds"]
    assert kinds.index("protected") < kinds.index("execution-claimed")
    assert "proxy-refused" in kinds and "forwarded" in kinds
    out = "\n".join(lines)
    for secret in (incident.REAL,):
        assert secret not in out
        for p in tmp_path.rglob("*"):
            if p.is_file() and "paas" not in p.relative_to(tmp_path).parts:
                assert secret.encode() not in p.read_bytes(), p
    # the found token appears only in the agent's repo file, never in Airlock's data
    for p in tmp_path.rglob("*"):
        if p.is_file() and {"paas", "shop-repo"}.isdisjoint(p.relative_to(tmp_path).parts):
            assert incident.FOUND.encode() not in p.read_bytes(), p


def _listening(pid: int) -> list[str]:
    try:
        out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        return []
    return [line for line in out.stdout.splitlines() if f"pid={pid}," in line]


def test_demo_command(tmp_path: Path) -> None:
    env = dict(os.environ, AIRLOCK_HOME=str(tmp_path))
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "airlock", "demo", "incident"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert time.monotonic() - started < 60
    assert "REFUSED" in out and "HELD" in out and "byte for byte: True" in out
    assert incident.REAL not in out
    assert not _listening(proc.pid)
    with socket.socket() as s:  # the process is gone, so nothing of it can listen
        s.bind(("127.0.0.1", 0))
