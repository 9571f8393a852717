"""Calls, members and literals read from tokens (:mod:`.lexer`), and the analysis the
token-read languages share (:class:`TokenCode`).

Not a full parser for any of the languages: a reader of the expressions that matter —
a name followed by members (``a.b``, ``a->b``, ``A::B``, ``a["b"]``), calls with or
without parentheses (``f(x)``, Perl ``system "x"``, Ruby ``FileUtils.rm_rf "x"``),
tagged templates, ``new X(…)``, and the literals passed to them (strings and their
concatenation, arrays, objects and hashes). Every token that can begin such an
expression is tried, so a call is found wherever it is, however it is spaced, and each
call is judged once. What the reader does not understand is an ``unknown`` node.

Work is bounded: each start position is read once (memoized), nesting deeper than
:data:`MAX_DEPTH` is skipped as unknown, and brackets are matched once up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from airlock.classify import limits
from airlock.classify.code.effects import (
    MAX_ALTERNATIVES,
    UNKNOWN,
    Effects,
    Glob,
    OneOf,
    Ref,
    Value,
    one_of,
    single,
    text_of,
)
from airlock.classify.code.lexer import CMD, NAME, NL, NUM, OP, REGEX, STR, Lexed, Token
from airlock.classify.command import DYNAMIC

MAX_DEPTH = 64


@dataclass(eq=False, slots=True)
class Node:
    """One expression. ``kind``: str, num, name, member, index, call, array, object,
    concat, cmd, func, ref, regex, unknown."""

    kind: str
    text: str = ""  # a name, a member's name, a string's value
    base: Node | None = None  # a member's or index's object; a call's callee
    key: Node | None = None  # an index's key
    items: list[Node] = field(default_factory=list)  # arguments, array items, concat parts
    pairs: list[tuple[Node, Node]] = field(default_factory=list)  # object entries
    at: int = -1  # the token where it starts (a call: where its arguments start)
    new: bool = False  # `new X(…)`
    parens: bool = True  # a call written with parentheses
    flag: str = ""  # a regex that runs code ("code"), a spread item ("spread")


UNKNOWN_NODE_KIND = "unknown"


@dataclass(frozen=True)
class Syntax:
    member: frozenset[str]  # a.b, a->b, A::b
    concat: frozenset[str]  # "a" + "b", "a" . "b"
    paren_less: bool  # calls without parentheses (Perl, Ruby)
    pair_ops: frozenset[str]  # a: 1, a => 1
    stop_words: frozenset[str]  # words that end an argument list (if, unless, and, or…)
    keywords: frozenset[str]  # words that are never a callee or a value
    prefix_words: frozenset[str] = frozenset()  # await, my, return…: skipped before a value
    func_words: frozenset[str] = frozenset()  # function, sub, lambda, fn: a function literal
    new_word: str = ""  # new
    arrows: bool = False  # (a, b) => …
    tagged: bool = False  # tag`…`


_OPEN = {"(": ")", "[": "]", "{": "}"}


class Reader:
    def __init__(self, tokens: list[Token], syntax: Syntax) -> None:
        self.t = tokens
        self.n = len(tokens)
        self.s = syntax
        self.memo: dict[int, tuple[Node, int]] = {}
        self.match = self._match()

    def _match(self) -> dict[int, int]:
        """Index of each opening bracket → index of its closing one (n when unclosed)."""
        out: dict[int, int] = {}
        stack: list[int] = []
        for i, tok in enumerate(self.t):
            if tok.kind != OP:
                continue
            if tok.text in _OPEN:
                stack.append(i)
            elif tok.text in (")", "]", "}"):
                while stack:
                    j = stack.pop()
                    if _OPEN[self.t[j].text] == tok.text:
                        out[j] = i
                        break
                    out[j] = i
        for j in stack:
            out[j] = self.n
        return out

    def op(self, i: int, *ops: str) -> bool:
        return i < self.n and self.t[i].kind == OP and self.t[i].text in ops

    def word(self, i: int, *words: str) -> bool:
        return i < self.n and self.t[i].kind == NAME and self.t[i].text in words

    def skip_nl(self, i: int) -> int:
        while i < self.n and self.t[i].kind == NL:
            i += 1
        return i

    def after(self, i: int) -> int:
        """Past a bracketed group starting at ``i``."""
        return self.match.get(i, i) + 1

    # ---- expressions ------------------------------------------------------------------

    def operand(self, i: int, depth: int = 0) -> tuple[Node, int]:
        if i in self.memo:
            return self.memo[i]
        node, j = self._operand(i, depth)
        if depth <= MAX_DEPTH:
            self.memo[i] = (node, j)
        return node, j

    def _operand(self, i: int, depth: int) -> tuple[Node, int]:
        if i >= self.n:
            return Node("unknown", at=i), i
        tok = self.t[i]
        if depth > MAX_DEPTH:
            return Node("unknown", at=i), self._skip_any(i)
        s = self.s
        d = depth + 1
        if tok.kind == NAME and tok.text in s.prefix_words:
            return self.operand(i + 1, d)
        if tok.kind == NAME and tok.text in s.func_words:
            return Node("func", at=i), self._skip_function(i + 1)
        if tok.kind == NAME and s.new_word and tok.text == s.new_word:
            return self._new(i, d)
        node, j = self._primary(i, d)
        return self._postfix(node, j, d)

    def _primary(self, i: int, d: int) -> tuple[Node, int]:
        tok = self.t[i]
        if tok.kind == STR:
            return Node("str", text=tok.value, at=i), i + 1
        if tok.kind == "words":
            return Node("array", items=[Node("str", text=w, at=i) for w in tok.value.split()],
                        at=i), i + 1
        if tok.kind == CMD:
            return Node("cmd", text=tok.value, at=i), i + 1
        if tok.kind == NUM:
            return Node("num", text=tok.text, at=i), i + 1
        if tok.kind == REGEX:
            return Node("regex", flag=tok.value, at=i), i + 1
        if tok.kind == NAME:
            if tok.text in self.s.keywords:
                return Node("unknown", at=i), i + 1
            return Node("name", text=tok.text, at=i), i + 1
        if tok.kind == OP:
            if tok.text == "(":
                items, pairs, j = self.items(i + 1, ")", d)
                if self.op(j, "=>") and self.s.arrows:
                    return Node("func", at=i), self._skip_arrow_body(j + 1)
                if len(items) == 1 and not pairs:
                    return items[0], j
                group = _collection(items, pairs, i)
                group.flag = "group"
                return group, j
            if tok.text == "[":
                items, pairs, j = self.items(i + 1, "]", d)
                return _collection(items, pairs, i), j
            if tok.text == "{":
                items, pairs, j = self.items(i + 1, "}", d)
                node = _collection(items, pairs, i)
                node.kind = "object"
                return node, j
            if tok.text == "\\":
                inner, j = self.operand(i + 1, d)
                return Node("ref", base=inner, at=i), j
            if tok.text in ("!", "-", "+", "~", "!!", "not"):
                _inner, j = self.operand(i + 1, d)
                return Node("unknown", at=i), j
            if tok.text == "::":
                return self._primary(i + 1, d) if i + 1 < self.n else (Node("unknown"), i + 1)
        return Node("unknown", at=i), i + 1

    def _new(self, i: int, d: int) -> tuple[Node, int]:
        node, j = self._primary(i + 1, d) if i + 1 < self.n else (Node("unknown"), i + 1)
        while j < self.n and self.t[j].kind == OP and self.t[j].text in self.s.member:
            if j + 1 < self.n and self.t[j + 1].kind == NAME:
                node = Node("member", text=self.t[j + 1].text, base=node, at=j)
                j += 2
            else:
                break
        if self.op(j, "("):
            items, pairs, k = self.items(j + 1, ")", d)
            call = Node("call", base=node, items=_with_pairs(items, pairs, j), at=j, new=True)
        else:
            call, k = Node("call", base=node, at=j, new=True), j
        return self._postfix(call, k, d)

    def _postfix(self, node: Node, j: int, d: int) -> tuple[Node, int]:
        s = self.s
        while j < self.n:
            tok = self.t[j]
            if tok.kind == NL:
                nxt = self.skip_nl(j)
                if self.op(nxt, ".", "&.") and s.paren_less:
                    j = nxt  # a method chain continued on the next line
                    continue
                break
            if tok.kind == OP and tok.text in s.member:
                k = j + 1
                if k < self.n and self.t[k].kind == NAME:
                    name = self.t[k].text
                    node = Node("member", text=name, base=node, at=j, flag=tok.text)
                    if name[:1] == "$" and "->" in s.member:
                        node.kind = "index"  # $obj->$method: a name from a variable
                        node.key = Node("name", text=name, at=k)
                    elif s.paren_less and tok.text in (".", "&.", "->") and \
                            not self._call_follows(k + 1, node):
                        # Perl and Ruby call a method named without parentheses
                        node = Node("call", base=node, at=k, parens=False)
                    j = k + 1
                    continue
                if self.op(k, "[", "{"):
                    key, _p, end = self.items(k + 1, (self.t[k].text == "[" and "]") or "}", d)
                    node = Node("index", base=node, key=key[0] if len(key) == 1 else
                                Node("unknown"), at=k)
                    j = end
                    continue
                if self.op(k, "("):
                    items, pairs, end = self.items(k + 1, ")", d)
                    node = Node("call", base=node, items=_with_pairs(items, pairs, k), at=k)
                    j = end
                    continue
                break
            if tok.kind == OP and tok.text == "(":
                items, pairs, end = self.items(j + 1, ")", d)
                node = Node("call", base=node, items=_with_pairs(items, pairs, j), at=j)
                j = end
                continue
            if tok.kind == OP and tok.text == "[" and not (s.paren_less and node.kind == "name"
                                                            and node.text[:1] not in "$@"
                                                            and self._spaced(j)):
                key, _p, end = self.items(j + 1, "]", d)
                node = Node("index", base=node, key=key[0] if len(key) == 1 else
                            Node("unknown"), at=j)
                j = end
                continue
            if tok.kind == OP and tok.text == "{" and s.paren_less and "&." in s.member and \
                    node.kind in ("call", "member"):
                j = self.after(j)  # Ruby: a block given to the call; the chain goes on
                continue
            if tok.kind == OP and tok.text == "{" and "->" in s.member and s.paren_less and \
                    node.kind in ("name", "index", "member") and node.text[:1] in ("$", ""):
                # Perl: $h{key}, $x->{key}
                key, _p, end = self.items(j + 1, "}", d)
                node = Node("index", base=node, key=key[0] if len(key) == 1 else
                            Node("unknown"), at=j)
                j = end
                continue
            if tok.kind == STR and tok.text.startswith("`") and s.tagged:
                # a tagged template: tag`…`
                node = Node("call", base=node, items=[Node("str", text=tok.value, at=j)],
                            at=j, flag="tagged")
                j += 1
                continue
            if s.paren_less and node.kind in ("name", "member") and self._arg_start(j, node):
                items, pairs, end = self.bare_args(j, d)
                return Node("call", base=node, items=_with_pairs(items, pairs, j), at=j,
                            parens=False), end
            break
        return node, j

    def _call_follows(self, j: int, callee: Node) -> bool:
        """Whether token ``j`` begins arguments (or an index) for the member before it."""
        if j >= self.n:
            return False
        if self.op(j, "(", "[") or (self.op(j, "{") and "->" in self.s.member):
            return True
        if self.op(j, "=") or self.op(j, "+=", "-=", "||="):
            return True  # an attribute assignment (h.use_ssl = true): not a call
        return self._arg_start(j, callee)

    def _spaced(self, j: int) -> bool:
        """Whitespace before token ``j`` (``foo [1]`` is a call; ``foo[1]`` an index)."""
        prev = self.t[j - 1] if j > 0 else None
        return prev is not None and prev.pos + len(prev.text) < self.t[j].pos

    def _arg_start(self, j: int, callee: Node) -> bool:
        """Whether token ``j`` begins the arguments of a call without parentheses."""
        if callee.kind == "name" and callee.text[:1] in "$@%":
            return False
        tok = self.t[j]
        if tok.kind in (STR, CMD, NUM, "words"):
            return not (tok.kind == STR and tok.text.startswith(":") and not self._spaced(j))
        if tok.kind == NAME:
            return tok.text not in self.s.stop_words and tok.text not in self.s.keywords \
                and tok.text not in ("do", "then", "end", "x", "eq", "ne", "lt", "gt", "le",
                                     "ge", "cmp", "isa")
        if tok.kind == OP:
            return tok.text in ("[", "\\", "::") and self._spaced(j) and not self._spaced_after(j)
        return False

    def _spaced_after(self, j: int) -> bool:
        if j + 1 >= self.n:
            return True
        return self.t[j].pos + len(self.t[j].text) < self.t[j + 1].pos and \
            self.t[j].text == "["

    def bare_args(self, j: int, d: int) -> tuple[list[Node], list[tuple[Node, Node]], int]:
        """Arguments of a call without parentheses: up to the end of the statement."""
        items: list[Node] = []
        pairs: list[tuple[Node, Node]] = []
        while j < self.n:
            node, j = self.expression(j, d, nl_ends=True, pair_key=True)
            if self.op(j, *self.s.pair_ops) and self.t[j].text != ",":
                value, j = self.expression(j + 1, d, nl_ends=True)
                pairs.append((node, value))
            else:
                items.append(node)
            if self.op(j, ",") or (self.op(j, "=>") and "=>" not in self.s.pair_ops):
                j = self.skip_nl(j + 1)
                continue
            break
        return items, pairs, j

    def items(self, i: int, close: str, d: int
              ) -> tuple[list[Node], list[tuple[Node, Node]], int]:
        """The comma-separated items (and ``key: value`` pairs) up to ``close``; returns
        the index after ``close``."""
        end = self.match.get(i - 1, self.n)
        items: list[Node] = []
        pairs: list[tuple[Node, Node]] = []
        j = self.skip_nl(i)
        while j < end:
            limits.check()
            if self.op(j, "...", "*", "**", "&") and j + 1 < end and not self.op(j + 1, ","):
                inner, j = self.expression(j + 1, d, limit=end)
                items.append(Node("unknown", base=inner, flag="spread", at=j))
            else:
                node, j = self.expression(j, d, limit=end, pair_key=True)
                if j < end and self.op(j, *self.s.pair_ops) and self.t[j].text != ",":
                    value, j = self.expression(j + 1, d, limit=end)
                    pairs.append((node, value))
                elif node.kind == "name" and close == "}" and self.op(j, "("):
                    j = self._skip_method(j)  # { f() { … } }: a method, not a value
                else:
                    items.append(node)
            j = self.skip_nl(j)
            if j < end and self.op(j, ",", ";", "=>"):
                j = self.skip_nl(j + 1)
                continue
            if j < end:
                j = self._skip_to(j, end, (",",))
                if j < end:
                    j += 1
        return items, pairs, min(end + 1, self.n)

    def expression(self, i: int, d: int, *, limit: int | None = None, nl_ends: bool = False,
                   pair_key: bool = False) -> tuple[Node, int]:
        """An operand, joined to more by the concatenation operator; anything else it is
        combined with makes it unknown (and is skipped up to the next separator)."""
        end = self.n if limit is None else limit
        i = self.skip_nl(i) if not nl_ends else i
        if i >= end:
            return Node("unknown", at=i), i
        node, j = self.operand(i, d)
        parts = [node]
        while j < end and self.t[j].kind == OP and self.t[j].text in self.s.concat:
            nxt, j = self.operand(j + 1, d)
            parts.append(nxt)
        if len(parts) > 1:
            node = Node("concat", items=parts, at=i)
        if j >= end or self._ends(j, nl_ends, pair_key):
            return node, min(j, end)
        # a ternary, an arithmetic or logical operator…: the value is unknown
        j = self._skip_to(j, end, (",",), nl_ends=nl_ends)
        return Node("unknown", base=node, at=i), j

    def _ends(self, j: int, nl_ends: bool, pair_key: bool) -> bool:
        tok = self.t[j]
        if tok.kind == NL:
            return True
        if tok.kind == OP:
            if tok.text in (",", ")", "]", "}", ";"):
                return True
            if pair_key and tok.text in self.s.pair_ops:
                return True
            return tok.text == "=>"
        return tok.kind == NAME and (tok.text in self.s.stop_words or tok.text == "do")

    def _skip_to(self, j: int, end: int, stops: tuple[str, ...], nl_ends: bool = False) -> int:
        while j < end:
            tok = self.t[j]
            if tok.kind == OP and tok.text in stops:
                return j
            if tok.kind == OP and tok.text in (")", "]", "}", ";"):
                return j
            if nl_ends and (tok.kind == NL or (tok.kind == NAME and tok.text in
                            self.s.stop_words)):
                return j
            if tok.kind == OP and tok.text in _OPEN:
                j = self.after(j)
                continue
            j += 1
        return end

    def _skip_any(self, i: int) -> int:
        if self.op(i, *_OPEN):
            return self.after(i)
        return i + 1

    def _skip_function(self, j: int) -> int:
        """Past ``function name(args) { body }`` / ``sub { … }`` / ``fn(x) => expr``."""
        while j < self.n and self.t[j].kind == NAME:
            j += 1
        if self.op(j, "("):
            j = self.after(j)
        if self.op(j, ":"):
            j = self._skip_to(j, self.n, ("{",))
        if self.op(j, "{"):
            return self.after(j)
        if self.op(j, "=>"):
            return self._skip_arrow_body(j + 1)
        return j

    def _skip_arrow_body(self, j: int) -> int:
        if self.op(j, "{"):
            return self.after(j)
        return self._skip_to(j, self.n, (",",))

    def _skip_method(self, j: int) -> int:
        j = self.after(j)
        return self.after(j) if self.op(j, "{") else j


def _collection(items: list[Node], pairs: list[tuple[Node, Node]], at: int) -> Node:
    if pairs:
        return Node("object", pairs=pairs, items=items, at=at)
    return Node("array", items=items, at=at)


def _with_pairs(items: list[Node], pairs: list[tuple[Node, Node]], at: int) -> list[Node]:
    """Keyword arguments (Ruby ``a: 1``, Perl ``a => 1``, PHP ``a: 1``) as a trailing
    object argument."""
    if pairs:
        return [*items, Node("object", pairs=pairs, at=at)]
    return items


def walk(node: Node, depth: int = 0) -> Iterator[Node]:
    if depth > MAX_DEPTH * 2:
        return
    yield node
    for child in (node.base, node.key):
        if child is not None:
            yield from walk(child, depth + 1)
    for child in node.items:
        yield from walk(child, depth + 1)
    for k, v in node.pairs:
        yield from walk(k, depth + 1)
        yield from walk(v, depth + 1)


# ---- the analysis the token-read languages share -------------------------------------------

class TokenCode:
    """Bindings, values and the judging of every call, for one language. Subclasses give
    the syntax, how names bind, what global names mean, and what each function does."""

    syntax: Syntax
    lang = ""
    EXEC_LIMIT = 8

    def __init__(self, fx: Effects, depth: int = 0) -> None:
        self.fx = fx
        self.depth = depth
        self.bindings: dict[str, list[Any]] = {}
        self.readers: list[Reader] = []
        self._stack: set[int] = set()
        self._memo: dict[str, Value] = {}
        self._judged: set[tuple[int, int]] = set()

    def run(self, lexed: Lexed, what: str) -> None:
        if lexed.error:
            self.fx.held(f"{what} cannot be read: {lexed.error}")
            return
        streams = [lexed.tokens, *lexed.nested]
        self.readers = [Reader(toks, self.syntax) for toks in streams]
        for reader in self.readers:
            self.bind(reader)
        for n, reader in enumerate(self.readers):
            self.judge(reader, n)

    # ---- to be given by each language --------------------------------------------------

    def bind(self, reader: Reader) -> None:
        """Record the names ``reader``'s code binds (``self.set``)."""

    def global_name(self, name: str) -> Value:
        """What a name no binding gives means in the language (builtins, globals)."""
        return UNKNOWN

    def member(self, base: Value, name: str) -> Value:
        if isinstance(base, OneOf):
            return one_of([self.member(b, name) for b in base.values])
        if isinstance(base, Ref):
            return Ref(f"{base.name}.{name}", path=base.path, base=base.base)
        return UNKNOWN

    def call_value(self, callee: Value, args: list[Value], node: Node) -> Value:
        """The value a call returns (a module from ``require``, a path object…)."""
        return UNKNOWN

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        """Report what calling ``callee`` does."""

    def dynamic_call(self, node: Node) -> None:
        """A call whose callee is computed (``obj[name](…)``, ``$f(…)``)."""

    # ---- bindings ----------------------------------------------------------------------

    def set(self, name: str, what: Any) -> None:
        self.bindings.setdefault(name, []).append(what)
        self._memo.clear()

    def name(self, name: str) -> Value:
        if name in self._memo:
            return self._memo[name]
        found = self.bindings.get(name)
        if not found:
            v = self.global_name(name)
        else:
            values: list[Any] = []
            for what in found:
                if isinstance(what, Node):
                    key = id(what)
                    if key in self._stack:
                        val: Value = UNKNOWN
                    else:
                        self._stack.add(key)
                        try:
                            val = self.value(what)
                        finally:
                            self._stack.discard(key)
                else:
                    val = what
                values.append(val)
            v = one_of(values)
        if not self._stack:
            self._memo[name] = v
        return v

    # ---- values ------------------------------------------------------------------------

    def value(self, node: Node, depth: int = 0) -> Value:
        if depth > MAX_DEPTH:
            return UNKNOWN
        d = depth + 1
        k = node.kind
        if k == "str":
            return node.text
        if k == "num":
            try:
                return int(node.text, 0)
            except ValueError:
                return node.text
        if k == "name":
            return self.name(node.text)
        if k == "member":
            return self.member(self.value(node.base, d) if node.base else UNKNOWN, node.text)
        if k == "index":
            base = self.value(node.base, d) if node.base else UNKNOWN
            key = single(self.value(node.key, d)) if node.key else UNKNOWN
            return self.index(base, key)
        if k == "concat":
            parts = [text_of(single(self.value(p, d))) for p in node.items]
            return "".join(p if p is not None else DYNAMIC for p in parts)
        if k == "array":
            out: list[Any] = []
            for item in node.items:
                if item.flag == "spread":
                    inner = single(self.value(item.base, d)) if item.base else UNKNOWN
                    out.extend(inner if isinstance(inner, list) else [UNKNOWN])
                else:
                    out.append(single(self.value(item, d)))
            return out
        if k == "object":
            obj: dict[str, Any] = {}
            for key_node, val_node in node.pairs:
                key = key_node.text if key_node.kind in ("name", "str") else None
                obj[key if key is not None else DYNAMIC] = single(self.value(val_node, d))
            for item in node.items:
                if item.kind == "name":  # { method } shorthand
                    obj[item.text] = single(self.value(item, d))
                elif item.flag == "spread":
                    inner = single(self.value(item.base, d)) if item.base else UNKNOWN
                    if isinstance(inner, dict):
                        obj.update(inner)
                    else:
                        obj[DYNAMIC] = UNKNOWN
            return obj
        if k == "call":
            callee = self.value(node.base, d) if node.base else UNKNOWN
            args = [self.value(a, d) for a in node.items]
            return self.call_value(single(callee) if not isinstance(callee, OneOf) else callee,
                                   [single(a) for a in args], node)
        return UNKNOWN

    def index(self, base: Value, key: Value) -> Value:
        t = text_of(key)
        if isinstance(base, dict) and t is not None:
            return base.get(t, UNKNOWN)
        if isinstance(base, list) and isinstance(key, int) and not isinstance(key, bool):
            return base[key] if -len(base) <= key < len(base) else UNKNOWN
        if isinstance(base, (Ref, OneOf)) and t is not None and DYNAMIC not in t:
            return self.member(base, t)
        return UNKNOWN

    # ---- judging -----------------------------------------------------------------------

    def judge(self, reader: Reader, n: int) -> None:
        toks = reader.t
        member_ops = self.syntax.member
        for i, tok in enumerate(toks):
            if tok.kind not in (NAME, STR, CMD, REGEX):
                continue
            if i > 0 and toks[i - 1].kind == OP and toks[i - 1].text in member_ops:
                continue
            limits.check()
            node, _ = reader.operand(i)
            for sub in walk(node):
                key = (n, sub.at * 16 + _KIND_KEY.get(sub.kind, 0))
                if sub.kind not in _KIND_KEY or key in self._judged:
                    continue
                self._judged.add(key)
                self.judge_node(sub, reader)

    def judge_node(self, node: Node, reader: Reader) -> None:
        if node.kind == "cmd":
            self.fx.shell(node.text, "runs a command in backticks")
            return
        if node.kind == "regex":
            if node.flag == "code":
                self.fx.held("runs the replacement of a substitution as code (s///e)")
            return
        if node.kind == "index":
            self.check_index(node)
            return
        if node.kind != "call":
            return
        callee = self.value(node.base) if node.base is not None else UNKNOWN
        targets = [r for r in _refs(callee)]
        args = [self.value(a) for a in node.items]
        for a, v in zip(node.items, args, strict=True):
            self.on_argument(a, v, targets)
        if not targets:
            self.dynamic_call(node)
            return
        for ref in targets:
            for alt in _alternatives(args):
                self.effect(ref, alt, node)

    def check_index(self, node: Node) -> None:
        """``obj[key]`` on a module with a key Airlock cannot read."""
        base = self.value(node.base) if node.base is not None else UNKNOWN
        key = single(self.value(node.key)) if node.key is not None else UNKNOWN
        t = text_of(key)
        literal = node.key is not None and node.key.kind in ("str", "num")
        if (not literal or t is None or DYNAMIC in t) and \
                any(self.sensitive(r) for r in _refs(base)):
            shown = ", ".join(sorted({r.name for r in _refs(base)}))
            self.fx.held(f"looks a member of {shown} up by a computed name")

    def sensitive(self, ref: Ref) -> bool:
        return False

    def on_argument(self, node: Node, value: Value, callees: list[Ref]) -> None:
        """An argument that is itself a function that deletes or runs (held)."""

    def exec_text(self, source: Value, how: str) -> None:
        t = text_of(single(source))
        if t is None or DYNAMIC in t:
            self.fx.held(f"evaluates code Airlock cannot see ({how})")
            return
        if self.depth >= self.EXEC_LIMIT:
            self.fx.held(f"nests evaluated code deeper than Airlock follows ({how})")
            return
        from airlock.classify.code.lexer import tokenize

        inner = type(self)(self.fx, self.depth + 1)
        inner.bindings = {k: list(v) for k, v in self.bindings.items()}
        inner.run(tokenize(t, self.lexer_name()), f"code evaluated by {how}")

    def lexer_name(self) -> str:
        return self.lang


_KIND_KEY = {"call": 1, "cmd": 2, "regex": 3, "index": 4}


def _refs(v: Value) -> list[Ref]:
    return [x for x in (v.values if isinstance(v, OneOf) else (v,)) if isinstance(x, Ref)]


def _alternatives(args: list[Value]) -> Iterator[list[Value]]:
    for i, a in enumerate(args):
        if isinstance(a, OneOf):
            for v in a.values[:MAX_ALTERNATIVES]:
                yield [*args[:i], v, *(single(x) for x in args[i + 1:])]
            return
    yield args


def arg(args: list[Value], i: int) -> Value:
    return args[i] if len(args) > i else UNKNOWN


def option(args: list[Value], key: str, default: Value = None) -> Value:
    """``key`` of the last argument when it is an object (an options bag)."""
    for a in reversed(args):
        if isinstance(a, dict):
            return a.get(key, default)
    return default


def glob_or(v: Value) -> Value:
    t = text_of(v)
    if t is not None and any(c in t for c in "*?[") and DYNAMIC not in t:
        return Glob(t)
    return v
