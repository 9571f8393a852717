"""What each Python function the analysis knows does (:mod:`.python` finds the calls).

A handler gets the analysis, the function's canonical name (:class:`Ref`), and the
call's argument values, and reports to the analysis's :class:`Effects`: ``shutil.rmtree``
deletes recursively, ``subprocess.run`` runs a command, ``requests.post`` sends a
request, ``cursor.execute`` runs SQL…
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airlock.classify.code.effects import UNKNOWN, Ref, Request, Value, text_of
from airlock.classify.command import DYNAMIC

if TYPE_CHECKING:
    from airlock.classify.code.python import PythonCode

SENSITIVE_MODULES = frozenset({
    "os", "shutil", "subprocess", "pty", "pathlib", "io", "builtins", "importlib", "sys",
    "ctypes", "cffi", "requests", "httpx", "urllib", "urllib3", "http", "aiohttp", "socket",
    "asyncio", "runpy", "code", "codeop", "marshal", "pickle", "dill", "types",
    "multiprocessing", "pexpect", "sh", "plumbum", "fabric", "paramiko", "sqlite3",
    "psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlalchemy", "commands", "platform",
    "tempfile", "zipimport", "imp", "operator", "functools", "gc", "inspect",
})

INTERNALS = frozenset({"__subclasses__", "__globals__", "__builtins__", "__getattribute__",
                       "__code__", "__closure__", "f_globals", "f_locals", "f_back",
                       "gi_frame", "tb_frame", "cr_frame", "__loader__", "__reduce__",
                       "__reduce_ex__", "__import__", "__self__", "func_globals"})

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
HTTP_LIBS = ("requests", "httpx", "aiohttp")

def root(name: str) -> str:
    return name.split(".", 1)[0]

@dataclass(frozen=True, slots=True)
class Flags:
    names: frozenset[str]


def flag_names(v: Any) -> frozenset[str]:
    if isinstance(v, Flags):
        return v.names
    if isinstance(v, Ref):
        return frozenset({v.name.rsplit(".", 1)[-1]})
    return frozenset()

def lib_request(method: Value, url: Value, kw: dict[str, Value], base: str = "",
                 body: Value = None) -> Request:
    has_json = "json" in kw and kw["json"] is not None
    data = kw.get("data", kw.get("content", kw.get("body", body)))
    if kw.get("files") is not None:
        data = UNKNOWN
    return Request(method=method, url=url, headers=kw.get("headers"), params=kw.get("params"),
                   json=kw.get("json"), data=data, base=base, has_json=has_json)


# ---- what each function does ---------------------------------------------------------------

Handler = Callable[["PythonCode", Ref, list[Value], dict[str, Value], ast.Call], None]


def _arg(a: list[Value], kw: dict[str, Value], i: int, *names: str) -> Value:
    if len(a) > i:
        return a[i]
    for n in names:
        if n in kw:
            return kw[n]
    return UNKNOWN


def _delete(recursive: bool = False, directory: bool = False) -> Handler:
    def h(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
          ) -> None:
        path = ref.path if ref.name.startswith("pathlib.Path().") else _arg(
            a, kw, 0, "path", "name")
        an.fx.delete(_path(path), f"{ref.name}()", recursive=recursive, directory=directory)
    return h


def _path(v: Value) -> Value:
    if isinstance(v, Ref) and v.name == "pathlib.Path()":
        return v.path
    return v


def _open(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
          ) -> None:
    if ref.name == "pathlib.Path().open":
        path, mode = ref.path, _arg(a, kw, 0, "mode")
        if mode is UNKNOWN and not a and "mode" not in kw:
            mode = "r"
    else:
        path = _path(_arg(a, kw, 0, "file", "filename"))
        mode = _arg(a, kw, 1, "mode")
        if mode is UNKNOWN and len(a) < 2 and "mode" not in kw:
            mode = "r"
    _file_io(an, path, mode, f"{ref.name}()")


def _file_io(an: PythonCode, path: Value, mode: Value, what: str) -> None:
    m = text_of(mode)
    if m is None or DYNAMIC in m:
        an.fx.write(path, f"{what} in a mode Airlock cannot see")
    elif any(c in m for c in "wx+"):
        an.fx.write(path, what, replace="a" not in m and "x" not in m)
    elif "a" in m:
        an.fx.write(path, what, replace=False)
    else:
        an.fx.read(path, what)


def _os_open(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
             ) -> None:
    path = _path(_arg(a, kw, 0, "path"))
    flags = _arg(a, kw, 1, "flags")
    names = flag_names(flags)
    if not names and flags is not UNKNOWN and isinstance(flags, int) and flags == 0:
        an.fx.read(path, "os.open()")
    elif not names or "O_TRUNC" in names:
        an.fx.write(path, "os.open()")
    elif names & {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND"}:
        an.fx.write(path, "os.open()", replace=False)
    else:
        an.fx.read(path, "os.open()")


def _path_write(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                call: ast.Call) -> None:
    an.fx.write(ref.path, f"{ref.name}()")


def _path_read(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    an.fx.read(ref.path, f"{ref.name}()")


def _two_paths(kind: str) -> Handler:
    def h(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
          ) -> None:
        if ref.name.startswith("pathlib.Path()."):
            src, dst = ref.path, _path(_arg(a, kw, 0, "target"))
            if kind == "link":
                src, dst = dst, src  # p.symlink_to(target): p is the link
        else:
            src = _path(_arg(a, kw, 0, "src", "source"))
            dst = _path(_arg(a, kw, 1, "dst", "destination", "target"))
        what = f"{ref.name}()"
        if kind == "move":
            an.fx.move(src, dst, what)
        elif kind == "link":
            an.fx.link(src, dst, what)
        else:
            an.fx.copy(src, dst, what, recursive=kind == "copytree")
    return h


def _chmod(owner: bool) -> Handler:
    def h(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
          ) -> None:
        if ref.name.startswith("pathlib.Path()."):
            path, mode = ref.path, _arg(a, kw, 0, "mode")
        else:
            path, mode = _path(_arg(a, kw, 0, "path")), _arg(a, kw, 1, "mode", "uid", "user")
        an.fx.chmod(path, mode, f"{ref.name}()", owner=owner)
    return h


def _truncate(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
              ) -> None:
    an.fx.truncate(_path(_arg(a, kw, 0, "path")), f"{ref.name}()")


def _shell_str(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    mode = text_of(_arg(a, kw, 1, "mode")) if ref.name == "os.popen" else None
    feeds = UNKNOWN if mode is not None and "w" in mode else None
    an.fx.shell(_arg(a, kw, 0, "command", "cmd"), f"{ref.name}()", stdin=feeds)


def _stdin(kw: dict[str, Value]) -> Value:
    """What the code writes to the child's input: ``input=`` text, or UNKNOWN with
    ``stdin=PIPE`` (written later, by code Airlock does not follow)."""
    if "input" in kw and kw["input"] is not None:
        return kw["input"]
    pipe = kw.get("stdin")
    if (isinstance(pipe, Ref) and pipe.name.endswith(".PIPE")) or pipe is UNKNOWN:
        return UNKNOWN
    return None


def _subprocess(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                call: ast.Call) -> None:
    args = _arg(a, kw, 0, "args")
    shell = kw.get("shell", False)
    exe = kw.get("executable")
    what = f"{ref.name}()"
    stdin = _stdin(kw)
    if exe is not None and exe is not UNKNOWN and not shell:
        an.fx.argv(args if isinstance(args, list) else [args], what, program=exe,
                   stdin=stdin)
    elif exe is UNKNOWN:
        an.fx.held(f"{what}: runs a program whose name Airlock cannot see")
    elif shell is UNKNOWN:
        an.fx.shell_or_argv(args, isinstance(args, str), what, stdin=stdin)
    else:
        an.fx.shell_or_argv(args, bool(shell), what, stdin=stdin)


def _exec_family(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                 call: ast.Call) -> None:
    fn = ref.name.rsplit(".", 1)[-1]  # execl, execvpe, spawnlp, posix_spawn…
    what = f"{ref.name}()"
    rest = a[1:] if fn.startswith("spawn") else a
    if not rest:
        an.fx.held(f"{what}: runs a command Airlock cannot see")
        return
    program = rest[0]
    variant = fn[4:] if fn.startswith("exec") else fn[5:]
    if fn.startswith("posix_spawn") or variant.startswith("v"):
        argv = rest[1] if len(rest) > 1 else UNKNOWN
    else:
        argv = list(rest[1:-1] if variant.endswith("e") else rest[1:])
    if not isinstance(argv, list):
        an.fx.held(f"{what}: runs a command Airlock cannot see")
        return
    an.fx.argv(argv or [program], what, program=program)


def _pty_spawn(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    argv = _arg(a, kw, 0, "argv")
    an.fx.argv(argv if isinstance(argv, list) else [argv], f"{ref.name}()")


def _exec_argv(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    an.fx.argv(a, f"{ref.name}()")


def _sh_command(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                call: ast.Call) -> None:
    prog = ref.name.split(".", 1)[1]
    if prog in ("Command", "bake", "__call__") or "." in prog:
        an.fx.held(f"{ref.name}(): runs a command Airlock cannot see")
        return
    an.fx.argv([prog, *a], f"sh.{prog}()")


def _eval(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
          ) -> None:
    fn = ref.name.rsplit(".", 1)[-1]
    source = _arg(a, kw, 0, "source", "expression", "object")
    mode = "eval" if fn == "eval" else text_of(_arg(a, kw, 2, "mode")) or "exec"
    an.exec_text(source, f"{fn}()", mode)


def _import(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
            ) -> None:
    an._reflected(_arg(a, kw, 0, "name"), f"{ref.name.rsplit('.', 1)[-1]}()")


def _getattr(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
             ) -> None:
    if len(a) < 2:
        return
    name = text_of(a[1])
    literal = len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
    if name is not None and DYNAMIC not in name and literal:
        if name in INTERNALS:
            an.fx.held(f"reaches the interpreter's internals (getattr … {name!r})")
        return
    target = a[0]
    if (isinstance(target, Ref) and not target.name.endswith("()")) or (
            an.fx.strict and target is UNKNOWN):
        an.fx.held("looks up an attribute whose name Airlock cannot see (getattr)")


def _setattr(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
             ) -> None:
    if a and isinstance(a[0], Ref) and root(a[0].name) in SENSITIVE_MODULES:
        an.fx.held(f"replaces a function of {a[0].name} ({ref.name}())")


def _http_verb(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    verb = ref.name.rsplit(".", 1)[-1]
    what = f"{ref.name.replace('()', '')}()"
    if verb in ("request", "stream") or (verb == "urlopen" and ref.name.startswith("urllib3")):
        method, url, body = _arg(a, kw, 0, "method"), _arg(a, kw, 1, "url"), None
    else:
        method, url = verb.upper(), _arg(a, kw, 0, "url")
        body = a[1] if len(a) > 1 and verb in ("post", "put", "patch") else None
    if ref.name.startswith("urllib3"):
        fields = kw.get("fields")
        if fields is not None:
            kw = {**kw, "data": fields}
        method = method if method is not UNKNOWN else "GET"
    if body is not None and "data" not in kw:
        kw = {**kw, "data": body}
    an.fx.http(lib_request(method, url, kw, base=ref.base), what)


def _http_send(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
               call: ast.Call) -> None:
    req = _arg(a, kw, 0, "request")
    if isinstance(req, Request):
        if ref.base and not req.base:
            req = dataclasses.replace(req, base=ref.base)
        an.fx.http(req, f"{ref.name}()")
    else:
        an.fx.http(Request(method=UNKNOWN, url=UNKNOWN), f"{ref.name}()")


def _urlopen(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value], call: ast.Call
             ) -> None:
    target = _arg(a, kw, 0, "url")
    data = _arg(a, kw, 1, "data") if len(a) > 1 or "data" in kw else None
    if isinstance(target, Request):
        if data is not None and text_of(target.method) == "GET":
            target = dataclasses.replace(target, method="POST", data=data)
        an.fx.http(target, "urllib.request.urlopen()")
        return
    if isinstance(target, str) and target.startswith("file:"):
        an.fx.read("/" + target[5:].lstrip("/"), "urlopen()")
        return
    an.fx.http(Request(method="POST" if data is not None else "GET", url=target, data=data),
               "urllib.request.urlopen()")


def _conn_request(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                  call: ast.Call) -> None:
    method, url = _arg(a, kw, 0, "method"), _arg(a, kw, 1, "url")
    body = _arg(a, kw, 2, "body") if len(a) > 2 or "body" in kw else None
    headers = _arg(a, kw, 3, "headers") if len(a) > 3 or "headers" in kw else None
    an.fx.http(Request(method=method, url=url, data=body, headers=headers, base=ref.base),
               "http.client request()")


def _sql_method(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                call: ast.Call) -> None:
    an.fx.sql(_arg(a, kw, 0, "sql", "statement", "query"), f"{ref.name.rsplit('.', 1)[-1]}()")


def _archive_open(an: PythonCode, ref: Ref, a: list[Value], kw: dict[str, Value],
                  call: ast.Call) -> None:
    mode = _arg(a, kw, 1, "mode")
    if mode is UNKNOWN and len(a) < 2 and "mode" not in kw:
        mode = "r"
    _file_io(an, _path(_arg(a, kw, 0, "file", "name")), mode, f"{ref.name}()")


_EFFECTS: dict[str, Handler] = {
    "shutil.rmtree": _delete(recursive=True),
    "os.remove": _delete(), "os.unlink": _delete(),
    "os.rmdir": _delete(directory=True), "os.removedirs": _delete(directory=True),
    "pathlib.Path().unlink": _delete(), "pathlib.Path().rmdir": _delete(directory=True),
    "pathlib.Path().rmtree": _delete(recursive=True),
    "os.truncate": _truncate,
    "builtins.open": _open, "pathlib.Path().open": _open, "os.open": _os_open,
    "pathlib.Path().write_text": _path_write, "pathlib.Path().write_bytes": _path_write,
    "pathlib.Path().read_text": _path_read, "pathlib.Path().read_bytes": _path_read,
    "shutil.move": _two_paths("move"), "os.rename": _two_paths("move"),
    "os.replace": _two_paths("move"), "os.renames": _two_paths("move"),
    "pathlib.Path().rename": _two_paths("move"), "pathlib.Path().replace": _two_paths("move"),
    "shutil.copy": _two_paths("copy"), "shutil.copy2": _two_paths("copy"),
    "shutil.copyfile": _two_paths("copy"), "shutil.copytree": _two_paths("copytree"),
    "os.symlink": _two_paths("link"), "os.link": _two_paths("link"),
    "pathlib.Path().symlink_to": _two_paths("link"),
    "os.chmod": _chmod(False), "pathlib.Path().chmod": _chmod(False),
    "os.chown": _chmod(True), "shutil.chown": _chmod(True),
    "zipfile.ZipFile": _archive_open, "tarfile.open": _archive_open,
    "os.system": _shell_str, "os.popen": _shell_str, "subprocess.getoutput": _shell_str,
    "subprocess.getstatusoutput": _shell_str, "asyncio.create_subprocess_shell": _shell_str,
    "pexpect.run": _shell_str, "pexpect.spawn": _shell_str, "pexpect.popen_spawn": _shell_str,
    "subprocess.run": _subprocess, "subprocess.call": _subprocess,
    "subprocess.check_call": _subprocess, "subprocess.check_output": _subprocess,
    "subprocess.Popen": _subprocess,
    "asyncio.create_subprocess_exec": _exec_argv, "pty.spawn": _pty_spawn,
    "builtins.eval": _eval, "builtins.exec": _eval, "builtins.compile": _eval,
    "builtins.__import__": _import, "importlib.import_module": _import,
    "importlib.__import__": _import,
    "builtins.getattr": _getattr, "builtins.setattr": _setattr,
    "builtins.delattr": _setattr,
    "urllib.request.urlopen": _urlopen,
    "http.client.HTTPConnection().request": _conn_request,
    "http.client.HTTPConnection().putrequest": _conn_request,
    "sqlite3.connect().execute": _sql_method, "sqlite3.connect().executescript": _sql_method,
}
for _fn in ("execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
            "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
            "spawnvpe", "posix_spawn", "posix_spawnp"):
    _EFFECTS[f"os.{_fn}"] = _exec_family
for _lib in HTTP_LIBS:
    for _verb in (*HTTP_VERBS, "request", "stream"):
        _EFFECTS[f"{_lib}.{_verb}"] = _http_verb
for _cls in ("requests.Session()", "httpx.Client()", "aiohttp.ClientSession()",
             "urllib3.PoolManager()"):
    for _verb in (*HTTP_VERBS, "request", "stream", "urlopen"):
        _EFFECTS[f"{_cls}.{_verb}"] = _http_verb
    _EFFECTS[f"{_cls}.send"] = _http_send
_EFFECTS["urllib3.request"] = _http_verb


def effect_of(name: str) -> Handler | None:
    h = _EFFECTS.get(name)
    if h is not None:
        return h
    if name.startswith("sh.") and name.count(".") == 1 and name != "sh.Command":
        return _sh_command
    return None
