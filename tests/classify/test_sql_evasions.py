"""SQL that removes data while looking like a narrow change: a filter every row passes
(``id IS NOT NULL``), a self-join, ``MERGE … THEN DELETE``, a type change that throws the
values away. Each is destructive; its narrow neighbour stays a write."""

from __future__ import annotations

import pytest

from tests.support import decide


@pytest.mark.parametrize(("sql", "dialects", "verb"), [
    ("DELETE FROM users WHERE id IS NOT NULL", ("postgres", "mysql", "sqlite"),
     "sql.delete_all_rows"),
    ("UPDATE users SET email = NULL WHERE id IS NOT NULL", ("postgres", "mysql", "sqlite"),
     "sql.update_all_rows"),
    ("DELETE FROM users WHERE (id IS NOT NULL OR id = 1)", ("postgres", "mysql"),
     "sql.delete_all_rows"),
    ("DELETE FROM users a USING users b WHERE a.id = b.id", ("postgres",),
     "sql.delete_all_rows"),
    ("MERGE INTO users u USING staging s ON u.id = s.id WHEN MATCHED THEN DELETE",
     ("postgres", "sqlite"), "sql.merge_delete"),
    ("ALTER TABLE users ALTER COLUMN email TYPE text USING NULL", ("postgres",),
     "sql.alter_column_type"),
])
def test_wide_changes_in_narrow_clothes_are_destructive(sql: str, dialects: tuple[str, ...],
                                                        verb: str) -> None:
    for dialect in dialects:
        d = decide(sql, kind="sql", dialect=dialect)
        assert (d.targets[0].verb, d.targets[0].risk.label) == (verb, "destructive"), \
            (dialect, d.targets)


@pytest.mark.parametrize("sql", [
    "DELETE FROM users WHERE id = 5",
    "DELETE FROM users WHERE id IS NOT NULL AND id = 3",
    "DELETE FROM users a USING orders b WHERE a.id = b.user_id",
    "MERGE INTO users u USING staging s ON u.id = s.id WHEN MATCHED THEN UPDATE SET n = s.n",
    "ALTER TABLE users ALTER COLUMN n TYPE bigint USING n::bigint",
])
def test_their_narrow_neighbours_stay_writes(sql: str) -> None:
    d = decide(sql, kind="sql", dialect="postgres")
    assert d.targets[0].risk.label == "write", d.targets
