"""Shell source → the simple commands it would run, through tree-sitter-bash.

We never grep a command line. The script is parsed into a syntax tree, and every
place a command can hide is walked: lists, pipelines, subshells, ``{ …; }`` groups,
``if``/``for``/``while``/``case`` bodies, functions (where they are called, with their
arguments), command and process substitutions, redirections and heredocs. Words are
unquoted the way the shell would (``r''m`` is ``rm``, ``r\\<newline>m`` too, ``$'\\x72m'``
as well), variables assigned earlier in the same script are substituted
(``F=-rf; rm $F /``) with every value they may hold after branches
(``shell_state.py``), and anything we cannot know — an unset variable, ``read`` input,
``$(…)`` output we cannot compute, arithmetic — is marked dynamic so packs can treat it
as the worst case. A syntax error anywhere is recorded as ``unparsed``: the action is
then held, never allowed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from airlock.classify import credentials, escapes, limits
from airlock.classify import shell_state as st
from airlock.classify.command import (
    DYNAMIC,
    ClassifyContext,
    Redirect,
    SimpleCommand,
    Word,
    expand_braces,
)
from airlock.classify.shell_state import CWD, MAX_VALUES, STDIN_FILE_LIMIT, State

_LOCAL = threading.local()  # a tree-sitter Parser is not thread-safe: one per thread
_LANGUAGE: Any = None

_GLOB_CHARS = frozenset("*?[")
_HIGH_PLANES = re.compile("[\U00030000-\U0010FFFF]")
_NON_BMP = re.compile("[\U00010000-\U0010FFFF]")
_REDIRECT_OPS = frozenset({">", ">>", "<", "&>", "&>>", ">|", ">&", "<&", "<>", ">&-", "<&-"})
MAX_CALL_DEPTH = 8  # functions calling functions: deeper than this is held
_VAR_REF = re.compile(r"\$\{?[#!]?([A-Za-z_][A-Za-z0-9_]*)")
# statements whose own words may use a variable with several values: walked once per value
_LEAVES = frozenset({"command", "variable_assignment", "variable_assignments",
                     "declaration_command", "test_command", "negated_command"})
_PATTERN_CHARS = frozenset("*?[]|@!+()")


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
    walker = _Walker(ctx)
    if walker.walk_source(source):
        walker.finish()
    return walker.commands


def _prepare(source: str, ctx: ClassifyContext) -> bytes | None:
    if ctx.depth > ctx.MAX_DEPTH:
        ctx.unparsed("shell nesting deeper than Airlock follows")
        return None
    refused = _refuse(source)
    if refused:
        ctx.unparsed(refused)
        return None
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
    return source.encode("utf-8", "surrogateescape")


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


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "surrogateescape")


def _key(c: SimpleCommand) -> tuple[Any, ...]:
    """What makes two commands the same for classification (loops walk a body twice)."""
    return (tuple(w.text for w in c.argv), c.cwd, c.stdin, c.stdin_unknown,
            tuple((r.op, r.target.text if r.target else None, r.body) for r in c.redirects),
            tuple((k, v.text) for k, v in c.env.items()),
            tuple(sorted(c.vars.items())) if c.vars else (),
            tuple(sorted(c.links.items())) if c.links else ())


class _Walker(st.ShellState):
    """Walks a syntax tree: every simple command it would run, with its words expanded."""

    def __init__(self, ctx: ClassifyContext) -> None:
        super().__init__(ctx)
        self.pending_after_heredoc: Any = None  # `cat <<EOF | psql`: the `| psql` part
        self.defined: dict[str, list[tuple[int, int, Any, tuple[Any, ...]]]] = {}
        self.source = b""

    # ---- the source ---------------------------------------------------------------

    def walk_source(self, source: str) -> bool:
        data = _prepare(source, self.ctx)
        if data is None:
            return False
        tree = _parse(data)
        if b"\\\n" in data:
            joined = escapes.join_continuations(data, tree.root_node)
            if joined != data:
                data = joined
                tree = _parse(data)
        self.source = data
        root = tree.root_node
        if root.has_error:
            snippet = _first_error(root)
            self.ctx.unparsed(f"shell syntax Airlock cannot parse near {snippet!r}")
        self.statement(root)
        return True

    def finish(self) -> None:
        """A function nobody calls runs nothing, unless its name appears elsewhere in the
        script (``trap f EXIT``, ``eval f``, ``export -f f; bash -c f``): then it is
        walked as if called, with unknown arguments."""
        for name, defs in self.defined.items():
            if name in self.called:
                continue
            masked = bytearray(self.source)
            for start, end, _, _ in defs:
                masked[start:end] = b" " * (end - start)
            pattern = (r"(?<![^\s;&|(){}'\"`=])" + re.escape(name.encode()).decode()
                       + r"(?![^\s;&|(){}'\"`])")
            if re.search(pattern, masked.decode("utf-8", "surrogateescape")):
                self.functions[name] = tuple((body, reds) for _, _, body, reds in defs)
                self.call(name, [Word(name)], {}, [], known_args=False)

    def forking(self, node: Any) -> list[str]:
        """The variables with several values that this statement's own words use."""
        t = node.type
        if t in _LEAVES:
            text = node.text
        elif t == "redirected_statement":
            body = node.child_by_field_name("body")
            text = b" ".join(c.text for c in node.named_children if c != body)
        elif t == "for_statement":
            text = b" ".join(c.text for c in node.children_by_field_name("value"))
        elif t == "case_statement":
            value = node.child_by_field_name("value")
            text = value.text if value is not None else b""
        else:
            return []
        refs = set(_VAR_REF.findall(text.decode("utf-8", "surrogateescape")))
        names = [n for n in self.multi if n != CWD and n in refs]
        if CWD in self.multi and (t in ("command", "redirected_statement") or "PWD" in refs):
            names.append(CWD)
        return names

    def absorb(self, source: str) -> None:
        """Walk ``source`` as part of this shell for its effects on the state only; its
        commands and flags are dropped (dispatch classifies them where they are)."""
        if self.ctx.depth >= self.ctx.MAX_DEPTH:
            self.forget_all(cwd=True)
            return
        sub_ctx = ClassifyContext(cwd=self.ctx.cwd, home=self.ctx.home, config=self.ctx.config,
                                  depth=self.ctx.depth + 1, origin=self.ctx.origin)
        sub = _Walker(sub_ctx)
        sub.restore(self.snapshot())
        sub.shadowed = set(self.shadowed)
        sub.hashed = dict(self.hashed)
        sub.call_depth = self.call_depth
        sub.walk_source(source)
        self.restore(sub.snapshot())
        self.shadowed |= sub.shadowed
        self.hashed = sub.hashed


    # ---- statements -------------------------------------------------------------

    def statement(self, node: Any, redirects: list[Redirect] | None = None) -> None:
        if self.multi:
            names = self.forking(node)
            if names:
                self.fork(names, lambda: self._statement(node, redirects))
                return
        self._statement(node, redirects)

    def _statement(self, node: Any, redirects: list[Redirect] | None) -> None:
        t = node.type
        if t in ("subshell", "command_substitution", "process_substitution"):
            self.isolated(lambda: self.sequence(node, redirects))
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
            self.unset(node)
        elif t == "for_statement":
            self.for_loop(node, redirects)
        elif t == "c_style_for_statement":
            self.c_for(node, redirects)
        elif t == "while_statement":
            conds = [c for c in node.children_by_field_name("condition") if c.is_named]
            self.loop(conds, node.child_by_field_name("body"), redirects)
        elif t == "if_statement":
            self.if_statement(node, redirects)
        elif t == "case_statement":
            self.case(node, redirects)
        elif t == "list":
            self.and_or(node, redirects)
        elif t == "function_definition":
            self.define(node, redirects)
        elif t == "compound_statement" and node.children and node.children[0].type == "((":
            self.arithmetic(node)
        elif t in ("comment", "heredoc_body", "heredoc_end", "heredoc_start"):
            return
        elif t in (
            "word", "string", "raw_string", "concatenation", "simple_expansion",
            "expansion", "arithmetic_expansion", "ansi_c_string", "translated_string",
        ):
            self.word(node)
        else:
            # program, { …; } groups, do_group, negated_command, test_command, ERROR
            # (has_error on the root already recorded it; still walk what we can), …:
            # the commands are below. A redirection on a group, loop or if applies to
            # every command in it.
            self.sequence(node, redirects)

    def sequence(self, node: Any, redirects: list[Redirect] | None) -> None:
        """The statements under ``node`` in order; ``cmd &`` runs in a subshell."""
        kids = node.children
        for i, child in enumerate(kids):
            if not child.is_named:
                continue
            if i + 1 < len(kids) and kids[i + 1].type == "&":
                self.isolated(partial(self.statement, child, redirects))
            else:
                self.statement(child, redirects)

    def walk_all(self, nodes: list[Any], redirects: list[Redirect] | None = None) -> None:
        for n in nodes:
            self.statement(n, redirects)

    def and_or(self, node: Any, redirects: list[Redirect] | None) -> None:
        """``a && b``, ``a || b``: ``b`` may or may not run after ``a``. A redirection
        tree-sitter hangs on the whole list binds to its last command."""
        parts = node.named_children
        if len(parts) != 2:
            for i, child in enumerate(parts):
                self.statement(child, redirects if i == len(parts) - 1 else None)
            return
        before = self.snapshot()
        self.statement(parts[0])
        skipped = self.snapshot()
        if node.children[1].type == "||":
            # the right side runs when the left one failed: maybe before any effect of it
            # (`cd a || cd b` runs `cd b` where `cd a` did not move)
            self.restore(self.merge([before, skipped]))
        self.statement(parts[1], redirects)
        self.restore(self.merge([skipped, self.snapshot()]))

    def if_statement(self, node: Any, redirects: list[Redirect] | None) -> None:
        conds, body, clauses = _split_then(node)
        self.walk_all(conds)
        tested = self.snapshot()
        self.walk_all(body, redirects)
        ends = [self.snapshot()]
        has_else = False
        for clause in clauses:
            self.restore(tested)
            if clause.type == "else_clause":
                has_else = True
                self.walk_all(clause.named_children, redirects)
            else:
                c2, b2, _ = _split_then(clause)
                self.walk_all(c2)
                tested = self.snapshot()
                self.walk_all(b2, redirects)
            ends.append(self.snapshot())
        if not has_else:
            ends.append(tested)
        self.restore(self.merge(ends))

    def case(self, node: Any, redirects: list[Redirect] | None) -> None:
        """Every branch may run. Inside ``case "$X" in build|dist) … ;;`` X is one of
        the literal patterns."""
        value = node.child_by_field_name("value")
        subject = None
        if value is not None:
            self.word(value)
            subject = _plain_variable(value)
        start = self.snapshot()
        ends: list[State] = []
        default = False
        for item in node.named_children:
            if item.type != "case_item":
                continue
            self.restore(start)
            pats = item.children_by_field_name("value")
            spans = {(p.start_byte, p.end_byte) for p in pats}
            literal: list[str] | None = []
            for p in pats:
                raw = _text(p)
                w = self.word(p)
                if raw in ("*", "*)"):
                    default = True
                if w.dynamic or (p.type not in ("string", "raw_string")
                                 and any(ch in _PATTERN_CHARS for ch in raw)):
                    literal = None
                elif literal is not None:
                    literal.append(w.text)
            if subject and literal and len(set(literal)) <= MAX_VALUES \
                    and subject not in self.namerefs:
                found = tuple(dict.fromkeys(literal))
                self.vars.pop(subject, None)
                if len(found) == 1:
                    self.vars[subject] = found[0]
                else:
                    self.multi[subject] = found
            body = [c for c in item.named_children if (c.start_byte, c.end_byte) not in spans]
            self.walk_all(body, redirects)
            ends.append(self.snapshot())
        if not default:
            ends.append(start)
        self.restore(self.merge(ends))

    # ---- loops ------------------------------------------------------------------

    def loop(self, conds: list[Any], body: Any, redirects: list[Redirect] | None,
             bind: Callable[[], None] | None = None) -> None:
        """A loop that runs its body zero or more times: walked until what it does to
        the variables settles (at most three times; what still changes is unknown)."""
        self.loops.append(([], []))
        start = len(self.commands)
        seen: set[tuple[Any, ...]] | None = None
        head = self.snapshot()
        exits: list[State] = []
        for turn in range(3):
            limits.check()
            self.restore(head)
            mark = len(self.commands)
            self.walk_all(conds)
            exits.append(self.snapshot())
            if bind is not None:
                bind()
            if body is not None:
                self.statement(body, redirects)
            conts = self.loops[-1][1]
            new_head = self.merge([head, self.snapshot(), *conts])
            conts.clear()
            if seen is None:
                seen = {_key(c) for c in self.commands[start:]}
            else:
                fresh = [c for c in self.commands[mark:] if _key(c) not in seen]
                del self.commands[mark:]
                self.commands.extend(fresh)
                seen.update(_key(c) for c in fresh)
            if st.same(new_head, head, self.ctx.home, self.shadowed):
                break
            if turn >= 1:
                for name in st.changed(head, new_head, self.ctx.home, self.shadowed):
                    self.restore(new_head)
                    self.forget(name)
                    new_head = self.snapshot()
            head = new_head
            exits.append(head)
        breaks = self.loops.pop()[0]
        self.restore(self.merge(exits + breaks))

    def for_loop(self, node: Any, redirects: list[Redirect] | None) -> None:
        """``for d in / /etc; do rm -rf "$d"; done``: with a short list of literal words,
        the body is walked once per value; otherwise as a loop with the variable unknown."""
        var = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        values: list[Word] = []
        nodes = node.children_by_field_name("value")
        for value in nodes:
            values.extend(self.fields(value))
        has_in = any(c.type == "in" for c in node.children)
        if not has_in and self.posargs is not None:
            values = list(self.posargs)  # `for x; do` walks "$@"
        name = _text(var) if var is not None else ""
        select = node.children and node.children[0].type == "select"
        known = (bool(values) and len(values) <= MAX_VALUES and not select
                 and not any(w.unknown for w in values) and (has_in or self.posargs is not None))
        if body is None:
            return
        if name and known:
            self.loops.append(([], []))
            for w in values:
                self.set_var(name, w.text)
                self.statement(body, redirects)
                conts = self.loops[-1][1]
                if conts:
                    self.restore(self.merge([self.snapshot(), *conts]))
                    conts.clear()
            breaks = self.loops.pop()[0]
            self.restore(self.merge([self.snapshot(), *breaks]))
        else:
            self.loop([], body, redirects, bind=lambda: self.set_var(name, None) if name
                      else None)
        if name:
            self.set_var(name, None)  # after the loop its last value is rarely meant

    def c_for(self, node: Any, redirects: list[Redirect] | None) -> None:
        """``for ((i = 0; i < n; i++))``: a loop; what the arithmetic assigns is unknown."""
        parts = [p for f in ("initializer", "condition", "update")
                 for p in node.children_by_field_name(f)]
        for part in parts:
            self.arithmetic(part)
        self.loop([], node.child_by_field_name("body"), redirects)

    def arithmetic(self, node: Any) -> None:
        """``(( x = 1 ))``, ``$(( x++ ))``, ``let x=2``: what they assign is a number
        Airlock does not compute; command substitutions inside still run."""
        self.arith_text(_text(node))
        self.walk_substitutions(node)


    # ---- functions --------------------------------------------------------------

    def define(self, node: Any, redirects: list[Redirect] | None) -> None:
        """A function runs where it is called, not where it is defined."""
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if name_node is None or body is None:
            return
        name = _text(name_node)
        own = tuple(redirects or ())
        self.functions[name] = ((body, own),)
        self.defined.setdefault(name, []).append((node.start_byte, node.end_byte, body, own))

    def call(self, name: str, argv: list[Word], env: dict[str, Word],
             redirects: list[Redirect], *, known_args: bool = True) -> None:
        """Walk a function's body with its arguments as ``$1``…; what it sets is not
        known after it returns, its ``cd`` is."""
        if self.call_depth >= MAX_CALL_DEPTH:
            self.ctx.unparsed(f"functions call each other deeper than Airlock follows ({name})")
            return
        self.called.add(name)
        before = self.snapshot()
        for k, w in env.items():
            self.set_var(k, None if w.dynamic else w.text)
        entry = self.snapshot()
        args = tuple(argv[1:]) if known_args else None
        ends: list[State] = []
        loops = self.loops
        self.loops = []
        self.returns.append([])
        self.call_depth += 1
        try:
            for body, own in self.functions[name]:
                self.restore(entry)
                self.posargs = args
                reds = [*redirects, *own]
                if reds:
                    self.emit(SimpleCommand(argv=[Word(":")], redirects=reds))
                if body.type == "subshell":
                    self.isolated(partial(self.sequence, body, None))
                else:
                    self.statement(body)
                ends.append(self.snapshot())
                ends.extend(self.returns[-1])
                self.returns[-1].clear()
        finally:
            self.call_depth -= 1
            self.returns.pop()
            self.loops = loops
        self.restore(self.merge(ends))
        self.posargs = before.posargs
        self.forget_changes(before)

    # ---- assignments --------------------------------------------------------------

    def assign(self, node: Any) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        if name_node.type == "subscript":  # a[1]=x: arrays are not followed
            inner = name_node.child_by_field_name("name")
            self.walk_substitutions(name_node)
            if value_node is not None:
                self.word(value_node)
            if inner is not None:
                self.set_var(_text(inner), None)
            return
        name = _text(name_node)
        if value_node is None:
            self.set_var(name, "")
            return
        w = self.word(value_node)
        credentials.check_assignment(name, w, self.ctx)
        append = any(c.type == "+=" for c in node.children)
        if w.dynamic or value_node.type == "array":
            self.set_var(name, None)
        elif append:
            target = self.resolve_ref(name)
            old = self.vars.get(target) if target is not None else None
            self.set_var(name, None if old is None else old + w.text)
        else:
            self.set_var(name, w.text)

    def declaration(self, node: Any) -> None:
        """``declare``/``local``/``export``/``readonly``/``typeset``: ``-n`` makes a
        reference to another variable, ``-i -a -A -l -u`` transform the value (unknown)."""
        keyword = node.children[0].type if node.children else ""
        flags = ""
        for child in node.named_children:
            if child.type == "word" and _text(child).startswith("-"):
                flags += _text(child)[1:]
        for child in node.named_children:
            t = child.type
            if t == "variable_assignment":
                name_node = child.child_by_field_name("name")
                if "n" in flags and name_node is not None:
                    value = child.child_by_field_name("value")
                    w = self.word(value) if value is not None else Word("")
                    self.namerefs[_text(name_node)] = (w.text if not w.dynamic
                                                       and w.text.isidentifier() else None)
                    continue
                self.assign(child)
                if name_node is not None and set(flags) & set("iaAluc"):
                    self.set_var(_text(name_node), None)
            elif t == "variable_name":
                name = _text(child)
                if "n" in flags:
                    self.namerefs[name] = None
                elif "f" in flags:
                    continue
                elif keyword == "local" or (self.returns and keyword in ("declare", "typeset")):
                    self.set_var(name, None)  # a fresh local: empty, and the caller's is hidden
            elif t == "word" and _text(child)[:1] in ("-", "+"):
                continue
            else:
                w = self.word(child)
                name, eq, value = w.text.partition("=")
                if w.dynamic and not (eq and name.isidentifier() and DYNAMIC not in name):
                    self.forget_all()  # declare "$x": any variable may change
                elif eq and name.isidentifier():
                    self.set_var(name, None if w.dynamic else value)

    def unset(self, node: Any) -> None:
        args = node.named_children
        functions = any(_text(a) == "-f" for a in args)
        for child in args:
            text = _text(child)
            if text.startswith("-"):
                continue
            if child.type not in ("variable_name", "word"):
                self.forget_all()
                continue
            if functions:
                self.functions.pop(text, None)
            else:
                self.namerefs.pop(text, None)
                self.set_var(text, None)

    # ---- pipelines and redirections ------------------------------------------------

    def pipeline(self, node: Any, redirects: list[Redirect]) -> None:
        """Every part of a pipeline runs in a subshell; what a part prints, when known,
        is the next part's stdin."""
        prev_output: str | None = None
        prev: list[SimpleCommand] = []  # the previous part's commands
        first = True
        parts = node.named_children
        for child in parts:
            before = len(self.commands)
            own = redirects if child is parts[-1] else None
            if len(parts) > 1:
                self.isolated(partial(self.statement, child, own))
            else:
                self.statement(child, own)
            new = self.commands[before:]
            if new and prev:
                # who reads what the previous part prints (only that part's own last command)
                prev[-1].stdout_into = tuple(w.text for w in new[0].argv)
            prev = new
            if new and not first:
                head = new[0]
                if head.stdin is None:
                    if prev_output is not None:
                        head.stdin = prev_output
                    else:
                        head.stdin_unknown = True
            prev_output = st.known_output(new[-1], self.ctx) if len(new) == 1 else None
            first = False

    def redirected(self, node: Any, outer: list[Redirect]) -> None:
        body = node.child_by_field_name("body")
        reds = list(outer)
        for child in node.named_children:
            if child == body:
                continue
            reds.extend(self.redirects_of(child))
        if body is None:
            # a bare redirection (`> file`) truncates the file
            if reds:
                self.emit(SimpleCommand(argv=[Word(":")], redirects=reds))
            return
        self.statement(body, reds)

    def redirects_of(self, node: Any) -> list[Redirect]:
        """A redirection node's redirections: ``cat <<'EOF' > ~/.bashrc`` is two
        (tree-sitter hangs the ``>`` under the heredoc)."""
        found = self.redirect(node)
        out = [found] if found is not None else []
        if node.type == "heredoc_redirect":
            for child in node.named_children:
                if child.type.endswith("_redirect"):
                    out.extend(self.redirects_of(child))
        return out

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
                    start = _text(child)
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
        raw = _text(node)
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

    # ---- simple commands ----------------------------------------------------------

    def emit(self, cmd: SimpleCommand) -> None:
        cmd.cwd = None if self.cwd == self.ctx.cwd else self.cwd
        cmd.vars = dict(self.vars)
        cmd.links = dict(self.links) if self.links else None
        self.commands.append(cmd)

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
                    env[_text(name_node)] = (
                        self.word(value_node) if value_node is not None else Word("")
                    )
            elif t == "command_name":
                for sub in child.named_children:
                    argv.extend(self.fields(sub))
            elif t.endswith("_redirect"):
                reds.extend(self.redirects_of(child))
            elif t == "subshell" or t == "comment":
                continue
            else:
                argv.extend(self.fields(child))
        if argv and not argv[0].dynamic:
            head = argv[0].text
            if head in self.functions:
                self.call(head, argv, env, reds)
                self.after_heredoc(None)
                return
            if head in self.hashed:
                path = self.hashed[head]
                argv[0] = Word(path, dynamic=DYNAMIC in path)
        cmd = SimpleCommand(argv=argv, env=env, redirects=reds)
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
        self.emit(cmd)
        k = 0  # `builtin cd ~`, `command cd ~`: the builtin all the same
        while k + 1 < len(argv) and argv[k].text in ("builtin", "command") \
                and not argv[k].dynamic and not argv[k + 1].text.startswith("-"):
            k += 1
        if k < len(argv) and not argv[k].dynamic:
            handler = _BUILTINS.get(argv[k].text)
            if handler is not None:
                handler(self, cmd if k == 0 else SimpleCommand(argv=argv[k:], env=env))
        self.after_heredoc(cmd)

    def after_heredoc(self, cmd: SimpleCommand | None) -> None:
        after = self.pending_after_heredoc
        self.pending_after_heredoc = None
        if after is None:
            return
        prev_output = st.known_output(cmd, self.ctx) if cmd is not None else None
        parts = after.named_children if after.type == "pipeline" else [after]
        for child in parts:
            before = len(self.commands)
            self.isolated(partial(self.statement, child, None))
            new = self.commands[before:]
            if new and new[0].stdin is None:
                if prev_output is not None:
                    new[0].stdin = prev_output
                else:
                    new[0].stdin_unknown = True
            prev_output = st.known_output(new[-1], self.ctx) if len(new) == 1 else None

    # ---- words ------------------------------------------------------------------

    def fields(self, node: Any) -> list[Word]:
        """A command-line word after field splitting: an unquoted expansion of a known
        value with whitespace in it (``c="rm -rf /"; $c``) becomes several words, and
        ``"$@"`` in a function is its arguments."""
        if self.posargs is not None and _all_args(node):
            return list(self.posargs)
        w = self.word(node)
        if node.type in ("word", "concatenation") and "{" in w.text and "," in w.text \
                and not any(c.type in ("string", "raw_string") for c in node.children):
            expanded = expand_braces(w.text)
            if len(expanded) > 1:
                return [Word(x, w.dynamic, w.glob or any(ch in _GLOB_CHARS for ch in x))
                        for x in expanded]
        if w.dynamic or not _has_unquoted_expansion(node):
            return [w]
        if "IFS" in self.vars or "IFS" in self.multi or "IFS" in self.shadowed:
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

    def _parts(self, node: Any, quoted: bool, first: bool = True
               ) -> Iterator[tuple[str, bool, bool]]:
        """(text, dynamic, glob) pieces of one word node."""
        t = node.type
        raw = _text(node)
        if t == "word":
            text = escapes.unescape_unquoted(raw)
            dynamic = False
            if first and raw.startswith("~"):
                text, dynamic = self.tilde(text)
            glob = any(c in _GLOB_CHARS for c in raw.replace("\\*", "").replace("\\?", ""))
            yield text, dynamic, glob and not quoted
        elif t in ("number", "variable_name", "special_variable_name", "regex",
                   "extglob_pattern", "test_operator", "string_content"):
            yield (escapes.unescape_in_double(raw) if t == "string_content" else raw), False, False
        elif t == "raw_string":
            yield raw[1:-1], False, False
        elif t == "ansi_c_string":
            value = escapes.ansi_c(raw[2:-1])
            yield (value, False, False) if value is not None else (DYNAMIC, True, False)
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
                    yield escapes.unescape_in_double(
                        src[pos - base : child.start_byte - base].decode("utf-8", "replace")
                    ), False, False
                if child.type == "string_content":
                    text = child.text.decode("utf-8", "replace")
                    yield escapes.unescape_in_double(text), False, False
                else:
                    yield from self._parts(child, quoted=True, first=False)
                pos = child.end_byte
            if end > pos:
                yield escapes.unescape_in_double(
                    src[pos - base : end - base].decode("utf-8", "replace")), False, False
        elif t == "concatenation":
            for i, child in enumerate(node.children):
                if child.is_named:
                    yield from self._parts(child, quoted, first=first and i == 0)
                else:
                    # unnamed tokens inside concatenations: literal text such as '{' '}'
                    text = child.text.decode("utf-8", "replace")
                    yield escapes.unescape_unquoted(text), False, False
        elif t == "simple_expansion":
            yield self.lookup(raw[1:])
        elif t == "expansion":
            yield self._expansion(node, raw)
        elif t in ("command_substitution", "process_substitution"):
            # the inner commands run too, in a subshell
            before = len(self.commands)
            self.isolated(lambda: self.sequence(node, None))
            inner = self.commands[before:]
            known = st.known_output(inner[0], self.ctx) if len(inner) == 1 else None
            temp = None
            if t == "command_substitution" and known is None and len(inner) == 1:
                # $(mktemp -d): a fresh path in a temp dir (never a program name)
                temp = st.mktemp_output(inner[0], self.tmpdir(inner[0]),
                                        inner[0].cwd or self.ctx.cwd)
            if temp is not None:
                yield temp, False, False
            elif t == "command_substitution" and known is not None and "\x00" not in known:
                # $(echo rm) is "rm": command substitution drops trailing newlines
                yield known.rstrip("\n"), False, False
            else:
                yield DYNAMIC, True, False
        elif t == "arithmetic_expansion":
            self.arithmetic(node)
            yield DYNAMIC, True, False
        elif t == "brace_expression":
            yield raw, False, True
        else:
            self.walk_substitutions(node)
            yield raw, True, False

    def walk_substitutions(self, node: Any) -> None:
        for child in node.named_children:
            if child.type in ("command_substitution", "process_substitution"):
                self.isolated(partial(self.sequence, child, None))
            else:
                self.walk_substitutions(child)

    def _expansion(self, node: Any, raw: str) -> tuple[str, bool, bool]:
        # ${NAME} is a plain lookup; anything fancier (${X:-y}, ${#X}, ${X/a/b}) is dynamic
        inner = raw[2:-1]
        if inner.isidentifier() or inner.isdigit() or inner in ("#", "@", "*"):
            return self.lookup(inner)
        self.walk_substitutions(node)
        if re.search(r"^[A-Za-z_]\w*:?=", inner):
            self.set_var(re.split(r":?=", inner, maxsplit=1)[0], None)  # ${X:=v} assigns
        return DYNAMIC, True, False


def _split_then(node: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """An ``if``/``elif``: (condition statements, body statements, elif/else clauses)."""
    conds: list[Any] = []
    body: list[Any] = []
    clauses: list[Any] = []
    seen_then = False
    for child in node.children:
        if child.type == "then":
            seen_then = True
        elif child.type in ("elif_clause", "else_clause"):
            clauses.append(child)
        elif child.is_named:
            (body if seen_then else conds).append(child)
    return conds, body, clauses


def _plain_variable(node: Any) -> str | None:
    """``$X``, ``"$X"``, ``${X}``, ``"${X}"`` → X."""
    if node.type == "string" and len(node.named_children) == 1:
        inner = node.named_children[0]
        if inner.end_byte - inner.start_byte == node.end_byte - node.start_byte - 2:
            node = inner
    raw = _text(node)
    m = re.fullmatch(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))", raw)
    return (m.group(1) or m.group(2)) if m else None


def _all_args(node: Any) -> bool:
    """Is the word exactly ``"$@"`` (or ``$@``, ``${@}``)?"""
    return _text(node) in ('"$@"', "$@", "${@}", '"${@}"')


_BUILTINS: dict[str, Callable[[_Walker, SimpleCommand], None]] = {
    "cd": _Walker.b_cd, "pushd": _Walker.b_cd, "popd": _Walker.b_cd, "dirs": _Walker.b_cd,
    "read": _Walker.b_read, "mapfile": _Walker.b_mapfile, "readarray": _Walker.b_mapfile,
    "getopts": _Walker.b_getopts, "printf": _Walker.b_printf, "eval": _Walker.b_eval,
    "source": _Walker.b_source, ".": _Walker.b_source, "shift": _Walker.b_shift,
    "set": _Walker.b_set, "ln": _Walker.b_ln, "hash": _Walker.b_hash, "let": _Walker.b_let,
    "break": _Walker.b_jump, "continue": _Walker.b_jump, "return": _Walker.b_jump,
}


_SPLIT_TYPES = ("simple_expansion", "expansion", "command_substitution")


def _has_unquoted_expansion(node: Any) -> bool:
    """Is the word subject to field splitting (an unquoted $X, ${X} or $(…))?"""
    if node.type in _SPLIT_TYPES:
        return True
    if node.type == "concatenation":
        return any(c.type in _SPLIT_TYPES for c in node.named_children)
    return False
