"""``airlock doctor`` flags a gateway database whose real credential the agent's user can
also read: an env file in the workspace, a process environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airlock.broker.secrets import SecretBox
from tests.server.harness import Airlock

PASSWORD = "exposure-" + os.urandom(6).hex()
CONFIG = """
[environments.production]
production = true

[[databases]]
name = "appdb"
upstream = "postgresql://app@127.0.0.1:5999/app"
env = "production"
secret = "appdb-password"
"""


def doctor(airlock: Airlock, cwd: Path, **env: str) -> dict[str, dict[str, str]]:
    out = subprocess.run([sys.executable, "-m", "airlock", "doctor", "--json", "--config",
                          str(airlock.config_path)], env=airlock.env(**env), cwd=cwd,
                         capture_output=True, text=True, timeout=120)
    lines = json.loads(out.stdout)
    return {x["check"].split(":", 1)[0]: x for x in lines if x["part"] == "databases"}


def test_doctor_finds_the_credential_in_an_env_file_and_a_process(tmp_path: Path) -> None:
    airlock = Airlock(tmp_path / "home", CONFIG)
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(airlock.home)).add("appdb-password",
                                                                            PASSWORD)
    work = tmp_path / "shop"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    assert doctor(airlock, work)["database appdb"]["level"] == "ok"

    (work / ".env.local").write_text(f"DATABASE_URL=postgresql://app:{PASSWORD}@db/app\n")
    found = doctor(airlock, work)["database appdb"]
    assert found["level"] == "fail" and ".env.local holds it" in found["check"]
    assert PASSWORD not in json.dumps(found)

    (work / ".env.local").unlink()
    sleeper = subprocess.Popen(["sleep", "60"], env={**os.environ, "PGPASSWORD": PASSWORD})
    try:
        found = doctor(airlock, work)["database appdb"]
        assert found["level"] == "fail" and f"process {sleeper.pid} (sleep" in found["check"]
    finally:
        sleeper.kill()
        sleeper.wait()
    airlock.stop_all()
