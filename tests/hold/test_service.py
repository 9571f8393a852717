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
from airlock.instance import Instance, build
from airlock.store.models import humans

PASSWORD = "correct horse battery"
RESET = "git reset --hard"  # destructive in a workspace: held, and the safety net snapshots
AGENT = AgentPrincipal("tok1", "bot", None, None)


@dataclass
class Env:
    ctx: Instance
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
    assert out["decision"] == "allow" and out["request"] == rid, out.get("reasons")
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


# ---- one claim, one snapshot, however many identical calls race for it -----------------


def test_six_identical_calls_at_once_claim_once_snapshot_once_and_losers_are_refused(
        make_env: MakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six threads submit the approved action at the same instant: exactly one is
    allowed, one snapshot is taken, and the five others get a clean "already claimed"
    refusal (not a safety-net failure), and the request is executed, not failed."""
    import threading

    env = make_env()
    (env.ws / "src" / "app.py").write_text("print('changed')\n")  # something to lose
    rid = env.hold()
    assert env.approve(rid)["state"] == "ready"
    protector = env.ctx.service.protector()
    counted = protector.protect

    def slow_protect(*args: Any) -> Any:
        time.sleep(0.3)  # a real snapshot takes a while: every racer is inside it
        return counted(*args)

    monkeypatch.setattr(protector, "protect", slow_protect)
    barrier = threading.Barrier(6)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait()
            answers.append(env.submit())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(answers) == 6
    allowed = [a for a in answers if a["decision"] == "allow"]
    assert len(allowed) == 1, answers
    losers = [a for a in answers if a["decision"] != "allow"]
    for a in losers:
        assert a["decision"] == "deny" and a["request"] == rid, a
        text = " ".join(a["reasons"])
        assert "already claimed" in text or "being claimed" in text, a
        assert "safety net could not" not in text, a
    assert env.protects == [rid]  # one safety net for one request
    assert len(protector.snapshots(rid)) == 1
    assert env.ctx.service.view(rid)["state"] == "executed"
    assert len(env.entries(rid, "execution-claimed")) == 1
    assert not env.entries(rid, "protect-failed") and not env.entries(rid, "failed")
    assert env.verify() == []


def test_a_claimer_killed_mid_claim_gives_the_approval_back_at_once(
        make_env: MakeEnv) -> None:
    """A process killed right after committing its claim (``claiming``) ran nothing: its
    lock file on this host is free, so the request is ready again at once (tick records
    it), and the next identical call is allowed, once."""
    import os
    import subprocess
    import sys

    env = make_env()
    rid = env.hold()
    env.approve(rid)
    code = textwrap.dedent(f"""
        from airlock.hold import settings
        from airlock.hold.identity import AgentPrincipal
        from airlock.instance import build
        ctx = build(settings.load({str(env.cfg)!r}, {str(env.cfg.parent)!r}), None, "http://x")
        ctx.service.submit(AgentPrincipal("tok1", "bot", None, None),
                           {{"command": {RESET!r}, "cwd": {str(env.ws)!r}}})
        """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          env={**os.environ, "AIRLOCK_TEST_FAULT": "claiming-after-commit"})
    assert proc.returncode == -9, proc.stderr
    with closing(sqlite3.connect(env.db)) as conn:
        (stored,) = conn.execute("SELECT state FROM requests WHERE id = ?", (rid,)).fetchone()
    assert stored == "claiming"  # the claim was committed, then its claimer died
    assert env.ctx.service.view(rid)["state"] == "ready"
    assert env.ctx.service.tick() == 1
    assert json.loads(env.entries(rid, "ready")[-1]["payload"])["from"] == "claiming"
    out = env.submit()
    assert out["decision"] == "allow" and out["request"] == rid, out.get("reasons")
    assert env.submit()["decision"] == "hold"  # once
    assert len(env.entries(rid, "execution-claimed")) == 1
    assert env.verify() == []


def test_a_claim_without_heartbeat_is_given_back_after_its_lease(make_env: MakeEnv) -> None:
    """A claimer elsewhere (no lock file here to ask) that stopped beating: after
    CLAIM_LEASE the request is ready again; before, identical calls are refused."""
    from airlock.hold import states as S

    env = make_env()
    rid = env.hold()
    env.approve(rid)
    row = env.ctx.service.view(rid)
    with env.ctx.store.read() as conn:
        from airlock.store.models import requests

        stored = conn.execute(select(requests).where(requests.c.id == rid)).mappings().one()
    claim = env.ctx.service._begin_claim(stored, AGENT, row["fingerprint"])
    assert claim is not None and not isinstance(claim, str)
    claim.release()  # its lock file no longer names it: only the lease can tell
    refused = env.submit()
    assert refused["decision"] == "deny" and "being claimed" in refused["reasons"][0]
    assert env.ctx.service.tick() == 0
    env.sql("UPDATE requests SET updated_at = updated_at - ? WHERE id = ?",
            S.CLAIM_LEASE + 1, rid)
    assert env.ctx.service.tick() == 1
    out = env.submit()
    assert out["decision"] == "allow" and out["request"] == rid, out.get("reasons")
    assert len(env.entries(rid, "execution-claimed")) == 1


def test_an_abort_while_the_safety_net_runs_wins(make_env: MakeEnv,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env()
    rid = env.hold()
    env.approve(rid)
    protector = env.ctx.service.protector()
    real = protector.protect

    def protect_then_abort(*args: Any) -> Any:
        done = real(*args)
        assert env.ctx.service.view(rid)["state"] == "claiming"
        env.ctx.service.abort(env.alice, rid, "no, stop")
        return done

    monkeypatch.setattr(protector, "protect", protect_then_abort)
    out = env.submit()
    assert out["decision"] != "allow", out
    assert env.ctx.service.view(rid)["state"] == "aborted"
    assert not env.entries(rid, "execution-claimed")
    assert env.verify() == []


def test_an_approval_is_bound_to_the_contents_the_decision_read(make_env: MakeEnv) -> None:
    env = make_env()
    body = env.ws / "body.json"
    body.write_text('{"id": "vol-1"}')
    command = "curl -X DELETE -d @body.json https://api.example.com/volumes"
    rid = env.hold(command)
    assert env.ctx.service.view(rid)["state"] == "pending"
    assert env.approve(rid)["state"] == "ready"
    body.write_text('{"id": "vol-PRODUCTION"}')  # the file changed after the approval
    out = env.submit(command)
    assert out["decision"] == "hold" and out["request"] != rid, out  # a new request
    body.write_text('{"id": "vol-1"}')  # what was approved, byte for byte
    out = env.submit(command)
    # the approval is found and claimed (here the claim then fails: no safety net exists
    # for an HTTP DELETE, and this environment runs nothing unprotected)
    assert out["request"] == rid, out
    assert env.entries(rid, "claiming"), "the approved request was not claimed"
