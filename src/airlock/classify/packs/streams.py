"""sed and awk: stream editors whose scripts can write files and run commands.

Most sed and awk programs only read (``sed -n '1p'``, ``awk '{print $1}'``), so these
packs read the script, as the program would, and look for what is not reading:

- GNU sed: the ``e COMMAND`` command and the ``s///e`` flag run a command (``e`` with no
  command and ``s///e`` run the pattern space, which comes from the input: held unless
  a ``s/.*/TEXT/e`` makes it a literal); ``w FILE``, ``W FILE`` and ``s///w FILE`` write a
  file; ``r``/``R FILE`` read one (a secret file is a secret read); ``-i`` edits the
  files in place. ``--sandbox`` refuses all of these.
- awk: ``system(CMD)``, ``print | CMD``, ``CMD | getline`` and ``|&`` run a command
  (classified when it is a literal string, held when it is computed); ``print > FILE``
  writes a file; ``gawk -i inplace`` edits the files.

Scripts come from the first operand, ``-e``/``--expression``, or ``-f FILE`` (read).
A script Airlock cannot parse, or a file it cannot read, is held.
"""

from __future__ import annotations

import os
import re

from airlock.action import Risk, Target
from airlock.classify import guards
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack
from airlock.classify.packs.runners import getopt, has, held, piped_into
from airlock.classify.targets import path_targets, program_target, replacing


class ScriptError(ValueError):
    """A script the program itself would refuse, or that Airlock cannot follow."""


# ---- sed -----------------------------------------------------------------------------------

_SED_SIMPLE = frozenset("=dDgGhHlnNpPxzFqQLv")  # commands with no text argument (or a number)
_SED_LABEL = frozenset(":btT")
_SED_FILE = frozenset("rRwW")
_SED_TEXT = frozenset("aic")


class SedScript:
    """What a sed script does besides reading: commands it runs, files it writes/reads."""

    def __init__(self) -> None:
        self.commands: list[str] = []  # literal commands (e CMD, s/.*/CMD/e)
        self.computed: list[str] = []  # why a command is computed (e, s///e)
        self.writes: list[str] = []
        self.reads: list[str] = []


def parse_sed(text: str, out: SedScript) -> None:
    """GNU sed's grammar, enough to find every command and its argument."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\n;":
            i += 1
            continue
        if c == "#":
            i = _eol(text, i)
            continue
        i = _address(text, i)
        if i < n and text[i] == ",":
            i = _address(text, _skip_blank(text, i + 1))
        i = _skip_blank(text, i)
        while i < n and text[i] == "!":
            i = _skip_blank(text, i + 1)
        if i >= n:
            raise ScriptError("an address without a command")
        c = text[i]
        i += 1
        if c in "{}":
            continue
        if c in _SED_SIMPLE:
            while i < n and text[i] in " \t0123456789":
                i += 1
            continue
        if c in _SED_LABEL:
            end = i
            while end < n and text[end] not in ";\n":
                end += 1
            i = end
            continue
        if c in _SED_FILE:
            end = _eol(text, i)
            name = text[i:end].strip()
            (out.writes if c in "wW" else out.reads).append(name)
            i = end
            continue
        if c in _SED_TEXT:
            i = _text_end(text, i)
            continue
        if c == "e":
            end = _eol(text, i)
            command = text[i:end].strip()
            if command:
                out.commands.append(command)
            else:
                out.computed.append("sed e runs the pattern space (the input) as a command")
            i = end
            continue
        if c == "s":
            i = _substitute(text, i, out)
            continue
        if c == "y":
            i = _delimited(text, i, 2)[0]
            continue
        raise ScriptError(f"unknown sed command {c!r}")


def _eol(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _skip_blank(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _address(text: str, i: int) -> int:
    n = len(text)
    if i >= n:
        return i
    c = text[i]
    if c.isdigit() or c in "+~":
        i += 1
        while i < n and (text[i].isdigit() or text[i] == "~"):
            i += 1
        return i
    if c == "$":
        return i + 1
    if c == "/" or c == "\\":
        if c == "\\":
            i += 1
            if i >= n:
                raise ScriptError("an address without a delimiter")
        delim = text[i]
        i = _until(text, i + 1, delim)
        while i < n and text[i] in "IM":
            i += 1
    return i


def _until(text: str, i: int, delim: str, regex: bool = True) -> int:
    """The index after the closing ``delim`` (backslash escapes skipped; in a regex, a
    bracket expression may hold the delimiter: ``s/[/]/x/``)."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "[" and regex:
            i = _bracket_end(text, i)
            continue
        if c == delim:
            return i + 1
        if c == "\n" and delim != "\n":
            raise ScriptError("an unterminated regular expression")
        i += 1
    raise ScriptError("an unterminated regular expression")


def _bracket_end(text: str, i: int) -> int:
    """After ``[…]`` starting at ``i`` (``[]a]``, ``[^]a]``, ``[[:alpha:]/]``); an
    unclosed ``[`` is a literal character to sed's parser."""
    j = i + 1
    if j < len(text) and text[j] == "^":
        j += 1
    if j < len(text) and text[j] == "]":
        j += 1
    while j < len(text) and text[j] != "\n":
        if text[j] == "[" and j + 1 < len(text) and text[j + 1] in ":.=":
            close = text.find(text[j + 1] + "]", j + 2)
            if close < 0:
                return i + 1
            j = close + 2
            continue
        if text[j] == "]":
            return j + 1
        j += 1
    return i + 1


def _delimited(text: str, i: int, parts: int, regex_first: bool = False
               ) -> tuple[int, list[str]]:
    if i >= len(text) or text[i] in "\n\\":
        raise ScriptError("a command without a delimiter")
    delim = text[i]
    i += 1
    pieces = []
    for k in range(parts):
        end = _until(text, i, delim, regex=regex_first and k == 0)
        pieces.append(text[i : end - 1])
        i = end
    return i, pieces


def _text_end(text: str, i: int) -> int:
    """``a text``, ``a\\`` + lines: the text runs to an unescaped end of line."""
    n = len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n:
            i += 2
            continue
        if text[i] == "\n":
            return i
        i += 1
    return i


def _substitute(text: str, i: int, out: SedScript) -> int:
    i, (regex, replacement) = _delimited(text, i, 2, regex_first=True)
    n = len(text)
    execute = False
    while i < n and text[i] not in ";\n}#":
        c = text[i]
        if c == "e":
            execute = True
        elif c == "w":
            end = _eol(text, i + 1)
            out.writes.append(text[i + 1 : end].strip())
            i = end
            break
        elif c not in "gpiImM0123456789 \t":
            raise ScriptError(f"unknown flag {c!r} of s")
        i += 1
    if execute:
        literal = _whole_line(regex) and not re.search(r"&|\\[0-9]", replacement)
        if literal:
            out.commands.append(re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n"
                                       else m.group(1), replacement))
        else:
            out.computed.append("sed s///e runs the substituted line, which comes from "
                                "the input, as a command")
    return i


def _whole_line(regex: str) -> bool:
    """A regex that matches any whole line: the replacement is then all that remains."""
    return regex in (".*", "^.*", "^.*$", ".*$", "^\\(.*\\)$", "\\(.*\\)")


_SED_VALUE = "efl"
_SED_LONG_VALUE = ("--expression", "--file", "--line-length")


class SedPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        options, positionals = getopt(cmd.args, _SED_VALUE, _SED_LONG_VALUE,
                                      short_optional="i", long_optional=("--in-place",),
                                      long_flags=("--sandbox", "--quiet", "--silent",
                                                  "--debug", "--posix", "--separate",
                                                  "--unbuffered", "--null-data",
                                                  "--regexp-extended", "--zero-terminated",
                                                  "--follow-symlinks", "--help",
                                                  "--version"),
                                      permute=True)
        fragments: list[Word] = []
        for opt in ("-e", "--expression"):
            fragments.extend(v for v in options.get(opt, []) if v is not None)
        script_files = [v for opt in ("-f", "--file") for v in options.get(opt, [])
                        if v is not None]
        if not fragments and not script_files:
            if not positionals:
                return [program_target(cmd, ctx, Risk.READ)]
            fragments, positionals = positionals[:1], positionals[1:]
        targets: list[Target] = []
        if has(options, "-i", "--in-place"):
            files = positionals
            # BSD sed -i '' … : the empty suffix is its own word
            edited = path_targets([w for w in files if w.text], ctx, verb="fs.edit",
                                  risk=Risk.WRITE, tool=prog, kind="file")
            suffixes = options.get("-i", []) + options.get("--in-place", [])
            if not any(v is not None and v.text for v in suffixes):
                # no backup (-i.bak keeps one): the old content of a file outside the
                # workspace is gone, as with > file
                edited = replacing(edited, ctx)
            targets.extend(edited or [program_target(cmd, ctx, Risk.WRITE)])
        if has(options, "--sandbox"):
            return targets or [program_target(cmd, ctx, Risk.READ)]
        if any(w.dynamic for w in fragments):
            return targets + held(cmd, ctx, prog, "the sed script comes from a variable, "
                                                  "and sed's e command runs commands")
        texts = [w.text for w in fragments]
        for f in script_files:
            text = None if f.dynamic else ctx.read_small_file(f.text)
            if text is None:
                if not f.dynamic and f.text != "-" and not os.path.exists(ctx.abspath(f.text)):
                    continue  # sed fails: nothing runs
                return targets + held(cmd, ctx, prog, f"cannot read the sed script {f.shown}")
            texts.append(text)
        script = SedScript()
        try:
            parse_sed("\n".join(texts), script)
        except ScriptError as exc:
            return targets + held(cmd, ctx, prog, f"a sed script Airlock cannot follow ({exc})")
        return targets + _effects(cmd, ctx, prog, script.commands, script.computed,
                                  script.writes, script.reads)


def _effects(cmd: SimpleCommand, ctx: ClassifyContext, prog: str, commands: list[str],
             computed: list[str], writes: list[str], reads: list[str],
             piped: list[str] | None = None) -> list[Target]:
    out: list[Target] = []
    for why in computed[:1]:
        out.extend(held(cmd, ctx, prog, why))
    for command in commands:
        out.extend(ctx.classify_source(Word(command), f"{prog} runs a command"))
    for command in piped or []:
        out.extend(ctx.classify_source(piped_into(Word(command)), f"{prog} pipes into"))
    for name in writes:
        if name and name not in ("/dev/stdout", "/dev/stderr"):
            out.extend(path_targets([Word(name)], ctx, verb="fs.write", risk=Risk.WRITE,
                                    tool=prog, kind="file"))
    for name in reads:
        _check_secret(name, ctx, prog)
    return out or [program_target(cmd, ctx, Risk.READ)]


def _check_secret(name: str, ctx: ClassifyContext, prog: str) -> None:
    if name and guards.is_secret_file(ctx.abspath(name)):
        ctx.flag("secret-read", f"{prog} reads {name}, a file that holds live credentials")


# ---- awk -----------------------------------------------------------------------------------

_AWK_TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+|\\\n)
  | (?P<newline>\n)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)
  | (?P<op>\|\||\|&|>>|&&|[<>!=]=|\+\+|--|[-+*/%^]=|\$|.)
""", re.X | re.S)
_REGEX_BEFORE = frozenset({"", "(", ",", "{", "}", ";", "\n", "!", "~", "!~", "&&", "||", "?",
                           ":", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "%",
                           "^", "print", "printf", "return", "in", "getline"})
_END_OF_STATEMENT = frozenset({";", "\n", "}", ")", ""})


def _awk_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens, with regex literals (``/…/`` where a value may start) and
    strings as single tokens."""
    out: list[tuple[str, str]] = []
    i = 0
    prev = ""
    while i < len(text):
        if text[i] == "/" and prev in _REGEX_BEFORE:
            j = i + 1
            while j < len(text) and text[j] != "/":
                if text[j] == "\n":
                    raise ScriptError("an unterminated regular expression")
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                raise ScriptError("an unterminated regular expression")
            out.append(("regex", text[i : j + 1]))
            prev = "regex"
            i = j + 1
            continue
        m = _AWK_TOKEN.match(text, i)
        if m is None:  # pragma: no cover - the last alternative matches any character
            raise ScriptError("awk text Airlock cannot read")
        kind = m.lastgroup or "op"
        i = m.end()
        if kind in ("space", "comment"):
            continue
        if kind == "op" and m.group(0) == '"':
            raise ScriptError("an unterminated string")
        tok = m.group(0)
        out.append((kind, tok))
        prev = "\n" if kind == "newline" else (tok if kind in ("op", "name") else kind)
    return out


def _awk_string(tok: str) -> str:
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "/": "/", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), tok[1:-1])


class AwkScript:
    def __init__(self) -> None:
        self.commands: list[str] = []
        self.piped: list[str] = []  # commands fed awk's output on stdin
        self.computed: list[str] = []
        self.writes: list[str] = []


def parse_awk(text: str, out: AwkScript) -> None:
    tokens = _awk_tokens(text)
    in_print = False
    depth = 0  # parentheses since the print began
    statement_start = True
    for k, (kind, tok) in enumerate(tokens):
        before = tokens[k - 1][1] if k else ""
        after = tokens[k + 1] if k + 1 < len(tokens) else ("", "")
        after2 = tokens[k + 2][1] if k + 2 < len(tokens) else ""
        if kind == "name" and tok == "system" and after[1] == "(":
            # system(CMD): one string literal is a command we can read
            if after2 and tokens[k + 2][0] == "string" and k + 3 < len(tokens) \
                    and tokens[k + 3][1] == ")":
                out.commands.append(_awk_string(after2))
            elif after2 == ")":
                pass  # system() flushes output
            else:
                out.computed.append("awk system() runs a command built at run time")
        elif kind == "op" and tok in ("|", "|&"):
            if after[1] == "getline":
                prev_kind = tokens[k - 1][0] if k else ""
                before2 = tokens[k - 2] if k >= 2 else ("", "")
                if prev_kind == "string" and (before2[0] not in ("string", "name", "number")
                                              and before2[1] not in (")", "$", "]")):
                    out.commands.append(_awk_string(before))
                else:
                    out.computed.append("awk runs a command built at run time "
                                        "(… | getline)")
            elif after[0] == "string" and (after2 in _END_OF_STATEMENT):
                out.piped.append(_awk_string(after[1]))
            else:
                out.computed.append("awk pipes output into a command built at run time")
        elif kind == "op" and tok in (">", ">>") and in_print and depth == 0:
            if after[0] == "string" and after2 in _END_OF_STATEMENT:
                out.writes.append(_awk_string(after[1]))
            else:
                out.computed.append("awk writes to a file whose name is built at run time")
        if kind == "name" and tok in ("print", "printf") and statement_start:
            in_print, depth = True, 0
        elif tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        if tok in (";", "{", "}") or kind == "newline":
            in_print = False
            statement_start = True
        elif kind == "name" and tok in ("if", "while", "for", "else", "do"):
            statement_start = True
        elif tok == ")" and depth <= 0 and not in_print:
            statement_start = True  # after if (…)
        else:
            statement_start = False


_AWK_VALUE = "fvFeEil"
_AWK_LONG_VALUE = ("--file", "--assign", "--field-separator", "--source", "--exec",
                   "--include", "--load")


class AwkPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        options, positionals = getopt(cmd.args, _AWK_VALUE, _AWK_LONG_VALUE)
        sources = [v for o in ("-e", "--source") for v in options.get(o, []) if v is not None]
        files = [v for o in ("-f", "--file", "-E", "--exec") for v in options.get(o, [])
                 if v is not None]
        if not sources and not files:
            if not positionals:
                return [program_target(cmd, ctx, Risk.READ)]
            sources, positionals = positionals[:1], positionals[1:]
        targets: list[Target] = []
        for inc in [v for o in ("-i", "--include") for v in options.get(o, [])]:
            if inc is not None and inc.text in ("inplace", "inplace.awk"):
                targets.extend(path_targets([w for w in positionals if "=" not in w.text],
                                            ctx, verb="fs.edit", risk=Risk.WRITE, tool=prog,
                                            kind="file"))
            elif inc is not None and not inc.dynamic and os.path.isfile(ctx.abspath(inc.text)):
                files.append(inc)
            else:
                return targets + held(cmd, ctx, prog, "includes an awk library Airlock "
                                                      "cannot read")
        if has(options, "-l", "--load"):
            return targets + held(cmd, ctx, prog, "loads a compiled extension")
        if any(w.dynamic for w in sources):
            return targets + held(cmd, ctx, prog, "the awk program comes from a variable, "
                                                  "and awk can run commands")
        texts = [w.text for w in sources]
        for f in files:
            text = None if f.dynamic else ctx.read_small_file(f.text)
            if text is None:
                if not f.dynamic and not os.path.exists(ctx.abspath(f.text)):
                    continue
                return targets + held(cmd, ctx, prog, f"cannot read the awk program {f.shown}")
            texts.append(text)
        script = AwkScript()
        try:
            for text in texts:
                parse_awk(text, script)
        except ScriptError as exc:
            return targets + held(cmd, ctx, prog, f"an awk program Airlock cannot follow "
                                                  f"({exc})")
        return targets + _effects(cmd, ctx, prog, script.commands, script.computed,
                                  script.writes, [], script.piped)


PACKS: list[Pack] = [
    SedPack(name="sed", programs=("sed", "gsed"), description="sed: e, w, r and -i"),
    AwkPack(name="awk", programs=("awk", "gawk", "mawk", "nawk", "busybox-awk"),
            description="awk: system(), pipes and redirections"),
]
