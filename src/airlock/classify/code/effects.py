"""What every language's analysis reports, turned into targets the same way.

The analyses (``python.py``, ``javascript.py``, ``scripting.py``) find what code does —
deletes a path, writes a file, runs a command, sends an HTTP request, runs SQL — and
report it to :class:`Effects`. Effects does not rate anything itself: a file operation
becomes the shell command that does the same (``shutil.rmtree(p)`` is ``rm -r -- p``,
``open(p, "w")`` is ``echo > p``, ``fs.renameSync(a, b)`` is ``mv -- a b``) and is classified
by dispatch through the context; a command is classified as shell; a request is rated
by the HTTP classification curl's requests go through
(:func:`airlock.classify.http.classify_request`); SQL by :mod:`airlock.classify.sql`. So
code and the command line get the same decision for the same act.

Values the analyses compute (:data:`Value`) are plain Python data: ``str`` (with
:data:`DYNAMIC` where a part is unknown), lists, dicts, numbers, :class:`Glob`,
:data:`UNKNOWN`, or a language's own reference objects.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, Redirect, SimpleCommand, Word
from airlock.classify.graphql import SENTINEL
from airlock.classify.http import HttpParseError, HttpRequest, classify_request, held_target
from airlock.classify.http.request import split_url
from airlock.classify.sql import classify_sql


class _Unknown:
    _inst: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True, slots=True)
class Glob:
    """A pattern the code expands (``glob.glob('/srv/*')``, ``Dir['/srv/*']``)."""

    pattern: str


MAX_ALTERNATIVES = 16


@dataclass(frozen=True, slots=True)
class Ref:
    """A module, function, class or object the code names, by its canonical dotted name
    (``os.system``, ``fs.rmSync``; an object made by a call ends in ``()``:
    ``pathlib.Path()``, ``requests.Session()``). ``path`` is a path object's path (or an
    object's own data), ``base`` a client's base URL."""

    name: str
    path: Any = None
    base: str = ""


@dataclass(frozen=True, slots=True)
class OneOf:
    """A name bound in several places: any of these values."""

    values: tuple[Any, ...]


Value = Any  # str | int | float | bool | None | list | dict | Glob | Ref | OneOf | UNKNOWN


def single(v: Value) -> Value:
    """A value that is one of several: unknown."""
    return UNKNOWN if isinstance(v, OneOf) else v


def one_of(values: list[Value]) -> Value:
    flat: list[Any] = []
    for v in values:
        for x in (v.values if isinstance(v, OneOf) else (v,)):
            if x not in flat:
                flat.append(x)
    if len(flat) == 1:
        return flat[0]
    return OneOf(tuple(flat)) if len(flat) <= MAX_ALTERNATIVES else UNKNOWN


def refs(v: Value) -> list[Ref]:
    return [x for x in (v.values if isinstance(v, OneOf) else (v,)) if isinstance(x, Ref)]


def text_of(v: Value) -> str | None:
    """The text of a value that is (partly) known text, else None."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return str(v)
    return None


def word(v: Value) -> Word:
    """A value as the shell word a command would get."""
    if isinstance(v, Glob):
        return Word(v.pattern, dynamic=DYNAMIC in v.pattern, glob=True)
    t = text_of(v)
    if t is None:
        return Word(DYNAMIC, dynamic=True)
    return Word(t, dynamic=DYNAMIC in t)


def to_json(v: Value) -> str:
    """A value as JSON text; what is unknown becomes a DYNAMIC string."""

    def plain(x: Value, depth: int = 0) -> Any:
        if depth > 32:
            return DYNAMIC
        if isinstance(x, dict):
            return {str(k): plain(val, depth + 1) for k, val in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(val, depth + 1) for val in x]
        if isinstance(x, (str, int, float, bool)) or x is None:
            return x
        return DYNAMIC

    return json.dumps(plain(v)).replace("\\u0000?", DYNAMIC)


def known(v: Value, depth: int = 0) -> bool:
    """Whether a value holds nothing unknown."""
    if depth > 32:
        return False
    if isinstance(v, str):
        return DYNAMIC not in v
    if isinstance(v, dict):
        return all(known(x, depth + 1) for x in v.values())
    if isinstance(v, (list, tuple)):
        return all(known(x, depth + 1) for x in v)
    return isinstance(v, (int, float, bool)) or v is None


@dataclass
class Request:
    """An HTTP request code builds, before it is rated: what the client library would
    put on the wire. ``url`` None: the URL cannot be known."""

    method: Value
    url: Value
    headers: Value = None
    params: Value = None
    json: Value = None
    data: Value = None
    base: str = ""
    has_json: bool = False

    def build(self, tool: str) -> HttpRequest:
        method = text_of(self.method)
        method = "?" if method is None or DYNAMIC in method else method.upper()
        url = text_of(self.url)
        if url is None or url.startswith(DYNAMIC):
            raise HttpParseError(f"{tool}: the URL of a request is not known")
        if self.base and "://" not in url:
            url = self.base.rstrip("/") + "/" + url.lstrip("/")
        if "://" not in url:
            raise HttpParseError(f"{tool}: request to {url!r}, which is not a URL", url)
        parts = split_url(url)
        if parts is None or not parts.host or SENTINEL in parts.host:
            raise HttpParseError(f"{tool}: the host of {url.replace(DYNAMIC, '$?')!r} "
                                 "is not known", url.replace(DYNAMIC, "$?"))
        req = HttpRequest(method=method, url=url)
        if isinstance(self.params, dict):
            q = urlencode({str(k): text_of(v) or DYNAMIC for k, v in self.params.items()})
            url = url + ("&" if "?" in url else "?") + q
            req.url = url
        elif self.params is not None:
            req.url = url + ("&" if "?" in url else "?") + DYNAMIC
        if isinstance(self.headers, dict):
            req.headers = [(str(k), text_of(v) or DYNAMIC) for k, v in self.headers.items()]
        elif self.headers is not None:
            req.headers = [("X-Unknown", DYNAMIC)]
        if self.has_json:
            req.headers.append(("Content-Type", "application/json"))
            req.body = to_json(self.json)
            req.body_unknown = self.json is UNKNOWN
            req.body_source = "the code"
        elif self.data is not None:
            if isinstance(self.data, dict):
                req.form = [(str(k), text_of(v) or DYNAMIC) for k, v in self.data.items()]
                req.body = urlencode(req.form)
                if not any(k.lower() == "content-type" for k, _ in req.headers):
                    req.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            elif isinstance(self.data, bytes):
                req.body = self.data.decode("utf-8", "replace")
            else:
                t = text_of(self.data)
                req.body = t if t is not None else DYNAMIC
                req.body_unknown = t is None
            req.body_source = "the code"
        return req


@dataclass
class Effects:
    """The targets of one piece of code, as its analysis finds what it does.

    ``strict`` is for code on the command line (``python -c``): there, a request to a URL
    Airlock cannot see is held like ``curl "$URL"``. A program file (``python x.py``) is
    judged less strictly (a GET of a URL from a variable reads)."""

    cmd: SimpleCommand
    ctx: ClassifyContext
    strict: bool = True
    targets: list[Target] = field(default_factory=list)

    @property
    def prog(self) -> str:
        return self.cmd.program

    # ---- what the code cannot be seen through ---------------------------------------

    def held(self, why: str) -> None:
        """Something the code does that Airlock cannot see: held."""
        self.ctx.unparsed(f"{self.prog} code: {why}")
        self.targets.append(Target(kind="program", name=self.prog, verb=f"{self.prog}.code",
                                   risk=Risk.DESTRUCTIVE, tool=self.prog, locator="unknown:",
                                   detail=why, unresolved=True))

    # ---- files: the shell command that does the same -----------------------------------

    def run(self, argv: list[Value | Word], what: str, *, redirect: Redirect | None = None,
            synthetic: bool = True, stdin: str | None = None) -> None:
        """Classify the command ``argv`` as if the code had run it (through dispatch)."""
        words = [a if isinstance(a, Word) else word(a) for a in argv]
        if not words or words[0].dynamic:
            self.held(f"{what}: runs a program whose name Airlock cannot see")
            return
        sub = SimpleCommand(argv=words, redirects=[redirect] if redirect else [],
                            privileged=self.cmd.privileged, via=(*self.cmd.via, self.prog),
                            stdin=stdin)
        found = self.ctx.classify_command(sub)
        prog = sub.program
        for t in found:
            if synthetic and t.kind == "program" and t.risk <= Risk.READ and t.tool == prog:
                continue  # the stand-in command itself (`cat`, `:`) is not what runs
            t.detail = f"{what}: {t.detail}" if t.detail else what
            if synthetic:
                t.tool = self.prog
            self.targets.append(t)

    def delete(self, path: Value, what: str, *, recursive: bool = False,
               directory: bool = False) -> None:
        if directory and not recursive:
            self.run(["rmdir", "--", path], what)
        else:
            self.run(["rm", *(["-r"] if recursive else []), "--", path], what)

    def truncate(self, path: Value, what: str) -> None:
        self.run(["truncate", "-s", "0", "--", path], what)

    def write(self, path: Value, what: str, *, replace: bool = True) -> None:
        """Writes content to ``path`` (``echo > path``: replacing an existing file outside
        the workspace loses what it held; a new one is an ordinary write)."""
        self.run(["echo"], what, redirect=Redirect(">" if replace else ">>", word(path)))

    def read(self, path: Value, what: str) -> None:
        """A file the code reads: only a secret file matters (``cat`` is judged so)."""
        w = word(path)
        if w.dynamic or not w.text:
            return
        self.run(["cat", "--", w], what)

    def move(self, src: Value, dst: Value, what: str) -> None:
        self.run(["mv", "--", src, dst], what)

    def copy(self, src: Value, dst: Value, what: str, *, recursive: bool = False) -> None:
        self.run(["cp", *(["-r"] if recursive else []), "--", src, dst], what)

    def link(self, src: Value, dst: Value, what: str) -> None:
        self.run(["ln", "-sf", "--", src, dst], what)

    def chmod(self, path: Value, mode: Value, what: str, *, owner: bool = False) -> None:
        m = mode
        if isinstance(mode, int) and not isinstance(mode, bool):
            m = format(mode, "o")
        self.run(["chown" if owner else "chmod", m, "--", path], what)

    # ---- commands ---------------------------------------------------------------------

    def shell(self, source: Value, what: str, *, stdin: Value = None) -> None:
        """A command line the code hands to a shell. ``stdin``: what the code writes to
        its input (text, or UNKNOWN when it writes what Airlock cannot see)."""
        t = text_of(source)
        if t is None or DYNAMIC in t:
            self.held(f"{what}: runs a command Airlock cannot see")
            return
        if stdin is not None:
            data = text_of(stdin)
            if data is None or DYNAMIC in data:
                try:
                    words = shlex.split(t)
                except ValueError:
                    words = [t]
                if reads_code(words):
                    self.held(f"{what}: writes into the input of {words[0]}, which runs "
                              "what it reads")
                    return
            else:
                t = f"{t} <<'__AIRLOCK_INPUT__'\n{data}\n__AIRLOCK_INPUT__"
        for target in self.ctx.classify_source(Word(t), f"{self.prog} {what}"):
            target.detail = f"{what}: {target.detail}" if target.detail else what
            self.targets.append(target)

    def argv(self, argv: Value, what: str, *, program: Value = None,
             stdin: Value = None) -> None:
        """A program run with these arguments (no shell). ``program`` replaces
        ``argv[0]`` as what is executed (``os.execv(path, argv)``)."""
        if isinstance(argv, str):
            argv = [argv]
        if not isinstance(argv, (list, tuple)) or (not argv and program is None):
            self.held(f"{what}: runs a command Airlock cannot see")
            return
        items = list(argv)
        if program is not None:
            items = [program, *items[1:]]
        if any(v is UNKNOWN for v in items[:1]):
            self.held(f"{what}: runs a program whose name Airlock cannot see")
            return
        data = text_of(stdin) if stdin is not None else None
        if stdin is not None and (data is None or DYNAMIC in data):
            words = [text_of(v) or DYNAMIC for v in items]
            if reads_code(words):
                self.held(f"{what}: writes into the input of {words[0]}, which runs what "
                          "it reads")
                return
            data = None
        self.run(items, what, synthetic=False, stdin=data)

    def shell_or_argv(self, args: Value, shell: bool, what: str, *,
                      stdin: Value = None) -> None:
        if isinstance(args, (list, tuple)):
            if shell:
                parts = [text_of(a) for a in args]
                if parts and parts[0] is not None:
                    self.shell(parts[0], what, stdin=stdin)  # the first item is the script
                    return
                self.held(f"{what}: runs a command Airlock cannot see")
                return
            self.argv(args, what, stdin=stdin)
        else:
            self.shell(args, what, stdin=stdin)

    def run_file(self, interpreter: str, path: Value, what: str) -> None:
        """Code loads and runs a local file (``require('./x.js')``, ``fork('w.js')``)."""
        self.run([interpreter, path], what, synthetic=False)

    # ---- HTTP and SQL -------------------------------------------------------------------

    def http(self, request: Request, what: str) -> None:
        try:
            req = request.build(self.prog)
        except HttpParseError as exc:
            method = text_of(request.method) or "?"
            if not self.strict and method.upper() in ("GET", "HEAD", "OPTIONS"):
                return  # a program file reading a URL from its configuration
            self.ctx.unparsed(f"{what}: {exc.reason}")
            t = held_target(exc, self.prog)
            t.detail = f"{what}: {t.detail}"
            self.targets.append(t)
            return
        for t in classify_request(req, self.ctx, tool=self.prog):
            t.detail = f"{what}: {t.detail}" if t.detail else what
            self.targets.append(t)

    def sql(self, text: Value, what: str, dialect: str = "postgresql") -> None:
        t = text_of(text)
        if t is None or DYNAMIC in t:
            self.held(f"{what}: runs SQL Airlock cannot see")
            return
        found, problems = classify_sql(t, dialect=dialect, tool=self.prog,
                                       locator="unknown:")
        for p in problems:
            self.ctx.unparsed(p)
        self.targets.extend(found)


# programs that run the code or statements they read on stdin
CODE_READERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox",
                          "python", "python2", "python3", "perl", "ruby", "node", "php", "lua",
                          "psql", "mysql", "mariadb", "sqlite3", "mongo", "mongosh",
                          "redis-cli", "xargs", "sudo", "su", "ssh", "osascript", "Rscript",
                          "irb", "cqlsh", "clickhouse-client", "kubectl", "at", "crontab"})


_DB_CLIENTS = frozenset({"psql", "mysql", "mariadb", "sqlite3", "mongo", "mongosh", "redis-cli",
                         "cqlsh", "clickhouse-client"})


def reads_code(words: list[str]) -> bool:
    """Whether a command runs what is written to its input: a shell, an interpreter or a
    database client given no script, code or statement of its own (``sh``, ``bash -s``,
    ``python3 -``, ``psql -h db``)."""
    if not words:
        return True
    prog = os.path.basename(words[0])
    if prog.startswith("python") or DYNAMIC in prog:
        prog = "python" if DYNAMIC not in prog else "sh"
    if prog not in CODE_READERS:
        return False
    if prog in ("xargs", "sudo", "su", "ssh", "kubectl", "at", "crontab"):
        return True
    rest = words[1:]
    code_flags = {"-c", "-e", "-E", "-r", "--command", "--execute", "--eval", "-f", "--file"}
    if any(w in code_flags or (w.startswith("-") and not w.startswith("--") and
                               w[1:].isalpha() and "c" in w[1:] and prog in
                               ("sh", "bash", "zsh", "dash", "ksh")) for w in rest):
        return False
    positional = [w for w in rest if not w.startswith("-")]
    if prog in _DB_CLIENTS:
        return prog != "sqlite3" or len(positional) <= 1
    return not positional or positional == ["-"]


def join_argv(items: list[Value]) -> str | None:
    """``['rm', '-rf', x]`` as one shell line, or None when a part is unknown."""
    parts = [text_of(i) for i in items]
    if any(p is None or DYNAMIC in p for p in parts):
        return None
    return " ".join(shlex.quote(p) for p in parts if p is not None)
