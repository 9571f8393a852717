"""PostgreSQL (psycopg 3 + pg_dump/pg_restore).

- ``DROP DATABASE``: snapshot ``pg_dump -Fc``; quarantine = connections refused
  (``ALLOW_CONNECTIONS false``, sessions terminated) + ``ALTER DATABASE … RENAME TO`` a
  quarantine name: instant whatever the size.
- ``DROP TABLE`` / ``DROP SCHEMA``: snapshot ``pg_dump -Fc -t/-n``; quarantine = move the
  table into schema ``airlock_quarantine`` (renamed), or rename the schema.
- ``TRUNCATE``, ``DELETE``/``UPDATE`` without ``WHERE``: ``COPY … TO STDOUT`` of the table
  first; undo puts those rows back in one transaction.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import time
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from airlock.action import Risk, Target
from airlock.protect import ProtectError, RestoreRefused
from airlock.protect.manifest import Manifest, new_id
from airlock.protect.nets import Context, short
from airlock.protect.stores import read_chunks, seal

ROW_VERBS = ("sql.truncate", "sql.delete_all_rows", "sql.update_all_rows")
QSCHEMA = "airlock_quarantine"
CHECKSUM_LIMIT = 256 << 20  # record per-table checksums for databases up to this size


def tool(name: str) -> str:
    for cand in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
                       reverse=True):
        return cand
    found = shutil.which(name)
    if not found:
        raise ProtectError(f"{name} is not installed")
    return found


def with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, ""))


def db_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def split_name(target: Target) -> tuple[str, str]:
    name = target.name
    for prefix in ("table ", "schema ", "database "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    parts = [p.strip()[1:-1] if p.strip().startswith('"') else p.strip().lower()
             for p in name.split(".")]
    if len(parts) == 1:
        return "public", parts[0]
    return parts[-2], parts[-1]


def connect(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise ProtectError(f"cannot connect to {urlsplit(url).hostname}: "
                           f"{str(exc).strip()[:200]}") from None


def ident(*names: str) -> str:
    from psycopg import sql

    return str(sql.Identifier(*names).as_string(None))


def table_checksum(conn: Any, schema: str, table: str) -> str:
    row = conn.execute(f"SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), ''))"
                       f" FROM {ident(schema, table)} x").fetchone()
    return str(row[0])


def db_checksums(conn: Any) -> dict[str, str]:
    rows = conn.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
                        "('pg_catalog', 'information_schema')").fetchall()
    return {f"{s}.{t}": table_checksum(conn, s, t) for s, t in rows}


class _Pipe:
    """A file-like reader over a subprocess' stdout that reports the bytes read."""

    def __init__(self, fh: IO[bytes], ctx: Context) -> None:
        self.fh, self.ctx, self.n = fh, ctx, 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.n += len(data)
        self.ctx.report("snapshot", self.n, 0)
        return data


def dump_into_store(ctx: Context, args: list[str]) -> Any:
    proc = subprocess.Popen([tool("pg_dump"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        blob = ctx.store.put_stream(_Pipe(proc.stdout, ctx))  # type: ignore[arg-type]
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise ProtectError(f"pg_dump failed: {err.strip()[:300]}")
    return blob


class PostgresNet:
    kind = "postgres"

    def handles(self, target: Target) -> bool:
        return (target.locator.startswith(("postgresql://", "postgres://"))
                and target.risk >= Risk.DESTRUCTIVE
                and target.verb in ("sql.drop_database", "sql.drop_table", "sql.drop_schema",
                                    *ROW_VERBS))

    def describe(self, target: Target) -> str:
        if target.verb == "sql.drop_database":
            return ("pg_dump -Fc into the store; when Airlock executes: rename to a quarantine "
                    "name with connections refused")
        if target.verb in ROW_VERBS:
            return f"COPY the rows of {target.name} into the store first"
        return (f"pg_dump -Fc of {target.name} into the store; when Airlock executes: move to "
                f"schema {QSCHEMA}")

    # ---- snapshot --------------------------------------------------------------------

    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest:
        url = ctx.url(target.locator)
        m = Manifest(new_id(), request, self.kind, target.verb, target.locator, target.name,
                     time.time())
        if target.verb == "sql.drop_database":
            db = db_of(url)
            m.name = f"database {db}"
            m.meta.update(database=db, what="database")
            with connect(url) as conn:
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
                m.meta["db_size"] = int(size)
                if size <= CHECKSUM_LIMIT:
                    m.meta["checksums"] = db_checksums(conn)
            m.blobs["dump"] = dump_into_store(ctx, ["-Fc", "-d", url])
            return seal(ctx.store, m)
        schema, table = split_name(target)
        m.meta.update(database=db_of(url), schema=schema, table=table)
        if target.verb == "sql.drop_schema":
            schema = table
            m.meta.update(what="schema", schema=schema, table="")
            with connect(url) as conn:
                rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname=%s",
                                    (schema,)).fetchall()
                m.meta["checksums"] = {f"{schema}.{t}": table_checksum(conn, schema, t)
                                       for (t,) in rows}
            m.blobs["dump"] = dump_into_store(ctx, ["-Fc", "-n", ident(schema), "-d", url])
            return seal(ctx.store, m)
        with connect(url) as conn:
            found = conn.execute("SELECT 1 FROM pg_tables WHERE schemaname=%s AND "
                                 "tablename=%s", (schema, table)).fetchone()
            if not found:
                raise ProtectError(f"table {schema}.{table} does not exist in {db_of(url)}")
            m.meta["checksums"] = {f"{schema}.{table}": table_checksum(conn, schema, table)}
            if target.verb in ROW_VERBS:
                m.meta["what"] = "rows"
                import io

                buf = io.BytesIO()
                with conn.cursor() as cur, cur.copy(
                        f"COPY {ident(schema, table)} TO STDOUT") as cp:
                    for chunk in cp:
                        buf.write(chunk)
                buf.seek(0)
                m.blobs["rows"] = ctx.store.put_stream(buf)
                return seal(ctx.store, m)
        m.meta["what"] = "table"
        m.blobs["dump"] = dump_into_store(ctx, ["-Fc", "-t", ident(schema, table), "-d", url])
        return seal(ctx.store, m)

    # ---- restore ---------------------------------------------------------------------

    def _restore_dump(self, ctx: Context, m: Manifest, url: str) -> None:
        proc = subprocess.Popen([tool("pg_restore"), "--exit-on-error", "--no-owner",
                                 "-d", url], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL)
        assert proc.stdin is not None
        done = 0
        total = m.blobs["dump"].size
        try:
            with ctx.store.open_blob(m.blobs["dump"].sha256) as src:
                for chunk in read_chunks(src):
                    proc.stdin.write(chunk)
                    done += len(chunk)
                    ctx.report("restore", done, total)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise ProtectError(f"pg_restore failed: {err.strip()[:300]}")

    def _copy_rows_in(self, ctx: Context, m: Manifest, conn: Any, table_sql: str) -> None:
        with conn.cursor() as cur, cur.copy(f"COPY {table_sql} FROM STDIN") as cp, \
                ctx.store.open_blob(m.blobs["rows"].sha256) as src:
            for chunk in read_chunks(src):
                cp.write(chunk)

    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str:
        """Restore into database ``to`` (created; refused if it exists) on the same server."""
        url = ctx.url(manifest.source)
        what = manifest.meta.get("what")
        with connect(with_db(url, "postgres")) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (to,)).fetchone():
                raise RestoreRefused(f"database {to} exists; choose another --to")
            conn.execute(f"CREATE DATABASE {ident(to)}")
        target = with_db(url, to)
        if what == "rows":
            s, t = manifest.meta["schema"], manifest.meta["table"]
            with connect(url) as src, connect(target) as dst:
                ddl = self._table_ddl(src, s, t)
                dst.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(s)}")
                dst.execute(ddl)
                with dst.transaction():
                    self._copy_rows_in(ctx, manifest, dst, ident(s, t))
        else:
            self._restore_dump(ctx, manifest, target)
        return f"database {to}"

    @staticmethod
    def _table_ddl(conn: Any, schema: str, table: str) -> str:
        cols = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid=a.attrelid JOIN pg_namespace n ON n.oid=c.relnamespace "
            "WHERE n.nspname=%s AND c.relname=%s AND a.attnum>0 AND NOT a.attisdropped "
            "ORDER BY a.attnum", (schema, table)).fetchall()
        body = ", ".join(f"{ident(c)} {typ}" for c, typ in cols)
        return f"CREATE TABLE {ident(schema, table)} ({body})"

    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str:
        url = ctx.url(manifest.source)
        meta = manifest.meta
        what = meta.get("what")
        if what == "database":
            name = to or meta["database"]
            self.restore(ctx, manifest, name)
            return f"restored database {name} from snapshot {manifest.id}"
        if to:
            return f"restored into {self.restore(ctx, manifest, to)}"
        s, t = meta["schema"], meta["table"]
        with connect(url) as conn:
            if what == "rows":
                with conn.transaction():
                    if not conn.execute("SELECT 1 FROM pg_tables WHERE schemaname=%s AND "
                                        "tablename=%s", (s, t)).fetchone():
                        raise RestoreRefused(f"table {s}.{t} no longer exists")
                    conn.execute(f"DELETE FROM {ident(s, t)}")
                    self._copy_rows_in(ctx, manifest, conn, ident(s, t))
                return f"restored the rows of {s}.{t} from snapshot {manifest.id}"
            if what == "schema":
                if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname=%s",
                                (s,)).fetchone():
                    raise RestoreRefused(f"schema {s} exists now; refusing to overwrite it "
                                         "(use --to DATABASE)")
            elif conn.execute("SELECT 1 FROM pg_tables WHERE schemaname=%s AND tablename=%s",
                              (s, t)).fetchone():
                raise RestoreRefused(f"table {s}.{t} exists now; refusing to overwrite it "
                                     "(use --to DATABASE)")
        self._restore_dump(ctx, manifest, url)
        return f"restored {manifest.name} from snapshot {manifest.id}"

    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str:
        name = f"airlock_doctor_{secrets.token_hex(4)}"
        url = ctx.url(manifest.source)
        try:
            self.restore(ctx, manifest, name)
            want: dict[str, str] = manifest.meta.get("checksums") or {}
            with connect(with_db(url, name)) as conn:
                for key, digest in want.items():
                    s, t = key.split(".", 1)
                    if table_checksum(conn, s, t) != digest:
                        raise ProtectError(f"table {key}: checksum differs after restore")
            return (f"restored into scratch database; {len(want)} table checksums match"
                    if want else "restored into scratch database (too big for checksums)")
        finally:
            with connect(with_db(url, "postgres")) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")

    # ---- quarantine ------------------------------------------------------------------

    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]:
        url = ctx.url(target.locator)
        tag = short(request, 10)
        if target.verb == "sql.drop_database":
            db = db_of(url)
            qname = f"airlock_q_{tag}_{db}"[:63]
            with connect(with_db(url, "postgres")) as conn:
                conn.execute(f"ALTER DATABASE {ident(db)} ALLOW_CONNECTIONS false")
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname=%s AND pid<>pg_backend_pid()", (db,))
                for _ in range(50):
                    try:
                        conn.execute(f"ALTER DATABASE {ident(db)} RENAME TO {ident(qname)}")
                        break
                    except Exception:  # noqa: BLE001 - a session still closing; retry
                        time.sleep(0.05)
                else:
                    conn.execute(f"ALTER DATABASE {ident(db)} ALLOW_CONNECTIONS true")
                    raise ProtectError(f"database {db} still has sessions; not quarantined")
            return {"kind": self.kind, "what": "database", "name": db, "quarantine": qname}
        schema, table = split_name(target)
        with connect(url) as conn, conn.transaction():
            if target.verb == "sql.drop_schema":
                qname = f"airlock_q_{tag}_{table}"[:63]
                conn.execute(f"ALTER SCHEMA {ident(table)} RENAME TO {ident(qname)}")
                return {"kind": self.kind, "what": "schema", "name": table,
                        "quarantine": qname, "database": db_of(url)}
            if target.verb != "sql.drop_table":
                return {"kind": self.kind, "skipped": "rows are protected by snapshot only"}
            qname = f"{table}__{tag}"[:63]
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {QSCHEMA}")
            conn.execute(f"ALTER TABLE {ident(schema, table)} RENAME TO {ident(qname)}")
            conn.execute(f"ALTER TABLE {ident(schema, qname)} SET SCHEMA {QSCHEMA}")
        return {"kind": self.kind, "what": "table", "name": f"{schema}.{table}",
                "schema": schema, "table": table, "quarantine": f"{QSCHEMA}.{qname}",
                "database": db_of(url)}

    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str:
        url = ctx.url(record["source"])
        what = record["what"]
        if what == "database":
            name = to or record["name"]
            with connect(with_db(url, "postgres")) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname=%s",
                                (name,)).fetchone():
                    raise RestoreRefused(f"database {name} exists now; refusing to overwrite "
                                         "it (use --to)")
                conn.execute(f"ALTER DATABASE {ident(record['quarantine'])} RENAME TO "
                             f"{ident(name)}")
                conn.execute(f"ALTER DATABASE {ident(name)} ALLOW_CONNECTIONS true")
            return f"database {record['quarantine']} renamed back to {name}"
        with connect(url) as conn, conn.transaction():
            if what == "schema":
                name = to or record["name"]
                if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname=%s",
                                (name,)).fetchone():
                    raise RestoreRefused(f"schema {name} exists now (use --to)")
                conn.execute(f"ALTER SCHEMA {ident(record['quarantine'])} RENAME TO "
                             f"{ident(name)}")
                return f"schema {record['quarantine']} renamed back to {name}"
            schema, table = record["schema"], to or record["table"]
            qname = record["quarantine"].split(".", 1)[1]
            if conn.execute("SELECT 1 FROM pg_tables WHERE schemaname=%s AND tablename=%s",
                            (schema, table)).fetchone():
                raise RestoreRefused(f"table {schema}.{table} exists now (use --to NAME)")
            conn.execute(f"ALTER TABLE {ident(QSCHEMA, qname)} SET SCHEMA {ident(schema)}")
            conn.execute(f"ALTER TABLE {ident(schema, qname)} RENAME TO {ident(table)}")
        return f"table {record['quarantine']} moved back to {schema}.{table}"

    def purge(self, ctx: Context, record: dict[str, Any]) -> str:
        url = ctx.url(record["source"])
        if record["what"] == "database":
            with connect(with_db(url, "postgres")) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {ident(record['quarantine'])} "
                             "WITH (FORCE)")
        else:
            with connect(url) as conn:
                if record["what"] == "schema":
                    conn.execute(f"DROP SCHEMA IF EXISTS {ident(record['quarantine'])} CASCADE")
                else:
                    conn.execute(f"DROP TABLE IF EXISTS "
                                 f"{ident(*record['quarantine'].split('.', 1))}")
        return f"purged {record['quarantine']}"


def pg_env() -> dict[str, str]:
    return dict(os.environ)
