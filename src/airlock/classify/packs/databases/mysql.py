"""MySQL's and MariaDB's clients: mysql/mariadb (SQL from ``-e``, ``--init-command``,
stdin, and client commands such as ``use`` and ``source``), mysqladmin and mysqldump."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs.base import Pack
from airlock.classify.packs.databases.base import (
    CATASTROPHIC,
    DESTRUCTIVE,
    MAX_INCLUDE_DEPTH,
    READ,
    WRITE,
    Conn,
    DbPack,
    Options,
    Session,
    file_write,
    has_option,
    mysql_conn,
    options_of,
    read_script,
    stdin_of,
    unquote_arg,
)
from airlock.classify.sql import SQL_WHITESPACE

_MYSQL_TAKES = frozenset(
    {
        "-e",
        "--execute",
        "-h",
        "--host",
        "-P",
        "--port",
        "-u",
        "--user",
        "-D",
        "--database",
        "-S",
        "--socket",
        "--defaults-file",
        "--defaults-extra-file",
        "--login-path",
        "--protocol",
        "--default-character-set",
        "--init-command",
        "--tee",
        "--pager",
        "-O",
        "--set-variable",
        "--ssl-ca",
        "--ssl-cert",
        "--ssl-key",
        "--ssl-mode",
        "--plugin-dir",
        "--default-auth",
        "--connect-timeout",
        "--max-allowed-packet",
        "--net-buffer-length",
        "--bind-address",
        "--histignore",
        "--result-file",
        "-r",
        "--where",
        "-w",
        "--ignore-table",
        "--tables",
    }
)

_MYSQL_USE = re.compile(r"(?i)^\s*(?:use|\\u)\s+[`'\"]?([^`'\";\s]+)[`'\"]?\s*;?\s*$")
_MYSQL_CONNECT = re.compile(
    r"(?i)^\s*(?:connect|\\r)(?:\s+[`'\"]?([^`'\";\s]+)[`'\"]?)?(?:\s+(\S+))?\s*;?\s*$"
)
_MYSQL_SOURCE = re.compile(r"(?i)^\s*(?:source|\\\.)\s+(.+?)\s*;?\s*$")
_MYSQL_SHELL = re.compile(r"(?i)^\s*(?:system|\\!)(\s|$)")
_MYSQL_DELIMITER = re.compile(r"(?i)^\s*(?:delimiter|\\d)(\s|$)")
_MYSQL_TEE = re.compile(r"(?i)^\s*(?:tee|\\T)\s+(\S+?)\s*;?\s*$")
_MYSQL_PAGER = re.compile(r"(?i)^\s*(?:pager|\\P)\s+\S")
_MYSQL_QUIET = re.compile(
    r"(?i)^\s*(?:status|\\s|help|\\h|\?|\\\?|clear|\\c|exit|quit|\\q|go|\\g|ego|\\G|print|\\p|"
    r"rehash|\\#|warnings|\\W|nowarning|\\w|notee|\\t|nopager|\\n|pager|\\P|resetconnection|"
    r"\\x|charset\s+\S+|\\C\s+\S+|prompt.*|\\R.*)\s*;?\s*$"
)


def _strip_password_args(args: Sequence[Word]) -> list[Word]:
    """mysql's ``-pSECRET`` / ``--password=…`` take an optional attached value only."""
    kept = []
    for w in args:
        t = w.text
        if not w.dynamic and (
            (t.startswith("-p") and not t.startswith("--")) or t.startswith("--password")
        ):
            continue
        kept.append(w)
    return kept


class MysqlPack(DbPack):
    """mysql / mariadb: SQL from -e, --init-command and stdin; client commands understood."""

    def rule_args(self, cmd: SimpleCommand) -> list[Word]:
        return _strip_password_args(cmd.args)

    def connection(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Conn:
        positionals, opts = split_options(_strip_password_args(cmd.args), _MYSQL_TAKES)
        return mysql_conn(cmd, ctx, opts, positionals[0] if positionals else None)

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(_strip_password_args(cmd.args), _MYSQL_TAKES)
        conn = mysql_conn(cmd, ctx, options, positionals[0] if positionals else None)
        s = Session(self.name, "mysql", conn, cmd, ctx)
        if has_option(options, "-V", "--version", "-?", "--help", "-I"):
            return s.finish("sql.help", "--help/--version")
        for word in options_of(options, "--tee"):
            if word is not None:
                s.add(file_write(ctx, word, self.name, "--tee writes the session to a file"))
        for word in options_of(options, "--init-command"):
            s.word_sql(word, "--init-command", lambda text: s.sql(text, "--init-command"))
        executes = options_of(options, "-e", "--execute")
        for word in executes:
            s.word_sql(word, f"{self.name} -e", lambda text: self.script(s, text, "-e", ctx.cwd, 0))
        if not executes:
            stdin = stdin_of(cmd, ctx)
            if stdin.problem:
                s.unparsed(stdin.problem)
            elif stdin.text is not None:
                self.script(s, stdin.text, "stdin", stdin.base or ctx.cwd, 0)
            else:
                s.db("sql.session", READ, "interactive session")
        return s.finish()

    def script(self, s: Session, text: str, where: str, base: str, depth: int) -> None:
        buffer: list[str] = []

        def flush() -> None:
            chunk = "\n".join(buffer)
            buffer.clear()
            if chunk.strip(SQL_WHITESPACE):
                s.sql(chunk, where)

        for raw in text.splitlines():
            line = re.sub(r"\\[gG]\s*$", ";", raw)  # \g / \G end a statement
            pending = "\n".join(buffer).strip()
            at_start = not pending or pending.endswith(";")
            if not at_start:
                buffer.append(line)
                continue
            if m := _MYSQL_USE.match(line):
                flush()
                s.conn.dbname = m.group(1)
                s.db("sql.use", READ, "use")
            elif m := _MYSQL_CONNECT.match(line):
                flush()
                if m.group(1):
                    s.conn.dbname = m.group(1)
                if m.group(2):
                    s.conn.host = m.group(2)
                s.db("sql.connect", READ, "connect")
            elif m := _MYSQL_SOURCE.match(line):
                flush()
                self._source(s, unquote_arg(m.group(1)), base, depth)
            elif _MYSQL_SHELL.match(line):
                s.unparsed(f"'system' runs a shell command: {line.strip()[:80]!r}")
            elif _MYSQL_DELIMITER.match(line):
                s.unparsed("DELIMITER: stored program bodies are not analysed")
                return
            elif m := _MYSQL_TEE.match(line):
                s.add(file_write(s.ctx, Word(m.group(1)), self.name, "tee writes a file"))
            elif _MYSQL_PAGER.match(line):
                s.unparsed(f"pager runs a shell command: {line.strip()[:80]!r}")
            elif _MYSQL_QUIET.match(line):
                continue
            else:
                buffer.append(line)
        flush()

    def _source(self, s: Session, path: str, base: str, depth: int) -> None:
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f"source {path}: includes nested too deeply")
            return
        full = os.path.join(base, path) if not os.path.isabs(path) else path
        text = read_script(s.ctx, full)
        if text is None:
            s.unparsed(f"source {path}: cannot see the SQL")
            return
        self.script(s, text, f"source {path}", os.path.dirname(s.ctx.abspath(full)), depth + 1)


_MYSQLADMIN: dict[str, tuple[str, Risk, int]] = {
    # command → (verb, risk, number of arguments it takes)
    "create": ("sql.create_database", WRITE, 1),
    "drop": ("sql.drop_database", CATASTROPHIC, 1),
    "kill": ("sql.kill", DESTRUCTIVE, 1),
    "shutdown": ("sql.shutdown", DESTRUCTIVE, 0),
    "password": ("sql.alter_role", WRITE, 1),
    "old-password": ("sql.alter_role", WRITE, 1),
    "debug": ("sql.debug", WRITE, 0),
    "flush-hosts": ("sql.flush", WRITE, 0),
    "flush-logs": ("sql.flush", WRITE, 0),
    "flush-privileges": ("sql.flush", WRITE, 0),
    "flush-status": ("sql.flush", WRITE, 0),
    "flush-tables": ("sql.flush", WRITE, 0),
    "flush-threads": ("sql.flush", WRITE, 0),
    "refresh": ("sql.flush", WRITE, 0),
    "reload": ("sql.flush", WRITE, 0),
    "start-replica": ("sql.replication", WRITE, 0),
    "start-slave": ("sql.replication", WRITE, 0),
    "stop-replica": ("sql.replication", WRITE, 0),
    "stop-slave": ("sql.replication", WRITE, 0),
    "extended-status": ("sql.status", READ, 0),
    "ping": ("sql.status", READ, 0),
    "processlist": ("sql.status", READ, 0),
    "status": ("sql.status", READ, 0),
    "variables": ("sql.status", READ, 0),
    "version": ("sql.status", READ, 0),
}


class MysqladminPack(DbPack):
    """mysqladmin: ``drop DB`` is catastrophic, ``kill``/``shutdown`` destructive, flushes
    writes. Commands may be abbreviated to a unique prefix, as mysqladmin allows."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(_strip_password_args(cmd.args), _MYSQL_TAKES)
        conn = mysql_conn(cmd, ctx, options, None)
        tool = cmd.program
        targets: list[Target] = []
        i = 0
        while i < len(positionals):
            word = positionals[i]
            if word.unknown:
                ctx.unparsed(f"{tool}: command comes from a variable")
                targets.append(conn.target("sql.unknown", DESTRUCTIVE, tool, "not visible"))
                break
            name = word.text.lower()
            matches = [c for c in _MYSQLADMIN if c == name] or [
                c for c in _MYSQLADMIN if c.startswith(name)
            ]
            if len(matches) != 1:
                ctx.unparsed(f"{tool}: unknown command {word.text!r}")
                targets.append(conn.target("sql.unknown", WRITE, tool, word.text))
                i += 1
                continue
            verb, risk, nargs = _MYSQLADMIN[matches[0]]
            args = positionals[i + 1 : i + 1 + nargs]
            i += 1 + nargs
            if matches[0] in ("create", "drop") and args:
                db = Conn(conn.scheme, conn.host, conn.port, conn.user, args[0].shown)
                db.unresolved = conn.unresolved or args[0].unknown
                targets.append(db.target(verb, risk, tool, f"mysqladmin {matches[0]}"))
            else:
                targets.append(conn.target(verb, risk, tool, f"mysqladmin {matches[0]}"))
        return targets or [conn.target("sql.status", READ, tool, "mysqladmin")]


_MYSQLDUMP_TAKES = _MYSQL_TAKES | {"-r", "--result-file"}


class MysqldumpPack(DbPack):
    """mysqldump / mariadb-dump: a read; ``-r`` over an existing file is a write on it."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(_strip_password_args(cmd.args), _MYSQLDUMP_TAKES)
        all_dbs = has_option(options, "-A", "--all-databases")
        dbs: list[Word | None] = list(
            positionals if has_option(options, "-B", "--databases") else positionals[:1]
        )
        targets: list[Target] = []
        for db in dbs or [None]:
            conn = mysql_conn(cmd, ctx, options, None if all_dbs else db)
            detail = "dumps every database" if all_dbs else "reads the database"
            targets.append(conn.target("sql.dump", READ, self.name, detail))
        for word in options_of(options, "-r", "--result-file"):
            if word is not None:
                t = file_write(ctx, word, self.name, "mysqldump writes the dump to this file")
                if t is not None:
                    targets.append(t)
        return targets


PACKS: list[Pack] = [
    MysqlPack(
        name="mysql",
        programs=("mysql", "mariadb"),
        kind="database",
        takes_value=_MYSQL_TAKES,
        description="MySQL / MariaDB client: SQL from -e and stdin",
    ),
    MysqladminPack(
        name="mysqladmin",
        programs=("mysqladmin", "mariadb-admin"),
        kind="database",
        takes_value=_MYSQL_TAKES,
        description="MySQL administration: drop, kill, shutdown, flush-*",
    ),
    MysqldumpPack(
        name="mysqldump",
        programs=("mysqldump", "mariadb-dump"),
        kind="database",
        description="MySQL dumps (reads)",
    ),
]
