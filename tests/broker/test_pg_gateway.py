"""The database gateway, end to end: a real ``airlock serve --pg-listen`` in front of a
real throwaway PostgreSQL (the upstream role authenticates with SCRAM-SHA-256, its
password only in Airlock's secrets), used by real clients — psql, psycopg (simple and
extended protocol, server-side prepared statements), asyncpg, SQLAlchemy + Alembic."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pglast import ast, parse_sql

from airlock.broker import tokens as T
from airlock.broker.pg_gateway import raising
from airlock.broker.secrets import SecretBox
from tests.conftest_pg import free_port
from tests.server.harness import Airlock

PASSWORD = "upstream-Pa55-" + hashlib.sha256(os.urandom(8)).hexdigest()[:16]
CONFIG = """
[environments.production]
production = true
[environments.staging]

[[databases]]
name = "appdb"
upstream = "postgresql://app@127.0.0.1:{port}/gwdb?sslmode=disable"
env = "production"
secret = "appdb-password"

[hold]
production_approvers = 1
cooldown_production = 0
"""


@dataclass
class Gateway:
    airlock: Airlock
    port: int
    direct: str  # the upstream as its owner reaches it (the test's own, never the agent's)
    token: str

    def url(self, token: str | None = None, driver: str = "postgresql") -> str:
        return f"{driver}://bot:{token or self.token}@127.0.0.1:{self.port}/appdb"

    def count(self, table: str = "items") -> int:
        with psycopg.connect(self.direct) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def checksum(self, table: str = "items") -> str:
        with psycopg.connect(self.direct) as conn:
            row = conn.execute(f"SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) "
                               f"FROM {table} x").fetchone()
            return str(row[0])

    def issue(self, scope: str | None = "production", allow: tuple[str, ...] = ("appdb:*.*",),
              ttl: float = 3600) -> tuple[str, str]:
        ctx = self.airlock.ctx
        return T.issue(ctx.store, ctx.ledger, "bot", scope, list(allow), ttl)


def _scram_role(admin_url: str, port: int) -> str:
    """Role ``app`` (SCRAM password) owning database ``gwdb``; pg_hba asks it for SCRAM."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute("DROP DATABASE IF EXISTS gwdb")
        conn.execute("DROP ROLE IF EXISTS app")
        conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
        conn.execute("CREATE DATABASE gwdb OWNER app")
        hba = conn.execute("SHOW hba_file").fetchone()[0]
        text = Path(hba).read_text()
        if "airlock-gateway-test" not in text:
            Path(hba).write_text("# airlock-gateway-test\nhost all app 127.0.0.1/32 "
                                 "scram-sha-256\n" + text)
        conn.execute("SELECT pg_reload_conf()")
    direct = f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/gwdb"
    with psycopg.connect(direct, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g")
    return direct


@pytest.fixture(scope="module")
def gw(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    direct = _scram_role(postgres_url, port)
    home = tmp_path_factory.mktemp("gateway") / "home"
    airlock = Airlock(home, CONFIG.format(port=port))
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(home)).add("appdb-password",
                                                                    PASSWORD)
    airlock.human("alice")
    gport = free_port()
    airlock.start(serve_args=("--pg-listen", f"127.0.0.1:{gport}"))
    token = T.issue(airlock.ctx.store, airlock.ctx.ledger, "bot", "production",
                    ["appdb:*.*"], 3600)[1]
    try:
        yield Gateway(airlock, gport, direct, token)
    finally:
        airlock.stop_all()
        leaked = [str(p) for p in home.rglob("*")
                  if p.is_file() and PASSWORD.encode() in p.read_bytes()]
        assert not leaked, f"the upstream password was written to {leaked}"


def psql(gw: Gateway, sql: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("psql") or "/usr/bin/psql"
    return subprocess.run([exe, gw.url(token), "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t",
                           "-c", sql], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PGCONNECT_TIMEOUT": "10"})


def test_psql_reads_and_writes_pass_and_drop_table_is_held(gw: Gateway) -> None:
    out = psql(gw, "SELECT count(*) FROM items")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "50"
    out = psql(gw, "INSERT INTO items VALUES (1001, 'new') RETURNING id")
    assert out.returncode == 0 and out.stdout.strip().startswith("1001"), out.stderr
    before = gw.checksum()
    out = psql(gw, "DROP TABLE items")
    assert out.returncode != 0
    assert "held this statement as request" in out.stderr
    assert "http://127.0.0.1:" in out.stderr  # the approval URL
    assert gw.checksum() == before
    assert PASSWORD not in out.stdout + out.stderr


def test_unbounded_delete_and_truncate_are_held_whatever_the_client(gw: Gateway) -> None:
    before = gw.checksum()
    with psycopg.connect(gw.url(), autocommit=True) as conn:
        for sql in ("DELETE FROM items", "TRUNCATE items"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="held this"):
                conn.execute(sql)  # extended protocol
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="held this"):
                psycopg.ClientCursor(conn).execute(sql)  # simple protocol
        # the session goes on: reads still work after refusals
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 50
    assert gw.checksum() == before


def test_psycopg_prepared_statements_and_bound_parameters(gw: Gateway) -> None:
    with psycopg.connect(gw.url(), autocommit=True) as conn:
        for i in range(3):  # prepare=True: a named server-side statement, reused
            row = conn.execute("SELECT name FROM items WHERE id = %s", (i + 1,),
                               prepare=True).fetchone()
            assert row == (f"item {i + 1}",)
        conn.execute("UPDATE items SET name = %s WHERE id = %s", ("renamed", 2))
        assert conn.execute("SELECT name FROM items WHERE id = 2").fetchone() == ("renamed",)
        # a parameter that turns a bounded-looking delete into every row is decided with
        # its value
        before = gw.checksum()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM items WHERE id = %s OR %s::boolean", (1, "true"))
        assert gw.checksum() == before


def test_a_refusal_inside_a_transaction_aborts_it_as_postgresql_would(gw: Gateway) -> None:
    before = gw.count()
    with psycopg.connect(gw.url()) as conn:
        conn.execute("INSERT INTO items VALUES (2001, 'in tx')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE items")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM items WHERE id = 2001").fetchone()[0] == 0
    assert gw.count() == before
    # a simple-protocol string with an allowed write before the refused statement: the
    # implicit transaction leaves nothing half-applied
    out = psql(gw, "INSERT INTO items VALUES (2002, 'x'); DROP TABLE items;")
    assert out.returncode != 0
    assert gw.count() == before


@pytest.mark.parametrize("sql, why", [
    ("SET ROLE airlock", "another role"),
    ("SET SESSION AUTHORIZATION airlock", "another role"),
    ("SELECT set_config('role', 'airlock', false)", "another role"),
    ("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
    ("COPY items TO PROGRAM 'id'", "PROGRAM"),
    ("COPY items FROM '/etc/passwd'", "file on the database server"),
    ("SELECT lo_import('/etc/passwd')", "lo_import"),
    ("CREATE EXTENSION postgres_fdw", "CREATE EXTENSION"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "another session"),
    ("ALTER ROLE app PASSWORD 'the-agent-knows-this'", "password"),
    ("CREATE ROLE side_door LOGIN", "can log in"),
])
def test_ways_out_of_the_decision_are_refused(gw: Gateway, sql: str, why: str) -> None:
    out = psql(gw, sql)
    assert out.returncode != 0
    assert "Airlock denied this statement" in out.stderr and why in out.stderr, out.stderr


def test_replication_and_role_options_are_refused_at_connect(gw: Gateway) -> None:
    for extra in ("replication=database", "options=-c%20role%3Dairlock"):
        with pytest.raises(psycopg.OperationalError, match="Airlock refused the connection"):
            psycopg.connect(f"{gw.url()}?{extra}", connect_timeout=10)


def test_tokens_are_checked_at_connect(gw: Gateway) -> None:
    cases = {
        "expired": gw.issue(ttl=0.5)[1],
        "out of scope": gw.issue(scope="staging")[1],
        "no grant for the database": gw.issue(allow=("otherdb:*.*",))[1],
        "not an Airlock token": PASSWORD[:4] + "not-a-token",
    }
    tid, revoked = gw.issue()
    T.revoke(gw.airlock.ctx.store, gw.airlock.ctx.ledger, tid)
    cases["revoked"] = revoked
    time.sleep(0.6)
    for what, token in cases.items():
        with pytest.raises(psycopg.OperationalError,
                           match="Airlock refused the connection") as exc:
            psycopg.connect(gw.url(token), connect_timeout=10)
        assert PASSWORD not in str(exc.value), what
    read_only = gw.issue(allow=("appdb:*.read",))[1]
    with psycopg.connect(gw.url(read_only), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 50
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="outside it"):
            conn.execute("INSERT INTO items VALUES (3001, 'no')")


def test_asyncpg_reads_and_is_held_on_truncate(gw: Gateway) -> None:
    asyncpg = pytest.importorskip("asyncpg")

    async def run() -> tuple[int, str]:
        conn = await asyncpg.connect(gw.url())
        try:
            n = await conn.fetchval("SELECT count(*) FROM items WHERE id > $1", 0)
            stmt = await conn.prepare("SELECT name FROM items WHERE id = $1")
            assert await stmt.fetchval(3) == "item 3"
            try:
                await conn.execute("TRUNCATE items")
            except asyncpg.exceptions.InsufficientPrivilegeError as exc:
                return int(n), str(exc)
            return int(n), ""
        finally:
            await conn.close()

    before = gw.checksum()
    n, error = asyncio.run(run())
    assert n >= 50 and "held this statement" in error
    assert gw.checksum() == before


def test_sqlalchemy_and_alembic_run_a_real_migration(gw: Gateway, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    url = gw.url(driver="postgresql+psycopg")
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(
        "from alembic import context\nfrom sqlalchemy import create_engine\n"
        "engine = create_engine(context.config.get_main_option('sqlalchemy.url'))\n"
        "with engine.connect() as conn:\n"
        "    context.configure(connection=conn)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n")
    (scripts / "script.py.mako").write_text("")
    (scripts / "versions" / "0001_orders.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        "revision = '0001'\ndown_revision = None\n"
        "def upgrade():\n"
        "    op.create_table('orders', sa.Column('id', sa.Integer, primary_key=True),\n"
        "                    sa.Column('total', sa.Numeric))\n"
        "    op.add_column('orders', sa.Column('note', sa.Text))\n"
        "    op.create_index('orders_total', 'orders', ['total'])\n"
        "def downgrade():\n"
        "    op.drop_table('orders')\n")
    cfg = Config()
    cfg.set_main_option("script_location", str(scripts))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO orders (id, total, note) VALUES (1, 9.5, 'a')"))
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()
    # the downgrade drops a table: held, and the table stays
    with pytest.raises(Exception, match="held this statement"):
        command.downgrade(cfg, "base")
    assert gw.count("orders") == 1


def test_approved_drop_runs_once_after_a_snapshot_and_undo_brings_the_data_back(
        gw: Gateway) -> None:
    with psycopg.connect(gw.direct, autocommit=True) as conn:
        conn.execute("CREATE TABLE ledger_rows AS SELECT g AS id, md5(g::text) AS v "
                     "FROM generate_series(1, 200) g")
    before = gw.checksum("ledger_rows")
    out = psql(gw, "DROP TABLE ledger_rows")
    assert out.returncode != 0
    rid = out.stderr.split("as request ", 1)[1].split()[0]
    web = gw.airlock.browser("alice")
    assert web.approve(rid).status_code in (200, 303)
    deadline = time.monotonic() + 20
    while gw.airlock.state(rid) != "ready" and time.monotonic() < deadline:
        time.sleep(0.2)
    out = psql(gw, "DROP TABLE ledger_rows")
    assert out.returncode == 0, out.stderr
    with pytest.raises(psycopg.errors.UndefinedTable):
        gw.checksum("ledger_rows")
    again = psql(gw, "DROP TABLE ledger_rows")  # once: the approval is spent
    assert again.returncode != 0 and rid not in again.stderr.split("request ", 1)[-1][:12]
    undo = gw.airlock.cli("undo", rid)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert gw.checksum("ledger_rows") == before


def test_every_decided_statement_is_in_the_ledger_without_the_password(gw: Gateway) -> None:
    from sqlalchemy import text

    marker = f"gateway-ledger-{time.time_ns()}"
    assert psql(gw, f"SELECT '{marker}'").returncode == 0
    assert psql(gw, f"DELETE FROM items WHERE name = '{marker}'").returncode == 0
    ctx = gw.airlock.ctx
    deadline = time.monotonic() + 5
    while True:
        with ctx.store.read() as conn:
            found = conn.execute(text("SELECT seq, kind, payload FROM ledger WHERE payload "
                                      "LIKE :m ORDER BY seq"), {"m": f"%{marker}%"}).fetchall()
        if len(found) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # the read: one entry, decision and statement together; the write: submitted, then
    # its decision, committed before it was forwarded
    assert [k for _, k, _ in found] == ["decided", "submitted"], found
    assert '"via":"gateway"' in found[0][2] and '"decision":"allow"' in found[0][2]
    with ctx.store.read() as conn:
        after = conn.execute(text("SELECT kind, payload FROM ledger WHERE seq = :s"),
                             {"s": found[1][0] + 1}).fetchone()
        assert after[0] == "decided" and '"decision":"allow"' in after[1]
        assert not conn.execute(text("SELECT 1 FROM ledger WHERE payload LIKE :p"),
                                {"p": f"%{PASSWORD}%"}).fetchall()


def test_copy_from_stdin_is_a_write_and_streams_through(gw: Gateway) -> None:
    before = gw.count()
    with psycopg.connect(gw.url(), autocommit=True) as conn:
        with conn.cursor() as cur, cur.copy("COPY items (id, name) FROM STDIN") as cp:
            for i in range(5000, 5100):
                cp.write_row((i, f"copied {i}"))
        rows = conn.execute("SELECT count(*) FROM items WHERE name LIKE 'copied %'")
        assert rows.fetchone()[0] == 100
        with conn.cursor() as cur, cur.copy("COPY items TO STDOUT") as cp:
            assert sum(len(chunk) for chunk in cp) > 0
    assert gw.count() == before + 100


def test_do_blocks_are_held_and_drop_database_in_production_is_denied(gw: Gateway) -> None:
    out = psql(gw, "DO $$ BEGIN EXECUTE 'DROP TABLE items'; END $$")
    assert out.returncode != 0 and "held this statement" in out.stderr, out.stderr
    out = psql(gw, "DROP DATABASE gwdb")
    assert out.returncode != 0 and "denied this statement" in out.stderr, out.stderr
    assert gw.count() >= 50


def test_cancel_reaches_only_the_session_that_holds_the_key(gw: Gateway) -> None:
    import threading

    with psycopg.connect(gw.url(), autocommit=True) as conn:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(20)")
        assert time.monotonic() - t0 < 10
        timer.join()
        # a cancel request with a key the gateway did not hand out is dropped
        import socket
        import struct

        key = conn.pgconn.backend_pid
        with socket.create_connection(("127.0.0.1", gw.port)) as sock:
            sock.sendall(struct.pack("!III", 16, 80877102, key) + b"\x00\x00\x00\x01")
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_gateway_address_can_come_from_the_serve_section(tmp_path: Path) -> None:
    gport = free_port()
    airlock = Airlock(tmp_path / "home", f'[serve]\npg_listen = "127.0.0.1:{gport}"\n')
    airlock.start()
    try:
        with pytest.raises(psycopg.OperationalError, match="no database 'appdb' is declared"):
            psycopg.connect(f"postgresql://bot:alk_x@127.0.0.1:{gport}/appdb",
                            connect_timeout=10)
    finally:
        airlock.stop_all()
    bad = Airlock(tmp_path / "bad", '[serve]\npg_listen = "nowhere"\n')
    with pytest.raises(RuntimeError, match="expected HOST:PORT"):
        bad.start()


def test_a_token_revoked_mid_session_ends_the_session(gw: Gateway) -> None:
    tid, token = gw.issue()
    with psycopg.connect(gw.url(token), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        T.revoke(gw.airlock.ctx.store, gw.airlock.ctx.ledger, tid)
        time.sleep(T.CACHE_TTL + 0.2)
        with pytest.raises(psycopg.OperationalError, match="revoked or expired"):
            conn.execute("SELECT 1")


# ---- the statement a refusal becomes ------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300).filter(lambda t: "\x00" not in t),
       st.text(max_size=100).filter(lambda t: "\x00" not in t))
def test_the_raised_refusal_is_one_do_block_whatever_the_message(message: str,
                                                                 hint: str) -> None:
    sql = raising(message, hint)
    tree = parse_sql(sql)
    assert len(tree) == 1 and isinstance(tree[0].stmt, ast.DoStmt)


def test_the_raised_refusal_carries_the_message_and_sqlstate() -> None:
    sql = raising("held as request abc $$ '; DROP TABLE t; --", "run it again")
    assert "ERRCODE = '42501'" in sql and "held as request abc $$ '; DROP TABLE t; --" in sql


def test_an_oversized_message_ends_the_session_with_an_answer(gw: Gateway) -> None:
    from airlock.broker.pg_gateway import MAX_MESSAGE

    with psycopg.connect(gw.url() + "?sslmode=disable", autocommit=True) as conn:
        sock = __import__("socket").socket(fileno=os.dup(conn.pgconn.socket))
        sock.settimeout(10)
        sock.sendall(b"Q" + (MAX_MESSAGE + 5).to_bytes(4, "big") + b"SELECT ")
        answer = sock.recv(4096)
        sock.close()
    assert answer[:1] == b"E" and b"larger than 64 MiB" in answer
    assert gw.count() >= 50


def test_agents_that_require_tls_get_it_with_airlocks_ca(gw: Gateway) -> None:
    with psycopg.connect(gw.url() + "?sslmode=require", autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 50
    ca = gw.airlock.home / "ca" / "airlock-ca.pem"
    with psycopg.connect(f"{gw.url()}?sslmode=verify-full&sslrootcert={ca}") as conn:
        assert conn.pgconn.ssl_in_use
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="held this"):
            conn.execute("DROP TABLE items")


def test_a_statement_running_a_volatile_function_is_refused_a_stable_one_passes(
        gw: Gateway) -> None:
    """`SELECT purge_items()` reads as a SELECT while the function deletes every row: the
    gateway asks the database what each function a statement runs is, and refuses one that
    is VOLATILE and not PostgreSQL's own — whatever the token allows."""
    with psycopg.connect(gw.direct, autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE FUNCTION purge_items() RETURNS int LANGUAGE plpgsql "
                     "VOLATILE AS $$ BEGIN DELETE FROM items; RETURN 0; END $$")
        conn.execute("CREATE OR REPLACE FUNCTION items_named(p text) RETURNS bigint "
                     "LANGUAGE sql STABLE AS $$ SELECT count(*) FROM items WHERE name LIKE p $$")
    before = gw.checksum()
    read_only = gw.issue(allow=("appdb:*.read",))[1]
    for token, sql in ((read_only, "SELECT purge_items()"),
                       (read_only, "SELECT id FROM items WHERE id = 1 AND "
                                   "public.purge_items() = 0"),
                       (gw.token, "SELECT purge_items()"),
                       (gw.token, "CREATE VIEW harmless AS SELECT purge_items()")):
        out = psql(gw, sql, token)
        assert out.returncode != 0 and "VOLATILE function" in out.stderr, (sql, out.stderr)
    assert gw.checksum() == before
    out = psql(gw, "SELECT items_named('item 1%'), lower('X'), count(*) FROM items", read_only)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split("|")[1:] == ["x", str(gw.count())]
