"""The SQLite shell (sqlite3/sqlite): SQL arguments, ``-cmd``, ``-init``, stdin and
dot-commands (``.read``, ``.import``, ``.restore``, ``.shell`` …)."""

from __future__ import annotations

import shlex
from urllib.parse import unquote, urlsplit

from airlock.action import Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack
from airlock.classify.packs.databases.base import (
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
    options_of,
    read_script,
    stdin_of,
)
from airlock.classify.sql import SQL_WHITESPACE

_SQLITE_TAKES = frozenset(
    {
        "-cmd",
        "-init",
        "-separator",
        "-newline",
        "-nullvalue",
        "-mmap",
        "-vfs",
        "-heap",
        "-pagecache",
        "-lookaside",
        "-maxsize",
        "-threadsafe",
        "-sorterref",
        "-escape",
        "-pcachetrace",
        "-memtrace",
        "-A",
        "-archive",
    }
)

_SQLITE_READ_DOT = frozenset(
    {
        "tables",
        "table",
        "schema",
        "indexes",
        "indices",
        "dump",
        "mode",
        "headers",
        "header",
        "show",
        "databases",
        "dbinfo",
        "help",
        "quit",
        "exit",
        "timer",
        "width",
        "nullvalue",
        "separator",
        "print",
        "prompt",
        "eqp",
        "explain",
        "echo",
        "bail",
        "changes",
        "stats",
        "lint",
        "fullschema",
        "expert",
        "sha3sum",
        "limit",
        "parameter",
        "vfsinfo",
        "vfslist",
        "vfsname",
        "selftest",
        "scanstats",
        "timeout",
        "progress",
        "crnl",
        "binary",
        "check",
        "testcase",
        "cd",
        "recover",
        "connection",
        "columns",
        "intck",
        "unmodule",
        "www",
        "excel",
    }
)


class Sqlite3Pack(DbPack):
    """sqlite3 DB [SQL…]: SQL and dot-commands from arguments, -cmd, -init and stdin."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        # sqlite3 options take one dash (``-header``; ``--header`` works too) and may come
        # anywhere; the first other word is the database, the rest are SQL or dot-commands
        positionals: list[Word] = []
        options: Options = {}
        items = list(cmd.args)
        i = 0
        while i < len(items):
            w = items[i]
            if not w.dynamic and w.text.startswith("-") and len(w.text) > 1:
                name = "-" + w.text.lstrip("-")
                if name in _SQLITE_TAKES and i + 1 < len(items):
                    options.setdefault(name, []).append(items[i + 1])
                    i += 1
                else:
                    options.setdefault(name, []).append(None)
            else:
                positionals.append(w)
            i += 1
        conn = Conn("sqlite")
        if positionals:
            db = positionals[0]
            if db.unknown:
                conn.unresolved = True
                conn.dbname = ctx.abspath(db.shown)
            else:
                conn.dbname = self._path(db.text, ctx)
        else:
            conn.dbname = ":memory:"
        s = Session("sqlite3", "sqlite", conn, cmd, ctx)
        if has_option(options, "-A", "-archive", "-append", "-zip"):
            s.unparsed("sqlite3 archive mode is not analysed")
        if has_option(options, "-version", "-help"):
            return s.finish("sql.help", "--help/--version")
        for word in options_of(options, "-init"):
            if word is None or word.unknown:
                s.unparsed("-init FILE: cannot see the SQL")
            else:
                text = read_script(ctx, word.text)
                if text is None:
                    s.unparsed(f"-init {word.text}: cannot see the SQL")
                else:
                    self.script(s, text, f"-init {word.text}", 0)
        for word in options_of(options, "-cmd"):
            s.word_sql(word, "-cmd", lambda text: self.script(s, text, "-cmd", 0))
        sql_args = positionals[1:]
        for word in sql_args:
            s.word_sql(word, "sqlite3 argument", lambda text: self.script(s, text, "argument", 0))
        if not sql_args:
            stdin = stdin_of(cmd, ctx)
            if stdin.problem:
                s.unparsed(stdin.problem)
            elif stdin.text is not None:
                self.script(s, stdin.text, "stdin", 0)
            else:
                s.db("sql.session", READ, "interactive session")
        return s.finish()

    @staticmethod
    def _path(text: str, ctx: ClassifyContext) -> str:
        if text in (":memory:", ""):
            return ":memory:"
        if text.startswith("file:"):
            path = urlsplit(text).path or text[5:].split("?", 1)[0]
            return ctx.abspath(unquote(path))
        return ctx.abspath(text)

    def script(self, s: Session, text: str, where: str, depth: int) -> None:
        buffer: list[str] = []

        def flush() -> None:
            chunk = "\n".join(buffer)
            buffer.clear()
            if chunk.strip(SQL_WHITESPACE):
                s.sql(chunk, where)

        for line in text.splitlines():
            pending = "\n".join(buffer).strip()
            if line.startswith(".") and (not pending or pending.endswith(";")):
                flush()
                self.dot(s, line, depth)
            else:
                buffer.append(line)
        flush()

    def dot(self, s: Session, line: str, depth: int) -> None:
        try:
            words = shlex.split(line)
        except ValueError:
            s.unparsed(f"cannot read dot-command {line[:60]!r}")
            return
        name = words[0][1:].lower() if words else ""
        args = words[1:]
        ctx = s.ctx
        if name in ("shell", "system"):
            s.unparsed(f".{name} runs a shell command")
        elif name in ("read",):
            self._read(s, args, depth)
        elif name == "open":
            files = [a for a in args if not a.startswith("-")]
            if files:
                s.conn = Conn("sqlite", dbname=self._path(files[-1], ctx))
            if any(a in ("--new", "-new") for a in args):
                s.db("sql.open_new", DESTRUCTIVE, ".open --new empties the database file")
            else:
                s.db("sql.open", READ, ".open")
        elif name == "import":
            files = [a for a in args if not a.startswith("-")]
            table = files[1] if len(files) > 1 else "?"
            if files and files[0].startswith("|"):
                s.unparsed(".import from a shell command")
            s.targets.append(
                Target(
                    kind="rows",
                    name=f"table {table}",
                    verb="sql.import",
                    risk=WRITE,
                    tool="sqlite3",
                    locator=s.conn.locator,
                    detail=".import",
                )
            )
        elif name in ("output", "once", "log", "trace"):
            dest = [a for a in args if not a.startswith("-")]
            if dest and dest[0].startswith("|"):
                s.unparsed(f".{name} pipes to a shell command")
            elif dest and dest[0] not in ("stdout", "stderr", "off"):
                s.add(file_write(ctx, Word(dest[0]), "sqlite3", f".{name} writes a file"))
        elif name in ("backup", "save", "clone"):
            s.db(f"sql.{name}", READ, f".{name}")
            if args:
                s.add(file_write(ctx, Word(args[-1]), "sqlite3", f".{name} writes a file"))
        elif name == "restore":
            s.db("sql.restore", DESTRUCTIVE, ".restore overwrites the database")
        elif name == "load":
            s.db("sql.load_extension", DESTRUCTIVE, ".load loads native code")
        elif name in ("archive", "ar", "edit"):
            s.unparsed(f".{name} is not analysed")
            s.db(f"sql.{name}", WRITE, f".{name}")
        elif name in ("filectrl", "imposter", "nonce") or (name == "dbconfig" and len(args) > 1):
            s.db(f"sql.{name}", WRITE, f".{name} changes database settings")
        elif name in _SQLITE_READ_DOT:
            s.db("sql.meta", READ, f".{name}")
        else:
            s.unparsed(f"unknown sqlite3 command .{name}")

    def _read(self, s: Session, args: list[str], depth: int) -> None:
        if not args or args[0].startswith("|"):
            s.unparsed(".read from a shell command")
            return
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f".read {args[0]}: includes nested too deeply")
            return
        text = read_script(s.ctx, args[0])
        if text is None:
            s.unparsed(f".read {args[0]}: cannot see the SQL")
            return
        self.script(s, text, f".read {args[0]}", depth + 1)


PACKS: list[Pack] = [
    Sqlite3Pack(
        name="sqlite3",
        programs=("sqlite3", "sqlite"),
        kind="database",
        description="SQLite shell: SQL and dot-commands",
    ),
]
