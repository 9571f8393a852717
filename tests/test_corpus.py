"""The labelled corpus: hundreds of actions an agent might send, each with the decision a
careful SRE expects under the default policies and ``tests/corpus/airlock.toml``.

Every line of ``tests/corpus/*.jsonl`` is one case::

    {"command": "...", "kind": "shell"|"sql"|"http", "dialect": "mysql", "scope": "staging",
     "database": "postgresql://app@db.staging.internal:5432/app",
     "expect": "allow"|"hold"|"deny", "why": "one short phrase", "xfail": "known gap",
     "evasion": "the class of evasion this case tries, e.g. 'python import alias'"}

Only ``command``, ``expect`` and ``why`` are required (``kind`` defaults to shell). A line
with ``xfail`` is a known disagreement between the label and the classifier today: it is
marked ``xfail(strict=True)``, so fixing the classifier turns it into a failure that asks
for the ``xfail`` to be removed. Labels follow what an SRE expects, never what the code
happens to do.

Shell cases run with ``cwd`` = a throwaway git work tree that is NOT under a temp dir
(temp dirs are the built-in sandbox environment), laid out as::

    proj/
      .git/HEAD                     a git work tree (the "workspace" environment)
      .env                          live credentials (reading it is denied)
      .env.example                  a template (reading it is fine)
      README.md  Makefile  package.json  package-lock.json
      src/app.py  src/util.py       source
      tests/test_app.py
      build/out.js                  regenerable output
      node_modules/left-pad/index.js
      migrations/001.sql            contains DROP TABLE legacy_users
      migrations/002.sql            CREATE TABLE + INSERT (harmless)
      ops/volume-delete.json        the incident: {"query": "mutation { volumeDelete(...) }"}
      ops/volume-delete.graphql     the same mutation as a bare GraphQL document
      ops/list-volumes.json         a harmless GraphQL query
      ops/payload.b64               base64 of "rm -rf /"
      scripts/cleanup.sh            a script Airlock reads (rm -rf build: routine)
"""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.action import Action, Decision
from airlock.config import load_config
from airlock.pipeline import Checker

CORPUS = Path(__file__).resolve().parent / "corpus"
CONFIG = CORPUS / "airlock.toml"
from tests.wsbase import WS_BASE  # noqa: E402

FIELDS = {"command", "kind", "dialect", "scope", "database", "expect", "why", "xfail",
          "evasion"}
OBFUSCATION_FILE = "obfuscation.jsonl"
ORDINARY_FILES = ("ordinary.jsonl", "ordinary-dev.jsonl")

INCIDENT = ('mutation { volumeDelete(volumeId: "3d2c42fb-5e6f-4a1b-9c8d-7e6f5a4b3c2d") }')
FILES = {
    ".git/HEAD": "ref: refs/heads/main\n",
    ".env": "DATABASE_URL=postgresql://app:s3cr3t-pass@db.prod.internal:5432/app\n",
    ".env.example": "DATABASE_URL=postgresql://app@localhost:5432/app\n",
    "README.md": "# proj\n",
    "Makefile": "test:\n\tpytest\n",
    "package.json": '{"name": "proj", "scripts": {"test": "jest", "build": "tsc"}}\n',
    "package-lock.json": '{"name": "proj", "lockfileVersion": 3}\n',
    "src/app.py": "print('hi')\n",
    "src/util.py": "def add(a, b):\n    return a + b\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
    "build/out.js": "console.log(1)\n",
    "node_modules/left-pad/index.js": "module.exports = 1\n",
    "migrations/001.sql": "DROP TABLE legacy_users;\n",
    "migrations/002.sql": "CREATE TABLE notes (id int);\nINSERT INTO notes VALUES (1);\n",
    "ops/volume-delete.json": json.dumps({"query": INCIDENT}) + "\n",
    "ops/volume-delete.graphql": INCIDENT + "\n",
    "ops/list-volumes.json": json.dumps({"query": "query { me { projects { edges { node "
                                                  "{ id name } } } } }"}) + "\n",
    "ops/payload.b64": base64.b64encode(b"rm -rf /").decode() + "\n",
    "scripts/cleanup.sh": "#!/bin/sh\nrm -rf build\n",
}


def _load() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            case = json.loads(line)
            cases.append((f"{path.name}:{n}", case))
    return cases


CASES = _load()


def _param(case_id: str, case: dict[str, Any]) -> Any:
    marks = []
    if case.get("xfail"):
        marks.append(pytest.mark.xfail(strict=True, reason=str(case["xfail"])))
    return pytest.param(case_id, case, id=case_id, marks=marks)


@pytest.fixture(scope="module")
def corpus_ws() -> Iterator[Path]:
    root = WS_BASE / f"corpus-{uuid.uuid4().hex[:12]}" / "proj"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus_checker(corpus_ws: Path) -> Checker:
    return Checker(load_config(str(CONFIG), str(corpus_ws)))


def run_case(checker: Checker, cwd: Path, case: dict[str, Any]) -> Decision:
    return checker.check(Action(
        command=case["command"],
        kind=case.get("kind", "shell"),
        scope=case.get("scope"),
        dialect=case.get("dialect"),
        database=case.get("database"),
        cwd=str(cwd),
    ))


def _explain(case: dict[str, Any], d: Decision) -> str:
    targets = ", ".join(f"{t.verb}:{t.risk.label}@{t.env}" for t in d.targets) or "-"
    flags = ", ".join(f"{f.kind}({f.detail})" for f in d.flags) or "-"
    return (f"{case['command']!r} ({case['why']}): expected {case['expect']}, got "
            f"{d.decision}; targets {targets}; flags {flags}; reasons {d.reasons}")


@pytest.mark.parametrize(("case_id", "case"), [_param(i, c) for i, c in CASES])
def test_case(case_id: str, case: dict[str, Any], corpus_checker: Checker,
              corpus_ws: Path) -> None:
    d = run_case(corpus_checker, corpus_ws, case)
    assert d.decision == case["expect"], _explain(case, d)


def test_lines_are_well_formed() -> None:
    for case_id, case in CASES:
        assert set(case) <= FIELDS, f"{case_id}: unknown field(s) {set(case) - FIELDS}"
        assert isinstance(case.get("command"), str) and case["command"], case_id
        assert case.get("kind", "shell") in ("shell", "sql", "http"), case_id
        assert case.get("expect") in ("allow", "hold", "deny"), case_id
        assert isinstance(case.get("why"), str) and case["why"], case_id
        assert isinstance(case.get("evasion", "x"), str) and case.get("evasion", "x"), case_id


def test_corpus_size() -> None:
    per_file = Counter(case_id.split(":")[0] for case_id, _ in CASES)
    assert len(CASES) >= 1500, per_file
    assert per_file[OBFUSCATION_FILE] >= 60, per_file
    ordinary = [c for i, c in CASES if i.split(":")[0] in ORDINARY_FILES]
    assert len(ordinary) >= 500, per_file
    assert all(c["expect"] == "allow" for c in ordinary), "ordinary commands must be allowed"
    assert {c["expect"] for _, c in CASES} == {"allow", "hold", "deny"}
    kinds = {c.get("kind", "shell") for _, c in CASES}
    assert kinds == {"shell", "sql", "http"}, kinds
    unique = Counter((c["command"], c.get("kind", "shell"), c.get("scope"), c.get("database"))
                     for _, c in CASES)
    dupes = [k for k, n in unique.items() if n > 1]
    assert not dupes, dupes


def test_evasions_are_many_of_many_kinds_and_each_must_be_stopped() -> None:
    """An evasion is a case that tries to get past Airlock: it names its class, and the
    label is never allow (the harmless look-alikes beside it carry no class)."""
    evasions = [(i, c) for i, c in CASES if "evasion" in c]
    assert len(evasions) >= 300, len(evasions)
    classes = Counter(c["evasion"] for _, c in evasions)
    assert len(classes) >= 40, classes
    allowed = [i for i, c in evasions if c["expect"] == "allow"]
    assert not allowed, allowed


def test_unparsed_is_never_allowed(corpus_checker: Checker, corpus_ws: Path) -> None:
    """Whatever the label says: an action Airlock could not fully understand is never
    allowed (xfail lines included)."""
    bad = []
    for case_id, case in CASES:
        d = run_case(corpus_checker, corpus_ws, case)
        if d.decision == "allow" and any(f.kind == "unparsed" for f in d.flags):
            bad.append(f"{case_id}: {case['command']!r}")
    assert not bad, bad
