"""Where a local path lives: the agent's workspace, a temp dir, or somewhere that matters.

Shared by the filesystem pack (how bad is deleting this?) and resolve (which
environment is this path in?). Stdlib only.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache

# Deleting (or recursively chmod/chown-ing) any of these is catastrophic.
SYSTEM_DIRS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr",
    "/var", "/var/lib", "/var/log", "/usr/local", "/usr/bin", "/usr/lib", "/Users",
    "/System", "/Library", "/Applications", "/private", "/snap", "/nix",
})

# Directories that tools regenerate: deleting them in a workspace is routine.
REGENERABLE = frozenset({
    "node_modules", "dist", "build", "target", ".venv", "venv", "env", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "coverage", ".coverage",
    "htmlcov", ".next", ".nuxt", ".svelte-kit", "out", ".tox", ".nox", ".cache",
    ".parcel-cache", ".turbo", ".gradle", ".terraform", "tmp", ".tmp", "bin", "obj",
    ".angular", ".eggs", "_build", "site", ".docusaurus", "storybook-static",
})


# Nothing is within this (:func:`within` says so). It is a sentinel, never a name: it must
# not reach a target's name, locator or reason (a git command there names
# :func:`repository_root` instead).
NO_WORKSPACE = "\x00no-workspace"


def workspace_root(cwd: str, home: str | None = None) -> str:
    """The git work tree containing ``cwd``, else ``cwd`` itself.

    The home dir (``home``: the agent's, default this process's), ``/`` and system
    directories are never a workspace: an agent started there gets
    :data:`NO_WORKSPACE`, and every path counts as outside its workspace.
    """
    return _workspace_root(cwd, home or os.path.expanduser("~"))


@lru_cache(maxsize=256)
def repository_root(path: str) -> str:
    """The git work tree containing ``path``, else ``path`` itself (absolute): the
    repository a git command run there works on. Unlike :func:`workspace_root`, always
    a real path, whether or not it may be a workspace."""
    path = os.path.abspath(path)
    probe = path
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return path
        probe = parent


@lru_cache(maxsize=256)
def _workspace_root(cwd: str, home: str) -> str:
    found = repository_root(cwd)
    if found in SYSTEM_DIRS or found == os.path.normpath(home) or found in temp_roots():
        return NO_WORKSPACE
    return found


@lru_cache(maxsize=1)
def temp_roots() -> tuple[str, ...]:
    roots = {"/tmp", "/var/tmp", "/dev/shm", os.path.realpath(tempfile.gettempdir())}
    tmpdir = os.environ.get("TMPDIR")
    if tmpdir:
        roots.add(os.path.normpath(tmpdir))
    return tuple(sorted(r for r in roots if r and r != "/"))


def within(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it (both absolute, normalised). Nothing is within
    :data:`NO_WORKSPACE`, not even itself."""
    if root == NO_WORKSPACE:
        return False
    if root == "/":
        return True
    return path == root or path.startswith(root.rstrip("/") + "/")


def strictly_within(path: str, root: str) -> bool:
    return path != root and within(path, root)


def in_temp(path: str) -> bool:
    return any(strictly_within(path, r) for r in temp_roots())


def is_critical(path: str, *, home: str, workspace: str) -> bool:
    """Losing this path wholesale is catastrophic: /, system dirs, the home dir, the
    workspace root or its .git, or any ancestor of those."""
    path = path.rstrip("/") or "/"
    if path in SYSTEM_DIRS:
        return True
    for anchor in (home, workspace, os.path.join(workspace, ".git")):
        if anchor and within(anchor, path):
            return True
    base = os.path.basename(path)
    return base in (".ssh", ".gnupg", ".git") and not in_temp(path)
