"""Interpreter code: ``python -c``, ``node -e``, ``perl -e``, ``ruby -e``, ``php -r``,
``deno eval``, ``bun -e``, ``lua -e``, ``Rscript -e``, ``osascript -e``, and code piped
or here-doc'd into an interpreter — judged by what it does.

- :mod:`.argv` reads each interpreter's options (clusters, attached values, ``-m``) to
  find the code, the modules it preloads and the files it edits in place;
- :mod:`.python` reads Python with ``ast``, following imports, aliases and literal values;
- :mod:`.lexer` tokenizes JavaScript, Perl, Ruby and PHP (strings, comments, templates,
  heredocs), :mod:`.syntax` reads calls, members and literals from the tokens, and
  :mod:`.javascript` and :mod:`.scripting` know each language's functions;
- :mod:`.effects` turns what the code does into targets the way the same act is judged
  on the command line: a delete as ``rm``, a command as shell, an HTTP request through
  the HTTP classification curl's requests go through, SQL as SQL.

What Airlock cannot read — code from a variable or a pipe, computed module or function
names, evaluated strings that are not literals — is held (``ctx.unparsed``).
"""

from __future__ import annotations

import os

from airlock.action import Risk, Target
from airlock.classify.code.argv import Invocation, family, parse
from airlock.classify.code.effects import Effects
from airlock.classify.code.javascript import analyse as analyse_javascript
from airlock.classify.code.python import analyse as analyse_python
from airlock.classify.code.scripting import SQL_WORDS
from airlock.classify.code.scripting import analyse as analyse_script
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.targets import path_targets, program_target, replacing

__all__ = ["SQL_WORDS", "classify_interpreter", "javascript_source", "python_source"]


def classify_interpreter(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    """Targets of the code an interpreter runs inline, or None when it runs a program
    file or a module Airlock leaves to the scripts and the packs."""
    lang = family(cmd.program)
    inv = parse(lang, cmd.args)
    if inv is None:
        return None
    if inv.unreadable is not None:
        return _held(cmd, ctx, f"{cmd.program} is given an argument from a variable or "
                               f"command output, which could be code or an option: "
                               f"{inv.unreadable.shown!r}")
    if inv.check_only:
        return [program_target(cmd, ctx, Risk.READ)]
    if inv.module:
        return _module(inv, cmd, ctx)
    code = list(inv.code)
    if inv.stdin:
        if cmd.stdin is not None and not cmd.stdin_unknown:
            code = [Word(cmd.stdin)]
        elif cmd.stdin_unknown:
            return _held(cmd, ctx, f"{cmd.program} runs code from a pipe or file Airlock "
                                   "cannot see")
        else:
            return None  # an interactive interpreter
    for w in code:
        if w.dynamic:
            return _held(cmd, ctx, f"{cmd.program}'s inline code comes from a variable or "
                                   "command output")
    run_ctx = ctx
    if inv.chdir is not None:
        if inv.chdir.dynamic:
            return _held(cmd, ctx, f"{cmd.program} -C: a directory Airlock cannot see")
        run_ctx = ctx.at(ctx.abspath(inv.chdir.text))
    fx = Effects(cmd, run_ctx, strict=True)
    _preloads(inv, fx)
    analyse(lang, "\n".join(w.text for w in code), fx, "the inline code")
    if inv.edits:
        files = [w for w in inv.args if not w.text.startswith("-")]
        edited = path_targets(files, run_ctx, verb="fs.edit", risk=Risk.WRITE,
                              tool=cmd.program)
        # without a backup suffix the old content outside the workspace is gone
        fx.targets.extend(edited if inv.edit_backup else replacing(edited, run_ctx))
    return fx.targets or [program_target(cmd, ctx, Risk.WRITE)]


def analyse(lang: str, text: str, fx: Effects, what: str) -> None:
    if lang == "python":
        analyse_python(text, fx, what)
    elif lang in ("node", "deno", "bun"):
        analyse_javascript(text, fx, what)
    else:
        analyse_script(lang, text, fx, what)


def python_source(text: str, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    """A Python program file (``python x.py``, read by :mod:`airlock.classify.scripts`):
    the same analysis as ``python -c``, less strict about reads of URLs it is given."""
    fx = Effects(cmd, ctx, strict=False)
    analyse_python(text, fx, "the program")
    return fx.targets or [program_target(cmd, ctx, Risk.WRITE)]


def javascript_source(text: str, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    """A Node program file (``node x.js``): the same analysis as ``node -e``, less strict
    about reads of URLs it is given."""
    fx = Effects(cmd, ctx, strict=False)
    analyse_javascript(text, fx, "the program")
    return fx.targets or [program_target(cmd, ctx, Risk.WRITE)]


def _held(cmd: SimpleCommand, ctx: ClassifyContext, why: str) -> list[Target]:
    ctx.unparsed(why)
    return [Target(kind="program", name=cmd.program, verb=f"{cmd.program}.inline",
                   risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:", detail=why,
                   unresolved=True)]


def _preloads(inv: Invocation, fx: Effects) -> None:
    """``node -r ./x.js``, ``ruby -r ./x.rb``: a local file loaded before the code runs."""
    for w in inv.preload:
        local = w.text.startswith(("./", "../", "/", "~")) or w.text.endswith(
            (".js", ".cjs", ".mjs", ".ts", ".rb", ".pl", ".pm"))
        if w.dynamic:
            fx.held(f"loads a module Airlock cannot see ({w.shown})")
        elif local and inv.lang in ("node", "bun", "deno"):
            fx.run_file("node", w.text, f"preloads {w.text}")
        elif local:
            fx.held(f"loads {w.text}, a file Airlock does not read")


# python -m MODULE: modules that run code or SQL given on their command line
_TIMEIT_VALUE = frozenset({"-n", "--number", "-r", "--repeat", "-u", "--unit", "-s",
                           "--setup"})


def _module(inv: Invocation, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    mod = inv.module
    args = inv.args
    if mod == "timeit":
        fx = Effects(cmd, ctx, strict=True)
        code: list[str] = []
        i = 0
        while i < len(args):
            w, t = args[i], args[i].text
            if w.dynamic:
                return _held(cmd, ctx, "python -m timeit: code Airlock cannot see")
            if t in _TIMEIT_VALUE:
                if t in ("-s", "--setup") and i + 1 < len(args):
                    code.append(args[i + 1].text)
                i += 2
                continue
            if t.startswith("--setup=") or (t.startswith("-s") and len(t) > 2):
                code.append(t.split("=", 1)[1] if t.startswith("--") else t[2:])
            elif not t.startswith("-") or t == "-":
                code.extend(a.text for a in args[i:])
                break
            i += 1
        analyse_python("\n".join(code), fx, "the timeit code")
        return fx.targets or [program_target(cmd, ctx, Risk.WRITE)]
    if mod == "sqlite3":
        positional = [w for w in args if not w.text.startswith("-")]
        if len(positional) < 2:
            return None  # an interactive shell on a database file
        if positional[1].dynamic:
            return _held(cmd, ctx, "python -m sqlite3: SQL Airlock cannot see")
        fx = Effects(cmd, ctx, strict=True)
        fx.sql(positional[1].text, "python -m sqlite3", dialect="sqlite")
        return fx.targets or [program_target(cmd, ctx, Risk.WRITE)]
    if mod in ("cProfile", "profile", "trace", "pdb"):
        value_opts = {"cProfile": {"-o", "-s", "--outfile", "--sort"},
                      "profile": {"-o", "-s", "--outfile", "--sort"},
                      "pdb": {"-c", "--command"},
                      "trace": {"-f", "--file", "-C", "--coverdir", "--ignore-module",
                                "--ignore-dir"}}[mod]
        i = 0
        while i < len(args):
            t = args[i].text
            if args[i].dynamic:
                return _held(cmd, ctx, f"python -m {mod} runs a program Airlock cannot see")
            if t == "-m" and mod != "trace" and i + 1 < len(args):
                sub = [cmd.argv[0], Word("-m"), *args[i + 1:]]
                return ctx.classify_command(cmd.with_argv(sub, f"python -m {mod}"))
            if t in value_opts:
                i += 2
                continue
            if t.startswith("-"):
                i += 1
                continue
            if os.path.basename(t).endswith(".py") or "/" in t:
                sub = [cmd.argv[0], *args[i:]]
                return ctx.classify_command(cmd.with_argv(sub, f"python -m {mod}"))
            break
    return None
