"""What the shell walker knows between two commands: variables, the working directory,
positional parameters, the directory stack, functions, symlinks the script made.

A variable holds one known value, a short set of possible values, or is unknown. Where
control flow branches (``a && b``, ``if``/``elif``/``else``, ``case``, loops) the state
after it is the union of every way through: ``X=~; true || X=build; rm -rf "$X"`` deletes
``~`` or ``build``, and both are judged. A set larger than :data:`MAX_VALUES` becomes
unknown. The working directory is one more such value (``cd a || cd b``).

This module is pure data: the walker in ``shell.py`` drives it. It also knows what a
few builtins do to the state (``read``, ``mapfile``, ``printf -v``, ``ln -s``) and what
the programs whose output can be computed print (``echo``, ``printf``, ``pwd``…).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airlock.classify import escapes
from airlock.classify.command import (
    DYNAMIC,
    UNKNOWN_CWD,
    UNKNOWN_LINK,
    ClassifyContext,
    SimpleCommand,
    Word,
    split_options,
)
from airlock.paths import in_temp, repository_root

MAX_VALUES = 16  # possible values one variable (or the working directory) may have
MAX_DIRSTACK = 16
CWD = "\x00cwd"  # the working directory, kept among the variables when it has several values
# names the shell itself gives a value to: once a script sets one, its default is gone
SPECIAL = frozenset({"HOME", "PWD", "OLDPWD", "IFS", "CDPATH", "TMPDIR"})
STDIN_FILE_LIMIT = 256 * 1024  # bytes of a file read to see what it holds (stdin, source)
# names an arithmetic expression assigns: x=1, x+=2, x<<=1, ++x, x--
_ARITH_SET = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)"
                        r"|(?:\+\+|--)\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*(?:\+\+|--)")


@dataclass(slots=True)
class State:
    vars: dict[str, str]  # variables with one known value
    multi: dict[str, tuple[str, ...]]  # variables with 2..MAX_VALUES known values (and CWD)
    cwd: str  # UNKNOWN_CWD when unknown, or when CWD is in multi
    posargs: tuple[Word, ...] | None  # $1 $2 …, None when not known
    dirstack: tuple[str, ...]  # pushd's stack below the current dir; UNKNOWN_CWD: unknown below
    oldpwd: str | None
    links: dict[str, str]  # symlinks made by the script: absolute path → absolute target
    functions: dict[str, tuple[tuple[Any, tuple[Any, ...]], ...]]  # name → (body, redirects)…
    namerefs: dict[str, str | None]  # declare -n R=X: R → X (None: unknown)


def values(state: State, name: str, home: str, shadowed: set[str]) -> tuple[str, ...] | None:
    """Every value ``name`` may have in ``state``; None when unknown."""
    if name == CWD:
        if CWD in state.multi:
            return state.multi[CWD]
        return None if state.cwd.startswith(UNKNOWN_CWD) else (state.cwd,)
    if name in state.vars:
        return (state.vars[name],)
    if name in state.multi:
        return state.multi[name]
    if name == "HOME" and name not in shadowed:
        return (home,)
    return None


def merge(states: list[State], home: str, shadowed: set[str]) -> State:
    """The state after any one of ``states``: each variable holds the union of its values."""
    first = states[0]
    if len(states) == 1:
        return copy(first)
    names: dict[str, None] = {CWD: None}
    for s in states:
        names.update(dict.fromkeys(s.vars))
        names.update(dict.fromkeys(s.multi))
    out = State(vars={}, multi={}, cwd=UNKNOWN_CWD, posargs=first.posargs,
                dirstack=first.dirstack, oldpwd=first.oldpwd, links={}, functions={},
                namerefs={})
    for name in names:
        union: dict[str, None] = {}
        for s in states:
            vals = values(s, name, home, shadowed)
            if vals is None:
                union = {}
                break
            union.update(dict.fromkeys(vals))
        if not union or len(union) > MAX_VALUES:
            continue  # unknown
        found = tuple(union)
        if name == CWD:
            if len(found) == 1:
                out.cwd = found[0]
            else:
                out.multi[CWD] = found
        elif len(found) == 1:
            out.vars[name] = found[0]
        else:
            out.multi[name] = found
    for s in states[1:]:
        if s.posargs != out.posargs:
            out.posargs = None
        if s.dirstack != out.dirstack:
            out.dirstack = (UNKNOWN_CWD,)
        if s.oldpwd != out.oldpwd:
            out.oldpwd = None
    for s in states:
        for link, target in s.links.items():
            seen = out.links.get(link)
            out.links[link] = target if seen is None or seen == target else UNKNOWN_LINK
        for fname, defs in s.functions.items():
            have = out.functions.get(fname, ())
            out.functions[fname] = have + tuple(d for d in defs if d not in have)
        for ref, to in s.namerefs.items():
            seen_ref = out.namerefs.get(ref, to)
            out.namerefs[ref] = to if seen_ref == to else None
    return out


def copy(s: State) -> State:
    return State(dict(s.vars), dict(s.multi), s.cwd, s.posargs, s.dirstack, s.oldpwd,
                 dict(s.links), dict(s.functions), dict(s.namerefs))


def changed(before: State, after: State, home: str, shadowed: set[str]) -> list[str]:
    """Variables whose possible values differ between two states (CWD included)."""
    names = dict.fromkeys([CWD, *before.vars, *before.multi, *after.vars, *after.multi])
    return [n for n in names
            if values(before, n, home, shadowed) != values(after, n, home, shadowed)]


def same(a: State, b: State, home: str, shadowed: set[str]) -> bool:
    return (not changed(a, b, home, shadowed) and a.posargs == b.posargs
            and a.dirstack == b.dirstack and a.oldpwd == b.oldpwd and a.links == b.links
            and a.functions == b.functions and a.namerefs == b.namerefs)


# ---- builtins that set variables ---------------------------------------------------------

_READ_VALUE = frozenset("adinNptu")
_MAPFILE_VALUE = frozenset("dnOsuCc")


def read_names(args: list[Word]) -> list[str] | None:
    """The variables ``read ARGS`` sets (``REPLY`` by default); None when a name is not
    known (``read "$v"``)."""
    names: list[str] = []
    i = 0
    while i < len(args):
        w = args[i]
        if w.dynamic:
            return None
        t = w.text
        if t == "--":
            rest = args[i + 1 :]
            if any(x.dynamic for x in rest):
                return None
            names.extend(x.text for x in rest)
            break
        if t.startswith("-") and len(t) > 1:
            for j, ch in enumerate(t[1:], 1):
                if ch in _READ_VALUE:
                    value = t[j + 1 :]
                    if not value:
                        i += 1
                        if i < len(args) and args[i].dynamic:
                            return None
                        value = args[i].text if i < len(args) else ""
                    if ch == "a":
                        names.append(value)
                    break
            i += 1
            continue
        names.append(t)
        i += 1
    return [n.split("[", 1)[0] for n in names] or ["REPLY"]


def mapfile_name(args: list[Word]) -> str | None:
    """The array ``mapfile``/``readarray`` fills (``MAPFILE`` by default)."""
    i = 0
    while i < len(args):
        w = args[i]
        if w.dynamic:
            return None
        t = w.text
        if t.startswith("-") and len(t) > 1 and t != "--":
            if t[1] in _MAPFILE_VALUE and len(t) == 2:
                i += 1
            i += 1
            continue
        if t == "--":
            i += 1
            if i < len(args):
                return None if args[i].dynamic else args[i].text
            break
        return t
    return "MAPFILE"


def printf_target(args: list[Word]) -> tuple[str | None, list[Word]] | None:
    """For ``printf -v NAME FORMAT ARGS…``: (NAME or None when unknown, the rest)."""
    if not args or args[0].dynamic:
        return None
    t = args[0].text
    if t == "-v" and len(args) > 1:
        name = None if args[1].dynamic else args[1].text.split("[", 1)[0]
        return name, args[2:]
    if t.startswith("-v") and len(t) > 2:
        return t[2:].split("[", 1)[0], args[1:]
    return None


def symlinks(cmd: SimpleCommand, abspath: Any) -> list[tuple[str, str]]:
    """The symlinks ``ln -s …`` makes: (absolute link path, absolute target). ``abspath``
    turns a word's text into an absolute path where the command runs (None: unknown).
    ``ln -s T DIR`` where DIR is a directory puts the link inside it: both places are
    listed, since Airlock cannot know which one the disk will hold by then."""
    pos, opts = split_options(cmd.args, {"-t", "--target-directory", "-S", "--suffix"})
    if "-s" not in opts and "--symbolic" not in opts:
        return []
    relative = "-r" in opts or "--relative" in opts
    plain = "-T" in opts or "--no-target-directory" in opts
    tdir = (opts.get("-t") or opts.get("--target-directory") or [None])[-1]
    pairs: list[tuple[Word, str]] = []
    if tdir is not None:
        pairs = [(p, os.path.join(tdir.text, os.path.basename(p.text.rstrip("/"))))
                 for p in pos]
    elif len(pos) == 1:
        pairs = [(pos[0], os.path.basename(pos[0].text.rstrip("/")) or ".")]
    elif len(pos) == 2:
        pairs = [(pos[0], pos[1].text)]
        if not plain:
            pairs.append((pos[0], os.path.join(pos[1].text,
                                               os.path.basename(pos[0].text.rstrip("/")))))
    elif len(pos) > 2:
        pairs = [(p, os.path.join(pos[-1].text, os.path.basename(p.text.rstrip("/"))))
                 for p in pos[:-1]]
    dynamic_dir = (tdir is not None and tdir.dynamic) or (len(pos) >= 2 and pos[-1].dynamic)
    out: list[tuple[str, str]] = []
    for target, link in pairs:
        where = None if dynamic_dir or "\x00" in link else abspath(link)
        if where is None:
            continue  # a link somewhere unknown: paths through it are unknown anyway
        if target.dynamic:
            out.append((where, UNKNOWN_LINK))
        elif relative or os.path.isabs(target.text):
            to = abspath(target.text)
            out.append((where, to if to is not None else UNKNOWN_LINK))
        else:  # a relative target is read from the link's own directory
            out.append((where, os.path.normpath(os.path.join(os.path.dirname(where),
                                                             target.text))))
    return out


# ---- positional parameters and temp files -------------------------------------------------

def shell_args(words: list[Word]) -> tuple[Word, ...] | None:
    """``$0 $1 …`` of ``bash -c CMD NAME ARGS`` (``words`` is NAME ARGS): None when a word
    is not known, since an unknown word may be any number of fields (``"$@"``, ``*.txt``,
    ``$X``, find's ``{} +``) and so shifts every position after it."""
    if not words or any(w.unknown for w in words):
        return None
    return tuple(words)


# what `$(mktemp …)` stands for: a fresh name in a temp dir (the X's are mktemp's own)
MKTEMP_NAME = "tmp.XXXXXXXXXX"
_MKTEMP_FLAGS = frozenset({"-d", "--directory", "-u", "--dry-run", "-q", "--quiet", "-t"})


def is_mktemp_path(text: str) -> bool:
    """Is this (a path under) a value Airlock gave ``$(mktemp)``? Such a path is known
    as a delete target, never as a program to run."""
    return "/" + MKTEMP_NAME in text


def mktemp_output(cmd: SimpleCommand, tmpdir: str | None, cwd: str) -> str | None:
    """The path ``mktemp [-d] [-u] [-q] [-t] [-p DIR|--tmpdir[=DIR]] [--suffix=S]
    [TEMPLATE]`` prints, when it is in a temp dir (:func:`airlock.paths.in_temp`):
    ``DIR/tmp.XXXXXXXXXX``. ``tmpdir`` is ``$TMPDIR`` (``""``: not set, None: unknown).
    Anywhere else, or with words Airlock cannot read, None (unknown)."""
    if any(w.unknown for w in cmd.argv) or cmd.program != "mktemp":
        return None
    where: str | None = None  # -p DIR / --tmpdir[=DIR]
    by_dir = by_t = False
    templates: list[str] = []
    args = [w.text for w in cmd.args]
    i = 0
    while i < len(args):
        t = args[i]
        i += 1
        if t == "--":
            templates.extend(args[i:])
            break
        if t in _MKTEMP_FLAGS or t.startswith("--suffix="):
            by_t = by_t or t == "-t"
        elif t == "--suffix" and i < len(args):
            i += 1
        elif t == "-p" or t.startswith("--tmpdir"):
            by_dir = True
            if t == "-p":
                if i >= len(args):
                    return None
                where, i = args[i], i + 1
            elif t.startswith("--tmpdir="):
                where = t.partition("=")[2]
        elif t.startswith("-p") and len(t) > 2:
            by_dir, where = True, t[2:]
        elif re.fullmatch(r"-[dqut]+", t):
            by_t = by_t or "t" in t
        elif t.startswith("-") and len(t) > 1:
            return None  # --help, --version, an option Airlock does not know
        else:
            templates.append(t)
    if len(templates) > 1:
        return None
    sub = os.path.dirname(templates[0]) if templates else ""
    if by_t or by_dir or not templates:
        # -t: $TMPDIR if set, else -p DIR, else /tmp; -p DIR before $TMPDIR otherwise
        base = (tmpdir or where or "/tmp") if by_t else (where or tmpdir or "/tmp")
        if tmpdir is None and (by_t or not where):
            return None  # $TMPDIR would choose, and Airlock does not know it
        base = os.path.join(base, sub)
    else:  # a bare TEMPLATE is relative to the working directory
        base = sub or "."
    if not os.path.isabs(base):
        if cwd.startswith(UNKNOWN_CWD):
            return None
        base = os.path.join(cwd, base)
    path = os.path.join(os.path.normpath(base), MKTEMP_NAME)
    return path if in_temp(path) else None


# ---- output a command prints, when it can be known ----------------------------------------

def known_output(cmd: SimpleCommand, ctx: ClassifyContext) -> str | None:
    """What a command prints to stdout, when Airlock can compute it: ``echo`` and
    ``printf`` of literals (escapes decoded as bash does), ``cat`` of known stdin, ``pwd``,
    ``basename``/``dirname`` and ``git rev-parse --show-toplevel``."""
    if any(w.dynamic for w in cmd.argv) or not cmd.argv:
        return None
    prog = cmd.argv[0].text
    args = [w.text for w in cmd.args]
    if prog == "echo":
        return escapes.echo_output(args)
    if prog == "printf":
        if args and args[0].startswith("-v"):
            return ""
        return escapes.printf_output(args)
    if prog in ("true", ":"):
        return ""
    if prog == "cat" and not args and cmd.stdin is not None and not cmd.stdin_unknown:
        return cmd.stdin
    cwd = cmd.cwd or ctx.cwd
    if prog == "pwd" and args in ([], ["-L"]) and not cwd.startswith(UNKNOWN_CWD):
        return cwd + "\n"
    if prog == "basename" and len(args) in (1, 2) and not args[0].startswith("-"):
        base = os.path.basename(args[0].rstrip("/")) or ("/" if args[0] else "")
        if len(args) == 2 and base.endswith(args[1]) and base != args[1]:
            base = base[: -len(args[1])]
        return base + "\n"
    if prog == "dirname" and args and not any(a.startswith("-") for a in args):
        return "".join((os.path.dirname(a.rstrip("/")) or ".") + "\n" if a.rstrip("/")
                       else "/\n" if a else ".\n" for a in args)
    if prog == "git" and args == ["rev-parse", "--show-toplevel"] \
            and not cwd.startswith(UNKNOWN_CWD) \
            and not ({"GIT_DIR", "GIT_WORK_TREE"} & (set(cmd.env) | set(cmd.vars or ()))):
        # the work tree holding the directory: what the workspace itself is found from
        root = repository_root(cwd)
        return root + "\n" if os.path.exists(os.path.join(root, ".git")) else None
    return None


class ShellState:
    """The state a shell script builds up as it runs, and the builtins that change it."""

    def __init__(self, ctx: ClassifyContext) -> None:
        self.ctx = ctx
        self.vars = ctx.environ  # one known value each (shared with the context)
        self.multi: dict[str, tuple[str, ...]] = {}  # several possible values each
        self.cwd = ctx.cwd  # moved by `cd`; UNKNOWN_CWD once it goes somewhere unknown
        # the script's own $0 $1 …: known for `bash -c CMD NAME ARGS` of literal words
        given = ctx.shell_args
        self.arg0: Word | None = given[0] if given else None
        self.posargs: tuple[Word, ...] | None = given[1:] if given else None
        self.dirstack: tuple[str, ...] = (UNKNOWN_CWD,)  # pushd's stack: unknown below
        self.oldpwd: str | None = None
        self.links = ctx.links  # symlinks the script made (shared with the context)
        self.functions: dict[str, tuple[tuple[Any, tuple[Any, ...]], ...]] = {}
        self.namerefs: dict[str, str | None] = {}
        self.shadowed: set[str] = set()  # special names (HOME…) the script assigned
        self.hashed: dict[str, str] = {}  # hash -p PATH NAME: NAME runs PATH
        self.commands: list[SimpleCommand] = []
        self.loops: list[tuple[list[State], list[State]]] = []  # (breaks, continues)
        self.returns: list[list[State]] = []  # states at `return`, one list per call
        self.call_depth = 0
        self.called: set[str] = set()

    # ---- state --------------------------------------------------------------------

    def snapshot(self) -> State:
        return State(dict(self.vars), dict(self.multi), self.cwd, self.posargs,
                     self.dirstack, self.oldpwd, dict(self.links), dict(self.functions),
                     dict(self.namerefs))

    def restore(self, s: State) -> None:
        self.vars.clear()
        self.vars.update(s.vars)
        self.multi = dict(s.multi)
        self.cwd = s.cwd
        self.posargs = s.posargs
        self.dirstack = s.dirstack
        self.oldpwd = s.oldpwd
        self.links.clear()
        self.links.update(s.links)
        self.functions = dict(s.functions)
        self.namerefs = dict(s.namerefs)

    def merge(self, states: list[State]) -> State:
        return merge(states, self.ctx.home, self.shadowed)

    def forget(self, name: str) -> None:
        """``name`` holds a value Airlock cannot know from here on."""
        self.multi.pop(name, None)
        if name == CWD:
            self.cwd = UNKNOWN_CWD
            return
        self.vars.pop(name, None)
        if name in SPECIAL:
            self.shadowed.add(name)

    def forget_all(self, *, cwd: bool = False) -> None:
        """After code Airlock cannot see runs in this shell (``eval "$x"``, ``source``
        of a file it cannot read): no variable is known any more."""
        for name in [*self.vars, *self.multi]:
            if name != CWD:
                self.forget(name)
        self.shadowed.update(("HOME", "OLDPWD", "CDPATH"))
        self.posargs = None
        self.namerefs.clear()
        if cwd:
            self.forget(CWD)
            self.dirstack = (UNKNOWN_CWD,)
            self.oldpwd = None

    def set_var(self, name: str, value: str | None) -> None:
        """Assign ``name`` (through ``declare -n`` references); None: unknown value."""
        target = self.resolve_ref(name)
        if target is None:
            self.forget_all()
            return
        self.multi.pop(target, None)
        if target in SPECIAL:
            self.shadowed.add(target)
        if value is None:
            self.vars.pop(target, None)
        else:
            self.vars[target] = value

    def resolve_ref(self, name: str) -> str | None:
        for _ in range(8):
            if name not in self.namerefs:
                return name
            target = self.namerefs[name]
            if target is None:
                return None
            name = target
        return None

    def forget_changes(self, before: State) -> None:
        """Variables a subshell or a function set are not known after it."""
        for name in changed(before, self.snapshot(), self.ctx.home, self.shadowed):
            if name != CWD:
                self.forget(name)

    def isolated(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` as a subshell: its `cd` does not leak, and variables it sets are
        unknown after it (Airlock does not rely on a subshell keeping them to itself)."""
        before = self.snapshot()
        loops, returns = self.loops, self.returns
        self.loops, self.returns = [], []
        try:
            fn()
        finally:
            self.loops, self.returns = loops, returns
        links = dict(self.links)  # a link made on disk stays made
        after = self.snapshot()
        self.restore(before)
        self.links.update(links)
        for name in changed(before, after, self.ctx.home, self.shadowed):
            if name != CWD:
                self.forget(name)

    def fork(self, names: list[str], fn: Callable[[], None]) -> None:
        """Run ``fn`` once for each combination of the values ``names`` may hold."""
        size = 1
        for n in names:
            size *= len(self.multi[n])
        if size > MAX_VALUES:
            for n in names:
                self.forget(n)
            fn()
            return
        base = self.snapshot()
        results: list[State] = []
        for combo in itertools.product(*(self.multi[n] for n in names)):
            self.restore(base)
            for n, v in zip(names, combo, strict=True):
                del self.multi[n]
                if n == CWD:
                    self.cwd = v
                else:
                    self.vars[n] = v
            fn()
            results.append(self.snapshot())
        self.restore(self.merge(results))

    # ---- builtins that change the shell's own state ---------------------------------

    def b_cd(self, cmd: SimpleCommand) -> None:
        prog = cmd.argv[0].text
        args = [w for w in cmd.args if w.dynamic or not (w.text.startswith("-") and len(w.text) > 1
                                                        and not w.text[1:].isdigit())]
        args = [w for w in args if w.text != "--" or w.dynamic]
        here = self.cwd
        if prog == "dirs":
            if any(w.text == "-c" for w in cmd.args):
                self.dirstack = ()
            return
        if prog == "popd":
            if args:  # popd +N / -N drops an entry somewhere in the stack
                self.dirstack = (UNKNOWN_CWD,)
                self.cwd = UNKNOWN_CWD
                return
            if not self.dirstack:
                return  # "directory stack empty": nothing changes
            self.cwd, self.dirstack = self.dirstack[0], self.dirstack[1:] or ()
            if self.cwd == UNKNOWN_CWD:
                self.dirstack = (UNKNOWN_CWD,)
            self.oldpwd = here
            return
        if prog == "pushd" and (not args or (not args[0].dynamic
                                             and args[0].text[:1] in ("+", "-")
                                             and args[0].text[1:].isdigit())):
            if args or not self.dirstack:  # rotations: not followed
                self.dirstack = (UNKNOWN_CWD,)
                self.cwd = UNKNOWN_CWD
                return
            self.cwd, self.dirstack = self.dirstack[0], (here, *self.dirstack[1:])
            self.oldpwd = here
            return
        if not args:
            target = self.home()
        elif args[0].dynamic:
            target = None
        elif args[0].text == "-" and prog == "cd":
            target = self.oldpwd
        else:
            target = args[0].text
            if ("CDPATH" in self.vars or "CDPATH" in self.multi or "CDPATH" in cmd.env
                    or "CDPATH" in self.shadowed) and not os.path.isabs(target) \
                    and target.split("/", 1)[0] not in (".", ".."):
                target = None  # CDPATH=…: `cd x` may go to any directory on it
        new = self.chdir(target)
        if prog == "pushd":
            self.dirstack = (here, *self.dirstack)[:MAX_DIRSTACK]
        self.oldpwd = here
        self.cwd = new

    def chdir(self, target: str | None) -> str:
        if target is None or DYNAMIC in target:
            return UNKNOWN_CWD
        if os.path.isabs(target):
            return os.path.normpath(target)
        if self.cwd.startswith(UNKNOWN_CWD):
            return UNKNOWN_CWD
        return os.path.normpath(os.path.join(self.cwd, target))

    def abspath(self, text: str) -> str | None:
        if DYNAMIC in text or "\x00" in text:
            return None
        if os.path.isabs(text):
            return os.path.normpath(text)
        if self.cwd.startswith(UNKNOWN_CWD):
            return None
        return os.path.normpath(os.path.join(self.cwd, text))

    def b_read(self, cmd: SimpleCommand) -> None:
        names = read_names(cmd.args)
        if names is None:
            self.forget_all()
            return
        for name in names:
            self.set_var(name, None)

    def b_mapfile(self, cmd: SimpleCommand) -> None:
        name = mapfile_name(cmd.args)
        if name is None:
            self.forget_all()
        else:
            self.set_var(name, None)

    def b_getopts(self, cmd: SimpleCommand) -> None:
        if len(cmd.args) < 2 or cmd.args[1].dynamic:
            self.forget_all()
            return
        for name in (cmd.args[1].text, "OPTARG", "OPTIND"):
            self.set_var(name, None)

    def b_printf(self, cmd: SimpleCommand) -> None:
        found = printf_target(cmd.args)
        if found is None:
            return
        name, rest = found
        if name is None:
            self.forget_all()
            return
        out = None
        if rest and not any(w.dynamic for w in rest):
            out = escapes.printf_output([w.text for w in rest])
        self.set_var(name, out)

    def b_eval(self, cmd: SimpleCommand) -> None:
        """``eval`` runs its words as code in this shell: what that code assigns (or
        where it ``cd``s) holds afterwards. Its commands are classified by dispatch."""
        if not cmd.args:
            return
        if any(w.dynamic for w in cmd.args):
            self.forget_all(cwd=True)
            return
        self.absorb(" ".join(w.text for w in cmd.args))

    def b_source(self, cmd: SimpleCommand) -> None:
        """``source FILE``: the file runs in this shell. A file Airlock can read is
        walked for what it sets; one it cannot leaves every variable unknown."""
        if not cmd.args:
            return
        path = cmd.args[0]
        full = None if path.dynamic else self.abspath(path.text)
        text = self.ctx.read_small_file(full, STDIN_FILE_LIMIT) if full else None
        if text is None:
            self.forget_all(cwd=path.dynamic)
            return
        self.absorb(text)

    def absorb(self, source: str) -> None:
        """Walk ``source`` as part of this shell for its effects on the state only."""
        raise NotImplementedError

    def b_shift(self, cmd: SimpleCommand) -> None:
        if self.posargs is None:
            return
        n = 1
        if cmd.args:
            w = cmd.args[0]
            if w.dynamic or not w.text.isdigit():
                self.posargs = None
                return
            n = int(w.text)
        if n <= len(self.posargs):
            self.posargs = self.posargs[n:]

    def b_set(self, cmd: SimpleCommand) -> None:
        args = cmd.args
        for i, w in enumerate(args):
            if w.dynamic:
                self.posargs = None
                return
            if w.text == "--":
                self.posargs = tuple(args[i + 1 :])
                return
            if not w.text.startswith(("-", "+")) and not (i and args[i - 1].text in ("-o", "+o")):
                self.posargs = None  # `set a b` sets $1 $2: not followed
                return

    def b_ln(self, cmd: SimpleCommand) -> None:
        for link, target in symlinks(cmd, self.abspath):
            if len(self.links) < 4 * MAX_VALUES or link in self.links:
                self.links[link] = target

    def b_hash(self, cmd: SimpleCommand) -> None:
        """``hash -p /bin/rm ls``: from here on ``ls`` runs ``/bin/rm``."""
        args = cmd.args
        texts = [w.text for w in args]
        if "-r" in texts:
            self.hashed.clear()
        if "-p" not in texts:
            return
        i = texts.index("-p")
        if i + 1 >= len(args):
            return
        path = args[i + 1]
        for w in args[i + 2 :]:
            if w.dynamic:
                self.ctx.unparsed("hash -p for a program name Airlock cannot know")
                continue
            self.hashed[w.text] = DYNAMIC if path.dynamic else path.text

    def arith_text(self, text: str) -> None:
        for m in _ARITH_SET.finditer(text):
            name = m.group(1) or m.group(2) or m.group(3)
            if name:
                self.set_var(name, None)

    def b_let(self, cmd: SimpleCommand) -> None:
        for w in cmd.args:
            self.arith_text(w.text)

    def b_jump(self, cmd: SimpleCommand) -> None:
        prog = cmd.argv[0].text
        if prog == "return":
            if self.returns:
                self.returns[-1].append(self.snapshot())
            return
        if not self.loops:
            return
        n = 1
        if cmd.args and cmd.args[0].text.isdigit() and not cmd.args[0].dynamic:
            n = max(1, int(cmd.args[0].text))
        state = self.snapshot()
        if prog == "break":
            for loop in self.loops[-n:]:
                loop[0].append(state)
        else:
            self.loops[-1][1].append(state)

    def tmpdir(self, cmd: SimpleCommand) -> str | None:
        """``$TMPDIR`` where ``cmd`` runs: ``""`` when the script never set it, None when
        it set it to something Airlock cannot know."""
        given = cmd.env.get("TMPDIR")
        if given is not None:
            return None if given.unknown else given.text
        if "TMPDIR" in self.vars:
            return self.vars["TMPDIR"]
        return None if "TMPDIR" in self.multi or "TMPDIR" in self.shadowed else ""

    def home(self) -> str | None:
        if "HOME" in self.vars:
            return self.vars["HOME"]
        if "HOME" in self.multi or "HOME" in self.shadowed:
            return None
        return self.ctx.home

    def tilde(self, text: str) -> tuple[str, bool]:
        """``~``, ``~/x``, ``~+`` (PWD), ``~-`` (OLDPWD), ``~user``."""
        head, sep, rest = text.partition("/")
        base: str | None
        if head == "~":
            base = self.home()
        elif head == "~+":
            base = None if self.cwd.startswith(UNKNOWN_CWD) else self.cwd
        elif head == "~-":
            base = self.oldpwd
        elif re.fullmatch(r"~[A-Za-z_][A-Za-z0-9_.-]*", head):
            try:
                import pwd

                base = pwd.getpwnam(head[1:]).pw_dir
            except (KeyError, ImportError):
                return text, False  # no such user: bash leaves the word as it is
        else:
            return text, False
        if base is None:
            return DYNAMIC + sep + rest, True
        return base + sep + rest, False

    def lookup(self, name: str) -> tuple[str, bool, bool]:
        if name.isdigit() or name in ("#", "@", "*"):
            return self._positional(name)
        target = self.resolve_ref(name)
        if target is None:
            return DYNAMIC, True, False
        name = target
        if name in self.vars:
            return self.vars[name], False, False
        if name in self.multi or name in self.shadowed:
            return DYNAMIC, True, False
        if name == "HOME":
            return self.ctx.home, False, False
        if name == "PWD" and not self.cwd.startswith(UNKNOWN_CWD):
            return self.cwd, False, False
        if name == "OLDPWD" and self.oldpwd is not None:
            return self.oldpwd, False, False
        return DYNAMIC, True, False

    def _positional(self, name: str) -> tuple[str, bool, bool]:
        args = self.posargs
        if name == "0":
            w0 = self.arg0
            return (w0.text, w0.dynamic, False) if w0 is not None else (DYNAMIC, True, False)
        if args is None:
            return DYNAMIC, True, False
        if name == "#":
            return str(len(args)), False, False
        if name in ("@", "*"):
            return " ".join(w.text for w in args), any(w.dynamic for w in args), False
        n = int(name)
        if n > len(args):
            return "", False, False
        w = args[n - 1]
        return w.text, w.dynamic, False
