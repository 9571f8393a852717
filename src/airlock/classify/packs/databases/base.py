"""What every database pack shares: reading options and environment variables, scripts
and stdin; connection locators (:class:`Conn`) from URLs, conninfo strings and options;
the SQL session a client runs (:class:`Session`); and the :class:`DbPack` base."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs.base import Pack
from airlock.classify.sql import classify_sql

READ, WRITE, DESTRUCTIVE, CATASTROPHIC = (
    Risk.READ,
    Risk.WRITE,
    Risk.DESTRUCTIVE,
    Risk.CATASTROPHIC,
)

MAX_SCRIPT_BYTES = 1_000_000
MAX_INCLUDE_DEPTH = 4

Options = dict[str, list[Word | None]]


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


def env_value(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> tuple[str, bool]:
    """(value, unknown) of an environment variable: the command's own prefix first."""
    if name in cmd.env:
        word = cmd.env[name]
        return ("", True) if word.unknown else (word.text, False)
    return ctx.environ.get(name, ""), False


def options_of(options: Options, *names: str) -> list[Word | None]:
    values: list[Word | None] = []
    for name in names:
        values.extend(options.get(name, []))
    return values


def last_option(options: Options, *names: str) -> Word | None:
    values = [v for v in options_of(options, *names) if v is not None]
    return values[-1] if values else None


def has_option(options: Options, *names: str) -> bool:
    return any(name in options for name in names)


def read_script(ctx: ClassifyContext, path: str) -> str | None:
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
class Stdin:
    text: str | None = None  # what arrives on stdin, when we can see it
    problem: str = ""  # why we cannot see it
    base: str = ""  # directory of a redirected file (for relative includes)


def stdin_of(cmd: SimpleCommand, ctx: ClassifyContext) -> Stdin:
    """What the command reads on stdin: known text, an unseeable source, or nothing."""
    if cmd.stdin is not None:
        if cmd.stdin_unknown or DYNAMIC in cmd.stdin:
            return Stdin(problem="stdin contains a variable or command output we cannot see")
        return Stdin(text=cmd.stdin)
    for redirect in reversed(cmd.redirects):
        if redirect.op in ("<<", "<<<", "<<-"):
            if redirect.body_dynamic or redirect.body is None:
                return Stdin(problem="stdin (here-document) contains a variable or command")
            return Stdin(text=redirect.body)
        if redirect.op == "<":
            target = redirect.target
            if target is None or target.unknown:
                return Stdin(problem="stdin comes from a file named by a variable or glob")
            text = read_script(ctx, target.text)
            if text is None:
                return Stdin(problem=f"stdin file {target.text} cannot be read (or is > 1 MB)")
            return Stdin(text=text, base=os.path.dirname(ctx.abspath(target.text)))
    if cmd.stdin_unknown:
        return Stdin(problem="stdin comes from something we cannot see")
    return Stdin()


def file_write(
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


def parse_url(text: str) -> dict[str, str] | None:
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


CONNINFO = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")


def parse_conninfo(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in CONNINFO.findall(text):
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if key in ("host", "hostaddr", "port", "user", "dbname", "service"):
            fields["host" if key == "hostaddr" else key] = value
    return fields


def is_pg_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def pg_fields(text: str) -> dict[str, str] | None:
    """Fields of a libpq URL or conninfo string; None for a plain database name."""
    if is_pg_url(text):
        fields = parse_url(text) or {}
        if "service=" in text:  # postgresql:///app?service=prod
            service = parse_qs(urlsplit(text).query).get("service")
            if service:
                fields["service"] = service[-1]
        return fields
    if "=" in text:
        return parse_conninfo(text)
    return None


class ConnBuilder:
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
    b = ConnBuilder("postgresql")
    db_word = last_option(options, "-d", "--dbname") or dbname
    service = False  # a pg_service.conf entry: host and database are in a file
    if db_word is not None and db_word.unknown:
        b.conn.unresolved = True
    elif db_word is not None:
        fields = pg_fields(db_word.text)
        if fields is not None:
            service = bool(fields.pop("service", ""))
            b.offer_fields(fields)
        else:
            b.offer("dbname", db_word.text)
    b.offer("host", last_option(options, "-h", "--host"))
    b.offer("port", last_option(options, "-p", "--port"))
    b.offer("user", last_option(options, "-U", "--username") or user)
    for var, field in (
        ("PGHOST", "host"),
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGDATABASE", "dbname"),
    ):
        value, unknown = env_value(cmd, ctx, var)
        if unknown:
            b.conn.unresolved = True
        b.offer(field, value)
    value, unknown = env_value(cmd, ctx, "PGSERVICE")
    service = service or bool(value) or unknown
    url, unknown = env_value(cmd, ctx, "DATABASE_URL")
    if is_pg_url(url):
        fields = pg_fields(url) or {}
        service = service or bool(fields.pop("service", ""))
        b.offer_fields(fields)
    if service and not b.conn.host:
        # ``service=prod``/PGSERVICE: the host is in pg_service.conf, which Airlock does not
        # read; the default (localhost) would be a guess
        b.conn.unresolved = True
    if not b.conn.dbname and b.conn.user:
        b.conn.dbname = b.conn.user  # libpq's default database is the user name
    return b.conn


def mysql_conn(
    cmd: SimpleCommand, ctx: ClassifyContext, options: Options, dbname: Word | None
) -> Conn:
    b = ConnBuilder("mysql")
    b.offer("dbname", last_option(options, "-D", "--database") or dbname)
    b.offer("host", last_option(options, "-h", "--host"))
    b.offer("port", last_option(options, "-P", "--port"))
    b.offer("user", last_option(options, "-u", "--user"))
    for var, field in (("MYSQL_HOST", "host"), ("MYSQL_TCP_PORT", "port")):
        value, unknown = env_value(cmd, ctx, var)
        if unknown:
            b.conn.unresolved = True
        b.offer(field, value)
    url, _ = env_value(cmd, ctx, "DATABASE_URL")
    if url.startswith(("mysql://", "mariadb://")):
        b.offer_fields(parse_url(url))
    return b.conn


# --------------------------------------------------------------------------- sessions


class Session:
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


class DbPack(Pack):
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


def unquote_arg(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
