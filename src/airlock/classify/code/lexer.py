"""Tokenizers for the interpreters Airlock has no parser for: JavaScript, Perl, Ruby, PHP
(and the one-liners of Lua, R and AppleScript, which share the JavaScript one).

A regular expression run over the whole text cannot tell ``system("x")`` from the same
words inside a string or a comment; these tokenizers can. Each reads its language's
strings (with their escapes decoded and their interpolations marked :data:`DYNAMIC`),
comments, template literals, heredocs and quote-like operators, and hands back a flat
list of :class:`Token`. Code inside an interpolation (``${…}`` in JavaScript, ``#{…}``
in Ruby, ``{$…}`` in PHP) is tokenized too and returned apart (``Lexed.nested``): it
runs, so it is analysed, but it is not part of the string around it.

Every tokenizer runs in one pass over the text (nested interpolations at most
:data:`MAX_NESTING` deep) and never raises: text it cannot finish (an unterminated
string, comment or heredoc) sets ``Lexed.error``, and the caller holds the action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from airlock.classify.command import DYNAMIC

MAX_NESTING = 16

NAME, STR, CMD, NUM, OP, NL, REGEX = "name", "str", "cmd", "num", "op", "nl", "regex"


@dataclass(slots=True)
class Token:
    """One token. ``value`` is a string's text after escapes (unknown parts DYNAMIC);
    a ``cmd`` token (backticks, ``qx``, ``%x``) is a command its value spells; a
    ``regex`` token whose ``value`` is ``"code"`` runs code (Perl ``s///e``)."""

    kind: str
    text: str
    pos: int
    value: str = ""


@dataclass(slots=True)
class Lexed:
    tokens: list[Token] = field(default_factory=list)
    nested: list[list[Token]] = field(default_factory=list)
    error: str | None = None


# Character classes, spelt negatively (the same sets as ``[A-Za-z_\u0080-\uffff]``…, which
# take milliseconds each to compile): a letter, ``_`` or any non-ASCII character starts a
# name, digits may follow; JavaScript adds ``$``. _NAME and _JS_NAME end in the class of
# the characters that follow the first, for the caller's ``*``.
_NAME = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]" + r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_JS_START = r"[^\x00-\x23\x25-\x40\x5b-\x5e\x60\x7b-\x7f]"
_JS_NAME = _JS_START + r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_OCTAL = re.compile(r"[0-7]{1,3}")
_PERL_NAME = re.compile(_NAME + r"*"
                        r"(?:(?:::|')[A-Za-z_][A-Za-z0-9_]*)*")
_RUBY_SYMBOL = re.compile(_NAME + r"*[?!=]?")
_IDENT_START = re.compile(_JS_START)
_JS_IDENT = re.compile(_JS_NAME + r"*")
_WORD = re.compile(_NAME + r"*")
_NUM = re.compile(r"0[xX][0-9a-fA-F_]+n?|0[bB][01_]+n?|0[oO][0-7_]+n?|"
                  r"(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?n?")
_JS_OPS = ("...", "?.", "=>", "===", "!==", "==", "!=", "**", "&&", "||", "??", "++", "--",
           "<=", ">=", "+=", "-=")
_PERL_OPS = ("->", "=>", "::", "=~", "!~", "==", "!=", "<=>", "&&", "||", "//", "..", "**",
             "++", "--", "<=", ">=", ".=", "+=", "-=")
_RUBY_OPS = ("::", "&.", "=>", "==", "!=", "=~", "!~", "<=>", "&&", "||", "..", "**", "<=",
             ">=", "+=", "-=", "||=", "->")
_PHP_OPS = ("->", "?->", "=>", "::", "===", "!==", "==", "!=", "&&", "||", "??", "...", "++",
            "--", ".=", "+=", "-=", "<=", ">=")

_JS_REGEX_AFTER_WORDS = frozenset({"return", "typeof", "case", "do", "else", "in", "of", "new",
                                   "delete", "void", "throw", "instanceof", "yield", "await"})
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}

_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f",
                   "v": "\v", "a": "\a", "e": "\x1b"}


def _op(code: str, i: int, ops: tuple[str, ...]) -> str:
    for op in ops:
        if code.startswith(op, i):
            return op
    return code[i]


def _operator(r: _Reader, code: str, i: int, ops: tuple[str, ...], braces: int
              ) -> tuple[int, int]:
    """The operator at ``code[i]`` as a token, every language's lexer alike: the index
    after it and the depth of ``{`` braces it leaves (an interpolation ends at a ``}``
    that closes none)."""
    op = _op(code, i, ops)
    r.add(OP, i, i + len(op))
    return i + len(op), braces + (op == "{") - (op == "}")


def _decode_escape(code: str, i: int, style: str) -> tuple[str, int]:
    """The character(s) the escape at ``code[i]`` (after the backslash) stands for, and
    the index after it. ``style`` is the language's: js, perl, ruby, php."""
    if i >= len(code):
        return "\\", i
    c = code[i]
    if c == "\n":
        return "", i + 1  # a line continuation
    if c == "x":
        m = re.compile(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{1,2})").match(code, i + 1)
        if m:
            return _chr(int(m.group(1) or m.group(2), 16)), m.end()
        return c, i + 1
    if c == "u" and style in ("js", "ruby", "php"):
        m = re.compile(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4})").match(code, i + 1)
        if m:
            return _chr(int(m.group(1) or m.group(2), 16)), m.end()
        return c, i + 1
    if c in "01234567" and style in ("perl", "ruby", "php"):
        m = _OCTAL.match(code, i)
        if m:
            return _chr(int(m.group(0), 8)), m.end()
    if c in _SIMPLE_ESCAPES and not (c == "a" and style == "js") \
            and not (c == "e" and style == "js"):
        return _SIMPLE_ESCAPES[c], i + 1
    return c, i + 1


def _chr(n: int) -> str:
    try:
        return chr(n)
    except (ValueError, OverflowError):
        return "?"


class _Reader:
    """The shared machinery: a position in the text and the output."""

    def __init__(self, code: str, out: Lexed, depth: int) -> None:
        self.code = code
        self.out = out
        self.depth = depth
        self.n = len(code)

    def fail(self, why: str) -> int:
        if self.out.error is None:
            self.out.error = why
        return self.n

    def add(self, kind: str, start: int, end: int, value: str = "") -> None:
        self.out.tokens.append(Token(kind, self.code[start:end], start, value))

    def prev(self) -> Token | None:
        return self.out.tokens[-1] if self.out.tokens else None

    def nested_code(self, lexer: str, start: int, close: str = "}") -> int:
        """Tokenize the code of an interpolation starting at ``start`` up to its closing
        brace; returns the index after the brace."""
        if self.depth >= MAX_NESTING:
            return self.fail("interpolations nested too deep")
        inner = Lexed()
        end = LEXERS[lexer](self.code, start, inner, self.depth + 1, close)
        self.out.nested.append(inner.tokens)
        self.out.nested.extend(inner.nested)
        if inner.error:
            return self.fail(inner.error)
        if end >= self.n or self.code[end] != close:
            return self.fail("an interpolation is not closed")
        return end + 1


# ---- JavaScript -------------------------------------------------------------------------

def _lex_js(code: str, i: int, out: Lexed, depth: int, close: str | None) -> int:
    """JavaScript from ``code[i]``; stops at an unmatched ``close`` brace (for ``${…}``)."""
    r = _Reader(code, out, depth)
    n = r.n
    braces = 0
    if i == 0 and code.startswith("#!"):
        i = code.find("\n") if "\n" in code else n
    while i < n:
        c = code[i]
        if c in " \t\r\n\f\v\ufeff\u00a0\u2028\u2029":
            i += 1
        elif code.startswith("//", i) or code.startswith("<!--", i):
            j = code.find("\n", i)
            i = n if j == -1 else j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            if j == -1:
                return r.fail("a /* comment is not closed")
            i = j + 2
        elif c in "'\"":
            i = _js_string(r, i)
        elif c == "`":
            i = _js_template(r, i)
        elif c.isdigit() or (c == "." and i + 1 < n and code[i + 1].isdigit()):
            m = _NUM.match(code, i)
            end = m.end() if m and m.end() > i else i + 1
            r.add(NUM, i, end)
            i = end
        elif _IDENT_START.match(c) or (c == "#" and i + 1 < n and _IDENT_START.match(code[i + 1])):
            m = _JS_IDENT.match(code, i + (c == "#"))
            end = m.end() if m else i + 1
            r.add(NAME, i, end)
            i = end
        elif c == "/" and _js_regex_allowed(r.prev()):
            i = _js_regex(r, i)
        elif c == "}" and close == "}" and braces == 0:
            return i
        else:
            i, braces = _operator(r, code, i, _JS_OPS, braces)
    if close is not None:
        return r.fail("an interpolation is not closed")
    return i


def _js_regex_allowed(prev: Token | None) -> bool:
    if prev is None:
        return True
    if prev.kind in (NUM, STR, REGEX, CMD):
        return False
    if prev.kind == NAME:
        return prev.text in _JS_REGEX_AFTER_WORDS
    return prev.text not in (")", "]", "}", "++", "--")


def _js_regex(r: _Reader, i: int) -> int:
    code, n = r.code, r.n
    j = i + 1
    in_class = False
    while j < n:
        c = code[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n":
            return r.fail("a regular expression is not closed")
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            break
        j += 1
    if j >= n:
        return r.fail("a regular expression is not closed")
    j += 1
    while j < n and (code[j].isalnum() or code[j] == "_"):
        j += 1
    r.add(REGEX, i, j)
    return j


def _js_string(r: _Reader, i: int) -> int:
    code, n = r.code, r.n
    q = code[i]
    j = i + 1
    parts: list[str] = []
    while j < n:
        c = code[j]
        if c == q:
            r.add(STR, i, j + 1, "".join(parts))
            return j + 1
        if c == "\\":
            ch, j = _decode_escape(code, j + 1, "js")
            parts.append(ch)
            continue
        if c == "\n":
            return r.fail("a string is not closed")
        parts.append(c)
        j += 1
    return r.fail("a string is not closed")


def _js_template(r: _Reader, i: int) -> int:
    code, n = r.code, r.n
    j = i + 1
    parts: list[str] = []
    while j < n:
        c = code[j]
        if c == "`":
            r.add(STR, i, j + 1, "".join(parts))
            return j + 1
        if c == "\\":
            ch, j = _decode_escape(code, j + 1, "js")
            parts.append(ch)
            continue
        if code.startswith("${", j):
            parts.append(DYNAMIC)
            j = r.nested_code("js", j + 2)
            continue
        parts.append(c)
        j += 1
    return r.fail("a template literal is not closed")


# ---- shared by Perl, Ruby and PHP -------------------------------------------------------

def _quoted(r: _Reader, i: int, open_: str, *, interpolate: bool, style: str,
            lexer: str) -> tuple[str, int]:
    """The text between ``open_`` (at ``code[i]``) and its closing delimiter (nesting for
    bracket pairs), with escapes decoded when ``interpolate`` (else only ``\\\\`` and
    the delimiter), and variables and ``#{…}`` marked DYNAMIC. Returns (text, index
    after the closing delimiter); on an unterminated string, (text, len)."""
    code, n = r.code, r.n
    close = _PAIRS.get(open_, open_)
    depth = 0
    j = i + 1
    parts: list[str] = []
    while j < n:
        c = code[j]
        if c == "\\" and j + 1 < n:
            nxt = code[j + 1]
            if interpolate:
                ch, j = _decode_escape(code, j + 1, style)
                parts.append(ch)
            else:
                parts.append(nxt if nxt in ("\\", open_, close) else "\\" + nxt)
                j += 2
            continue
        if c == close and depth == 0:
            return "".join(parts), j + 1
        if open_ != close:
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
        if interpolate:
            if style == "ruby" and code.startswith("#{", j):
                parts.append(DYNAMIC)
                j = r.nested_code(lexer, j + 2)
                continue
            if style == "php" and code.startswith("{$", j):
                parts.append(DYNAMIC)
                j = r.nested_code(lexer, j + 1)
                continue
            if style == "perl" and c in "$@" and code.startswith("{", j + 1):
                parts.append(DYNAMIC)  # "${\\ …}", "@{[ … ]}": code run inside a string
                j = r.nested_code(lexer, j + 2)
                continue
            if c in "$@" and style in ("perl", "php") and j + 1 < n and (
                    code[j + 1].isalpha() or code[j + 1] in "_{:" or
                    (style == "perl" and code[j + 1] in "$!0123456789&`'+")):
                if c == "@" and style == "php":
                    parts.append(c)
                    j += 1
                    continue
                parts.append(DYNAMIC)
                j = _skip_interpolated_var(code, j + 1)
                continue
            if style == "ruby" and c == "#" and j + 1 < n and code[j + 1] in "@$":
                parts.append(DYNAMIC)
                j = _skip_interpolated_var(code, j + 2)
                continue
        parts.append(c)
        j += 1
    r.fail("a string is not closed")
    return "".join(parts), n


def _skip_interpolated_var(code: str, j: int) -> int:
    """Past ``$name``, ``${…}``, ``$h{…}``, ``$a[…]``, ``$o->{…}`` inside a string."""
    n = len(code)
    if j < n and code[j] == "{":
        k = code.find("}", j)
        return n if k == -1 else k + 1
    m = re.compile(r"[$]*(?:[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*|\d+|.)").match(
        code, j)
    j = m.end() if m else j + 1
    while j < n:
        if code.startswith("->", j) and j + 2 < n and code[j + 2] in "[{":
            j += 2
        if j < n and code[j] in "[{":
            close = "]" if code[j] == "[" else "}"
            k = code.find(close, j)
            if k == -1:
                return n
            j = k + 1
            continue
        break
    return j


def _heredoc_bodies(r: _Reader, j: int, pending: list[tuple[str, bool, bool, Token]],
                    style: str, lexer: str) -> int:
    """At the start of the line after heredoc openers: read each body (up to its tag
    line) into the string token left where its opener was. Returns the index after the
    last body."""
    code, n = r.code, r.n
    for tag, interpolate, indented, tok in pending:
        start = j
        while True:
            if j >= n:
                return r.fail(f"heredoc {tag} is not closed")
            end = code.find("\n", j)
            line = code[j:] if end == -1 else code[j:end]
            if (line.strip() if indented else line.rstrip("\r")) == tag:
                body = code[start:j]
                j = n if end == -1 else end + 1
                break
            j = n if end == -1 else end + 1
        if interpolate:
            sub = _Reader(body + "\x00", r.out, r.depth)
            text, _ = _quoted(sub, -1, "\x00", interpolate=True, style=style, lexer=lexer)
        else:
            text = body
        tok.value = text
    return j


def _lex_sigil_var(r: _Reader, i: int, sigils: str) -> int:
    """``$x``, ``@x``, ``%x``, ``$#x``, ``${x}``, ``$::x``, ``@@x``: one name token."""
    code, n = r.code, r.n
    j = i + 1
    while j < n and code[j] in sigils and j - i < 3:
        j += 1
    if j < n and code[j] == "#":  # $#array
        j += 1
    m = re.compile(r"(?:::)?[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*|\d+|\^\w").match(
        code, j)
    if m:
        j = m.end()
    elif j < n and code[j] != "{":
        j += 1  # $_ handled above; punctuation variables: $!, $@, $0 …
    r.add(NAME, i, j)
    return j


# ---- Perl -------------------------------------------------------------------------------

_PERL_QUOTE = re.compile(r"(qq|qw|qx|qr|q|m|s|tr|y)(?![A-Za-z0-9_])")
_PERL_HEREDOC = re.compile(r"<<(~?)(?:\"([^\"\n]*)\"|'([^'\n]*)'|([A-Za-z_][A-Za-z0-9_]*))")
_PERL_REGEX_AFTER = frozenset({"(", ",", "=", "=~", "!~", "!", "&&", "||", "{", ";", "?",
                               ":", "and", "or", "not", "if", "unless", "return", "split",
                               "grep", "map", "join", "when", "while", "until", "x"})


def _lex_perl(code: str, i: int, out: Lexed, depth: int, close: str | None) -> int:
    r = _Reader(code, out, depth)
    n = r.n
    pending: list[tuple[str, bool, bool, Token]] = []
    braces = 0
    line_start = True
    if i == 0 and code.startswith("#!"):
        i = code.find("\n") if "\n" in code else n
    while i < n:
        c = code[i]
        if c == "\n":
            i += 1
            if pending:
                i = _heredoc_bodies(r, i, pending, "perl", "perl")
                pending = []
            line_start = True
            continue
        if line_start and c == "=" and i + 1 < n and code[i + 1].isalpha():
            m = re.compile(r"^=cut\b.*$", re.M).search(code, i)
            i = n if m is None else m.end()
            continue
        if line_start and code.startswith(("__END__", "__DATA__"), i):
            return n
        line_start = False
        if c in " \t\r\f":
            i += 1
        elif c == "#":
            j = code.find("\n", i)
            i = n if j == -1 else j
        elif c in "'\"":
            start = i
            text, i = _quoted(r, i, c, interpolate=c == '"', style="perl", lexer="perl")
            r.add(STR, start, i, text)
        elif c == "`":
            start = i
            text, i = _quoted(r, i, c, interpolate=True, style="perl", lexer="perl")
            r.add(CMD, start, i, text)
        elif c in "$@%&" and i + 1 < n and (code[i + 1].isalnum() or code[i + 1] in "_:{#$"
                                            or (c == "$" and code[i + 1] in "!@0&`'+/\\,;.")):
            if c in "%&" and _operand_expected(r.prev()) is False:
                r.add(OP, i, i + 1)
                i += 1
            else:
                i = _lex_sigil_var(r, i, "$")
        elif (m := _PERL_HEREDOC.match(code, i)) and _operand_expected(r.prev()) is not False:
            tag = m.group(2) if m.group(2) is not None else (
                m.group(3) if m.group(3) is not None else m.group(4))
            r.add(STR, i, m.end())
            pending.append((tag, m.group(3) is None, bool(m.group(1)), r.out.tokens[-1]))
            i = m.end()
        elif (m := _PERL_QUOTE.match(code, i)) and not _after_arrow(r.prev()) and \
                _perl_quote_delim(code, m.end()) is not None:
            i = _perl_quote_like(r, i, m.group(1), m.end())
        elif c.isdigit():
            m2 = _NUM.match(code, i)
            end = m2.end() if m2 and m2.end() > i else i + 1
            r.add(NUM, i, end)
            i = end
        elif c.isalpha() or c == "_":
            m2 = _PERL_NAME.match(code, i)
            end = m2.end() if m2 else i + 1
            r.add(NAME, i, end)
            i = end
        elif c == "/" and _perl_regex_allowed(r.prev()):
            i = _perl_quote_like(r, i - 0, "m", i)
        elif c == "}" and close == "}" and braces == 0:
            return i
        else:
            i, braces = _operator(r, code, i, _PERL_OPS, braces)
    if pending:
        return r.fail("a heredoc is not closed")
    if close is not None:
        return r.fail("an interpolation is not closed")
    return i


def _after_arrow(prev: Token | None) -> bool:
    return (prev is not None and prev.kind == OP and prev.text in ("->", "=>", "::")) or (
        prev is not None and prev.kind == OP and prev.text == "{")


def _operand_expected(prev: Token | None) -> bool | None:
    """True where an operand is expected (start, after an operator), False after an
    operand (a name, a string, a closing bracket)."""
    if prev is None:
        return True
    if prev.kind in (STR, NUM, CMD, REGEX):
        return False
    if prev.kind == NAME:
        if prev.text[:1] in "$@%&":
            return False  # a variable
        return None  # a function name: either
    return prev.text not in (")", "]", "}")


def _perl_regex_allowed(prev: Token | None) -> bool:
    if prev is None:
        return True
    if prev.kind == OP:
        return prev.text not in (")", "]", "}")
    return prev.kind == NAME and prev.text in _PERL_REGEX_AFTER


def _perl_quote_delim(code: str, j: int) -> str | None:
    """The delimiter of a quote-like operator whose name ends at ``j`` (``q{``, ``qw (``,
    ``s#``), or None when what follows is not one (``s => 1``, ``y = 2``)."""
    n = len(code)
    k = j
    while k < n and code[k] in " \t\n":
        k += 1
    if k >= n:
        return None
    d = code[k]
    if d == "#" and k > j:
        return None  # q #… is q followed by a comment
    if (d.isalnum() and k == j) or d == "_" or (d in ",;)=" and not (d == "=" and k == j and
                                                                   code[k:k + 2] != "=>")):
        return None
    if d == "=" and code.startswith("=>", k):
        return None
    if d in ")]}>":
        return None  # $h{s}, (q), [y]
    if d.isspace():
        return None
    return d


def _perl_quote_like(r: _Reader, start: int, op: str, j: int) -> int:
    code = r.code
    d = _perl_quote_delim(code, j) if op != "m" or code[j] != "/" else "/"
    if d is None:
        r.add(NAME, start, j)
        return j
    k = code.index(d, j)
    interpolate = op in ("qq", "qx", "m", "qr", "s") and d != "'"
    text, end = _quoted(r, k, d, interpolate=interpolate and op in ("qq", "qx"), style="perl",
                        lexer="perl")
    if op in ("s", "tr", "y"):
        # the replacement part: s/a/b/, s{a}{b}, s{a}/b/
        close = _PAIRS.get(d, d)
        if close != d:
            while end < r.n and code[end] in " \t\n":
                end += 1
            if end >= r.n:
                return r.fail("a substitution is not closed")
            _repl, end = _quoted(r, end, code[end], interpolate=False, style="perl",
                                 lexer="perl")
        else:
            _repl, end = _quoted(r, end - 1, d, interpolate=False, style="perl", lexer="perl")
    m = re.compile(r"[a-zA-Z]*").match(code, end)
    flags = m.group(0) if m else ""
    end += len(flags)
    if op == "qw":
        r.add(STR, start, end, " ".join(text.split()))
        r.out.tokens[-1].kind = "words"
    elif op == "qx":
        r.add(CMD, start, end, text)
    elif op in ("q", "qq"):
        r.add(STR, start, end, text)
    else:
        r.add(REGEX, start, end, "code" if op == "s" and "e" in flags else "")
    return end


# ---- Ruby -------------------------------------------------------------------------------

_RUBY_PERCENT = re.compile(r"%([qQwWiIxrs]?)([^A-Za-z0-9\s])")
_RUBY_HEREDOC = re.compile(r"<<([~-]?)(?:\"([^\"\n]*)\"|'([^'\n]*)'|`([^`\n]*)`|"
                           r"([A-Z_][A-Za-z0-9_]*))")
_RUBY_REGEX_AFTER = frozenset({"if", "unless", "when", "and", "or", "not", "return", "while",
                               "until", "puts", "p", "print", "split", "scan", "match", "gsub",
                               "sub", "then", "elsif"})


def _lex_ruby(code: str, i: int, out: Lexed, depth: int, close: str | None) -> int:
    r = _Reader(code, out, depth)
    n = r.n
    pending: list[tuple[str, bool, bool, Token]] = []
    braces = 0
    line_start = True
    if i == 0 and code.startswith("#!"):
        i = code.find("\n") if "\n" in code else n
    while i < n:
        c = code[i]
        if c == "\n":
            r.add(NL, i, i + 1)
            i += 1
            if pending:
                i = _heredoc_bodies(r, i, pending, "ruby", "ruby")
                pending = []
            line_start = True
            continue
        if line_start and code.startswith("=begin", i):
            m = re.compile(r"^=end\b.*$", re.M).search(code, i)
            i = n if m is None else m.end()
            continue
        if line_start and code.startswith("__END__", i):
            return n
        line_start = False
        if c in " \t\r\f":
            i += 1
        elif c == "\\" and i + 1 < n and code[i + 1] == "\n":
            i += 2
        elif c == "#":
            j = code.find("\n", i)
            i = n if j == -1 else j
        elif c in "'\"":
            start = i
            text, i = _quoted(r, i, c, interpolate=c == '"', style="ruby", lexer="ruby")
            r.add(STR, start, i, text)
        elif c == "`":
            start = i
            text, i = _quoted(r, i, c, interpolate=True, style="ruby", lexer="ruby")
            r.add(CMD, start, i, text)
        elif c == ":" and i + 1 < n and code[i + 1] in "'\"" and not _ruby_ternary(r):
            start = i
            text, i = _quoted(r, i + 1, code[i + 1], interpolate=code[i + 1] == '"',
                              style="ruby", lexer="ruby")
            r.add(STR, start, i, text)
        elif c == ":" and (m := _RUBY_SYMBOL.match(code, i + 1)) and (
                i == 0 or code[i - 1] != ":"):
            r.add(STR, i, m.end(), m.group(0))
            i = m.end()
        elif c == "%" and (m := _RUBY_PERCENT.match(code, i)) and \
                _operand_expected(r.prev()) is not False:
            kind, d = m.group(1), m.group(2)
            start = i
            text, i = _quoted(r, m.end() - 1, d, interpolate=kind in ("", "Q", "W", "I", "x"),
                              style="ruby", lexer="ruby")
            if kind in ("w", "W", "i", "I"):
                r.add("words", start, i, " ".join(text.split()))
            elif kind == "x":
                r.add(CMD, start, i, text)
            elif kind == "r":
                r.add(REGEX, start, i)
            else:
                r.add(STR, start, i, text)
            m3 = re.compile(r"[a-z]*").match(code, i) if kind == "r" else None
            if m3:
                i = m3.end()
        elif (m := _RUBY_HEREDOC.match(code, i)) and _operand_expected(r.prev()) is not False:
            tag = next(g for g in m.groups()[1:] if g is not None)
            r.add(STR, i, m.end())
            pending.append((tag, m.group(3) is None, bool(m.group(1)), r.out.tokens[-1]))
            i = m.end()
        elif c in "$@" and i + 1 < n and (code[i + 1].isalnum() or code[i + 1] in "_@!~$0&"):
            i = _lex_sigil_var(r, i, "@")
        elif c.isdigit():
            m2 = _NUM.match(code, i)
            end = m2.end() if m2 and m2.end() > i else i + 1
            r.add(NUM, i, end)
            i = end
        elif c.isalpha() or c == "_" or ord(c) > 127:
            m2 = re.compile(_NAME + r"*[?!]?").match(code, i)
            end = m2.end() if m2 else i + 1
            if end < n and code[end] == "=" and code[end - 1] in "?!":
                end -= 1
            r.add(NAME, i, end)
            i = end
        elif c == "/" and _ruby_regex_allowed(r, i):
            start = i
            _text, i = _quoted(r, i, "/", interpolate=True, style="ruby", lexer="ruby")
            m3 = re.compile(r"[a-z]*").match(code, i)
            i = m3.end() if m3 else i
            r.add(REGEX, start, i)
        elif c == "}" and close == "}" and braces == 0:
            return i
        else:
            i, braces = _operator(r, code, i, _RUBY_OPS, braces)
    if pending:
        return r.fail("a heredoc is not closed")
    if close is not None:
        return r.fail("an interpolation is not closed")
    return i


def _ruby_ternary(r: _Reader) -> bool:
    prev = r.prev()
    return prev is not None and prev.kind in (NAME, STR, NUM) and prev.text[-1:] != "("


def _ruby_regex_allowed(r: _Reader, i: int) -> bool:
    prev = r.prev()
    if prev is None or prev.kind == NL:
        return True
    if prev.kind == OP:
        return prev.text not in (")", "]", "}")
    if prev.kind == NAME:
        if prev.text in _RUBY_REGEX_AFTER:
            return True
        # `foo /x/` (a call with a regex) versus `a / b`: a space before, none after
        nxt = r.code[i + 1:i + 2]
        return r.code[i - 1:i] == " " and nxt not in (" ", "=") and prev.text[:1].islower()
    return False


# ---- PHP --------------------------------------------------------------------------------

_PHP_HEREDOC = re.compile(r"<<<[ \t]*(?:\"([A-Za-z_][A-Za-z0-9_]*)\"|'([A-Za-z_][A-Za-z0-9_]*)'|"
                          r"([A-Za-z_][A-Za-z0-9_]*))\r?\n")


def _lex_php(code: str, i: int, out: Lexed, depth: int, close: str | None) -> int:
    r = _Reader(code, out, depth)
    n = r.n
    braces = 0
    if i == 0:
        stripped = code.lstrip()
        if stripped.startswith("<?php"):
            i = len(code) - len(stripped) + 5
        elif stripped.startswith("<?"):
            i = len(code) - len(stripped) + 2
    while i < n:
        c = code[i]
        if c in " \t\r\n\f":
            i += 1
        elif code.startswith("?>", i) and close is None:
            # leaving PHP: plain text until the next <?php
            j = code.find("<?", i + 2)
            if j == -1:
                return n
            i = j + (5 if code.startswith("<?php", j) else 2)
        elif code.startswith("//", i) or (c == "#" and not code.startswith("#[", i)):
            m = re.compile(r"\n|\?>").search(code, i)
            i = n if m is None else m.start()
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            if j == -1:
                return r.fail("a /* comment is not closed")
            i = j + 2
        elif c in "'\"":
            start = i
            text, i = _quoted(r, i, c, interpolate=c == '"', style="php", lexer="php")
            r.add(STR, start, i, text)
        elif c == "`":
            start = i
            text, i = _quoted(r, i, c, interpolate=True, style="php", lexer="php")
            r.add(CMD, start, i, text)
        elif m := _PHP_HEREDOC.match(code, i):
            tag = m.group(1) or m.group(2) or m.group(3)
            body_start = m.end()
            end_re = re.compile(r"^[ \t]*" + re.escape(tag) + r"\b", re.M)
            m2 = end_re.search(code, body_start)
            if m2 is None:
                return r.fail(f"heredoc {tag} is not closed")
            body = code[body_start:m2.start()].rstrip("\r\n")
            if m.group(2):
                text = body
            else:
                sub = _Reader(body + "\x00", r.out, r.depth)
                text, _ = _quoted(sub, -1, "\x00", interpolate=True, style="php", lexer="php")
            r.add(STR, i, m2.end(), text)
            i = m2.end()
        elif c == "$" and i + 1 < n and (code[i + 1].isalpha() or code[i + 1] in "_{$"):
            i = _lex_sigil_var(r, i, "$")
        elif c.isdigit():
            m2 = _NUM.match(code, i)
            end = m2.end() if m2 and m2.end() > i else i + 1
            r.add(NUM, i, end)
            i = end
        elif c.isalpha() or c in "_\\" or ord(c) > 127:
            m2 = re.compile(r"\\?" + _NAME + r"*"
                            r"(?:\\" + _NAME + r"*)*").match(
                code, i)
            if not m2:
                r.add(OP, i, i + 1)
                i += 1
                continue
            r.add(NAME, i, m2.end())
            i = m2.end()
        elif c == "}" and close == "}" and braces == 0:
            return i
        else:
            i, braces = _operator(r, code, i, _PHP_OPS, braces)
    if close is not None:
        return r.fail("an interpolation is not closed")
    return i


LEXERS = {"js": _lex_js, "perl": _lex_perl, "ruby": _lex_ruby, "php": _lex_php}


def tokenize(code: str, lang: str) -> Lexed:
    """The tokens of ``code`` in ``lang`` (``js``, ``perl``, ``ruby``, ``php``)."""
    out = Lexed()
    LEXERS[lang](code, 0, out, 0, None)
    return out
