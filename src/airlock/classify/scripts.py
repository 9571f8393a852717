"""Scripts are read, not trusted: the file or recipe a command runs is classified.

``bash x.sh``, ``./x.sh`` (any shell shebang, or none: a shell runs a text file without
one), ``python x.py``, ``node x.js``, ``uv run x.py``, ``make [target]``,
``npm|pnpm|yarn run NAME`` (and ``npm test``/``start``), ``just NAME``: Airlock reads
the file, the Makefile recipe, the ``package.json`` script or the justfile recipe, and
classifies what it would run, as if the command had been typed:

- shell text (scripts, recipe lines, package scripts) goes back to dispatch through the
  context (:meth:`ClassifyContext.classify_source`), one level deeper;
- Python files go through the analysis ``python -c`` uses (:mod:`airlock.classify.code`);
- Node files are searched for the APIs that delete files or start processes.

Every file read is added to ``ctx.consumed``. What cannot be read — unreadable, not a
regular file, larger than :data:`limits.MAX_BYTES`, a script name from a variable, a
Makefile ``$(eval …)``, nesting deeper than ``ClassifyContext.MAX_DEPTH`` — is held
(an ``unparsed`` flag saying why). A file that does not exist runs nothing (the
program fails), so the command is judged as before: by the program and its arguments.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import textwrap

from airlock.action import Risk, Target
from airlock.classify import limits
from airlock.classify.code import SQL_WORDS, javascript_source, python_source
from airlock.classify.command import ClassifyContext, SimpleCommand, Word

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh"})
MAKES = frozenset({"make", "gmake"})
PACKAGE_MANAGERS = frozenset({"npm", "pnpm", "yarn"})
PROGRAMS = MAKES | PACKAGE_MANAGERS | {"just", "node", "nodejs"}

# a value nothing static can give (an unset make variable, a `$(wildcard …)`): a shell
# variable Airlock does not know, so dispatch treats the word as unknown
UNKNOWN = '"${__AIRLOCK_UNKNOWN__}"'
MAX_RULES = 256  # Makefile rules / justfile recipes followed for one command
MAX_INCLUDES = 16


class _Missing:
    """The file does not exist: the program fails, nothing is run."""


MISSING = _Missing()


def classify(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    """Targets of the file or recipe ``cmd`` runs, or None when it runs none Airlock
    reads (not a script runner, or the file or recipe does not exist)."""
    prog = cmd.program
    head = cmd.argv[0]
    if prog not in PROGRAMS and "/" not in head.text and not _python(prog) \
            and not (prog.endswith(".py") and cmd.via[-1:] == ("uv-run",)):
        return None  # the common case: costs one set lookup
    if ctx.depth > ctx.MAX_DEPTH:
        return _held(cmd, ctx, f"{prog}: scripts nested deeper than Airlock follows")
    if _python(prog) or prog in ("node", "nodejs"):
        return _interpreter(cmd, ctx)
    if prog in MAKES:
        return _make(cmd, ctx)
    if prog in PACKAGE_MANAGERS:
        return _package_script(cmd, ctx)
    if prog == "just":
        return _just(cmd, ctx)
    if prog.endswith(".py") and cmd.via[-1:] == ("uv-run",):
        return _file(head, "python", cmd, ctx)  # uv run x.py
    return _local_file(cmd, ctx)


def shell_script(path: Word, cmd: SimpleCommand, ctx: ClassifyContext,
                 args: tuple[Word, ...] | None = None) -> list[Target] | None:
    """``bash x.sh``, ``sh x.sh``, ``source env.sh``: the script as shell, with ``args``
    as its ``$0 $1 …`` when known. None when the file does not exist."""
    return _file(path, "shell", cmd, ctx, args)


# ---- reading ---------------------------------------------------------------------------

def _read(path: str, ctx: ClassifyContext, what: str) -> str | _Missing | Word:
    """The text of ``path`` (relative to the command's cwd), MISSING, or a Word whose
    text says why it cannot be read."""
    if "\x00" in path or (ctx.cwd_unknown and not os.path.isabs(path)):
        return Word(f"{what}: Airlock cannot tell where {path.replace(chr(0), '$?')!r} is")
    full = ctx.abspath(path)
    ctx.consumed.append(full)
    try:
        st = os.stat(full)
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return Word(f"{what}: Airlock cannot read {path} ({exc.strerror})")
    if not os.path.isfile(full):
        return Word(f"{what}: {path} is not a regular file Airlock can read")
    if st.st_size > limits.MAX_BYTES:
        return Word(f"{limits.PREFIX}: {what} {path} is {st.st_size // 1024} KiB, over the "
                    f"{limits.MAX_BYTES // 1024} KiB Airlock reads")
    try:
        with open(full, "rb") as fh:
            data = fh.read(limits.MAX_BYTES + 1)
    except OSError as exc:
        return Word(f"{what}: Airlock cannot read {path} ({exc.strerror})")
    if b"\x00" in data:
        return Word(f"{what}: {path} is binary (a NUL byte), not a script Airlock can read")
    return data.decode("utf-8", "replace")


def _held(cmd: SimpleCommand, ctx: ClassifyContext, detail: str) -> list[Target]:
    ctx.unparsed(detail)
    return [Target(kind="file", name=cmd.text[:120], verb=f"{cmd.program}.script",
                   risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:",
                   detail=detail, unresolved=True)]


def _python(prog: str) -> bool:
    return prog.startswith(("python", "pypy")) and not prog.endswith((".py", "-config"))


# ---- script files ----------------------------------------------------------------------

_PY_VALUE = frozenset({"-W", "-X", "--check-hash-based-pycs"})
_NODE_VALUE = frozenset({"-r", "--require", "--import", "--loader", "--experimental-loader",
                         "-C", "--conditions", "--input-type", "--title", "--env-file"})


def _interpreter(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    """``python [options] x.py``, ``node [options] x.js``: the file (inline code, ``-m``
    and stdin were handled before)."""
    lang = "python" if _python(cmd.program) else "node"
    with_value = _PY_VALUE if lang == "python" else _NODE_VALUE
    args = cmd.args
    i = 0
    while i < len(args):
        w = args[i]
        if w.dynamic:
            return _held(cmd, ctx, f"{cmd.program} runs a script whose name comes from a "
                                   f"variable: {w.shown!r}")
        t = w.text
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        if (lang == "python" and t in ("-m", "-c")) or (lang == "node" and t in (
                "-e", "--eval", "-p", "--print", "--test", "-i", "--interactive")):
            return None  # a module, inline code or a REPL: not a file
        i += 2 if t in with_value else 1
    if i >= len(args) or args[i].text == "-":
        return None
    return _file(args[i], lang, cmd, ctx)


def _file(path: Word, lang: str, cmd: SimpleCommand, ctx: ClassifyContext,
          args: tuple[Word, ...] | None = None) -> list[Target] | None:
    if path.dynamic:
        return _held(cmd, ctx, f"{cmd.program} runs a script whose name comes from a "
                               f"variable or command output: {path.shown!r}")
    text = _read(path.text, ctx, "the script")
    if text is MISSING:
        return None
    if isinstance(text, Word):
        return _held(cmd, ctx, text.text)
    assert isinstance(text, str)
    return _code(text, lang, path.text, cmd, ctx, args)


def _code(text: str, lang: str, name: str, cmd: SimpleCommand, ctx: ClassifyContext,
          args: tuple[Word, ...] | None = None) -> list[Target]:
    if lang == "python":
        return python_source(text, cmd, ctx)  # the analysis `python -c` uses
    if lang == "node":
        # the analysis `node -e` uses; SQL handed to a driver it cannot follow still counts
        found = javascript_source(text, cmd, ctx)
        if SQL_WORDS.search(text) and not any(
                t.verb.startswith("sql.") and t.risk >= Risk.DESTRUCTIVE for t in found):
            found.append(Target(kind="database", name="?", verb="sql.destructive",
                                risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:",
                                detail=f"{name} carries destructive SQL", unresolved=True))
        return found
    found = ctx.classify_source(Word(text), f"script {name}", args)
    return found or [_ran(cmd, ctx, name)]


def _ran(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> Target:
    return Target(kind="file", name=ctx.abspath(name), verb="shell.run_script",
                  risk=Risk.WRITE, tool=cmd.program, locator=f"path:{ctx.abspath(name)}")


def _shebang(text: str) -> str | None:
    """The language a file's ``#!`` line names (``#! /bin/sh``, ``#!/usr/bin/env -S
    python3 -u``): shell, python, node, another interpreter's name, or "shell" when
    there is none (a shell runs a text file without one itself)."""
    if not text.startswith("#!"):
        return "shell"
    words = text[2:].split("\n", 1)[0].split()
    if not words:
        return "shell"
    prog = os.path.basename(words[0])
    if prog == "env":
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        prog = os.path.basename(rest[0]) if rest else ""
    if prog in SHELLS:
        return "shell"
    if _python(prog):
        return "python"
    if prog in ("node", "nodejs"):
        return "node"
    return None


def _local_file(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    """``./deploy.sh``, ``scripts/x``: a text file run by path."""
    head = cmd.argv[0]
    if head.dynamic:
        return None  # dispatch holds a program name from a variable itself
    full = ctx.abspath(head.text)
    try:
        with open(full, "rb") as fh:
            start = fh.read(4096)
    except OSError:
        return None
    if b"\x00" in start or start[:4] == b"\x7fELF":
        return None  # a compiled program
    lang = _shebang(start.decode("utf-8", "replace"))
    if lang is None:
        return None  # another interpreter (ruby, perl…): judged as a program
    return _file(head, lang, cmd, ctx)


def _lines(ctx: ClassifyContext, where: str, lines: list[str], what: str) -> list[Target]:
    """Recipe lines, each run by its own shell, in ``where``."""
    run_ctx = ctx.at(where) if where != ctx.cwd else ctx
    out: list[Target] = []
    for line in lines:
        limits.check()
        if line.strip():
            out.extend(run_ctx.classify_source(Word(line), what))
    return out


# ---- make ------------------------------------------------------------------------------

_MAKE_VALUE = frozenset({"-C", "--directory", "-f", "--file", "--makefile", "-o",
                         "--old-file", "--assume-old", "-W", "--what-if", "--new-file",
                         "--assume-new", "-I", "--include-dir", "-l", "--load-average",
                         "-j", "--jobs", "-O", "--output-sync", "--debug", "--jobserver-style",
                         "--shuffle"})
_MAKE_OPTIONAL = frozenset({"-j", "--jobs", "-l", "--load-average", "-O", "--output-sync",
                            "--debug", "--shuffle"})
_MAKE_DRY = frozenset({"-n", "--dry-run", "--just-print", "--recon", "-q", "--question",
                       "-p", "--print-data-base", "-v", "--version", "-h", "--help"})
_ASSIGN = re.compile(r"^(?:(?:export|override|private)\s+)*([^\s:#=+?!$()]+|\$[({][^)}]*[)}])"
                     r"\s*(\+=|::=|:::=|:=|\?=|!=|=)\s*(.*)$", re.S)
_BUILTIN_VARS = {"MAKE": "make", "CC": "cc", "CXX": "g++", "RM": "rm -f", "AR": "ar",
                 "AS": "as", "CPP": "cc -E", "SHELL": "/bin/sh", "MAKEFLAGS": "",
                 "CFLAGS": "", "CXXFLAGS": "", "CPPFLAGS": "", "LDFLAGS": "", "LDLIBS": "",
                 "ARFLAGS": "rv", "MAKECMDGOALS": "", "MFLAGS": ""}
_FOLLOWED_FUNCTIONS = frozenset({"shell"})
_PLAIN_FUNCTIONS = frozenset({
    "subst", "patsubst", "strip", "findstring", "filter", "filter-out", "sort", "word",
    "wordlist", "words", "firstword", "lastword", "dir", "notdir", "suffix", "basename",
    "addsuffix", "addprefix", "join", "wildcard", "realpath", "abspath", "if", "or", "and",
    "intcmp", "foreach", "file", "call", "value", "origin", "flavor", "error", "warning",
    "info", "let"})


def _make(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    args = cmd.args
    directory = ctx.cwd
    files: list[str] = []
    goals: list[str] = []
    overrides: dict[str, str] = {}
    dry = False
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            return _held(cmd, ctx, f"make: {w.shown!r} comes from a variable or command "
                                   "output, so Airlock cannot tell which recipe runs")
        name, eq, value = t.partition("=")
        if t.startswith("--eval") or t == "-E":
            return _held(cmd, ctx, "make --eval: Makefile text Airlock does not follow")
        if t in _MAKE_DRY:
            dry = True  # prints or checks: runs no recipe, but still reads the makefile
            i += 1
            continue
        if t.startswith("--") and eq:
            opt, val = name, value
        elif t.startswith("-") and not t.startswith("--") and len(t) > 2 and t[:2] in \
                _MAKE_VALUE:
            opt, val = t[:2], t[2:]
        elif t in _MAKE_VALUE:
            if t in _MAKE_OPTIONAL and not (i + 1 < len(args) and args[i + 1].text.isdigit()):
                i += 1
                continue
            if i + 1 >= len(args):
                break
            opt, val = t, args[i + 1].text
            if args[i + 1].dynamic:
                return _held(cmd, ctx, f"make {t}: the value comes from a variable")
            i += 1
        elif t.startswith("-"):
            dry = dry or (not t.startswith("--") and any(c in "nqp" for c in t[1:]))
            i += 1
            continue
        elif eq and name and re.fullmatch(r"[^\s:#=]+", name):
            overrides[name] = value
            i += 1
            continue
        else:
            goals.append(t)
            i += 1
            continue
        if opt in ("-C", "--directory"):
            directory = os.path.normpath(os.path.join(directory, os.path.expanduser(val)))
        elif opt in ("-f", "--file", "--makefile"):
            files.append(val)
        i += 1
    if not files:
        found = _find_up(directory, ("GNUmakefile", "makefile", "Makefile"), ctx, up=False)
        if found is None:
            return None  # no makefile: make fails
        files = [found]
    mk = _Makefile(cmd, ctx, directory, overrides)
    for f in files:
        mk.load(os.path.join(directory, f))
    if mk.problem:
        return _held(cmd, ctx, mk.problem)
    mk.run_shells()  # `X := $(shell …)` runs whichever target is asked for
    goal_list = [] if dry else goals or ([mk.default] if mk.default else [])
    for goal in goal_list:
        mk.follow(goal)
    if mk.problem:
        return _held(cmd, ctx, mk.problem)
    return mk.targets


class _Makefile:
    """Just enough of GNU make: variables, rules, recipes, includes, ``$(shell …)``."""

    def __init__(self, cmd: SimpleCommand, ctx: ClassifyContext, directory: str,
                 overrides: dict[str, str]) -> None:
        self.cmd, self.ctx, self.directory = cmd, ctx, directory
        self.vars: dict[str, str] = {"CURDIR": directory, **_BUILTIN_VARS}
        self.overrides = overrides
        self.rules: dict[str, tuple[list[str], list[str]]] = {}
        self.default = ""
        self.problem = ""
        self.targets: list[Target] = []
        self.shells: list[str] = []  # $(shell …) text met while expanding
        self.loaded = 0
        self.visited: set[str] = set()
        self.oneshell = False  # .ONESHELL: a recipe's lines run in one shell

    # -- reading
    def load(self, path: str) -> None:
        self.loaded += 1
        if self.loaded > MAX_INCLUDES:
            self.problem = "make: more included makefiles than Airlock reads"
            return
        rel = os.path.relpath(path, self.ctx.cwd) if os.path.isabs(path) else path
        text = _read(path, self.ctx, "the makefile")
        if text is MISSING:
            return
        if isinstance(text, Word):
            self.problem = text.text
            return
        assert isinstance(text, str)
        self._parse(text, rel)

    def _parse(self, text: str, name: str) -> None:
        lines = text.replace("\r\n", "\n").split("\n")
        i = 0
        current: list[str] | None = None  # the recipe being collected
        while i < len(lines) and not self.problem:
            line = lines[i]
            i += 1
            if line.startswith("\t") and current is not None:
                body = line[1:]
                while body.endswith("\\") and i < len(lines):
                    nxt = lines[i]
                    i += 1
                    body += "\n" + (nxt[1:] if nxt.startswith("\t") else nxt)
                current.append(body)
                continue
            while line.endswith("\\") and i < len(lines):
                line = line[:-1] + " " + lines[i].lstrip()
                i += 1
            stripped = _strip_comment(line).strip()
            if not stripped:
                continue
            if stripped.startswith("define "):
                var = stripped[7:].strip().rstrip("=:?+! ").strip()
                body_lines: list[str] = []
                while i < len(lines) and lines[i].strip() != "endef":
                    body_lines.append(lines[i])
                    i += 1
                i += 1
                self.vars.setdefault(var, "\n".join(body_lines))
                current = None
                continue
            word = stripped.split(None, 1)[0]
            if word in ("ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "vpath",
                        "unexport", "export") and ("=" not in stripped or word != "export"):
                continue  # both branches of a conditional are read
            if word in ("include", "-include", "sinclude"):
                for f in self.expand(stripped.split(None, 1)[1] if " " in stripped
                                     else "").split():
                    if UNKNOWN in f:
                        self.problem = (f"make: {name} includes a makefile whose name "
                                        "Airlock cannot work out")
                        return
                    self.load(os.path.join(self.directory, f))
                current = None
                continue
            m = _ASSIGN.match(stripped)
            if m:
                var, op, value = m.group(1), m.group(2), m.group(3)
                if op == "!=":
                    self.shells.append(value)  # NAME != command: run when read
                self._assign(self.expand(var), op, value)
                current = None
                continue
            colon = _rule_colon(stripped)
            if colon < 0:
                self.expand(stripped)  # `$(info …)`, `$(shell …)` on a line of its own
                current = None
                continue
            heads = self.expand(stripped[:colon]).split()
            rest = stripped[colon:].lstrip(":")
            if re.match(r"\s*[^\s:#=+?!]+\s*(\+=|:=|\?=|!=|=)", rest):
                current = None  # a target-specific variable
                continue
            prereq_text, _semi, inline_recipe = rest.partition(";")
            if "%" in prereq_text and ":" in prereq_text:  # static pattern rule
                prereq_text = prereq_text.split(":", 1)[1]
            prereqs = prereq_text.replace("|", " ").split()
            recipe: list[str] = [inline_recipe] if inline_recipe.strip() else []
            self.oneshell = self.oneshell or ".ONESHELL" in heads
            for h in heads:
                if (h.startswith(".") and "/" not in h) or "%" in h:
                    continue
                if not self.default and ".DEFAULT_GOAL" not in self.vars:
                    self.default = h
                old = self.rules.get(h)
                # a later rule with a recipe replaces the earlier one; prerequisites add up
                self.rules[h] = ((old[0] if old else []) + prereqs,
                                 recipe if recipe or not old else old[1])
            current = recipe
        default = self.vars.get(".DEFAULT_GOAL")
        if default:
            self.default = self.expand(default).strip()

    def _assign(self, var: str, op: str, value: str) -> None:
        if var in self.overrides:
            return
        if op == "?=":
            self.vars.setdefault(var, value)
        elif op == "+=":
            self.vars[var] = (self.vars.get(var, "") + " " + value).strip()
        elif op == "!=":
            self.vars[var] = UNKNOWN
        elif op in (":=", "::=", ":::="):
            self.vars[var] = self.expand(value).replace("$", "$$")
        else:
            self.vars[var] = value

    # -- expansion
    def expand(self, text: str, auto: dict[str, str] | None = None, depth: int = 0) -> str:
        if "$" not in text:
            return text
        if depth > 16:
            return UNKNOWN
        out: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c != "$" or i + 1 >= len(text):
                out.append(c)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt in "({":
                close = ")" if nxt == "(" else "}"
                end = _matching(text, i + 1, nxt, close)
                if end < 0:
                    self.problem = "make: an unbalanced $( in the makefile"
                    return UNKNOWN
                out.append(self._reference(text[i + 2:end], auto, depth))
                i = end + 1
                continue
            out.append(self._variable(nxt, auto, depth))
            i += 2
        return "".join(out)

    def _reference(self, inner: str, auto: dict[str, str] | None, depth: int) -> str:
        fn, space, arg = inner.partition(" ")
        if space and fn in _FOLLOWED_FUNCTIONS:
            self.shells.append(self.expand(arg, auto, depth + 1))
            return UNKNOWN
        if space and fn == "eval":
            self.problem = ("make: the makefile uses $(eval …), which writes makefile text "
                            "Airlock does not follow")
            return UNKNOWN
        if space and fn in _PLAIN_FUNCTIONS:
            self.expand(arg, auto, depth + 1)  # for any $(shell …) inside it
            return UNKNOWN
        if ":" in inner and "=" in inner:  # $(VAR:.c=.o)
            return UNKNOWN
        return self._variable(self.expand(inner, auto, depth + 1), auto, depth)

    def _variable(self, name: str, auto: dict[str, str] | None, depth: int) -> str:
        if auto is not None and name in auto:
            return auto[name]
        if name in self.overrides:
            return self.overrides[name]
        if name in self.vars:
            return self.expand(self.vars[name], auto, depth + 1)
        return UNKNOWN

    # -- running
    def follow(self, goal: str) -> None:
        if goal in self.visited or self.problem:
            return
        self.visited.add(goal)
        if len(self.visited) > MAX_RULES:
            self.problem = "make: more rules than Airlock follows for one command"
            return
        rule = self.rules.get(goal)
        if rule is None:
            return  # a file, an implicit rule, or an error: make's own compiles at most
        prereqs, recipe = rule
        for p in prereqs:
            self.follow(p)
        auto = {"@": goal, "<": prereqs[0] if prereqs else "", "^": " ".join(prereqs),
                "+": " ".join(prereqs), "?": " ".join(prereqs), "*": "", "|": ""}
        lines = [self.expand(line, auto).lstrip().lstrip("@-+").lstrip() for line in recipe]
        if self.oneshell and lines:
            lines = ["\n".join(lines)]  # a `cd` in one line moves the next
        self.run_shells()
        if self.problem:
            return
        self.targets.extend(_lines(self.ctx, self.directory, lines, f"make {goal}"))
        if not lines:
            self.targets.append(Target(kind="program", name="make", verb="make.run",
                                       risk=Risk.WRITE, tool="make",
                                       locator=f"path:{self.directory}"))

    def run_shells(self) -> None:
        shells, self.shells = self.shells, []
        self.targets.extend(_lines(self.ctx, self.directory, shells, "make $(shell …)"))


def _strip_comment(line: str) -> str:
    i = line.find("#")
    while i > 0 and line[i - 1] == "\\":
        i = line.find("#", i + 1)
    return line if i < 0 else line[:i]


def _rule_colon(line: str) -> int:
    """Where a rule's ``:`` is (outside ``$(…)``), or -1."""
    depth = 0
    for i, c in enumerate(line):
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == ":" and depth == 0:
            if line[i + 1 : i + 2] == "=" or line[i + 1 : i + 3] == ":=":
                return -1
            return i
        elif c == "=" and depth == 0:
            return -1
    return -1


def _matching(text: str, start: int, opening: str, close: str) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i
    return -1


# ---- package.json scripts --------------------------------------------------------------

_RUN = frozenset({"run", "run-script", "rum", "urn"})
_LIFECYCLE = {"test": "test", "t": "test", "tst": "test", "start": "start", "stop": "stop",
              "restart": "restart"}
_PM_VALUE = frozenset({"--prefix", "-C", "--dir", "--cwd", "-w", "--workspace", "--filter",
                       "-F", "--loglevel", "--registry", "--userconfig", "--cache"})
_MANY = frozenset({"-w", "--workspace", "--workspaces", "-ws", "--filter", "-F", "-r",
                   "--recursive", "--include-workspace-root"})
# yarn/pnpm commands of their own (anything else names a package script)
_PM_BUILTIN = frozenset({
    "install", "i", "add", "remove", "rm", "uninstall", "un", "update", "up", "upgrade",
    "link", "unlink", "publish", "pack", "info", "list", "ls", "why", "outdated", "audit",
    "cache", "config", "create", "dlx", "exec", "init", "import", "store", "env", "bin",
    "global", "licenses", "login", "logout", "owner", "tag", "team", "version", "versions",
    "workspace", "workspaces", "plugin", "set", "node", "patch", "patch-commit", "prune",
    "rebuild", "root", "server", "setup", "help", "dedupe", "fetch", "deploy", "doctor",
    "upgrade-interactive", "check", "autoclean", "generate-lock-entry", "policies",
    "constraints", "explain", "npm", "search", "unplug", "ci", "install-test", "it",
})


def _package_script(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    prog = cmd.program
    args = cmd.args
    directory = ctx.cwd
    explicit = False  # --prefix DIR: that directory's package.json, not a parent's
    positionals: list[Word] = []
    extra: list[Word] = []
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        named = bool(positionals) and len(positionals) >= (
            2 if positionals[0].text in _RUN else 1)
        if t == "--":
            extra.extend(args[i + 1:])
            break
        if named and prog != "npm":
            extra.extend(args[i:])  # yarn and pnpm pass everything after the name
            break
        if t.startswith("-") and not w.dynamic:
            name, eq, value = t.partition("=")
            if name in _MANY:
                return _held(cmd, ctx, f"{prog} {t}: runs the scripts of other packages, "
                                       "which Airlock does not read")
            if name in _PM_VALUE and not eq and i + 1 < len(args):
                value = args[i + 1].text
                i += 1
            if name in ("--prefix", "-C", "--dir", "--cwd"):
                directory = os.path.normpath(os.path.join(directory, value))
                explicit = True
            i += 1
            continue
        (extra if named else positionals).append(w)
        i += 1
    if not positionals:
        return None
    if any(w.dynamic for w in positionals):
        return _held(cmd, ctx, f"{prog}: the script name comes from a variable or command "
                               "output")
    sub = positionals[0].text
    if sub in _RUN:
        if len(positionals) < 2:
            return None  # lists the scripts
        script = positionals[1].text
    elif sub in _LIFECYCLE:
        script = _LIFECYCLE[sub]
    elif prog != "npm" and sub not in _PM_BUILTIN:
        script = sub  # `yarn build`, `pnpm lint`
    else:
        return None
    found = _find_up(directory, ("package.json",), ctx, up=not explicit)
    if found is None:
        return None
    text = _read(found, ctx, "package.json")
    if text is MISSING:
        return None
    if isinstance(text, Word):
        return _held(cmd, ctx, text.text)
    assert isinstance(text, str)
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return _held(cmd, ctx, f"{prog}: {found} is not JSON Airlock can read")
    if not isinstance(scripts, dict):
        scripts = {}
    root = os.path.dirname(found)
    body = scripts.get(script)
    if body is None:
        if script == "start" and os.path.isfile(os.path.join(root, "server.js")):
            body = "node server.js"  # npm's default start
        else:
            return None  # "missing script": nothing runs
    if not isinstance(body, str):
        return _held(cmd, ctx, f"{prog}: the script {script!r} is not a string")
    tail = " ".join(UNKNOWN if w.dynamic else shlex.quote(w.text) for w in extra)
    run = [(f"pre{script}", scripts.get(f"pre{script}")), (script, f"{body} {tail}".strip()),
           (f"post{script}", scripts.get(f"post{script}"))]
    out: list[Target] = []
    run_ctx = ctx.at(root) if root != ctx.cwd else ctx
    for name, source in run:
        if isinstance(source, str) and source.strip():
            out.extend(run_ctx.classify_source(Word(source), f"{prog} script {name}"))
    return out or [Target(kind="program", name=prog, verb=f"{prog}.run", risk=Risk.WRITE,
                          tool=prog, locator=f"path:{root}")]


def _find_up(directory: str, names: tuple[str, ...], ctx: ClassifyContext, up: bool = True
             ) -> str | None:
    """The first of ``names`` in ``directory`` (or, with ``up``, its parents), as the tool
    looks for it. The places looked at before it are consumed too: a file created there
    later would be the one that runs. From a directory Airlock cannot know (``cd "$X"``)
    the file cannot be found: held."""
    if "\x00" in directory:
        ctx.unparsed(f"{' or '.join(names)}: Airlock cannot tell which directory it is "
                     "looked up from")
        return None
    d = directory
    for _ in range(64 if up else 1):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p):
                return p
            ctx.consumed.append(p)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
    return None


# ---- just ------------------------------------------------------------------------------

_JUST_VALUE = frozenset({"-f", "--justfile", "-d", "--working-directory", "--shell",
                         "--shell-arg", "--dotenv-filename", "--dotenv-path", "-E",
                         "--color", "--command-color", "--list-heading", "--list-prefix",
                         "--chooser"})
_JUST_NOT_RUNNING = frozenset({"-l", "--list", "--summary", "--show", "-s", "--evaluate",
                               "--dump", "--choose", "-e", "--edit", "--init", "--fmt",
                               "-h", "--help", "-V", "--version", "--completions",
                               "--variables", "--groups", "-n", "--dry-run", "--changelog",
                               "--man", "--check"})
_RECIPE = re.compile(r"^@?([A-Za-z_][A-Za-z0-9_-]*)((?:\s+[^:]*?)?)\s*:(?!=)(.*)$")
_JUST_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(.*)$")
_PARAM = re.compile(r"""([+*]?)\$?([A-Za-z_][A-Za-z0-9_-]*)(?:=("[^"]*"|'[^']*'|\S+))?""")
_INTERP = re.compile(r"\{\{(.*?)\}\}")
_BACKTICK = re.compile(r"`([^`]*)`")


def _just(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    args = cmd.args
    justfile: str | None = None
    workdir: str | None = None
    positionals: list[Word] = []
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if not positionals and t.startswith("-") and not w.dynamic:
            name, eq, value = t.partition("=")
            if name in _JUST_NOT_RUNNING:
                return None
            if name == "--set" and not eq:
                i += 3
                continue
            if name in _JUST_VALUE and not eq and i + 1 < len(args):
                value = args[i + 1].text
                i += 1
            if name in ("-f", "--justfile"):
                justfile = value
            elif name in ("-d", "--working-directory"):
                workdir = value
            i += 1
            continue
        positionals.append(w)
        i += 1
    while positionals and "=" in positionals[0].text and not positionals[0].dynamic:
        positionals = positionals[1:]  # NAME=value overrides
    if any(w.dynamic for w in positionals[:1]):
        return _held(cmd, ctx, "just: the recipe name comes from a variable")
    path = ctx.abspath(justfile) if justfile else _find_up(
        ctx.cwd, ("justfile", "Justfile", ".justfile", "JUSTFILE"), ctx)
    if path is None:
        return None
    text = _read(path, ctx, "the justfile")
    if text is MISSING:
        return None
    if isinstance(text, Word):
        return _held(cmd, ctx, text.text)
    assert isinstance(text, str)
    jf = _Justfile(text)
    if jf.problem:
        return _held(cmd, ctx, f"just: {jf.problem}")
    where = ctx.abspath(workdir) if workdir else os.path.dirname(path)
    out: list[Target] = _lines(ctx, where, jf.backticks, "just variable")
    goals = [positionals[0].text] if positionals else ([jf.default] if jf.default else [])
    if not goals:
        return out or None
    if "::" in goals[0] or "/" in goals[0]:
        return _held(cmd, ctx, f"just {goals[0]}: a recipe of another justfile module, "
                               "which Airlock does not read")
    goal = jf.aliases.get(goals[0], goals[0])
    if goal not in jf.recipes:
        return out or None  # just fails: no such recipe
    params = jf.recipes[goal][0]
    supplied = positionals[1:]
    if not params and supplied:
        goals += [w.text for w in supplied]  # `just build test`: several recipes
        supplied = []
    seen: set[str] = set()
    for name in goals:
        name = jf.aliases.get(name, name)
        out.extend(jf.run(name, supplied if name == goal else [], ctx, where, cmd, seen))
    if jf.problem:
        return _held(cmd, ctx, f"just: {jf.problem}")
    return out or [Target(kind="program", name="just", verb="just.run", risk=Risk.WRITE,
                          tool="just", locator=f"path:{where}")]


class _Justfile:
    def __init__(self, text: str) -> None:
        self.vars: dict[str, str] = {}
        self.backticks: list[str] = []
        self.aliases: dict[str, str] = {}
        # name → (parameters (variadic mark, name, default), dependencies, body lines)
        self.recipes: dict[str, tuple[list[tuple[str, str, str | None]], list[str],
                                      list[str]]] = {}
        self.default = ""
        self.problem = ""
        lines = text.replace("\r\n", "\n").split("\n")
        i = 0
        marked_default = False
        while i < len(lines):
            line = lines[i]
            i += 1
            s = line.strip()
            if not s or s.startswith("#") or line[:1] in (" ", "\t"):
                continue
            if s.startswith("["):
                marked_default = marked_default or "default" in s
                continue
            if s.startswith(("import ", "import? ", "mod ", "mod? ")):
                self.problem = f"the justfile loads another file ({s[:60]!r})"
                return
            if s.startswith("alias "):
                name, _, target = s[6:].partition(":=")
                self.aliases[name.strip()] = target.strip()
                continue
            if s.startswith("set "):
                continue
            m = _JUST_ASSIGN.match(s)
            if m:
                value = m.group(2).strip()
                self.backticks.extend(b for b in _BACKTICK.findall(value))
                self.vars[m.group(1)] = _just_literal(value)
                continue
            m = _RECIPE.match(s)
            if not m:
                continue
            name = m.group(1)
            params = [(q[0], q[1], _just_literal(q[2]) if q[2] else "" if q[0] == "*"
                       else None) for q in _PARAM.findall(m.group(2))]
            deps = [d for d in re.split(r"[\s()&]+", m.group(3).split("#", 1)[0]) if d]
            body: list[str] = []
            while i < len(lines) and (lines[i][:1] in (" ", "\t") or not lines[i].strip()):
                body.append(lines[i])
                i += 1
            body = textwrap.dedent("\n".join(body)).split("\n")
            self.recipes[name] = (params, deps, body)
            if not self.default or marked_default:
                self.default = name if not self.default or marked_default else self.default
                marked_default = False

    def run(self, name: str, supplied: list[Word], ctx: ClassifyContext, where: str,
            cmd: SimpleCommand, seen: set[str]) -> list[Target]:
        if name in seen or name not in self.recipes:
            return []
        seen.add(name)
        if len(seen) > MAX_RULES:
            self.problem = "more recipes than Airlock follows for one command"
            return []
        params, deps, body = self.recipes[name]
        out: list[Target] = []
        for d in deps:
            if d in self.recipes:
                out.extend(self.run(d, [], ctx, where, cmd, seen))
        values = dict(self.vars)
        for k, (mark, p, default) in enumerate(params):
            given = supplied[k:] if mark in ("*", "+") else supplied[k:k + 1]
            if given:
                values[p] = " ".join(UNKNOWN if w.dynamic else w.text for w in given)
            else:
                values[p] = UNKNOWN if default is None else default

        def interp(m: re.Match[str]) -> str:
            key = m.group(1).strip()
            return values.get(key, UNKNOWN)

        lines = [_INTERP.sub(interp, b) for b in body if b.strip()]
        if lines and lines[0].startswith("#!"):
            lang = _shebang(lines[0])
            if lang is None:
                self.problem = f"recipe {name} runs with {lines[0]!r}, which Airlock does not read"
                return out
            code = "\n".join(lines[1:])
            run_ctx = ctx.at(where) if where != ctx.cwd else ctx
            return out + _code(code, lang, f"recipe {name}", cmd, run_ctx)
        lines = [b.strip().lstrip("@-").lstrip() for b in lines
                 if not b.lstrip().startswith("#")]
        return out + _lines(ctx, where, lines, f"just {name}")


def _just_literal(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return UNKNOWN
