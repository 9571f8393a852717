"""Where credentials lie in a tree: each finding is a file, a line and the kind of
credential, never the secret. Airlock's own patterns (PaaS and cloud tokens, secret-named
assignments, connection URLs with a password, credential files by name; from
:mod:`airlock.classify`) plus detect-secrets when it is installed. ``airlock scan`` prints
them and can add the files to the secret-file denylist."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
                       ".pytest_ws", ".terraform", ".next", ".cache"})

SKIP_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
                        "uv.lock", "Cargo.lock", "go.sum", "Gemfile.lock", "composer.lock",
                        "Pipfile.lock"})

MAX_BYTES = 1_000_000
# Files where a bare ``NAME=value`` is configuration (elsewhere only a quoted value counts).

CONFIG_SUFFIXES = frozenset({"", ".env", ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml",
                             ".json", ".properties", ".sh", ".bash", ".zsh", ".envrc",
                             ".tfvars", ".txt"})

ASSIGNMENT = re.compile(
    r"""(?x)(?:^|[\s{,;(])(?:export\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*
    (?::|=|:=|=>)\s*(?P<q>["']?)(?P<value>[^\s"',;#]+)(?P=q)""")

PLACEHOLDER = re.compile(
    r"(?i)(your|example|changeme|change_me|xxx|placeholder|dummy|sample|todo|replace|"
    r"redacted|<|>|\*\*\*|\.\.\.|^\$|\$\{|\{\{|%\(|^(true|false|null|none|yes|no)$)")


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # absolute
    line: int  # 1-based; 0 when the file as a whole is the finding
    kind: str  # what kind of credential, never the value


def _assignment_kinds(line: str, config_like: bool) -> list[str]:
    from airlock.classify.credentials import NOT_SECRET_NAME, SECRET_NAME

    out = []
    for m in ASSIGNMENT.finditer(line):
        name, value = m.group("name"), m.group("value")
        if not (config_like or m.group("q")):
            continue
        leaf = name.rsplit(".", 1)[-1]
        if not SECRET_NAME.search(leaf) or NOT_SECRET_NAME.match(leaf):
            continue
        if len(value) < 8 or PLACEHOLDER.search(value) or len(set(value)) < 4:
            continue
        if "(" in value or value.startswith(("os.", "process.", "env.", "ENV[")):
            continue
        out.append(f"{leaf} assignment")
    return out


def _scan_text(path: str, text: str) -> list[Finding]:
    from airlock.classify.credentials import TOKEN_SHAPES, URL_PASSWORD

    base = os.path.basename(path)
    suffix = os.path.splitext(base)[1].lower()
    config_like = suffix in CONFIG_SUFFIXES or base.startswith(".env") or base.endswith("rc")
    found: list[Finding] = []
    for n, line in enumerate(text.splitlines(), 1):
        if len(line) > 4000:
            line = line[:4000]
        kinds = [label for label, pattern in TOKEN_SHAPES if pattern.search(line)]
        m = URL_PASSWORD.search(line)
        if m and not PLACEHOLDER.search(m.group(1)) and len(m.group(1)) >= 4:
            kinds.append("password in a connection URL")
        kinds.extend(_assignment_kinds(line, config_like))
        for kind in dict.fromkeys(kinds):
            found.append(Finding(path, n, kind))
    return found


def _detect_secrets(path: str) -> list[Finding] | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    collection = SecretsCollection()
    with default_settings():
        collection.scan_file(path)
    out = []
    for secrets in collection.data.values():
        for s in secrets:
            out.append(Finding(path, int(s.line_number or 0), str(s.type)))
    return out


def _walk(root: str) -> Iterator[str]:
    if os.path.isfile(root):
        yield root
        return
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name not in SKIP_FILES:
                yield os.path.join(base, name)


def scan_tree(root: str) -> tuple[list[Finding], bool]:
    """Every credential found under ``root``, and whether detect-secrets took part."""
    from airlock.classify.guards import is_secret_file

    findings: list[Finding] = []
    with_ds = True
    for path in _walk(os.path.abspath(root)):
        try:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            with open(path, "rb") as fh:
                head = fh.read(min(size, MAX_BYTES))
        except OSError:
            continue
        binary = b"\0" in head[:8192]
        own: list[Finding] = []
        if not binary and size <= MAX_BYTES:
            own = _scan_text(path, head.decode("utf-8", "replace"))
            ds = _detect_secrets(path)
            if ds is None:
                with_ds = False
            else:
                own.extend(ds)
        if not own and size > 0 and is_secret_file(path) and not _only_comments(head, binary):
            own.append(Finding(path, 0, "credentials file (by its name)"))
        findings.extend(own)
    return _merge(findings), with_ds


def _only_comments(head: bytes, binary: bool) -> bool:
    if binary:
        return False
    lines = [ln.strip() for ln in head.decode("utf-8", "replace").splitlines()]
    return all(not ln or ln.startswith(("#", ";", "//")) for ln in lines)


def _merge(findings: list[Finding]) -> list[Finding]:
    by_line: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        kinds = by_line.setdefault((f.path, f.line), [])
        if f.kind not in kinds:
            kinds.append(f.kind)
    return [Finding(p, n, ", ".join(k)) for (p, n), k in sorted(by_line.items())]
