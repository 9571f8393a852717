"""`airlock admin`: creating humans without a terminal, and list / remove / reset-totp —
human commands an authenticated admin runs, each on the record, never removing the last
admin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from airlock import ledger as L
from airlock.hold import settings as hold_settings
from airlock.hold.identity import (
    AgentPrincipal,
    AuthError,
    Human,
    authenticate,
    create_human,
    list_humans,
    remove_human,
    reset_totp,
)
from airlock.instance import Instance, build
from tests.server.harness import next_code

PASSWORD = "correct horse battery"


class Cli:
    """`airlock …` as a script runs it: no terminal, its own AIRLOCK_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AIRLOCK_PASSWORD", "AIRLOCK_TOTP",
                                         "AIRLOCK_NEW_PASSWORD", "AIRLOCK_CONFIG"))}
        self.env.update(AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1")
        self.secrets: dict[str, str] = {}
        self.steps: dict[str, int] = {}

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "airlock", *args], cwd=self.home,
                              env={**self.env, **env}, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)

    def as_(self, admin: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """A command authorised by ``admin`` with a fresh code."""
        code = next_code(self.secrets[admin], self.steps, admin)
        return self(*args, "--as", admin, AIRLOCK_PASSWORD=PASSWORD, AIRLOCK_TOTP=code,
                    **env)

    def created(self, name: str, r: subprocess.CompletedProcess[str]) -> None:
        assert r.returncode == 0, r.stderr
        m = re.search(r"TOTP secret: (\S+)", r.stdout)
        assert m, r.stdout
        self.secrets[name] = m.group(1)
        self.steps.pop(name, None)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(home)


def test_admin_create_without_a_terminal_says_to_set_airlock_new_password(cli: Cli) -> None:
    r = cli("admin", "create", "alice")
    assert r.returncode == 2
    assert "AIRLOCK_NEW_PASSWORD" in r.stderr and "no terminal" in r.stderr
    help_text = cli("admin", "create", "--help").stdout
    assert "AIRLOCK_NEW_PASSWORD" in help_text
    cli.created("alice", cli("admin", "create", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD))
    # a second human needs an admin's password and code: said, not prompted for
    r = cli("admin", "create", "bob", "--as", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD)
    assert r.returncode == 2
    assert "AIRLOCK_PASSWORD and AIRLOCK_TOTP" in r.stderr


def test_admin_list_remove_reset_totp_need_an_admin_and_are_recorded(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.created("alice", cli("admin", "create", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD))
    cli.created("bob", cli.as_("alice", "admin", "create", "bob",
                               AIRLOCK_NEW_PASSWORD=PASSWORD))
    cli.created("carol", cli.as_("bob", "admin", "create", "carol", "--no-admin",
                                 AIRLOCK_NEW_PASSWORD=PASSWORD))

    # --as is required, and without a terminal the admin's secrets come from the env
    r = cli("admin", "list")
    assert r.returncode == 2 and "--as" in r.stderr
    r = cli("admin", "list", "--as", "alice")
    assert r.returncode == 2 and "AIRLOCK_PASSWORD" in r.stderr

    r = cli.as_("alice", "admin", "list")
    assert r.returncode == 0, r.stderr
    assert [line.split()[:2] for line in r.stdout.splitlines()] == [
        ["alice", "admin"], ["bob", "admin"], ["carol", "approver"]]
    assert PASSWORD not in r.stdout and cli.secrets["bob"] not in r.stdout

    # an approver is not an admin; a wrong code is refused; an unknown name is said
    r = cli.as_("carol", "admin", "remove", "bob")
    assert r.returncode == 5 and "not an admin" in r.stderr
    r = cli("admin", "remove", "bob", "--as", "alice", AIRLOCK_PASSWORD=PASSWORD,
            AIRLOCK_TOTP="000000")
    assert r.returncode == 5
    r = cli.as_("bob", "admin", "remove", "nobody")
    assert r.returncode == 2 and "no human named 'nobody'" in r.stderr

    # reset-totp prints a new secret once; the old one stops working
    old = cli.secrets["carol"]
    r = cli.as_("bob", "admin", "reset-totp", "carol")
    assert r.returncode == 0, r.stderr
    new = re.search(r"TOTP secret: (\S+)", r.stdout)
    assert new and new.group(1) != old
    cli.secrets["carol"] = new.group(1)
    r = cli("admin", "list", "--as", "carol", AIRLOCK_PASSWORD=PASSWORD,
            AIRLOCK_TOTP=pyotp.TOTP(old).now())
    assert r.returncode == 5 and "wrong username, password or code" in r.stderr
    r = cli.as_("carol", "admin", "list")  # the new secret signs in; still no admin
    assert r.returncode == 5 and "not an admin" in r.stderr

    r = cli.as_("alice", "admin", "remove", "bob")
    assert r.returncode == 0, r.stderr
    r = cli("admin", "list", "--as", "bob", AIRLOCK_PASSWORD=PASSWORD,
            AIRLOCK_TOTP=pyotp.TOTP(cli.secrets["bob"]).now())
    assert r.returncode == 5  # bob cannot sign in any more

    monkeypatch.setenv("AIRLOCK_HOME", str(cli.home))
    ctx = _ctx(cli.home)
    try:
        kinds = [(e["kind"], e["actor"]) for e in L.entries(ctx.store)]
        assert ("humans-listed", "alice") in kinds
        assert ("human-totp-reset", "bob") in kinds
        assert ("human-removed", "alice") in kinds
        assert [h["username"] for h in list_humans(ctx.store, ctx.ledger, "test")] == [
            "alice", "carol"]
        assert L.verify(ctx.store, [ctx.public_key]).ok
    finally:
        ctx.store.close()


def _ctx(home: Path, config: str = "") -> Instance:
    cfg = home / "airlock.toml"
    if config:
        cfg.write_text(config)
    return build(hold_settings.load(str(cfg) if config else None, str(home)), None,
                 "http://127.0.0.1:8750")


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AIRLOCK_HOME", str(home))
    c = _ctx(home, textwrap.dedent(f"""
        [hold]
        production_approvers = 1
        default_approvers = 1
        cooldown_production = 0
        cooldown_default = 0
        cooldown_sandbox = 0
        [airlock]
        data_dir = "{home}"
        """))
    yield c
    c.store.close()


def _human(ctx: Instance, name: str, secret: str, step: int = 0) -> Human:
    code = pyotp.TOTP(secret).generate_otp(int(time.time() // 30) + step)
    return authenticate(ctx.store, ctx.ledger, name, PASSWORD, code)


def test_the_last_admin_is_never_removed(ctx: Instance) -> None:
    create_human(ctx.store, ctx.ledger, "alice", PASSWORD)
    create_human(ctx.store, ctx.ledger, "carol", PASSWORD, is_admin=False)
    with pytest.raises(ValueError, match="last admin"):
        remove_human(ctx.store, ctx.ledger, "alice", "alice")
    remove_human(ctx.store, ctx.ledger, "carol", "alice")  # an approver may go
    with pytest.raises(ValueError, match="last admin"):
        remove_human(ctx.store, ctx.ledger, "alice", "alice")
    assert [h["username"] for h in list_humans(ctx.store, ctx.ledger, "t")] == ["alice"]
    kinds = [e["kind"] for e in L.entries(ctx.store)]
    assert kinds.count("human-removed") == 1  # a refusal leaves no entry


def test_removing_a_human_who_approved_keeps_the_record(ctx: Instance,
                                                        workspace: Path) -> None:
    create_human(ctx.store, ctx.ledger, "alice", PASSWORD)
    bob_secret = create_human(ctx.store, ctx.ledger, "bob", PASSWORD)
    bob = _human(ctx, "bob", bob_secret)
    agent = AgentPrincipal("tok1", "bot", None, None)
    out: dict[str, Any] = ctx.service.submit(agent, {"command": "git reset --hard",
                                                     "cwd": str(workspace)})
    rid = str(out["request"])
    ctx.service.approve(bob, rid, ctx.service.view(rid)["confirm_name"])

    remove_human(ctx.store, ctx.ledger, "bob", "alice")
    assert [h["username"] for h in list_humans(ctx.store, ctx.ledger, "t")] == ["alice"]
    assert ctx.service.view(rid)["approvals"] == ["bob"]  # history keeps the name
    with pytest.raises(AuthError):
        _human(ctx, "bob", bob_secret, 1)
    # the name is free again, for a new person with a new secret
    create_human(ctx.store, ctx.ledger, "bob", PASSWORD)
    assert L.verify(ctx.store, [ctx.public_key]).ok


def test_reset_totp_replaces_the_secret(ctx: Instance) -> None:
    old = create_human(ctx.store, ctx.ledger, "alice", PASSWORD)
    create_human(ctx.store, ctx.ledger, "carol", PASSWORD, is_admin=False)
    new = reset_totp(ctx.store, ctx.ledger, "carol", "alice")
    assert new != old
    assert _human(ctx, "carol", new).username == "carol"
    with pytest.raises(ValueError, match="no human named"):
        reset_totp(ctx.store, ctx.ledger, "mallory", "alice")
