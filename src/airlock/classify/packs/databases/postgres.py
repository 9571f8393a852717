"""PostgreSQL's clients: psql (SQL from ``-c``, ``-f``, stdin, and its backslash
commands), pg_dump/pg_dumpall, pg_restore, and the dropdb/createdb/dropuser/createuser
wrappers."""

from __future__ import annotations

import os
import re

from airlock.action import Target
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
    last_option,
    options_of,
    pg_conn,
    pg_fields,
    read_script,
    stdin_of,
    unquote_arg,
)
from airlock.classify.sql import SQL_WHITESPACE

_PSQL_TAKES = frozenset(
    {
        "-c",
        "--command",
        "-d",
        "--dbname",
        "-f",
        "--file",
        "-h",
        "--host",
        "-p",
        "--port",
        "-U",
        "--username",
        "-v",
        "--set",
        "--variable",
        "-o",
        "--output",
        "-L",
        "--log-file",
        "-P",
        "--pset",
        "-F",
        "--field-separator",
        "-R",
        "--record-separator",
        "-T",
        "--table-attr",
    }
)

# a $tag$: a letter, _ or non-ASCII first, digits after (spelt negatively: compiles fast)
_DOLLAR_QUOTE = re.compile(r"\$([^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
                           r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*)?\$")


def psql_split(text: str) -> list[tuple[str, str]]:
    """Split a psql script into ("sql", text) and ("meta", "\\cmd args") parts.

    A miniature of psql's own lexer: backslashes inside quotes, dollar quotes and comments
    are SQL; elsewhere a backslash starts a meta-command running to the end of the line.
    """
    parts: list[tuple[str, str]] = []
    n = len(text)
    i = start = 0
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "'":
            escape = i > 0 and text[i - 1] in "eE" and not (i > 1 and _ident_char(text[i - 2]))
            i += 1
            while i < n:
                if (escape and text[i] == "\\") or text.startswith("''", i):
                    i += 2
                elif text[i] == "'":
                    break
                else:
                    i += 1
            i += 1
        elif c == '"':
            i += 1
            while i < n:
                if text.startswith('""', i):
                    i += 2
                elif text[i] == '"':
                    break
                else:
                    i += 1
            i += 1
        elif c == "$" and not (i > 0 and _ident_char(text[i - 1])):
            m = _DOLLAR_QUOTE.match(text, i)
            if m:
                j = text.find(m.group(0), m.end())
                i = n if j < 0 else j + len(m.group(0))
            else:
                i += 1
        elif c == "\\":
            if text[start:i].strip(SQL_WHITESPACE):
                parts.append(("sql", text[start:i]))
            j = text.find("\n", i)
            end = n if j < 0 else j
            parts.extend(("meta", m) for m in _split_metas(text[i:end]))
            i = start = end
        else:
            i += 1
    if text[start:].strip(SQL_WHITESPACE):
        parts.append(("sql", text[start:]))
    return parts


def _ident_char(c: str) -> bool:
    return c.isalnum() or c in "_$"


def _split_metas(line: str) -> list[str]:
    """``\\x \\dt`` → two meta-commands; ``\\!`` and ``\\copy`` keep the rest of the line."""
    metas: list[str] = []
    rest = line
    while rest:
        m = re.match(r"\\([^\s\\]*)", rest)
        name = m.group(1) if m else ""
        if name in ("!", "copy") or name.startswith("!"):
            metas.append(rest.rstrip())
            break
        nxt = re.search(r"\s\\", rest[1:])
        if nxt is None:
            metas.append(rest.rstrip())
            break
        cut = nxt.start() + 2
        metas.append(rest[:cut].rstrip())
        rest = rest[cut:]
    return [m for m in metas if m and m != "\\\\"]


_PSQL_READ_META = frozenset(
    {
        "l",
        "list",
        "x",
        "timing",
        "pset",
        "a",
        "t",
        "T",
        "H",
        "html",
        "f",
        "C",
        "echo",
        "qecho",
        "warn",
        "conninfo",
        "q",
        "quit",
        "encoding",
        "set",
        "unset",
        "setenv",
        "prompt",
        "sf",
        "sv",
        "s",
        "h",
        "help",
        "?",
        "copyright",
        "errverbose",
        "if",
        "elif",
        "else",
        "endif",
        "getenv",
        "bind",
        "bind_named",
        "parse",
        "close",
        "close_prepared",
        "gdesc",
        "gset",
        "watch",
        "p",
        "print",
        "r",
        "reset",
        "z",
        "lo_list",
        "crosstabview",
        "startpipeline",
        "endpipeline",
        "syncpipeline",
        "sendpipeline",
        "flushrequest",
        "flush",
        "getresults",
        "restrict",
        "unrestrict",
        "cd",
    }
)


class PsqlPack(DbPack):
    """psql: SQL from -c, -f, stdin; backslash commands understood."""

    def connection(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Conn:
        positionals, opts = split_options(cmd.args, _PSQL_TAKES)
        return pg_conn(cmd, ctx, opts, dbname=positionals[0] if positionals else None)

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PSQL_TAKES)
        conn = pg_conn(
            cmd,
            ctx,
            options,
            dbname=positionals[0] if positionals else None,
            user=positionals[1] if len(positionals) > 1 else None,
        )
        s = Session("psql", "postgresql", conn, cmd, ctx)
        for word in options_of(options, "-o", "--output", "-L", "--log-file"):
            self._output(s, word)
        if has_option(options, "-l", "--list"):
            s.db("sql.list_databases", READ, "psql --list")
        if has_option(options, "-V", "--version", "-?", "--help"):
            return s.finish("sql.help", "psql --help/--version")
        commands = options_of(options, "-c", "--command")
        files = options_of(options, "-f", "--file")
        for word in commands:
            s.word_sql(word, "psql -c", lambda text: self._command(s, text))
        for word in files:
            if word is None or word.unknown:
                s.unparsed("psql -f FILE: cannot see the SQL (file named by a variable)")
            elif word.text == "-":
                self._stdin(s)
            else:
                text = read_script(ctx, word.text)
                if text is None:
                    s.unparsed(f"psql -f {word.text}: cannot see the SQL")
                else:
                    base = os.path.dirname(ctx.abspath(word.text))
                    self.script(s, text, f"psql -f {word.text}", base, 0)
        if not commands and not files and not has_option(options, "-l", "--list"):
            self._stdin(s)
        return s.finish()

    def _stdin(self, s: Session) -> None:
        stdin = stdin_of(s.cmd, s.ctx)
        if stdin.problem:
            s.unparsed(stdin.problem)
        elif stdin.text is not None:
            self.script(s, stdin.text, "psql stdin", stdin.base or s.ctx.cwd, 0)
        else:
            s.db("sql.session", READ, "interactive session")

    def _command(self, s: Session, text: str) -> None:
        # psql -c is either one backslash command or SQL for the server, never a mix
        if text.lstrip().startswith("\\"):
            for meta in _split_metas(text.strip()):
                self.meta(s, meta, s.ctx.cwd, 0)
        else:
            s.sql(text, "psql -c")

    def _output(self, s: Session, word: Word | None) -> None:
        if word is None:
            return
        if word.text.startswith("|"):
            s.unparsed(f"output piped to a shell command {word.shown!r}")
        else:
            s.add(file_write(s.ctx, word, "psql", "psql writes query output to this file"))

    def script(self, s: Session, text: str, where: str, base: str, depth: int) -> None:
        for kind, part in psql_split(text):
            if kind == "sql":
                s.sql(part, where)
            else:
                self.meta(s, part, base, depth)

    def meta(self, s: Session, meta: str, base: str, depth: int) -> None:
        m = re.match(r"\\([^\s\\]*)\s*(.*)", meta, re.DOTALL)
        name, arg = (m.group(1), m.group(2).strip()) if m else ("", "")
        bare = name.rstrip("+")
        if "`" in arg:
            s.unparsed(f"backquotes in \\{name} run a shell command")
        elif name.startswith("!"):
            s.unparsed(f"\\! runs a shell command: {meta[:80]!r}")
        elif bare in ("e", "edit", "ef", "ev"):
            s.unparsed(f"\\{name} runs an editor, then whatever SQL it leaves")
        elif name == "gexec":
            s.unparsed("\\gexec runs query results as SQL")
        elif bare in ("c", "connect"):
            self._connect(s, arg)
        elif bare in ("i", "include", "ir", "include_relative"):
            self._include(s, arg, s.ctx.cwd if bare in ("i", "include") else base, depth)
        elif name == "copy":
            self._copy(s, arg)
        elif name in ("o", "out", "w", "write", "g", "gx"):
            if arg.startswith("|"):
                s.unparsed(f"\\{name} pipes to a shell command")
            elif arg:
                s.add(file_write(s.ctx, Word(unquote_arg(arg)), "psql", f"\\{name} writes a file"))
        elif name == "lo_import":
            s.db("sql.call.lo_import", WRITE, "\\lo_import creates a large object")
        elif name == "lo_export":
            s.db("sql.call.lo_export", READ, "\\lo_export reads a large object")
            parts = arg.split(None, 1)
            if len(parts) == 2:
                s.add(file_write(s.ctx, Word(unquote_arg(parts[1])), "psql", "\\lo_export"))
        elif name == "lo_unlink":
            s.db("sql.call.lo_unlink", DESTRUCTIVE, "\\lo_unlink deletes a large object")
        elif name == "password":
            s.targets.append(
                Target(
                    kind="role",
                    name=f"role {arg or s.conn.user or '?'}",
                    verb="sql.alter_role",
                    risk=WRITE,
                    tool="psql",
                    locator=s.conn.locator,
                    detail="\\password",
                )
            )
        elif bare.startswith("d") or bare in _PSQL_READ_META or name in _PSQL_READ_META:
            s.db("sql.describe" if bare.startswith("d") else "sql.meta", READ, f"\\{name}")
        else:
            s.unparsed(f"unknown psql command \\{name}")

    def _connect(self, s: Session, arg: str) -> None:
        words = [w for w in arg.split() if not w.startswith("-reuse-previous")]
        if not words:
            return
        fields = pg_fields(words[0])
        old = s.conn
        conn = Conn("postgresql", old.host, old.port, old.user, old.dbname, old.unresolved)
        if fields is not None:
            service = fields.pop("service", "")
            conn = Conn("postgresql", unresolved=old.unresolved)
            for key, value in fields.items():
                setattr(conn, key, value)
            if service and not conn.host:
                conn.unresolved = True  # \c service=prod: the host is in pg_service.conf
        else:
            for field, value in zip(("dbname", "user", "host", "port"), words, strict=False):
                if value != "-":
                    setattr(conn, field, value)
        s.conn = conn
        s.db("sql.connect", READ, "\\connect")

    def _include(self, s: Session, arg: str, base: str, depth: int) -> None:
        path = unquote_arg(arg.split()[0]) if arg.split() else ""
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f"\\i {path}: includes nested too deeply")
            return
        full = os.path.join(base, path) if path and not os.path.isabs(path) else path
        text = read_script(s.ctx, full) if path else None
        if text is None:
            s.unparsed(f"\\i {path}: cannot see the SQL")
            return
        self.script(s, text, f"\\i {path}", os.path.dirname(s.ctx.abspath(full)), depth + 1)

    def _copy(self, s: Session, arg: str) -> None:
        m = re.match(
            r"(?is)\s*(\(.*\)|[^\s(]+(?:\s*\([^)]*\))?)\s+(from|to)\s+(program\s+)?(\S+)(.*)", arg
        )
        if not m:
            s.unparsed(f"cannot read \\copy {arg[:60]!r}")
            return
        what, direction, program, dest = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        if program:
            s.unparsed(f"\\copy … {direction} program runs a shell command")
            return
        if direction == "from":
            s.sql(f"COPY {what} FROM STDIN", "\\copy")
        else:
            s.sql(f"COPY {what} TO STDOUT", "\\copy")
            if dest.lower() not in ("stdout", "pstdout"):
                s.add(file_write(s.ctx, Word(unquote_arg(dest)), "psql",
                                 "\\copy … to writes a file"))


_PG_COMMON_TAKES = frozenset(
    {"-d", "--dbname", "-h", "--host", "-p", "--port", "-U", "--username", "--role"}
)
_PG_DUMP_TAKES = _PG_COMMON_TAKES | {
    "-f",
    "--file",
    "-F",
    "--format",
    "-j",
    "--jobs",
    "-n",
    "--schema",
    "-N",
    "--exclude-schema",
    "-t",
    "--table",
    "-T",
    "--exclude-table",
    "-Z",
    "--compress",
    "-E",
    "--encoding",
    "--exclude-table-data",
    "--lock-wait-timeout",
    "-S",
    "--superuser",
    "--section",
    "--snapshot",
    "--filter",
    "--extra-float-digits",
    "--rows-per-insert",
    "-l",
    "--database",
    "--exclude-database",
    "--restrict-key",
}


class PgDumpPack(DbPack):
    """pg_dump / pg_dumpall: a read; ``-f`` over an existing file is a write on it."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_DUMP_TAKES)
        conn = pg_conn(
            cmd,
            ctx,
            options,
            dbname=last_option(options, "-l", "--database")
            or (positionals[0] if positionals else None),
        )
        tool = cmd.program if cmd.program in self.programs else self.name
        s = Session(tool, "postgresql", conn, cmd, ctx)
        s.db("sql.dump", READ, f"{tool} reads the database")
        fmt = (last_option(options, "-F", "--format") or Word("p")).text.lower()
        for word in options_of(options, "-f", "--file"):
            if word is not None and not fmt.startswith("d"):
                s.add(file_write(ctx, word, tool, f"{tool} writes the dump to this file"))
        return s.targets


_PG_ADMIN_TAKES = _PG_COMMON_TAKES | {
    "--maintenance-db",
    "-O",
    "--owner",
    "-T",
    "--template",
    "-E",
    "--encoding",
    "-l",
    "--locale",
    "-D",
    "--tablespace",
    "--lc-collate",
    "--lc-ctype",
    "--icu-locale",
    "--icu-rules",
    "--locale-provider",
    "-S",
    "--strategy",
    "-c",
    "--connection-limit",
    "-g",
    "--role",
    "--builtin-locale",
}


class PgAdminPack(DbPack):
    """dropdb (catastrophic), createdb (write), dropuser (catastrophic), createuser."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_ADMIN_TAKES)
        program = cmd.program
        conn = pg_conn(cmd, ctx, options)
        name = positionals[0] if positionals else None
        if has_option(options, "--help", "-?", "-V", "--version"):
            return [conn.target("sql.help", READ, program, "--help/--version")]
        if program in ("dropuser", "createuser"):
            role = name.shown if name is not None else "?"
            if program == "dropuser":
                verb, risk, detail = "sql.drop_role", CATASTROPHIC, "dropuser"
            elif has_option(
                options, "-s", "--superuser", "-r", "--createrole", "--replication", "--bypassrls"
            ):
                verb, risk, detail = "sql.alter_role_privileged", DESTRUCTIVE, "privileged role"
            else:
                verb, risk, detail = "sql.create_role", WRITE, "createuser"
            return [
                Target(
                    kind="role",
                    name=f"role {role}",
                    verb=verb,
                    risk=risk,
                    reversible=risk <= WRITE,
                    tool=program,
                    locator=conn.locator,
                    detail=detail,
                    unresolved=conn.unresolved or (name is not None and name.unknown),
                )
            ]
        if name is not None:
            if name.unknown:
                conn.unresolved = True
                conn.dbname = name.shown
            else:
                conn.dbname = name.text
        if program == "dropdb":
            return [conn.target("sql.drop_database", CATASTROPHIC, program, "dropdb")]
        return [conn.target("sql.create_database", WRITE, program, "createdb")]


_PG_RESTORE_TAKES = _PG_COMMON_TAKES | {
    "-f",
    "--file",
    "-F",
    "--format",
    "-I",
    "--index",
    "-j",
    "--jobs",
    "-L",
    "--use-list",
    "-n",
    "--schema",
    "-N",
    "--exclude-schema",
    "-P",
    "--function",
    "-S",
    "--superuser",
    "-t",
    "--table",
    "-T",
    "--trigger",
    "--section",
    "--filter",
    "--restrict-key",
}


class PgRestorePack(DbPack):
    """pg_restore: writes into -d's database; ``--clean`` drops first (destructive)."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_RESTORE_TAKES)
        targets: list[Target] = []
        if not has_option(options, "-d", "--dbname"):
            for word in positionals or [Word("-")]:
                targets.append(
                    Target(
                        kind="file",
                        name=word.shown,
                        verb="fs.read",
                        risk=READ,
                        reversible=True,
                        tool="pg_restore",
                        locator=ctx.abspath(word.shown) if word.shown != "-" else "stdin",
                        detail="pg_restore without -d prints the archive as SQL",
                        unresolved=word.unknown,
                    )
                )
            for out in options_of(options, "-f", "--file"):
                if out is not None:
                    t = file_write(ctx, out, "pg_restore", "pg_restore writes SQL to this file")
                    if t is not None:
                        targets.append(t)
            return targets
        conn = pg_conn(cmd, ctx, options)
        clean = has_option(options, "-c", "--clean")
        create = has_option(options, "-C", "--create")
        if clean and create:
            t = conn.target(
                "sql.restore_clean",
                CATASTROPHIC,
                "pg_restore",
                "--clean --create drops and recreates the database named in the archive",
            )
            t.unresolved = True
            targets.append(t)
        elif clean:
            targets.append(
                conn.target(
                    "sql.restore_clean",
                    DESTRUCTIVE,
                    "pg_restore",
                    "--clean drops objects before recreating them",
                )
            )
        else:
            targets.append(
                conn.target(
                    "sql.restore", WRITE, "pg_restore", "restores an archive into the database"
                )
            )
        return targets


PACKS: list[Pack] = [
    PsqlPack(
        name="psql",
        programs=("psql",),
        kind="database",
        takes_value=_PSQL_TAKES,
        description="PostgreSQL client: SQL from -c, -f and stdin",
    ),
    PgDumpPack(
        name="pg_dump",
        programs=("pg_dump", "pg_dumpall"),
        kind="database",
        description="PostgreSQL dumps (reads)",
    ),
    PgAdminPack(
        name="pg-admin",
        programs=("dropdb", "createdb", "dropuser", "createuser"),
        kind="database",
        description="PostgreSQL database and role wrappers",
    ),
    PgRestorePack(
        name="pg_restore",
        programs=("pg_restore",),
        kind="database",
        description="PostgreSQL restore (--clean is destructive)",
    ),
]
