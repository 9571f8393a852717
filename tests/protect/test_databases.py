"""Real databases: a throwaway PostgreSQL cluster, the machine's MariaDB (skipped visibly
when unreachable) and SQLite files. Data is created, the destructive statement is
classified by the real pipeline, protected, run, seen gone, undone -- and every table is
compared by checksum, not by count."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from airlock.protect import RestoreRefused
from airlock.protect.engine import Protector
from airlock.protect.sqlite import table_checksum as sqlite_checksum
from tests.protect.conftest import targets

# ---- PostgreSQL -------------------------------------------------------------------------


def pg_sum(url: str, table: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) "
                           f"FROM {table} x").fetchone()
        assert row is not None
        return str(row[0])


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[str]:
    name = f"shop_{secrets.token_hex(3)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TABLE sales.orders (id int primary key, who text, amount numeric,"
                     " at timestamptz default now(), blob bytea)")
        conn.execute("INSERT INTO sales.orders SELECT g, 'cust' || g, g * 1.5, "
                     "now() - g * interval '1 hour', decode(md5(g::text), 'hex') "
                     "FROM generate_series(1, 5000) g")
        conn.execute("CREATE TABLE items (id serial primary key, name text)")
        conn.execute("INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 300) g")
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for (db,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                  (f"%{name}%",)).fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def run_pg(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_pg_drop_table_run_by_the_agent_is_undone_from_the_snapshot(
        pg_db: str, protector: Protector) -> None:
    before = pg_sum(pg_db, "sales.orders")
    cmd = f'psql {pg_db} -c "DROP TABLE sales.orders"'
    ts = targets(cmd)
    assert [t.verb for t in ts] == ["sql.drop_table"]
    protector.protect(ts, "p1")
    run_pg(pg_db, "DROP TABLE sales.orders")
    with pytest.raises(psycopg.errors.UndefinedTable):
        pg_sum(pg_db, "sales.orders")
    protector.undo("p1")
    assert pg_sum(pg_db, "sales.orders") == before


@pytest.mark.parametrize("sql", ["TRUNCATE items", "DELETE FROM items",
                                 "UPDATE items SET name = 'x'"])
def test_pg_rows_are_put_back(pg_db: str, protector: Protector, sql: str) -> None:
    before = pg_sum(pg_db, "items")
    protector.protect(targets(sql, kind="sql", database=pg_db), "p2")
    run_pg(pg_db, sql)
    assert pg_sum(pg_db, "items") != before
    protector.undo("p2")
    assert pg_sum(pg_db, "items") == before


def test_pg_drop_database_as_quarantine_and_undo(pg_db: str, protector: Protector,
                                                 postgres_url: str) -> None:
    before = pg_sum(pg_db, "sales.orders")
    name = pg_db.rsplit("/", 1)[1]
    ts = targets(f'psql {postgres_url} -c "DROP DATABASE {name}"')
    out = protector.quarantine(ts, "p3")
    rec = out[-1]["quarantine"]
    assert rec["what"] == "database" and rec["quarantine"].startswith("airlock_q_")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg_db).close()  # gone from view
    with pytest.raises(psycopg.OperationalError):  # and nobody may connect to the quarantine
        psycopg.connect(postgres_url.rsplit("/", 1)[0] + "/" + rec["quarantine"]).close()
    protector.undo("p3")
    assert pg_sum(pg_db, "sales.orders") == before


def test_pg_drop_database_run_by_the_agent_is_restored_and_doctor_checks(
        pg_db: str, protector: Protector, postgres_url: str) -> None:
    before = pg_sum(pg_db, "sales.orders"), pg_sum(pg_db, "items")
    name = pg_db.rsplit("/", 1)[1]
    protector.protect(targets(f'psql {postgres_url} -c "DROP DATABASE {name}"'), "p4")
    run_pg(postgres_url, f"DROP DATABASE {name}")
    protector.undo("p4")
    assert (pg_sum(pg_db, "sales.orders"), pg_sum(pg_db, "items")) == before
    with pytest.raises(RestoreRefused):  # it exists again: no overwrite
        protector.restore(protector.snapshots("p4")[0].id, name)
    results = protector.doctor()
    assert any(ok and "postgres:" in t and "checksums match" in t for ok, t in results), results


def test_pg_drop_table_quarantine_moves_it_aside(pg_db: str, protector: Protector) -> None:
    before = pg_sum(pg_db, "sales.orders")
    out = protector.quarantine(targets("DROP TABLE sales.orders", kind="sql",
                                       database=pg_db), "p5")
    assert out[-1]["quarantine"]["quarantine"].startswith("airlock_quarantine.")
    with pytest.raises(psycopg.errors.UndefinedTable):
        pg_sum(pg_db, "sales.orders")
    protector.undo("p5")
    assert pg_sum(pg_db, "sales.orders") == before


# ---- MariaDB / MySQL ----------------------------------------------------------------------

MYSQL = "mysql://root@127.0.0.1:3306"


def my(sql: str, db: str = "") -> str:
    cmd = ["mysql", "--protocol=TCP", "-h", "127.0.0.1", "-u", "root", "-N", "-B", "-e", sql]
    return subprocess.run(cmd + ([db] if db else []), capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def my_sum(db: str, table: str) -> str:
    return my("SET SESSION group_concat_max_len = 100000000; "
              f"SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, who, amount, HEX(note)) "
              f"ORDER BY id SEPARATOR ';')) FROM `{db}`.`{table}`")


@pytest.fixture
def my_db() -> Iterator[str]:
    if shutil.which("mysql") is None:
        pytest.skip("MariaDB/MySQL client not installed")
    try:
        my("SELECT 1")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"MariaDB on 127.0.0.1:3306 unreachable as root: {exc}")
    db = f"shop_{secrets.token_hex(3)}"
    my(f"CREATE DATABASE {db}")
    my("CREATE TABLE orders (id int primary key, who varchar(40), amount decimal(10,2), "
       "note blob)", db)
    values = ",".join(f"({i}, 'cust{i}', {i * 1.25:.2f}, UNHEX('{i:04x}00ff'))"
                      for i in range(1, 801))
    my(f"INSERT INTO orders VALUES {values}", db)
    yield db
    my(f"DROP DATABASE IF EXISTS {db}")
    for name in my("SHOW DATABASES").split():
        if name.startswith(("airlock_q_", "airlock_doctor_")) and name.endswith(db):
            my(f"DROP DATABASE IF EXISTS `{name}`")
    if "airlock_quarantine" in my("SHOW DATABASES").split():
        for t in my("SHOW TABLES", "airlock_quarantine").split():
            if t.startswith(f"{db}__"):  # only what this test put there
                my(f"DROP TABLE airlock_quarantine.`{t}`")


def test_mysql_drop_table_by_agent_then_undo(my_db: str, protector: Protector) -> None:
    before = my_sum(my_db, "orders")
    ts = targets(f'mysql -h 127.0.0.1 -u root {my_db} -e "DROP TABLE orders"')
    protector.protect(ts, "m1")
    my("DROP TABLE orders", my_db)
    assert my("SHOW TABLES LIKE 'orders'", my_db) == ""
    protector.undo("m1")
    assert my_sum(my_db, "orders") == before


def test_mysql_drop_database_as_quarantine_then_undo_and_doctor(
        my_db: str, protector: Protector) -> None:
    before = my_sum(my_db, "orders")
    ts = targets("DROP DATABASE " + my_db, kind="sql", dialect="mysql",
                 database=f"{MYSQL}/{my_db}")
    out = protector.quarantine(ts, "m2")
    qdb = out[-1]["quarantine"]["quarantine"]
    assert my_db not in my("SHOW DATABASES").split()
    assert my_sum(qdb, "orders") == before
    protector.undo("m2")
    assert my_sum(my_db, "orders") == before
    assert qdb not in my("SHOW DATABASES").split()
    results = protector.doctor()
    assert any(ok and "mysql:" in t and "checksums match" in t for ok, t in results), results


def test_mysql_delete_all_rows_undo(my_db: str, protector: Protector) -> None:
    before = my_sum(my_db, "orders")
    protector.protect(targets("DELETE FROM orders", kind="sql", dialect="mysql",
                              database=f"{MYSQL}/{my_db}"), "m3")
    my("DELETE FROM orders", my_db)
    protector.undo("m3")
    assert my_sum(my_db, "orders") == before


# ---- SQLite ---------------------------------------------------------------------------------


def test_sqlite_drop_table_and_delete_are_undone(ws: Path, protector: Protector) -> None:
    db = ws / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id integer primary key, v text, b blob)")
    conn.execute("CREATE INDEX t_v ON t(v)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     [(i, f"v{i}", bytes([i % 256]) * 10) for i in range(2000)])
    conn.execute("CREATE TABLE u (x)")
    conn.executemany("INSERT INTO u VALUES (?)", [(i,) for i in range(50)])
    conn.commit()
    before = sqlite_checksum(conn, "t"), sqlite_checksum(conn, "u")
    conn.close()
    protector.protect(targets(f'sqlite3 {db} "DROP TABLE t; DELETE FROM u"', cwd=ws), "s1")
    subprocess.run(["sqlite3", str(db), "DROP TABLE t; DELETE FROM u"], check=True)
    protector.undo("s1")
    conn = sqlite3.connect(db)
    assert (sqlite_checksum(conn, "t"), sqlite_checksum(conn, "u")) == before
    assert conn.execute("SELECT name FROM sqlite_master WHERE type='index'").fetchall()
    conn.close()
    assert any(ok and "sqlite:" in t for ok, t in protector.doctor())
