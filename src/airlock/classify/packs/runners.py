"""Programs that run another command: the command they carry is what is judged.

``tmux new -d 'rm -rf /srv'``, ``screen -dm CMD``, ``echo CMD | at now``, ``watch CMD``,
``script -c CMD``, ``su -c CMD``, ``runuser -u USER -- CMD``, ``parallel CMD ::: ARGS``,
``flock LOCK CMD``, ``systemd-run CMD``, ``unshare … CMD``, ``nsenter … CMD`` and the
small wrappers (``setpriv``, ``taskset``, ``chrt``, ``xvfb-run``, ``gosu``…) each run a
command given as words or as shell text. That command goes back to dispatch through the
context (``ctx.classify_command`` / ``ctx.classify_source``), so it is classified where
it runs: with the working directory the carrier gives it (``systemd-run`` starts in
``/``; ``nsenter -m`` in another mount namespace), its input (``at`` reads the job from
stdin), and its arguments (``parallel`` substitutes each input into the template).

A command text that is not a literal — from a variable, from stdin Airlock cannot see,
from a file it cannot read — is held, with a reason naming the carrier. A carrier that
runs nothing (``tmux ls``, ``screen -r``, ``at -l``, ``flock 9``) is judged as itself.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
from collections.abc import Sequence

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
    UNKNOWN_CWD,
    ClassifyContext,
    SimpleCommand,
    Word,
)
from airlock.classify.packs.base import Pack
from airlock.classify.targets import program_target

Options = dict[str, list[Word | None]]

# a shell variable nobody sets: text that stands for a value Airlock cannot know, in
# shell source that dispatch parses (its word is then dynamic)
UNKNOWN_VALUE = '"${__AIRLOCK_UNKNOWN__}"'
MAX_EXPANSIONS = 64  # commands built from known inputs (parallel, xargs-like carriers)


def getopt(args: Sequence[Word], short_value: str = "", long_value: Sequence[str] = (),
           *, short_optional: str = "", long_optional: Sequence[str] = (),
           long_flags: Sequence[str] = (), permute: bool = False
           ) -> tuple[Options, list[Word]]:
    """Options and positionals as getopt(3) reads them: ``-abVALUE`` and ``-ab VALUE``
    when ``b`` takes a value, ``--name=value``, ``--name value``, a unique prefix of a
    long option (``--comm`` for ``--command``), ``--`` ending the options. Without
    ``permute`` the first positional ends them too (``flock F cmd -x``: ``-x`` is the
    command's). A word Airlock cannot read where an option could be ends them: it may be
    the command itself."""
    longs = (*long_value, *long_optional, *long_flags)
    options: Options = {}
    positionals: list[Word] = []
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic and (t.startswith(DYNAMIC) or t.startswith("-")):
            positionals.extend(args[i:])
            break
        if t == "--":
            positionals.extend(args[i + 1 :])
            break
        if t.startswith("--") and len(t) > 2:
            name, eq, value = t.partition("=")
            if name not in longs:
                full = [n for n in longs if n.startswith(name)]
                if len(full) == 1:
                    name = full[0]
            if eq:
                options.setdefault(name, []).append(Word(value, w.dynamic))
            elif name in long_value and i + 1 < len(args):
                options.setdefault(name, []).append(args[i + 1])
                i += 1
            else:
                options.setdefault(name, []).append(None)
        elif t.startswith("-") and len(t) > 1:
            for j, ch in enumerate(t[1:], 1):
                rest = t[j + 1 :]
                if ch in short_value:
                    if rest:
                        options.setdefault("-" + ch, []).append(Word(rest, w.dynamic))
                    elif i + 1 < len(args):
                        options.setdefault("-" + ch, []).append(args[i + 1])
                        i += 1
                    else:
                        options.setdefault("-" + ch, []).append(None)
                    break
                if ch in short_optional:
                    options.setdefault("-" + ch, []).append(Word(rest) if rest else None)
                    break
                options.setdefault("-" + ch, []).append(None)
        else:
            if not permute:
                positionals.extend(args[i:])
                break
            positionals.append(w)
        i += 1
    return options, positionals


def has(options: Options, *names: str) -> bool:
    return any(n in options for n in names)


def value(options: Options, *names: str) -> Word | None:
    for n in names:
        for v in options.get(n, []):
            if v is not None:
                return v
    return None


def held(cmd: SimpleCommand, ctx: ClassifyContext, carrier: str, why: str) -> list[Target]:
    """What ``carrier`` runs cannot be seen: held, the reason naming the carrier."""
    ctx.unparsed(f"{carrier}: {why}")
    return [Target(kind="command", name=cmd.text[:120], verb=f"{carrier}.hidden",
                   risk=Risk.DESTRUCTIVE, tool=carrier, locator="unknown:", detail=why,
                   unresolved=True)]


def run_source(ctx: ClassifyContext, source: Word, what: str, cwd: str | None = None
               ) -> list[Target]:
    """Shell text a carrier runs (``sh -c TEXT``), where it runs."""
    if cwd is not None and cwd != ctx.cwd:
        ctx = ctx.at(cwd)
    return ctx.classify_source(source, what)


def run_argv(cmd: SimpleCommand, ctx: ClassifyContext, argv: Sequence[Word], via: str,
             cwd: str | None = None, privileged: bool = False) -> list[Target]:
    """A command a carrier runs as words (``nohup CMD ARGS``)."""
    inner = cmd.with_argv(list(argv), via)
    inner.privileged = inner.privileged or privileged
    if cwd is not None:
        inner.cwd = cwd
    return ctx.classify_command(inner)


def joined(words: Sequence[Word]) -> Word:
    """Words a carrier joins with spaces and hands to ``sh -c`` (``watch``, ``sg``)."""
    return Word(" ".join(w.text for w in words), any(w.dynamic for w in words))


def piped_into(command: Word) -> Word:
    """``command`` reading output Airlock cannot see on its stdin (``awk 'print | "sh"'``,
    ``tmux pipe-pane 'sh'``): a shell there runs that output, and is held."""
    return Word(f"echo {UNKNOWN_VALUE} | {command.text}", command.dynamic)


class CarrierPack(Pack):
    """A carrier: its ``classify`` finds the command it runs."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        found = self.carried(cmd, ctx)
        return found if found else [program_target(cmd, ctx, Risk.WRITE)]

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        raise NotImplementedError


# ---- plain wrappers: options, then a command ------------------------------------------

class WrapperPack(CarrierPack):
    """``PROG [options] [N fixed words] COMMAND [ARGS]``. ``none`` lists options after
    which the program runs no command (``taskset -p PID``)."""

    def __init__(self, name: str, programs: tuple[str, ...], *, short_value: str = "",
                 long_value: tuple[str, ...] = (), short_optional: str = "",
                 long_optional: tuple[str, ...] = (), fixed: int = 0,
                 none: tuple[str, ...] = (), description: str = "") -> None:
        super().__init__(name=name, programs=programs, description=description)
        self.short_value, self.long_value = short_value, long_value
        self.short_optional, self.long_optional = short_optional, long_optional
        self.fixed, self.none = fixed, none

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args, self.short_value, self.long_value,
                               short_optional=self.short_optional,
                               long_optional=self.long_optional)
        if has(options, *self.none):
            return []
        return run_argv(cmd, ctx, rest[self.fixed :], cmd.program,
                        cwd=self.cwd(cmd, options, ctx)) if rest[self.fixed :] else []

    def cwd(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str | None:
        return None


class NsenterPack(WrapperPack):
    """``nsenter -t PID -m CMD``: in another mount namespace the working directory is
    its root, unless ``-w DIR`` says otherwise; relative paths are somewhere unknown."""

    def cwd(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str | None:
        wd = value(options, "-w", "--wd")
        if wd is not None and not wd.dynamic and os.path.isabs(wd.text):
            return os.path.normpath(wd.text)
        if has(options, "-m", "--mount", "-a", "--all", "-r", "--root", "-w", "--wd"):
            return UNKNOWN_CWD
        return None


class UnsharePack(WrapperPack):
    def cwd(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str | None:
        wd = value(options, "-w", "--wd")
        if wd is not None:
            return ctx.abspath(wd.text) if not wd.dynamic else UNKNOWN_CWD
        if has(options, "-R", "--root"):
            return UNKNOWN_CWD  # a new root: every path is under it
        return None


class SystemdRunPack(WrapperPack):
    """``systemd-run CMD``: a transient service, which starts in ``/`` (``--user``: the
    home dir) unless ``--same-dir``/``--working-directory``/``--scope`` keep it here;
    ``-H``/``-M`` run it on another host or machine."""

    def cwd(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str | None:
        if has(options, "-H", "--host", "-M", "--machine", "-C", "--capsule"):
            return UNKNOWN_CWD
        wd = value(options, "--working-directory")
        if wd is not None:
            return ctx.abspath(wd.text) if not wd.dynamic else UNKNOWN_CWD
        if has(options, "-d", "--same-dir", "--scope"):
            return None
        return ctx.home if has(options, "--user") else "/"


# ---- flock, watch, script, su, sg --------------------------------------------------------

class FlockPack(CarrierPack):
    """``flock [opts] FILE CMD [ARGS]``, ``flock [opts] FILE -c 'CMD'``, ``flock FD``."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args, "wEc", ("--timeout", "--wait", "--conflict-exit-code",
                                                 "--command"),
                               long_flags=("--shared", "--exclusive", "--unlock",
                                           "--nonblock", "--nb", "--close", "--no-fork",
                                           "--verbose"))
        source = value(options, "-c", "--command")
        after = rest[1:]
        if after and after[0].text in ("-c", "--command") and not after[0].dynamic:
            if len(after) < 2:
                return held(cmd, ctx, "flock", "-c without a command")
            source = after[1]
        elif after and after[0].text.startswith("--command=") and not after[0].dynamic:
            source = Word(after[0].text.split("=", 1)[1])
        if source is not None:
            return run_source(ctx, source, "flock -c")
        return run_argv(cmd, ctx, after, "flock") if after else []


class WatchPack(CarrierPack):
    """``watch [opts] CMD ARGS``: the words are joined and run by ``sh -c`` (``-x``: run
    as words), again and again."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args, "nq", ("--interval", "--equexit"),
                               short_optional="d", long_optional=("--differences",),
                               long_flags=("--beep", "--color", "--no-color", "--errexit",
                                           "--chgexit", "--precise", "--no-rerun",
                                           "--no-title", "--no-wrap", "--exec", "--help",
                                           "--version", "--no-linewrap"))
        if not rest:
            return []
        if has(options, "-x", "--exec"):
            return run_argv(cmd, ctx, rest, "watch")
        return run_source(ctx, joined(rest), "watch")


class ScriptPack(CarrierPack):
    """``script -c CMD [FILE]`` (util-linux); ``script [-q] FILE CMD ARGS`` (BSD)."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args, "cEIOBTmo", (
            "--command", "--echo", "--log-in", "--log-out", "--log-io", "--log-timing",
            "--logging-format", "--output-limit"), short_optional="t",
            long_optional=("--timing",), permute=True)
        source = value(options, "-c", "--command")
        if source is not None:
            return run_source(ctx, source, "script -c")
        if has(options, "-c", "--command"):
            return held(cmd, ctx, "script", "-c without a command")
        # BSD: the options end at the file, and the words after it are the command
        _options, rest = getopt(cmd.args, "tFT")
        if len(rest) > 1:
            return run_argv(cmd, ctx, rest[1:], "script")
        return []


_SU_VALUE = "cCgGsw"
_SU_LONG = ("--command", "--session-command", "--group", "--supp-group", "--shell",
            "--whitelist-environment", "--user")
_SU_FLAGS = ("--login", "--preserve-environment", "--pty", "--fast", "--help", "--version")


class SuPack(CarrierPack):
    """``su [-] [USER] -c CMD``, ``su -s SHELL``, ``runuser -u USER -- CMD ARGS``,
    ``runuser -l USER -c CMD``: the command runs as another user (privileged), through
    the user's shell (``SHELL -c CMD``), or as words with ``runuser -u``."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        short = _SU_VALUE + ("u" if prog == "runuser" else "")
        options, rest = getopt(cmd.args, short, _SU_LONG, long_flags=_SU_FLAGS,
                               permute=prog == "su" or not has_user_option(cmd.args))
        if prog == "runuser" and has(options, "-u", "--user"):
            # runuser -u USER [--] CMD ARGS: the words are the command
            return run_argv(cmd, ctx, rest, "runuser", privileged=True) if rest else []
        if rest and rest[0].text == "-" and not rest[0].dynamic:
            rest = rest[1:]
        shell_args = rest[1:]  # after the user: handed to the user's shell
        shell = value(options, "-s", "--shell") or Word("sh")
        out: list[Target] = []
        for opt in ("-c", "--command", "-C", "--session-command"):
            for source in options.get(opt, []):
                if source is None:
                    return held(cmd, ctx, prog, f"{opt} without a command")
                out.extend(run_argv(cmd, ctx, [shell, Word("-c"), source], prog,
                                    privileged=True))
        if shell_args or (value(options, "-s", "--shell") is not None and not out):
            out.extend(run_argv(cmd, ctx, [shell, *shell_args], prog, privileged=True))
        return out


def has_user_option(args: Sequence[Word]) -> bool:
    return any(w.text in ("-u", "--user") or w.text.startswith("--user=") for w in args)


class SgPack(CarrierPack):
    """``sg GROUP [-c] CMD``: the command is run by ``/bin/sh -c``."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        rest = list(cmd.args)
        if rest and rest[0].text == "-":
            rest = rest[1:]
        rest = rest[1:]  # the group
        if rest and rest[0].text == "-c":
            rest = rest[1:]
        return run_source(ctx, joined(rest), "sg") if rest else []


# ---- at / batch ------------------------------------------------------------------------------

class AtPack(CarrierPack):
    """``at TIME`` / ``batch``: the job is read from stdin (or ``-f FILE``) and run later
    by ``/bin/sh``. ``-l``/``-r``/``-d``/``-c`` list, remove or show jobs."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, _rest = getopt(cmd.args, "qft", ("--queue", "--file", "--time"),
                                permute=True)
        if has(options, "-l", "-c", "-V", "-h", "--help", "--version"):
            return [program_target(cmd, ctx, Risk.READ)]
        if has(options, "-r", "-d"):
            return [program_target(cmd, ctx, Risk.WRITE)]
        job = value(options, "-f", "--file")
        prog = cmd.program
        if job is not None:
            # the file is run by sh: dispatch reads it as `sh FILE` does
            found = run_argv(cmd, ctx, [Word("sh"), job], prog)
            return [*found, program_target(cmd, ctx, Risk.WRITE)]
        if cmd.stdin is not None and not cmd.stdin_unknown:
            return [*run_source(ctx, Word(cmd.stdin), f"{prog} job"),
                    program_target(cmd, ctx, Risk.WRITE)]
        return held(cmd, ctx, prog, "the job comes from stdin, which Airlock cannot see")


# ---- tmux ------------------------------------------------------------------------------

# command → (short options that take a value, position of the shell command:
# "rest" = every remaining positional, "first" = the first one)
_TMUX_EXEC: dict[str, tuple[str, str]] = {
    "new-session": ("cefFnstxy", "rest"),
    "new-window": ("cFnte", "rest"),
    "split-window": ("cefFlpt", "rest"),
    "respawn-pane": ("cet", "rest"),
    "respawn-window": ("cet", "rest"),
    "display-popup": ("bcdehsStTwxy", "rest"),
    "run-shell": ("cdt", "first"),
    "if-shell": ("t", "first"),
    "pipe-pane": ("t", "first"),
    "send-keys": ("cNt", "keys"),
    "bind-key": ("NT", "tmux-after-key"),
    "confirm-before": ("cpt", "tmux"),
    "set-hook": ("t", "tmux-after-name"),
    "command-prompt": ("IpTt", "tmux"),
    "source-file": ("t", "files"),
    "set-option": ("t", "option"),
    "set-window-option": ("t", "option"),
}
_TMUX_ALIASES = {
    "new": "new-session", "neww": "new-window", "splitw": "split-window",
    "respawnp": "respawn-pane", "respawnw": "respawn-window", "popup": "display-popup",
    "run": "run-shell", "if": "if-shell", "pipep": "pipe-pane", "send": "send-keys",
    "bind": "bind-key", "confirm": "confirm-before", "source": "source-file",
    "set": "set-option", "setw": "set-window-option",
}
_TMUX_READS = frozenset({
    "ls", "list-sessions", "list-windows", "lsw", "list-panes", "lsp", "list-clients",
    "lsc", "list-buffers", "lsb", "list-keys", "lsk", "list-commands", "lscm",
    "has-session", "has", "show-options", "show", "show-window-options", "showw",
    "show-environment", "showenv", "display-message", "display", "capture-pane",
    "capturep", "show-buffer", "showb", "info", "show-messages", "showmsgs",
    "start-server", "start"})
_KEY_NEWLINE = frozenset({"Enter", "KPEnter", "C-m", "C-M", "^M", "C-j", "C-J", "^J"})
_KEY_NAME = re.compile(r"^(?:[CMS]-.+|\^.|F\d{1,2}|KP.*|Escape|Tab|BTab|BSpace|Up|Down|Left|"
                       r"Right|Home|End|IC|DC|PPage|PageUp|PgUp|NPage|PageDown|PgDn|Any)$")
MAX_TMUX_DEPTH = 4


class TmuxPack(CarrierPack):
    """tmux commands that run shell commands: ``new-session``/``new-window``/
    ``split-window``/``respawn-*``/``display-popup`` (the trailing command),
    ``run-shell``, ``if-shell``, ``pipe-pane`` (its output piped into a command),
    ``send-keys`` (the keys typed into a shell), tmux commands nested in ``bind-key``,
    ``confirm-before``, ``set-hook``, ``run -C``, ``source-file`` files and
    ``default-command``; ``tmux -c CMD`` too. ``;`` separates commands."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args, "cfLST")
        out: list[Target] = []
        source = value(options, "-c")
        if source is not None:
            out.extend(run_source(ctx, source, "tmux -c"))
        conf = value(options, "-f")
        if conf is not None:
            out.extend(self._file(cmd, ctx, conf, 0))
        if not rest:
            return out or [program_target(cmd, ctx, Risk.WRITE)]
        reads = True
        for part in _split_commands(rest):
            found, read = self._command(cmd, ctx, part, 0)
            out.extend(found)
            reads = reads and read
        return out or [program_target(cmd, ctx, Risk.READ if reads else Risk.WRITE)]

    def _command(self, cmd: SimpleCommand, ctx: ClassifyContext, words: list[Word],
                 depth: int) -> tuple[list[Target], bool]:
        """Targets of one tmux command, and whether it only reads."""
        if not words:
            return [], True
        if depth > MAX_TMUX_DEPTH:
            return held(cmd, ctx, "tmux", "tmux commands nested deeper than Airlock "
                                          "follows"), False
        head = words[0]
        if head.dynamic:
            return held(cmd, ctx, "tmux", f"the tmux command comes from a variable: "
                                          f"{head.shown!r}"), False
        names = _tmux_names(head.text)
        if not names:
            return [], head.text in _TMUX_READS
        out: list[Target] = []
        for name in names:
            out.extend(self._exec(cmd, ctx, name, words[1:], depth))
        return out, False

    def _exec(self, cmd: SimpleCommand, ctx: ClassifyContext, name: str, args: list[Word],
              depth: int) -> list[Target]:
        short, where = _TMUX_EXEC[name]
        options, rest = getopt(args, short)
        what = f"tmux {name}"
        wd = value(options, "-d" if name == "display-popup" else "-c") if name in (
            "new-session", "new-window", "split-window", "respawn-pane", "respawn-window",
            "display-popup", "run-shell") else None
        cwd = None if wd is None else (ctx.abspath(wd.text) if not wd.dynamic
                                       else UNKNOWN_CWD)
        if where == "rest":
            if len(rest) == 1:
                return run_source(ctx, rest[0], what, cwd)
            return run_argv(cmd, ctx, rest, "tmux", cwd=cwd) if rest else []
        if where == "first":
            if not rest:
                return []
            if name == "run-shell" and has(options, "-C"):
                return self._text(cmd, ctx, rest[0], depth)
            out: list[Target] = []
            if name == "if-shell":
                for nested in rest[1:3]:
                    out.extend(self._text(cmd, ctx, nested, depth))
                if has(options, "-F"):
                    return out  # the condition is a format, not a command
            source = piped_into(rest[0]) if name == "pipe-pane" else rest[0]
            return out + run_source(ctx, source, what)
        if where == "keys":
            if has(options, "-X"):
                return []  # copy-mode commands, not keys
            return run_source(ctx, _typed(rest, literal=has(options, "-l"),
                                          hexa=has(options, "-H")), what)
        if where == "tmux":
            return self._text(cmd, ctx, rest[-1], depth) if rest else []
        if where == "tmux-after-key":
            return self._command(cmd, ctx, rest[1:], depth + 1)[0] if len(rest) > 1 else []
        if where == "tmux-after-name":
            return self._text(cmd, ctx, rest[1], depth) if len(rest) > 1 else []
        if where == "files":
            out = []
            for f in rest:
                out.extend(self._file(cmd, ctx, f, depth))
            return out
        # set-option: default-command / default-shell run in every new window
        if len(rest) >= 2 and rest[0].text in ("default-command", "default-shell"):
            if rest[0].text == "default-shell":
                return run_argv(cmd, ctx, [rest[1]], "tmux")
            return run_source(ctx, rest[1], f"tmux {rest[0].text}")
        return []

    def _text(self, cmd: SimpleCommand, ctx: ClassifyContext, text: Word, depth: int
              ) -> list[Target]:
        """A tmux command given as one string (``bind x 'run "rm -rf /srv"'``)."""
        if text.dynamic:
            return held(cmd, ctx, "tmux", "a tmux command comes from a variable")
        try:
            words = [Word(w) for w in shlex.split(text.text, comments=True)]
        except ValueError:
            return held(cmd, ctx, "tmux", f"tmux command Airlock cannot split: "
                                          f"{text.text[:60]!r}")
        out: list[Target] = []
        for part in _split_commands(words):
            out.extend(self._command(cmd, ctx, part, depth + 1)[0])
        return out

    def _file(self, cmd: SimpleCommand, ctx: ClassifyContext, path: Word, depth: int
              ) -> list[Target]:
        """A tmux configuration file: each line is a tmux command."""
        if path.dynamic:
            return held(cmd, ctx, "tmux", "reads a configuration file named by a variable")
        full = ctx.abspath(path.text)
        if not os.path.exists(full):
            return []
        text = ctx.read_small_file(full)
        if text is None:
            return held(cmd, ctx, "tmux", f"cannot read the tmux configuration {path.text}")
        out: list[Target] = []
        for line in text.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith(("#", "%")):
                out.extend(self._text(cmd, ctx, Word(line), depth))
        return out


def _tmux_names(word: str) -> list[str]:
    """The exec-capable tmux commands ``word`` names: a full name, an alias, or (tmux
    accepts them) a prefix of the full name."""
    if word in _TMUX_EXEC:
        return [word]
    if word in _TMUX_ALIASES:
        return [_TMUX_ALIASES[word]]
    if word in _TMUX_READS:
        return []
    return [name for name in _TMUX_EXEC if name.startswith(word)] if len(word) > 2 else []


def _split_commands(words: Sequence[Word]) -> list[list[Word]]:
    """tmux commands separated by a ``;`` argument (``new -d \\; send-keys …``)."""
    parts: list[list[Word]] = [[]]
    for w in words:
        if w.text == ";" and not w.dynamic:
            parts.append([])
        elif w.text.endswith("\\;") and not w.dynamic:
            parts[-1].append(Word(w.text[:-2]))
            parts.append([])
        else:
            parts[-1].append(w)
    return [p for p in parts if p]


def _typed(keys: Sequence[Word], *, literal: bool, hexa: bool) -> Word:
    """What ``send-keys`` types: key names become the characters they send (``Enter``
    ends a line), other words are typed as they are, with nothing between them."""
    out: list[str] = []
    dynamic = False
    for w in keys:
        dynamic = dynamic or w.dynamic
        t = w.text
        if hexa:
            try:
                out.append(bytes.fromhex(t).decode("utf-8", "replace"))
            except ValueError:
                dynamic = True
            continue
        if literal:
            out.append(t)
        elif t in _KEY_NEWLINE:
            out.append("\n")
        elif t == "Space":
            out.append(" ")
        elif t in ("Tab", "C-i"):
            out.append("\t")
        elif not _KEY_NAME.match(t):
            out.append(t)
    return Word("".join(out), dynamic)


# ---- screen ----------------------------------------------------------------------------

_SCREEN_VALUE = "cehpSsTt"
_STUFF_ESCAPES = re.compile(r"\\(?:0?1[25]|n|r)|\^[MJmj]|\\(.)")


class ScreenPack(CarrierPack):
    """``screen [opts] CMD ARGS`` (``-dm`` detached too), ``screen -s SHELL``,
    ``screen -X stuff TEXT`` (typed into a window), ``-X exec``/``-X screen CMD``.
    ``-r``/``-x``/``-R``/``-d NAME``/``-ls`` attach to, detach or list sessions."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        args = cmd.args
        flags: set[str] = set()
        shell: Word | None = None
        i = 0
        while i < len(args):
            w = args[i]
            t = w.text
            if w.dynamic:
                break
            if t == "--":
                i += 1
                break
            if t in ("-ls", "-list", "-wipe", "-v", "-version", "-help"):
                return [program_target(cmd, ctx, Risk.READ)]
            if t == "-Logfile":
                i += 2
                continue
            if not t.startswith("-") or t == "-":
                break
            for j, ch in enumerate(t[1:], 1):
                if ch in _SCREEN_VALUE:
                    val = Word(t[j + 1 :]) if t[j + 1 :] else (args[i + 1] if i + 1 < len(args)
                                                                else None)
                    if not t[j + 1 :]:
                        i += 1
                    if ch == "s":
                        shell = val
                    break
                if ch == "X":
                    return self._remote(cmd, ctx, args[i + 1 :])
                flags.add(ch)
            i += 1
        rest = args[i:]
        attaching = bool(flags & {"r", "R", "x"}) or (bool(flags & {"d", "D"})
                                                       and "m" not in flags)
        if rest and not attaching:
            return run_argv(cmd, ctx, rest, "screen")
        if shell is not None and not attaching:
            return run_argv(cmd, ctx, [shell], "screen")
        return [program_target(cmd, ctx, Risk.WRITE)]

    def _remote(self, cmd: SimpleCommand, ctx: ClassifyContext, words: list[Word]
                ) -> list[Target]:
        """``screen -S NAME -X COMMAND ARGS``: a screen command sent to a session."""
        if not words:
            return [program_target(cmd, ctx, Risk.WRITE)]
        head, rest = words[0], words[1:]
        if head.dynamic:
            return held(cmd, ctx, "screen", "the screen command comes from a variable")
        if head.text == "stuff":
            text = joined(rest)
            typed = _STUFF_ESCAPES.sub(lambda m: m.group(1) or "\n", text.text)
            return run_source(ctx, Word(typed, text.dynamic), "screen -X stuff")
        if head.text == "exec":
            if rest and re.fullmatch(r"[.!:|]+", rest[0].text):
                rest = rest[1:]
            return run_argv(cmd, ctx, rest, "screen") if rest else []
        if head.text == "screen":
            while rest and rest[0].text.startswith("-"):
                rest = rest[2:] if rest[0].text in ("-t", "-T", "-h") else rest[1:]
            return run_argv(cmd, ctx, rest, "screen") if rest else []
        return [program_target(cmd, ctx, Risk.WRITE)]


# ---- parallel ----------------------------------------------------------------------------

_PAR_SHORT_VALUE = "aCdEIjJLnNPSsX"
_PAR_LONG_VALUE = (
    "--arg-file", "--colsep", "--delimiter", "--eof", "--jobs", "--sshlogin",
    "--sshloginfile", "--slf", "--max-args", "--max-replace-args", "--max-lines",
    "--max-chars", "--joblog", "--results", "--res", "--tmpdir", "--workdir", "--wd",
    "--timeout", "--delay", "--memfree", "--load", "--halt", "--retries", "--tag-string",
    "--tagstring", "--env", "--block", "--block-size", "--transferfile", "--tf", "--return",
    "--basefile", "--bf", "--nice", "--termseq", "--profile", "--ssh", "--sshdelay",
    "--limit", "--header", "--semaphorename", "--id", "--arg-sep", "--arg-file-sep",
    "--process-slot-var", "--shebang-wrap")
_PAR_SEPARATORS = (":::", ":::+", "::::", "::::+")
_REPLACEMENT = re.compile(r"\{(\d*)(\.|/|//|/\.|#|%)?\}|\{=.*?=\}")


class ParallelPack(CarrierPack):
    """GNU ``parallel [opts] TEMPLATE ::: ARGS`` (``::::`` FILES, ``-a FILE``, or stdin
    lines): each input is put into the command template (``{}``, ``{.}``, ``{/}``,
    ``{1}``…, else appended), and each command is classified; no template runs the
    inputs themselves as commands. moreutils ``parallel [opts] CMD -- ARGS`` too.
    ``-S``/``--sshlogin`` runs them on other hosts: relative paths are unknown there."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        words = list(cmd.args)
        groups: list[tuple[str, list[Word]]] = []
        # the input groups: everything from the first ::: / :::: on
        for i, w in enumerate(words):
            if w.text in _PAR_SEPARATORS and not w.dynamic:
                head, tail = words[:i], words[i:]
                for t in tail:
                    if t.text in _PAR_SEPARATORS and not t.dynamic:
                        groups.append((t.text, []))
                    else:
                        groups[-1][1].append(t)
                words = head
                break
        moreutils = not groups and any(w.text == "--" for w in words)
        if moreutils:
            k = next(i for i, w in enumerate(words) if w.text == "--")
            words, after = words[:k], words[k + 1 :]
            groups = [(":::", after)]
        options, template = getopt(words, _PAR_SHORT_VALUE, _PAR_LONG_VALUE,
                                   short_optional="ie", long_optional=("--replace",))
        cwd = UNKNOWN_CWD if has(options, "-S", "--sshlogin", "--sshloginfile",
                                 "--slf") else None
        replace = "{}"
        custom = value(options, "-I", "--replace", "-i")
        if custom is not None and not custom.dynamic:
            replace = custom.text
        sources: list[list[str] | None] = []
        for sep, items in groups:
            if sep.startswith("::::"):
                for f in items:
                    sources.append(_lines_of(f, cmd, ctx))
            else:
                sources.append(None if any(w.dynamic for w in items)
                               else [w.text for w in items])
        for arg_file in options.get("-a", []) + options.get("--arg-file", []):
            sources.append(None if arg_file is None else _lines_of(arg_file, cmd, ctx))
        if not sources and not has(options, "--pipe", "--pipepart"):
            known = cmd.stdin is not None and not cmd.stdin_unknown
            sources.append([ln for ln in (cmd.stdin or "").splitlines() if ln.strip()]
                           if known else None)
        if has(options, "-q", "--quote"):
            template = [Word(shlex.quote(w.text), w.dynamic) for w in template]
        if any(w.dynamic for w in template):
            return held(cmd, ctx, "parallel", "the command template comes from a variable")
        text = " ".join(w.text for w in template)
        out: list[Target] = []
        for values in _combinations(sources):
            if not text:
                source = " ".join(UNKNOWN_VALUE if v is None else v for v in values)
                if any(v is None for v in values):
                    return held(cmd, ctx, "parallel", "runs its inputs as commands, and "
                                                      "Airlock cannot see them")
            else:
                if any(v is None for v in values) and ("'" in text or "\\" in text):
                    return held(cmd, ctx, "parallel", "inputs Airlock cannot see go into "
                                                      "a quoted command template")
                source = _fill(text, values, replace, bare=moreutils and
                               not has(options, "-i"))
            out.extend(run_source(ctx, Word(source), "parallel", cwd))
        return out


def _lines_of(path: Word, cmd: SimpleCommand, ctx: ClassifyContext) -> list[str] | None:
    if path.dynamic:
        return None
    if path.text == "-":
        if cmd.stdin is not None and not cmd.stdin_unknown:
            return [ln for ln in cmd.stdin.splitlines() if ln.strip()]
        return None
    text = ctx.read_small_file(path.text)
    return None if text is None else [ln for ln in text.splitlines() if ln.strip()]


def _combinations(sources: list[list[str] | None]) -> list[tuple[str | None, ...]]:
    """One tuple of inputs per job; an unknown source is one unknown value. Past
    :data:`MAX_EXPANSIONS` jobs, every input is unknown."""
    lists = [[None] if s is None else (s or [""]) for s in sources]
    total = 1
    for values in lists:
        total *= len(values)
    if total > MAX_EXPANSIONS:
        return [tuple(None for _ in lists)]
    return list(itertools.product(*lists)) or [()]


def _fill(template: str, values: tuple[str | None, ...], replace: str, bare: bool) -> str:
    """The command for one job: replacement strings filled in (quoted, as parallel
    quotes them), or the inputs appended when the template has none."""
    quoted = [UNKNOWN_VALUE if v is None else shlex.quote(v) for v in values]

    def form(v: str | None, q: str, how: str | None) -> str:
        if v is None or not how:
            return q
        if how in ("#", "%"):
            return "1"
        base = os.path.basename(v) if how in ("/", "/.") else v
        if how == "//":
            return shlex.quote(os.path.dirname(v) or ".")
        if how in (".", "/."):
            base = os.path.splitext(base)[0]
        return shlex.quote(base)

    def sub(m: re.Match[str]) -> str:
        if m.group(0).startswith("{="):
            return UNKNOWN_VALUE  # a Perl expression computes it
        n, how = m.group(1), m.group(2)
        if n:
            k = int(n) - 1
            if not 0 <= k < len(values):
                return UNKNOWN_VALUE
            return form(values[k], quoted[k], how)
        if how in ("#", "%"):
            return "1"
        if len(values) == 1:
            return form(values[0], quoted[0], how)
        return " ".join(quoted)

    found = False
    if replace != "{}" and replace in template:
        template = template.replace(replace, " ".join(quoted))
        found = True
    if not bare and _REPLACEMENT.search(template):
        template = _REPLACEMENT.sub(sub, template)
        found = True
    return template if found else " ".join([template, *quoted])


class EntrPack(CarrierPack):
    """``entr [-acdnprz] CMD ARGS`` (``/_`` is the file that changed), ``entr -s 'CMD'``."""

    def carried(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options, rest = getopt(cmd.args)
        if not rest:
            return []
        if has(options, "-s"):
            return run_source(ctx, joined(rest), "entr -s")
        argv = [Word(DYNAMIC, dynamic=True) if w.text == "/_" else w for w in rest]
        return run_argv(cmd, ctx, argv, "entr")


# ---- the registry ------------------------------------------------------------------------

PACKS: list[Pack] = [
    TmuxPack(name="tmux", programs=("tmux",), description="tmux: commands in sessions"),
    ScreenPack(name="screen", programs=("screen",), description="GNU screen"),
    AtPack(name="at", programs=("at", "batch"), description="at/batch: jobs from stdin"),
    WatchPack(name="watch", programs=("watch",), description="watch: sh -c, repeatedly"),
    ScriptPack(name="script", programs=("script",), description="script -c / BSD script"),
    SuPack(name="su", programs=("su", "runuser"), description="su/runuser -c"),
    SgPack(name="sg", programs=("sg",), description="sg GROUP -c CMD"),
    FlockPack(name="flock", programs=("flock",), description="flock FILE CMD / -c CMD"),
    ParallelPack(name="parallel", programs=("parallel",), description="GNU/moreutils parallel"),
    SystemdRunPack("systemd-run", ("systemd-run",), short_value="upEMHC", long_value=(
        "--unit", "--property", "--description", "--slice", "--setenv", "--uid", "--gid",
        "--nice", "--working-directory", "--machine", "--host", "--on-active", "--on-boot",
        "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-calendar",
        "--path-property", "--socket-property", "--timer-property", "--service-type",
        "--capsule"), none=("-S", "--shell"), description="systemd-run: a transient unit"),
    UnsharePack("unshare", ("unshare",), short_value="RwSGl", long_value=(
        "--map-user", "--map-group", "--map-users", "--map-groups", "--propagation",
        "--setgroups", "--root", "--wd", "--setuid", "--setgid", "--load-interp",
        "--monotonic", "--boottime"), short_optional="muinpUCT", long_optional=(
        "--mount", "--uts", "--ipc", "--net", "--pid", "--user", "--cgroup", "--time",
        "--kill-child", "--mount-proc", "--mount-binfmt"),
        description="unshare: new namespaces"),
    NsenterPack("nsenter", ("nsenter",), short_value="tSGW", long_value=(
        "--target", "--setuid", "--setgid", "--wdns"), short_optional="muinpUCTrw",
        long_optional=("--mount", "--uts", "--ipc", "--net", "--pid", "--user", "--cgroup",
                       "--time", "--root", "--wd"), description="nsenter: other namespaces"),
    WrapperPack("setpriv", ("setpriv",), long_value=(
        "--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid", "--groups",
        "--inh-caps", "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig",
        "--selinux-label", "--apparmor-profile", "--landlock-access", "--landlock-rule",
        "--seccomp-filter", "--rlimit"), none=("-d", "--dump"),
        description="setpriv: other credentials"),
    WrapperPack("taskset", ("taskset",), fixed=1, none=("-p", "--pid"),
                description="taskset MASK CMD"),
    WrapperPack("chrt", ("chrt",), short_value="TPD", long_value=(
        "--sched-runtime", "--sched-period", "--sched-deadline"), fixed=1,
        none=("-p", "--pid", "-m", "--max"), description="chrt PRIO CMD"),
    WrapperPack("prlimit", ("prlimit",), short_value="po", long_value=("--pid", "--output"),
                short_optional="cdefilmnqrstuvxy", none=("-p", "--pid"),
                description="prlimit: limits, then a command"),
    WrapperPack("numactl", ("numactl",), short_value="NmCipP", long_value=(
        "--cpunodebind", "--membind", "--physcpubind", "--interleave", "--preferred",
        "--preferred-many"), none=("-s", "--show", "-H", "--hardware"),
        description="numactl: NUMA policy, then a command"),
    WrapperPack("xvfb-run", ("xvfb-run",), short_value="efnpsw", long_value=(
        "--error-file", "--xauth-file", "--server-num", "--xauth-protocol",
        "--server-args", "--wait"), description="xvfb-run CMD"),
    WrapperPack("fakeroot", ("fakeroot",), short_value="lsib", long_value=("--lib", "--faked"),
                description="fakeroot CMD"),
    WrapperPack("dbus-run-session", ("dbus-run-session",), long_value=(
        "--config-file", "--dbus-daemon"), description="dbus-run-session CMD"),
    WrapperPack("gosu", ("gosu", "su-exec", "setuidgid", "s6-setuidgid"), fixed=1,
                description="gosu USER CMD: as another user"),
    WrapperPack("sshpass", ("sshpass",), short_value="fdpP", description="sshpass ssh …"),
    WrapperPack("cpulimit", ("cpulimit",), short_value="lpe", long_value=(
        "--limit", "--pid", "--exe"), none=("-p", "--pid", "-e", "--exe"),
        description="cpulimit CMD"),
    WrapperPack("valgrind", ("valgrind",), description="valgrind [--opts] CMD"),
    EntrPack(name="entr", programs=("entr",), description="entr CMD: when files change"),
]
