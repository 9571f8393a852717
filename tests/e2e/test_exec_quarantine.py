"""G4 when Airlock itself executes: an approved ``rm -rf DIR`` / ``DROP DATABASE|TABLE|SCHEMA``
run through ``airlock exec`` or ``airlock mcp serve``'s ``run_sql`` is performed as a
quarantine (after the snapshot) instead, reported, and ``airlock undo`` brings it back.
A real ``airlock serve``, a human approving in its web UI, a throwaway PostgreSQL, the
throwaway MariaDB (tests/conftest_mariadb.py) and test workspaces (tests/wsbase.py)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from mcp import Client

from tests.conftest_mariadb import MariaDB, mariadb_server  # noqa: F401 - the fixture
from tests.conftest_pg import postgres_url  # noqa: F401 - the session fixture
from tests.independent import tree_state
from tests.intake.mcp.helpers import serve_params, session, text
from tests.server.harness import Airlock

pytestmark = pytest.mark.slow

INVENTORY = """
[environments.staging]
production = false

[[resources]]
name = "shopdb"
kind = "database"
env = "staging"
hosts = ["127.0.0.1"]
"""
FAST = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 0
cooldown_default = 0
cooldown_sandbox = 0
approval_ttl = 60
"""
NEVER = 'require_independent = "never"\n'
HOLD_EVEN_WITH_UNDO_POINT = """
@id("hold-even-with-undo-point")
@decision("hold")
@reason("{verb} waits for a human here, undo point or not")
forbid (principal, action == Action::"destructive", resource) when { context.undo_point };
"""


class Agent:
    """The agent's side: its own config (and, unless told, its own data dir)."""

    def __init__(self, server: Airlock, home: Path, data_dir: Path | None = None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.server = server
        self.home = home
        self.data_dir = data_dir or home
        self.config = home / "agent.toml"
        # workspace deletes would be allowed with an undo point; this team holds them
        # (docs/policies.md), so they go through approval and the quarantine
        policy = home / "hold-undo.cedar"
        policy.write_text(HOLD_EVEN_WITH_UNDO_POINT)
        self.config.write_text(INVENTORY + f'\n[airlock]\ndata_dir = "{self.data_dir}"\n'
                               f'\n[policy]\nfiles = ["{policy}"]\n')
        (self.data_dir / "protect.toml").write_text(NEVER)
        self.env = dict(os.environ, AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1",
                        AIRLOCK_SERVER=server.url, AIRLOCK_TOKEN=server.token("bot"))
        for key in ("AIRLOCK_CONFIG", "AIRLOCK_DATABASE_URL"):
            self.env.pop(key, None)

    def exec(self, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
        """``airlock exec`` in the background; approve its request in the web UI."""
        before = {r["id"] for r in self.server.ctx.service.list(only_open=False)}
        proc = subprocess.Popen([sys.executable, "-m", "airlock", "exec", "--config",
                                 str(self.config), "--timeout", "60", "--", *argv],
                                cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            rid = self._new_request(before, proc)
            assert self.server.browser("alice").approve(rid).status_code == 303
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def _new_request(self, before: set[str], proc: subprocess.Popen[str]) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            new = [r["id"] for r in self.server.ctx.service.list() if r["id"] not in before]
            if new:
                return str(new[0])
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        raise AssertionError("no request was filed")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "airlock", *args, "--config",
                               str(self.config)], env=self.env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Airlock]:
    airlock = Airlock(tmp_path / "home", FAST + INVENTORY)
    (airlock.home / "protect.toml").write_text(NEVER)
    airlock.human("alice")
    airlock.start()
    yield airlock
    airlock.stop_all()


def _rid(err: str) -> str:
    return err.split("airlock undo ", 1)[1].split("`", 1)[0]


def _tree(ws: Path) -> Path:
    data = ws / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a").write_text("a" * 1000)
    (data / "sub" / "b").write_bytes(bytes(range(256)) * 64)
    os.symlink("a", data / "link")
    os.chmod(data / "a", 0o640)
    return data


def _kinds(server: Airlock, rid: str) -> list[str]:
    from sqlalchemy import select

    from airlock.store.models import ledger

    with server.ctx.store.read() as conn:
        return [str(k) for k in conn.execute(select(ledger.c.kind).where(
            ledger.c.request_id == rid).order_by(ledger.c.seq)).scalars()]


def test_exec_rm_rf_is_quarantined_with_the_claims_snapshot(server: Airlock,
                                                            workspace: Path) -> None:
    data = _tree(workspace)
    before = tree_state(data)
    agent = Agent(server, server.home.parent / "agent", data_dir=server.home)  # one data dir
    done = agent.exec(workspace, "rm", "-rf", "data")
    assert done.returncode == 0, done.stderr
    assert "quarantined" in done.stderr and "airlock undo" in done.stderr, done.stderr
    rid = _rid(done.stderr)
    assert not data.exists()
    moved = Path(done.stderr.split("airlock: quarantined ", 1)[1].split(" as ", 1)[1]
                 .split(" (kept until", 1)[0])
    assert not moved.is_relative_to(workspace)  # out of the work tree (git status)
    assert tree_state(moved) == before  # moved, not deleted
    assert server.state(rid) == "executed"
    kinds = _kinds(server, rid)
    assert kinds.index("protected") < kinds.index("execution-claimed")
    listed = server.cli("snapshots", "--request", rid, "--json")
    assert listed.stdout.count('"snapshot"') == 1, listed.stdout  # the claim's, reused
    undo = server.cli("undo", rid)
    assert undo.returncode == 0, undo.stderr
    assert tree_state(data) == before


def test_exec_of_a_compound_command_still_runs_it(server: Airlock, workspace: Path) -> None:
    data = _tree(workspace)
    agent = Agent(server, server.home.parent / "agent")
    done = agent.exec(workspace, "rm -rf data && echo removed")
    assert done.returncode == 0, done.stderr
    assert "removed" in done.stdout and "quarantined" not in done.stderr
    assert not data.exists() and not (workspace / ".airlock-quarantine").exists()


# ---- PostgreSQL ------------------------------------------------------------------------


def pg_sum(url: str, table: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) "
                           f"FROM {table} x").fetchone()
        assert row is not None
        return str(row[0])


@pytest.fixture
def shop(postgres_url: str) -> Iterator[str]:  # noqa: F811 - the fixture
    name = f"shop_{secrets.token_hex(3)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TABLE sales.orders (id int primary key, who text, amount numeric)")
        conn.execute("INSERT INTO sales.orders SELECT g, 'cust' || g, g * 1.5 "
                     "FROM generate_series(1, 2000) g")
        conn.execute("CREATE TABLE items (id int primary key, name text)")
        conn.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 300) g")
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for (db,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                  (f"%{name}%",)).fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def test_exec_pg_drop_database_is_quarantined_and_undone(server: Airlock, workspace: Path,
                                                         shop: str, postgres_url: str  # noqa: F811
                                                         ) -> None:
    before = pg_sum(shop, "sales.orders"), pg_sum(shop, "items")
    name = shop.rsplit("/", 1)[1]
    agent = Agent(server, server.home.parent / "agent")  # its own data dir and store
    done = agent.exec(workspace, f'psql {postgres_url} -c "DROP DATABASE {name}"')
    assert done.returncode == 0, done.stderr
    assert f"quarantined {name} as airlock_q_" in done.stderr, done.stderr
    rid = _rid(done.stderr)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(shop).close()  # gone from view
    assert agent.cli("snapshots", "--request", rid, "--json").stdout.count('"snapshot"') == 1
    undo = agent.cli("undo", rid)
    assert undo.returncode == 0, undo.stderr
    assert (pg_sum(shop, "sales.orders"), pg_sum(shop, "items")) == before


def test_mcp_run_sql_drop_table_and_schema_are_quarantined(server: Airlock, workspace: Path,
                                                           shop: str) -> None:
    orders, items = pg_sum(shop, "sales.orders"), pg_sum(shop, "items")
    agent = Agent(server, server.home.parent / "agent")
    cfg = workspace / "airlock.toml"
    cfg.write_text(agent.config.read_text() + textwrap.dedent(f"""
        [mcp]
        databases = {{ shop = "{shop}" }}
        """))
    calls = [{"sql": "DROP TABLE items", "database": "shop"},
             {"sql": "DROP SCHEMA sales CASCADE", "database": "shop"}]
    rids: list[str] = []

    async def body(c: Client) -> None:
        for call in calls:
            held = await c.call_tool("run_sql", call)
            assert held.is_error, text(held)
            rid = str(held.structured_content["airlock"]["request"])

            def approve(rid: str = rid) -> None:
                assert server.browser("alice").approve(rid).status_code == 303

            await anyio.to_thread.run_sync(approve)
            ran: Any = await c.call_tool("run_sql", call)
            assert not ran.is_error, text(ran)
            assert "quarantined" in text(ran) and f"airlock undo {rid}" in text(ran)
            assert ran.structured_content["request"] == rid
            rids.append(rid)

    session(serve_params(cfg, agent.env), body)
    with psycopg.connect(shop) as conn:
        left = conn.execute("SELECT table_schema || '.' || table_name FROM "
                            "information_schema.tables WHERE table_schema NOT IN "
                            "('pg_catalog', 'information_schema')").fetchall()
    assert all(r[0].startswith("airlock_q") for r in left), left  # only quarantines remain
    for rid in reversed(rids):
        undo = agent.cli("undo", rid)
        assert undo.returncode == 0, undo.stderr
    assert (pg_sum(shop, "sales.orders"), pg_sum(shop, "items")) == (orders, items)


# ---- MariaDB ---------------------------------------------------------------------------


def _mysql(server: MariaDB, sql: str, db: str = "") -> str:
    proc = subprocess.run(server.cli("-N", "-B", *([db] if db else []), "-e", sql),
                          capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return proc.stdout


@pytest.fixture
def mariadb(mariadb_server: MariaDB) -> Iterator[str]:  # noqa: F811
    name = f"shop_{secrets.token_hex(3)}"
    _mysql(mariadb_server, f"CREATE DATABASE {name}")
    _mysql(mariadb_server, "CREATE TABLE orders (id int primary key, who varchar(40)); "
           "INSERT INTO orders SELECT seq, concat('c', seq) FROM seq_1_to_500; "
           "CREATE TABLE items (id int primary key, name varchar(40)); "
           "INSERT INTO items VALUES (1, 'a'), (2, 'b')", name)
    yield name


def my_sum(server: MariaDB, db: str, table: str) -> str:
    return _mysql(server, f"CHECKSUM TABLE {table} EXTENDED", db).split()[-1]


def test_exec_mariadb_drop_table_and_database_are_quarantined(
        server: Airlock, workspace: Path, mariadb: str,
        mariadb_server: MariaDB) -> None:  # noqa: F811
    my = mariadb_server
    orders, items = my_sum(my, mariadb, "orders"), my_sum(my, mariadb, "items")
    agent = Agent(server, server.home.parent / "agent")
    done = agent.exec(workspace, f'mysql -h 127.0.0.1 -P {my.port} -u root {mariadb} '
                                 '-e "DROP TABLE items"')
    assert done.returncode == 0, done.stderr
    assert "quarantined" in done.stderr, done.stderr
    table_rid = _rid(done.stderr)
    assert "items" not in _mysql(my, "SHOW TABLES", mariadb).split()
    done = agent.exec(workspace, "mysql", "-h", "127.0.0.1", "-P", str(my.port), "-u", "root",
                      "-e", f"DROP DATABASE {mariadb}")
    assert done.returncode == 0, done.stderr
    assert f"quarantined {mariadb} as airlock_q_" in done.stderr, done.stderr
    db_rid = _rid(done.stderr)
    assert mariadb not in _mysql(my, "SHOW DATABASES").split()
    for rid in (db_rid, table_rid):
        undo = agent.cli("undo", rid)
        assert undo.returncode == 0, undo.stderr
    assert (my_sum(my, mariadb, "orders"), my_sum(my, mariadb, "items")) == (orders, items)
