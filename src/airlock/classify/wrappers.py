"""Wrappers that run another command somewhere else: ``env``, ``sudo`` and its kin, and
the context each command of a script runs in.

``env -C DIR cmd`` and ``sudo -D DIR cmd`` run ``cmd`` in DIR; ``sudo -i cmd`` in the
target user's home (unknown here); ``env -S 'STRING'`` splits STRING into more
arguments. Dispatch peels these off (``WRAPPERS``) and classifies the command inside,
in the directory it really runs in.
"""

from __future__ import annotations

import shlex

from airlock.classify.command import DYNAMIC, UNKNOWN_CWD, ClassifyContext, SimpleCommand, Word


def command_context(cmd: SimpleCommand, ctx: ClassifyContext) -> ClassifyContext:
    """The context one command of a script runs in: the directory an earlier ``cd``
    moved it to, the variables and symlinks the script had set by then (code it hands
    to ``eval``/``bash -c`` reads those, not what a later line sets), its own
    ``NAME=value`` prefixes."""
    env = cmd.vars if cmd.vars is not None else ctx.environ
    if cmd.env:
        env = dict(env)
        for name, value in cmd.env.items():
            if value.dynamic:
                env.pop(name, None)
            else:
                env[name] = value.text
    links = cmd.links or {}
    moved = cmd.cwd is not None and cmd.cwd != ctx.cwd  # an earlier `cd` in the action
    if not moved and env == ctx.environ and (not links or links == ctx.links):
        return ctx
    ctx = ctx.at(cmd.cwd if moved and cmd.cwd is not None else ctx.cwd)
    ctx.environ = dict(env)
    if links:
        ctx.links = dict(links)
    return ctx


def chdir_context(inner: SimpleCommand, ctx: ClassifyContext) -> ClassifyContext:
    """``env -C DIR cmd``, ``sudo -D DIR cmd``: the inner command runs in DIR."""
    where = inner.chdir
    inner.chdir = None
    if where is None:
        return ctx
    text = where.text
    if where.dynamic or DYNAMIC in text:
        return ctx.at(UNKNOWN_CWD)
    if not text.startswith(("/", "~")) and ctx.cwd_unknown:
        return ctx.at(UNKNOWN_CWD)
    return ctx.at(ctx.abspath(text))


_ENV_VALUE = frozenset("uCS")  # env's short options that take a value
_ENV_LONG = {"--unset": "u", "--chdir": "C", "--split-string": "S"}


def peel_env(cmd: SimpleCommand) -> SimpleCommand | None:
    """``env [-i] [-u NAME] [-C DIR] [-S 'STRING'] [NAME=VALUE…] cmd``: the command, with
    the directory it runs in (``-C``); ``-S`` splits its string into more arguments."""
    args = list(cmd.args)
    env = dict(cmd.env)
    chdir: Word | None = None
    splits = 0
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic and "=" not in t:
            break
        if t == "--":
            i += 1
            break
        opt = value = None
        if t.startswith("--"):
            name, eq, given = t.partition("=")
            opt = _ENV_LONG.get(name)
            if opt is not None:
                value = Word(given, w.dynamic) if eq else (args[i + 1] if i + 1 < len(args)
                                                          else None)
                i += 1 if eq else 2
            else:
                i += 1
                continue
        elif t.startswith("-") and len(t) > 1:
            for j, ch in enumerate(t[1:], 1):
                if ch in _ENV_VALUE:
                    opt = ch
                    if t[j + 1 :]:
                        value = Word(t[j + 1 :], w.dynamic)
                        i += 1
                    else:
                        value = args[i + 1] if i + 1 < len(args) else None
                        i += 2
                    break
            else:
                i += 1
                continue
        elif "=" in t and not t.startswith("="):
            name, _, val = t.partition("=")
            env[name] = Word(val, w.dynamic)
            i += 1
            continue
        else:
            break
        if value is None:
            continue
        if opt == "C":
            chdir = value
        elif opt == "S":
            # env -S 'rm -rf /': the string is split into more arguments (options,
            # NAME=VALUE and the command line), read like env does
            splits += 1
            words = split_string(value)
            if words is None or splits > 4:
                return cmd.with_argv([Word(DYNAMIC, dynamic=True)], "env")
            args = words + args[i:]
            i = 0
    rest = args[i:]
    if not rest:
        return None
    inner = cmd.with_argv(rest, "env")
    inner.env = env
    inner.chdir = chdir
    return inner


def split_string(value: Word) -> list[Word] | None:
    """``env -S``'s splitting: quotes and backslashes as in a shell; ``${NAME}`` is
    the environment's (unknown). None when it cannot be split."""
    if value.dynamic:
        return None
    try:
        parts = shlex.split(value.text.replace("\\_", " "), comments=True)
    except ValueError:
        return None
    return [Word(p.replace("$", DYNAMIC) if "${" in p else p, dynamic="${" in p)
            for p in parts]


_SUDO_VALUE = frozenset("ughpCDrtUTR")  # short options that take a value (doas: u C)
_SUDO_LONG_VALUE = frozenset({"--user", "--group", "--host", "--prompt", "--chdir",
                              "--close-from", "--role", "--type", "--other-user",
                              "--command-timeout", "--chroot"})


def peel_sudo(cmd: SimpleCommand) -> SimpleCommand | None:
    """``sudo [-u USER] [-D DIR] [-i] [VAR=x] cmd``: the command, run privileged, in DIR
    (``-D``/``--chdir``), or in the target user's home for a login shell (``-i``)."""
    args = cmd.args
    chdir: Word | None = None
    shell = False  # -s / -i: the rest is a command line for the shell's -c
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic or t == "--" or not t.startswith("-") or len(t) < 2:
            i += t == "--" and not w.dynamic
            break
        if t.startswith("--"):
            name, eq, given = t.partition("=")
            value = Word(given, w.dynamic) if eq else None
            if name in _SUDO_LONG_VALUE and not eq:
                value = args[i + 1] if i + 1 < len(args) else None
                i += 1
            if name == "--chdir" and value is not None:
                chdir = value
            elif name == "--login":
                chdir = Word(DYNAMIC, dynamic=True)
                shell = True
            elif name == "--shell":
                shell = True
            i += 1
            continue
        for j, ch in enumerate(t[1:], 1):
            if ch == "i" and cmd.program == "sudo":
                chdir = Word(DYNAMIC, dynamic=True)  # the target user's home
            if ch in "is" and cmd.program == "sudo":
                shell = True
            if ch in _SUDO_VALUE:
                if t[j + 1 :]:
                    value = Word(t[j + 1 :], w.dynamic)
                else:
                    value = args[i + 1] if i + 1 < len(args) else Word("")
                    i += 1
                if ch == "D" and cmd.program != "doas":
                    chdir = value
                break
        i += 1
    rest = args[i:]
    if not rest:
        return None
    if shell and len(rest) == 1:
        # sudo -s/-i 'CMD ARGS' hands the shell "-c 'CMD ARGS'": older sudo runs it as a
        # command line (recent sudo escapes it into one program name, which fails); several
        # words are escaped one by one, so they stay the argv they are
        rest = [Word("sh"), Word("-c"), rest[0]]
    inner = cmd.with_argv(rest, cmd.program)
    inner.chdir = chdir
    # sudo VAR=x cmd
    while inner.argv and "=" in inner.argv[0].text and not inner.argv[0].text.startswith("="):
        name, _, value_text = inner.argv[0].text.partition("=")
        if not name.isidentifier():
            break
        inner.env[name] = Word(value_text, inner.argv[0].dynamic)
        inner.argv = inner.argv[1:]
    return inner if inner.argv else None
