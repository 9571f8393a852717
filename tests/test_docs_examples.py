"""The examples in README.md and docs/**/*.md are true: every ```console block is run.

A ```console block is a transcript: ``$ COMMAND`` lines (a trailing ``\\`` continues one
on the next line), each followed by the output the doc shows. The commands run are
``airlock …`` and ``printf … | airlock …``; any other ``$`` line is an error here (show
it in a ```sh block instead: those are not run).

Each block runs in a fresh workspace — a ``git init`` repository with a ``build/``
directory, shown in the docs as ``/home/dev/shop`` — with its own ``AIRLOCK_HOME`` and
no daemon. The config is the authoritative one (``$AIRLOCK_HOME/airlock.toml``): the
nearest ```toml block before the console block in the same file, or none. An HTML
comment on the line before the block changes that: ``<!-- doctest: config=next -->``
(the next ```toml block: an example shown before the config it relies on),
``<!-- doctest: config=none -->``.

Comparison, doctest-style, on stdout (stderr is not shown in the docs):

- the lines the doc shows must match the first lines of the output, in order; output
  after the last line shown may be left out;
- ``...`` or ``…`` inside a line stands for any text; a line that is only ``...`` or
  ``…`` stands for any number of lines;
- trailing spaces do not count; the workspace's path is compared as
  ``/home/dev/shop``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.wsbase import WS_BASE

ROOT = Path(__file__).resolve().parent.parent
DOC_WORKSPACE = "/home/dev/shop"
ELLIPSIS = re.compile(r"\.\.\.|…")
RUNNABLE = re.compile(r"^(airlock\s|printf\s.*\|\s*airlock\s)", re.S)
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*doctest:\s*config=(next|none)\s*-->\s*$")


@dataclass
class Example:
    command: str
    lineno: int
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    path: Path
    lineno: int
    config: str | None
    examples: list[Example]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.lineno}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    fences: list[tuple[int, str, list[str]]] = []  # (line index, language, body)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            start, body = i, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            fences.append((start, m.group(1), body))
        i += 1
    blocks = []
    for start, lang, body in fences:
        if lang != "console":
            continue
        directive = DIRECTIVE.match(lines[start - 1]) if start else None
        tomls = [b for s, lang_, b in fences if lang_ == "toml" and is_config(b)
                 and (s > start if directive and directive.group(1) == "next" else s < start)]
        config: str | None = None
        if directive and directive.group(1) == "next":
            assert tomls, f"{path}:{start + 1}: config=next but no ```toml block follows"
            config = "\n".join(tomls[0]) + "\n"
        elif not directive and tomls:
            config = "\n".join(tomls[-1]) + "\n"
        blocks.append(Block(path, start + 1, config, examples(path, start, body)))
    return blocks


def is_config(body: list[str]) -> bool:
    return any(line.startswith(("[agent]", "[environments", "[[resources]]", "[policy]"))
               for line in body)


def examples(path: Path, start: int, body: list[str]) -> list[Example]:
    out: list[Example] = []
    j = 0
    while j < len(body):
        line = body[j]
        if line.startswith("$ "):
            lineno = start + 2 + j
            command = line[2:]
            while command.rstrip().endswith("\\") and j + 1 < len(body):
                j += 1
                command = command.rstrip()[:-1] + " " + body[j].strip()
            if not RUNNABLE.match(command):
                raise AssertionError(
                    f"{path}:{lineno}: a ```console block runs only `airlock …` and "
                    f"`printf … | airlock …`; show {command!r} in a ```sh block")
            out.append(Example(command, lineno))
        elif line.strip() and out:
            out[-1].expected.append(line.rstrip())
        j += 1
    return out


BLOCKS = [b for p in doc_files() for b in parse(p)]


def line_matches(doc: str, out: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in ELLIPSIS.split(doc.rstrip()))
    return re.fullmatch(pattern, out.rstrip(), re.S) is not None


def matches(doc: list[str], out: list[str]) -> bool:
    """The doc's lines match the start of the output (see the module docstring)."""
    if not doc:
        return True
    head, rest = doc[0], doc[1:]
    if ELLIPSIS.fullmatch(head.strip()):
        return any(matches(rest, out[k:]) for k in range(len(out) + 1))
    return bool(out) and line_matches(head, out[0]) and matches(rest, out[1:])


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh workspace and the environment the commands run in."""
    ws = WS_BASE / uuid.uuid4().hex[:12] / "shop"
    ws.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / "build").mkdir()
    (ws / "src").mkdir()
    (ws / "src" / "app.py").write_text("print('hi')\n")
    home = tmp_path / "airlock-home"
    home.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "airlock"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m airlock "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIRLOCK_") or k == "AIRLOCK_NO_DAEMON"}
    env.update(AIRLOCK_HOME=str(home), AIRLOCK_NO_DAEMON="1",
               PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
               GIT_CEILING_DIRECTORIES=str(ws.parent))
    yield ws, env
    shutil.rmtree(ws.parent, ignore_errors=True)


def test_the_docs_have_console_examples() -> None:
    assert any(b.path.name == "README.md" for b in BLOCKS)
    assert sum(len(b.examples) for b in BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_console_example(block: Block, shop: tuple[Path, dict[str, str]]) -> None:
    ws, env = shop
    if block.config is not None:
        (Path(env["AIRLOCK_HOME"]) / "airlock.toml").write_text(block.config)
    failures = []
    for ex in block.examples:
        r = subprocess.run(["bash", "-c", ex.command], cwd=ws, env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        real = os.path.realpath(ws)
        out = [line.replace(str(ws), DOC_WORKSPACE).replace(real, DOC_WORKSPACE)
               for line in r.stdout.splitlines()]
        if not matches(ex.expected, out):
            failures.append(
                f"{block.path.relative_to(ROOT)}:{ex.lineno}: $ {ex.command}\n"
                "--- the doc shows:\n" + "\n".join(ex.expected) +
                "\n--- airlock printed (exit " + str(r.returncode) + "):\n" + "\n".join(out) +
                ("\n--- stderr:\n" + r.stderr.strip() if r.stderr.strip() else ""))
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("doc", "out", "ok"), [
    (["ALLOW  (risk: read)"], ["ALLOW  (risk: read)", "  read x", "  - y"], True),
    (["ALLOW  (risk: read)"], ["HOLD  (risk: destructive)"], False),
    (["DENY", "  ...", "  - scope"], ["DENY", "  a", "  b", "  - scope"], True),
    (["DENY", "  - scope"], ["DENY", "  a", "  - scope"], False),
    (['{"id": 1, "decision": "allow", ...}'], ['{"id": 1, "decision": "allow", "x": 2}'],
     True),
    (["a (Bearer …)"], ["a (Bearer …)"], True),
    (["shown", "not printed"], ["shown"], False),
])
def test_the_comparison(doc: list[str], out: list[str], ok: bool) -> None:
    assert matches(doc, out) is ok
