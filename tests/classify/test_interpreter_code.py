"""Interpreter code is judged by what it does: ``python -c``, ``node -e``, ``perl -e``,
``ruby -e``, ``php -r`` and friends (src/airlock/classify/code/)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlock.classify.code import argv
from airlock.classify.code.effects import Effects, Request
from airlock.classify.code.javascript import JavaScript
from airlock.classify.code.lexer import STR, tokenize
from airlock.classify.code.python import PythonCode
from airlock.classify.code.scripting import PerlCode, PhpCode, RubyCode
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from tests.support import decide

# ---- what the issue lists: allowed before, held now -------------------------------------

HELD = [
    """python3 -c "import os as o; o.system('rm -rf /srv/data')\"""",
    """python3 -c "from shutil import rmtree as r; r('/srv/data')\"""",
    """python3 -c "import sys; sys.modules['os'].system('x')\"""",
    """python3 -vc "import shutil; shutil.rmtree('/srv/data')\"""",
    """python3 -X dev -c "import shutil; shutil.rmtree('/srv/data')\"""",
    """python3 -c "import urllib.request as u; """
    """u.urlopen(u.Request('https://api.example.com/v1/db', method='DELETE'))\"""",
    """python3 -c "import httpx; httpx.delete('https://api.prod.example.com/users')\"""",
    """node -e "const fs=require('fs'); fs['rmSync']('/srv/data',{recursive:true})\"""",
    """node -e "fetch('https://api.example.com/x', {method: 'DELETE'})\"""",
    """perl -e 'system "rm -rf /srv/data"'""",
    """ruby -e 'FileUtils.rm_rf "/srv/data"'""",
]


@pytest.mark.parametrize("command", HELD)
def test_what_the_issue_lists_is_held(workspace: Path, command: str) -> None:
    assert decide(command, cwd=workspace).decision == "hold", command


@pytest.mark.parametrize("flags", ["-I", "-S", "-B", "-u", "-E", "-O", "-q", "-v", "-X utf8",
                                   "-W ignore", "-Wignore", "-Xdev", "-I -S -B", "-OO", "-s",
                                   "-b", "-d", "-P", "-x", "-R"])
def test_every_python_option_form_still_shows_the_code(workspace: Path, flags: str) -> None:
    command = f"""python3 {flags} -c "import shutil; shutil.rmtree('/srv/data')\""""
    assert decide(command, cwd=workspace).decision == "hold", command


@pytest.mark.parametrize("cluster", ["-vc", "-Ic", "-IEsc", "-uc", "-Bc"])
def test_python_option_clusters_ending_in_c(workspace: Path, cluster: str) -> None:
    command = f"""python3 {cluster} "import os; os.remove('/etc/hosts')\""""
    assert decide(command, cwd=workspace).decision == "hold", command


# ---- HTTP from code is judged as curl's request is --------------------------------------

INCIDENT = 'mutation { volumeDelete(volumeId: \\"3d2c42fb\\") }'
SAME_AS_CURL = [
    (f"""python3 -c "import requests; requests.post('https://backboard.railway.app/graphql/v2', """
     f"""json={{'query': '{INCIDENT}'}})\"""",
     """curl -X POST https://backboard.railway.app/graphql/v2 """
     """-H 'Content-Type: application/json' """
     """-d '{"query": "mutation { volumeDelete(volumeId: \\"3d2c42fb\\") }"}'"""),
    ("""python3 -c "import requests; requests.delete('https://api.acme.com/v1/users/1')\"""",
     "curl -X DELETE https://api.acme.com/v1/users/1"),
    ("""python3 -c "import httpx; httpx.get('https://api.acme.com/v1/users')\"""",
     "curl https://api.acme.com/v1/users"),
    ("""node -e "fetch('https://api.acme.com/v1/users/1', {method: 'DELETE'})\"""",
     "curl -X DELETE https://api.acme.com/v1/users/1"),
    ("""node -e "fetch('https://registry.npmjs.org/react')\"""",
     "curl https://registry.npmjs.org/react"),
    ("""python3 -c "import requests; requests.post('https://api.acme.com/v1/users', """
     """headers={'X-HTTP-Method-Override': 'DELETE'})\"""",
     "curl -X POST -H 'X-HTTP-Method-Override: DELETE' https://api.acme.com/v1/users"),
]


@pytest.mark.parametrize(("code", "curl"), SAME_AS_CURL)
def test_a_request_in_code_gets_the_decision_curl_gets(workspace: Path, code: str,
                                                        curl: str) -> None:
    by_code, by_curl = decide(code, cwd=workspace), decide(curl, cwd=workspace)
    assert (by_code.decision, by_code.risk) == (by_curl.decision, by_curl.risk), \
        (by_code.reasons, by_curl.reasons)


def test_the_incident_in_python_is_denied_like_the_curl_form(workspace: Path) -> None:
    d = decide(SAME_AS_CURL[0][0], cwd=workspace)
    assert d.decision == "deny"
    assert any(t.verb == "railway.volumeDelete" for t in d.targets)


# ---- the same act, whichever language does it --------------------------------------------

ROOT_DELETES = [
    """python3 -c "import shutil; shutil.rmtree('/')\"""",
    """node -e "require('fs').rmSync('/', {recursive: true})\"""",
    """node -e "require('child_process').execSync('rm -rf /')\"""",
    """perl -e 'system("rm -rf /")'""",
    """ruby -e 'FileUtils.rm_rf("/")'""",
    """php -r 'system("rm -rf /");'""",
]


@pytest.mark.parametrize("command", ROOT_DELETES)
def test_deleting_the_root_from_code_is_denied_as_rm_rf_is(workspace: Path,
                                                           command: str) -> None:
    assert decide(command, cwd=workspace).decision == decide("rm -rf /", cwd=workspace).decision


WORKSPACE_DELETES = [
    """python3 -c "import shutil; shutil.rmtree('build')\"""",
    """node -e "require('fs').rmSync('build', {recursive: true, force: true})\"""",
    """perl -MFile::Path=rmtree -e 'rmtree "build"'""",
    """ruby -e 'FileUtils.rm_rf "build"'""",
    """php -r 'unlink("build/out.js");'""",
]


@pytest.mark.parametrize("command", WORKSPACE_DELETES)
def test_cleaning_the_build_directory_from_code_stays_allowed(workspace: Path,
                                                              command: str) -> None:
    assert decide(command, cwd=workspace).decision == "allow", command


HARMLESS = [
    "python -c 'print(1)'",
    """python -c 'import json,sys; print(json.load(sys.stdin)["x"])'""",
    "node -e 'console.log(process.version)'",
    "python -m pytest -q",
    "python -m http.server",
    """python3 -c "import requests; print(requests.get('https://pypi.org/simple/').status_code)\"""",
    """node -e "fetch('https://example.com').then(r => console.log(r.status))\"""",
    """python3 -c "print('rm -rf /srv/data')\"""",
    """node -e "// require('child_process').execSync('rm -rf /')\nconsole.log(1)\"""",
    """perl -e 'print "system(\\"rm -rf /\\")\\n"'""",
    """ruby -e 'puts "%x{rm -rf /}"'""",
    """php -r 'echo "`rm -rf /`";'""",
    """python3 -c "x = [1, 2]; x.remove(1); print(x)\"""",
    """node -e "new Map([[1, 2]]).delete(1)\"""",
    """ruby -e 'h = {a: 1}; h.delete(:a)'""",
    "python3 -c 'open(\"README.md\").read()'",
    "perl -ne 'print if /TODO/' README.md",
]


@pytest.mark.parametrize("command", HARMLESS)
def test_harmless_code_stays_allowed(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", (command, d.reasons, d.flags)


# ---- what cannot be seen is held -----------------------------------------------------------

DYNAMIC = [
    """python3 -c "import os; getattr(os, 'sys' + 'tem')('id')\"""",
    """python3 -c "__import__('os').system('id')\"""",
    """python3 -c "import importlib; importlib.import_module(input())\"""",
    """python3 -c "import builtins; builtins.exec(input())\"""",
    """python3 -c "eval(input())\"""",
    """python3 -c "().__class__.__bases__[0].__subclasses__()\"""",
    """node -e "const fs = require('fs'); fs['rm' + 'Sync']('build')\"""",
    """node -e "require(process.argv[1])\"""",
    """node -e "eval(process.argv[1])\"""",
    """node -e "require('child_process').execSync(\\`rm -rf \\${process.env.X}\\`)\"""",
    """perl -e '&{"sys"."tem"}("id")'""",
    """perl -e 'eval $ARGV[0]'""",
    """perl -e 's/x/system("id")/e'""",
    """ruby -e 'send(ARGV[0], "id")'""",
    """ruby -e '`#{ARGV[0]}`'""",
    """php -r '$f = $argv[1]; $f("id");'""",
    """php -r 'call_user_func($argv[1], "id");'""",
    """python3 -c "$CODE\"""",
    """node -e "$CODE\"""",
    """echo "$X" | python3""",
]


@pytest.mark.parametrize("command", DYNAMIC)
def test_what_is_reached_by_a_computed_name_is_held(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold", (command, d.reasons)
    assert any(f.kind == "unparsed" for f in d.flags), command


def test_code_that_does_not_parse_is_held(workspace: Path) -> None:
    for command in ("python3 -c 'def ('", "node -e 'console.log(\"x)'",
                    "perl -e 'print <<EOF;'", "ruby -e 'puts \"x'"):
        d = decide(command, cwd=workspace)
        assert d.decision == "hold", command


# ---- moved from test_dispatch.py: what code hides is found ----------------------------------

FOUND = [
    ("python -c 'import shutil; shutil.rmtree(\"/\")'", "deny"),
    ("python3 -c 'import os; os.remove(\"/etc/passwd\")'", "hold"),
    ("python3 -c 'import os; os.system(\"rm -rf /\")'", "deny"),
    ("python -c 'import subprocess; subprocess.run([\"rm\", \"-rf\", \"/\"])'", "deny"),
    ("python -c 'from pathlib import Path; Path(\"/srv/data\").unlink()'", "hold"),
    ("python -c 'exec(input())'", "hold"),
    ("python -c 'print(1+1)'", "allow"),
    ("node -e \"require('child_process').execSync('rm -rf /')\"", "deny"),
    ("node -e 'console.log(1)'", "allow"),
    ("ruby -e 'FileUtils.rm_rf(\"/\")'", "deny"),
]


@pytest.mark.parametrize(("command", "decision"), FOUND)
def test_hidden_commands_in_code_are_found(workspace: Path, command: str,
                                           decision: str) -> None:
    assert decide(command, cwd=workspace).decision == decision


def test_an_existing_file_outside_the_workspace_overwritten_by_open_is_destructive(
        workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    d = decide("""python3 -c "open('/etc/hostname', 'w').write('x')\"""", cwd=workspace)
    assert d.decision == "hold"
    assert any(t.verb == "fs.write" and t.risk.label == "destructive" for t in d.targets)
    appended = decide("""python3 -c "open('notes.txt', 'a').write('x')\"""", cwd=workspace)
    assert appended.decision == "allow"


def test_perl_in_place_edits_are_writes_of_the_files_named(workspace: Path) -> None:
    assert decide("perl -pi -e 's/a/b/' /etc/hosts", cwd=workspace).decision == "hold"
    assert decide("perl -pi -e 's/a/b/' README.md", cwd=workspace).decision == "allow"
    assert decide("ruby -i.bak -pe 'sub(/a/, \"b\")' README.md", cwd=workspace).decision \
        == "allow"


def test_a_script_piped_into_a_shell_by_code_is_held(workspace: Path) -> None:
    for command in (
        """python3 -c "import subprocess as s; s.Popen(['bash'], stdin=s.PIPE)\"""",
        """perl -e 'open(my $p, "|-", "sh"); print $p "rm -rf /srv/data"'""",
        """node -e "require('child_process').spawn('sh').stdin.write('id')\"""",
    ):
        assert decide(command, cwd=workspace).decision == "hold", command
    known = """python3 -c "import subprocess; subprocess.run(['bash'], input='ls')\""""
    assert decide(known, cwd=workspace).decision == "allow"


# ---- program files: the same analysis, less strict about reads ----------------------------

def test_a_python_file_reading_a_configured_url_is_allowed(workspace: Path) -> None:
    (workspace / "fetch.py").write_text(
        "import os, requests\nurl = os.environ['API']\nprint(requests.get(url).json())\n"
        "items = [1, 2]\nitems.remove(1)\n")
    assert decide("python fetch.py", cwd=workspace).decision == "allow"


def test_a_python_file_deleting_through_an_api_is_held(workspace: Path) -> None:
    (workspace / "wipe.py").write_text(
        "import os, requests\nrequests.delete(os.environ['API'] + '/users')\n")
    assert decide("python wipe.py", cwd=workspace).decision == "hold"
    (workspace / "wipe2.py").write_text(
        "import httpx\nwith httpx.Client(base_url='https://api.acme.com') as c:\n"
        "    c.delete('/v1/users')\n")
    assert decide("python wipe2.py", cwd=workspace).decision == "hold"


# ---- option parsing -------------------------------------------------------------------------

def _words(*texts: str) -> list[Word]:
    return [Word(t) for t in texts]


@pytest.mark.parametrize(("lang", "args", "code"), [
    ("python", ("-c", "x"), ["x"]),
    ("python", ("-vc", "x"), ["x"]),
    ("python", ("-cx",), ["x"]),
    ("python", ("-X", "dev", "-c", "x"), ["x"]),
    ("python", ("-W", "ignore", "-Xutf8", "-c", "x", "a"), ["x"]),
    ("node", ("-e", "x"), ["x"]),
    ("node", ("-pe", "x"), ["x"]),
    ("node", ("--eval=x",), ["x"]),
    ("node", ("-r", "dotenv/config", "--input-type", "module", "-e", "x"), ["x"]),
    ("perl", ("-lne", "x", "f"), ["x"]),
    ("perl", ("-e", "a", "-e", "b"), ["a", "b"]),
    ("perl", ("-MFile::Path=rmtree", "-e", "x"), ["x"]),
    ("perl", ("-0777", "-ne", "x"), ["x"]),
    ("ruby", ("-rjson", "-e", "x"), ["x"]),
    ("ruby", ("-C", "/srv", "-ne", "x"), ["x"]),
    ("php", ("-d", "memory_limit=1G", "-r", "x"), ["x"]),
    ("php", ("-rx",), ["x"]),
])
def test_options_are_read_as_each_interpreter_reads_them(lang: str, args: tuple[str, ...],
                                                         code: list[str]) -> None:
    inv = argv.parse(lang, _words(*args))
    assert inv is not None and [w.text for w in inv.code] == code


@pytest.mark.parametrize(("lang", "args"), [
    ("python", ("x.py",)), ("python", ("-u", "x.py")), ("python", ("-m", "pytest")),
    ("python", ("--version",)), ("node", ("app.js",)), ("node", ("--test",)),
    ("perl", ("x.pl",)), ("perl", ("-pie", "s/a/b/", "f")), ("ruby", ("x.rb",)),
    ("php", ("-f", "x.php")), ("php", ("-S", "localhost:8000")),
])
def test_a_program_file_or_module_is_not_inline_code(lang: str, args: tuple[str, ...]) -> None:
    inv = argv.parse(lang, _words(*args))
    assert inv is None or inv.module or not inv.code


def test_python_m_module_is_recorded_with_its_arguments() -> None:
    inv = argv.parse("python", _words("-m", "timeit", "-s", "x", "y"))
    assert inv is not None and inv.module == "timeit"
    assert [w.text for w in inv.args] == ["-s", "x", "y"]


# ---- the tokenizers ------------------------------------------------------------------------

class Recording(Effects):
    """Effects that record what the analysis reports instead of classifying it."""

    def __init__(self) -> None:
        super().__init__(SimpleCommand([Word("interp")]),
                         ClassifyContext(cwd="/work/x", home="/home/u"))
        self.seen: list[tuple[str, Any]] = []

    def held(self, why: str) -> None:
        self.seen.append(("held", why))

    def run(self, argv: list[Any], what: str, **kw: Any) -> None:  # type: ignore[override]
        self.seen.append(("run", [getattr(a, "text", a) for a in argv]))

    def shell(self, source: Any, what: str, **kw: Any) -> None:  # type: ignore[override]
        self.seen.append(("shell", source))

    def argv(self, argv: Any, what: str, **kw: Any) -> None:  # type: ignore[override]
        self.seen.append(("argv", argv))

    def http(self, request: Request, what: str) -> None:
        self.seen.append(("http", request.url))

    def sql(self, text: Any, what: str, dialect: str = "") -> None:
        self.seen.append(("sql", text))


def _analyse(lang: str, code: str) -> list[tuple[str, Any]]:
    fx = Recording()
    if lang == "python":
        PythonCode(fx).run(code, "code")
    else:
        cls = {"js": JavaScript, "perl": PerlCode, "ruby": RubyCode, "php": PhpCode}[lang]
        cls(fx).run(tokenize(code, lang), "code")
    return fx.seen


def _literal(lang: str, text: str) -> str:
    if lang in ("python", "js"):
        return json.dumps(text)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


_PRINT = {"python": "print({})", "js": "console.log({})", "perl": "print {};",
          "ruby": "puts {}", "php": "echo {};"}
_PIECES = [*"system(exec)`rm -rf /$@{}[]'\"\\;#\n%qx<>=.", "${", "#{", "<<EOF\n", "/*",
           "*/", "//", "\u2028", "é", "require('child_process').execSync('id')",
           "__import__('os').system('id')", "s/x/y/e", "qx{id}", "%x(id)"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(lang=st.sampled_from(["python", "js", "perl", "ruby", "php"]), text=_TEXT)
def test_a_string_literal_never_becomes_a_call(lang: str, text: str) -> None:
    if lang == "python" and "\u2028" in text:
        text = text.replace("\u2028", " ")
    seen = _analyse(lang, _PRINT[lang].format(_literal(lang, text)))
    assert seen == [], (lang, text, seen)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(lang=st.sampled_from(["js", "perl", "ruby", "php"]), text=st.text(max_size=300))
def test_the_tokenizers_never_crash_and_finish_quickly(lang: str, text: str) -> None:
    start = time.perf_counter()
    lexed = tokenize(text, lang)
    _analyse(lang, text)
    assert time.perf_counter() - start < 1.0
    assert lexed.error is None or isinstance(lexed.error, str)


@settings(max_examples=30, deadline=5000)
@given(depth=st.integers(min_value=1, max_value=3000), opener=st.sampled_from(["(", "[", "{",
                                                                              "${`", "#{\""]))
def test_deep_nesting_is_bounded(depth: int, opener: str) -> None:
    text = "f" + opener * depth
    for lang in ("js", "perl", "ruby", "php"):
        start = time.perf_counter()
        _analyse(lang, text)
        assert time.perf_counter() - start < 2.0


_GAPS = st.lists(st.sampled_from([" ", "", "\n", "\t", "  ", "/* c */", "\n// c\n"]),
                 min_size=12, max_size=12)


@settings(max_examples=80, deadline=2000)
@given(gaps=_GAPS)
def test_a_call_is_found_whatever_the_spacing(gaps: list[str]) -> None:
    parts = ["require", "(", "'child_process'", ")", ".", "execSync", "(",
             "'rm -rf /srv/data'", ")", ";", "x", ";"]
    code = "".join(p + g for p, g in zip(parts, gaps, strict=True))
    assert ("shell", "rm -rf /srv/data") in _analyse("js", code), code


@settings(max_examples=60, deadline=2000)
@given(gaps=st.lists(st.sampled_from([" ", "  ", "\t", "\n  "]), min_size=3, max_size=3))
def test_perl_and_ruby_calls_without_parentheses_are_found(gaps: list[str]) -> None:
    perl = f"system{gaps[0]}\"rm -rf /srv/data\"{gaps[1]};"
    assert ("shell", "rm -rf /srv/data") in _analyse("perl", perl)
    ruby = f"Kernel.system{gaps[0].replace(chr(10), ' ')}\"rm -rf /srv/data\""
    assert ("shell", "rm -rf /srv/data") in _analyse("ruby", ruby)


def test_strings_decode_their_escapes() -> None:
    toks = tokenize("x('\\x72m -rf /', \"\\u0072m\", `a${b}c`)", "js").tokens
    values = [t.value for t in toks if t.kind == STR]
    assert values[:2] == ["rm -rf /", "rm"]
    assert values[2].startswith("a") and values[2].endswith("c") and len(values[2]) > 2
    perl = tokenize('print qq{a $x}, q(b), <<"E";\nhi $y\nE\n', "perl").tokens
    assert [t.value for t in perl if t.kind == STR][1] == "b"


def test_code_inside_an_interpolation_is_analysed() -> None:
    assert ("shell", "id") in _analyse("js", "`${require('child_process').execSync('id')}`")
    assert ("shell", "id") in _analyse("ruby", '"#{system("id")}"')
    assert ("shell", "id") in _analyse("perl", 'print "@{[ system("id") ]}";')
