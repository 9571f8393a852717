"""Would a recursive search read a file that holds live credentials?

``grep -r``, ``rg``, ``ag``, ``git grep``, a ``tar`` streamed to stdout and an agent tool's
own search (Claude Code's ``Grep``) read every file of a tree that they do not skip. This
module walks that tree the way the tool would and names the secret files it would read:

- **what the tool skips is skipped**: ``rg`` and ``ag`` skip hidden files and
  directories (``--hidden``, ``-u``/``-uu``, ``--unrestricted`` search them) and what
  ``.gitignore`` (inside a git work tree), ``.ignore``, ``.rgignore`` or ``.agignore``
  ignore (``--no-ignore``, ``-u``, ``-U`` search those too); ``git grep`` searches
  tracked files only (read from the git index: a secret file that is not tracked is
  not read); ``grep -r`` and ``tar`` read everything;
- **what the command excludes is excluded**: ``grep --exclude=GLOB``/``--exclude-dir``/
  ``--include``, ``rg -g '!.env'``/``-g '*.py'``/``-t py``/``-T``, ``ag --ignore``/``-G``,
  ``tar --exclude``, the ``Grep`` tool's ``glob`` and ``type``;
- **bounded**: the walk stops after :data:`WALK_MAX_ENTRIES` directory entries or
  :data:`WALK_MAX_SECONDS` seconds. A walk that could not finish is answered as "may
  hold secrets" (fail closed): narrowing the search (a directory, a glob) gets a
  definite answer.

Git is never run (a repository's own config can make git run programs); its ignore files
and index are read directly. Standard library only: the hook runner uses it for the
``Grep`` tool on its fast path.
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

WALK_MAX_ENTRIES = 50_000  # directory entries looked at per search
WALK_MAX_SECONDS = 0.5  # wall time per search
# Dependency, environment and cache directories the walk does not enter (below a
# search's root): they hold installed packages, not a project's credentials, and they
# are where the entries of a big tree are. A search rooted in one is still walked.
NOT_WALKED = frozenset({"node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
                        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
                        ".gradle", ".m2", "bower_components", "site-packages"})
_MAX_FOUND = 3  # secret files named in a refusal
_MAX_INDEX_BYTES = 64 << 20
_MAX_IGNORE_BYTES = 1 << 20

# ripgrep's file types (``rg --type-list``), the common ones; an unknown TYPE is taken
# as ``*.TYPE``.
RG_TYPES: dict[str, tuple[str, ...]] = {
    "py": ("*.py", "*.pyi"), "python": ("*.py", "*.pyi"),
    "js": ("*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"), "ts": ("*.ts", "*.tsx", "*.cts", "*.mts"),
    "typescript": ("*.ts", "*.tsx"), "go": ("*.go",), "rust": ("*.rs",), "java": ("*.java",),
    "c": ("*.c", "*.h", "*.H"), "cpp": ("*.cpp", "*.cc", "*.cxx", "*.hpp", "*.hh", "*.h"),
    "md": ("*.md", "*.markdown", "*.mdx"), "markdown": ("*.md", "*.markdown", "*.mdx"),
    "json": ("*.json",), "yaml": ("*.yaml", "*.yml"), "toml": ("*.toml", "Cargo.lock"),
    "sh": ("*.sh", "*.bash", "*.zsh", ".bashrc", ".zshrc", ".profile"), "ruby": ("*.rb",),
    "rb": ("*.rb",), "html": ("*.html", "*.htm"), "css": ("*.css", "*.scss"),
    "sql": ("*.sql",), "txt": ("*.txt",), "kotlin": ("*.kt", "*.kts"), "swift": ("*.swift",),
    "php": ("*.php",), "cs": ("*.cs",), "csharp": ("*.cs",), "scala": ("*.scala",),
    "lua": ("*.lua",), "tf": ("*.tf", "*.tfvars"), "terraform": ("*.tf", "*.tfvars"),
    "docker": ("*Dockerfile*",), "make": ("Makefile", "*.mk", "makefile", "GNUmakefile"),
    "xml": ("*.xml",), "proto": ("*.proto",), "rst": ("*.rst",),
    "config": ("*.cfg", "*.conf", "*.config", "*.ini"),
}


@dataclass(frozen=True, slots=True)
class Search:
    """How one recursive search walks: ``roots`` absolute; the rest as described above.

    ``includes``/``excludes`` are gitignore-style globs (no ``/``: the name at any depth;
    with one: the path below the root); ``excludes`` also prune directories,
    ``exclude_dirs`` only prune directories. ``include_regex`` (``ag -G``) must match
    the path of a searched file."""

    roots: tuple[str, ...]
    tool: str
    hidden: bool = True
    ignore_files: tuple[str, ...] = ()  # names of ignore files the tool honours
    tracked_only: bool = False  # git grep: files in the index
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    exclude_dirs: tuple[str, ...] = ()
    include_regex: str | None = None
    follow: bool = False
    max_depth: int | None = None
    skip_dirs: tuple[str, ...] = ()  # never searched (``.git`` for git grep)
    overrides: bool = False  # an include glob beats hidden and ignore rules (ripgrep)


@dataclass(slots=True)
class Outcome:
    found: list[str] = field(default_factory=list)  # secret files the search would read
    complete: bool = True  # False: the bound was hit before the walk finished
    entries: int = 0


def find_secret_reads(search: Search, is_secret: Callable[[str, bool], bool]) -> Outcome:
    """The secret files ``search`` would read (``is_secret(path, is_dir)`` decides),
    within the bounds."""
    out = Outcome()
    deadline = time.monotonic() + WALK_MAX_SECONDS
    if search.tracked_only:
        _tracked(search, is_secret, out)
        return out
    inc = _Globs(search.includes)
    exc = _Globs(search.excludes)
    exd = _Globs(search.exclude_dirs)
    rx = re.compile(search.include_regex) if search.include_regex else None
    for root in search.roots:
        if not os.path.isdir(root):
            continue  # a file operand is checked as a plain read
        rules = _ancestor_rules(root, search)
        in_git = bool(search.ignore_files) and work_tree(root) is not None
        stack: list[tuple[str, str, list[_Rule], int]] = [(root, "", rules, 0)]
        seen: set[tuple[int, int]] = set()
        while stack:
            path, rel, rules, depth = stack.pop()
            rules = rules + _dir_rules(path, rel, search, in_git)
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                entries = list(os.scandir(path))
            except OSError:
                continue
            for entry in entries:
                out.entries += 1
                if out.entries > WALK_MAX_ENTRIES or (
                        out.entries % 256 == 0 and time.monotonic() > deadline):
                    out.complete = False
                    return out
                name = entry.name
                sub = f"{rel}/{name}" if rel else name
                try:
                    is_dir = entry.is_dir(follow_symlinks=search.follow)
                    is_file = entry.is_file(follow_symlinks=search.follow)
                except OSError:
                    continue
                hidden = not search.hidden and name.startswith(".")
                if is_dir:
                    if hidden or name in search.skip_dirs or name in NOT_WALKED or \
                            exc.match(sub, name) or exd.match(sub, name) or \
                            _ignored(rules, sub, True):
                        continue
                    if is_secret(entry.path, True) and not (
                            search.max_depth is not None and depth + 1 >= search.max_depth):
                        # everything inside a secret dir (~/.ssh, ~/.aws) is secret
                        if _any_file(entry.path):
                            _add(out, entry.path)
                            if len(out.found) >= _MAX_FOUND:
                                return out
                        continue
                    if search.max_depth is None or depth + 1 < search.max_depth:
                        stack.append((entry.path, sub, rules, depth + 1))
                    continue
                if not is_file:
                    continue
                included = bool(search.includes) and inc.match(sub, name)
                if search.includes and not included:
                    continue
                if exc.match(sub, name) or (rx is not None and not rx.search(sub)):
                    continue
                # ripgrep: a -g glob a file matches overrides hidden and ignore rules
                if not (included and search.overrides) and (
                        hidden or _ignored(rules, sub, False)):
                    continue
                if is_secret(entry.path, False):
                    _add(out, entry.path)
                    if len(out.found) >= _MAX_FOUND:
                        return out
    return out


def _add(out: Outcome, path: str) -> None:
    if path not in out.found:
        out.found.append(path)


def _any_file(path: str) -> bool:
    try:
        for _base, _dirs, files in os.walk(path):
            if files:
                return True
    except OSError:
        return True
    return False


# --------------------------------------------------------------------------- globs


def _brace(pattern: str) -> list[str]:
    """``*.{ts,tsx}`` → ``*.ts``, ``*.tsx`` (one level, as ripgrep's globs)."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(_brace(pattern[: m.start()] + alt + pattern[m.end():]))
    return out[:64]


def glob_regex(pattern: str) -> tuple[re.Pattern[str], bool]:
    """A gitignore-style glob → (regex, anchored): anchored globs match the path below
    the base, the others the name alone."""
    p = pattern
    anchored = "/" in p.rstrip("/")
    p = p.rstrip("/").lstrip("/") if anchored else p.rstrip("/")
    i, out = 0, []
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("/**", i) and i + 3 == len(p):
            out.append("/.*")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = p.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = p[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        elif c == "\\" and i + 1 < len(p):
            out.append(re.escape(p[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    try:
        return re.compile("(?s:" + "".join(out) + r")\Z"), anchored
    except re.error:
        return re.compile(re.escape(p) + r"\Z"), anchored


class _Globs:
    def __init__(self, patterns: Iterable[str]) -> None:
        self.rx = [glob_regex(b) for p in patterns for b in _brace(p)]

    def match(self, rel: str, name: str) -> bool:
        return any(r.match(rel if anchored else name) for r, anchored in self.rx)

    def __bool__(self) -> bool:
        return bool(self.rx)


# --------------------------------------------------------------------------- ignore files


@dataclass(frozen=True, slots=True)
class _Rule:
    rx: re.Pattern[str]
    anchored: bool
    negated: bool
    dir_only: bool
    # the ignore file's dir relative to the search root ("" or "a/b"); "\x00" + the
    # root's path below that dir for an ignore file above the root
    base: str


def _parse_ignore(text: str, base: str) -> list[_Rule]:
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated or line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        rx, anchored = glob_regex(line)
        rules.append(_Rule(rx, anchored, negated, dir_only, base))
    return rules


def _read_small(path: str) -> str | None:
    try:
        if os.path.getsize(path) > _MAX_IGNORE_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def git_dir(work: str) -> str | None:
    """The git dir of the work tree ``work`` (``.git``, or where a ``.git`` file points)."""
    dot = os.path.join(work, ".git")
    if os.path.isdir(dot):
        return dot
    if os.path.isfile(dot):
        text = _read_small(dot) or ""
        if text.startswith("gitdir:"):
            return os.path.normpath(os.path.join(work, text[7:].strip()))
    return None


def work_tree(path: str) -> str | None:
    """The git work tree holding ``path``, or None."""
    cur = os.path.abspath(path)
    while True:
        if os.path.exists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _dir_rules(path: str, rel: str, search: Search, in_git: bool) -> list[_Rule]:
    out: list[_Rule] = []
    for name in search.ignore_files:
        if name == ".gitignore" and not in_git:
            continue
        text = _read_small(os.path.join(path, name))
        if text:
            out.extend(_parse_ignore(text, rel))
    return out


def _ancestor_rules(root: str, search: Search) -> list[_Rule]:
    """Rules of ignore files in the dirs above ``root`` (up to its work tree), and the
    work tree's ``.git/info/exclude``; their paths made relative to ``root``."""
    if not search.ignore_files:
        return []
    tree = work_tree(root)
    top = tree or root
    rules: list[_Rule] = []
    if tree is not None and ".gitignore" in search.ignore_files:
        gd = git_dir(tree)
        if gd:
            text = _read_small(os.path.join(gd, "info", "exclude"))
            if text:
                rules.extend(_above(_parse_ignore(text, ""), os.path.relpath(root, tree)))
    chain: list[str] = []
    cur = root
    while cur != top:
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        chain.append(parent)
        cur = parent
    for d in reversed(chain):
        for name in search.ignore_files:
            if name == ".gitignore" and tree is None:
                continue
            text = _read_small(os.path.join(d, name))
            if text:
                rules.extend(_above(_parse_ignore(text, ""), os.path.relpath(root, d)))
    return rules


def _above(rules: list[_Rule], prefix: str) -> list[_Rule]:
    """Rules written for a dir above the root: ``prefix`` is the root below that dir."""
    prefix = "" if prefix == "." else prefix
    return [_Rule(r.rx, r.anchored, r.negated, r.dir_only, "\x00" + prefix) for r in rules]


def _ignored(rules: list[_Rule], rel: str, is_dir: bool) -> bool:
    verdict = False
    name = rel.rsplit("/", 1)[-1]
    for r in rules:
        if r.dir_only and not is_dir:
            continue
        if r.base.startswith("\x00"):
            pre = r.base[1:]
            sub = f"{pre}/{rel}" if pre else rel
        elif r.base:
            if not rel.startswith(r.base + "/"):
                continue
            sub = rel[len(r.base) + 1 :]
        else:
            sub = rel
        if r.rx.match(sub if r.anchored else name):
            verdict = not r.negated
    return verdict


# --------------------------------------------------------------------------- git index


def tracked_files(work: str) -> set[str] | None:
    """Paths (relative to the work tree) in ``work``'s git index; None when the index
    cannot be read completely (a split index, an unknown version, a damaged file)."""
    gd = git_dir(work)
    if gd is None:
        return set()
    path = os.path.join(gd, "index")
    try:
        if os.path.getsize(path) > _MAX_INDEX_BYTES:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return set()
    except OSError:
        return None
    try:
        return _parse_index(data)
    except (struct.error, ValueError, IndexError):
        return None


def _parse_index(data: bytes) -> set[str] | None:
    sig, version, count = struct.unpack(">4sII", data[:12])
    if sig != b"DIRC" or version not in (2, 3, 4):
        return None
    pos = 12
    prev = b""
    names: set[str] = set()
    for _ in range(count):
        start = pos
        (flags,) = struct.unpack(">H", data[pos + 60 : pos + 62])
        pos += 62
        if version >= 3 and flags & 0x4000:
            pos += 2
        if version == 4:
            c = data[pos]
            pos += 1
            strip = c & 0x7F
            while c & 0x80:
                c = data[pos]
                pos += 1
                strip = ((strip + 1) << 7) | (c & 0x7F)
            end = data.index(b"\0", pos)
            name = prev[: len(prev) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.index(b"\0", pos)
            name = data[pos:end]
            pos = start + ((end - start + 8) & ~7)
        prev = name
        names.add(name.decode("utf-8", "surrogateescape"))
    # extensions: a split index ("link") keeps entries elsewhere
    while pos + 8 <= len(data) - 20:
        ext, size = struct.unpack(">4sI", data[pos : pos + 8])
        if ext == b"link":
            return None
        pos += 8 + size
    return names


def _tracked(search: Search, is_secret: Callable[[str, bool], bool], out: Outcome) -> None:
    for root in search.roots:
        tree = work_tree(root)
        if tree is None:
            continue
        names = tracked_files(tree)
        if names is None:  # cannot tell: fail closed on a walk of everything below
            names = set()
            sub = find_secret_reads(Search(roots=(root,), tool=search.tool,
                                           skip_dirs=(".git",)), is_secret)
            out.found.extend(p for p in sub.found if p not in out.found)
            out.complete = out.complete and sub.complete
            continue
        rel_root = os.path.relpath(root, tree)
        prefix = "" if rel_root == "." else rel_root + "/"
        inc = _Globs(search.includes)
        exc = _Globs(search.excludes)
        for i, name in enumerate(sorted(names)):
            if i % 1024 == 0 and i and len(out.found) >= _MAX_FOUND:
                return
            if name == rel_root:  # the root is a tracked file
                rel = os.path.basename(name)
            elif name.startswith(prefix):
                rel = name[len(prefix):]
            else:
                continue
            base = rel.rsplit("/", 1)[-1]
            if search.includes and not inc.match(rel, base):
                continue
            if exc.match(rel, base):
                continue
            full = os.path.join(tree, name)
            if is_secret(full, False):
                _add(out, full)
