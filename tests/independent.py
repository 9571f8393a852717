"""What a restore is checked against, computed by the tests themselves.

The product checksums trees (``airlock.protect.directory.hash_tree``) and tables
(``airlock.protect.sqlite.table_checksum``) for its own use: a test that compared a
restore only through them would pass with a bad restore whenever that code were wrong
the same way twice. These walk the files and dump the rows independently."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

Entry = tuple[object, ...]


def tree_state(root: Path | str) -> dict[str, Entry]:
    """Every entry under ``root`` (itself as ``.``) → what a restore must bring back:
    a directory's mode; a file's mode, mtime (ns) and SHA-256 of its bytes; a symlink's
    target (not followed). Compare two of these with ``==`` (a diff shows the entry)."""
    base = Path(root)
    out: dict[str, Entry] = {}

    def visit(path: Path) -> None:
        rel = path.relative_to(base).as_posix() if path != base else "."
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("symlink", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            out[rel] = ("dir", oct(stat.S_IMODE(st.st_mode)))
            for child in sorted(path.iterdir()):
                visit(child)
        elif stat.S_ISREG(st.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[rel] = ("file", oct(stat.S_IMODE(st.st_mode)), st.st_mtime_ns, digest)
        else:
            out[rel] = ("other", stat.S_IFMT(st.st_mode))

    visit(base)
    return out


def sqlite_dump(path: Path | str) -> list[str]:
    """The whole SQLite database as SQL text (schema, indexes, every row), by Python's
    ``sqlite3`` ``iterdump()``: two equal dumps are the same tables, rows and indexes."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def sqlite_rows(path: Path | str, table: str) -> list[tuple[object, ...]]:
    """Every row of ``table``, rowid first, in rowid order (a plain ``SELECT``)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid').fetchall()
    finally:
        conn.close()
