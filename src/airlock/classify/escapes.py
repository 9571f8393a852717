"""The shell's own escape decoders: what ``printf``, ``echo -e`` and ``$'…'`` turn text into.

``printf '\\x72\\x6d -rf /srv' | sh`` runs ``rm``: Airlock has to read the text the way
bash does before it can judge it. Each decoder here follows bash 5 (in a UTF-8 locale)
exactly, or gives up: a function returns ``None`` for anything it does not model (a
``%f`` or ``%q`` conversion, a number bash would reject, a NUL byte), and the caller then
treats the output as unknown. The tests compare every answer with bash itself.

Four dialects of backslash escapes exist, and they differ in small ways:

=================  ===============  ===============  ==================  ============
escape             ``$'…'``         printf format    ``%b``              ``echo -e``
=================  ===============  ===============  ==================  ============
``\\nnn`` (1-7)     octal, 1-3       octal, 1-3       octal, 1-3          kept as is
``\\0nnn``          ``\\0nn`` + n     ``\\0nn`` + n     0 then 3 digits     0 then 3
``\\cX``            control char     kept as is       ends all output     ends output
``\\" \\' \\?``       the character    the character    kept as is          kept as is
=================  ===============  ===============  ==================  ============

``\\a \\b \\e \\E \\f \\n \\r \\t \\v \\\\``, ``\\xHH``, ``\\uHHHH`` and ``\\UHHHHHHHH`` mean
the same in all four.
"""

from __future__ import annotations

import bisect
from typing import Any

_SIMPLE = {"a": 7, "b": 8, "e": 27, "E": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
           "\\": 92}
_OCT = frozenset("01234567")
_HEX = frozenset("0123456789abcdefABCDEF")
ANSI_C = "ansi"
FORMAT = "format"
ECHO = "echo"  # echo -e
PERCENT_B = "%b"  # printf's %b: echo's escapes, and octal without the leading 0 too


def _digits(text: str, i: int, allowed: frozenset[str], most: int) -> str:
    j = i
    while j < len(text) and j - i < most and text[j] in allowed:
        j += 1
    return text[i:j]


def _codepoint(value: int) -> bytes | None:
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return None  # bash prints these differently per version and locale: not modelled
    return chr(value).encode("utf-8")


def decode_escapes(text: str, dialect: str) -> tuple[bytes | None, bool]:
    """(the bytes ``text`` stands for under one dialect's backslash escapes, whether a
    ``\\c`` ended the output there); the bytes are ``None`` when ``text`` holds an escape
    this module does not model."""
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e in _SIMPLE:
            out.append(_SIMPLE[e])
        elif e in "\"'?" and dialect in (ANSI_C, FORMAT):
            out += e.encode()
        elif e == "c":
            if dialect in (ECHO, PERCENT_B):
                return bytes(out), True
            if dialect == ANSI_C and i < n:
                ch = text[i]
                i += 1
                if ch == "\\" and i < n and text[i] == "\\":
                    i += 1  # $'\c\\' is FS, written with the backslash doubled
                if ord(ch) > 127:
                    return None, False
                out.append(ord(ch.upper()) & 0x1F if ch != "?" else 0x7F)
            else:
                out += b"\\c"
        elif e in _OCT and (dialect != ECHO or e == "0"):
            if dialect in (ECHO, PERCENT_B) and e == "0":  # \0nnn: three after the 0
                digits = _digits(text, i, _OCT, 3)
                i += len(digits)
                value = int(digits or "0", 8)
            else:
                digits = e + _digits(text, i, _OCT, 2)
                i += len(digits) - 1
                value = int(digits, 8)
            out.append(value & 0xFF)
        elif e == "x":
            digits = _digits(text, i, _HEX, 2)
            if not digits:
                out += b"\\x"
                continue
            i += len(digits)
            out.append(int(digits, 16))
        elif e in "uU":
            digits = _digits(text, i, _HEX, 4 if e == "u" else 8)
            if not digits:
                out += b"\\" + e.encode()
                continue
            i += len(digits)
            encoded = _codepoint(int(digits, 16))
            if encoded is None:
                return None, False
            out += encoded
        else:
            out += b"\\" + e.encode("utf-8", "surrogateescape")
    return bytes(out), False


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None  # bash strings end at NUL; a pipe keeps it: not modelled
    return data.decode("utf-8", "surrogateescape")


def ansi_c(body: str) -> str | None:
    """The value of ``$'body'``."""
    data, _ = decode_escapes(body, ANSI_C)
    if data is None:
        return None
    # bash keeps a $'…' string as a C string: it ends at the first NUL
    return data.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def echo_output(args: list[str], *, interpret: bool | None = None) -> str | None:
    """What ``echo ARGS`` prints (bash's builtin: ``-n``, ``-e``, ``-E`` options).

    Without ``-e`` or ``-E``, bash prints backslashes as they are but zsh (and bash with
    ``xpg_echo``, and dash) interpret them: when the two readings differ, the output is
    not known (``None``)."""
    newline = True
    explicit: bool | None = interpret
    i = 0
    while i < len(args) and len(args[i]) > 1 and args[i][0] == "-" \
            and all(ch in "neE" for ch in args[i][1:]):
        for ch in args[i][1:]:
            if ch == "n":
                newline = False
            else:
                explicit = ch == "e"
        i += 1
    body = " ".join(args[i:])
    plain = body + ("\n" if newline else "")
    if explicit is False or "\\" not in body:
        return plain
    data, stopped = decode_escapes(body, ECHO)
    if data is None:
        return None
    decoded = _text(data + (b"\n" if newline and not stopped else b""))
    if explicit:
        return decoded
    return plain if decoded == plain else None


_FLAGS = frozenset("-+ #0'")
_LENGTH = frozenset("hlLqjzt")
_INT_CONV = frozenset("diouxX")
_MAX_OUTPUT = 1 << 16


def _number(arg: str) -> int | None:
    """printf's reading of a numeric argument; None where bash would complain."""
    if arg[:1] in ("'", '"'):
        return ord(arg[1]) if len(arg) > 1 and ord(arg[1]) < 128 else (0 if len(arg) == 1
                                                                        else None)
    text = arg.lstrip(" \t\n")
    if not text:
        return 0 if not arg else None
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    try:
        if text[:2] in ("0x", "0X"):
            value = int(text[2:], 16) if text[2:] and all(c in _HEX for c in text[2:]) \
                else None
        elif text.startswith("0") and len(text) > 1:
            value = int(text, 8) if all(c in _OCT for c in text) else None
        else:
            value = int(text) if text.isdigit() and text.isascii() else None
    except ValueError:
        return None
    if value is None or value >= 1 << 63:
        return None
    return sign * value


def _pad(body: str, flags: str, width: int | None) -> str:
    if width is None or len(body) >= width:
        return body
    if "-" in flags:
        return body + " " * (width - len(body))
    return " " * (width - len(body)) + body


def _integer(conv: str, value: int, flags: str, width: int | None,
             precision: int | None) -> str:
    if conv in "ouxX" and value < 0:
        value += 1 << 64
    digits = {"o": "%o", "x": "%x", "X": "%X"}.get(conv, "%d") % abs(value)
    if precision is not None:
        digits = digits.rjust(precision, "0")
        if precision == 0 and value == 0:
            digits = ""
    sign = "-" if value < 0 else ("+" if "+" in flags and conv in "di" else
                                  (" " if " " in flags and conv in "di" else ""))
    if "0" in flags and "-" not in flags and precision is None and width is not None:
        digits = digits.rjust(width - len(sign), "0")
    return _pad(sign + digits, flags, width)


def printf_output(args: list[str]) -> str | None:
    """What ``printf FORMAT ARGS…`` prints (bash's builtin), or None when the format holds
    something not modelled here (``%f``, ``%q``, ``%(…)T``, ``#`` and ``'`` flags) or an
    argument bash would reject."""
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        return None
    fmt, rest = args[0], list(args[1:])
    out: list[str] = []
    size = 0
    while True:
        piece, used, stop = _format_once(fmt, rest)
        if piece is None:
            return None
        out.append(piece)
        size += len(piece)
        if stop or size > _MAX_OUTPUT:
            break
        rest = rest[used:]
        if not rest or used == 0:
            break
    data = "".join(out)
    return None if "\x00" in data else data


def _format_once(fmt: str, args: list[str]) -> tuple[str | None, int, bool]:
    """One pass of the format: (text, arguments used, stopped by ``\\c``)."""
    out: list[str] = []
    used = 0
    i = 0
    n = len(fmt)

    def take() -> str | None:
        nonlocal used
        if used < len(args):
            used += 1
            return args[used - 1]
        return None

    while i < n:
        c = fmt[i]
        if c == "\\":
            j = i + 1
            # find the extent of one escape and decode it with the format dialect
            if j >= n:
                out.append("\\")
                break
            e = fmt[j]
            if e in _OCT:
                end = j + len(_digits(fmt, j, _OCT, 3))
            elif e == "x":
                end = j + 1 + len(_digits(fmt, j + 1, _HEX, 2))
            elif e in "uU":
                end = j + 1 + len(_digits(fmt, j + 1, _HEX, 4 if e == "u" else 8))
            elif e in _SIMPLE or e in "\"'?":
                end = j + 1
            else:
                out.append("\\")  # an escape printf does not know: the backslash stays,
                i = j  # and what follows is read as usual (`\\%s` is `\\` then `%s`)
                continue
            data, _ = decode_escapes(fmt[i:end], FORMAT)
            if data is None:
                return None, used, False
            text = _text(data)
            if text is None:
                return None, used, False
            out.append(text)
            i = end
            continue
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        flags = ""
        while i < n and fmt[i] in _FLAGS:
            flags += fmt[i]
            i += 1
        if "#" in flags or "'" in flags:
            return None, used, False
        width: int | None = None
        if i < n and fmt[i] == "*":
            i += 1
            arg = take()
            w = _number(arg) if arg is not None else 0
            if w is None:
                return None, used, False
            if w < 0:
                flags += "-"
                w = -w
            width = w
        else:
            digits = _digits(fmt, i, frozenset("0123456789"), 9)
            i += len(digits)
            width = int(digits) if digits else None
        precision: int | None = None
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                arg = take()
                p = _number(arg) if arg is not None else 0
                if p is None:
                    return None, used, False
                precision = p if p >= 0 else None
            else:
                digits = _digits(fmt, i, frozenset("0123456789"), 9)
                i += len(digits)
                precision = int(digits) if digits else 0
        while i < n and fmt[i] in _LENGTH:
            i += 1
        if i >= n:
            return None, used, False
        conv = fmt[i]
        i += 1
        if (width or 0) > 4096 or (precision or 0) > 4096:
            return None, used, False
        if conv == "s" or conv == "c":
            arg = take() or ""
            if conv == "c":
                arg = arg[:1] or "\x00"  # no character: bash prints a NUL
            if not arg.isascii() and (width is not None or precision is not None):
                return None, used, False
            if precision is not None and conv == "s":
                arg = arg[:precision]
            out.append(_pad(arg, flags, width))
        elif conv == "b":
            arg = take() or ""
            data, stopped = decode_escapes(arg, PERCENT_B)
            text = _text(data) if data is not None else None
            if text is None or (not text.isascii() and (width is not None
                                                        or precision is not None)):
                return None, used, False
            if precision is not None:
                text = text[:precision]
            out.append(_pad(text, flags, width))
            if stopped:
                return "".join(out), used, True
        elif conv in _INT_CONV:
            arg = take()
            value = _number(arg) if arg is not None else 0
            if value is None:
                return None, used, False
            out.append(_integer(conv, value, flags, width, precision))
        else:
            return None, used, False  # %f %e %g %a %q %(…)T and invalid characters
    return "".join(out), used, False


# ---- quoting: what the shell itself removes before a command sees its words ---------------

_PROTECTED = frozenset({"raw_string", "ansi_c_string", "comment", "heredoc_body"})


def join_continuations(data: bytes, root: Any) -> bytes:
    """Remove every backslash-newline the shell removes before it splits words.

    bash joins ``r\\<newline>m`` into ``rm`` (outside single quotes, ``$'…'``, comments
    and heredoc bodies, and unless the backslash is itself escaped); tree-sitter-bash
    reads the pair as a word break instead. A heredoc body keeps its continuations:
    whoever reads it (a nested shell) joins them itself."""
    spans: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type in _PROTECTED:
            spans.append((n.start_byte, n.end_byte))
        else:
            stack.extend(n.children)
    spans.sort()
    starts = [s for s, _ in spans]
    out = bytearray()
    pos = 0
    i = data.find(b"\\\n")
    while i != -1:
        k = bisect.bisect_right(starts, i) - 1
        inside = k >= 0 and spans[k][0] <= i < spans[k][1]
        j = i
        while j > pos and data[j - 1] == 0x5C:
            j -= 1
        if not inside and (i - j) % 2 == 0:
            out += data[pos:i]
            pos = i + 2
        i = data.find(b"\\\n", i + 2)
    out += data[pos:]
    return bytes(out)


def unescape_unquoted(raw: str) -> str:
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


def unescape_in_double(raw: str) -> str:
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
