"""The incident, end to end: ``airlock demo incident`` as a user runs it, and the same
scenario in-process with every step asserted (and the credential grepped for)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
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


def test_demo_command(tmp_path: Path) -> None:
    env = dict(os.environ, AIRLOCK_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "airlock", "demo", "incident"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    out, _ = proc.communicate(timeout=90)  # it ends by itself (a hang is a failure)
    assert proc.returncode == 0, out
    assert "REFUSED" in out and "HELD" in out and "byte for byte: True" in out
    assert incident.REAL not in out
    # it left nothing behind: no process of its session (what it started, even orphaned,
    # keeps the session id), nothing listening on the ports it announced
    session = [int(e) for e in os.listdir("/proc") if e.isdigit() and _sid(int(e)) == proc.pid]
    assert not session, f"processes of the demo's session still run: {session}"
    ports = {int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", out)}
    assert len(ports) == 2, out  # the stand-in PaaS and Airlock
    for port in ports:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"


def _sid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[3])  # state ppid pgrp session
    except (OSError, ValueError, IndexError):
        return -1
