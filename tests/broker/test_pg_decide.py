"""pg_decide: bound values are inlined only to decide; which writes are decided again at
Bind, with their values."""

from __future__ import annotations

import pytest
from pygwire.messages import Bind

from airlock.broker.pg_decide import BARE_PARAM, inline


@pytest.mark.parametrize("sql, values, formats, expected", [
    ("DELETE FROM t WHERE id = $1", [b"7"], [0], "DELETE FROM t WHERE id = '7'"),
    ("DELETE FROM t WHERE id = $1 OR $2", [b"1", b"true"], [0],
     "DELETE FROM t WHERE id = '1' OR 'true'"),
    ("UPDATE t SET a = $1 WHERE b = $2", [b"it's", None], [0],
     "UPDATE t SET a = 'it''s' WHERE b = NULL"),
    ("DELETE FROM t WHERE id = $1", [b"\x00\x01"], [1], "DELETE FROM t WHERE id = $1"),
    ("DELETE FROM t WHERE id = $3", [b"1"], [0], "DELETE FROM t WHERE id = $3"),
])
def test_inline_writes_text_values_as_literals(sql: str, values: list[bytes | None],
                                               formats: list[int], expected: str) -> None:
    bind = Bind(portal="", statement="s", param_formats=formats, param_values=values,
                result_formats=[])
    assert inline(sql, bind) == expected


@pytest.mark.parametrize("sql, bare", [
    ("DELETE FROM t WHERE $1", True),
    ("DELETE FROM t WHERE id = $1 OR $2::boolean", True),
    ("UPDATE t SET a = $1 WHERE NOT $2", True),
    ("DELETE FROM t WHERE ($1) AND x = 1", True),
    ("DELETE FROM t WHERE id = $1", False),
    ("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", False),
    ("DELETE FROM t WHERE x IN ($1, $2)", False),
    ("DELETE FROM t WHERE x = $1 AND y = $2", False),
])
def test_which_writes_are_decided_again_with_their_values(sql: str, bare: bool) -> None:
    assert (BARE_PARAM.search(sql) is not None) is bare
