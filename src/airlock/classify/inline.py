"""Interpreters running inline code: ``python -c``, ``node -e``, ``perl -e``, ``ruby -e``…

Python code is parsed with the standard library's ``ast``: calls to deleting APIs
(``shutil.rmtree``, ``os.remove``, ``Path.unlink``…) become targets, commands passed
to ``os.system``/``subprocess`` are classified as shell, and SQL strings handed to an
``execute`` are classified as SQL. For other languages we have no parser here, so we
look for their deleting and process-spawning APIs by name; code that spawns a process
or evaluates a string we cannot see is held.

``python script.py`` and ``node app.js`` run a program file: a write in the workspace,
like any other program Airlock has no pack for.
"""

from __future__ import annotations

import ast
import re
import shlex

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.guards import is_secret_file
from airlock.classify.sql import classify_sql
from airlock.classify.targets import path_targets, program_target

CODE_FLAGS = {"python": ("-c",), "node": ("-e", "--eval", "-p", "--print"),
              "perl": ("-e", "-E"), "ruby": ("-e",), "php": ("-r",), "deno": ("eval",),
              "bun": ("-e", "--eval"), "Rscript": ("-e",), "lua": ("-e",),
              "osascript": ("-e",)}

PY_DELETE = {
    "shutil.rmtree": ("fs.delete", True), "os.remove": ("fs.delete", False),
    "os.unlink": ("fs.delete", False), "os.rmdir": ("fs.delete", False),
    "os.removedirs": ("fs.delete", True), "unlink": ("fs.delete", False),
    "rmdir": ("fs.delete", False), "rmtree": ("fs.delete", True),
    "os.truncate": ("fs.truncate", False), "truncate": ("fs.truncate", False),
}
PY_SHELL = {"os.system", "os.popen", "subprocess.run", "subprocess.call",
            "subprocess.check_call", "subprocess.check_output", "subprocess.Popen",
            "os.execv", "os.execvp", "os.execl", "os.execlp", "os.spawnv", "pty.spawn",
            "os.execve"}
PY_DYNAMIC = {"eval", "exec", "compile", "__import__", "importlib.import_module"}
PY_OPEN = {"open", "io.open", "builtins.open", "codecs.open", "os.open"}
PY_PATH_IO = {"read_text", "read_bytes", "write_text", "write_bytes"}
PY_SQL = {"execute", "executemany", "executescript", "exec_driver_sql"}

# Other languages: API names that delete, spawn or evaluate.
OTHER_DELETE = re.compile(
    r"\b(rmSync|rmdirSync|unlinkSync|rm|rmdir|unlink|remove|rm_rf|rm_r|rmtree|"
    r"delete|deleteSync|truncateSync|File\.delete|FileUtils\.rm\w*|Dir\.rmdir|"
    r"File\.unlink|file\.remove|unlink_file|remove_tree|rmtree|fs\.rm)\s*\("
)
OTHER_SPAWN = re.compile(
    r"(\bexecSync|\bspawnSync|\bexec\b|\bspawn\b|\bexecFile|\bsystem\s*\(|`[^`]*`|"
    r"\bpopen|\bIO\.popen|\bOpen3|\bKernel\.|\beval\b|\bqx\b|\bshell_exec|\bpassthru|"
    r"\bproc_open|\bDeno\.(run|Command)|\bBun\.spawn|\bos\.execute|\bio\.popen|"
    r"do shell script|\bFunction\s*\()"
)
SQL_WORDS = re.compile(r"(?i)\b(DROP\s+(TABLE|DATABASE|SCHEMA)|TRUNCATE\s|DELETE\s+FROM)\b")


def _family(prog: str) -> str:
    for fam in ("python", "pypy", "nodejs", "node", "perl", "ruby", "php", "deno", "bun",
                "Rscript", "lua", "osascript"):
        if prog.startswith(fam):
            return {"pypy": "python", "nodejs": "node"}.get(fam, fam)
    return prog


def classify_interpreter(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target] | None:
    """Targets of inline code, or None when the interpreter runs a file (not our job)."""
    fam = _family(cmd.program)
    flags = CODE_FLAGS.get(fam, ())
    args = cmd.args
    code: Word | None = None
    for i, w in enumerate(args):
        if w.text in flags and i + 1 < len(args):
            code = args[i + 1]
            break
        if fam == "python" and w.text.startswith("-c") and len(w.text) > 2:
            code = Word(w.text[2:], w.dynamic)
            break
        if not w.text.startswith("-"):
            break
    if code is None:
        if not args and cmd.stdin is not None and not cmd.stdin_unknown:
            code = Word(cmd.stdin)  # python <<EOF … EOF
        elif not args and cmd.stdin_unknown:
            ctx.unparsed(f"{cmd.program} runs code from a pipe Airlock cannot see")
            return [_opaque(cmd, "code from stdin")]
        else:
            return None
    if code.dynamic:
        ctx.unparsed(f"{cmd.program} inline code comes from a variable or command output")
        return [_opaque(cmd, "inline code Airlock cannot see")]
    if fam == "python":
        return _python(code.text, cmd, ctx)
    return _other(code.text, cmd, ctx)


def _opaque(cmd: SimpleCommand, why: str) -> Target:
    return Target(kind="program", name=cmd.program, verb=f"{cmd.program}.inline",
                  risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:", detail=why,
                  unresolved=True)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func)  # Path("x").unlink → Path.unlink
    return ""


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return None
    if isinstance(node, ast.Call) and _dotted(node.func) in ("Path", "pathlib.Path") \
            and node.args:
        return _const_str(node.args[0])
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = [_const_str(e) for e in node.elts]
        if all(p is not None for p in parts):
            return " ".join(shlex.quote(p) for p in parts if p is not None)
    return None


def _python(code: str, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        ctx.unparsed(f"{cmd.program} -c: Python that does not parse ({exc.msg})")
        return [_opaque(cmd, "Python that does not parse")]
    targets: list[Target] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        short = name.rsplit(".", 1)[-1]
        first = node.args[0] if node.args else None
        if name in PY_DELETE or (short in ("rmtree", "unlink", "rmdir", "remove")
                                 and ("." in name or name in PY_DELETE)):
            verb, recursive = PY_DELETE.get(name) or PY_DELETE.get(short, ("fs.delete", False))
            path = _const_str(first)
            if path is None and isinstance(node.func, ast.Attribute) and isinstance(
                    node.func.value, ast.Call):
                path = _const_str(node.func.value)  # Path("x").unlink()
            word = Word(path) if path is not None else Word("\x00?", dynamic=True)
            targets.extend(path_targets([word], ctx, verb=verb, risk=Risk.WRITE,
                                        tool=cmd.program, recursive=recursive, delete=True))
        elif name in PY_SHELL:
            src = _const_str(first)
            if src is None:
                ctx.unparsed(f"{cmd.program} -c runs a command Airlock cannot see ({name})")
                targets.append(_opaque(cmd, f"{name} with a computed command"))
            else:
                targets.extend(ctx.classify_source(Word(src), f"{cmd.program} -c {name}"))
        elif name in PY_DYNAMIC:
            ctx.unparsed(f"{cmd.program} -c evaluates code Airlock cannot see ({name})")
            targets.append(_opaque(cmd, f"{name}() of computed code"))
        elif name in PY_OPEN or short in PY_PATH_IO:
            targets.extend(_python_file_io(node, name, short, cmd, ctx))
        elif short in PY_SQL:
            sql = _const_str(first)
            if sql is None:
                ctx.unparsed(f"{cmd.program} -c executes SQL Airlock cannot see")
                targets.append(_opaque(cmd, "computed SQL"))
            else:
                found, problems = classify_sql(sql, dialect="postgresql", tool=cmd.program,
                                               locator="unknown:")
                for p in problems:
                    ctx.unparsed(p)
                targets.extend(found)
    return targets or [program_target(cmd, ctx, Risk.WRITE)]


def _python_file_io(node: ast.Call, name: str, short: str, cmd: SimpleCommand,
                    ctx: ClassifyContext) -> list[Target]:
    """``open(".env")`` reads a secret; ``open(".claude/settings.json", "w")`` writes the
    guard; ``Path("x").write_text(…)`` writes x."""
    if short in PY_PATH_IO:
        func = node.func
        path = _const_str(func.value) if isinstance(func, ast.Attribute) else None
        writes = short.startswith("write")
    else:
        path = _const_str(node.args[0]) if node.args else None
        mode_node = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg in ("mode", "flags")), None)
        mode = _const_str(mode_node) if mode_node is not None else "r"
        if name == "os.open":
            writes = mode_node is not None  # flags: any O_WRONLY/O_RDWR/O_CREAT
        else:
            writes = mode is None or any(c in mode for c in "wax+")
    if path is None:
        if writes:
            ctx.unparsed(f"{cmd.program} -c writes a file whose name Airlock cannot see")
            return [_opaque(cmd, "writes a computed path")]
        return []
    if not writes:
        extra = tuple(ctx.config.secret_files) if ctx.config is not None else ()
        if is_secret_file(ctx.abspath(path), extra):
            ctx.flag("secret-read", f"reads {path}, a file that holds live credentials")
        return []
    return path_targets([Word(path)], ctx, verb="fs.write", risk=Risk.WRITE,
                        tool=cmd.program)


def _other(code: str, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    targets: list[Target] = []
    m = OTHER_DELETE.search(code)
    if m:
        targets.append(Target(kind="file", name=m.group(1), verb="fs.delete",
                              risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:",
                              detail=f"inline {cmd.program} code calls {m.group(1)}()",
                              unresolved=True))
    if OTHER_SPAWN.search(code):
        ctx.unparsed(f"{cmd.program} inline code runs commands or evaluates code")
        targets.append(_opaque(cmd, "inline code that spawns processes"))
    if SQL_WORDS.search(code):
        targets.append(Target(kind="database", name="?", verb="sql.destructive",
                              risk=Risk.DESTRUCTIVE, tool=cmd.program, locator="unknown:",
                              detail=f"inline {cmd.program} code carries destructive SQL",
                              unresolved=True))
    return targets or [program_target(cmd, ctx, Risk.WRITE)]
