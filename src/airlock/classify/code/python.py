"""Python code read with ``ast``: what it deletes, writes, runs and sends.

Names are followed the way Python binds them, flow-insensitively: ``import os as o``,
``from shutil import rmtree as r``, ``f = os.system``, ``s = requests.Session()``,
``with httpx.Client(base_url=…) as c``, a ``for`` over a literal list, and literal
strings put together (``"/srv/" + name``, f-strings, ``os.path.join``, ``Path(…) / …``).
A name bound in several places may hold any of its values, and each is judged.

What is reached by a name Airlock cannot read is held: ``eval``/``exec``/``compile`` of
text that is not a literal (a literal is analysed as code), ``__import__``,
``importlib.import_module`` and ``sys.modules[…]`` of a module that deletes, runs or
sends (``os``, ``subprocess``, ``requests``…) or of a name that is not a literal,
``getattr`` with a computed name on a module, the interpreter's internals
(``__subclasses__``, ``__globals__``…), and a deleting or spawning function passed
around as a value (``map(os.remove, …)``, ``Thread(target=os.system, …)``).
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import os
import re
from collections.abc import Iterator
from typing import Any

from airlock.classify import limits
from airlock.classify.code.effects import (
    MAX_ALTERNATIVES,
    UNKNOWN,
    Effects,
    Glob,
    OneOf,
    Ref,
    Request,
    Value,
    join_argv,
    one_of,
    refs,
    single,
    text_of,
)
from airlock.classify.code.pyeffects import (
    INTERNALS,
    SENSITIVE_MODULES,
    Flags,
    effect_of,
    flag_names,
    lib_request,
    root,
)
from airlock.classify.command import DYNAMIC

MAX_EXEC_DEPTH = 8


_ALIASES = {
    "posix": "os", "nt": "os", "posixpath": "os.path", "ntpath": "os.path",
    "__builtin__": "builtins", "__builtins__": "builtins", "urllib2": "urllib.request",
    "requests.api": "requests", "requests.sessions": "requests", "requests.session":
    "requests.Session", "pathlib.PosixPath": "pathlib.Path", "pathlib.WindowsPath":
    "pathlib.Path", "io.open": "builtins.open", "codecs.open": "builtins.open",
    "commands": "subprocess", "asyncio.subprocess": "asyncio", "httpx.AsyncClient":
    "httpx.Client",
    "os.path.os": "os", "shutil.os": "os", "subprocess.os": "os", "aiohttp.client": "aiohttp",
    "urllib3.poolmanager": "urllib3", "requests.sessions.Session": "requests.Session",
}

BUILTINS = frozenset({"open", "eval", "exec", "compile", "__import__", "getattr", "globals",
                      "locals", "vars", "str", "bytes", "breakpoint", "input", "print",
                      "setattr", "delattr", "hasattr", "map", "filter", "list", "tuple"})

# the interpreter's innards: reaching them is reaching anything
# always held: code loaded or built in ways nothing can read
_ALWAYS_DYNAMIC = ("runpy.", "code.", "codeop.", "types.FunctionType", "types.CodeType",
                   "marshal.load", "pickle.load", "dill.load", "ctypes.", "cffi.",
                   "importlib.util.", "importlib.machinery.", "importlib.reload", "zipimport.",
                   "imp.", "operator.attrgetter", "operator.methodcaller", "gc.get_objects",
                   "gc.get_referrers", "inspect.currentframe", "sys._getframe",
                   "plumbum.", "builtins.breakpoint")

_CLIENTS = {"requests.Session": "", "httpx.Client": "base_url", "aiohttp.ClientSession":
            "base_url", "urllib3.PoolManager": "", "http.client.HTTPConnection": "",
            "http.client.HTTPSConnection": ""}
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql"})
# methods only paths have: on an object Airlock cannot see, the path is unknown
_PATH_ONLY = frozenset({"unlink", "rmdir", "rmtree", "write_text", "write_bytes"})


def canon(name: str) -> str:
    """``posix.system`` → ``os.system``; ``io.open`` → ``builtins.open``."""
    for _ in range(4):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            if head in _ALIASES:
                name = ".".join([_ALIASES[head], *parts[i:]])
                break
        else:
            return name
    return name


class PythonCode:
    """One analysis: bindings of the whole program, then every call judged once."""

    def __init__(self, fx: Effects) -> None:
        self.fx = fx
        self.bindings: dict[str, list[tuple[str, Any]]] = {}
        self.star: list[str] = []
        self.parents: dict[int, ast.AST] = {}
        self.trees: list[ast.AST] = []
        self._stack: set[int] = set()
        self._memo: dict[str, Value] = {}
        self.depth = 0

    # ---- entry ----------------------------------------------------------------------

    def run(self, source: str, what: str) -> bool:
        """Analyse ``source``; False when it is not Python (held by the caller)."""
        tree = self._parse(source, what)
        if tree is None:
            return False
        self._add(tree)
        self._judge(tree)
        return True

    def _parse(self, source: str, what: str) -> ast.AST | None:
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            msg = getattr(exc, "msg", None) or type(exc).__name__
            self.fx.held(f"{what} is Python that does not parse ({msg})")
            return None

    def _add(self, tree: ast.AST) -> None:
        """Record parents and bindings of a (sub)program."""
        self.trees.append(tree)
        self._memo.clear()
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            self._bind(node)

    # ---- bindings -------------------------------------------------------------------

    def _set(self, name: str, kind: str, what: Any) -> None:
        self.bindings.setdefault(name, []).append((kind, what))

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self._set(a.asname, "value", Ref(canon(a.name)))
                else:
                    root = a.name.split(".")[0]
                    self._set(root, "value", Ref(canon(root)))
        elif isinstance(node, ast.ImportFrom):
            mod = canon(node.module or "")
            if node.level:
                for a in node.names:
                    self._set(a.asname or a.name, "value", UNKNOWN)
                return
            for a in node.names:
                if a.name == "*":
                    self.star.append(mod)
                else:
                    self._set(a.asname or a.name, "value", Ref(canon(f"{mod}.{a.name}")))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                self._bind_target(t, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            self._bind_target(node.target, node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self._set(node.target.id, "value", UNKNOWN)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._bind_target(node.target, node.iter, iterate=True)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, item.context_expr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            params = node.args
            for p in [*params.posonlyargs, *params.args, *params.kwonlyargs,
                      *(x for x in (params.vararg, params.kwarg) if x is not None)]:
                self._set(p.arg, "value", UNKNOWN)
            if not isinstance(node, ast.Lambda):
                self._set(node.name, "value", UNKNOWN)
        elif isinstance(node, (ast.ClassDef, ast.ExceptHandler)) and node.name:
            self._set(node.name, "value", UNKNOWN)

    def _bind_target(self, target: ast.AST, value: ast.AST, iterate: bool = False) -> None:
        if isinstance(target, ast.Name):
            self._set(target.id, "iter" if iterate else "expr", value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not iterate and isinstance(value, (ast.Tuple, ast.List)) and \
                    len(value.elts) == len(target.elts) and \
                    not any(isinstance(e, ast.Starred) for e in target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._bind_target(t, v)
            else:
                for t in target.elts:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            self._set(n.id, "value", UNKNOWN)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, value, iterate)

    def name(self, name: str) -> Value:
        if name in self._memo:
            return self._memo[name]
        v = self._name(name)
        if not self._stack:
            self._memo[name] = v
        return v

    def _name(self, name: str) -> Value:
        found = self.bindings.get(name)
        if not found:
            if name in BUILTINS:
                return Ref(f"builtins.{name}")
            if name == "__builtins__":
                return Ref("builtins")
            for mod in self.star:
                return Ref(canon(f"{mod}.{name}")) if mod in SENSITIVE_MODULES or \
                    root(mod) in SENSITIVE_MODULES else UNKNOWN
            return UNKNOWN
        values: list[Any] = []
        for kind, what in found:
            if kind == "value":
                v = what
            else:
                key = id(what) ^ (kind == "iter")
                if key in self._stack:
                    v = UNKNOWN
                else:
                    self._stack.add(key)
                    try:
                        v = self.value(what)
                        if kind == "iter":
                            v = _iterated(v)
                    finally:
                        self._stack.discard(key)
            for x in (v.values if isinstance(v, OneOf) else (v,)):
                if x not in values:
                    values.append(x)
        if len(values) == 1:
            return values[0]
        return OneOf(tuple(values[:MAX_ALTERNATIVES])) if len(values) <= MAX_ALTERNATIVES \
            else UNKNOWN

    # ---- values (pure: nothing is judged here) ---------------------------------------

    def value(self, node: ast.AST | None, depth: int = 0) -> Value:
        if node is None:
            return None
        if depth > 48:
            return UNKNOWN
        d = depth + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bytes):
                return v.decode("utf-8", "replace")
            return v if isinstance(v, (str, int, float, bool)) or v is None else UNKNOWN
        if isinstance(node, ast.JoinedStr):
            parts = []
            for p in node.values:
                if isinstance(p, ast.Constant):
                    parts.append(str(p.value))
                elif isinstance(p, ast.FormattedValue) and p.format_spec is None:
                    t = text_of(single(self.value(p.value, d)))
                    parts.append(t if t is not None else DYNAMIC)
                else:
                    parts.append(DYNAMIC)
            return "".join(parts)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(self.value(node.value, d), node.attr)
        if isinstance(node, ast.Call):
            return self._call_value(node, d)
        if isinstance(node, ast.BinOp):
            return self._binop(node, d)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out: list[Any] = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    inner = self.value(e.value, d)
                    out.extend(inner if isinstance(inner, list) else [UNKNOWN])
                else:
                    out.append(single(self.value(e, d)))
            return out
        if isinstance(node, ast.Dict):
            dv: dict[str, Any] = {}
            for k, item in zip(node.keys, node.values, strict=True):
                if k is None:
                    inner = self.value(item, d)
                    if isinstance(inner, dict):
                        dv.update(inner)
                    else:
                        dv[DYNAMIC] = UNKNOWN
                    continue
                key = text_of(self.value(k, d))
                dv[key if key is not None else DYNAMIC] = single(self.value(item, d))
            return dv
        if isinstance(node, ast.Subscript):
            return self._subscript(node, d)
        if isinstance(node, ast.IfExp):
            return one_of([self.value(node.body, d), self.value(node.orelse, d)])
        if isinstance(node, ast.BoolOp):
            return one_of([self.value(v, d) for v in node.values])
        if isinstance(node, (ast.Await, ast.NamedExpr)):
            return self.value(node.value, d)
        return UNKNOWN

    def _attribute(self, base: Value, attr: str) -> Value:
        if isinstance(base, OneOf):
            return one_of([self._attribute(b, attr) for b in base.values])
        if isinstance(base, Ref):
            if base.name == "pathlib.Path()":
                if attr == "parent":
                    t = text_of(base.path)
                    return Ref("pathlib.Path()", path=os.path.dirname(t.rstrip("/")) or "/") \
                        if t is not None else Ref("pathlib.Path()", path=UNKNOWN)
                return Ref(f"pathlib.Path().{attr}", path=base.path)
            if base.name.endswith("()"):
                return Ref(f"{base.name}.{attr}", path=base.path, base=base.base)
            if base.name == "os" and attr == "environ":
                return Ref("os.environ")
            return Ref(canon(f"{base.name}.{attr}"))
        if isinstance(base, Request) and attr == "prepare":
            return Ref("request.prepare", path=base)
        if isinstance(base, str):
            return Ref(f"str().{attr}", path=base)
        return UNKNOWN

    def _binop(self, node: ast.BinOp, d: int) -> Value:
        left = single(self.value(node.left, d))
        right = single(self.value(node.right, d))
        if isinstance(node.op, ast.Add):
            if isinstance(left, list) and isinstance(right, list):
                return left + right
            lt, rt = text_of(left), text_of(right)
            if isinstance(left, str) or isinstance(right, str):
                return (lt if lt is not None else DYNAMIC) + (rt if rt is not None else DYNAMIC)
            return UNKNOWN
        if isinstance(node.op, ast.Div) and isinstance(left, Ref) and \
                left.name == "pathlib.Path()":
            return Ref("pathlib.Path()", path=_join(left.path, right))
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            try:
                args = tuple(right) if isinstance(right, list) else right
                if known_text(args):
                    return left % args
            except (TypeError, ValueError, KeyError):
                pass
            return re.sub(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]", DYNAMIC, left)
        if isinstance(node.op, ast.BitOr) and all(isinstance(x, (Ref, Flags)) for x in
                                                  (left, right)):
            return Flags(flag_names(left) | flag_names(right))
        return UNKNOWN

    def _subscript(self, node: ast.Subscript, d: int) -> Value:
        base = single(self.value(node.value, d))
        key = single(self.value(node.slice, d))
        if isinstance(base, Ref):
            if base.name == "sys.modules":
                t = text_of(key)
                return Ref(canon(t)) if t is not None and DYNAMIC not in t else UNKNOWN
            if base.name in ("builtins.globals()", "builtins.locals()", "builtins.vars()"):
                t = text_of(key)
                return self.name(t) if t is not None else UNKNOWN
            if base.name == "builtins" or base.name.endswith(".__dict__"):
                t = text_of(key)
                owner = "builtins" if base.name == "builtins" else base.name[:-9]
                return Ref(canon(f"{owner}.{t}")) if t is not None else UNKNOWN
            if base.name == "os.environ":
                return DYNAMIC
        if isinstance(base, dict):
            t = text_of(key)
            return base.get(t, UNKNOWN) if t is not None else UNKNOWN
        if isinstance(base, (list, str)) and isinstance(key, int) and \
                not isinstance(key, bool):
            try:
                return base[key]
            except IndexError:
                return UNKNOWN
        return UNKNOWN

    def _args(self, call: ast.Call, d: int) -> tuple[list[Value], dict[str, Value]]:
        args: list[Value] = []
        for a in call.args:
            if isinstance(a, ast.Starred):
                inner = self.value(a.value, d)
                args.extend(inner if isinstance(inner, list) else [UNKNOWN])
            else:
                args.append(self.value(a, d))
        kw: dict[str, Value] = {}
        for k in call.keywords:
            if k.arg is None:
                inner = self.value(k.value, d)
                if isinstance(inner, dict):
                    kw.update({str(x): y for x, y in inner.items()})
                else:
                    kw["**"] = UNKNOWN
            else:
                kw[k.arg] = self.value(k.value, d)
        return args, kw

    def _call_value(self, call: ast.Call, d: int) -> Value:
        func = single(self.value(call.func, d))
        if not isinstance(func, Ref):
            return UNKNOWN
        args, kw = self._args(call, d)
        a = [single(x) for x in args]
        name = func.name
        first = a[0] if a else kw.get("path", UNKNOWN)
        if name == "pathlib.Path":
            if not a:
                return Ref("pathlib.Path()", path=".")
            p = a[0]
            for extra in a[1:]:
                p = _join(p, extra)
            return Ref("pathlib.Path()", path=p)
        if name == "pathlib.Path.home":
            return Ref("pathlib.Path()", path="~")
        if name in ("pathlib.Path.cwd", "os.getcwd"):
            return Ref("pathlib.Path()", path=".") if name.startswith("pathlib") else "."
        if name == "pathlib.Path().joinpath":
            p = func.path
            for extra in a:
                p = _join(p, extra)
            return Ref("pathlib.Path()", path=p)
        if name in ("pathlib.Path().expanduser", "pathlib.Path().resolve",
                    "pathlib.Path().absolute"):
            return Ref("pathlib.Path()", path=func.path)
        if name in ("pathlib.Path().glob", "pathlib.Path().rglob"):
            pat = text_of(first)
            base = text_of(func.path)
            if pat is None or base is None:
                return UNKNOWN
            mid = "/**/" if name.endswith("rglob") else "/"
            return [Glob(base.rstrip("/") + mid + pat)]
        if name in ("glob.glob", "glob.iglob"):
            t = text_of(first)
            return [Glob(t)] if t is not None else UNKNOWN
        if name == "os.path.join":
            p = a[0] if a else UNKNOWN
            for extra in a[1:]:
                p = _join(p, extra)
            return p
        if name in ("os.path.expanduser", "os.path.abspath", "os.path.normpath",
                    "os.path.realpath", "os.fspath", "builtins.str"):
            if isinstance(first, Ref) and first.name == "pathlib.Path()":
                return first.path
            return first if isinstance(first, str) else UNKNOWN
        if name in ("os.path.dirname",):
            t = text_of(first)
            return os.path.dirname(t) if t is not None else UNKNOWN
        if name in ("os.getenv", "os.environ.get"):
            return one_of([DYNAMIC, a[1]]) if len(a) > 1 else DYNAMIC
        if name in ("shlex.join",):
            return join_argv(first) if isinstance(first, list) else UNKNOWN
        if name.startswith("str()."):
            return _str_method(name[6:], func.path, a)
        if name in _DECODERS:
            return _decode(name, a)
        if name in ("builtins.__import__", "importlib.import_module",
                    "importlib.__import__"):
            t = text_of(first)
            if t is None or DYNAMIC in t:
                return UNKNOWN
            return Ref(canon(t if name != "builtins.__import__" or "." not in t
                             else t.split(".")[0]))
        if name == "builtins.getattr" and len(a) >= 2:
            t = text_of(a[1]) if isinstance(call.args[1], ast.Constant) else None
            return self._attribute(a[0], t) if t is not None and DYNAMIC not in t \
                else UNKNOWN
        if name in ("builtins.globals", "builtins.locals", "builtins.vars") and not a:
            return Ref(f"{name}()")
        if name == "builtins.vars" and a and isinstance(a[0], Ref):
            return Ref(f"{a[0].name}.__dict__")
        if name in _CLIENTS:
            base_kw = _CLIENTS[name]
            base = text_of(kw.get(base_kw)) if base_kw else None
            if name.startswith("http.client."):
                host = text_of(first)
                port = text_of(a[1] if len(a) > 1 else kw.get("port"))
                scheme = "https" if "HTTPS" in name else "http"
                base = f"{scheme}://{host or DYNAMIC}" + (f":{port}" if port else "")
                name = "http.client.HTTPConnection"
            return Ref(f"{name}()", base=base or "")
        if name in ("urllib.request.Request", "requests.Request", "httpx.Request") or \
                name.endswith("().build_request"):
            return self._request_object(name, a, kw)
        if name == "request.prepare":
            return func.path
        if name in ("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"):
            return first
        if name == "builtins.compile":
            t = text_of(first)
            return Ref("builtins.compile()", path=t) if t is not None else UNKNOWN
        return UNKNOWN

    def _request_object(self, name: str, a: list[Value], kw: dict[str, Value]) -> Request:
        if name == "urllib.request.Request":
            url = a[0] if a else kw.get("url", UNKNOWN)
            data = a[1] if len(a) > 1 else kw.get("data")
            headers = a[2] if len(a) > 2 else kw.get("headers")
            method = kw.get("method") or (a[5] if len(a) > 5 else None)
            if method is None:
                method = "POST" if data is not None else "GET"
            return Request(method=method, url=url, headers=headers, data=data)
        method = a[0] if a else kw.get("method", UNKNOWN)
        url = a[1] if len(a) > 1 else kw.get("url", UNKNOWN)
        return lib_request(method, url, kw)

    # ---- judging every call once ------------------------------------------------------

    def _judge(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            limits.check()
            if isinstance(node, ast.Call):
                self._judge_call(node)
            elif isinstance(node, (ast.Attribute, ast.Name, ast.Subscript)) and \
                    isinstance(getattr(node, "ctx", None), ast.Load):
                self._judge_reference(node)

    def _judge_reference(self, node: ast.Attribute | ast.Name | ast.Subscript) -> None:
        if isinstance(node, ast.Attribute) and node.attr in INTERNALS:
            self.fx.held(f"reaches the interpreter's internals ({node.attr})")
            return
        if isinstance(node, ast.Subscript):
            base = single(self.value(node.value))
            if isinstance(base, Ref) and base.name == "sys.modules":
                self._reflected(self.value(node.slice), "sys.modules[…]")
            elif isinstance(base, Ref) and (base.name in (
                    "builtins.globals()", "builtins.locals()", "builtins.vars()", "builtins")
                    or base.name.endswith(".__dict__")):
                key = text_of(single(self.value(node.slice)))
                if key is None or DYNAMIC in key:
                    self.fx.held("looks a name up in a namespace by a computed key")
            return
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            base = single(self.value(node.value))
            if isinstance(base, Ref) and not base.name.endswith("()"):
                self.fx.held(f"reads {base.name}.__dict__")
                return
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Call) and parent.func is node:
            return
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # part of a longer name; that one is judged
        v = self.value(node)
        for ref in refs(v):
            if effect_of(ref.name) is None and not ref.name.startswith(_ALWAYS_DYNAMIC):
                continue
            if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) or (
                    isinstance(parent, (ast.Tuple, ast.List)) and
                    isinstance(self.parents.get(id(parent)), ast.Assign)):
                continue  # an alias: its calls are judged where they are made
            self.fx.held(f"passes {ref.name} around as a value")
            return

    def _reflected(self, key: Value, how: str) -> None:
        t = text_of(single(key))
        if t is None or DYNAMIC in t:
            self.fx.held(f"imports a module whose name Airlock cannot see ({how})")
        elif root(canon(t)) in SENSITIVE_MODULES:
            self.fx.held(f"reaches {t} by reflection ({how})")

    def _judge_call(self, call: ast.Call) -> None:
        func = self.value(call.func)
        found = [r for r in refs(func) if effect_of(r.name) is not None
                or r.name.startswith(_ALWAYS_DYNAMIC)]
        if not found:
            self._judge_unknown_call(call)
            return
        args, kw = self._args(call, 0)
        for ref in found:
            for alt_args in _alternatives(args):
                self._effect(ref, call, alt_args, kw)

    def _judge_unknown_call(self, call: ast.Call) -> None:
        """A method of an object Airlock cannot see: SQL run through a cursor, a path
        deleted through a path object from elsewhere."""
        if not isinstance(call.func, ast.Attribute):
            return
        attr = call.func.attr
        args, kw = self._args(call, 0)
        first = args[0] if args else UNKNOWN
        if attr in _SQL_METHODS:
            for alt in _alternatives([first]):
                self.fx.sql(alt[0], f"{attr}()")
        elif attr in _PATH_ONLY:
            self._effect(Ref(f"pathlib.Path().{attr}", path=UNKNOWN), call, args, kw)

    def _effect(self, ref: Ref, call: ast.Call, args: list[Value],
                kw: dict[str, Value]) -> None:
        name = ref.name
        if name.startswith(_ALWAYS_DYNAMIC):
            self.fx.held(f"calls {name}, which runs code Airlock cannot read")
            return
        handler = effect_of(name)
        if handler is not None:
            handler(self, ref, [single(x) for x in args],
                    {k: single(v) for k, v in kw.items()}, call)

    # ---- code run by the code ----------------------------------------------------------

    def exec_text(self, source: Value, how: str, mode: str = "exec") -> None:
        if isinstance(source, Ref) and source.name == "builtins.compile()":
            return  # judged where it was compiled
        t = text_of(source)
        if t is None or DYNAMIC in t:
            self.fx.held(f"evaluates code Airlock cannot see ({how})")
            return
        if self.depth >= MAX_EXEC_DEPTH:
            self.fx.held(f"nests evaluated code deeper than Airlock follows ({how})")
            return
        try:
            tree = ast.parse(t, mode=mode if mode in ("exec", "eval") else "exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            self.fx.held(f"evaluates text that is not Python ({how})")
            return
        self.depth += 1
        try:
            self._add(tree)
            self._judge(tree)
        finally:
            self.depth -= 1


# ---- value helpers -----------------------------------------------------------------------

def known_text(v: Any) -> bool:
    if isinstance(v, tuple):
        return all(known_text(x) for x in v)
    return isinstance(v, (int, float)) or (isinstance(v, str) and DYNAMIC not in v)


def _iterated(v: Value) -> Value:
    """The loop variable of ``for x in v``."""
    if isinstance(v, list) and v:
        return one_of(v) if len(v) <= MAX_ALTERNATIVES else UNKNOWN
    if isinstance(v, Glob):
        return v
    return UNKNOWN


def _alternatives(args: list[Value]) -> Iterator[list[Value]]:
    """Each combination of the arguments' alternatives (the first one that has them)."""
    for i, a in enumerate(args):
        if isinstance(a, OneOf):
            for v in a.values:
                yield [*args[:i], v, *(single(x) for x in args[i + 1:])]
            return
    yield args


def _join(base: Value, extra: Value) -> Value:
    if isinstance(extra, Ref) and extra.name == "pathlib.Path()":
        extra = extra.path
    if isinstance(base, Ref) and base.name == "pathlib.Path()":
        base = base.path
    b, e = text_of(base), text_of(extra)
    if isinstance(base, Glob) or isinstance(extra, Glob):
        return UNKNOWN
    if e is not None and e.startswith("/"):
        return e
    return os.path.join(b if b is not None else DYNAMIC, e if e is not None else DYNAMIC)


def _str_method(method: str, text: str, a: list[Value]) -> Value:
    """``" ".join([…])``, ``"rm -rf {}".format(p)``, ``"a b".split()``… on known text."""
    if method == "join":
        items = a[0] if a else UNKNOWN
        if not isinstance(items, list):
            return DYNAMIC
        return text.join(t if (t := text_of(i)) is not None else DYNAMIC for i in items)
    if method == "format":
        if all(known_text(x) for x in a):
            try:
                return text.format(*a)
            except (IndexError, KeyError, ValueError):
                pass
        return re.sub(r"\{[^{}]*\}", DYNAMIC, text)
    if method == "split" and not a:
        return text.split()
    if method == "split" and a and isinstance(a[0], str):
        return text.split(a[0])
    if method in ("strip", "lstrip", "rstrip", "lower", "upper") and not a:
        return str(getattr(text, method)())
    if method == "replace" and len(a) == 2 and all(isinstance(x, str) for x in a):
        return text.replace(a[0], a[1])
    if method in ("encode", "decode"):
        return text
    return UNKNOWN


_DECODERS = frozenset({"base64.b64decode", "base64.standard_b64decode",
                       "base64.urlsafe_b64decode", "base64.b32decode", "base64.b16decode",
                       "builtins.bytes.fromhex", "binascii.unhexlify", "codecs.decode"})


def _decode(name: str, a: list[Value]) -> Value:
    """Text hidden in an encoding the code undoes: decoded, so it is seen."""
    t = text_of(a[0]) if a else None
    if t is None or DYNAMIC in t:
        return UNKNOWN
    try:
        if name == "codecs.decode":
            enc = text_of(a[1]) if len(a) > 1 else "utf-8"
            if enc in ("rot13", "rot_13"):
                return codecs.decode(t, "rot13")
            return UNKNOWN
        if name in ("builtins.bytes.fromhex", "binascii.unhexlify"):
            return bytes.fromhex(t).decode("utf-8", "replace")
        fn = getattr(base64, name.rsplit(".", 1)[1])
        return str(fn(t.encode("latin-1")).decode("utf-8", "replace"))
    except (ValueError, binascii.Error, UnicodeError, TypeError):
        return UNKNOWN


def analyse(source: str, fx: Effects, what: str) -> None:
    """Judge Python ``source``; its effects are reported to ``fx``."""
    PythonCode(fx).run(source, what)
