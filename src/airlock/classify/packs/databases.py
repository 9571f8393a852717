"""Database client packs: psql, mysql/mariadb, mysqladmin, sqlite3, redis-cli, pg_dump/
pg_dumpall/mysqldump, dropdb/createdb/dropuser/createuser, pg_restore and mongosh/mongo.

Every database command yields at least one target carrying a connection *locator*
without the password — ``postgresql://user@host:5432/db``, ``mysql://user@host:3306/db``,
``sqlite:/abs/path.db``, ``redis://host:6379/0``, ``mongodb://host:27017/db`` — so resolve
can map it to an environment. SQL is classified statement by statement with
:func:`airlock.classify.sql.classify_sql`; SQL we cannot see (a variable, an unreadable
file, a pipe, a client command that runs a shell or executes query output) is reported
with ``ctx.unparsed`` and the action is held.

Where the SQL comes from:

- ``psql -c SQL`` (several allowed; a ``-c`` is either all SQL or one backslash command),
  ``psql -f FILE`` (read relative to the working directory if under 1 MB), stdin (heredoc,
  here-string, ``echo … |``, ``< file``); psql backslash commands in scripts are
  understood (``\\c`` switches the database, ``\\i`` includes a file, ``\\copy`` is a COPY,
  ``\\!`` and ``\\gexec`` are held);
- ``mysql -e SQL``, ``--init-command``, stdin; client commands ``use``, ``source``,
  ``\\G``;
- ``sqlite3 DB SQL…``, ``-cmd``, ``-init``, stdin; dot-commands (``.read``, ``.import``,
  ``.restore``, ``.shell`` …);
- ``mysqladmin drop DB`` / ``kill`` / ``shutdown`` / ``flush-*``;
- ``redis-cli CMD ARGS`` or one command per stdin line;
- ``mongosh --eval JS`` / script files / stdin: method calls are recognised from the
  token stream (``db.users.drop()``, ``deleteMany({})``, ``dropDatabase()``); an unknown
  function or method is held.

A bare interactive client (no SQL, nothing on stdin) is a read of the database: the
human is at the keyboard.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs import Pack
from airlock.classify.sql import SQL_WHITESPACE, classify_sql

READ, WRITE, DESTRUCTIVE, CATASTROPHIC = (
    Risk.READ,
    Risk.WRITE,
    Risk.DESTRUCTIVE,
    Risk.CATASTROPHIC,
)

MAX_SCRIPT_BYTES = 1_000_000
MAX_INCLUDE_DEPTH = 4

Options = dict[str, list[Word | None]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------- helpers


def _env(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> tuple[str, bool]:
    """(value, unknown) of an environment variable: the command's own prefix first."""
    if name in cmd.env:
        word = cmd.env[name]
        return ("", True) if word.unknown else (word.text, False)
    return ctx.environ.get(name, ""), False


def _opt(options: Options, *names: str) -> list[Word | None]:
    values: list[Word | None] = []
    for name in names:
        values.extend(options.get(name, []))
    return values


def _last(options: Options, *names: str) -> Word | None:
    values = [v for v in _opt(options, *names) if v is not None]
    return values[-1] if values else None


def _has(options: Options, *names: str) -> bool:
    return any(name in options for name in names)


def _read_script(ctx: ClassifyContext, path: str) -> str | None:
    """The text of a script file, or None when it is missing, too large or unreadable."""
    full = ctx.abspath(path)
    try:
        if not os.path.isfile(full) or os.path.getsize(full) >= MAX_SCRIPT_BYTES:
            return None
        with open(full, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


@dataclass
class _Stdin:
    text: str | None = None  # what arrives on stdin, when we can see it
    problem: str = ""  # why we cannot see it
    base: str = ""  # directory of a redirected file (for relative includes)


def _stdin(cmd: SimpleCommand, ctx: ClassifyContext) -> _Stdin:
    """What the command reads on stdin: known text, an unseeable source, or nothing."""
    if cmd.stdin is not None:
        if cmd.stdin_unknown or DYNAMIC in cmd.stdin:
            return _Stdin(problem="stdin contains a variable or command output we cannot see")
        return _Stdin(text=cmd.stdin)
    for redirect in reversed(cmd.redirects):
        if redirect.op in ("<<", "<<<", "<<-"):
            if redirect.body_dynamic or redirect.body is None:
                return _Stdin(problem="stdin (here-document) contains a variable or command")
            return _Stdin(text=redirect.body)
        if redirect.op == "<":
            target = redirect.target
            if target is None or target.unknown:
                return _Stdin(problem="stdin comes from a file named by a variable or glob")
            text = _read_script(ctx, target.text)
            if text is None:
                return _Stdin(problem=f"stdin file {target.text} cannot be read (or is > 1 MB)")
            return _Stdin(text=text, base=os.path.dirname(ctx.abspath(target.text)))
    if cmd.stdin_unknown:
        return _Stdin(problem="stdin comes from something we cannot see")
    return _Stdin()


def _file_write(
    ctx: ClassifyContext, word: Word, tool: str, why: str, *, only_existing: bool = True
) -> Target | None:
    """A write on a local output file; by default only when it overwrites an existing one."""
    if word.unknown:
        return Target(
            kind="file",
            name=word.shown,
            verb="fs.write",
            risk=WRITE,
            tool=tool,
            locator=ctx.abspath(word.shown),
            detail=why,
            unresolved=True,
        )
    if word.text in ("-", "/dev/stdout", "/dev/stderr", "/dev/null"):
        return None
    path = ctx.abspath(word.text)
    if only_existing and not os.path.exists(path):
        return None
    return Target(
        kind="file",
        name=path,
        verb="fs.write",
        risk=WRITE,
        tool=tool,
        locator=path,
        detail=f"{why} (overwrites an existing file)" if os.path.exists(path) else why,
    )


# --------------------------------------------------------------------------- connections


@dataclass
class Conn:
    """Where a client connects. ``locator`` never contains the password."""

    scheme: str
    host: str = ""
    port: str = ""
    user: str = ""
    dbname: str = ""
    unresolved: bool = False

    DEFAULT_PORTS: ClassVar[dict[str, str]] = {
        "postgresql": "5432",
        "mysql": "3306",
        "redis": "6379",
        "mongodb": "27017",
    }

    @property
    def locator(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:{self.dbname}"
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = self.host or "localhost"
        if "/" in host:
            host = quote(host, safe="")
        elif ":" in host and not host.startswith("[") and "," not in host:
            host = f"[{host}]"
        port = self.port or self.DEFAULT_PORTS.get(self.scheme, "")
        hostport = f"{host}:{port}" if port and self.scheme != "mongodb+srv" else host
        return f"{self.scheme}://{user}{hostport}/{quote(self.dbname, safe='')}"

    @property
    def name(self) -> str:
        if self.scheme == "sqlite":
            return f"database {self.dbname}"
        where = self.host or "localhost"
        if self.dbname:
            return f"database {self.dbname}"
        return f"database on {where}"

    def target(self, verb: str, risk: Risk, tool: str, detail: str = "") -> Target:
        return Target(
            kind="database",
            name=self.name,
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool=tool,
            locator=self.locator,
            detail=detail,
            unresolved=self.unresolved,
        )


def _parse_url(text: str) -> dict[str, str] | None:
    """Connection fields of a ``scheme://user:pass@host:port/db?k=v`` URL (no password)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if not parts.scheme or not text.startswith(parts.scheme + "://"):
        return None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    fields = {"user": unquote(userinfo.split(":", 1)[0]) if userinfo else ""}
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        fields["host"], fields["port"] = host, rest.removeprefix(":")
    elif "," in hostport:
        fields["host"], fields["port"] = hostport, ""
    else:
        host, _, port = hostport.partition(":")
        fields["host"], fields["port"] = unquote(host), port
    fields["dbname"] = unquote(parts.path.lstrip("/"))
    query = parse_qs(parts.query)
    for key, name in (("host", "host"), ("port", "port"), ("user", "user"), ("dbname", "dbname")):
        if query.get(key):
            fields[name] = query[key][-1]
    return {k: v for k, v in fields.items() if v}


_CONNINFO = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")


def _parse_conninfo(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in _CONNINFO.findall(text):
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if key in ("host", "hostaddr", "port", "user", "dbname"):
            fields["host" if key == "hostaddr" else key] = value
    return fields


def _is_pg_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def _pg_fields(text: str) -> dict[str, str] | None:
    """Fields of a libpq URL or conninfo string; None for a plain database name."""
    if _is_pg_url(text):
        return _parse_url(text) or {}
    if "=" in text:
        return _parse_conninfo(text)
    return None


class _ConnBuilder:
    """Fills connection fields in precedence order: first value set wins."""

    def __init__(self, scheme: str) -> None:
        self.conn = Conn(scheme)
        self._set: set[str] = set()

    def offer(self, field: str, value: str | Word | None) -> None:
        if field in self._set or value is None:
            return
        if isinstance(value, Word):
            if value.unknown:
                self.conn.unresolved = True
                self._set.add(field)
                return
            value = value.text
        if value:
            setattr(self.conn, field, value)
            self._set.add(field)

    def offer_fields(self, fields: dict[str, str] | None) -> None:
        for key, value in (fields or {}).items():
            self.offer(key, value)


def pg_conn(
    cmd: SimpleCommand,
    ctx: ClassifyContext,
    options: Options,
    dbname: Word | None = None,
    user: Word | None = None,
) -> Conn:
    """PostgreSQL connection of a libpq client: URL/conninfo in the database name, then
    -h/-p/-U/-d, then PGHOST/PGPORT/PGUSER/PGDATABASE, then DATABASE_URL, then defaults."""
    b = _ConnBuilder("postgresql")
    db_word = _last(options, "-d", "--dbname") or dbname
    if db_word is not None and db_word.unknown:
        b.conn.unresolved = True
    elif db_word is not None:
        fields = _pg_fields(db_word.text)
        if fields is not None:
            b.offer_fields(fields)
        else:
            b.offer("dbname", db_word.text)
    b.offer("host", _last(options, "-h", "--host"))
    b.offer("port", _last(options, "-p", "--port"))
    b.offer("user", _last(options, "-U", "--username") or user)
    for var, field in (
        ("PGHOST", "host"),
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGDATABASE", "dbname"),
    ):
        value, unknown = _env(cmd, ctx, var)
        if unknown:
            b.conn.unresolved = True
        b.offer(field, value)
    url, unknown = _env(cmd, ctx, "DATABASE_URL")
    if _is_pg_url(url):
        b.offer_fields(_parse_url(url))
    if not b.conn.dbname and b.conn.user:
        b.conn.dbname = b.conn.user  # libpq's default database is the user name
    return b.conn


def mysql_conn(
    cmd: SimpleCommand, ctx: ClassifyContext, options: Options, dbname: Word | None
) -> Conn:
    b = _ConnBuilder("mysql")
    b.offer("dbname", _last(options, "-D", "--database") or dbname)
    b.offer("host", _last(options, "-h", "--host"))
    b.offer("port", _last(options, "-P", "--port"))
    b.offer("user", _last(options, "-u", "--user"))
    for var, field in (("MYSQL_HOST", "host"), ("MYSQL_TCP_PORT", "port")):
        value, unknown = _env(cmd, ctx, var)
        if unknown:
            b.conn.unresolved = True
        b.offer(field, value)
    url, _ = _env(cmd, ctx, "DATABASE_URL")
    if url.startswith(("mysql://", "mariadb://")):
        b.offer_fields(_parse_url(url))
    return b.conn


# --------------------------------------------------------------------------- sessions


class _Session:
    """One client invocation: its connection, the targets found, and how to report."""

    def __init__(
        self, tool: str, dialect: str, conn: Conn, cmd: SimpleCommand, ctx: ClassifyContext
    ) -> None:
        self.tool = tool
        self.dialect = dialect
        self.conn = conn
        self.cmd = cmd
        self.ctx = ctx
        self.targets: list[Target] = []

    def add(self, target: Target | None) -> None:
        if target is not None:
            self.targets.append(target)

    def db(self, verb: str, risk: Risk, detail: str = "") -> None:
        self.targets.append(self.conn.target(verb, risk, self.tool, detail))

    def unparsed(self, detail: str) -> None:
        self.ctx.unparsed(f"{self.tool}: {detail}")

    def sql(self, text: str, where: str) -> None:
        targets, problems = classify_sql(
            text,
            dialect=self.dialect,
            database=self.conn.dbname,
            locator=self.conn.locator,
            tool=self.tool,
        )
        for t in targets:
            t.unresolved = t.unresolved or self.conn.unresolved
            if t.verb == "sql.use" and t.name.startswith("database "):
                self.conn.dbname = t.name.removeprefix("database ")
        self.targets.extend(targets)
        for problem in problems:
            self.unparsed(f"{where}: {problem}")

    def word_sql(self, word: Word | None, where: str, run: Callable[[str], None]) -> None:
        if word is None:
            self.unparsed(f"{where} without a value")
        elif word.unknown:
            self.unparsed(f"{where}: the SQL comes from a variable or command we cannot see")
        else:
            run(word.text)

    def finish(
        self, verb: str = "sql.connect", detail: str = "connects to the database"
    ) -> list[Target]:
        if not self.targets:
            self.db(verb, READ, detail)
        return self.targets


class _DbPack(Pack):
    """A database pack: code decides, but rules from the user's config are tried first."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        if self.user_rules:
            positionals, options = split_options(self.rule_args(cmd), self.takes_value)
            for rule in self.user_rules:
                if rule.matches(positionals, options):
                    return self.targets_for(rule, cmd, positionals, options, ctx)
        return self.classify_db(cmd, ctx)

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        raise NotImplementedError

    def rule_args(self, cmd: SimpleCommand) -> list[Word]:
        return list(cmd.args)

    def connection(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Conn | None:
        return None

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        conn = self.connection(cmd, options, ctx)
        if conn is None:
            return super().base_locator(cmd, options, ctx)
        return conn.name, conn.locator


# --------------------------------------------------------------------------- psql


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

_DOLLAR_QUOTE = re.compile(r"\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$")


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


class PsqlPack(_DbPack):
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
        s = _Session("psql", "postgresql", conn, cmd, ctx)
        for word in _opt(options, "-o", "--output", "-L", "--log-file"):
            self._output(s, word)
        if _has(options, "-l", "--list"):
            s.db("sql.list_databases", READ, "psql --list")
        if _has(options, "-V", "--version", "-?", "--help"):
            return s.finish("sql.help", "psql --help/--version")
        commands = _opt(options, "-c", "--command")
        files = _opt(options, "-f", "--file")
        for word in commands:
            s.word_sql(word, "psql -c", lambda text: self._command(s, text))
        for word in files:
            if word is None or word.unknown:
                s.unparsed("psql -f FILE: cannot see the SQL (file named by a variable)")
            elif word.text == "-":
                self._stdin(s)
            else:
                text = _read_script(ctx, word.text)
                if text is None:
                    s.unparsed(f"psql -f {word.text}: cannot see the SQL")
                else:
                    base = os.path.dirname(ctx.abspath(word.text))
                    self.script(s, text, f"psql -f {word.text}", base, 0)
        if not commands and not files and not _has(options, "-l", "--list"):
            self._stdin(s)
        return s.finish()

    def _stdin(self, s: _Session) -> None:
        stdin = _stdin(s.cmd, s.ctx)
        if stdin.problem:
            s.unparsed(stdin.problem)
        elif stdin.text is not None:
            self.script(s, stdin.text, "psql stdin", stdin.base or s.ctx.cwd, 0)
        else:
            s.db("sql.session", READ, "interactive session")

    def _command(self, s: _Session, text: str) -> None:
        # psql -c is either one backslash command or SQL for the server, never a mix
        if text.lstrip().startswith("\\"):
            for meta in _split_metas(text.strip()):
                self.meta(s, meta, s.ctx.cwd, 0)
        else:
            s.sql(text, "psql -c")

    def _output(self, s: _Session, word: Word | None) -> None:
        if word is None:
            return
        if word.text.startswith("|"):
            s.unparsed(f"output piped to a shell command {word.shown!r}")
        else:
            s.add(_file_write(s.ctx, word, "psql", "psql writes query output to this file"))

    def script(self, s: _Session, text: str, where: str, base: str, depth: int) -> None:
        for kind, part in psql_split(text):
            if kind == "sql":
                s.sql(part, where)
            else:
                self.meta(s, part, base, depth)

    def meta(self, s: _Session, meta: str, base: str, depth: int) -> None:
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
                s.add(_file_write(s.ctx, Word(_unquote(arg)), "psql", f"\\{name} writes a file"))
        elif name == "lo_import":
            s.db("sql.call.lo_import", WRITE, "\\lo_import creates a large object")
        elif name == "lo_export":
            s.db("sql.call.lo_export", READ, "\\lo_export reads a large object")
            parts = arg.split(None, 1)
            if len(parts) == 2:
                s.add(_file_write(s.ctx, Word(_unquote(parts[1])), "psql", "\\lo_export"))
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

    def _connect(self, s: _Session, arg: str) -> None:
        words = [w for w in arg.split() if not w.startswith("-reuse-previous")]
        if not words:
            return
        fields = _pg_fields(words[0])
        old = s.conn
        conn = Conn("postgresql", old.host, old.port, old.user, old.dbname, old.unresolved)
        if fields is not None:
            conn = Conn("postgresql", unresolved=old.unresolved)
            for key, value in fields.items():
                setattr(conn, key, value)
        else:
            for field, value in zip(("dbname", "user", "host", "port"), words, strict=False):
                if value != "-":
                    setattr(conn, field, value)
        s.conn = conn
        s.db("sql.connect", READ, "\\connect")

    def _include(self, s: _Session, arg: str, base: str, depth: int) -> None:
        path = _unquote(arg.split()[0]) if arg.split() else ""
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f"\\i {path}: includes nested too deeply")
            return
        full = os.path.join(base, path) if path and not os.path.isabs(path) else path
        text = _read_script(s.ctx, full) if path else None
        if text is None:
            s.unparsed(f"\\i {path}: cannot see the SQL")
            return
        self.script(s, text, f"\\i {path}", os.path.dirname(s.ctx.abspath(full)), depth + 1)

    def _copy(self, s: _Session, arg: str) -> None:
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
                s.add(_file_write(s.ctx, Word(_unquote(dest)), "psql", "\\copy … to writes a file"))


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


# --------------------------------------------------------------------------- mysql


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


class MysqlPack(_DbPack):
    """mysql / mariadb: SQL from -e, --init-command and stdin; client commands understood."""

    def rule_args(self, cmd: SimpleCommand) -> list[Word]:
        return _strip_password_args(cmd.args)

    def connection(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Conn:
        positionals, opts = split_options(_strip_password_args(cmd.args), _MYSQL_TAKES)
        return mysql_conn(cmd, ctx, opts, positionals[0] if positionals else None)

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(_strip_password_args(cmd.args), _MYSQL_TAKES)
        conn = mysql_conn(cmd, ctx, options, positionals[0] if positionals else None)
        s = _Session(self.name, "mysql", conn, cmd, ctx)
        if _has(options, "-V", "--version", "-?", "--help", "-I"):
            return s.finish("sql.help", "--help/--version")
        for word in _opt(options, "--tee"):
            if word is not None:
                s.add(_file_write(ctx, word, self.name, "--tee writes the session to a file"))
        for word in _opt(options, "--init-command"):
            s.word_sql(word, "--init-command", lambda text: s.sql(text, "--init-command"))
        executes = _opt(options, "-e", "--execute")
        for word in executes:
            s.word_sql(word, f"{self.name} -e", lambda text: self.script(s, text, "-e", ctx.cwd, 0))
        if not executes:
            stdin = _stdin(cmd, ctx)
            if stdin.problem:
                s.unparsed(stdin.problem)
            elif stdin.text is not None:
                self.script(s, stdin.text, "stdin", stdin.base or ctx.cwd, 0)
            else:
                s.db("sql.session", READ, "interactive session")
        return s.finish()

    def script(self, s: _Session, text: str, where: str, base: str, depth: int) -> None:
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
                self._source(s, _unquote(m.group(1)), base, depth)
            elif _MYSQL_SHELL.match(line):
                s.unparsed(f"'system' runs a shell command: {line.strip()[:80]!r}")
            elif _MYSQL_DELIMITER.match(line):
                s.unparsed("DELIMITER: stored program bodies are not analysed")
                return
            elif m := _MYSQL_TEE.match(line):
                s.add(_file_write(s.ctx, Word(m.group(1)), self.name, "tee writes a file"))
            elif _MYSQL_PAGER.match(line):
                s.unparsed(f"pager runs a shell command: {line.strip()[:80]!r}")
            elif _MYSQL_QUIET.match(line):
                continue
            else:
                buffer.append(line)
        flush()

    def _source(self, s: _Session, path: str, base: str, depth: int) -> None:
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f"source {path}: includes nested too deeply")
            return
        full = os.path.join(base, path) if not os.path.isabs(path) else path
        text = _read_script(s.ctx, full)
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


class MysqladminPack(_DbPack):
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


# --------------------------------------------------------------------------- sqlite3

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


class Sqlite3Pack(_DbPack):
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
        s = _Session("sqlite3", "sqlite", conn, cmd, ctx)
        if _has(options, "-A", "-archive", "-append", "-zip"):
            s.unparsed("sqlite3 archive mode is not analysed")
        if _has(options, "-version", "-help"):
            return s.finish("sql.help", "--help/--version")
        for word in _opt(options, "-init"):
            if word is None or word.unknown:
                s.unparsed("-init FILE: cannot see the SQL")
            else:
                text = _read_script(ctx, word.text)
                if text is None:
                    s.unparsed(f"-init {word.text}: cannot see the SQL")
                else:
                    self.script(s, text, f"-init {word.text}", 0)
        for word in _opt(options, "-cmd"):
            s.word_sql(word, "-cmd", lambda text: self.script(s, text, "-cmd", 0))
        sql_args = positionals[1:]
        for word in sql_args:
            s.word_sql(word, "sqlite3 argument", lambda text: self.script(s, text, "argument", 0))
        if not sql_args:
            stdin = _stdin(cmd, ctx)
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

    def script(self, s: _Session, text: str, where: str, depth: int) -> None:
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

    def dot(self, s: _Session, line: str, depth: int) -> None:
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
                s.add(_file_write(ctx, Word(dest[0]), "sqlite3", f".{name} writes a file"))
        elif name in ("backup", "save", "clone"):
            s.db(f"sql.{name}", READ, f".{name}")
            if args:
                s.add(_file_write(ctx, Word(args[-1]), "sqlite3", f".{name} writes a file"))
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

    def _read(self, s: _Session, args: list[str], depth: int) -> None:
        if not args or args[0].startswith("|"):
            s.unparsed(".read from a shell command")
            return
        if depth >= MAX_INCLUDE_DEPTH:
            s.unparsed(f".read {args[0]}: includes nested too deeply")
            return
        text = _read_script(s.ctx, args[0])
        if text is None:
            s.unparsed(f".read {args[0]}: cannot see the SQL")
            return
        self.script(s, text, f".read {args[0]}", depth + 1)


# --------------------------------------------------------------------------- dumps & admin


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


class PgDumpPack(_DbPack):
    """pg_dump / pg_dumpall: a read; ``-f`` over an existing file is a write on it."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_DUMP_TAKES)
        conn = pg_conn(
            cmd,
            ctx,
            options,
            dbname=_last(options, "-l", "--database") or (positionals[0] if positionals else None),
        )
        tool = cmd.program if cmd.program in self.programs else self.name
        s = _Session(tool, "postgresql", conn, cmd, ctx)
        s.db("sql.dump", READ, f"{tool} reads the database")
        fmt = (_last(options, "-F", "--format") or Word("p")).text.lower()
        for word in _opt(options, "-f", "--file"):
            if word is not None and not fmt.startswith("d"):
                s.add(_file_write(ctx, word, tool, f"{tool} writes the dump to this file"))
        return s.targets


_MYSQLDUMP_TAKES = _MYSQL_TAKES | {"-r", "--result-file"}


class MysqldumpPack(_DbPack):
    """mysqldump / mariadb-dump: a read; ``-r`` over an existing file is a write on it."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(_strip_password_args(cmd.args), _MYSQLDUMP_TAKES)
        all_dbs = _has(options, "-A", "--all-databases")
        dbs: list[Word | None] = list(
            positionals if _has(options, "-B", "--databases") else positionals[:1]
        )
        targets: list[Target] = []
        for db in dbs or [None]:
            conn = mysql_conn(cmd, ctx, options, None if all_dbs else db)
            detail = "dumps every database" if all_dbs else "reads the database"
            targets.append(conn.target("sql.dump", READ, self.name, detail))
        for word in _opt(options, "-r", "--result-file"):
            if word is not None:
                t = _file_write(ctx, word, self.name, "mysqldump writes the dump to this file")
                if t is not None:
                    targets.append(t)
        return targets


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


class PgAdminPack(_DbPack):
    """dropdb (catastrophic), createdb (write), dropuser (catastrophic), createuser."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_ADMIN_TAKES)
        program = cmd.program
        conn = pg_conn(cmd, ctx, options)
        name = positionals[0] if positionals else None
        if _has(options, "--help", "-?", "-V", "--version"):
            return [conn.target("sql.help", READ, program, "--help/--version")]
        if program in ("dropuser", "createuser"):
            role = name.shown if name is not None else "?"
            if program == "dropuser":
                verb, risk, detail = "sql.drop_role", CATASTROPHIC, "dropuser"
            elif _has(
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


class PgRestorePack(_DbPack):
    """pg_restore: writes into -d's database; ``--clean`` drops first (destructive)."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _PG_RESTORE_TAKES)
        targets: list[Target] = []
        if not _has(options, "-d", "--dbname"):
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
            for out in _opt(options, "-f", "--file"):
                if out is not None:
                    t = _file_write(ctx, out, "pg_restore", "pg_restore writes SQL to this file")
                    if t is not None:
                        targets.append(t)
            return targets
        conn = pg_conn(cmd, ctx, options)
        clean = _has(options, "-c", "--clean")
        create = _has(options, "-C", "--create")
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


# --------------------------------------------------------------------------- redis-cli

_REDIS_TAKES = frozenset(
    {
        "-h",
        "-p",
        "-s",
        "-a",
        "-u",
        "-r",
        "-i",
        "-n",
        "-d",
        "-D",
        "-X",
        "-t",
        "--user",
        "--pass",
        "--pattern",
        "--quoted-pattern",
        "--count",
        "--rdb",
        "--functions-rdb",
        "--eval",
        "--cacert",
        "--cacertdir",
        "--cert",
        "--key",
        "--sni",
        "--tls-ciphers",
        "--tls-ciphersuites",
        "--memkeys-samples",
        "--pipe-timeout",
        "--intrinsic-latency",
        "--lru-test",
        "--keystats-samples",
        "--cursor",
        "--top",
    }
)

_REDIS_READ = _words(
    """GET MGET KEYS SCAN EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME HGET HGETALL HKEYS HVALS
    HLEN HEXISTS HMGET HSCAN HSTRLEN HRANDFIELD HTTL HPTTL LRANGE LLEN LINDEX LPOS SMEMBERS
    SISMEMBER SMISMEMBER SCARD SSCAN SRANDMEMBER SINTER SUNION SDIFF SINTERCARD ZRANGE
    ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZCARD ZSCORE ZMSCORE
    ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZSCAN ZRANDMEMBER ZDIFF ZINTER ZUNION ZINTERCARD STRLEN
    GETRANGE SUBSTR GETBIT BITCOUNT BITPOS BITFIELD_RO PFCOUNT GEOPOS GEODIST GEOHASH
    GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH XRANGE XREVRANGE XLEN XREAD XINFO XPENDING
    INFO PING ECHO DBSIZE TIME LASTSAVE ROLE RANDOMKEY DUMP OBJECT SELECT AUTH HELLO
    COMMAND MONITOR SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE
    PUBSUB WAIT WAITAOF LCS SORT_RO QUIT MULTI EXEC DISCARD WATCH UNWATCH READONLY READWRITE
    LOLWUT EVAL_RO EVALSHA_RO FCALL_RO TOUCH"""
)

_REDIS_WRITE = _words(
    """SET SETNX SETEX PSETEX MSET MSETNX APPEND INCR INCRBY INCRBYFLOAT DECR DECRBY GETSET
    GETEX SETRANGE SETBIT BITFIELD BITOP HSET HSETNX HMSET HINCRBY HINCRBYFLOAT HDEL HEXPIRE
    HPEXPIRE HPERSIST LPUSH RPUSH LPUSHX RPUSHX LINSERT LSET LPOP RPOP LREM LTRIM LMOVE
    BLMOVE RPOPLPUSH BRPOPLPUSH BLPOP BRPOP LMPOP BLMPOP SADD SREM SPOP SMOVE SINTERSTORE
    SUNIONSTORE SDIFFSTORE ZADD ZINCRBY ZREM ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX
    ZPOPMIN ZPOPMAX BZPOPMIN BZPOPMAX ZMPOP BZMPOP ZRANGESTORE ZUNIONSTORE ZINTERSTORE
    ZDIFFSTORE PFADD PFMERGE GEOADD GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER XADD XDEL
    XTRIM XACK XCLAIM XAUTOCLAIM XREADGROUP XSETID PUBLISH SPUBLISH PERSIST RENAMENX MOVE
    SORT SAVE BGSAVE BGREWRITEAOF GETDEL"""
)

# Subcommands: (COMMAND, SUB) → (risk, detail); COMMAND alone for the rest of its family.
_REDIS_SUB: dict[tuple[str, str], tuple[Risk, str]] = {
    ("CONFIG", "GET"): (READ, ""),
    ("CONFIG", "SET"): (WRITE, "changes the server configuration"),
    ("CONFIG", "REWRITE"): (WRITE, "rewrites the configuration file"),
    ("CONFIG", "RESETSTAT"): (WRITE, ""),
    ("CLIENT", "KILL"): (DESTRUCTIVE, "ends other connections"),
    ("CLIENT", "PAUSE"): (WRITE, "pauses clients"),
    ("SCRIPT", "FLUSH"): (DESTRUCTIVE, "deletes every cached script"),
    ("SCRIPT", "KILL"): (DESTRUCTIVE, "kills a running script"),
    ("SCRIPT", "LOAD"): (WRITE, ""),
    ("SCRIPT", "EXISTS"): (READ, ""),
    ("FUNCTION", "FLUSH"): (DESTRUCTIVE, "deletes every function library"),
    ("FUNCTION", "DELETE"): (DESTRUCTIVE, "deletes a function library"),
    ("FUNCTION", "KILL"): (DESTRUCTIVE, "kills a running function"),
    ("FUNCTION", "LOAD"): (WRITE, ""),
    ("FUNCTION", "RESTORE"): (DESTRUCTIVE, "replaces function libraries"),
    ("FUNCTION", "LIST"): (READ, ""),
    ("FUNCTION", "DUMP"): (READ, ""),
    ("FUNCTION", "STATS"): (READ, ""),
    ("ACL", "DELUSER"): (CATASTROPHIC, "deletes users"),
    ("ACL", "SETUSER"): (DESTRUCTIVE, "changes a user's permissions"),
    ("ACL", "SAVE"): (WRITE, ""),
    ("ACL", "LOAD"): (WRITE, ""),
    ("MODULE", "LOAD"): (DESTRUCTIVE, "loads native code"),
    ("MODULE", "LOADEX"): (DESTRUCTIVE, "loads native code"),
    ("MODULE", "UNLOAD"): (DESTRUCTIVE, "unloads a module"),
    ("MODULE", "LIST"): (READ, ""),
    ("MEMORY", "PURGE"): (WRITE, ""),
    ("SLOWLOG", "RESET"): (WRITE, ""),
    ("LATENCY", "RESET"): (WRITE, ""),
    ("XGROUP", "DESTROY"): (DESTRUCTIVE, "deletes a consumer group"),
    ("XGROUP", "DELCONSUMER"): (WRITE, ""),
    ("CLUSTER", "RESET"): (CATASTROPHIC, "resets a cluster node"),
    ("CLUSTER", "FAILOVER"): (DESTRUCTIVE, "fails over the cluster"),
    ("CLUSTER", "FORGET"): (DESTRUCTIVE, "removes a node"),
    ("CLUSTER", "FLUSHSLOTS"): (DESTRUCTIVE, ""),
    ("CLUSTER", "DELSLOTS"): (DESTRUCTIVE, ""),
    ("CLUSTER", "DELSLOTSRANGE"): (DESTRUCTIVE, ""),
}
_REDIS_READ_FAMILIES = frozenset(
    {
        "CONFIG",
        "CLIENT",
        "ACL",
        "MEMORY",
        "SLOWLOG",
        "LATENCY",
        "CLUSTER",
        "MODULE",
        "SCRIPT",
        "FUNCTION",
        "XGROUP",
        "OBJECT",
        "COMMAND",
        "PUBSUB",
        "XINFO",
    }
)
_REDIS_READ_SUBS = frozenset(
    {
        "GET",
        "LIST",
        "INFO",
        "NODES",
        "SLOTS",
        "SHARDS",
        "KEYSLOT",
        "COUNTKEYSINSLOT",
        "GETKEYSINSLOT",
        "MYID",
        "MYSHARDID",
        "USERS",
        "WHOAMI",
        "GETUSER",
        "CAT",
        "LOG",
        "USAGE",
        "STATS",
        "DOCTOR",
        "LATEST",
        "HISTORY",
        "GRAPH",
        "HISTOGRAM",
        "LEN",
        "HELP",
        "ID",
        "GETNAME",
        "ENCODING",
        "FREQ",
        "IDLETIME",
        "REFCOUNT",
        "COUNT",
        "DOCS",
        "GETKEYS",
        "CHANNELS",
        "NUMSUB",
        "NUMPAT",
        "SHARDCHANNELS",
        "SHARDNUMSUB",
        "EXISTS",
        "DUMP",
        "CONSUMERS",
        "GROUPS",
        "STREAM",
        "LINKS",
        "COUNT-FAILURE-REPORTS",
        "MALLOC-STATS",
        "GENPASS",
        "DRYRUN",
        "TRACKINGINFO",
        "NO-EVICT",
        "NO-TOUCH",
        "SETNAME",
        "SETINFO",
        "REPLY",
        "TRACKING",
        "CACHING",
        "UNPAUSE",
        "CREATE",
        "SETID",
        "CREATECONSUMER",
    }
)


class RedisPack(_DbPack):
    """redis-cli: one command from arguments, or one per stdin line."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options: Options = {}
        items = list(cmd.args)
        i = 0
        while (
            i < len(items)
            and not items[i].dynamic
            and items[i].text.startswith("-")
            and (len(items[i].text) > 1)
        ):
            name = items[i].text
            if name.startswith("--") and "=" in name:
                key, _, value = name.partition("=")
                options.setdefault(key, []).append(Word(value))
            elif name in _REDIS_TAKES and i + 1 < len(items):
                options.setdefault(name, []).append(items[i + 1])
                i += 1
            else:
                options.setdefault(name, []).append(None)
            i += 1
        command = items[i:]
        conn = self._conn(cmd, ctx, options)
        targets: list[Target] = []

        def unparsed(detail: str) -> None:
            ctx.unparsed(f"redis-cli: {detail}")

        if _has(options, "--eval"):
            unparsed("--eval runs a Lua script that is not analysed")
            targets.append(self._db(conn, "redis.eval", DESTRUCTIVE, "Lua script"))
        if _has(options, "--pipe"):
            unparsed("--pipe sends raw protocol that is not analysed")
            targets.append(self._db(conn, "redis.pipe", DESTRUCTIVE, "raw protocol from stdin"))
        if _has(options, "--cluster"):
            sub = (_last(options, "--cluster") or Word("")).text.lower()
            if sub in ("check", "info", "help"):
                targets.append(self._db(conn, f"redis.cluster.{sub}", READ))
            else:
                unparsed(f"--cluster {sub} is not analysed")
                targets.append(self._db(conn, "redis.cluster", DESTRUCTIVE, f"--cluster {sub}"))
            command = []
        for word in _opt(options, "--rdb", "--functions-rdb"):
            targets.append(self._db(conn, "redis.dump", READ, "--rdb reads the whole dataset"))
            if word is not None:
                t = _file_write(ctx, word, "redis-cli", "--rdb writes a dump file")
                if t is not None:
                    targets.append(t)
        scans = (
            "--scan",
            "--bigkeys",
            "--memkeys",
            "--hotkeys",
            "--keystats",
            "--stat",
            "--latency",
            "--latency-history",
            "--latency-dist",
            "--replica",
            "--lru-test",
            "--intrinsic-latency",
            "-v",
            "--version",
            "--help",
        )
        if any(_has(options, o) for o in scans):
            targets.append(self._db(conn, "redis.inspect", READ))
        if command:
            targets.extend(self.command(command, conn, unparsed))
        elif not targets:
            stdin = _stdin(cmd, ctx)
            if stdin.problem:
                unparsed(stdin.problem)
                targets.append(self._db(conn, "redis.commands", READ, "commands from stdin"))
            elif stdin.text is not None:
                for line in stdin.text.splitlines():
                    if not line.strip(SQL_WHITESPACE):
                        continue
                    try:
                        words = [Word(w) for w in shlex.split(line)]
                    except ValueError:
                        unparsed(f"cannot read command line {line[:60]!r}")
                        continue
                    targets.extend(self.command(words, conn, unparsed))
        if not targets:
            targets.append(self._db(conn, "redis.session", READ, "interactive session"))
        return targets

    @staticmethod
    def _conn(cmd: SimpleCommand, ctx: ClassifyContext, options: Options) -> Conn:
        b = _ConnBuilder("redis")
        uri = _last(options, "-u")
        if uri is not None:
            if uri.unknown:
                b.conn.unresolved = True
            else:
                fields = _parse_url(uri.text) or {}
                b.offer_fields({k: v for k, v in fields.items() if k != "user"})
        b.offer("host", _last(options, "-h"))
        b.offer("port", _last(options, "-p"))
        b.offer("dbname", _last(options, "-n"))
        socket = _last(options, "-s")
        if socket is not None:
            b.offer("host", socket)
        url, _ = _env(cmd, ctx, "REDIS_URL")
        if url.startswith(("redis://", "rediss://")):
            b.offer_fields({k: v for k, v in (_parse_url(url) or {}).items() if k != "user"})
        if not b.conn.dbname:
            b.conn.dbname = "0"
        return b.conn

    @staticmethod
    def _db(conn: Conn, verb: str, risk: Risk, detail: str = "", whole: bool = False) -> Target:
        where = f"{conn.host or 'localhost'}:{conn.port or '6379'}"
        locator = conn.locator.rsplit("/", 1)[0] if whole else conn.locator
        name = f"redis {where} (all databases)" if whole else f"redis {where} db {conn.dbname}"
        return Target(
            kind="database",
            name=name,
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool="redis-cli",
            locator=locator,
            detail=detail,
            unresolved=conn.unresolved,
        )

    def command(
        self, words: list[Word], conn: Conn, unparsed: Callable[[str], None]
    ) -> list[Target]:
        """Targets of one redis command; ``SELECT n`` switches ``conn``'s database."""
        head = words[0]
        if head.unknown:
            unparsed("the command name comes from a variable")
            return [self._db(conn, "redis.unknown", DESTRUCTIVE, "command not visible")]
        name = head.text.upper()
        args = words[1:]
        sub = args[0].text.upper() if args and not args[0].unknown else ""
        if name == "SELECT" and args and not args[0].unknown:
            conn.dbname = args[0].text
            return [self._db(conn, "redis.select", READ)]
        if name == "FLUSHALL":
            return [
                self._db(
                    conn,
                    "redis.flushall",
                    CATASTROPHIC,
                    "FLUSHALL deletes every key in every database",
                    whole=True,
                )
            ]
        if name == "FLUSHDB":
            return [self._db(conn, "redis.flushdb", DESTRUCTIVE, "FLUSHDB deletes every key")]
        if name in ("DEL", "UNLINK"):
            return [
                self._key(conn, w, f"redis.{name.lower()}", DESTRUCTIVE, name) for w in args
            ] or [self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE)]
        if name in ("RENAME", "RESTORE", "COPY", "MIGRATE", "SWAPDB"):
            replaces = name in ("RENAME", "SWAPDB", "MIGRATE") or any(
                w.text.upper() == "REPLACE" for w in args
            )
            risk = DESTRUCTIVE if replaces else WRITE
            detail = f"{name} can overwrite or remove data" if replaces else name
            key = args[0] if args else Word("?")
            return [self._key(conn, key, f"redis.{name.lower()}", risk, detail)]
        if name in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
            key = args[0] if args else Word("?")
            when = args[1] if len(args) > 1 else None
            gone = (
                when is None
                or when.unknown
                or not when.text.lstrip("-").isdigit()
                or (int(when.text) <= 0)
            )
            risk = DESTRUCTIVE if gone else WRITE
            detail = "expires the key now" if gone else "sets a time to live"
            return [self._key(conn, key, f"redis.{name.lower()}", risk, detail)]
        if name in ("REPLICAOF", "SLAVEOF"):
            if sub == "NO" and len(args) > 1 and args[1].text.upper() == "ONE":
                return [self._db(conn, "redis.replicaof", WRITE, "promotes to primary")]
            return [
                self._db(
                    conn,
                    "redis.replicaof",
                    CATASTROPHIC,
                    "REPLICAOF discards the whole dataset to sync from another server",
                    whole=True,
                )
            ]
        if name == "SHUTDOWN":
            return [self._db(conn, "redis.shutdown", DESTRUCTIVE, "stops the server", whole=True)]
        if name in ("DEBUG", "FAILOVER"):
            return [self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE, name, whole=True)]
        if name in ("EVAL", "EVALSHA", "FCALL"):
            return [
                self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE, "script body is not analysed")
            ]
        if (name, sub) in _REDIS_SUB:
            risk, detail = _REDIS_SUB[(name, sub)]
            return [self._db(conn, f"redis.{name.lower()}.{sub.lower()}", risk, detail)]
        if name in _REDIS_READ_FAMILIES and (sub in _REDIS_READ_SUBS or not sub):
            return [
                self._db(conn, f"redis.{name.lower()}" + (f".{sub.lower()}" if sub else ""), READ)
            ]
        if name in _REDIS_READ:
            return [self._db(conn, f"redis.{name.lower()}", READ)]
        if name in _REDIS_WRITE:
            key = args[0] if args else Word("?")
            return [self._key(conn, key, f"redis.{name.lower()}", WRITE, "")]
        unparsed(f"unknown command {head.text[:40]}")
        return [self._db(conn, f"redis.{name.lower()[:40]}", WRITE, "unknown command")]

    @staticmethod
    def _key(conn: Conn, key: Word, verb: str, risk: Risk, detail: str) -> Target:
        return Target(
            kind="key",
            name=f"key {key.shown}",
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool="redis-cli",
            locator=conn.locator,
            detail=detail,
            unresolved=key.unknown or conn.unresolved,
        )


# --------------------------------------------------------------------------- mongosh


_MONGO_TAKES = frozenset(
    {
        "--eval",
        "-f",
        "--file",
        "--host",
        "--port",
        "-u",
        "--username",
        "-p",
        "--password",
        "--authenticationDatabase",
        "--authenticationMechanism",
        "--apiVersion",
        "--tlsCAFile",
        "--tlsCertificateKeyFile",
        "--tlsCertificateKeyFilePassword",
        "--awsAccessKeyId",
        "--awsSecretAccessKey",
        "--awsSessionToken",
        "--gssapiServiceName",
        "--sspiHostnameCanonicalization",
        "--browser",
        "--oidcFlows",
        "--oidcRedirectUri",
        "--json",
        "--tlsCRLFile",
        "--tlsCertificateSelector",
        "--db",
    }
)

_JS_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
    |(?P<name>[$A-Za-z_][$\w]*)|(?P<num>\d[\w.]*)
    |(?P<punct>=>|\.\.\.|[=!]==?|[<>]=?|&&|\|\||\?\?|[{}()\[\];,.:?=+\-*/%&|^~!])""",
    re.X | re.S,
)

# method → (risk, verb suffix, what); None risk = decided by code below
_MONGO_METHODS: dict[str, Risk] = {
    "dropDatabase": CATASTROPHIC,
    "dropAllUsers": CATASTROPHIC,
    "dropUser": CATASTROPHIC,
    "drop": DESTRUCTIVE,
    "dropIndex": DESTRUCTIVE,
    "dropIndexes": DESTRUCTIVE,
    "dropRole": DESTRUCTIVE,
    "dropAllRoles": DESTRUCTIVE,
    "revokeRolesFromUser": DESTRUCTIVE,
    "revokePrivilegesFromRole": DESTRUCTIVE,
    "killOp": DESTRUCTIVE,
    "shutdownServer": DESTRUCTIVE,
    "fsyncLock": WRITE,
    "fsyncUnlock": WRITE,
    "insertOne": WRITE,
    "insertMany": WRITE,
    "insert": WRITE,
    "save": WRITE,
    "updateOne": WRITE,
    "replaceOne": WRITE,
    "findOneAndUpdate": WRITE,
    "findOneAndReplace": WRITE,
    "findOneAndDelete": WRITE,
    "findAndModify": WRITE,
    "deleteOne": WRITE,
    "createCollection": WRITE,
    "createIndex": WRITE,
    "createIndexes": WRITE,
    "ensureIndex": WRITE,
    "createView": WRITE,
    "createUser": WRITE,
    "updateUser": WRITE,
    "changeUserPassword": WRITE,
    "createRole": WRITE,
    "updateRole": WRITE,
    "grantRolesToUser": WRITE,
    "grantPrivilegesToRole": WRITE,
    "grantRolesToRole": WRITE,
    "setProfilingLevel": WRITE,
    "compact": WRITE,
    "reIndex": WRITE,
    "hideIndex": WRITE,
    "unhideIndex": WRITE,
    "renameCollection": WRITE,
    "bulkWrite": WRITE,
    "deleteMany": WRITE,
    "remove": WRITE,
    "updateMany": WRITE,
    "update": WRITE,
    "aggregate": READ,
    "runCommand": READ,
    "adminCommand": READ,
}
_MONGO_READ_METHODS = _words(
    """find findOne countDocuments estimatedDocumentCount count distinct getIndexes
    getIndexKeys getIndexSpecs stats dataSize storageSize totalSize totalIndexSize explain
    getCollectionNames getCollectionInfos getCollection getSiblingDB getName getMongo
    getDBNames hostInfo serverStatus serverBuildInfo version isMaster hello currentOp
    printCollectionStats getUsers getUser getRoles getRole watch toArray forEach map limit
    skip sort project projection pretty hasNext next tryNext itcount size batchSize hint
    maxTimeMS collation comment readPref readConcern allowDiskUse noCursorTimeout returnKey
    showRecordId min max tailable close isClosed isExhausted objsLeftInBatch getDB
    latencyStats getShardDistribution isCapped getReplicationInfo printReplicationInfo
    printSecondaryReplicationInfo printShardingStatus status conf config help
    listCollections listDatabases getProfilingStatus getLogComponents serverCmdLineOpts
    getCollectionInfo filter reduce join push pop slice includes indexOf keys values entries
    length toString toFixed valueOf getTime toISOString toJSON stringify parse log
    getTimestamp str valueOf concat split trim toLowerCase toUpperCase startsWith endsWith
    replace some every findLast sum floor ceil round abs getBalancerState
    isBalancerRunning getFullYear getMonth getDate now hex toHexString equals"""
)
_MONGO_FUNCTIONS = _words(
    """print printjson printjsononeline tojson tojsononeline ObjectId ISODate Date NumberLong
    NumberInt NumberDecimal Decimal128 UUID BinData Timestamp MinKey MaxKey DBRef RegExp
    String Number Boolean Array Object parseInt parseFloat isNaN sleep Math JSON Int32 Long
    Double MD5 HexData Symbol Error Map Set Promise"""
)
_JS_KEYWORDS = _words(
    """if for while switch catch return typeof function do else try finally new const let var
    of in await async throw case default break continue delete void instanceof yield class
    this true false null undefined"""
)
_MONGO_RUNCOMMAND_READ = _words(
    """ping serverStatus listDatabases listCollections buildInfo isMaster ismaster hello
    dbStats collStats count find aggregate getParameter connectionStatus hostInfo currentOp
    replSetGetStatus getLog listIndexes whatsmyuri explain usersInfo rolesInfo
    getCmdLineOpts top validate dataSize features"""
)
_MONGO_RUNCOMMAND_RISK: dict[str, Risk] = {
    "dropDatabase": CATASTROPHIC,
    "dropAllUsersFromDatabase": CATASTROPHIC,
    "dropUser": CATASTROPHIC,
    "drop": DESTRUCTIVE,
    "delete": DESTRUCTIVE,
    "dropIndexes": DESTRUCTIVE,
    "shutdown": DESTRUCTIVE,
    "killOp": DESTRUCTIVE,
    "replSetStepDown": DESTRUCTIVE,
    "replSetReconfig": DESTRUCTIVE,
    "compact": WRITE,
    "insert": WRITE,
    "update": DESTRUCTIVE,
    "create": WRITE,
    "createIndexes": WRITE,
    "renameCollection": WRITE,
    "setParameter": WRITE,
    "fsync": WRITE,
}


@dataclass
class _Tok:
    kind: str
    text: str


def js_tokens(text: str) -> list[_Tok] | None:
    """Tokens of a JavaScript snippet, or None where we cannot tokenize it."""
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _JS_TOKEN.match(text, pos)
        if m is None:
            return None
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            toks.append(_Tok(kind, m.group(0)))
        pos = m.end()
    return toks


def _str_value(tok: _Tok) -> str:
    return tok.text[1:-1] if tok.kind == "str" else tok.text


def _matching(toks: Sequence[_Tok], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (len(toks) when unbalanced)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opening = toks[i].text
    closing = pairs[opening]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == opening:
            depth += 1
        elif toks[j].text == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def _opening(toks: Sequence[_Tok], j: int) -> int:
    """Index of the bracket opening the one that closes at ``j`` (-1 when unbalanced)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    closing = toks[j].text
    opening = pairs[closing]
    depth = 0
    for i in range(j, -1, -1):
        if toks[i].text == closing:
            depth += 1
        elif toks[i].text == opening:
            depth -= 1
            if depth == 0:
                return i
    return -1


class MongoPack(_DbPack):
    """mongosh / mongo: JavaScript from --eval, script files and stdin."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _MONGO_TAKES)
        tool = cmd.program if cmd.program in self.programs else self.name
        files = [w for w in positionals if w.unknown or w.text.endswith(".js")]
        conn_words = [w for w in positionals if w not in files]
        conn = self._conn(cmd, ctx, options, conn_words[0] if conn_words else None)
        run = _MongoRun(tool)
        targets: list[Target] = []

        def unparsed(detail: str) -> None:
            ctx.unparsed(f"{tool}: {detail}")

        if _has(options, "--nodb") and not _opt(options, "--eval") and not files:
            return [conn.target("mongo.session", READ, tool, "--nodb")]
        evals = _opt(options, "--eval")
        for word in evals:
            if word is None or word.unknown:
                unparsed("--eval: the script comes from a variable or command we cannot see")
            else:
                targets.extend(run.script(word.text, conn, unparsed))
        for word in [*files, *[w for w in _opt(options, "-f", "--file") if w is not None]]:
            text = None if word.unknown else _read_script(ctx, word.text)
            if text is None:
                unparsed(f"script {word.shown}: cannot see it")
            else:
                targets.extend(run.script(text, conn, unparsed))
        if not evals and not files and not _has(options, "-f", "--file"):
            stdin = _stdin(cmd, ctx)
            if stdin.problem:
                unparsed(stdin.problem)
            elif stdin.text is not None:
                targets.extend(run.script(stdin.text, conn, unparsed))
        if not targets:
            targets.append(conn.target("mongo.session", READ, tool, "interactive session"))
        return targets

    @staticmethod
    def _conn(
        cmd: SimpleCommand, ctx: ClassifyContext, options: Options, first: Word | None
    ) -> Conn:
        b = _ConnBuilder("mongodb")
        host_word = _last(options, "--host")
        for word in (first, host_word):
            if word is None:
                continue
            if word.unknown:
                b.conn.unresolved = True
                continue
            text = word.text
            if text.startswith(("mongodb://", "mongodb+srv://")):
                fields = _parse_url(text) or {}
                if text.startswith("mongodb+srv://"):
                    b.conn.scheme = "mongodb+srv"
                b.offer_fields(fields)
            elif word is host_word:
                if "/" in text or "," in text or text.count(":") != 1:
                    b.offer("host", text)  # replica set "rs0/h1,h2", several hosts, IPv6
                else:
                    host, _, port = text.partition(":")
                    b.offer("host", host)
                    b.offer("port", port)
            elif "/" not in text and ":" not in text and "." not in text:
                b.offer("dbname", text)  # mongosh mydb
            else:
                hostport, _, db = text.partition("/")  # mongosh host[:port][/db]
                host, _, port = hostport.partition(":")
                b.offer("host", host)
                b.offer("port", port)
                b.offer("dbname", db)
        b.offer("port", _last(options, "--port"))
        b.offer("user", _last(options, "-u", "--username"))
        b.offer("dbname", _last(options, "--db"))
        if not b.conn.dbname:
            b.conn.dbname = "test"
        return b.conn


class _MongoRun:
    """Analysis of the JavaScript one mongosh invocation runs."""

    def __init__(self, tool: str) -> None:
        self.tool = tool

    def script(self, text: str, conn: Conn, unparsed: Callable[[str], None]) -> list[Target]:
        targets: list[Target] = []
        segment: list[str] = []
        state = {"db": conn.dbname}

        def run() -> None:
            if segment:
                targets.extend(self._js("\n".join(segment), conn, state, unparsed))
                segment.clear()

        for line in text.splitlines():
            stripped = line.strip().rstrip(";").strip()
            if m := re.fullmatch(r"use\s+([\w.-]+)", stripped):
                run()
                state["db"] = m.group(1)
            elif re.fullmatch(r"show\s+\w+|it|exit|quit|exit\(\)|quit\(\)", stripped):
                run()
                targets.append(self._target(conn, state["db"], "", "mongo.show", READ))
            else:
                segment.append(line)
        run()
        return targets

    def _target(
        self,
        conn: Conn,
        db: str,
        coll: str,
        verb: str,
        risk: Risk,
        detail: str = "",
        unresolved: bool = False,
    ) -> Target:
        locator = Conn(conn.scheme, conn.host, conn.port, conn.user, db).locator
        if coll:
            return Target(
                kind="collection",
                name=f"collection {db}.{coll}",
                verb=verb,
                risk=risk,
                reversible=risk <= WRITE,
                tool=self.tool,
                locator=locator,
                detail=detail,
                unresolved=unresolved or conn.unresolved,
            )
        return Target(
            kind="database",
            name=f"database {db}",
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool=self.tool,
            locator=locator,
            detail=detail,
            unresolved=unresolved or conn.unresolved,
        )

    def _js(
        self, text: str, conn: Conn, state: dict[str, str], unparsed: Callable[[str], None]
    ) -> list[Target]:
        toks = js_tokens(text)
        if toks is None:
            unparsed("cannot tokenize the script")
            return [
                self._target(
                    conn, state["db"], "", "mongo.script", DESTRUCTIVE, "script not analysed"
                )
            ]
        if any(t.kind == "str" and t.text.startswith("`") and "${" in t.text for t in toks):
            unparsed("template strings with ${…} are not analysed")
        declared = {
            toks[i + 1].text
            for i, t in enumerate(toks[:-1])
            if t.text in ("function", "const", "let", "var") and toks[i + 1].kind == "name"
        }
        targets: list[Target] = []
        for i, tok in enumerate(toks):
            nxt = toks[i + 1].text if i + 1 < len(toks) else ""
            if tok.text == "db" and nxt == "[" and not (i > 0 and toks[i - 1].text == "."):
                close = _matching(toks, i + 1)
                if not (close == i + 3 and toks[i + 2].kind == "str"):
                    unparsed("collection named by an expression")
            if nxt != "(":
                continue
            if tok.kind != "name":
                if tok.text == "]":
                    unparsed("call of a computed method")
                continue
            method = tok.text
            prev = toks[i - 1].text if i > 0 else ""
            if prev != ".":
                if prev == "function" or method in _JS_KEYWORDS or method in declared:
                    continue
                if method not in _MONGO_FUNCTIONS:
                    unparsed(f"call of unknown function {method}()")
                continue
            receiver_db, coll, unresolved, receiver = self._receiver(toks, i - 1, state["db"])
            if receiver in ("rs", "sh") and method not in _MONGO_READ_METHODS:
                unparsed(f"{receiver}.{method}() is not analysed")
                targets.append(
                    self._target(
                        conn,
                        receiver_db,
                        "",
                        f"mongo.{receiver}.{method}",
                        DESTRUCTIVE,
                        f"{receiver}.{method}()",
                    )
                )
                continue
            if method in _MONGO_METHODS:
                targets.extend(
                    self._method(toks, i, method, conn, receiver_db, coll, unresolved, unparsed)
                )
            elif method not in _MONGO_READ_METHODS:
                unparsed(f"call of unknown method {method}()")
            elif method in (
                "find",
                "findOne",
                "countDocuments",
                "count",
                "distinct",
                "estimatedDocumentCount",
                "stats",
                "getIndexes",
                "watch",
            ):
                targets.append(
                    self._target(
                        conn, receiver_db, coll, f"mongo.{method}", READ, unresolved=unresolved
                    )
                )
        if not targets:
            targets.append(self._target(conn, state["db"], "", "mongo.eval", READ))
        return targets

    @staticmethod
    def _receiver(toks: Sequence[_Tok], dot: int, db: str) -> tuple[str, str, bool, str]:
        """(database, collection, unresolved, receiver word) of the call whose '.' is ``dot``.

        ``db.users.drop()`` → users; ``db.getCollection("x").drop()`` → x;
        ``db["x"].drop()`` → x; ``db.getSiblingDB("y").dropDatabase()`` → database y.
        """
        j = dot - 1
        if j < 0:
            return db, "", True, ""
        tok = toks[j]
        if tok.kind == "name" and (j == 0 or toks[j - 1].text != "."):
            if tok.text == "db":
                return db, "", False, "db"
            return db, "?", True, tok.text
        if tok.kind == "name" and j >= 2 and toks[j - 1].text == ".":
            owner = _MongoRun._receiver(toks, j - 1, db)
            if owner[3] == "db" and not owner[1]:
                return owner[0], tok.text, False, "collection"
            return owner[0], "?", True, tok.text
        if tok.text == ")":
            start = _opening(toks, j)
            if start >= 2 and toks[start - 1].kind == "name" and toks[start - 2].text == ".":
                call = toks[start - 1].text
                args = toks[start + 1 : j]
                owner = _MongoRun._receiver(toks, start - 2, db)
                literal = len(args) == 1 and args[0].kind == "str"
                if call == "getCollection":
                    if literal:
                        return owner[0], _str_value(args[0]), False, "collection"
                    return owner[0], "?", True, "collection"
                if call == "getSiblingDB":
                    if literal:
                        return _str_value(args[0]), "", False, "db"
                    return "?", "", True, "db"
                return owner  # a cursor method: find(...).sort(...) keeps its collection
            return db, "?", True, ""
        if tok.text == "]":
            start = _opening(toks, j)
            args = toks[start + 1 : j]
            if (
                start >= 1
                and toks[start - 1].text == "db"
                and len(args) == 1
                and (args[0].kind == "str")
            ):
                return db, _str_value(args[0]), False, "collection"
            return db, "?", True, ""
        return db, "?", True, ""

    def _method(
        self,
        toks: Sequence[_Tok],
        i: int,
        method: str,
        conn: Conn,
        db: str,
        coll: str,
        unresolved: bool,
        unparsed: Callable[[str], None],
    ) -> list[Target]:
        close = _matching(toks, i + 1)
        args = toks[i + 2 : close]
        texts = [t.text for t in args]
        empty_filter = not args or (
            texts[:2] == ["{", "}"] and (len(texts) == 2 or texts[2] == ",")
        )
        risk = _MONGO_METHODS[method]
        detail = f"{method}()"
        verb = f"mongo.{method}"
        if method in ("deleteMany", "remove") and empty_filter:
            risk, detail = DESTRUCTIVE, f"{method} with an empty filter deletes every document"
        elif method in ("updateMany", "update") and empty_filter:
            risk, detail = DESTRUCTIVE, f"{method} with an empty filter changes every document"
        elif method == "aggregate":
            words = {_str_value(t) for t in args}
            if "$out" in words:
                risk, detail = DESTRUCTIVE, "$out replaces the target collection"
            elif "$merge" in words:
                risk, detail = WRITE, "$merge writes into a collection"
        elif method == "bulkWrite":
            if {"deleteMany", "replaceOne", "updateMany"} & {_str_value(t) for t in args}:
                risk, detail = DESTRUCTIVE, "bulkWrite with deleteMany/updateMany/replaceOne"
        elif method == "renameCollection" and "true" in texts:
            risk, detail = DESTRUCTIVE, "renameCollection with dropTarget"
        elif method == "grantRolesToUser" and {"root", "'root'", '"root"'} & set(texts):
            risk, detail = DESTRUCTIVE, "grants the root role"
        elif method in ("runCommand", "adminCommand"):
            name = ""
            if len(args) >= 2 and texts[0] == "{" and args[1].kind in ("name", "str"):
                name = _str_value(args[1])
            elif args and args[0].kind == "str":
                name = _str_value(args[0])
            if name in _MONGO_RUNCOMMAND_RISK:
                risk, detail = _MONGO_RUNCOMMAND_RISK[name], f"{method}({{{name}}})"
            elif name in _MONGO_RUNCOMMAND_READ:
                risk, detail = READ, f"{method}({{{name}}})"
            else:
                unparsed(f"{method}({name or '…'}) is not analysed")
                risk, detail = DESTRUCTIVE, f"{method}({name or '…'}) not analysed"
            verb = f"mongo.command.{name or 'unknown'}"
        on_db = method in (
            "dropDatabase",
            "dropAllUsers",
            "dropUser",
            "dropRole",
            "dropAllRoles",
            "createUser",
            "updateUser",
            "createRole",
            "grantRolesToUser",
            "revokeRolesFromUser",
            "runCommand",
            "adminCommand",
            "killOp",
            "shutdownServer",
            "fsyncLock",
            "fsyncUnlock",
            "setProfilingLevel",
            "createCollection",
            "createView",
            "changeUserPassword",
            "updateRole",
            "grantPrivilegesToRole",
            "revokePrivilegesFromRole",
            "grantRolesToRole",
        )
        if (
            method
            in (
                "dropUser",
                "createUser",
                "updateUser",
                "grantRolesToUser",
                "revokeRolesFromUser",
                "changeUserPassword",
            )
            and args
            and (args[0].kind == "str")
        ):
            user = _str_value(args[0])
            locator = Conn(conn.scheme, conn.host, conn.port, conn.user, db).locator
            return [
                Target(
                    kind="role",
                    name=f"user {user}",
                    verb=verb,
                    risk=risk,
                    reversible=risk <= WRITE,
                    tool=self.tool,
                    locator=locator,
                    detail=detail,
                    unresolved=conn.unresolved,
                )
            ]
        if on_db or not coll:
            return [self._target(conn, db, "", verb, risk, detail, unresolved and db == "?")]
        return [self._target(conn, db, coll, verb, risk, detail, unresolved)]


# --------------------------------------------------------------------------- registry


PACKS: list[Pack] = [
    PsqlPack(
        name="psql",
        programs=("psql",),
        kind="database",
        takes_value=_PSQL_TAKES,
        description="PostgreSQL client: SQL from -c, -f and stdin",
    ),
    MysqlPack(
        name="mysql",
        programs=("mysql", "mariadb"),
        kind="database",
        takes_value=_MYSQL_TAKES,
        description="MySQL / MariaDB client: SQL from -e and stdin",
    ),
    Sqlite3Pack(
        name="sqlite3",
        programs=("sqlite3", "sqlite"),
        kind="database",
        description="SQLite shell: SQL and dot-commands",
    ),
    RedisPack(
        name="redis-cli",
        programs=("redis-cli", "valkey-cli"),
        kind="database",
        description="Redis client: FLUSHALL, DEL, CONFIG SET …",
    ),
    MysqladminPack(
        name="mysqladmin",
        programs=("mysqladmin", "mariadb-admin"),
        kind="database",
        takes_value=_MYSQL_TAKES,
        description="MySQL administration: drop, kill, shutdown, flush-*",
    ),
    PgDumpPack(
        name="pg_dump",
        programs=("pg_dump", "pg_dumpall"),
        kind="database",
        description="PostgreSQL dumps (reads)",
    ),
    MysqldumpPack(
        name="mysqldump",
        programs=("mysqldump", "mariadb-dump"),
        kind="database",
        description="MySQL dumps (reads)",
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
    MongoPack(
        name="mongosh",
        programs=("mongosh", "mongo"),
        kind="database",
        description="MongoDB shell: --eval, script files, stdin",
    ),
]
