"""The shell-independent model of one command invocation that packs look at.

The shell parser (``shell.py``) produces :class:`SimpleCommand` records; wrappers
(``sudo``, ``env``, ``xargs``…) are already peeled off by the time a pack sees one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from airlock.action import Flag, FlagKind, Target
from airlock.paths import workspace_root

if TYPE_CHECKING:
    from airlock.config import Config

DYNAMIC = "\x00?"  # stands for text we cannot know statically (a variable, $(...), xargs input)
UNKNOWN_CWD = "/\x00unknown-cwd"  # after `cd "$X"`: relative paths are somewhere unknown
UNKNOWN_LINK = "\x00?link"  # a symlink the script made to somewhere Airlock cannot know
LINK_BUDGET = 64  # paths one action may have resolved through symlinks on disk


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word after quote removal.

    ``text`` is the literal value, with :data:`DYNAMIC` standing in for every part that
    comes from an unresolved expansion. ``glob`` is true when unquoted glob characters
    remain (the shell would expand them).
    """

    text: str
    dynamic: bool = False
    glob: bool = False

    @property
    def shown(self) -> str:
        """The word for humans: unknown parts as ``$?``."""
        return self.text.replace(DYNAMIC, "$?")

    @property
    def unknown(self) -> bool:
        return self.dynamic or self.glob

    @staticmethod
    def lit(text: str) -> Word:
        return Word(text)


@dataclass(frozen=True, slots=True)
class Redirect:
    op: str  # ">", ">>", "<", "&>", ">|", "<<", "<<<"
    target: Word | None
    body: str | None = None  # heredoc or here-string text
    body_dynamic: bool = False


@dataclass(slots=True)
class SimpleCommand:
    argv: list[Word]
    env: dict[str, Word] = field(default_factory=dict)  # NAME=value prefixes
    redirects: list[Redirect] = field(default_factory=list)
    stdin: str | None = None  # text known to arrive on stdin (heredoc, here-string, echo |)
    stdin_unknown: bool = False  # stdin comes from something we cannot see (a pipe, a file)
    privileged: bool = False  # run under sudo/doas
    via: tuple[str, ...] = ()  # wrappers peeled off, outermost first
    cwd: str | None = None  # where it runs, when an earlier `cd` moved it (UNKNOWN_CWD: lost)
    # the script's variables known to hold one literal value where this command runs (code
    # it hands to `eval` or `bash -c` is read with these, not with what a later line sets)
    vars: dict[str, str] | None = None
    links: dict[str, str] | None = None  # symlinks the script made before it: path → target
    chdir: Word | None = None  # a wrapper runs it in this directory (`env -C DIR`, `sudo -D`)
    stdout_into: tuple[str, ...] | None = None  # argv of the pipeline part reading its output

    _program: tuple[str, str] = field(default=("", ""), init=False, repr=False,
                                      compare=False)

    @property
    def program(self) -> str:
        """Basename of argv[0]: ``/usr/bin/rm`` → ``rm`` (asked many times per command:
        kept until argv[0] changes)."""
        if not self.argv:
            return ""
        text = self.argv[0].text
        if self._program[0] is not text:
            self._program = (text, os.path.basename(text))
        return self._program[1]

    @property
    def args(self) -> list[Word]:
        return self.argv[1:]

    @property
    def text(self) -> str:
        return " ".join(w.shown for w in self.argv)

    def with_argv(self, argv: list[Word], via: str) -> SimpleCommand:
        return SimpleCommand(
            argv=argv,
            env=dict(self.env),
            redirects=list(self.redirects),
            stdin=self.stdin,
            stdin_unknown=self.stdin_unknown,
            privileged=self.privileged or via in ("sudo", "doas", "run0", "pkexec"),
            via=(*self.via, via),
            cwd=self.cwd,
            vars=self.vars,
            links=self.links,
        )


class Nested(Protocol):
    """How to classify the commands a command runs inside itself (``bash -c``, ``git -c
    core.pager=…``, ``python -c "os.system(…)"``, ``airlock exec -- …``).

    Dispatch supplies it on the context (:func:`airlock.classify.dispatch.classify_command`),
    so the packs and parsers below dispatch reach it without importing it."""

    def source(self, source: Word, ctx: ClassifyContext, what: str,
               args: tuple[Word, ...] | None = None) -> list[Target]:
        """Shell source hidden in a word; ``what`` names where it was found; ``args``
        are its ``$0 $1 …`` when known."""
        ...

    def command(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        """One command another command runs."""
        ...


@dataclass(slots=True)
class ClassifyContext:
    """What the classifier knows about where the action runs."""

    cwd: str
    home: str
    config: Config | None = None
    depth: int = 0  # recursion depth through bash -c / eval / python -c
    environ: dict[str, str] = field(default_factory=dict)  # variables known to hold literal values
    flags: list[Flag] = field(default_factory=list)  # shared with deeper contexts
    consumed: list[str] = field(default_factory=list)  # files read to classify (shared)
    registry: dict[str, Any] = field(default_factory=dict)  # program → Pack, for recursion
    origin: str = ""  # the agent's own working directory: its workspace is found from here
    nested: Nested | None = None  # supplied by dispatch: classifies commands inside commands
    links: dict[str, str] = field(default_factory=dict)  # symlinks the script made: path → target
    link_budget: list[int] = field(default_factory=lambda: [LINK_BUDGET])  # shared countdown
    # $0 $1 … of the shell code this context is about to run (`bash -c CMD NAME ARGS`,
    # `bash x.sh ARGS`): read by parse_script, never inherited by deeper contexts
    shell_args: tuple[Word, ...] | None = None

    MAX_DEPTH = 8

    def deeper(self) -> ClassifyContext:
        return ClassifyContext(
            cwd=self.cwd,
            home=self.home,
            config=self.config,
            depth=self.depth + 1,
            environ=dict(self.environ),
            flags=self.flags,
            consumed=self.consumed,
            registry=self.registry,
            origin=self.origin,
            nested=self.nested,
            links=dict(self.links),
            link_budget=self.link_budget,
        )

    def at(self, cwd: str) -> ClassifyContext:
        """The same context for a command that an earlier ``cd`` moved to ``cwd``."""
        ctx = self.deeper()
        ctx.depth = self.depth
        ctx.origin = self.origin or self.cwd
        ctx.cwd = cwd
        return ctx

    def classify_source(self, source: Word, what: str,
                        args: tuple[Word, ...] | None = None) -> list[Target]:
        """Targets of shell source found inside a command (``git -c core.pager='…'``),
        classified one level deeper by dispatch. ``args``: its ``$0 $1 …`` when known."""
        return self._nested().source(source, self, what, args)

    def classify_command(self, cmd: SimpleCommand) -> list[Target]:
        """Targets of a command another command runs (``airlock exec -- CMD``)."""
        return self._nested().command(cmd, self)

    def _nested(self) -> Nested:
        if self.nested is None:
            # only dispatch can classify a nested command; without it nothing is seen
            # through, so fail: the classifier holds an action it could not classify
            raise RuntimeError("no dispatcher on this context to classify a nested command")
        return self.nested

    @property
    def cwd_unknown(self) -> bool:
        return self.cwd.startswith(UNKNOWN_CWD)

    def workspace(self) -> str:
        """The agent's workspace: from where it started, not where a ``cd`` took it."""
        return workspace_root(self.origin or self.cwd, self.home)

    def read_small_file(self, path: str, limit: int = 1 << 20) -> str | None:
        """The text of a small regular file the action names (``curl -d @body.json``,
        ``psql -f x.sql``), or None. Recorded, so that an action which also writes that
        file (and so could change it before it is read) is held."""
        if not path or DYNAMIC in path or "\x00" in path:
            return None
        full = self.abspath(path)
        if "\x00" in full:  # relative to a directory Airlock does not know
            return None
        self.consumed.append(full)
        try:
            if not os.path.isfile(full) or os.stat(full).st_size > limit:
                return None
            with open(full, encoding="utf-8", errors="replace") as fh:
                return fh.read(limit)
        except (OSError, ValueError):
            return None

    def unparsed(self, detail: str) -> None:
        """Record that part of the action could not be understood: it will be held."""
        self.flag("unparsed", detail)

    def flag(self, kind: FlagKind, detail: str) -> None:
        f = Flag(kind, detail)
        if f not in self.flags:
            self.flags.append(f)

    def abspath(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        if not os.path.isabs(path):
            path = os.path.join(self.cwd, path)
        return os.path.normpath(path)


def split_options(
    args: Iterable[Word],
    takes_value: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[Word], dict[str, list[Word | None]]]:
    """Split arguments into positionals and options.

    ``takes_value`` names the options that consume the next word (``-n``, ``--volume``).
    ``--opt=value`` is always split. Short flag clusters (``-rf``) are expanded to
    ``-r`` and ``-f`` unless the cluster itself names an option in ``takes_value``.
    A bare ``--`` ends option parsing. An argument whose text is unknown (a variable)
    counts as a positional: a caller that needs to know treats it as the worst case.
    """
    positionals: list[Word] = []
    options: dict[str, list[Word | None]] = {}
    items = list(args)
    i = 0
    while i < len(items):
        w = items[i]
        t = w.text
        if t == "--":
            positionals.extend(items[i + 1 :])
            break
        if t.startswith("--") and len(t) > 2 and not w.dynamic:
            name, eq, value = t.partition("=")
            if eq:
                options.setdefault(name, []).append(Word(value, w.dynamic, w.glob))
            elif name in takes_value and i + 1 < len(items):
                options.setdefault(name, []).append(items[i + 1])
                i += 1
            else:
                options.setdefault(name, []).append(None)
        elif t.startswith("-") and len(t) > 1 and not w.dynamic:
            if t in takes_value:
                if i + 1 < len(items):
                    options.setdefault(t, []).append(items[i + 1])
                    i += 1
                else:
                    options.setdefault(t, []).append(None)
            elif len(t) > 2 and t[:2] in takes_value:
                options.setdefault(t[:2], []).append(Word(t[2:]))
            else:
                for ch in t[1:]:
                    options.setdefault("-" + ch, []).append(None)
        else:
            positionals.append(w)
        i += 1
    return positionals, options


def expand_braces(text: str, limit: int = 64) -> list[str]:
    """``/{etc,usr}/x`` → ``/etc/x``, ``/usr/x`` (bash brace expansion, comma lists)."""
    out = [text]
    for _ in range(8):
        changed = False
        nxt: list[str] = []
        for item in out:
            start = item.find("{")
            end = item.find("}", start + 1)
            if start == -1 or end == -1 or "," not in item[start:end]:
                nxt.append(item)
                continue
            changed = True
            for alt in item[start + 1 : end].split(","):
                nxt.append(item[:start] + alt + item[end + 1 :])
        out = nxt[:limit]
        if not changed:
            break
    return out


def iter_words(words: Iterable[Word]) -> Iterator[str]:
    for w in words:
        yield w.text
