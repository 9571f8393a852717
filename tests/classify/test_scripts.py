"""Scripts are read, not trusted: the file or recipe a command runs is classified
(``classify/scripts.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from airlock.action import Action, Decision
from airlock.classify import limits
from airlock.classify.classifier import Classifier
from airlock.classify.dispatch import classify_command
from airlock.classify.shell import parse_script
from airlock.config import Config
from tests.support import decide

DANGER = "rm -rf /srv/data\n"
PSQL = "psql $PROD -c 'DROP TABLE users'\n"
HARMLESS = "ruff check src\npytest -q\necho done\n"


def write(ws: Path, rel: str, text: str, mode: int = 0o644) -> Path:
    p = ws / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    os.chmod(p, mode)
    return p


def held(d: Decision, word: str = "") -> bool:
    """Held, with an unparsed flag saying ``word``."""
    return d.decision == "hold" and (not word or any(
        f.kind == "unparsed" and word in f.detail for f in d.flags))


# ---- shell scripts ---------------------------------------------------------------------

@pytest.mark.parametrize("command", ["bash x.sh", "sh x.sh", "./x.sh", "source x.sh",
                                     "bash -e x.sh", "sudo ./x.sh", "dash ./x.sh"])
@pytest.mark.parametrize(("body", "decision"), [
    (HARMLESS, "allow"), (DANGER, "hold"), (PSQL, "hold"), ("rm -rf build\n", "allow"),
    ("rm -rf /\n", "deny"),
])
def test_a_shell_script_is_judged_by_what_it_runs(workspace: Path, command: str, body: str,
                                                  decision: str) -> None:
    write(workspace, "x.sh", "#!/bin/bash\n" + body, 0o755)
    d = decide(command, cwd=workspace)
    assert d.decision == decision, (d.reasons, [t.verb for t in d.targets])


@pytest.mark.parametrize("shebang", ["#!/bin/sh\n", "#! /bin/sh\n", "#!/usr/bin/env bash\n",
                                     "#!/usr/bin/env -S bash -e\n", "", "# no shebang\n"])
def test_any_shell_shebang_or_none_is_read(workspace: Path, shebang: str) -> None:
    write(workspace, "scripts/go", shebang + DANGER, 0o755)
    assert decide("./scripts/go", cwd=workspace).decision == "hold"
    assert decide("scripts/go", cwd=workspace).decision == "hold"


def test_workspace_deletes_in_a_script_are_what_they_are_directly(workspace: Path) -> None:
    write(workspace, "clean.sh", "rm -rf build\n")
    direct = decide("rm -rf build", cwd=workspace)
    via = decide("bash clean.sh", cwd=workspace)
    assert via.decision == direct.decision == "allow"
    assert "fs.delete" in {t.verb for t in via.targets}


def test_a_script_the_action_rewrites_is_held(workspace: Path) -> None:
    write(workspace, "x.sh", HARMLESS)
    d = decide("echo 'rm -rf /srv/x' > x.sh && bash x.sh", cwd=workspace)
    assert d.decision == "hold"


def test_scripts_calling_scripts_are_followed(workspace: Path) -> None:
    write(workspace, "a.sh", "bash b.sh\n")
    write(workspace, "b.sh", "./c.sh\n")
    write(workspace, "c.sh", "#!/bin/sh\n" + DANGER, 0o755)
    assert decide("bash a.sh", cwd=workspace).decision == "hold"


def test_a_script_that_runs_itself_is_held_past_the_depth_limit(workspace: Path) -> None:
    write(workspace, "loop.sh", "echo hi\nbash loop.sh\n")
    d = decide("bash loop.sh", cwd=workspace)
    assert held(d, "deeper")


def test_what_cannot_be_read_is_held(workspace: Path) -> None:
    write(workspace, "big.sh", "echo hi\n" * (limits.MAX_BYTES // 8 + 10))
    d = decide("bash big.sh", cwd=workspace)
    assert held(d, limits.PREFIX)
    (workspace / "dir.sh").mkdir()
    assert held(decide("bash dir.sh", cwd=workspace), "not a regular file")
    assert held(decide("bash \"$SCRIPT\"", cwd=workspace), "variable")
    assert held(decide("python \"$SCRIPT\"", cwd=workspace), "variable")
    write(workspace, "bin.sh", "echo \x00 hi\n")
    assert held(decide("bash bin.sh", cwd=workspace), "binary")


def test_an_unreadable_script_is_held(workspace: Path) -> None:
    """What Airlock cannot read is held. Root reads any file, so as root the check runs
    as an unprivileged user (nobody) in a subprocess, on a tree only that user owns."""
    import shutil
    import subprocess
    import sys
    import tempfile

    if os.geteuid() != 0:
        write(workspace, "secret.sh", HARMLESS, 0o000)
        assert held(decide("bash secret.sh", cwd=workspace), "cannot read")
        return
    base = Path(tempfile.mkdtemp(prefix="airlock-script-nobody-", dir="/var/tmp"))
    try:
        base.chmod(0o755)
        ws = base / "proj"
        subprocess.run(["git", "init", "-q", str(ws)], check=True)
        write(ws, "secret.sh", HARMLESS, 0o000)
        subprocess.run(["chown", "-R", "65534:65534", str(base)], check=True)
        code = ("import sys\n"
                "from airlock.action import Action\n"
                "from airlock.config import Config\n"
                "from airlock.pipeline import Checker\n"
                "d = Checker(Config()).check(Action(command='bash secret.sh',"
                " kind='shell', cwd=sys.argv[1]))\n"
                "print(d.decision)\n"
                "print(*[f.detail for f in d.flags if f.kind == 'unparsed'], sep='\\n')\n")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(base),
               "AIRLOCK_HOME": str(base / "home"),
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              sys.executable, "-c", code, str(ws)],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "hold", out.stdout
        assert any("cannot read" in line for line in lines[1:]), out.stdout
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_missing_script_runs_nothing_and_is_judged_as_before(workspace: Path) -> None:
    for command in ("bash nope.sh", "python nope.py", "node nope.js", "make", "npm test",
                    "just build"):
        assert decide(command, cwd=workspace).decision == "allow", command


def test_a_compiled_program_run_by_path_is_not_read_as_a_script(workspace: Path) -> None:
    write(workspace, "bin/tool", "\x7fELF\x02\x01\x01\x00rm -rf /srv/data", 0o755)
    assert decide("./bin/tool", cwd=workspace).decision == "allow"


# ---- Python and Node files -------------------------------------------------------------

@pytest.mark.parametrize("command", ["python x.py", "python3 x.py", "python3 -u -W ignore x.py",
                                     "python3.12 -X dev x.py", "uv run x.py",
                                     "poetry run python x.py", "./x.py"])
def test_a_python_file_goes_through_the_inline_analysis(workspace: Path, command: str) -> None:
    write(workspace, "x.py", "#!/usr/bin/env python3\nimport shutil\n"
                             "shutil.rmtree('/srv/data')\n", 0o755)
    assert decide(command, cwd=workspace).decision == "hold", command
    write(workspace, "x.py", "#!/usr/bin/env python3\nprint('hi')\n", 0o755)
    assert decide(command, cwd=workspace).decision == "allow", command


def test_python_running_a_command_from_a_file(workspace: Path) -> None:
    write(workspace, "ops.py", "import subprocess\n"
                               "subprocess.run(\"psql $PROD -c 'DROP TABLE users'\", "
                               "shell=True)\n")
    assert decide("python ops.py", cwd=workspace).decision == "hold"


def test_django_manage_py_stays_allowed(workspace: Path) -> None:
    write(workspace, "manage.py", '''#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
''')
    assert decide("python manage.py test", cwd=workspace).decision == "allow"
    assert decide("python manage.py flush --noinput", cwd=workspace).decision == "hold"


@pytest.mark.parametrize(("body", "decision"), [
    ("const fs = require('fs');\nconsole.log(`built ${1}`);\nnew Map().delete('x');\n",
     "allow"),
    ("const fs = require('fs');\nfs.rmSync('/srv/data', {recursive: true});\n", "hold"),
    ("const fs = require('fs');\nfs.rmSync('build', {recursive: true});\n", "allow"),
    ("const {execSync} = require('child_process');\nexecSync('rm -rf /srv/data');\n", "hold"),
    ("const {execSync} = require('child_process');\nexecSync('tsc -p .');\n", "allow"),
    ("const {spawn} = require('node:child_process');\nspawn(cmd, args);\n", "hold"),
    ("const fs = require('fs');\nfs.unlinkSync(process.argv[2]);\n", "hold"),
])
def test_a_node_file(workspace: Path, body: str, decision: str) -> None:
    write(workspace, "x.js", body)
    d = decide("node x.js", cwd=workspace)
    assert d.decision == decision, (d.reasons, [t.verb for t in d.targets])


# ---- make ------------------------------------------------------------------------------

MAKEFILE = """\
PY ?= python3
DATA := /srv/data

.PHONY: all test clean wipe lint
all: lint test

lint:
\t@ruff check src

test:
\t$(PY) -m pytest -q

clean:
\trm -rf build

wipe: clean
\t-rm -rf $(DATA)

drop:
\tpsql $$PROD -c 'DROP TABLE users'
"""


@pytest.mark.parametrize(("command", "decision"), [
    ("make", "allow"), ("make test", "allow"), ("make all", "allow"), ("make clean", "allow"),
    ("make -j8 test lint", "allow"), ("make wipe", "hold"), ("make drop", "hold"),
    ("make -n wipe", "allow"), ("make nosuchtarget", "allow"),
    ("make DATA=build wipe", "allow"), ("time make wipe", "hold"),
])
def test_make_runs_the_recipe_of_its_target(workspace: Path, command: str,
                                            decision: str) -> None:
    write(workspace, "Makefile", MAKEFILE)
    d = decide(command, cwd=workspace)
    assert d.decision == decision, (d.reasons, [t.verb for t in d.targets])


def test_the_default_goal_is_the_first_target(workspace: Path) -> None:
    write(workspace, "Makefile", "danger:\n\trm -rf /srv/data\nsafe:\n\techo ok\n")
    assert decide("make", cwd=workspace).decision == "hold"
    write(workspace, "Makefile", ".DEFAULT_GOAL := safe\ndanger:\n\trm -rf /srv/data\n"
                                 "safe:\n\techo ok\n")
    assert decide("make", cwd=workspace).decision == "allow"


def test_make_directory_and_file_options(workspace: Path) -> None:
    write(workspace, "sub/Makefile", "go:\n\trm -rf /srv/data\n")
    write(workspace, "ops.mk", "deploy:\n\t./deploy.sh\n")
    write(workspace, "deploy.sh", "#!/bin/sh\n" + PSQL, 0o755)
    assert decide("make -C sub go", cwd=workspace).decision == "hold"
    assert decide("make --directory=sub go", cwd=workspace).decision == "hold"
    assert decide("make -f ops.mk deploy", cwd=workspace).decision == "hold"


def test_make_shell_and_eval(workspace: Path) -> None:
    write(workspace, "Makefile", "X := $(shell rm -rf /srv/data)\nall:\n\techo hi\n")
    assert decide("make", cwd=workspace).decision == "hold"
    write(workspace, "Makefile", "V := $(shell git rev-parse HEAD)\nall:\n\techo $(V)\n")
    assert decide("make", cwd=workspace).decision == "allow"
    write(workspace, "Makefile", "X := $(shell rm -rf /srv/data)\n")
    assert decide("make -n nosuch", cwd=workspace).decision == "hold"
    write(workspace, "Makefile", "$(eval $(RULES))\nall:\n\techo hi\n")
    assert held(decide("make", cwd=workspace), "$(eval")


def test_make_recursion_and_includes(workspace: Path) -> None:
    write(workspace, "Makefile", "include rules.mk\nall:\n\t$(MAKE) -C sub\n")
    write(workspace, "rules.mk", "nuke:\n\trm -rf /srv/data\n")
    write(workspace, "sub/Makefile", "x:\n\trm -rf /srv/data\n")
    assert decide("make", cwd=workspace).decision == "hold"
    assert decide("make nuke", cwd=workspace).decision == "hold"
    write(workspace, "Makefile", "all:\n\t$(MAKE) all\n")
    assert held(decide("make", cwd=workspace), "deeper")


# ---- package.json scripts --------------------------------------------------------------

PACKAGE = {"name": "p", "scripts": {
    "test": "jest", "build": "tsc -p .", "start": "node server.js", "lint": "eslint .",
    "db:push": "drizzle-kit push", "wipe": "rm -rf /srv/data", "clean": "rm -rf build",
    "prerelease": "psql $PROD -c 'DROP TABLE users'", "release": "echo release",
    "all": "npm run build && npm run wipe",
}}


@pytest.mark.parametrize(("command", "decision"), [
    ("npm test", "allow"), ("npm run build", "allow"), ("npm start", "allow"),
    ("pnpm run lint", "allow"), ("yarn build", "allow"), ("yarn test", "allow"),
    ("npm run clean", "allow"), ("npm run wipe", "hold"), ("yarn wipe", "hold"),
    ("pnpm wipe", "hold"), ("npm run release", "hold"), ("npm run all", "hold"),
    ("npm run db:push", "allow"), ("npm run db:push -- --force", "hold"),
    ("yarn run db:push --force", "hold"), ("npm run nosuch", "allow"),
    ("npm install", "allow"), ("yarn add react", "allow"), ("npm run", "allow"),
    ("npm -w web run build", "hold"),
])
def test_package_scripts_are_read(workspace: Path, command: str, decision: str) -> None:
    write(workspace, "package.json", json.dumps(PACKAGE))
    write(workspace, "server.js", "console.log('up')\n")
    d = decide(command, cwd=workspace)
    assert d.decision == decision, (d.reasons, [t.verb for t in d.targets])


def test_the_package_json_is_found_upwards_and_scripts_run_at_its_root(workspace: Path
                                                                       ) -> None:
    write(workspace, "package.json", json.dumps(PACKAGE))
    (workspace / "src" / "deep").mkdir()
    assert decide("npm run wipe", cwd=workspace / "src" / "deep").decision == "hold"
    write(workspace, "web/package.json", json.dumps({"scripts": {"go": "echo fine"}}))
    assert decide("npm --prefix web run go", cwd=workspace).decision == "allow"
    write(workspace, "web/package.json", json.dumps({"scripts": {"go": DANGER}}))
    assert decide("npm --prefix web run go", cwd=workspace).decision == "hold"


def test_a_broken_package_json_is_held(workspace: Path) -> None:
    write(workspace, "package.json", "{not json")
    assert held(decide("npm test", cwd=workspace), "not JSON")


# ---- just, poetry, uv ------------------------------------------------------------------

JUSTFILE = """\
data := "/srv/data"
rev := `git rev-parse HEAD`

default: lint test

lint:
    ruff check src

test *args:
    pytest {{args}}

wipe: lint
    rm -rf {{data}}

clean dir="build":
    rm -rf {{dir}}

py:
    #!/usr/bin/env python3
    import shutil
    shutil.rmtree("/srv/data")
"""


@pytest.mark.parametrize(("command", "decision"), [
    ("just", "allow"), ("just test", "allow"), ("just lint test", "allow"),
    ("just wipe", "hold"), ("just clean", "allow"), ("just clean /srv/data", "hold"),
    ("just py", "hold"), ("just --list", "allow"), ("just nosuch", "allow"),
])
def test_just_runs_the_recipe(workspace: Path, command: str, decision: str) -> None:
    write(workspace, "justfile", JUSTFILE)
    d = decide(command, cwd=workspace)
    assert d.decision == decision, (d.reasons, [t.verb for t in d.targets])


@pytest.mark.parametrize(("command", "decision"), [
    ("poetry run bash x.sh", "hold"), ("uv run bash x.sh", "hold"), ("uv run pytest", "allow"),
    ("poetry run ./x.sh", "hold"),
])
def test_runners_run_the_script(workspace: Path, command: str, decision: str) -> None:
    write(workspace, "x.sh", "#!/bin/sh\n" + DANGER, 0o755)
    assert decide(command, cwd=workspace).decision == decision


def _consumed(command: str, cwd: Path) -> list[str]:
    clf = Classifier(Config())
    ctx = clf.context(Action(command=command, kind="shell", cwd=str(cwd)))
    for cmd in parse_script(command, ctx):
        classify_command(cmd, ctx, clf.registry)
    return ctx.consumed


def test_every_file_read_is_consumed(workspace: Path) -> None:
    write(workspace, "Makefile", "include rules.mk\nall:\n\tbash x.sh\n")
    write(workspace, "rules.mk", "")
    write(workspace, "x.sh", "python y.py\n")
    write(workspace, "y.py", "print(1)\n")
    assert {os.path.basename(p) for p in _consumed("make", workspace)} >= {
        "Makefile", "rules.mk", "x.sh", "y.py"}


def test_commands_that_run_no_script_read_nothing(workspace: Path) -> None:
    for command in ("git status", "ls -la", "rm -rf build", "pytest -q"):
        assert _consumed(command, workspace) == [], command


def test_a_python_recipe_keeps_its_indentation(workspace: Path) -> None:
    write(workspace, "justfile", "py:\n    #!/usr/bin/env python3\n    import shutil\n"
                                 "    if True:\n        shutil.rmtree('/srv/data')\n"
                                 "ok:\n    #!/usr/bin/env python3\n    if True:\n"
                                 "        print(1)\n")
    assert decide("just py", cwd=workspace).decision == "hold"
    assert decide("just ok", cwd=workspace).decision == "allow"


def test_make_oneshell_keeps_a_cd_for_the_next_line(workspace: Path) -> None:
    write(workspace, "Makefile", "go:\n\tcd /srv/data\n\trm -rf build/*\n")
    assert decide("make", cwd=workspace).decision == "allow"  # each line its own shell
    write(workspace, "Makefile", ".ONESHELL:\ngo:\n\tcd /srv/data\n\trm -rf build/*\n")
    assert decide("make go", cwd=workspace).decision == "hold"


@pytest.mark.parametrize("command", ['cd "$X" && make test',
                                     'cd "$(dirname "$0")/.." && make test',
                                     'cd "$X" && npm run build', 'cd "$X" && just build'])
def test_a_recipe_looked_up_from_a_directory_airlock_cannot_know_is_held(
        workspace: Path, command: str) -> None:
    """Not an internal error (the unknown-directory marker is no file name), and not
    "missing, so harmless": the recipe that would run cannot be read."""
    write(workspace, "Makefile", "test:\n\tpytest\n")
    d = decide(command, cwd=workspace)
    assert held(d, "cannot tell which directory"), (d.decision, d.reasons)
    assert all("\x00" not in path for path in d.inputs)


@pytest.mark.parametrize(("source", "decision"), [
    ("const rimraf = require('rimraf');\nrimraf.sync('/srv/data');\n", "hold"),
    ("const { rimrafSync: r } = require('rimraf');\nr('/srv/data');\n", "hold"),
    ("const fse = require('fs-extra');\nfse.emptyDirSync('/srv/data');\n", "hold"),
    ("import { rm } from 'node:fs/promises';\nawait rm('/srv/data', { recursive: true });\n",
     "hold"),
    ("const cp = require('child_process');\ncp.execSync('rm -rf /srv/data');\n", "hold"),
    ("const vm = require('vm');\nvm.runInThisContext(process.argv[2]);\n", "hold"),
    ("const fs = require('fs');\nfs['rm' + 'Sync']('x');\n", "hold"),
    ("const { Client } = require('pg');\nawait new Client().query('TRUNCATE users');\n",
     "hold"),
    # ordinary programs: templates, Map.delete, a GET, reads, workspace deletes
    ("const cache = new Map();\ncache.delete('k');\n"
     "const r = await fetch(`https://api.example.com/items/${id}`);\n"
     "console.log(`<p>${await r.text()}</p>`);\n", "allow"),
    ("const fs = require('fs');\nfs.rmSync('build', {recursive: true, force: true});\n",
     "allow"),
])
def test_a_node_file_gets_the_analysis_node_e_gets(workspace: Path, source: str,
                                                    decision: str) -> None:
    write(workspace, "x.js", source)
    assert decide("node x.js", cwd=workspace).decision == decision
