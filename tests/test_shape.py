"""The shape of the code, as docs/architecture.md promises it: modules a reader can hold
in their head, imports that run one way, the broker apart from the web server, the CLI
in one package. Checked from the source text, so nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "airlock"
MAX_LINES = 1000


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every ``airlock`` module ``name`` imports, at module level or inside a function
    (both run), except under ``if TYPE_CHECKING:``, which never runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_module_is_over_a_thousand_lines() -> None:
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_no_import_cycle_between_modules() -> None:
    assert _cycles() == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    # the check above is only worth something if it can fail
    saved = dict(GRAPH)
    try:
        GRAPH["airlock.action"] = GRAPH["airlock.action"] | {"airlock.pipeline"}
        assert any("airlock.action" in c and "airlock.pipeline" in c for c in _cycles())
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def test_nothing_in_the_broker_imports_the_web_server() -> None:
    bad = {name: sorted(m for m in deps if m.startswith("airlock.server"))
           for name, deps in GRAPH.items() if name.startswith("airlock.broker")}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_cli_lives_in_one_package() -> None:
    assert (PACKAGE / "cli" / "__init__.py").is_file()
    strays = sorted(p.name for p in PACKAGE.glob("*.py")
                    if p.name.startswith("commands") or p.stem in ("cli", "check_cmd"))
    assert strays == []
