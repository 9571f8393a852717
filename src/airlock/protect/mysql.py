"""MySQL / MariaDB (the ``mysql`` and ``mysqldump`` clients).

- ``DROP TABLE``: snapshot ``mysqldump db table``; quarantine = ``RENAME TABLE`` into the
  database ``airlock_quarantine``.
- ``DROP DATABASE``: snapshot ``mysqldump db`` (routines, triggers, events); quarantine =
  one atomic ``RENAME TABLE`` of every base table into ``airlock_q_<request>_<db>``, then
  the emptied database is dropped (its views and routines come back from the snapshot).
- ``TRUNCATE``, ``DELETE``/``UPDATE`` without ``WHERE``: the table's dump first; undo
  replays it (``DROP TABLE IF EXISTS`` + ``CREATE`` + rows).

Dumps never carry ``CREATE DATABASE``/``USE``, so any snapshot restores into any database.
Connection: the locator ``mysql://user@host:port/db``; a password from
``[[protect.credentials]]`` goes to the clients through ``MYSQL_PWD``, never argv.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from airlock.action import Risk, Target
from airlock.protect import ProtectError, RestoreRefused
from airlock.protect.manifest import Manifest, new_id
from airlock.protect.nets import Context, short
from airlock.protect.stores import read_chunks, seal

ROW_VERBS = ("sql.truncate", "sql.delete_all_rows", "sql.update_all_rows")
QDB = "airlock_quarantine"


def _tool(*names: str) -> str:
    for n in names:
        found = shutil.which(n)
        if found:
            return found
    raise ProtectError(f"{names[0]} is not installed")


def qi(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class Conn:
    def __init__(self, url: str) -> None:
        p = urlsplit(url)
        self.host = p.hostname or "127.0.0.1"
        self.port = p.port or 3306
        self.user = unquote(p.username or "root")
        self.password = unquote(p.password or "")
        self.db = p.path.lstrip("/")

    def args(self) -> list[str]:
        return ["--protocol=TCP", "-h", self.host, "-P", str(self.port), "-u", self.user]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["MYSQL_PWD"] = self.password
        return env

    def sql(self, statement: str, db: str = "") -> list[list[str]]:
        cmd = [_tool("mysql", "mariadb"), *self.args(), "-N", "-B", "-e", statement]
        if db:
            cmd.append(db)
        proc = subprocess.run(cmd, capture_output=True, env=self.env(), timeout=600)
        if proc.returncode != 0:
            raise ProtectError(f"mysql: {proc.stderr.decode(errors='replace').strip()[:300]}")
        return [line.split("\t") for line in proc.stdout.decode().splitlines()]

    def exists_db(self, db: str) -> bool:
        return bool(self.sql(f"SELECT 1 FROM information_schema.schemata WHERE schema_name="
                             f"'{db.replace(chr(39), '')}'"))

    def exists_table(self, db: str, table: str) -> bool:
        return bool(self.sql("SELECT 1 FROM information_schema.tables WHERE table_schema="
                             f"'{db.replace(chr(39), '')}' AND table_name="
                             f"'{table.replace(chr(39), '')}'"))

    def base_tables(self, db: str) -> list[str]:
        return [r[0] for r in self.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema="
            f"'{db.replace(chr(39), '')}' AND table_type='BASE TABLE' ORDER BY table_name")]

    def checksum(self, db: str, table: str) -> str:
        rows = self.sql(f"CHECKSUM TABLE {qi(db)}.{qi(table)} EXTENDED")
        return rows[0][1] if rows else ""


def table_name(target: Target) -> tuple[str, str]:
    name = target.name
    for prefix in ("table ", "database "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    parts = [p.strip().strip("`") for p in name.split(".")]
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


class MysqlNet:
    kind = "mysql"

    def handles(self, target: Target) -> bool:
        return (target.locator.startswith(("mysql://", "mariadb://"))
                and target.risk >= Risk.DESTRUCTIVE
                and target.verb in ("sql.drop_database", "sql.drop_table", *ROW_VERBS))

    def describe(self, target: Target) -> str:
        if target.verb == "sql.drop_database":
            return ("mysqldump into the store; when Airlock executes: RENAME TABLE every "
                    "table into a quarantine database")
        return (f"mysqldump of {target.name} into the store; when Airlock executes: "
                f"RENAME TABLE into {QDB}")

    def _dump(self, ctx: Context, c: Conn, db: str, tables: list[str]) -> Any:
        cmd = [_tool("mysqldump", "mariadb-dump"), *c.args(), "--single-transaction",
               "--routines", "--triggers", "--events", "--hex-blob", db, *tables]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=c.env())
        assert proc.stdout is not None
        try:
            blob = ctx.store.put_stream(proc.stdout)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise ProtectError(f"mysqldump failed: {err.strip()[:300]}")
        return blob

    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest:
        c = Conn(ctx.url(target.locator))
        m = Manifest(new_id(), request, self.kind, target.verb, target.locator, target.name,
                     time.time())
        if target.verb == "sql.drop_database":
            db = c.db
            if not c.exists_db(db):
                raise ProtectError(f"database {db} does not exist")
            tables = c.base_tables(db)
            m.meta.update(what="database", database=db,
                          checksums={t: c.checksum(db, t) for t in tables})
            m.blobs["dump"] = self._dump(ctx, c, db, [])
            return seal(ctx.store, m)
        db, table = table_name(target)
        db = db or c.db
        if not c.exists_table(db, table):
            raise ProtectError(f"table {db}.{table} does not exist")
        m.meta.update(what="rows" if target.verb in ROW_VERBS else "table", database=db,
                      table=table, checksums={table: c.checksum(db, table)})
        m.blobs["dump"] = self._dump(ctx, c, db, [table])
        return seal(ctx.store, m)

    def _load(self, ctx: Context, c: Conn, m: Manifest, db: str) -> None:
        cmd = [_tool("mysql", "mariadb"), *c.args(), db]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, env=c.env())
        assert proc.stdin is not None
        try:
            with ctx.store.open_blob(m.blobs["dump"].sha256) as src:
                for chunk in read_chunks(src):
                    proc.stdin.write(chunk)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise ProtectError(f"mysql restore failed: {err.strip()[:300]}")

    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str:
        c = Conn(ctx.url(manifest.source))
        if c.exists_db(to):
            raise RestoreRefused(f"database {to} exists; choose another --to")
        c.sql(f"CREATE DATABASE {qi(to)}")
        self._load(ctx, c, manifest, to)
        return f"database {to}"

    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str:
        c = Conn(ctx.url(manifest.source))
        meta = manifest.meta
        if meta["what"] == "database" or to:
            name = to or meta["database"]
            self.restore(ctx, manifest, name)
            return f"restored {manifest.name} into database {name}"
        db, table = meta["database"], meta["table"]
        if meta["what"] == "table" and c.exists_table(db, table):
            raise RestoreRefused(f"table {db}.{table} exists now; refusing to overwrite it "
                                 "(use --to DATABASE)")
        self._load(ctx, c, manifest, db)
        return f"restored {db}.{table} from snapshot {manifest.id}"

    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str:
        c = Conn(ctx.url(manifest.source))
        name = f"airlock_doctor_{secrets.token_hex(4)}"
        try:
            self.restore(ctx, manifest, name)
            want: dict[str, str] = manifest.meta.get("checksums", {})
            for table, digest in want.items():
                if c.checksum(name, table) != digest:
                    raise ProtectError(f"table {table}: checksum differs after restore")
            return f"restored into scratch database; {len(want)} table checksums match"
        finally:
            c.sql(f"DROP DATABASE IF EXISTS {qi(name)}")

    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]:
        c = Conn(ctx.url(target.locator))
        tag = short(request, 10)
        if target.verb == "sql.drop_database":
            db = c.db
            qdb = f"airlock_q_{tag}_{db}"[:64]
            tables = c.base_tables(db)
            c.sql(f"CREATE DATABASE {qi(qdb)}")
            if tables:
                pairs = ", ".join(f"{qi(db)}.{qi(t)} TO {qi(qdb)}.{qi(t)}" for t in tables)
                c.sql(f"RENAME TABLE {pairs}")
            c.sql(f"DROP DATABASE {qi(db)}")
            return {"kind": self.kind, "what": "database", "name": db, "quarantine": qdb,
                    "tables": tables}
        if target.verb != "sql.drop_table":
            return {"kind": self.kind, "skipped": "rows are protected by snapshot only"}
        db, table = table_name(target)
        db = db or c.db
        qname = f"{db}__{table}__{tag}"[:64]
        c.sql(f"CREATE DATABASE IF NOT EXISTS {QDB}")
        c.sql(f"RENAME TABLE {qi(db)}.{qi(table)} TO {QDB}.{qi(qname)}")
        return {"kind": self.kind, "what": "table", "name": f"{db}.{table}", "database": db,
                "table": table, "quarantine": f"{QDB}.{qname}"}

    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str:
        c = Conn(ctx.url(record["source"]))
        if record["what"] == "database":
            db, qdb = to or record["name"], record["quarantine"]
            if c.exists_db(db):
                raise RestoreRefused(f"database {db} exists now; refusing to overwrite it "
                                     "(use --to)")
            c.sql(f"CREATE DATABASE {qi(db)}")
            tables = record.get("tables", [])
            if tables:
                pairs = ", ".join(f"{qi(qdb)}.{qi(t)} TO {qi(db)}.{qi(t)}" for t in tables)
                c.sql(f"RENAME TABLE {pairs}")
            c.sql(f"DROP DATABASE {qi(qdb)}")
            return f"tables of {qdb} moved back into database {db}"
        db, table = record["database"], to or record["table"]
        if c.exists_table(db, table):
            raise RestoreRefused(f"table {db}.{table} exists now (use --to NAME)")
        qname = record["quarantine"].split(".", 1)[1]
        c.sql(f"RENAME TABLE {QDB}.{qi(qname)} TO {qi(db)}.{qi(table)}")
        return f"table {record['quarantine']} moved back to {db}.{table}"

    def purge(self, ctx: Context, record: dict[str, Any]) -> str:
        c = Conn(ctx.url(record["source"]))
        if record["what"] == "database":
            c.sql(f"DROP DATABASE IF EXISTS {qi(record['quarantine'])}")
        else:
            qname = record["quarantine"].split(".", 1)[1]
            c.sql(f"DROP TABLE IF EXISTS {QDB}.{qi(qname)}")
        return f"purged {record['quarantine']}"
