"""Perl, Ruby and PHP (``perl -e``, ``ruby -e``, ``php -r``), and the one-liners of Lua,
R and AppleScript, read from tokens.

Calls are found with or without parentheses (Perl ``system "x"``, ``unlink glob "…"``,
Ruby ``FileUtils.rm_rf "x"``), through ``CORE::``, ``Kernel.``, namespaces and object
constructors (``Pathname.new(p).rmtree``, ``HTTP::Tiny->new->delete($url)``). Commands
in backticks, ``qx{}``, ``%x{}`` and pipes opened with ``open`` are classified as shell
when their text is a literal and held when it is not.

Held: a call through a name held in a variable (PHP ``$f(…)``, Perl ``&$f``,
``&{"…"}``, ``$obj->$method``), Ruby ``send``/``public_send``/``method(:…)``/
``const_get``, ``eval`` of text that is not a literal (a literal is analysed as code),
Perl ``s///e``, ``do FILE``, ``require``/``include`` of a name that is not a literal, and
a deleting or spawning function passed as a callable (``array_map('unlink', …)``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import os
import re
from collections.abc import Callable
from typing import ClassVar

from airlock.classify.code.effects import (
    UNKNOWN,
    Effects,
    Glob,
    OneOf,
    Ref,
    Request,
    Value,
    single,
    text_of,
)
from airlock.classify.code.lexer import NAME, OP, STR, tokenize
from airlock.classify.code.syntax import Node, Reader, Syntax, TokenCode, arg, glob_or
from airlock.classify.command import DYNAMIC

# destructive SQL in text we cannot read as code (a program file's strings)
SQL_WORDS = re.compile(r"(?i)\b(DROP\s+(TABLE|DATABASE|SCHEMA)|TRUNCATE\s|DELETE\s+FROM)\b")

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")


def _flat(args: list[Value]) -> list[Value]:
    """Perl and Ruby pass lists flattened: ``unlink(@files)``, ``rm(["a", "b"])``."""
    out: list[Value] = []
    for a in args:
        if isinstance(a, list):
            out.extend(a)
        else:
            out.append(a)
    return out


class ScriptCode(TokenCode):
    """What Perl, Ruby and PHP share: a table of functions by kind of effect."""

    EFFECTS: ClassVar[dict[str, str]] = {}
    CLIENTS: tuple[str, ...] = ()  # HTTP client classes: CLIENT.get(url), CLIENT().delete(url)
    case_insensitive = False

    def key(self, name: str) -> str:
        return name.lower() if self.case_insensitive else name

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        name = self.key(callee.name)
        kind = self.EFFECTS.get(name)
        if kind is None:
            kind = self._http_kind(name)
        if kind is None:
            return
        apply_kind(self, kind, callee, [single(a) for a in args], node)

    def _http_kind(self, name: str) -> str | None:
        head, _, verb = name.rpartition(".")
        if verb.lower() in _HTTP_VERBS and any(
                head == c or head == f"{c}()" for c in self.CLIENTS):
            return f"http:{verb.upper()}"
        if verb in ("request",) and any(head == f"{c}()" for c in self.CLIENTS):
            return "http_req"
        return None

    def on_argument(self, node: Node, value: Value, callees: list[Ref]) -> None:
        for ref in _ref_list(value):
            if self.key(ref.name) in self.EFFECTS and node.kind == "ref":
                self.fx.held(f"passes {ref.name} around as a value")
                return


def apply_kind(an: ScriptCode, kind: str, ref: Ref, a: list[Value], node: Node) -> None:
    what = f"{ref.name}()"
    fx = an.fx
    own = ref.path is not None  # a method of an object that carries its path
    if kind in ("shell", "shell_pipe"):
        rest = [x for x in _flat(a) if not isinstance(x, dict)]
        opts = next((x for x in a if isinstance(x, dict)), {})
        stdin = opts.get("stdin_data") if kind == "shell" else UNKNOWN
        if len(rest) == 1:
            fx.shell(rest[0], what, stdin=stdin)
        elif rest:
            fx.argv(rest, what, stdin=stdin)
        else:
            fx.held(f"{what}: runs a command Airlock cannot see")
    elif kind in ("shell1", "shell1_pipe"):
        first = arg(a, 0)
        mode = text_of(arg(a, 1)) if len(a) > 1 else None
        writes = kind == "shell1_pipe" or (mode is not None and ("w" in mode or "+" in mode))
        if isinstance(first, list):
            fx.argv(first, what, stdin=UNKNOWN if writes else None)
        else:
            fx.shell(first, what, stdin=UNKNOWN if writes else None)
    elif kind in ("delete", "delete_dir", "delete_rec"):
        paths = [ref.path] if own else _flat(a)
        paths = [p for p in paths if not isinstance(p, dict)] or [UNKNOWN]
        for p in paths:
            fx.delete(glob_or(p), what, recursive=kind == "delete_rec",
                      directory=kind == "delete_dir")
    elif kind == "truncate":
        fx.truncate(ref.path if own else arg(a, 0), what)
    elif kind in ("write", "append"):
        fx.write(ref.path if own else arg(a, 0), what, replace=kind == "write")
    elif kind == "read":
        fx.read(ref.path if own else arg(a, 0), what)
    elif kind == "open":
        path = ref.path if own else arg(a, 0)
        mode = arg(a, 0 if own else 1) if len(a) > (0 if own else 1) else "r"
        _file_mode(fx, path, mode, what)
    elif kind in ("move", "copy", "copy_rec", "link"):
        src, dst = (ref.path, arg(a, 0)) if own else (arg(a, 0), arg(a, 1))
        srcs = src if isinstance(src, list) else [src]
        for s in srcs:
            if kind == "move":
                fx.move(glob_or(s), dst, what)
            elif kind == "link":
                fx.link(s, dst, what)
            else:
                fx.copy(glob_or(s), dst, what, recursive=kind == "copy_rec")
    elif kind in ("chmod_first", "chmod_last"):
        flat = _flat(a)
        if kind == "chmod_first":
            mode, paths = arg(flat, 0), flat[1:] or [UNKNOWN]
        else:
            mode, paths = arg(flat, 1), [arg(flat, 0)]
        for p in paths:
            fx.chmod(p, mode, what)
    elif kind == "eval":
        an.exec_text(arg(a, 0), what)
    elif kind == "eval_last":
        an.exec_text(a[-1] if a else UNKNOWN, what)
    elif kind == "dynamic":
        fx.held(f"calls {ref.name}, which reaches a method or code by a name")
    elif kind == "load":
        t = text_of(arg(a, 0))
        if t is None or DYNAMIC in t:
            fx.held(f"{what}: loads a file or module whose name Airlock cannot see")
    elif kind == "load_file":
        fx.held(f"{what}: runs a file Airlock does not read")
    elif kind.startswith("http:"):
        _http(fx, kind[5:], ref, a, what)
    elif kind == "http_req":
        _http(fx, arg(a, 0), ref, a[1:], what)
    elif kind in ("sql", "sql1"):
        fx.sql(arg(a, 0 if kind == "sql" else 1), what)


def _file_mode(fx: Effects, path: Value, mode: Value, what: str) -> None:
    m = text_of(mode)
    if m is None or DYNAMIC in m:
        fx.write(path, f"{what} in a mode Airlock cannot see")
    elif any(c in m for c in "wx+"):
        fx.write(path, what, replace="a" not in m)
    elif "a" in m:
        fx.write(path, what, replace=False)
    else:
        fx.read(path, what)


def _http(fx: Effects, method: Value, ref: Ref, a: list[Value], what: str) -> None:
    url = arg(a, 0)
    if isinstance(url, Request):
        fx.http(url, what)
        return
    t = text_of(url)
    if ref.base and t is not None and "://" not in t:
        url = ref.base.rstrip("/") + "/" + t.lstrip("/")
    body = None
    rest = a[1:]
    for x in rest:
        if isinstance(x, dict):
            body = x.get("body", x.get("content", x.get("Content", x.get("json", body))))
        elif x is not None and text_of(method) not in ("GET", "HEAD", "DELETE"):
            body = x
    fx.http(Request(method=method, url=url, data=body if not isinstance(body, dict) else None,
                    json=body if isinstance(body, dict) else None,
                    has_json=isinstance(body, dict)), what)


def _ref_list(v: Value) -> list[Ref]:
    return [x for x in (v.values if isinstance(v, OneOf) else (v,)) if isinstance(x, Ref)]


# ---- Perl ----------------------------------------------------------------------------------

PERL = Syntax(
    member=frozenset({"->"}),
    concat=frozenset({"."}),
    paren_less=True,
    pair_ops=frozenset({"=>"}),
    stop_words=frozenset({"if", "unless", "while", "until", "for", "foreach", "and", "or",
                          "xor", "not"}),
    keywords=frozenset({"if", "unless", "while", "until", "for", "foreach", "else", "elsif",
                        "use", "no", "package", "BEGIN", "END", "last", "next", "redo",
                        "undef", "__PACKAGE__"}),
    prefix_words=frozenset({"my", "our", "local", "return", "scalar", "state"}),
    func_words=frozenset({"sub"}),
)


class PerlCode(ScriptCode):
    syntax = PERL
    lang = "perl"
    CLIENTS = ("LWP::UserAgent", "HTTP::Tiny", "Mojo::UserAgent", "Furl", "REST::Client",
               "LWP::Simple", "HTTP::Request::Common")
    EFFECTS: ClassVar[dict[str, str]] = {
        "system": "shell", "exec": "shell", "readpipe": "shell1",
        "unlink": "delete", "rmdir": "delete_dir", "rmtree": "delete_rec",
        "remove_tree": "delete_rec", "File::Path::rmtree": "delete_rec",
        "File::Path::remove_tree": "delete_rec", "File::Path.rmtree": "delete_rec",
        "File::Path.remove_tree": "delete_rec", "File::Remove::remove": "delete_rec",
        "truncate": "truncate", "rename": "move", "move": "move", "mv": "move",
        "File::Copy::move": "move", "File::Copy::copy": "copy", "copy": "copy", "cp": "copy",
        "chmod": "chmod_first", "chown": "chmod_first", "symlink": "link", "link": "link",
        "eval": "eval", "do": "load_file", "require": "load",
        "LWP::Simple::get": "http:GET", "get": "http:GET", "getstore": "http:GET",
        "HTTP::Request::Common::DELETE": "http:DELETE", "DELETE": "http:DELETE",
        "POST": "http:POST", "PUT": "http:PUT",
        "open": "perl_open", "sysopen": "perl_sysopen", "qx": "shell1",
        "UNIVERSAL::can": "dynamic", "can": "dynamic",
    }

    def bind(self, reader: Reader) -> None:
        t = reader.t
        for i, tok in enumerate(t):
            if tok.kind == NAME and tok.text[:1] in "$@%" and reader.op(i + 1, "="):
                node, _ = reader.expression(i + 2, 0)
                self.set(tok.text, node)
                if tok.text[0] == "@":
                    self.set("$" + tok.text[1:], UNKNOWN)  # $x[0] of @x

    def global_name(self, name: str) -> Value:
        if name[:1] in "$@%":
            return UNKNOWN
        if name.startswith("&"):
            return UNKNOWN
        for prefix in ("CORE::GLOBAL::", "CORE::", "main::", "POSIX::"):
            if name.startswith(prefix):
                name = name[len(prefix):]
        return Ref(name)

    def member(self, base: Value, name: str) -> Value:
        if isinstance(base, Ref) and name == "new" and "::" in base.name:
            return Ref(f"{base.name}.new")
        return super().member(base, name)

    def value(self, node: Node, depth: int = 0) -> Value:
        if node.kind == "ref" and node.base is not None:
            inner = node.base
            if inner.kind == "name" and inner.text.startswith("&"):
                return self.global_name(inner.text[1:])
            return UNKNOWN
        return super().value(node, depth)

    def call_value(self, callee: Value, args: list[Value], node: Node) -> Value:
        if not isinstance(callee, Ref):
            return UNKNOWN
        name = callee.name
        if name.endswith(".new") and "::" in name:
            cls = name[:-4]
            if cls == "HTTP::Request":
                return Request(method=arg(args, 0), url=arg(args, 1),
                               data=arg(args, 3) if len(args) > 3 else None)
            return Ref(f"{cls}()")
        if name == "glob":
            t = text_of(arg(args, 0))
            return Glob(t) if t is not None and DYNAMIC not in t else UNKNOWN
        if name in ("join",) and args:
            sep = text_of(args[0]) or ""
            parts = [text_of(x) for x in _flat(args[1:])]
            return sep.join(p if p is not None else DYNAMIC for p in parts)
        return UNKNOWN

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        kind = self.EFFECTS.get(callee.name) or self._http_kind(callee.name)
        if kind == "perl_open":
            self._open([single(a) for a in args])
        elif kind == "perl_sysopen":
            self.fx.write(arg(args, 1), "sysopen()")
        elif kind == "eval" and node.items and node.items[0].kind == "object" and \
                not node.parens:
            return  # eval { … }: a block
        elif kind in ("http:GET",) and callee.name in ("get", "getstore") and \
                not _looks_url(arg(args, 0)):
            return  # a `get` that is not LWP::Simple's
        elif kind is not None:
            apply_kind(self, kind, callee, [single(a) for a in args], node)

    def _open(self, a: list[Value]) -> None:
        if len(a) == 2:
            spec = text_of(a[1])
            if spec is None or DYNAMIC in spec:
                self.fx.held("open(): a mode or command Airlock cannot see")
                return
            s = spec.strip()
            if s.endswith("|"):
                self.fx.shell(s[:-1], "open(… '|')")
            elif s.startswith("|"):
                self.fx.shell(s[1:], "open('|' …)", stdin=UNKNOWN)
            elif s.startswith((">>", "+>>")):
                self.fx.write(s.lstrip("+>").strip(), "open(>>)", replace=False)
            elif s.startswith((">", "+>", "+<")):
                self.fx.write(s.lstrip("+<>").strip(), "open(>)")
            else:
                self.fx.read(s.lstrip("<").strip(), "open()")
            return
        mode = text_of(arg(a, 1))
        if mode is None or DYNAMIC in mode:
            self.fx.held("open(): a mode Airlock cannot see")
            return
        m = mode.strip()
        if m in ("-|", "|-"):
            rest = a[2:]
            feeds = UNKNOWN if m == "|-" else None  # |- : the code writes to its input
            if len(rest) == 1:
                self.fx.shell(rest[0], f"open('{m}')", stdin=feeds)
            else:
                self.fx.argv(_flat(rest), f"open('{m}')", stdin=feeds)
        elif m.startswith(("<", "+<")) and not m.startswith("+<"):
            self.fx.read(arg(a, 2), "open('<')")
        elif m.startswith(">>"):
            self.fx.write(arg(a, 2), "open('>>')", replace=False)
        else:
            self.fx.write(arg(a, 2), f"open('{m}')")

    def dynamic_call(self, node: Node) -> None:
        base = node.base
        if base is None:
            return
        if base.kind == "name" and base.text.startswith("&") and (
                base.text.startswith("&$") or base.text == "&"):
            self.fx.held("calls a function through a reference Airlock cannot see")
        elif base.kind == "name" and base.text.startswith("$"):
            self.fx.held(f"calls the code in {base.text}, which Airlock cannot see")
        elif base.kind == "index" and base.key is not None and base.key.kind == "name" and \
                base.key.text.startswith("$"):
            self.fx.held(f"calls a method named by {base.key.text}")

    def judge(self, reader: Reader, n: int) -> None:
        super().judge(reader, n)
        t = reader.t
        for i, tok in enumerate(t):
            if tok.kind == NAME and tok.text in ("system", "exec", "CORE::system",
                                                 "CORE::exec") and reader.op(i + 1, "{"):
                self.fx.held(f"{tok.text} {{ … }}: runs a program named by a block")
            elif tok.kind == NAME and tok.text == "&" and reader.op(i + 1, "{"):
                self.fx.held("calls a function named by an expression (&{…})")
            elif tok.kind == OP and tok.text == "*" and reader.op(i + 1, "{") and \
                    i + 2 < reader.n and t[i + 2].kind == STR:
                self.fx.held("rewrites a symbol table entry (*{…})")


def _looks_url(v: Value) -> bool:
    t = text_of(v)
    return t is not None and ("://" in t or t.startswith(DYNAMIC))


# ---- Ruby ----------------------------------------------------------------------------------

RUBY = Syntax(
    member=frozenset({".", "&.", "::"}),
    concat=frozenset({"+"}),
    paren_less=True,
    pair_ops=frozenset({"=>", ":"}),
    stop_words=frozenset({"if", "unless", "while", "until", "and", "or", "then", "do",
                          "rescue", "end", "else", "elsif", "when", "ensure"}),
    keywords=frozenset({"def", "class", "module", "end", "begin", "rescue", "ensure", "else",
                        "elsif", "case", "when", "in", "self", "nil", "true", "false", "if",
                        "unless", "while", "until", "then", "do", "yield", "super",
                        "alias", "undef", "__method__", "include", "extend"}),
    prefix_words=frozenset({"return", "not", "defined?", "puts", "p", "print", "pp"}),
    func_words=frozenset({"lambda", "proc"}),
)

_FILEUTILS = {
    "rm": "delete", "rm_f": "delete", "remove": "delete", "remove_file": "delete",
    "safe_unlink": "delete", "rm_r": "delete_rec", "rm_rf": "delete_rec",
    "rmtree": "delete_rec", "remove_dir": "delete_rec", "remove_entry": "delete_rec",
    "remove_entry_secure": "delete_rec", "rmdir": "delete_dir", "mv": "move",
    "move": "move", "cp": "copy", "copy": "copy", "copy_file": "copy", "install": "copy",
    "cp_r": "copy_rec", "copy_entry": "copy_rec", "ln_s": "link", "ln_sf": "link",
    "symlink": "link", "ln": "link", "chmod": "chmod_first", "chmod_R": "chmod_first",
    "chown": "chmod_first", "chown_R": "chmod_first",
}
# bare FileUtils names that mean nothing else in a one-liner
_FILEUTILS_BARE = ("rm_f", "rm_r", "rm_rf", "rmtree", "remove_dir", "remove_entry",
                   "remove_entry_secure", "safe_unlink", "cp_r", "ln_sf", "chmod_R")


class RubyCode(ScriptCode):
    syntax = RUBY
    lang = "ruby"
    CLIENTS = ("HTTParty", "Faraday", "RestClient", "HTTP", "Excon", "Net::HTTP", "Typhoeus")
    EFFECTS: ClassVar[dict[str, str]] = {
        "system": "shell", "exec": "shell", "spawn": "shell", "Kernel.system": "shell",
        "Kernel.exec": "shell", "Kernel.spawn": "shell", "Process.spawn": "shell",
        "Process.exec": "shell", "IO.popen": "shell1", "Kernel.open": "ruby_open",
        "open": "ruby_open", "PTY.spawn": "shell", "Kernel.`": "shell1",
        **{f"Open3.{f}": "shell" for f in ("capture2", "capture2e", "capture3", "pipeline",
                                           "pipeline_r", "pipeline_start")},
        **{f"Open3.{f}": "shell_pipe" for f in ("popen2", "popen2e", "popen3", "pipeline_rw",
                                                "pipeline_w")},
        **{f"FileUtils.{k}": v for k, v in _FILEUTILS.items()},
        **{f"FileUtils::Verbose.{k}": v for k, v in _FILEUTILS.items()},
        **{k: _FILEUTILS[k] for k in _FILEUTILS_BARE},
        "File.delete": "delete", "File.unlink": "delete", "Dir.rmdir": "delete_dir",
        "Dir.delete": "delete_dir", "Dir.unlink": "delete_dir", "File.truncate": "truncate",
        "File.write": "write", "IO.write": "write", "File.binwrite": "write",
        "IO.binwrite": "write", "File.open": "open", "File.new": "open",
        "File.rename": "move", "File.symlink": "link", "File.link": "link",
        "File.chmod": "chmod_first", "File.chown": "chmod_first", "File.read": "read",
        "IO.read": "read", "File.readlines": "read", "IO.readlines": "read",
        "File.binread": "read", "File.foreach": "read", "IO.foreach": "read",
        "Pathname().rmtree": "delete_rec", "Pathname().delete": "delete",
        "Pathname().unlink": "delete", "Pathname().rmdir": "delete_dir",
        "Pathname().write": "write", "Pathname().binwrite": "write",
        "Pathname().read": "read", "Pathname().open": "open", "Pathname().rename": "move",
        "eval": "eval", "Kernel.eval": "eval", "instance_eval": "eval", "class_eval": "eval",
        "module_eval": "eval", "binding.eval": "eval", "instance_exec": "dynamic",
        "send": "dynamic", "public_send": "dynamic", "__send__": "dynamic",
        "method": "dynamic", "const_get": "dynamic", "Object.const_get": "dynamic",
        "Kernel.const_get": "dynamic", "instance_method": "dynamic", "ObjectSpace": "dynamic",
        "require": "load", "load": "load_or_file", "require_relative": "load",
        "Kernel.load": "load_or_file", "Kernel.require": "load",
        "Net::HTTP.get": "http:GET", "Net::HTTP.get_response": "http:GET",
        "Net::HTTP.post": "http:POST", "Net::HTTP.post_form": "http:POST",
        "Net::HTTP.put": "http:PUT", "Net::HTTP().request": "http_send",
        **{f"Net::HTTP().{v}": f"http:{v.upper()}" for v in _HTTP_VERBS},
        "Net::HTTP().send_request": "http_req",
    }

    def bind(self, reader: Reader) -> None:
        t = reader.t
        for i, tok in enumerate(t):
            if tok.kind == NAME and reader.op(i + 1, "=") and not (
                    i > 0 and t[i - 1].kind == OP and t[i - 1].text in (".", "&.", "::")):
                node, _ = reader.expression(i + 2, 0, nl_ends=True)
                self.set(tok.text, node)
            elif tok.kind == OP and tok.text == "|" and i > 0 and \
                    (reader.word(i - 1, "do") or reader.op(i - 1, "{")):
                k = i + 1
                while k < reader.n and not reader.op(k, "|"):
                    if t[k].kind == NAME:
                        self.set(t[k].text, UNKNOWN)
                    k += 1

    def global_name(self, name: str) -> Value:
        if name[:1] in "$@":
            return UNKNOWN
        if name[:1].isupper() or name in self.EFFECTS or name in ("binding", "URI", "Pathname",
                                                                  "ENV"):
            return Ref(name)
        return UNKNOWN

    def member(self, base: Value, name: str) -> Value:
        if isinstance(base, Ref):
            if name == "new" and not base.name.endswith("()"):
                return Ref(f"{base.name}.new")
            if base.name in ("Kernel", "Object"):
                return Ref(f"Kernel.{name}") if f"Kernel.{name}" in self.EFFECTS else Ref(name)
            if base.name.startswith("Net::HTTP::") and name == "new":
                return Ref(f"{base.name}.new")
        return super().member(base, name)

    def call_value(self, callee: Value, args: list[Value], node: Node) -> Value:
        if not isinstance(callee, Ref):
            return UNKNOWN
        name = callee.name
        a0 = arg(args, 0)
        if name.endswith(".tap"):
            return Ref(name[:-4], path=callee.path, base=callee.base)  # tap returns self
        if name in ("Pathname.new", "Pathname"):
            return Ref("Pathname()", path=a0)
        if name in ("URI", "URI.parse", "URI.join") and isinstance(a0, str):
            return a0
        if name.startswith("Net::HTTP::") and name.endswith(".new"):
            method = name[len("Net::HTTP::"):-4].upper()
            return Request(method=method, url=a0)
        if name in ("Net::HTTP.new", "Net::HTTP.start"):
            host = text_of(a0)
            port = text_of(arg(args, 1)) if len(args) > 1 and not isinstance(args[1], dict) \
                else None
            ssl = any(isinstance(x, dict) and x.get("use_ssl") for x in args) or port == "443"
            scheme = "https" if ssl else "http"
            return Ref("Net::HTTP()", base=f"{scheme}://{host or DYNAMIC}" +
                       (f":{port}" if port and port not in ("80", "443") else ""))
        if name in ("Dir.glob", "Dir.[]", "Dir"):
            t = text_of(a0)
            return Glob(t) if t is not None and DYNAMIC not in t else UNKNOWN
        if name in ("File.join",):
            parts = [text_of(x) for x in _flat(args)]
            return os.path.join(*(p if p is not None else DYNAMIC for p in parts)) \
                if parts else UNKNOWN
        if name == "File.expand_path":
            return a0 if isinstance(a0, str) else UNKNOWN
        if name in ("Dir.home",):
            return "~"
        if name in ("Dir.pwd", "Dir.getwd"):
            return "."
        return UNKNOWN

    def value(self, node: Node, depth: int = 0) -> Value:
        if node.kind == "member" and node.flag == "::" and node.base is not None:
            base = single(self.value(node.base, depth + 1))
            if isinstance(base, Ref) and not base.name.endswith("()"):
                return Ref(f"{base.name}::{node.text}")  # Net::HTTP, FileUtils::Verbose
        return super().value(node, depth)

    def index(self, base: Value, key: Value) -> Value:
        if isinstance(base, Ref) and base.name == "Dir":
            t = text_of(key)
            return Glob(t) if t is not None and DYNAMIC not in t else UNKNOWN
        if isinstance(base, Ref) and base.name == "ENV":
            return DYNAMIC
        return super().index(base, key)

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        kind = self.EFFECTS.get(callee.name) or self._http_kind(callee.name)
        a = [single(x) for x in args]
        if kind == "ruby_open":
            t = text_of(arg(a, 0))
            if t is not None and t.startswith("|"):
                self.fx.shell(t[1:], "open('|…')")
            elif t is None or DYNAMIC in t[:1]:
                self.fx.held("open(): a path or command Airlock cannot see")
            else:
                _file_mode(self.fx, t, arg(a, 1) if len(a) > 1 else "r", "open()")
        elif kind == "http_send":
            req = arg(a, 0)
            if isinstance(req, Request):
                if callee.base and "://" not in (text_of(req.url) or "://"):
                    req = Request(method=req.method, url=req.url, base=callee.base)
                self.fx.http(req, "Net::HTTP#request")
            else:
                self.fx.http(Request(method=UNKNOWN, url=UNKNOWN), "Net::HTTP#request")
        elif kind == "load_or_file":
            t = text_of(arg(a, 0))
            if t is None or DYNAMIC in t:
                self.fx.held("load(): a file Airlock cannot see")
        elif kind is not None:
            apply_kind(self, kind, callee, a, node)


# ---- PHP -----------------------------------------------------------------------------------

PHP = Syntax(
    member=frozenset({"->", "?->", "::"}),
    concat=frozenset({"."}),
    paren_less=False,
    pair_ops=frozenset({"=>"}),
    stop_words=frozenset(),
    keywords=frozenset({"if", "while", "for", "foreach", "switch", "catch", "elseif", "else",
                        "as", "use", "namespace", "class", "extends", "implements", "case",
                        "true", "false", "null", "declare", "match", "isset", "empty",
                        "unset", "list"}),
    prefix_words=frozenset({"return", "echo", "print", "clone", "yield", "throw"}),
    func_words=frozenset({"function", "fn", "static"}),
    new_word="new",
)

_PHP_EFFECTS = {
    "system": "shell1", "exec": "shell1", "passthru": "shell1", "shell_exec": "shell1",
    "popen": "shell1", "proc_open": "shell1_pipe", "pcntl_exec": "php_pcntl",
    "expect_popen": "shell1", "unlink": "delete", "rmdir": "delete_dir",
    "file_put_contents": "php_put", "fopen": "open", "rename": "move", "copy": "copy",
    "symlink": "link", "link": "link", "chmod": "chmod_last", "chown": "chmod_last",
    "ftruncate": "none", "file_get_contents": "php_get", "readfile": "php_get",
    "file": "php_get", "fpassthru": "none", "highlight_file": "read", "show_source": "read",
    "parse_ini_file": "read", "eval": "eval", "assert": "php_assert",
    "create_function": "eval_last", "call_user_func": "php_callable",
    "call_user_func_array": "php_callable", "forward_static_call": "php_callable",
    "forward_static_call_array": "php_callable", "reflectionfunction": "dynamic",
    "mysqli_query": "sql1", "mysqli_multi_query": "sql1", "pg_query": "php_pg",
    "curl_exec": "php_curl", "curl_multi_exec": "php_curl",
    "preg_replace_callback": "none",
}


class PhpCode(ScriptCode):
    syntax = PHP
    lang = "php"
    case_insensitive = True
    EFFECTS: ClassVar[dict[str, str]] = _PHP_EFFECTS
    CLIENTS = ("GuzzleHttp\\Client", "Client", "Http")

    def bind(self, reader: Reader) -> None:
        t = reader.t
        for i, tok in enumerate(t):
            if tok.kind == NAME and tok.text.startswith("$") and reader.op(i + 1, "="):
                node, _ = reader.expression(i + 2, 0)
                self.set(tok.text, node)

    def global_name(self, name: str) -> Value:
        if name.startswith("$"):
            return UNKNOWN
        return Ref(name.lstrip("\\"))

    def call_value(self, callee: Value, args: list[Value], node: Node) -> Value:
        if isinstance(callee, str):
            callee = Ref(callee.lstrip("\\"))
        if not isinstance(callee, Ref):
            return UNKNOWN
        name = callee.name.lower()
        if name == "curl_init":
            return Ref("curl()", base=text_of(arg(args, 0)) or "")
        if name == "stream_context_create":
            opts = arg(args, 0)
            http = opts.get("http") if isinstance(opts, dict) else None
            return Ref("stream()", path=http if isinstance(http, dict) else {})
        if name in ("base64_decode", "hex2bin", "str_rot13"):
            t = text_of(arg(args, 0))
            if t is None or DYNAMIC in t:
                return UNKNOWN
            try:
                if name == "base64_decode":
                    return base64.b64decode(t + "=" * (-len(t) % 4)).decode("utf-8",
                                                                            "replace")
                if name == "hex2bin":
                    return binascii.unhexlify(t).decode("utf-8", "replace")
                return codecs.decode(t, "rot13")
            except (ValueError, binascii.Error):
                return UNKNOWN
        if name == "implode" and len(args) == 2:
            sep, items = text_of(args[0]), args[1]
            if isinstance(items, list) and sep is not None:
                return sep.join(x if (x := text_of(i)) is not None else DYNAMIC for i in items)
        return UNKNOWN

    def value(self, node: Node, depth: int = 0) -> Value:
        if node.kind == "call" and node.base is not None and node.base.kind == "name" and \
                node.base.text.lower() == "array":
            return self.value(Node("array" if not any(i.kind == "object" for i in node.items)
                                   else "object", items=[i for i in node.items
                                                         if i.kind != "object"],
                                   pairs=[p for i in node.items if i.kind == "object"
                                          for p in i.pairs]), depth + 1)
        return super().value(node, depth)

    def judge_node(self, node: Node, reader: Reader) -> None:
        if node.kind == "call" and node.base is not None and node.base.kind in ("name",
                                                                              "str"):
            text = node.base.text
            if node.base.kind == "name" and text.startswith("$"):
                callee = single(self.value(node.base))
                t = text_of(callee)
                shown = t if t is not None and DYNAMIC not in t else "a name Airlock cannot see"
                self.fx.held(f"calls a function through the variable {text} ({shown})")
                return
            if node.base.kind == "str":
                self.fx.held(f"calls a function by the string {text!r}")
                return
        super().judge_node(node, reader)

    def dynamic_call(self, node: Node) -> None:
        base = node.base
        if base is not None and base.kind == "index" and base.key is not None and \
                base.key.kind == "name" and base.key.text.startswith("$"):
            self.fx.held(f"calls a method named by {base.key.text}")

    def check_index(self, node: Node) -> None:
        return  # $a['k'] is an array element, not a member

    def on_argument(self, node: Node, value: Value, callees: list[Ref]) -> None:
        t = text_of(value)
        if node.kind == "str" and t is not None and self.key(t.lstrip("\\")) in self.EFFECTS \
                and self.EFFECTS[self.key(t.lstrip("\\"))] not in ("none", "read", "php_get") \
                and callees and callees[0].name.lower() not in ("function_exists",
                                                                "is_callable"):
            self.fx.held(f"passes {t} as a callable")

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        name = callee.name.lower().lstrip("\\")
        kind = self.EFFECTS.get(name)
        a = [single(x) for x in args]
        if name.endswith(("->query", "->exec", ".query", ".exec", ".execute")) or \
                (callee.name.rsplit(".", 1)[-1].lower() in ("query", "exec") and "." in name):
            self.fx.sql(arg(a, 0), f"{callee.name.rsplit('.', 1)[-1]}()")
            return
        if kind is None or kind == "none":
            if self._http_kind(callee.name):
                apply_kind(self, self._http_kind(callee.name) or "", callee, a, node)
            return
        if kind == "php_put":
            flags = arg(a, 2)
            append = any(isinstance(r, Ref) and r.name.upper() == "FILE_APPEND"
                         for r in _ref_list(flags)) or flags == 8
            self.fx.write(arg(a, 0), "file_put_contents()", replace=not append)
        elif kind == "php_get":
            t = text_of(arg(a, 0))
            ctx = arg(a, 2)
            if t is not None and re.match(r"(?i)https?://", t):
                http = ctx.path if isinstance(ctx, Ref) and ctx.name == "stream()" else {}
                self.fx.http(Request(method=http.get("method", "GET"), url=t,
                                     headers=None, data=http.get("content")), f"{name}()")
            elif t is not None and t.startswith(DYNAMIC) and ctx not in (None, UNKNOWN):
                self.fx.http(Request(method=UNKNOWN, url=UNKNOWN), f"{name}()")
            else:
                self.fx.read(arg(a, 0), f"{name}()")
        elif kind == "php_assert":
            if isinstance(arg(a, 0), str):
                self.exec_text(arg(a, 0), "assert()")
        elif kind == "php_callable":
            target = arg(a, 0)
            t = text_of(target)
            if t is None or DYNAMIC in t:
                self.fx.held(f"{name}(): calls a function Airlock cannot see")
                return
            rest = a[1:]
            if name.endswith("_array"):
                rest = _flat(rest)
            self.effect(Ref(t.lstrip("\\")), rest, node)
        elif kind == "php_pcntl":
            rest = arg(a, 1)
            self.fx.argv([arg(a, 0), *(rest if isinstance(rest, list) else [])],
                         "pcntl_exec()")
        elif kind == "php_pg":
            self.fx.sql(a[-1] if a else UNKNOWN, "pg_query()")
        elif kind == "php_curl":
            self._curl(arg(a, 0), node)
        else:
            apply_kind(self, kind, callee, a, node)

    def _curl(self, handle: Value, node: Node) -> None:
        """``curl_exec($ch)``: the request its ``curl_init`` and ``curl_setopt`` calls
        built."""
        url = handle.base if isinstance(handle, Ref) and handle.name == "curl()" else ""
        method: Value = "GET"
        body: Value = None
        headers: Value = None
        for reader in self.readers:
            for i, tok in enumerate(reader.t):
                if tok.kind != NAME or tok.text.lower() not in ("curl_setopt",
                                                                "curl_setopt_array"):
                    continue
                call, _ = reader.operand(i)
                if call.kind != "call":
                    continue
                items = call.items
                if tok.text.lower() == "curl_setopt" and len(items) >= 3:
                    pairs = [(items[1], items[2])]
                elif len(items) >= 2 and items[1].kind in ("object", "call"):
                    obj = items[1]
                    pairs = obj.pairs or [p for x in obj.items if x.kind == "object"
                                          for p in x.pairs]
                else:
                    continue
                for k, v in pairs:
                    opt = k.text.upper()
                    val = single(self.value(v))
                    if opt == "CURLOPT_CUSTOMREQUEST":
                        method = val
                    elif opt == "CURLOPT_POST" and val not in (False, 0):
                        method = "POST" if method == "GET" else method
                    elif opt == "CURLOPT_POSTFIELDS":
                        body = val
                        method = "POST" if method == "GET" else method
                    elif opt == "CURLOPT_URL":
                        url = text_of(val) or DYNAMIC
                    elif opt == "CURLOPT_HTTPHEADER" and isinstance(val, list):
                        headers = dict(str(h).split(":", 1) for h in val
                                       if isinstance(h, str) and ":" in h)
        self.fx.http(Request(method=method, url=url or UNKNOWN, headers=headers,
                             data=body if not isinstance(body, dict) else None,
                             json=None), "curl_exec()")

    def judge(self, reader: Reader, n: int) -> None:
        super().judge(reader, n)
        t = reader.t
        for i, tok in enumerate(t):
            if tok.kind == NAME and tok.text.lower() in ("include", "include_once", "require",
                                                         "require_once"):
                nxt = t[i + 1] if i + 1 < reader.n else None
                if nxt is None or (not (nxt.kind == STR and DYNAMIC not in nxt.value) and \
                        not (nxt.kind == OP and nxt.text == "(" and i + 2 < reader.n and
                             t[i + 2].kind == STR and DYNAMIC not in t[i + 2].value)):
                    self.fx.held(f"{tok.text}: loads a file whose name Airlock cannot see")


# ---- Lua, R, AppleScript: their one-liners ---------------------------------------------------

OTHER = Syntax(
    member=frozenset({".", ":", "$", "::"}),
    concat=frozenset(),
    paren_less=False,
    pair_ops=frozenset({"="}),
    stop_words=frozenset(),
    keywords=frozenset({"if", "then", "end", "local", "function", "return", "for", "while"}),
)


class OtherCode(ScriptCode):
    syntax = OTHER
    lang = "js"
    TABLES: ClassVar[dict[str, dict[str, str]]] = {
        "lua": {"os.execute": "shell1", "io.popen": "shell1", "os.remove": "delete",
                "os.rename": "move", "io.open": "open", "load": "dynamic",
                "loadstring": "dynamic", "dofile": "dynamic", "loadfile": "dynamic",
                "require": "load"},
        "Rscript": {"system": "shell1", "system2": "r_system2", "shell": "shell1",
                    "unlink": "r_unlink", "file.remove": "delete", "file.rename": "move",
                    "eval": "dynamic", "parse": "dynamic", "source": "dynamic",
                    "writeLines": "none", "pipe": "shell1", "processx::run": "r_system2"},
        "osascript": {},
    }

    def __init__(self, fx: Effects, depth: int = 0, language: str = "lua") -> None:
        super().__init__(fx, depth)
        self.language = language
        self.effects = self.TABLES.get(language, {})

    def global_name(self, name: str) -> Value:
        return Ref(name)

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        kind = self.effects.get(callee.name)
        a = [single(x) for x in args]
        if kind == "r_system2":
            rest = arg(a, 1)
            opts = a[-1] if a and isinstance(a[-1], dict) else {}
            rest = opts.get("args", rest) if isinstance(opts, dict) else rest
            self.fx.argv([arg(a, 0), *(rest if isinstance(rest, list) else
                                       [rest] if isinstance(rest, str) else [UNKNOWN])],
                         f"{callee.name}()")
        elif kind == "r_unlink":
            opts = a[-1] if a and isinstance(a[-1], dict) else {}
            rec = opts.get("recursive") if isinstance(opts, dict) else None
            paths = [x for x in a if not isinstance(x, dict)]
            for p in paths or [UNKNOWN]:
                self.fx.delete(glob_or(p), "unlink()", recursive=rec not in (None, False,
                                                                              "FALSE"))
        elif kind is not None and kind != "none":
            apply_kind(self, kind, callee, a, node)

    def judge(self, reader: Reader, n: int) -> None:
        if self.language != "osascript":
            super().judge(reader, n)
            return
        t = reader.t
        for i in range(len(t) - 2):
            if t[i].kind == NAME and t[i].text == "do" and t[i + 1].kind == NAME and \
                    t[i + 1].text == "shell" and t[i + 2].kind == NAME and \
                    t[i + 2].text == "script":
                nxt = t[i + 3] if i + 3 < len(t) else None
                if nxt is not None and nxt.kind == STR and (i + 4 >= len(t) or
                                                            t[i + 4].kind == NAME):
                    self.fx.shell(nxt.value, "do shell script")
                else:
                    self.fx.held("do shell script: a command Airlock cannot see")
            elif t[i].kind == NAME and t[i].text in ("doShellScript", "run") and \
                    reader.op(i + 1, "(") and t[i + 2].kind != STR:
                self.fx.held(f"{t[i].text}(): a command Airlock cannot see")
            elif t[i].kind == NAME and t[i].text == "doShellScript" and reader.op(i + 1, "("):
                self.fx.shell(t[i + 2].value, "doShellScript()")


_CODE: dict[str, Callable[[Effects], TokenCode]] = {
    "perl": PerlCode, "ruby": RubyCode, "php": PhpCode,
}


def analyse(lang: str, source: str, fx: Effects, what: str) -> None:
    if lang in _CODE:
        _CODE[lang](fx).run(tokenize(source, _CODE[lang](fx).lexer_name()), what)
        return
    OtherCode(fx, 0, lang).run(tokenize(source, "js"), what)

