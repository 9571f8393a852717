"""An interpreter's command line → the code it runs: every option form each interpreter
accepts (clusters such as ``python3 -vc``, ``perl -lne``, attached values such as
``-Xdev``, ``-W ignore``, ``--eval=…``), so no option hides the code from the analysis.

:func:`parse` answers with an :class:`Invocation`, or None when the command runs a
program file or a module (``python x.py``, ``python -m pytest``, ``node app.js``):
those are the scripts' and the packs' business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from airlock.classify.command import Word

FAMILIES = ("python", "pypy", "nodejs", "node", "perl", "ruby", "php", "deno", "bun",
            "Rscript", "lua", "osascript")


def family(prog: str) -> str:
    """``python3.12`` → python, ``nodejs`` → node, ``pypy3`` → python."""
    for fam in FAMILIES:
        if prog.startswith(fam):
            return {"pypy": "python", "nodejs": "node"}.get(fam, fam)
    return prog


@dataclass
class Invocation:
    lang: str
    code: list[Word] = field(default_factory=list)  # inline code (perl/ruby: several -e)
    stdin: bool = False  # the code comes from stdin (python -, node -, a heredoc)
    module: str = ""  # python -m MODULE
    args: list[Word] = field(default_factory=list)  # what follows the code or module
    preload: list[Word] = field(default_factory=list)  # node -r/--import, ruby -r, perl -M
    edits: bool = False  # perl/ruby -i: the files in args are rewritten in place
    edit_backup: bool = False  # -i.bak: the old content is kept beside each file
    loop: bool = False  # perl/ruby -n/-p: the code runs once per line of the files
    chdir: Word | None = None  # ruby -C DIR
    unreadable: Word | None = None  # an option Airlock cannot read (from a variable)
    check_only: bool = False  # syntax check (-c, --check, php -l): nothing runs


def parse(lang: str, args: list[Word]) -> Invocation | None:
    fn = _PARSERS.get(lang)
    return fn(args) if fn is not None else None


def _python(args: list[Word]) -> Invocation | None:
    inv = Invocation("python")
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            inv.unreadable = w
            return inv
        if t == "-":
            inv.stdin, inv.args = True, args[i + 1:]
            return inv
        if t == "--":
            return None if i + 1 < len(args) else _stdin(inv)
        if t.startswith("--"):
            if t in ("--version", "--help", "--help-env", "--help-xoptions", "--help-all"):
                return None
            i += 2 if t == "--check-hash-based-pycs" else 1
            continue
        if not t.startswith("-") or len(t) < 2:
            return None  # a program file
        j = 1
        while j < len(t):
            ch = t[j]
            rest = t[j + 1:]
            if ch in "cm":
                value = Word(rest, w.dynamic) if rest else (args[i + 1] if i + 1 < len(args)
                                                           else None)
                after = args[i + 1:] if rest else args[i + 2:]
                if value is None:
                    return None  # python errors out: nothing runs
                if ch == "c":
                    inv.code, inv.args = [value], after
                else:
                    inv.module, inv.args = value.text, after
                    if value.dynamic:
                        inv.unreadable = value
                return inv
            if ch in "WX":
                if not rest:
                    i += 1  # the value is the next word
                break
            if ch in "hV?":
                return None
            j += 1
        i += 1
    return _stdin(inv)


def _stdin(inv: Invocation) -> Invocation:
    inv.stdin = True
    return inv


_NODE_VALUE = frozenset({"-r", "--require", "--import", "--loader", "--experimental-loader",
                         "-C", "--conditions", "--input-type", "--title", "--env-file",
                         "--env-file-if-exists", "--inspect-port", "--debug-port",
                         "--watch-path", "--test-name-pattern", "--test-reporter",
                         "--test-reporter-destination", "--disable-warning",
                         "--redirect-warnings", "--diagnostic-dir", "--report-dir",
                         "--report-directory", "--report-filename", "--openssl-config",
                         "--icu-data-dir", "--secure-heap", "--secure-heap-min",
                         "--heapsnapshot-signal", "--cpu-prof-dir", "--cpu-prof-name",
                         "--heap-prof-dir", "--heap-prof-name", "--unhandled-rejections",
                         "--experimental-config-file", "--run", "--snapshot-blob",
                         "--trace-event-categories", "--trace-event-file-pattern",
                         "--use-largepages", "--stack-trace-limit", "--localstorage-file"})
_NODE_CODE = frozenset({"-e", "--eval", "-p", "--print", "-pe", "-ep"})
_NODE_PRELOAD = frozenset({"-r", "--require", "--import", "--loader", "--experimental-loader"})


def _node(args: list[Word], lang: str = "node") -> Invocation | None:
    inv = Invocation(lang)
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            inv.unreadable = w
            return inv
        name, eq, value = t.partition("=")
        if t == "-":
            inv.stdin, inv.args = True, args[i + 1:]
            return inv
        if t == "--":
            return None if i + 1 < len(args) else _stdin(inv)
        if name in _NODE_CODE or (t.startswith("-") and not t.startswith("--")
                                  and len(t) > 2 and set(t[1:]) <= set("pe")):
            code = Word(value) if eq and name.startswith("--") else (
                args[i + 1] if i + 1 < len(args) else None)
            if code is None:
                return None
            inv.code = [code]
            inv.args = args[i + 1:] if eq and name.startswith("--") else args[i + 2:]
            return inv
        if name in ("-c", "--check"):
            inv.check_only = True
            return inv
        if name in ("--test", "-i", "--interactive", "-v", "--version", "-h", "--help",
                    "--run"):
            return None
        if t.startswith("-"):
            takes = name in _NODE_VALUE and not eq
            val = Word(value) if eq else (args[i + 1] if takes and i + 1 < len(args) else None)
            if name in _NODE_PRELOAD and val is not None:
                inv.preload.append(val)
            i += 2 if takes else 1
            continue
        return None  # a program file
    return _stdin(inv)


def _deno(args: list[Word]) -> Invocation | None:
    if not args or args[0].text not in ("eval", "e"):
        return None  # deno run FILE, deno test…
    inv = Invocation("deno")
    for i, w in enumerate(args[1:], 1):
        if w.dynamic:
            inv.unreadable = w
            return inv
        if w.text.startswith("-") and w.text != "-":
            continue
        inv.code, inv.args = [w], args[i + 1:]
        return inv
    return None


def _bun(args: list[Word]) -> Invocation | None:
    inv = _node(args, "bun")
    if inv is None or (not inv.code and not inv.unreadable):
        return None  # bun run, bun install, bun x.ts: not inline code
    return inv


def _perl(args: list[Word]) -> Invocation | None:
    inv = Invocation("perl")
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            inv.unreadable = w
            return inv
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        j = 1
        while j < len(t):
            ch = t[j]
            rest = t[j + 1:]
            if ch in "eE":
                code = Word(rest) if rest else (args[i + 1] if i + 1 < len(args) else None)
                if code is None:
                    return None
                inv.code.append(code)
                if not rest:
                    i += 1
                break
            if ch in "MmI" or ch == "x" or (ch == "d" and rest.startswith(":")):
                value = Word(rest) if rest else (args[i + 1] if i + 1 < len(args)
                                                 and ch != "x" else None)
                if ch in "Mm" and value is not None:
                    inv.preload.append(value)
                if not rest and value is not None:
                    i += 1
                break
            if ch in "l0":
                # -l[octal], -0[octal] / -0xHEX: only digits belong to the option
                k = j + 1
                digits = "0123456789abcdefABCDEFx" if ch == "0" else "01234567"
                while k < len(t) and t[k] in digits:
                    k += 1
                j = k
                continue
            if ch in "iFCDV":
                if ch == "i":
                    inv.edits = True
                    inv.edit_backup = bool(t[j + 1 :])
                break  # the rest of the cluster is this option's value
            if ch in "np":
                inv.loop = True
            if ch == "c":
                inv.check_only = True
            if ch in "hv":
                return None
            j += 1
        i += 1
    if inv.code:
        inv.args = args[i:]
        return inv
    if i < len(args) and args[i].text != "-":
        return None  # perl script.pl
    inv.args = args[i + 1:]
    return _stdin(inv)


_RUBY_VALUE = frozenset({"-r", "-I", "-C", "-E", "-F", "-x", "--encoding", "--external-encoding",
                         "--internal-encoding", "--dump", "--disable", "--enable"})


def _ruby(args: list[Word]) -> Invocation | None:
    inv = Invocation("ruby")
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            inv.unreadable = w
            return inv
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        if t.startswith("--"):
            name, eq, _v = t.partition("=")
            if name in ("--version", "--help"):
                return None
            i += 2 if name in _RUBY_VALUE and not eq else 1
            continue
        j = 1
        while j < len(t):
            ch = t[j]
            rest = t[j + 1:]
            if ch in "erICEFx":
                value = Word(rest) if rest else (args[i + 1] if i + 1 < len(args)
                                                 and ch not in "x" else None)
                if value is None and ch in "er":
                    return None
                if ch == "e" and value is not None:
                    inv.code.append(value)
                elif ch == "r" and value is not None:
                    inv.preload.append(value)
                elif ch == "C" and value is not None:
                    inv.chdir = value
                if not rest and value is not None:
                    i += 1
                break
            if ch in "i0KTW":
                if ch == "i":
                    inv.edits = True
                    inv.edit_backup = bool(t[j + 1 :])
                break
            if ch in "np":
                inv.loop = True
            if ch == "c":
                inv.check_only = True
            if ch in "hv" and len(t) == 2:
                return None
            j += 1
        i += 1
    if inv.code:
        inv.args = args[i:]
        return inv
    if i < len(args) and args[i].text != "-":
        return None
    inv.args = args[i + 1:]
    return _stdin(inv)


_PHP_VALUE = frozenset({"-d", "-c", "-z", "-S", "-t", "-f", "--define", "--php-ini",
                        "--zend-extension", "--file", "--rf", "--rc", "--re", "--rz", "--ri"})
_PHP_CODE = frozenset({"-r", "-B", "-R", "-E", "--run", "--process-begin", "--process-code",
                       "--process-end"})


def _php(args: list[Word]) -> Invocation | None:
    inv = Invocation("php")
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            inv.unreadable = w
            return inv
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        head = t[:2] if not t.startswith("--") else t.partition("=")[0]
        rest = t[2:] if not t.startswith("--") else t.partition("=")[2]
        if head in _PHP_CODE:
            code = Word(rest) if rest else (args[i + 1] if i + 1 < len(args) else None)
            if code is None:
                return None
            inv.code.append(code)
            i += 1 if rest else 2
            continue
        if head in ("-f", "--file"):
            return None  # php -f x.php
        if head in ("-l", "--syntax-check"):
            inv.check_only = True
            return inv
        if head in ("-S", "--server"):
            return None  # the built-in web server: serves files, runs no inline code
        if head in ("-h", "--help", "-v", "--version", "-i", "--info", "-m", "--modules",
                    "-a", "--interactive"):
            return None
        i += 2 if head in _PHP_VALUE and not rest else 1
    if inv.code:
        inv.args = args[i:]
        return inv
    if i < len(args) and args[i].text != "-":
        return None
    inv.args = args[i + 1:]
    return _stdin(inv)


def _statements(flag: str, value_opts: frozenset[str], lang: str
                ) -> Callable[[list[Word]], Invocation | None]:
    def parse_(args: list[Word]) -> Invocation | None:
        inv = Invocation(lang)
        i = 0
        while i < len(args):
            w = args[i]
            t = w.text
            if w.dynamic:
                inv.unreadable = w
                return inv
            if t == flag or (t.startswith(flag) and len(t) > len(flag) and lang != "osascript"):
                code = Word(t[len(flag):]) if t != flag else (
                    args[i + 1] if i + 1 < len(args) else None)
                if code is None:
                    return None
                inv.code.append(code)
                i += 1 if t != flag else 2
                continue
            if t == "-" and lang == "lua":
                return _stdin(inv)
            if t.startswith("-"):
                i += 2 if t in value_opts else 1
                continue
            break
        if inv.code:
            inv.args = args[i:]
            return inv
        return None
    return parse_


_PARSERS = {
    "python": _python, "node": _node, "deno": _deno, "bun": _bun, "perl": _perl,
    "ruby": _ruby, "php": _php,
    "lua": _statements("-e", frozenset({"-l"}), "lua"),
    "Rscript": _statements("-e", frozenset(), "Rscript"),
    "osascript": _statements("-e", frozenset({"-l", "-s"}), "osascript"),
}
