"""Provider credentials: encrypted at rest, key outside the database, never shown."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from airlock.broker.secrets import KEY_FILE, SecretBox, SecretError

REAL = "rw_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def _grep(root: Path, needle: str) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file() and needle.encode() in p.read_bytes():
            hits.append(str(p))
    return hits


def test_encrypted_at_rest_and_key_0600(env) -> None:
    box = SecretBox(env.store, env.ledger, str(env.home))
    box.add("railway", REAL)
    assert box.reveal("railway") == REAL
    assert _grep(env.home, REAL) == []
    mode = stat.S_IMODE(os.stat(env.home / KEY_FILE).st_mode)
    assert mode == 0o600
    assert [r["name"] for r in box.names()] == ["railway"]
    assert REAL not in repr(box.names())


def test_wrong_key_cannot_decrypt(env, tmp_path: Path, monkeypatch) -> None:
    SecretBox(env.store, env.ledger, str(env.home)).add("railway", REAL)
    other = tmp_path / "other"
    other.mkdir()
    from cryptography.fernet import Fernet

    (other / "k").write_bytes(Fernet.generate_key())
    monkeypatch.setenv("AIRLOCK_SECRET_KEY_FILE", str(other / "k"))
    with pytest.raises(SecretError) as exc:
        SecretBox(env.store, env.ledger, str(env.home)).reveal("railway")
    assert REAL not in str(exc.value)


def test_remove(env) -> None:
    box = SecretBox(env.store, env.ledger, str(env.home))
    box.add("railway", REAL)
    assert box.remove("railway")
    with pytest.raises(SecretError):
        box.reveal("railway")


def test_cli_token_and_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "airlock.toml"
    cfg.write_text(f'[airlock]\ndata_dir = "{tmp_path}"\n')
    env = dict(os.environ, AIRLOCK_HOME=str(tmp_path), RAILWAY_TOKEN=REAL)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "airlock", *args, "--config", str(cfg)],
                              env=env, capture_output=True, text=True, timeout=60)

    r = run("secret", "add", "railway", "--from-env", "RAILWAY_TOKEN")
    assert r.returncode == 0, r.stderr
    r2 = run("secret", "list")
    assert "railway" in r2.stdout
    r3 = run("token", "issue", "--agent", "bot", "--scope", "staging", "--allow",
             "railway:domain.*", "--ttl", "8h")
    assert r3.returncode == 0, r3.stderr
    assert r3.stdout.strip().startswith("alk_")
    r4 = run("token", "list")
    assert "railway:domain.*" in r4.stdout and "staging" in r4.stdout
    tid = r4.stdout.split()[0]
    r5 = run("token", "issue", "--agent", "old", "--scope", "staging", "--owner", "al")
    assert r5.returncode == 0 and r5.stdout.startswith("alk_")
    assert run("token", "revoke", tid).returncode == 0
    assert tid not in run("token", "list").stdout
    everything = "".join(x.stdout + x.stderr for x in (r, r2, r3, r4, r5))
    assert REAL not in everything
    assert _grep(tmp_path, REAL) == []
