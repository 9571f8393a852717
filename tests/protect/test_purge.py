"""``airlock purge`` is a held, logged action: it files a request that another human
approves (typed name, through the real ``airlock serve`` web UI), only ``--execute`` of a
ready request drops anything, once, and nothing younger than the retention window is
ever dropped, whatever was approved. Plus the exact-delete recogniser of
``airlock exec``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airlock.protect import journal as J
from airlock.protect import purge as P
from airlock.protect.engine import Protector
from airlock.protect.execute import is_plain_delete, shell_argv
from airlock.protect.settings import load
from tests.protect.conftest import targets
from tests.server.harness import PASSWORD, Airlock

FAST = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 0
cooldown_default = 0
cooldown_sandbox = 0
approval_ttl = 60
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Airlock]:
    airlock = Airlock(tmp_path / "home", FAST)
    (airlock.home / "protect.toml").write_text('require_independent = "never"\n')
    airlock.human("alice")
    airlock.human("bob")
    airlock.human("carol")  # a third human for the refusals: every sign-in spends a code
    airlock.start()
    yield airlock
    airlock.stop_all()


def _quarantine(p: Protector, ws: Path, name: str, rid: str, age_days: float) -> str:
    (ws / name).mkdir()
    (ws / name / "f").write_text(name)
    [item] = [d for d in p.quarantine(targets(f"rm -rf {name}", cwd=ws), rid)
              if "quarantine" in d]
    if age_days:
        rec = J.load(p.settings.journal_dir, rid)
        for q in rec["quarantines"]:
            q["at"] -= age_days * 86400
            q["purge_after"] -= age_days * 86400
        J.save(p.settings.journal_dir, rec)
    return str(item["quarantine"]["quarantine"])


def _as(server: Airlock, who: str, *args: str) -> tuple[int, str, str]:
    r = server.cli(*args, "--user", who, AIRLOCK_PASSWORD=PASSWORD,
                   AIRLOCK_TOTP=server.code(who))
    return r.returncode, r.stdout, r.stderr


def _ledger(server: Airlock, rid: str) -> list[str]:
    from sqlalchemy import select

    from airlock.store.models import ledger

    with server.ctx.store.read() as conn:
        return [str(k) for k in conn.execute(select(ledger.c.kind).where(
            ledger.c.request_id == rid).order_by(ledger.c.seq)).scalars()]


def test_purge_is_held_approved_by_another_human_and_logged(server: Airlock,
                                                            workspace: Path) -> None:
    p = Protector(load(str(server.home), str(server.config_path)))
    old = _quarantine(p, workspace, "old", "r1", age_days=10)
    young = _quarantine(p, workspace, "young", "r2", age_days=3)
    dry = server.cli("purge", "--dry-run")
    assert dry.returncode == 0 and old in dry.stdout and young not in dry.stdout, dry.stdout
    assert "nothing" in server.cli("purge", "--older-than", "11d", "--dry-run").stdout

    code, out, err = _as(server, "alice", "purge", "--older-than", "9d")
    assert code == 0, err
    rid = out.split("purge request ", 1)[1].split()[0]
    view = server.ctx.service.view(rid)
    assert view["state"] == "pending" and view["confirm_name"] == old
    [t] = view["decision"]["targets"]
    assert (t["kind"], t["verb"], t["risk"]) == ("quarantine", "airlock.purge", "destructive")
    code, _, err = _as(server, "carol", "purge", "--execute", rid)  # not approved yet
    assert code == 4 and "pending" in err
    assert Path(old).exists()
    # the requester cannot approve their own purge; bob must type the name
    assert server.browser("alice").approve(rid).status_code != 303
    assert server.browser("bob").approve(rid, name="wrong").status_code != 303
    assert server.browser("bob").approve(rid).status_code == 303
    code, out, err = _as(server, "alice", "purge", "--execute", rid)
    assert code == 0, err
    assert "purged" in out and not Path(old).exists() and Path(young).exists()
    kinds = _ledger(server, rid)
    for k in ("submitted", "held", "approval", "execution-claimed", "purged"):
        assert k in kinds, kinds
    assert J.load(p.settings.journal_dir, "r1")["quarantines"][0]["purged_by"] == rid
    code, _, err = _as(server, "carol", "purge", "--execute", rid)  # single use
    assert code == 4 and "executed" in err
    assert server.cli("ledger", "verify").returncode == 0


def test_an_approved_purge_never_drops_what_is_inside_retention(server: Airlock,
                                                               workspace: Path) -> None:
    p = Protector(load(str(server.home), str(server.config_path)))
    young = _quarantine(p, workspace, "young", "r3", age_days=1)
    # a request naming a quarantine still inside its window (filed as if it were due)
    [(rid3, q)] = [(r, q) for r in ["r3"] for q in J.load(p.settings.journal_dir, r)
                   ["quarantines"]]
    view = P.submit(server.ctx.service, "alice", [(rid3, q)])
    assert server.browser("bob").approve(view["id"]).status_code == 303
    code, out, err = _as(server, "alice", "purge", "--execute", view["id"])
    assert code == 0, err
    assert "kept" in out and "retention until" in out and "0 purged" in out
    assert Path(young).exists()
    assert p.undo("r3")  # still undoable
    assert (workspace / "young" / "f").read_text() == "young"


def test_an_agent_request_is_not_a_purge(server: Airlock, workspace: Path) -> None:
    out = server.submit(server.token(), "rm -rf src", cwd=str(workspace))
    assert out["decision"] == "hold", out
    code, _, err = _as(server, "alice", "purge", "--execute", str(out["request"]))
    assert code == 4 and "not a purge request" in err


@pytest.mark.parametrize(("text", "argv", "plain"), [
    ("rm -rf data", None, True),
    ("rm -r -f 'my data'", None, True),
    ("rm --recursive --force data", None, True),
    ("rm -f data", None, False),                       # not recursive: not `rm -rf DIR`
    ("rm -rf data && echo x", None, False),
    ("rm -rf data; ls", None, False),
    ("rm -rf $DIR", None, False),
    ("rm -rf data*", None, False),
    ("rm -rf data > log", None, False),
    ("psql postgresql://h/db -c 'DROP TABLE t'", None, True),
    ("psql postgresql://h/db -f drop.sql", None, False),
    ("psql postgresql://h/db", None, False),            # SQL on stdin
    ("mysql -h h -u root -e 'DROP DATABASE d'", None, True),
    ("mysql -e 'DROP TABLE a' -e 'DROP TABLE b'", None, False),
    ("PGHOST=x psql db -c 'DROP TABLE t'", None, False),
    ("x", ["rm", "-rf", "a b"], True),
])
def test_exec_recognises_only_a_plain_delete(text: str, argv: list[str] | None,
                                             plain: bool) -> None:
    tokens = shell_argv(text, argv or ["/bin/sh", "-c", text])
    assert (tokens is not None and is_plain_delete(tokens)) is plain, tokens


def test_quarantine_targets_only_for_pure_deletes(protector: Protector, ws: Path) -> None:
    (ws / "d").mkdir()
    assert protector.quarantine_targets(targets("rm -rf d", cwd=ws))
    assert protector.quarantine_targets(targets("rm -rf d && echo x", cwd=ws)) is None
    db = "postgresql://u@127.0.0.1:5432/x"
    assert protector.quarantine_targets(targets("DROP TABLE a, b", kind="sql", database=db))
    for sql in ("BEGIN; DROP TABLE t; COMMIT", "TRUNCATE t", "DROP VIEW v; DROP TABLE t",
                "DROP TABLE t; INSERT INTO a VALUES (1)"):
        assert protector.quarantine_targets(targets(sql, kind="sql", database=db)) is None, sql


def test_a_purge_row_edited_behind_airlocks_back_purges_nothing(server: Airlock,
                                                               workspace: Path) -> None:
    import sqlite3

    p = Protector(load(str(server.home), str(server.config_path)))
    old = _quarantine(p, workspace, "stale", "r4", age_days=10)
    code, out, err = _as(server, "alice", "purge", "--older-than", "9d")
    assert code == 0, err
    rid = out.split("purge request ", 1)[1].split()[0]
    db = sqlite3.connect(server.home / "airlock.db")
    db.execute("UPDATE requests SET state='ready', cooldown_until=0, expires_at=9e9 "
               "WHERE id=?", (rid,))
    db.commit()
    db.close()
    code, _, err = _as(server, "carol", "purge", "--execute", rid)
    assert code != 0 and "does not match the signed ledger" in err, err
    assert Path(old).exists()
    assert "execution-claimed" not in _ledger(server, rid)
