"""JavaScript (``node -e``, ``deno eval``, ``bun -e``) read from tokens.

Modules are followed from ``require('fs')``, ``import … from 'node:fs'``, ``await
import('fs')``, ``process.mainModule.require`` and ``createRequire``, through
``const {rmSync: r} = …`` destructuring and plain aliases. What ``fs``,
``child_process``, ``fs-extra``, ``rimraf``, ``del``, ``execa``, ``zx``, ``shelljs``,
``vm``, ``Deno`` and ``Bun`` do is judged as the shell command that does the same; HTTP
requests (``fetch``, ``axios``, ``got``, ``undici``, ``http(s).request``,
``XMLHttpRequest``) go through the HTTP classification curl's requests go through.

Held: a member of a module looked up by a computed name (``fs['rm' + 'Sync']``),
``require``/``import`` of a name that is not a literal, ``eval``/``Function``/``vm`` of
text that is not a literal (a literal is analysed as code), ``process.binding``,
``Module._load``, and a deleting or spawning function passed around as a value.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from airlock.classify.code.effects import (
    UNKNOWN,
    Effects,
    Glob,
    OneOf,
    Ref,
    Request,
    Value,
    one_of,
    single,
    text_of,
    to_json,
)
from airlock.classify.code.lexer import NAME, OP, STR, tokenize
from airlock.classify.code.syntax import Node, Reader, Syntax, TokenCode, arg, glob_or, option
from airlock.classify.command import DYNAMIC

SYNTAX = Syntax(
    member=frozenset({".", "?."}),
    concat=frozenset({"+"}),
    paren_less=False,
    pair_ops=frozenset({":"}),
    stop_words=frozenset(),
    keywords=frozenset({"if", "while", "for", "switch", "catch", "return", "typeof",
                        "instanceof", "in", "of", "case", "do", "else", "try", "finally",
                        "throw", "break", "continue", "const", "let", "var", "class",
                        "extends", "export", "default", "with", "debugger", "this", "super",
                        "null", "undefined", "true", "false", "NaN", "Infinity"}),
    prefix_words=frozenset({"await", "void", "yield", "async", "delete"}),
    func_words=frozenset({"function"}),
    new_word="new",
    arrows=True,
    tagged=True,
)

_MODULES = {
    "fs/promises": "fs", "fs-extra": "fs", "graceful-fs": "fs", "fs.promises": "fs",
    "node-fetch": "fetch", "cross-fetch": "fetch", "isomorphic-fetch": "fetch",
    "cross-spawn": "child_process.spawn", "rimraf": "rimraf", "del": "del",
    "child_process.promises": "child_process", "timers/promises": "timers",
}
SENSITIVE = frozenset({"fs", "child_process", "global", "process", "require", "module", "vm",
                       "Deno", "Bun", "http", "https", "execa", "shelljs", "zx", "rimraf",
                       "del", "axios", "undici", "got", "fetch", "eval", "Function",
                       "worker_threads", "cluster", "import"})
_GLOBALS = frozenset({"require", "module", "process", "fetch", "eval", "Function", "Deno",
                      "Bun", "XMLHttpRequest", "Request", "JSON", "URL", "Buffer", "atob",
                      "String", "setTimeout", "setInterval", "setImmediate", "import",
                      "Headers"})
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_DISTINCTIVE = {
    **{n: f"child_process.{n}" for n in ("execSync", "spawnSync", "execFileSync")},
    **{n: f"fs.{n}" for n in ("rmSync", "rmdirSync", "unlinkSync", "writeFileSync",
                              "appendFileSync", "truncateSync", "renameSync", "copyFileSync",
                              "cpSync")},
}


def canon(name: str) -> str:
    if name.startswith("node:"):
        name = name[5:]
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in _MODULES:
            return ".".join([_MODULES[head], *parts[i:]])
    if name.startswith("fs.promises."):
        return "fs." + name[12:]
    return name


class JavaScript(TokenCode):
    syntax = SYNTAX
    lang = "js"

    def lexer_name(self) -> str:
        return "js"

    # ---- bindings ----------------------------------------------------------------------

    def bind(self, reader: Reader) -> None:
        t = reader.t
        n = reader.n
        for i, tok in enumerate(t):
            if tok.kind != NAME:
                continue
            if tok.text in ("const", "let", "var"):
                self._declarations(reader, i + 1)
            elif tok.text == "import" and not reader.op(i + 1, "(", "."):
                self._import(reader, i + 1)
            elif tok.text == "function" and i + 1 < n and t[i + 1].kind == NAME:
                self.set(t[i + 1].text, UNKNOWN)
            elif reader.op(i + 1, "=") and (i == 0 or not (
                    (t[i - 1].kind == OP and t[i - 1].text in (".", "?.")) or
                    (t[i - 1].kind == NAME and t[i - 1].text in ("const", "let", "var")))):
                node, _ = reader.expression(i + 2, 0)
                self.set(tok.text, node)

    def _declarations(self, reader: Reader, j: int) -> None:
        t = reader.t
        while j < reader.n:
            if t[j].kind == NAME:
                name = t[j].text
                if reader.op(j + 1, "="):
                    node, j = reader.expression(j + 2, 0)
                    self.set(name, node)
                elif reader.word(j + 1, "of", "in"):
                    node, j = reader.expression(j + 2, 0)
                    self.set(name, Node("unknown", base=node, flag="iter"))
                    return
                else:
                    self.set(name, UNKNOWN)
                    j += 1
            elif reader.op(j, "{", "["):
                close = reader.match.get(j, reader.n)
                names = _pattern(reader, j + 1, close, t[j].text == "{")
                j = close + 1
                source: Node | None = None
                if reader.op(j, "="):
                    source, j = reader.expression(j + 1, 0)
                for prop, local in names:
                    if source is None or prop is None:
                        self.set(local, UNKNOWN)
                    else:
                        self.set(local, Node("member", text=prop, base=source, at=j))
            else:
                return
            if reader.op(j, ","):
                j += 1
                continue
            return

    def _import(self, reader: Reader, j: int) -> None:
        t = reader.t
        end = j
        while end < reader.n and not (t[end].kind == NAME and t[end].text == "from") and \
                not (t[end].kind == OP and t[end].text == ";"):
            end += 1
        if not (end + 1 < reader.n and t[end].kind == NAME and t[end + 1].kind == STR):
            return  # import 'x' (side effects), judged as a call elsewhere
        mod = canon(t[end + 1].value)
        k = j
        while k < end:
            tok = t[k]
            if tok.kind == NAME and tok.text not in ("type", "as"):
                self.set(tok.text, Ref(mod))  # the default export
            elif reader.op(k, "*") and reader.word(k + 1, "as") and k + 2 < end:
                self.set(t[k + 2].text, Ref(mod))
                k += 3
                continue
            elif reader.op(k, "{"):
                close = reader.match.get(k, end)
                for prop, local in _pattern(reader, k + 1, close, True, import_=True):
                    self.set(local, Ref(canon(f"{mod}.{prop}")) if prop else UNKNOWN)
                k = close + 1
                continue
            k += 1

    # ---- values ------------------------------------------------------------------------

    def value(self, node: Node, depth: int = 0) -> Value:
        if node.kind == "unknown" and node.flag == "iter" and node.base is not None:
            v = single(super().value(node.base, depth + 1))
            if isinstance(v, list) and 0 < len(v) <= 16:
                return one_of(v)
            return UNKNOWN
        if node.kind == "array" and node.flag == "group" and node.items:
            return self.value(node.items[-1], depth + 1)
        return super().value(node, depth)

    def global_name(self, name: str) -> Value:
        if name in ("globalThis", "global", "window", "self"):
            return Ref("global")
        if name in _GLOBALS:
            return Ref(name)
        if name in ("__dirname", "__filename"):
            return DYNAMIC
        return UNKNOWN

    def member(self, base: Value, name: str) -> Value:
        if isinstance(base, OneOf):
            return one_of([self.member(b, name) for b in base.values])
        if isinstance(base, Ref):
            if base.name == "global":
                return self.name(name) if name not in ("process",) else Ref("process")
            full = canon(f"{base.name}.{name}")
            if full in ("process.mainModule", "require.main"):
                return Ref("module")
            if full in ("module.require", "module.constructor.createRequire",
                        "module.createRequire"):
                return Ref("require") if full == "module.require" else Ref("createRequire")
            if full == "module.constructor":
                return Ref("module")
            return Ref(full, path=base.path, base=base.base)
        if isinstance(base, str):
            return Ref(f"str().{name}", path=base)
        if isinstance(base, list):
            return Ref(f"array().{name}", path=base)
        if isinstance(base, dict):
            return base.get(name, UNKNOWN)
        return UNKNOWN

    def call_value(self, callee: Value, args: list[Value], node: Node) -> Value:
        if not isinstance(callee, Ref):
            return UNKNOWN
        name = callee.name
        a0 = arg(args, 0)
        if name in ("require", "import") or name == "createRequire()":
            t = text_of(a0)
            if t is None or DYNAMIC in t:
                return UNKNOWN
            if t.startswith((".", "/")):
                return Ref("local-module", path=t)
            return Ref(canon(t))
        if name in ("createRequire", "module.createRequire"):
            return Ref("require")
        if name in ("util.promisify", "util.callbackify"):
            return a0
        if name in ("path.join", "path.resolve", "path.posix.join"):
            parts = [text_of(x) for x in args]
            if not parts:
                return "."
            return os.path.join(*(p if p is not None else DYNAMIC for p in parts))
        if name == "os.homedir":
            return "~"
        if name == "os.tmpdir":
            return "/tmp"
        if name == "process.cwd":
            return "."
        if name == "JSON.stringify":
            return to_json(a0)
        if name in ("Buffer.from", "atob"):
            enc = text_of(arg(args, 1)) if name == "Buffer.from" else "base64"
            return _decode(a0, enc or "utf8")
        if name == "String.fromCharCode":
            if all(isinstance(x, int) for x in args):
                try:
                    return "".join(chr(x) for x in args)
                except (ValueError, OverflowError):
                    return UNKNOWN
            return UNKNOWN
        if name.startswith("str()."):
            return _str_method(name[6:], callee.path, args)
        if name == "array().join":
            sep = text_of(a0) if args else ","
            items = callee.path
            return (sep or ",").join(t if (t := text_of(x)) is not None else DYNAMIC
                                     for x in items)
        if name == "array().concat":
            return list(callee.path) + [x for y in args for x in (y if isinstance(y, list)
                                                                  else [y])]
        if name == "URL" and node.new:
            return a0 if isinstance(a0, str) else UNKNOWN
        if name == "Bun.file":
            return Ref("Bun.file()", path=a0)
        if name in ("axios.create", "got.extend"):
            base = option(args, "baseURL") if name == "axios.create" else option(args,
                                                                                  "prefixUrl")
            return Ref(f"{name.split('.')[0]}()", base=text_of(base) or "")
        if name == "Request" and node.new:
            return _fetch_request(a0, arg(args, 1))
        if name == "XMLHttpRequest" and node.new:
            return Ref("XMLHttpRequest()")
        if name == "Headers" and node.new:
            return a0 if isinstance(a0, dict) else UNKNOWN
        return UNKNOWN

    # ---- judging -----------------------------------------------------------------------

    def sensitive(self, ref: Ref) -> bool:
        return ref.name.split(".", 1)[0] in SENSITIVE

    def dynamic_call(self, node: Node) -> None:
        base = node.base
        if base is not None and base.kind == "member" and base.text in _DISTINCTIVE and \
                base.base is not None and not _ref_list(self.value(base.base)):
            # fs.rmSync / execSync… called on an object Airlock cannot follow (a promise's
            # result, a parameter): the names say what they do
            self.effect(Ref(_DISTINCTIVE[base.text]), [self.value(a) for a in node.items],
                        node)
            return
        if base is not None and base.kind == "member" and base.text == "constructor":
            self.fx.held("calls a constructor reached through .constructor (Function)")
            return
        if base is not None and base.kind == "unknown" and base.flag == "":
            return
        if base is not None and base.kind == "call" and node.flag != "tagged":
            inner = single(self.value(base.base)) if base.base is not None else UNKNOWN
            if isinstance(inner, Ref) and inner.name in ("createRequire",
                                                        "module.createRequire"):
                self._module_load(node, [self.value(a) for a in node.items])

    def on_argument(self, node: Node, value: Value, callees: list[Ref]) -> None:
        if any(c.name in ("util.promisify", "util.callbackify") for c in callees):
            return
        for ref in _ref_list(value):
            if _handler(ref.name) is not None and not ref.name.startswith(("str().",
                                                                           "array().")):
                self.fx.held(f"passes {ref.name} around as a value")
                return

    def effect(self, callee: Ref, args: list[Value], node: Node) -> None:
        handler = _handler(callee.name)
        if handler is not None:
            handler(self, callee, [single(a) for a in args], node)

    def _module_load(self, node: Node, args: list[Value]) -> None:
        t = text_of(single(arg(args, 0)))
        if t is None or DYNAMIC in t:
            self.fx.held("loads a module whose name Airlock cannot see")
        elif t.startswith((".", "/")):
            self.fx.run_file("node", t, f"loads {t}")


def _pattern(reader: Reader, j: int, close: int, obj: bool, import_: bool = False
             ) -> list[tuple[str | None, str]]:
    """``{a, b: c, d = 1, ...e}`` → [(a, a), (b, c), (d, d), (None, e)];
    ``{a as b}`` in an import. Nested patterns bind unknown names."""
    t = reader.t
    out: list[tuple[str | None, str]] = []
    while j < close:
        if reader.op(j, "..."):
            if j + 1 < close and t[j + 1].kind == NAME:
                out.append((None, t[j + 1].text))
            j += 2
        elif t[j].kind in (NAME, STR):
            prop = t[j].text if t[j].kind == NAME else t[j].value
            if not obj:
                out.append((None, prop))
                j += 1
            elif import_ and reader.word(j + 1, "as") and j + 2 < close:
                out.append((prop, t[j + 2].text))
                j += 3
            elif reader.op(j + 1, ":") and j + 2 < close:
                if t[j + 2].kind == NAME:
                    out.append((prop, t[j + 2].text))
                    j += 3
                else:
                    end = reader.match.get(j + 2, close)
                    for _p, local in _pattern(reader, j + 3, end, True):
                        out.append((None, local))
                    j = end + 1
            else:
                out.append((prop, prop))
                j += 1
        else:
            j += 1
        while j < close and not reader.op(j, ","):
            j = reader.after(j) if reader.op(j, "(", "[", "{") else j + 1
        j += 1
    return out


def _ref_list(v: Value) -> list[Ref]:
    return [x for x in (v.values if isinstance(v, OneOf) else (v,)) if isinstance(x, Ref)]


def _decode(v: Value, enc: str) -> Value:
    t = text_of(v)
    if t is None or DYNAMIC in t:
        return UNKNOWN
    try:
        if enc == "base64" or enc == "base64url":
            pad = t + "=" * (-len(t) % 4)
            return base64.b64decode(pad.replace("-", "+").replace("_", "/")).decode(
                "utf-8", "replace")
        if enc == "hex":
            return bytes.fromhex(t).decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return UNKNOWN
    return t


def _str_method(method: str, text: str, args: list[Value]) -> Value:
    if method in ("toString", "valueOf", "trim", "toLowerCase", "toUpperCase") and not args:
        return {"trim": text.strip(), "toLowerCase": text.lower(),
                "toUpperCase": text.upper()}.get(method, text)
    if method == "split":
        sep = text_of(arg(args, 0))
        if sep is None or DYNAMIC in text:
            return UNKNOWN
        return text.split(sep) if sep else list(text)
    if method == "concat":
        return text + "".join(t if (t := text_of(x)) is not None else DYNAMIC for x in args)
    if method in ("replace", "replaceAll") and all(isinstance(x, str) for x in args[:2]) \
            and len(args) >= 2:
        return text.replace(args[0], args[1], 1 if method == "replace" else -1)
    return UNKNOWN


# ---- what each function does -----------------------------------------------------------------

JsHandler = Callable[[JavaScript, Ref, list[Value], Node], None]


def _fn(ref: Ref) -> str:
    return ref.name.rsplit(".", 1)[-1]


def _delete(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = _fn(ref)
    what = f"{ref.name}()"
    if ref.name.startswith(("Bun.file()",)):
        an.fx.delete(ref.path, what)
        return
    path = arg(a, 0)
    recursive = bool(option(a[1:], "recursive", False)) if fn.startswith(("rm", "remove")) \
        or ref.name.startswith("Deno.") else False
    if option(a[1:], "recursive", False) is UNKNOWN or (len(a) > 1 and a[1] is UNKNOWN):
        recursive = True  # options Airlock cannot read: as if recursive
    if fn.startswith("rmdir") and not recursive:
        an.fx.delete(path, what, directory=True)
    elif fn.startswith("emptyDir"):
        t = text_of(path)
        an.fx.delete(Glob(t.rstrip("/") + "/*") if t else UNKNOWN, what, recursive=True)
    elif fn in ("remove", "removeSync"):
        an.fx.delete(path, what, recursive=True)
    else:
        an.fx.delete(path, what, recursive=recursive)


def _rimraf(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    paths = arg(a, 0)
    for p in (paths if isinstance(paths, list) else [paths]):
        an.fx.delete(glob_or(p), f"{ref.name}()", recursive=True)


def _truncate(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.truncate(arg(a, 0), f"{ref.name}()")


def _write(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = _fn(ref)
    flag = option(a[1:], "flag", option(a[1:], "flags", None))
    if isinstance(arg(a, 1), str) and fn.startswith("createWriteStream"):
        flag = arg(a, 1)
    append = fn.startswith("append") or (isinstance(flag, str) and flag.startswith("a"))
    an.fx.write(arg(a, 0), f"{ref.name}()", replace=not append)


def _open(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    flags = arg(a, 1) if len(a) > 1 else "r"
    t = text_of(flags)
    what = f"{ref.name}()"
    if t is None or DYNAMIC in t:
        an.fx.write(arg(a, 0), what)
    elif any(c in t for c in "wx+"):
        an.fx.write(arg(a, 0), what, replace="a" not in t)
    elif "a" in t:
        an.fx.write(arg(a, 0), what, replace=False)
    else:
        an.fx.read(arg(a, 0), what)


def _read(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.read(arg(a, 0), f"{ref.name}()")


def _two(kind: str) -> JsHandler:
    def h(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
        src, dst, what = arg(a, 0), arg(a, 1), f"{ref.name}()"
        if kind == "move":
            an.fx.move(src, dst, what)
        elif kind == "link":
            an.fx.link(src, dst, what)
        else:
            rec = kind == "copytree" or bool(option(a[2:], "recursive", False))
            an.fx.copy(src, dst, what, recursive=rec)
    return h


def _chmod(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.chmod(arg(a, 0), arg(a, 1), f"{ref.name}()", owner="chown" in ref.name)


def _child_stdin(ref: Ref, opts: list[Value]) -> Value:
    """What the code writes to a child's input: ``input`` of the *Sync functions; for the
    others, whatever it writes to ``child.stdin`` later (UNKNOWN), unless stdio is not a
    pipe."""
    if ref.name.endswith("Sync") or not ref.name.startswith("child_process."):
        return option(opts, "input", None)
    stdio = option(opts, "stdio", "pipe")
    if stdio in ("inherit", "ignore") or (isinstance(stdio, list) and stdio and
                                          stdio[0] in ("inherit", "ignore")):
        return None
    return UNKNOWN


def _exec(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.shell(arg(a, 0), f"{ref.name}()", stdin=_child_stdin(ref, a[1:]))


def _exec_file(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    rest = arg(a, 1)
    argv = [arg(a, 0), *(rest if isinstance(rest, list) else [])]
    if not isinstance(rest, list) and len(a) > 1 and not isinstance(rest, dict) and \
            rest is not None:
        argv.append(UNKNOWN)
    if option(a[1:], "shell", False):
        # with shell: true, Node joins the command and its arguments with spaces
        parts = [text_of(x) for x in argv]
        line = " ".join(p for p in parts if p is not None) if None not in parts else None
        an.fx.shell(line if line is not None else UNKNOWN, f"{ref.name}()",
                    stdin=_child_stdin(ref, a[1:]))
        return
    an.fx.argv(argv, f"{ref.name}()", stdin=_child_stdin(ref, a[1:]))


def _fork(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    t = text_of(arg(a, 0))
    if t is None or DYNAMIC in t:
        an.fx.held(f"{ref.name}(): runs a program Airlock cannot see")
    else:
        an.fx.run_file("node", t, f"{ref.name}()")


def _tagged_shell(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    if node.flag == "tagged":  # $({options}) only returns a configured $
        an.fx.shell(arg(a, 0), f"{ref.name}`…`")


def _shelljs(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = _fn(ref)
    if fn == "exec":
        an.fx.shell(arg(a, 0), "shelljs.exec()")
    else:
        flat: list[Value] = []
        for x in a:
            flat.extend(x if isinstance(x, list) else [x])
        an.fx.argv([fn, *flat], f"shelljs.{fn}()")


def _eval(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = ref.name
    if fn in ("setTimeout", "setInterval", "setImmediate"):
        if isinstance(arg(a, 0), str):
            an.exec_text(arg(a, 0), fn)
        return
    if fn == "Function":
        # a function built from text: what it returns (process, require…) is not seen
        an.fx.held("builds a function from text (Function)")
        return
    an.exec_text(arg(a, 0), f"{fn}()")


def _require(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    if node.items and node.items[0].kind != "str":
        an.fx.held(f"{ref.name}() of a module name built at run time")
        return
    an._module_load(node, a)


def _held_always(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.held(f"calls {ref.name}, which loads code Airlock cannot read")


def _deno_run(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    cmd = option(a, "cmd", UNKNOWN)
    an.fx.argv(cmd if isinstance(cmd, list) else UNKNOWN, "Deno.run()")


def _deno_command(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    rest = option(a[1:], "args", [])
    an.fx.argv([arg(a, 0), *(rest if isinstance(rest, list) else [UNKNOWN])],
               "Deno.Command()")


def _bun_spawn(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    first = arg(a, 0)
    cmd = first if isinstance(first, list) else option([first], "cmd", UNKNOWN)
    an.fx.argv(cmd if isinstance(cmd, list) else UNKNOWN, f"{ref.name}()")


def _fetch(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    first = arg(a, 0)
    if isinstance(first, Request):
        req = first
        init = arg(a, 1)
        if isinstance(init, dict) and "method" in init:
            req = _fetch_request(first.url, {**_init_of(first), **init})
    else:
        req = _fetch_request(first, a[1] if len(a) > 1 else None)
    an.fx.http(req, f"{ref.name}()")


def _init_of(req: Request) -> dict[str, Value]:
    return {"method": req.method, "headers": req.headers, "body": req.data}


def _fetch_request(url: Value, init: Value) -> Request:
    if not isinstance(init, dict):
        init = {} if init is None else {DYNAMIC: UNKNOWN}  # options Airlock cannot read
    method = init.get("method", "GET" if DYNAMIC not in init else UNKNOWN)
    return Request(method=method, url=url, headers=init.get("headers"),
                   data=init.get("body"))


def _axios(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = _fn(ref)
    base = ref.base
    what = f"{ref.name.replace('()', '')}()"
    if fn in _HTTP_VERBS:
        url = arg(a, 0)
        if fn in ("post", "put", "patch"):
            data, config = arg(a, 1) if len(a) > 1 else None, arg(a, 2)
        else:
            data, config = None, arg(a, 1)
        method: Value = fn.upper()
    else:  # axios(config), axios(url, config), axios.request(config)
        first = arg(a, 0)
        config = first if isinstance(first, dict) else arg(a, 1)
        url = first if not isinstance(first, dict) else (
            config.get("url", UNKNOWN) if isinstance(config, dict) else UNKNOWN)
        data = config.get("data") if isinstance(config, dict) else None
        method = config.get("method", "GET") if isinstance(config, dict) else (
            UNKNOWN if config not in (None, UNKNOWN) else "GET")
    if isinstance(config, dict):
        base = text_of(config.get("baseURL")) or base
        headers = config.get("headers")
    else:
        headers = None
    an.fx.http(_body_request(method, url, data, headers, base), what)


def _got(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    fn = _fn(ref)
    opts = arg(a, 1) if not isinstance(arg(a, 0), dict) else arg(a, 0)
    url = arg(a, 0) if not isinstance(arg(a, 0), dict) else (
        opts.get("url", UNKNOWN) if isinstance(opts, dict) else UNKNOWN)
    o = opts if isinstance(opts, dict) else {}
    method = fn.upper() if fn in _HTTP_VERBS else o.get("method", "GET")
    data = o.get("json", o.get("body", o.get("form")))
    an.fx.http(_body_request(method, url, data, o.get("headers"),
                             ref.base or text_of(o.get("prefixUrl")) or ""), f"{ref.name}()")


def _undici(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    o = arg(a, 1) if isinstance(arg(a, 1), dict) else {}
    an.fx.http(_body_request(o.get("method", "GET"), arg(a, 0), o.get("body"),
                             o.get("headers"), ""), f"{ref.name}()")


def _node_http(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    mod = ref.name.split(".")[0]
    first = arg(a, 0)
    opts = first if isinstance(first, dict) else (arg(a, 1) if isinstance(arg(a, 1), dict)
                                                  else {})
    if isinstance(first, str):
        url: Value = first
    elif isinstance(first, dict):
        host = text_of(first.get("hostname", first.get("host", UNKNOWN)))
        port = text_of(first.get("port"))
        path = text_of(first.get("path", "/"))
        proto = text_of(first.get("protocol")) or f"{mod}:"
        url = f"{proto}//{host if host is not None else DYNAMIC}" + \
            (f":{port}" if port else "") + (path if path is not None else "/" + DYNAMIC)
    else:
        url = UNKNOWN
    method = "GET" if _fn(ref) == "get" else opts.get("method", "GET")
    an.fx.http(Request(method=method, url=url, headers=opts.get("headers"),
                       data=UNKNOWN if str(method).upper() not in ("GET", "HEAD") else None),
               f"{ref.name}()")


def _xhr_open(an: JavaScript, ref: Ref, a: list[Value], node: Node) -> None:
    an.fx.http(Request(method=arg(a, 0), url=arg(a, 1), data=UNKNOWN), "XMLHttpRequest.open()")


def _body_request(method: Value, url: Value, data: Value, headers: Value, base: str
                  ) -> Request:
    if isinstance(data, (dict, list)):
        return Request(method=method, url=url, headers=headers, json=data, has_json=True,
                       base=base)
    return Request(method=method, url=url, headers=headers, data=data, base=base)


_FS_DELETE = ("rmSync", "rm", "rmdirSync", "rmdir", "unlinkSync", "unlink", "remove",
              "removeSync", "emptyDir", "emptyDirSync", "emptydir", "emptydirSync")
_FS: dict[str, JsHandler] = {
    **{f: _delete for f in _FS_DELETE},
    "truncateSync": _truncate, "truncate": _truncate,
    **{f: _write for f in ("writeFileSync", "writeFile", "appendFileSync", "appendFile",
                           "createWriteStream", "outputFile", "outputFileSync", "writeJson",
                           "writeJsonSync", "outputJson", "outputJsonSync", "writeJSON",
                           "writeJSONSync")},
    "openSync": _open, "open": _open,
    **{f: _read for f in ("readFileSync", "readFile", "createReadStream", "readJson",
                          "readJsonSync", "readJSON")},
    "copyFileSync": _two("copy"), "copyFile": _two("copy"), "cpSync": _two("copy"),
    "cp": _two("copy"), "copy": _two("copytree"), "copySync": _two("copytree"),
    "renameSync": _two("move"), "rename": _two("move"), "move": _two("move"),
    "moveSync": _two("move"), "symlinkSync": _two("link"), "symlink": _two("link"),
    "linkSync": _two("link"), "link": _two("link"), "ensureSymlink": _two("link"),
    "chmodSync": _chmod, "chmod": _chmod, "chownSync": _chmod, "chown": _chmod,
}
_EFFECTS: dict[str, JsHandler] = {
    **{f"fs.{k}": v for k, v in _FS.items()},
    "rimraf": _rimraf, "rimraf.sync": _rimraf, "rimraf.rimraf": _rimraf,
    "rimraf.rimrafSync": _rimraf, "rimraf.native": _rimraf, "rimraf.nativeSync": _rimraf,
    "rimraf.manual": _rimraf, "rimraf.manualSync": _rimraf, "rimraf.default": _rimraf,
    "del": _rimraf, "del.deleteAsync": _rimraf, "del.deleteSync": _rimraf,
    "del.sync": _rimraf, "del.default": _rimraf,
    "child_process.exec": _exec, "child_process.execSync": _exec,
    "child_process.execFile": _exec_file, "child_process.execFileSync": _exec_file,
    "child_process.spawn": _exec_file, "child_process.spawnSync": _exec_file,
    "child_process.fork": _fork,
    "execa": _exec_file, "execa.execa": _exec_file, "execa.execaSync": _exec_file,
    "execa.execaNode": _fork, "execa.execaCommand": _exec, "execa.execaCommandSync": _exec,
    "execa.$": _tagged_shell, "zx.$": _tagged_shell, "Bun.$": _tagged_shell,
    "shelljs.exec": _shelljs, **{f"shelljs.{f}": _shelljs for f in ("rm", "mv", "cp",
                                                                      "chmod", "sed")},
    "eval": _eval, "Function": _eval, "setTimeout": _eval, "setInterval": _eval,
    "setImmediate": _eval, "vm.runInThisContext": _eval, "vm.runInNewContext": _eval,
    "vm.runInContext": _eval, "vm.compileFunction": _eval, "vm.Script": _eval,
    "vm.SourceTextModule": _eval, "worker_threads.Worker": _fork,
    "require": _require, "import": _require, "createRequire()": _require,
    "process.binding": _held_always, "process._linkedBinding": _held_always,
    "process.dlopen": _held_always, "module._load": _held_always,
    "module.Module._load": _held_always, "module.wrap": _held_always,
    "Deno.remove": _delete, "Deno.removeSync": _delete, "Deno.run": _deno_run,
    "Deno.Command": _deno_command, "Deno.writeTextFile": _write,
    "Deno.writeTextFileSync": _write, "Deno.writeFile": _write, "Deno.writeFileSync": _write,
    "Deno.truncate": _truncate, "Deno.truncateSync": _truncate, "Deno.rename": _two("move"),
    "Deno.renameSync": _two("move"), "Deno.readTextFile": _read,
    "Deno.readTextFileSync": _read, "Deno.readFile": _read, "Deno.readFileSync": _read,
    "Deno.chmod": _chmod, "Deno.chmodSync": _chmod,
    "Bun.spawn": _bun_spawn, "Bun.spawnSync": _bun_spawn, "Bun.write": _write,
    "Bun.file().delete": _delete, "Bun.file().unlink": _delete,
    "fetch": _fetch, "undici.fetch": _fetch, "undici.request": _undici,
    "axios": _axios, "axios.request": _axios, "axios()": _axios, "axios().request": _axios,
    **{f"axios.{v}": _axios for v in _HTTP_VERBS},
    **{f"axios().{v}": _axios for v in _HTTP_VERBS},
    "got": _got, "got()": _got, **{f"got.{v}": _got for v in _HTTP_VERBS},
    **{f"got().{v}": _got for v in _HTTP_VERBS},
    "http.request": _node_http, "https.request": _node_http, "http.get": _node_http,
    "https.get": _node_http, "XMLHttpRequest().open": _xhr_open,
}


def _handler(name: str) -> JsHandler | None:
    return _EFFECTS.get(name)


def analyse(source: str, fx: Effects, what: str) -> None:
    JavaScript(fx).run(tokenize(source, "js"), what)
