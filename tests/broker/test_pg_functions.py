"""Which functions a statement runs that are not PostgreSQL's own (``pg_functions.called``);
the gateway asks the database about those (tests/broker/test_pg_gateway.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.broker.pg_functions import builtins, called


@pytest.mark.parametrize(("sql", "names"), [
    ("SELECT purge_all()", {"purge_all"}),
    ("SELECT count(*), lower(name), now(), coalesce(a, b) FROM t", set()),
    ("SELECT pg_catalog.lower('x'), information_schema._pg_truetypid(a, t) FROM t", set()),
    ("SELECT public.lower('x')", {"lower"}),  # a user's function that shadows a built-in
    ("SELECT id FROM t WHERE id = 1 AND app.cleanup(id) > 0", {"cleanup"}),
    ("INSERT INTO t VALUES (mine(1)) RETURNING theirs(id)", {"mine", "theirs"}),
    ("UPDATE t SET a = stamp() WHERE id = 2", {"stamp"}),
    ("WITH x AS (SELECT one()) DELETE FROM t WHERE id IN (SELECT * FROM x)", {"one"}),
    ("CREATE VIEW v AS SELECT purge()", {"purge"}),  # runs whenever the view is read
    ("CREATE TABLE c AS SELECT make_rows()", {"make_rows"}),
    ("COPY (SELECT dump_it()) TO STDOUT", {"dump_it"}),
    ("CREATE TABLE t (id uuid DEFAULT uuid_generate_v4())", set()),  # defined, not run
    ("CREATE INDEX ON t (lower(name))", set()),
    ("SELECT 1; SELECT purge_all()", {"purge_all"}),
    ("this is not SQL", set()),
])
def test_called_names_the_functions_that_are_not_postgresqls_own(sql: str,
                                                                   names: set[str]) -> None:
    assert set(called(sql)) == names


def test_the_builtin_list_is_postgresqls_catalog() -> None:
    own = builtins()
    assert len(own) > 2000
    assert {"count", "lower", "now", "jsonb_build_object", "generate_series",
            "ri_fkey_check_ins"} <= own
    assert "purge_all" not in own


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_an_answer(text: str) -> None:
    assert isinstance(called(text), frozenset)
