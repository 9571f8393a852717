"""SQLite files: a consistent copy through SQLite's online backup API.

Undo of ``DROP TABLE`` recreates the table (with its indexes and triggers) from the
snapshot; undo of ``DELETE``/``UPDATE`` without ``WHERE`` and of ``TRUNCATE``-like deletes
puts the snapshot's rows back in one transaction.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import time
from typing import Any

from airlock.action import Risk, Target
from airlock.protect import ProtectError, RestoreRefused
from airlock.protect.manifest import Manifest, new_id
from airlock.protect.nets import Context
from airlock.protect.stores import put_file, read_chunks, seal

ROW_VERBS = ("sql.truncate", "sql.delete_all_rows", "sql.update_all_rows")


def db_path(target: Target) -> str:
    if not target.locator.startswith("sqlite:"):
        raise ProtectError(f"not a sqlite locator: {target.locator!r}")
    return os.path.abspath(target.locator[len("sqlite:"):])


def table_of(target: Target) -> str:
    name = target.name
    for prefix in ("table ", "schema ", "database "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.strip().strip('"`[]')


def q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def table_checksum(conn: sqlite3.Connection, table: str, schema: str = "main") -> str:
    h = hashlib.sha256()
    rows = conn.execute(f"SELECT * FROM {schema}.{q(table)}").fetchall()
    for row in sorted(repr(r) for r in rows):
        h.update(row.encode())
        h.update(b"\n")
    return h.hexdigest()


class SqliteNet:
    kind = "sqlite"

    def handles(self, target: Target) -> bool:
        return target.locator.startswith("sqlite:") and target.risk >= Risk.DESTRUCTIVE

    def describe(self, target: Target) -> str:
        return f"online backup of {db_path(target)} into the store"

    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest:
        path = db_path(target)
        if not os.path.exists(path):
            raise ProtectError(f"{path} does not exist")
        m = Manifest(new_id(), request, self.kind, target.verb, target.locator,
                     target.name if target.kind in ("table", "rows") else path, time.time())
        m.meta.update(file=path, table=table_of(target) if target.kind in ("table", "rows")
                      else "")
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            copy = os.path.join(tmp, "snap.db")
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
                tables = [r[0] for r in dst.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")]
                m.meta["checksums"] = {t: table_checksum(dst, t) for t in tables}
            finally:
                src.close()
                dst.close()
            m.blobs["db"] = put_file(ctx.store, copy, lambda n: ctx.report("snapshot", n, 0))
        return seal(ctx.store, m)

    def _fetch(self, ctx: Context, m: Manifest, dest: str) -> None:
        with ctx.store.open_blob(m.blobs["db"].sha256) as src, open(dest, "wb") as out:
            for chunk in read_chunks(src):
                out.write(chunk)

    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str:
        dest = os.path.abspath(to)
        if os.path.lexists(dest):
            raise RestoreRefused(f"{dest} exists; choose another --to")
        self._fetch(ctx, manifest, dest + ".part")
        os.rename(dest + ".part", dest)
        return dest

    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str:
        path = manifest.meta["file"]
        table = manifest.meta.get("table") or ""
        if to or not table:
            dest = to or path
            return f"restored {self.restore(ctx, manifest, dest)}"
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            snap = os.path.join(tmp, "snap.db")
            self._fetch(ctx, manifest, snap)
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                conn.execute("ATTACH DATABASE ? AS snap", (snap,))
                exists = conn.execute("SELECT 1 FROM main.sqlite_master WHERE type='table' "
                                      "AND name=?", (table,)).fetchone()
                conn.execute("BEGIN IMMEDIATE")
                if manifest.verb in ROW_VERBS:
                    if not exists:
                        raise RestoreRefused(f"table {table} no longer exists in {path}")
                    conn.execute(f"DELETE FROM main.{q(table)}")
                    conn.execute(f"INSERT INTO main.{q(table)} SELECT * FROM snap.{q(table)}")
                    what = "rows of"
                else:
                    if exists:
                        raise RestoreRefused(f"table {table} exists again in {path}; "
                                             "refusing to overwrite it (use --to)")
                    objs = conn.execute("SELECT type, sql FROM snap.sqlite_master WHERE "
                                        "tbl_name=? AND sql IS NOT NULL ORDER BY "
                                        "type='table' DESC", (table,)).fetchall()
                    for typ, sql in objs:
                        if typ == "table":
                            conn.execute(sql)
                            conn.execute(f"INSERT INTO main.{q(table)} "
                                         f"SELECT * FROM snap.{q(table)}")
                        else:
                            conn.execute(sql)
                    what = "table"
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()
        return f"restored {what} {table} in {path} from snapshot {manifest.id}"

    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str:
        dest = self.restore(ctx, manifest, os.path.join(scratch, "restored.db"))
        conn = sqlite3.connect(dest)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            for table, want in manifest.meta.get("checksums", {}).items():
                if table_checksum(conn, table) != want:
                    raise ProtectError(f"table {table}: row checksum differs after restore")
        finally:
            conn.close()
        if ok != "ok":
            raise ProtectError(f"integrity_check: {ok}")
        return f"integrity ok; {len(manifest.meta.get('checksums', {}))} table checksums match"

    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]:
        return {"kind": self.kind, "skipped": "sqlite files are protected by snapshot only"}

    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str:
        raise ProtectError("sqlite has no quarantine")

    def purge(self, ctx: Context, record: dict[str, Any]) -> str:
        return "nothing to purge"
