"""Shell source → the simple commands it would run, through tree-sitter-bash.

We never grep a command line. The script is parsed into a syntax tree, and every
place a command can hide is walked: lists, pipelines, subshells, ``{ …; }`` groups,
``if``/``for``/``while``/``case`` bodies, function bodies, command and process
substitutions, redirections and heredocs. Words are unquoted the way the shell
would (``r''m`` is ``rm``), literal variable assignments seen earlier in the same
script are substituted (``F=-rf; rm $F /``), and anything we cannot know — an
unset variable, ``$(…)`` output, arithmetic — is marked dynamic so packs can treat
it as the worst case. A syntax error anywhere is recorded as ``unparsed``: the
action is then held, never allowed.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from airlock.classify import credentials, limits
from airlock.classify.command import (
    DYNAMIC,
    UNKNOWN_CWD,
    ClassifyContext,
    Redirect,
    SimpleCommand,
    Word,
    expand_braces,
)

_LOCAL = threading.local()  # a tree-sitter Parser is not thread-safe: one per thread
_LANGUAGE: Any = None

# Programs whose stdout we can know when all their arguments are literal.
_ECHOES = frozenset({"echo", "printf"})
_GLOB_CHARS = frozenset("*?[")
_HIGH_PLANES = re.compile("[\U00030000-\U0010FFFF]")
_NON_BMP = re.compile("[\U00010000-\U0010FFFF]")
STDIN_FILE_LIMIT = 256 * 1024  # bytes of a `< file` we read to see what arrives on stdin
_REDIRECT_OPS = frozenset({">", ">>", "<", "&>", "&>>", ">|", ">&", "<&", "<>", ">&-", "<&-"})


def _parser() -> Any:
    global _LANGUAGE
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        import tree_sitter
        import tree_sitter_bash

        if _LANGUAGE is None:
            _LANGUAGE = tree_sitter.Language(tree_sitter_bash.language())
        parser = tree_sitter.Parser(_LANGUAGE)
        _LOCAL.parser = parser
    return parser


def parse_script(source: str, ctx: ClassifyContext) -> list[SimpleCommand]:
    """Every simple command ``source`` would run, in order. Problems go to ``ctx.flags``."""
    if ctx.depth > ctx.MAX_DEPTH:
        ctx.unparsed("shell nesting deeper than Airlock follows")
        return []
    refused = _refuse(source)
    if refused:
        ctx.unparsed(refused)
        return []
    if _HIGH_PLANES.search(source):
        # Characters in Unicode planes 3-16 (private use, tags, unassigned): no ordinary
        # command needs them, and they are a way to smuggle text past a reviewer.
        ctx.unparsed("the command contains unusual Unicode characters (planes 3-16)")
    if _NON_BMP.search(source):
        # tree-sitter-bash's scanner reads out of bounds (and may segfault) on `{`
        # followed by a character outside the Basic Multilingual Plane. A crash in a
        # hook lets several agent tools run the call, so no such character reaches the
        # parser: each becomes U+FFFD, which is a word character like the original.
        source = _NON_BMP.sub("\ufffd", source)
    data = source.encode("utf-8", "surrogateescape")
    tree = _parse(data)
    walker = _Walker(ctx)
    root = tree.root_node
    if root.has_error:
        snippet = _first_error(root)
        ctx.unparsed(f"shell syntax Airlock cannot parse near {snippet!r}")
    walker.statement(root)
    return walker.commands


def _refuse(source: str) -> str | None:
    """Why this shell source is not parsed at all: too large, or a NUL byte (bash and
    the kernel end a string at NUL, so what runs is not the text Airlock would read)."""
    if "\x00" in source:
        return "the command contains a NUL byte: what runs is not what Airlock would read"
    return limits.oversize(source, "the shell script")


def _parse(data: bytes) -> Any:
    """tree-sitter's parse, within the action's time budget. tree-sitter 0.26 has no
    timeout, and a tree parsed from a chunk callback keeps no text for the walker, so
    the parse is one call: bounded by the size limit (256 KiB parse in ~60 ms), with the
    budget checked before it and in the walker after it."""
    limits.check()
    return _parser().parse(data)


def _first_error(node: Any) -> str:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.text.decode("utf-8", "replace")[:40] or n.type
        stack.extend(reversed(n.children))
    return node.text.decode("utf-8", "replace")[:40]


class _Walker:
    def __init__(self, ctx: ClassifyContext) -> None:
        self.ctx = ctx
        self.vars = ctx.environ  # literal assignments seen so far (shared, sequential)
        self.commands: list[SimpleCommand] = []
        self.pending_after_heredoc: Any = None  # `cat <<EOF | psql`: the `| psql` part
        self.cwd = ctx.cwd  # moved by `cd`; UNKNOWN_CWD once a `cd` goes somewhere unknown

    # ---- statements -------------------------------------------------------------

    def statement(self, node: Any, redirects: list[Redirect] | None = None) -> None:
        t = node.type
        if t in ("subshell", "command_substitution", "process_substitution"):
            saved = self.cwd  # a `cd` in a subshell does not move its parent
            for child in node.named_children:
                self.statement(child, redirects)
            self.cwd = saved
        elif t == "command":
            self.command(node, redirects or [])
        elif t == "redirected_statement":
            self.redirected(node, redirects or [])
        elif t == "pipeline":
            self.pipeline(node, redirects or [])
        elif t == "variable_assignment":
            self.assign(node)
        elif t == "variable_assignments":
            for child in node.named_children:
                self.statement(child)
        elif t == "declaration_command":
            self.declaration(node)
        elif t == "unset_command":
            for child in node.named_children[1:] if node.named_children else []:
                self.vars.pop(child.text.decode("utf-8", "replace"), None)
        elif t == "for_statement":
            self.for_loop(node)
        elif t in ("comment", "heredoc_body", "heredoc_end", "heredoc_start"):
            return
        elif t == "ERROR":
            # has_error on the root already recorded it; still walk what we can
            for child in node.named_children:
                self.statement(child)
        elif t in (
            "word", "string", "raw_string", "concatenation", "simple_expansion",
            "expansion", "command_substitution", "process_substitution",
            "arithmetic_expansion", "ansi_c_string", "translated_string",
        ):
            self.word(node)
        else:
            # program, list, subshell, compound_statement, if/while/case, function
            # bodies, negated_command, test_command, …: the commands are below.
            # A redirection on a list binds to its last command (tree-sitter hangs
            # `a && b > f` on the whole list); on a group, loop or if, to every command.
            children = node.named_children
            for i, child in enumerate(children):
                own = redirects if t != "list" or i == len(children) - 1 else None
                self.statement(child, own)

    def for_loop(self, node: Any) -> None:
        """``for d in / /etc; do rm -rf "$d"; done``: with a short list of literal words,
        the body is walked once per value; otherwise once, with the variable unknown."""
        var = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        values: list[Word] = []
        for value in node.children_by_field_name("value"):
            values.extend(self.fields(value))
        name = var.text.decode("utf-8", "replace") if var is not None else ""
        known = bool(values) and len(values) <= 16 and not any(w.unknown for w in values)
        if body is None:
            return
        if name and known:
            for w in values:
                self.vars[name] = w.text
                self.statement(body)
        else:
            if name:
                self.vars.pop(name, None)
            self.statement(body)
        if name:
            self.vars.pop(name, None)  # after the loop its last value is rarely meant

    def assign(self, node: Any) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        name = name_node.text.decode("utf-8", "replace")
        if value_node is None:
            self.vars[name] = ""
            return
        w = self.word(value_node)
        credentials.check_assignment(name, w, self.ctx)
        if name == "IFS":
            self.vars["IFS"] = w.text
            return
        if w.dynamic or value_node.type == "array":
            self.vars.pop(name, None)
            self.ctx.environ.pop(name, None)
        else:
            self.vars[name] = w.text

    def declaration(self, node: Any) -> None:
        for child in node.named_children:
            if child.type == "variable_assignment":
                self.assign(child)
            elif child.type in ("command_substitution", "string", "concatenation"):
                self.word(child)

    def pipeline(self, node: Any, redirects: list[Redirect]) -> None:
        prev_output: str | None = None
        first = True
        saved = self.cwd  # every part of a pipeline runs in a subshell
        for child in node.named_children:
            self.cwd = saved
            before = len(self.commands)
            self.statement(child, redirects if child is node.named_children[-1] else None)
            new = self.commands[before:]
            if new and not first:
                head = new[0]
                if head.stdin is None:
                    if prev_output is not None:
                        head.stdin = prev_output
                    else:
                        head.stdin_unknown = True
            prev_output = _known_output(new[-1]) if len(new) == 1 else None
            first = False
        self.cwd = saved

    def redirected(self, node: Any, outer: list[Redirect]) -> None:
        body = node.child_by_field_name("body")
        reds = list(outer)
        for child in node.named_children:
            if child is body:
                continue
            r = self.redirect(child)
            if r is not None:
                reds.append(r)
        if body is None:
            # a bare redirection (`> file`) truncates the file
            if reds:
                self.commands.append(SimpleCommand(argv=[Word(":")], redirects=reds))
            return
        self.statement(body, reds)

    def redirect(self, node: Any) -> Redirect | None:
        t = node.type
        if t == "file_redirect":
            op = ""
            target: Word | None = None
            for child in node.children:
                if child.type in _REDIRECT_OPS:
                    op = child.type
                elif child.type == "file_descriptor":
                    continue
                elif child.is_named:
                    target = self.word(child)
            if op in (">&", "<&") and target is not None and target.text.isdigit():
                return None  # fd duplication: 2>&1
            return Redirect(op=op or ">", target=target)
        if t == "heredoc_redirect":
            body_text = ""
            dynamic = False
            quoted = False
            for child in node.children:
                if child.type == "heredoc_start":
                    start = child.text.decode("utf-8", "replace")
                    quoted = any(q in start for q in "'\"\\")
                elif child.type == "heredoc_body":
                    body_text, dynamic = self.heredoc_body(child, quoted)
                elif child.type in ("pipeline", "command", "list", "redirected_statement"):
                    # `cat <<EOF | psql`: tree-sitter hangs the rest of the line here
                    self.pending_after_heredoc = child
            return Redirect(op="<<", target=None, body=body_text, body_dynamic=dynamic)
        if t == "herestring_redirect":
            words = [self.word(c) for c in node.named_children]
            text = " ".join(w.text for w in words)
            return Redirect(op="<<<", target=None, body=text + "\n",
                            body_dynamic=any(w.dynamic for w in words))
        return None

    def heredoc_body(self, node: Any, quoted: bool) -> tuple[str, bool]:
        raw = node.text.decode("utf-8", "surrogateescape")
        if quoted:
            return raw, False
        dynamic = False
        pieces: list[str] = []
        pos = node.start_byte
        src = node.text
        base = node.start_byte
        for child in node.named_children:
            if child.type in ("simple_expansion", "expansion", "command_substitution",
                              "arithmetic_expansion"):
                pieces.append(src[pos - base : child.start_byte - base].decode(
                    "utf-8", "surrogateescape"))
                w = self.word(child)
                dynamic = dynamic or w.dynamic
                pieces.append(w.text)
                pos = child.end_byte
        pieces.append(src[pos - base :].decode("utf-8", "surrogateescape"))
        return "".join(pieces), dynamic

    def command(self, node: Any, redirects: list[Redirect]) -> None:
        limits.check()
        env: dict[str, Word] = {}
        argv: list[Word] = []
        reds = list(redirects)
        for child in node.named_children:
            t = child.type
            if t == "variable_assignment":
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                if name_node is not None:
                    env[name_node.text.decode("utf-8", "replace")] = (
                        self.word(value_node) if value_node is not None else Word("")
                    )
            elif t == "command_name":
                for sub in child.named_children:
                    argv.extend(self.fields(sub))
            elif t.endswith("_redirect"):
                r = self.redirect(child)
                if r is not None:
                    reds.append(r)
            elif t == "subshell" or t == "comment":
                continue
            else:
                argv.extend(self.fields(child))
        cmd = SimpleCommand(argv=argv, env=env, redirects=reds,
                            cwd=None if self.cwd == self.ctx.cwd else self.cwd)
        if cmd.program in ("cd", "pushd", "popd"):
            self.change_directory(cmd)
        for r in reds:
            if r.body is not None:
                cmd.stdin = r.body
                cmd.stdin_unknown = r.body_dynamic
            elif r.op == "<":
                # a file we can read is what arrives on stdin (curl -d @- < body.json,
                # psql < drop.sql, bash < script.sh); anything else stays unknown
                text = None
                if r.target is not None and not r.target.dynamic:
                    text = self.ctx.read_small_file(os.path.join(self.cwd, r.target.text),
                                                    STDIN_FILE_LIMIT)
                cmd.stdin, cmd.stdin_unknown = text, text is None
        self.commands.append(cmd)
        after = self.pending_after_heredoc
        self.pending_after_heredoc = None
        if after is not None:
            self.continue_pipeline(cmd, after)

    def change_directory(self, cmd: SimpleCommand) -> None:
        args = [w for w in cmd.args if not (w.text.startswith("-") and len(w.text) > 1
                                            and not w.dynamic)]
        if cmd.program == "popd" or (args and (args[0].dynamic or args[0].text == "-")):
            self.cwd = UNKNOWN_CWD
            return
        target = args[0].text if args else self.ctx.home
        if os.path.isabs(target):
            self.cwd = os.path.normpath(target)
        elif self.cwd.startswith(UNKNOWN_CWD):
            self.cwd = UNKNOWN_CWD
        else:
            self.cwd = os.path.normpath(os.path.join(self.cwd, target))

    def continue_pipeline(self, head: SimpleCommand, node: Any) -> None:
        """``cmd <<EOF | next``: tree-sitter hangs ``| next`` under the heredoc."""
        prev_output = _known_output(head)
        parts = node.named_children if node.type == "pipeline" else [node]
        for child in parts:
            before = len(self.commands)
            self.statement(child)
            new = self.commands[before:]
            if new and new[0].stdin is None:
                if prev_output is not None:
                    new[0].stdin = prev_output
                else:
                    new[0].stdin_unknown = True
            prev_output = _known_output(new[-1]) if len(new) == 1 else None

    # ---- words ------------------------------------------------------------------

    def fields(self, node: Any) -> list[Word]:
        """A command-line word after field splitting: an unquoted expansion of a known
        value with whitespace in it (``c="rm -rf /"; $c``) becomes several words."""
        w = self.word(node)
        if node.type in ("word", "concatenation") and "{" in w.text and "," in w.text \
                and not any(c.type in ("string", "raw_string") for c in node.children):
            expanded = expand_braces(w.text)
            if len(expanded) > 1:
                return [Word(x, w.dynamic, w.glob or any(ch in _GLOB_CHARS for ch in x))
                        for x in expanded]
        if w.dynamic or not _has_unquoted_expansion(node):
            return [w]
        if "IFS" in self.vars:
            self.ctx.unparsed("the script changes IFS: Airlock does not model its splitting")
            return [Word(w.text, dynamic=True)]
        parts = w.text.split()
        if len(parts) <= 1:
            return [w]
        return [Word(p, glob=any(c in _GLOB_CHARS for c in p)) for p in parts]

    def word(self, node: Any) -> Word:
        parts = list(self._parts(node, quoted=False))
        text = "".join(p for p, _, _ in parts)
        dynamic = any(d for _, d, _ in parts)
        glob = any(g for _, _, g in parts)
        return Word(text, dynamic=dynamic, glob=glob)

    def _parts(self, node: Any, quoted: bool) -> Iterator[tuple[str, bool, bool]]:
        """(text, dynamic, glob) pieces of one word node."""
        t = node.type
        raw = node.text.decode("utf-8", "surrogateescape")
        if t == "word":
            text = _unescape_unquoted(raw)
            if text == "~" or text.startswith("~/"):
                text = self.ctx.home + text[1:]
            glob = any(c in _GLOB_CHARS for c in raw.replace("\\*", "").replace("\\?", ""))
            yield text, False, glob and not quoted
        elif t in ("number", "variable_name", "special_variable_name", "regex",
                   "extglob_pattern", "test_operator", "string_content"):
            yield (_unescape_in_double(raw) if t == "string_content" else raw), False, False
        elif t == "raw_string":
            yield raw[1:-1], False, False
        elif t == "ansi_c_string":
            try:
                yield codecs.decode(raw[2:-1], "unicode_escape"), False, False
            except (UnicodeDecodeError, ValueError):
                yield raw[2:-1], False, False
        elif t in ("string", "translated_string"):
            inner = node.named_children
            if not inner:
                yield "", False, False
            # string_content children miss the whitespace between expansions: rebuild
            # from byte offsets so "a $X b" keeps its spaces.
            src = node.text
            base = node.start_byte
            pos = base + (2 if t == "translated_string" else 1)
            end = node.end_byte - 1
            for child in inner:
                if child.start_byte > pos:
                    yield _unescape_in_double(
                        src[pos - base : child.start_byte - base].decode("utf-8", "replace")
                    ), False, False
                if child.type == "string_content":
                    yield _unescape_in_double(child.text.decode("utf-8", "replace")), False, False
                else:
                    yield from self._parts(child, quoted=True)
                pos = child.end_byte
            if end > pos:
                yield _unescape_in_double(
                    src[pos - base : end - base].decode("utf-8", "replace")), False, False
        elif t == "concatenation":
            for child in node.children:
                if child.is_named:
                    yield from self._parts(child, quoted)
                else:
                    # unnamed tokens inside concatenations: literal text such as '{' '}'
                    yield _unescape_unquoted(child.text.decode("utf-8", "replace")), False, False
        elif t == "simple_expansion":
            name = raw[1:]
            yield self._lookup(name)
        elif t == "expansion":
            yield self._expansion(node, raw)
        elif t in ("command_substitution", "process_substitution"):
            # the inner commands run too (in a subshell: a `cd` there does not leak)
            saved = self.cwd
            before = len(self.commands)
            for child in node.named_children:
                self.statement(child)
            self.cwd = saved
            inner = self.commands[before:]
            known = _known_output(inner[0]) if len(inner) == 1 else None
            if t == "command_substitution" and known is not None:
                # $(echo rm) is "rm": command substitution drops trailing newlines
                yield known.rstrip("\n"), False, False
            else:
                yield DYNAMIC, True, False
        elif t == "arithmetic_expansion":
            for child in node.named_children:
                self._walk_for_substitutions(child)
            yield DYNAMIC, True, False
        elif t == "brace_expression":
            yield raw, False, True
        else:
            for child in node.named_children:
                self._walk_for_substitutions(child)
            yield raw, True, False

    def _walk_for_substitutions(self, node: Any) -> None:
        if node.type in ("command_substitution", "process_substitution"):
            for child in node.named_children:
                self.statement(child)
            return
        for child in node.named_children:
            self._walk_for_substitutions(child)

    def _lookup(self, name: str) -> tuple[str, bool, bool]:
        if name in self.vars:
            return self.vars[name], False, False
        if name == "HOME":
            return self.ctx.home, False, False
        if name == "PWD":
            return self.ctx.cwd, False, False
        return DYNAMIC, True, False

    def _expansion(self, node: Any, raw: str) -> tuple[str, bool, bool]:
        # ${NAME} is a plain lookup; anything fancier (${X:-y}, ${#X}, ${X/a/b}) is dynamic
        inner = raw[2:-1]
        if inner.isidentifier():
            return self._lookup(inner)
        for child in node.named_children:
            self._walk_for_substitutions(child)
        return DYNAMIC, True, False


_SPLIT_TYPES = ("simple_expansion", "expansion", "command_substitution")


def _has_unquoted_expansion(node: Any) -> bool:
    """Is the word subject to field splitting (an unquoted $X, ${X} or $(…))?"""
    if node.type in _SPLIT_TYPES:
        return True
    if node.type == "concatenation":
        return any(c.type in _SPLIT_TYPES for c in node.named_children)
    return False


def _unescape_unquoted(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt != "\n":
                out.append(nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _unescape_in_double(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw) and raw[i + 1] in '$`"\\\n':
            if raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _known_output(cmd: SimpleCommand) -> str | None:
    """What a command prints, when we can know it (``echo 'DROP TABLE x'``)."""
    if cmd.program in _ECHOES and all(not w.dynamic for w in cmd.argv):
        args = [w.text for w in cmd.args]
        if cmd.program == "echo":
            while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
                args = args[1:]
            return " ".join(args) + "\n"
        if args:
            fmt = args[0]
            if "%" not in fmt:
                return fmt.replace("\\n", "\n")
            return None
    if cmd.program == "cat" and not cmd.args and cmd.stdin is not None and not cmd.stdin_unknown:
        return cmd.stdin
    return None
