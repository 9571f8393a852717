"""The hold service on a real SQLite store: a claim is allowed only when the signed ledger
backs it, so a request row edited behind Airlock's back never turns into an approval."""

from __future__ import annotations

import json
import sqlite3
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from airlock import ledger as L
from airlock.fingerprint import fingerprint
from airlock.hold import settings as hold_settings
from airlock.hold.identity import AgentPrincipal, Human, create_human
from airlock.server.context import ServerContext, build
from airlock.store.models import humans

PASSWORD = "correct horse battery"
RESET = "git reset --hard"  # destructive in a workspace: held, and the safety net snapshots
AGENT = AgentPrincipal("tok1", "bot", None, None)


@dataclass
class Env:
    ctx: ServerContext
    db: Path
    cfg: Path
    ws: Path
    alice: Human
    protects: list[str] = field(default_factory=list)  # request ids the safety net ran for

    def submit(self, command: str = RESET) -> dict[str, Any]:
        return self.ctx.service.submit(AGENT, {"command": command, "cwd": str(self.ws)})

    def hold(self, command: str = RESET) -> str:
        out = self.submit(command)
        assert out["decision"] == "hold", out
        return str(out["request"])

    def approve(self, rid: str) -> dict[str, Any]:
        view = self.ctx.service.view(rid)
        return self.ctx.service.approve(self.alice, rid, view["confirm_name"])

    def sql(self, statement: str, *args: Any) -> None:
        """What someone with write access to the database file does: plain sqlite3."""
        with closing(sqlite3.connect(self.db)) as conn:
            conn.execute(statement, args)
            conn.commit()

    def forge_ready(self, rid: str, **cols: Any) -> None:
        values = {"state": "ready", "cooldown_until": 0, "expires_at": 9e9,
                  "claimed_at": None, **cols}
        sets = ", ".join(f"{k} = ?" for k in values)
        self.sql(f"UPDATE requests SET {sets} WHERE id = ?", *values.values(), rid)

    def entries(self, rid: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in L.entries(self.ctx.store)
                if e["request_id"] == rid and e["kind"] == kind]

    def verify(self) -> list[str]:
        return L.verify(self.ctx.store, [self.ctx.public_key]).errors


MakeEnv = Callable[..., Env]


@pytest.fixture
def make_env(tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[MakeEnv]:
    made: list[Env] = []

    def make(cooldown: float = 0) -> Env:
        home = tmp_path / f"home{len(made)}"
        home.mkdir()
        cfg = home / "airlock.toml"
        cfg.write_text(textwrap.dedent(f"""
            [hold]
            production_approvers = 1
            default_approvers = 1
            cooldown_production = {cooldown}
            cooldown_default = {cooldown}
            cooldown_sandbox = {cooldown}
            approval_ttl = 60
            """) + f'\n[airlock]\ndata_dir = "{home}"\n')
        ctx = build(hold_settings.load(str(cfg), str(home)), None, "http://127.0.0.1:8750")
        create_human(ctx.store, ctx.ledger, "alice", PASSWORD)
        with ctx.store.read() as conn:
            hid = conn.execute(select(humans.c.id).where(humans.c.username == "alice")
                               ).scalar_one()
        env = Env(ctx, home / "airlock.db", cfg, workspace, Human(hid, "alice", True))
        protector = ctx.service.protector()
        real = protector.protect

        def protect(targets: Any, rid: str, *args: Any) -> Any:
            env.protects.append(rid)
            return real(targets, rid, *args)

        monkeypatch.setattr(protector, "protect", protect)
        made.append(env)
        return env

    yield make
    for env in made:
        env.ctx.store.close()


def _refused_as_tampered(env: Env, out: dict[str, Any], rid: str, snapshots: int = 0
                         ) -> None:
    """Denied with the reason, no (further) snapshot, on the record, the request failed."""
    assert out["decision"] == "deny", out
    assert out["request"] == rid
    assert "does not match the signed ledger" in " ".join(out["reasons"])
    assert env.protects.count(rid) == snapshots, "a snapshot was taken for a forged row"
    assert env.entries(rid, "tamper-detected"), "the tampering is not on the record"
    assert env.ctx.service.view(rid)["state"] == "failed"


# ---- the attacks ---------------------------------------------------------------------


def test_a_forged_ready_row_is_refused_recorded_and_reported(make_env: MakeEnv) -> None:
    env = make_env()
    rid = env.hold()
    env.forge_ready(rid)
    assert f"request {rid}: state ready but no signed approval in the ledger" in env.verify()

    out = env.submit()
    _refused_as_tampered(env, out, rid)
    assert not env.entries(rid, "execution-claimed")
    assert not env.entries(rid, "protected")
    assert any(e.startswith(f"request {rid}: tampering detected") for e in env.verify())
    # refused once, refused for good: the next submission is a new hold
    again = env.submit()
    assert again["decision"] == "hold" and again["request"] != rid


@pytest.mark.parametrize("signature", ["none", "forger's key", "server restart"])
def test_a_forged_approval_entry_with_valid_hashes_is_still_refused(
        make_env: MakeEnv, signature: str) -> None:
    env = make_env()
    rid = env.hold()
    fp = env.ctx.service.view(rid)["fingerprint"]
    env.forge_ready(rid)
    # append an approved entry exactly as Airlock would, hashes and head included
    with closing(sqlite3.connect(env.db)) as conn:
        seq, prev = conn.execute("SELECT seq, hash FROM ledger_head WHERE id = 1").fetchone()
        seq, at = seq + 1, time.time()
        payload = json.dumps({"fingerprint": fp, "agent": AGENT.agent, "approvers": ["alice"],
                              "required_approvers": 1, "cooldown_until": 0,
                              "expires_at": 9e9}, sort_keys=True, separators=(",", ":"))
        digest = L.entry_hash(seq, at, "approved", rid, "alice", payload, prev)
        conn.execute("INSERT INTO ledger (seq, at, kind, request_id, actor, payload, "
                     "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq, at, "approved", rid, "alice", payload, prev, digest))
        conn.execute("UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1", (seq, digest))
        if signature == "forger's key":
            forger = Ed25519PrivateKey.generate()
            conn.execute("INSERT INTO ledger_checkpoints (seq, hash, at, public_key, "
                         "signature) VALUES (?, ?, ?, ?, ?)",
                         (seq, digest, at, L.public_hex(forger),
                          forger.sign(L.checkpoint_message(seq, digest)).hex()))
        conn.commit()
    if signature == "server restart":  # start and shutdown sign the head: never this one
        assert env.ctx.ledger.checkpoint() is None
    errors = env.verify()
    assert any(e.startswith(f"request {rid}: state ready but no signed approval")
               for e in errors), errors

    out = env.submit()
    _refused_as_tampered(env, out, rid)
    assert not env.entries(rid, "execution-claimed")


def test_a_real_approval_claims_once_and_a_reset_row_cannot_claim_again(
        make_env: MakeEnv) -> None:
    env = make_env()
    rid = env.hold()
    assert env.approve(rid)["state"] == "ready"
    (approved,) = env.entries(rid, "approved")
    body = json.loads(approved["payload"])
    assert body["fingerprint"] == env.ctx.service.view(rid)["fingerprint"]
    assert (body["agent"], body["approvers"], body["required_approvers"]) == (
        "bot", ["alice"], 1)
    assert env.verify() == []

    out = env.submit()
    assert out["decision"] == "allow" and out["request"] == rid, out
    assert env.protects == [rid]
    assert len(env.entries(rid, "execution-claimed")) == 1
    assert env.verify() == []

    env.sql("UPDATE requests SET state = 'ready', claimed_at = NULL WHERE id = ?", rid)
    assert any(e.startswith(f"request {rid}: state ready but the ledger records it as "
                            "execution-claimed") for e in env.verify())
    out = env.submit()
    _refused_as_tampered(env, out, rid, snapshots=1)  # the real claim's, no second one
    assert "execution-claimed" in out["reasons"][0]
    assert len(env.entries(rid, "execution-claimed")) == 1


def test_an_aborted_request_reset_to_cooling_is_refused(make_env: MakeEnv) -> None:
    env = make_env()
    rid = env.hold()
    env.approve(rid)
    env.ctx.service.abort(env.alice, rid, "changed my mind")
    env.sql("UPDATE requests SET state = 'cooling', ended_by = NULL WHERE id = ?", rid)
    assert env.ctx.service.view(rid)["state"] == "ready"  # what the row alone says
    assert any(e.startswith(f"request {rid}: state cooling but the ledger records it as "
                            "aborted") for e in env.verify())

    out = env.submit()
    _refused_as_tampered(env, out, rid)
    assert "aborted" in out["reasons"][0]
    assert not env.entries(rid, "execution-claimed")


def test_a_shortened_cooldown_in_the_row_does_not_shorten_the_signed_one(
        make_env: MakeEnv) -> None:
    env = make_env(cooldown=600)
    rid = env.hold()
    assert env.approve(rid)["state"] == "cooling"
    (approved,) = env.entries(rid, "approved")
    env.sql("UPDATE requests SET state = 'ready', cooldown_until = 0 WHERE id = ?", rid)
    assert any(e.startswith(f"request {rid}: state ready but its cooldown or expiry")
               for e in env.verify())

    out = env.submit()
    _refused_as_tampered(env, out, rid)
    assert f"signed cooldown (entry {approved['seq']}) has not passed" in out["reasons"][0]


def test_a_row_moved_to_another_action_does_not_carry_the_approval(make_env: MakeEnv) -> None:
    env = make_env()
    rid = env.hold()
    env.approve(rid)
    other = "git clean -fdx"
    fp = fingerprint(env.ctx.service.action_from(AGENT, {"command": other,
                                                        "cwd": str(env.ws)}))
    env.sql("UPDATE requests SET fingerprint = ? WHERE id = ?", fp, rid)
    assert any(e.startswith(f"request {rid}: state ready but the signed approval")
               for e in env.verify())

    out = env.submit(other)
    _refused_as_tampered(env, out, rid)
    assert "another action or agent" in out["reasons"][0]


def test_the_ledger_is_checked_again_inside_the_claim(
        make_env: MakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forged row that gets past the first look (here: the first look is skipped) is
    still refused by the claim itself, which rolls back."""
    env = make_env()
    rid = env.hold()
    env.forge_ready(rid)
    monkeypatch.setattr(env.ctx.service, "_ledger_backs", lambda *a: (True, None))
    out = env.submit()
    assert out["decision"] == "deny" and env.entries(rid, "tamper-detected")
    assert not env.entries(rid, "execution-claimed")
    assert env.ctx.service.view(rid)["state"] == "failed"
