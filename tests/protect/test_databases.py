"""Real databases: a throwaway PostgreSQL cluster, a throwaway MariaDB server
(tests/conftest_mariadb.py) and SQLite files. Data is created, the destructive statement is
classified by the real pipeline, protected, run, seen gone, undone -- and every table is
compared by checksum, not by count."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from airlock.protect import RestoreRefused
from airlock.protect.engine import Protector
from tests.conftest_mariadb import MariaDB, mariadb_server  # noqa: F401 - the fixture
from tests.independent import sqlite_dump, sqlite_rows
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
# The throwaway server of tests/conftest_mariadb.py (a free port on 127.0.0.1, root without
# a password): never the machine's own MariaDB, and no skip when none is running.


@dataclass(frozen=True)
class MyDB:
    """One fresh database on the throwaway MariaDB server."""

    server: MariaDB
    name: str

    @property
    def url(self) -> str:
        return f"{self.server.url_prefix}/{self.name}"

    def sql(self, sql: str, db: str | None = None) -> str:
        """Run ``sql`` as root (in ``db``, by default this database; ``""``: none)."""
        db = self.name if db is None else db
        return subprocess.run(self.server.cli("-N", "-B", "-e", sql, *([db] if db else [])),
                              capture_output=True, text=True, check=True,
                              timeout=60).stdout.strip()

    def checksum(self, table: str, db: str | None = None) -> str:
        db = self.name if db is None else db
        return self.sql("SET SESSION group_concat_max_len = 100000000; "
                        "SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, who, amount, HEX(note)) "
                        f"ORDER BY id SEPARATOR ';')) FROM `{db}`.`{table}`", db="")

    def databases(self) -> list[str]:
        return self.sql("SHOW DATABASES", db="").split()


@pytest.fixture
def my_db(mariadb_server: MariaDB) -> Iterator[MyDB]:  # noqa: F811
    my = MyDB(mariadb_server, f"shop_{secrets.token_hex(3)}")
    my.sql(f"CREATE DATABASE {my.name}", db="")
    my.sql("CREATE TABLE orders (id int primary key, who varchar(40), amount decimal(10,2), "
           "note blob)")
    values = ",".join(f"({i}, 'cust{i}', {i * 1.25:.2f}, UNHEX('{i:04x}00ff'))"
                      for i in range(1, 801))
    my.sql(f"INSERT INTO orders VALUES {values}")
    yield my
    my.sql(f"DROP DATABASE IF EXISTS {my.name}", db="")
    for name in my.databases():
        if name.startswith(("airlock_q_", "airlock_doctor_")) and name.endswith(my.name):
            my.sql(f"DROP DATABASE IF EXISTS `{name}`", db="")
    if "airlock_quarantine" in my.databases():
        for t in my.sql("SHOW TABLES", "airlock_quarantine").split():
            if t.startswith(f"{my.name}__"):  # only what this test put there
                my.sql(f"DROP TABLE airlock_quarantine.`{t}`", db="")


def test_mysql_drop_table_by_agent_then_undo(my_db: MyDB, protector: Protector) -> None:
    before = my_db.checksum("orders")
    port = my_db.server.port
    ts = targets(f'mysql -h 127.0.0.1 -P {port} -u root {my_db.name} -e "DROP TABLE orders"')
    # the throwaway server's port reaches the safety net: never the machine's :3306
    assert [(t.verb, t.name, t.locator) for t in ts] == [
        ("sql.drop_table", "orders", my_db.url)], ts
    protector.protect(ts, "m1")
    my_db.sql("DROP TABLE orders")
    assert my_db.sql("SHOW TABLES LIKE 'orders'") == ""
    protector.undo("m1")
    assert my_db.checksum("orders") == before


def test_mysql_drop_database_as_quarantine_then_undo_and_doctor(
        my_db: MyDB, protector: Protector) -> None:
    before = my_db.checksum("orders")
    ts = targets("DROP DATABASE " + my_db.name, kind="sql", dialect="mysql",
                 database=my_db.url)
    out = protector.quarantine(ts, "m2")
    qdb = out[-1]["quarantine"]["quarantine"]
    assert my_db.name not in my_db.databases() and qdb in my_db.databases()
    assert my_db.checksum("orders", qdb) == before
    protector.undo("m2")
    assert my_db.checksum("orders") == before
    assert qdb not in my_db.databases()
    results = protector.doctor()
    assert any(ok and "mysql:" in t and "checksums match" in t for ok, t in results), results


def test_mysql_delete_all_rows_undo(my_db: MyDB, protector: Protector) -> None:
    before = my_db.checksum("orders")
    protector.protect(targets("DELETE FROM orders", kind="sql", dialect="mysql",
                              database=my_db.url), "m3")
    my_db.sql("DELETE FROM orders")
    assert my_db.sql("SELECT COUNT(*) FROM orders") == "0"
    protector.undo("m3")
    assert my_db.checksum("orders") == before


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
    conn.close()
    # compared by the test's own reading (Python's sqlite3), not the product's checksum
    before = sqlite_dump(db)
    rows = sqlite_rows(db, "t"), sqlite_rows(db, "u")
    assert len(rows[0]) == 2000 and len(rows[1]) == 50
    protector.protect(targets(f'sqlite3 {db} "DROP TABLE t; DELETE FROM u"', cwd=ws), "s1")
    subprocess.run(["sqlite3", str(db), "DROP TABLE t; DELETE FROM u"], check=True)
    assert sqlite_dump(db) != before
    protector.undo("s1")
    assert (sqlite_rows(db, "t"), sqlite_rows(db, "u")) == rows  # rowids, values, blobs
    assert sqlite_dump(db) == before  # schema, the index, every row
    assert any(ok and "sqlite:" in t for ok, t in protector.doctor())
