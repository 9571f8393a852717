"""Running the installed ``airlock`` console script as an agent tool or a user would."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

AIRLOCK = str(Path(sys.executable).parent / "airlock")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def airlock(*args: str, cwd: Path, env: dict[str, str],
            stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIRLOCK, *args], cwd=cwd, env=env, input=stdin.decode(),
                          capture_output=True, text=True, timeout=60, check=False)
