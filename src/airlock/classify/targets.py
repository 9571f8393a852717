"""Targets every part of the classifier builds: paths, programs, redirections.

How bad deleting a path is depends on where it is:

- ``/``, system directories, the home dir, the workspace root, its ``.git``, or any
  ancestor of those → catastrophic;
- anywhere outside the workspace and temp dirs → destructive;
- inside the workspace: one file or a glob of files, or a regenerable directory
  (``node_modules``, ``dist``, ``build``…) → write (ordinary development); a
  recursive delete of anything else → destructive;
- a temp dir → destructive, but temp is a sandbox environment, so policy allows it;
- a path built from an unresolved variable or command output → destructive and
  unresolved (resolve puts it in the ``unknown`` environment: held).

Writing a path is routine in the workspace and temp dirs, held for system files and the
home dir's dotfiles. The filesystem pack, dispatch (redirections, programs without a
pack, scripts) and inline interpreter code all build their targets here.
"""

from __future__ import annotations

import glob as globmod
import itertools
import os
import stat
from collections.abc import Sequence
from functools import lru_cache

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
    UNKNOWN_LINK,
    ClassifyContext,
    SimpleCommand,
    Word,
    expand_braces,
)
from airlock.classify.shell_state import MKTEMP_NAME
from airlock.paths import REGENERABLE, in_temp, is_critical, strictly_within, temp_roots, within

_DEV_SINKS = frozenset(
    {
        "/dev/null",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/tty",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
        "/dev/fd/1",
        "/dev/fd/2",
    }
)


def program_target(cmd: SimpleCommand, ctx: ClassifyContext, risk: Risk) -> Target:
    """The action is "run this program here": the target is the working directory."""
    prog = cmd.program or "shell"
    return Target(
        kind="program",
        name=prog,
        verb=f"{prog}.run",
        risk=risk,
        tool=prog,
        locator=f"path:{ctx.origin if ctx.cwd_unknown and ctx.origin else ctx.cwd}",
    )


def _known_prefix(w: Word) -> str:
    text = w.text
    cut = len(text)
    for marker in (DYNAMIC, "*", "?", "["):
        idx = text.find(marker)
        if idx != -1 and (marker == DYNAMIC or w.glob):
            cut = min(cut, idx)
    return text[:cut]


BROAD_PATTERNS = frozenset({"*", ".*", "*.*", "**", "?*", "[!.]*"})


def delete_risk(
    path: str,
    ctx: ClassifyContext,
    *,
    recursive: bool,
    pattern: bool,
    unresolved: bool,
    last: str = "*",
) -> tuple[Risk, str]:
    """(risk, why) of deleting ``path`` (absolute). For a glob or a filtered ``find``,
    ``path`` is the directory the matches are in and ``last`` the pattern for them: a
    broad one (``*``) takes everything, a narrow one (``*.pyc``, ``__pycache__``) only
    the matching entries."""
    ws = ctx.workspace()
    broad = not pattern or last in BROAD_PATTERNS
    if is_critical(path, home=ctx.home, workspace=ws) and broad and (recursive or not pattern):
        return Risk.CATASTROPHIC, "deletes a system, home or workspace root directory"
    if unresolved:
        return Risk.DESTRUCTIVE, "path comes from a variable or command output"
    probe = os.path.join(path, last) if pattern else path
    if in_temp(probe):
        return Risk.DESTRUCTIVE, "in a temp dir"
    if strictly_within(probe, ws):
        parts = os.path.relpath(probe, ws).split(os.sep)
        if parts[0] == ".git":
            return Risk.DESTRUCTIVE, "inside the repository's .git"
        if any(p in REGENERABLE or p.endswith(".egg-info") for p in parts):
            return Risk.WRITE, "a generated directory in the workspace"
        if not recursive or (pattern and not broad and not fnmatch_any_dir(last)):
            return Risk.WRITE, "files in the workspace"
        if not pattern and os.path.isfile(probe) and not os.path.islink(probe):
            return Risk.WRITE, "a file in the workspace (-r changes nothing for a file)"
        if pattern:
            return Risk.DESTRUCTIVE, "recursive delete of a glob in the workspace"
        return Risk.DESTRUCTIVE, "recursive delete in the workspace"
    if path == ws:
        return Risk.CATASTROPHIC, "deletes the workspace"
    return Risk.DESTRUCTIVE, "outside the workspace"


def _critical_match(text: str, ctx: ClassifyContext, limit: int = 500) -> str | None:
    """A critical path the glob would expand to right now (``/e?c`` → ``/etc``)."""
    ws = ctx.workspace()
    for candidate in expand_braces(text):
        full = ctx.abspath(candidate)
        matches = itertools.islice(globmod.iglob(full), limit) if globmod.has_magic(full) \
            else iter([full])
        for m in matches:
            if is_critical(os.path.normpath(m), home=ctx.home, workspace=ws):
                return os.path.normpath(m)
    return None


def _through_links(text: str, path: str, ctx: ClassifyContext, *, entered: bool
                   ) -> tuple[str | None, bool, bool]:
    """Where deleting ``text`` (its absolute form is ``path``) really lands: (the path a
    symlink on the way leads to, or None when that is ``path`` itself; whether a link
    leads somewhere unknown; whether ``text`` names a symlink itself, which is all that
    goes). The last component is followed only when it is entered: a trailing slash or a
    glob inside it (``rm -rf link`` removes the link, ``rm -rf link/`` and
    ``rm -rf link/*`` what it points to)."""
    if text == "~" or text.startswith("~/"):
        text = ctx.home + text[1:]
    full = path if entered else (text if os.path.isabs(text) else os.path.join(ctx.cwd, text))
    follow_last = entered or text.endswith(("/", "/.", "/.."))
    resolved = follow(full, ctx, last=follow_last)
    if resolved is None:
        return None, True, False
    resolved = _canonical(resolved, ctx)
    is_link = not follow_last and (resolved in ctx.links or os.path.islink(resolved))
    moved = resolved != os.path.normpath(full) and resolved != path
    return (resolved if moved else None), False, is_link


def follow(path: str, ctx: ClassifyContext, *, last: bool = True) -> str | None:
    """``path`` (absolute, as written: ``..`` is applied after the link before it) with
    symlinks resolved: those the script made earlier (``ctx.links``) and, within the
    action's budget, those on disk below the directory the agent works in (links above it
    lead back under the same names: see :func:`_canonical`). ``last``: the final
    component too. None: a link on the way leads somewhere Airlock cannot know, or links
    loop."""
    disk = ctx.link_budget[0] > 0
    if disk:
        ctx.link_budget[0] -= 1
    elif not ctx.links:
        return os.path.normpath(path)
    trusted = ""
    for root in (ctx.origin or ctx.cwd, ctx.home):
        if root and "\x00" not in root and path.startswith(root.rstrip("/") + "/"):
            trusted = root.rstrip("/")
            break
    resolved = "/"
    if trusted and not any(trusted == k or trusted.startswith(k + "/") for k in ctx.links):
        resolved, path = trusted, path[len(trusted):]  # nothing above it to follow
    parts = [p for p in path.split("/") if p]
    hops = 0
    i = 0
    while i < len(parts):
        name = parts[i]
        i += 1
        if name == ".":
            continue
        if name == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = resolved + name if resolved == "/" else resolved + "/" + name
        if i == len(parts) and not last:
            resolved = candidate
            break
        target = ctx.links.get(candidate)
        if target is None and disk and len(candidate) > len(trusted):
            target, disk = _readlink(candidate, resolved)
        if target is None:
            resolved = candidate
            continue
        hops += 1
        if target == UNKNOWN_LINK or hops > 40:
            return None
        parts = [p for p in target.split("/") if p] + parts[i:]
        resolved = "/"
        i = 0
    return resolved


def _readlink(candidate: str, parent: str) -> tuple[str | None, bool]:
    """(where the symlink ``candidate`` points, whether to keep looking on disk: nothing
    below a missing directory exists)."""
    try:
        st = os.lstat(candidate)
    except OSError:
        return None, False
    if not stat.S_ISLNK(st.st_mode):
        return None, True
    try:
        return os.path.join(parent, os.readlink(candidate)), True
    except OSError:
        return None, False


@lru_cache(maxsize=64)
def _real(root: str) -> str:
    return os.path.realpath(root)


def _canonical(resolved: str, ctx: ClassifyContext) -> str:
    """A resolved path under the real location of the workspace, the home dir or a temp
    dir, written under their usual names (a workspace under a symlinked /home is still
    the workspace)."""
    for root in (ctx.workspace(), ctx.home, ctx.origin or ctx.cwd, *temp_roots()):
        if not root or root.startswith("\x00") or "\x00" in root:
            continue
        real = _real(root)
        if real != root and within(resolved, real):
            return root + resolved[len(real.rstrip("/")):]
    return resolved


def fnmatch_any_dir(pattern: str) -> bool:
    """A narrow pattern that still names directories in general (``*/``, ``*dir*``)."""
    return pattern.endswith("/")


def _if_mktemp_failed(path: str, pattern: bool) -> str | None:
    """The path a word built on ``$(mktemp)``'s output names when mktemp printed nothing
    (``/tmp/tmp.XXXXXXXXXX/etc`` → ``/etc``), or None when it is not built on it."""
    i = path.find("/" + MKTEMP_NAME)
    if i == -1:
        return None
    rest = path[i + 1 + len(MKTEMP_NAME):]
    return rest or ("/" if pattern else None)


def path_targets(
    words: Sequence[Word],
    ctx: ClassifyContext,
    *,
    verb: str,
    risk: Risk,
    tool: str,
    kind: str = "file",
    recursive: bool = False,
    filtered: bool = False,
    delete: bool = False,
) -> list[Target]:
    """One target per path word. With ``delete`` the risk comes from :func:`delete_risk`
    (``risk`` is then a floor); otherwise ``risk`` is used as given. A glob's locator is
    the glob itself (``path:/work/app/*.log``) so resolve and the guard see where the
    matches are."""
    out: list[Target] = []
    for w in words:
        # after `cd "$X"`, a relative path is somewhere we cannot know
        unresolved = w.dynamic or (ctx.cwd_unknown and not os.path.isabs(w.text)
                                   and not w.text.startswith("~"))
        pattern = w.glob or filtered
        prefix = _known_prefix(w) if (unresolved or pattern) else w.text
        last = "*"
        if unresolved and not prefix:
            path = ""
        else:
            path = ctx.abspath(prefix) if prefix else ctx.cwd
            if (unresolved or pattern) and prefix and not prefix.endswith("/"):
                # "/tmp/foo*" → the matches live in /tmp
                path = os.path.dirname(path)
            if pattern and not unresolved:
                last = w.text.rstrip("/").rsplit("/", 1)[-1] or "*"
        r, why = risk, ""
        through: str | None = None  # where a symlink on the way leads
        rec = recursive
        if delete and path and "\x00" not in path:
            through, lost, is_link = _through_links(
                prefix if (unresolved or pattern) else w.text, path, ctx,
                entered=pattern or unresolved)
            unresolved = unresolved or lost
            rec = recursive and not is_link  # `rm -rf link` removes the link only
        if delete:
            if unresolved and not path:
                r, why = Risk.DESTRUCTIVE, "path comes from a variable or command output"
            else:
                r, why = delete_risk(
                    path,
                    ctx,
                    recursive=rec,
                    pattern=pattern,
                    unresolved=unresolved and not in_temp(path),
                    last=last,
                )
                if through is not None:
                    r2, why2 = delete_risk(through, ctx, recursive=rec,
                                           pattern=pattern, unresolved=False, last=last)
                    if r2 >= r:
                        r, why = r2, f"through a symlink to {through}: {why2}"
                    path = through
                elif unresolved and not w.dynamic and not ctx.cwd_unknown:
                    why = "through a symlink to somewhere Airlock cannot know"
                failed = _if_mktemp_failed(path, pattern)
                if failed is not None:
                    # "$t"/x after t=$(mktemp): when mktemp fails it prints nothing and
                    # this is /x; where that is catastrophic, it is judged as that
                    r2, why2 = delete_risk(failed, ctx, recursive=rec, pattern=pattern,
                                           unresolved=False, last=last)
                    if r2 >= Risk.CATASTROPHIC:
                        r, why, path = r2, f"if mktemp fails, {failed}: {why2}", failed
                r = max(r, risk)
                if pattern and not unresolved and r < Risk.CATASTROPHIC and rec:
                    hit = _critical_match(w.text, ctx)
                    if hit:
                        r, why = Risk.CATASTROPHIC, f"the pattern matches {hit}"
        if w.text in _DEV_SINKS:
            continue
        if not delete and r == Risk.WRITE and verb.startswith("fs.") and path \
                and verb not in ("fs.chmod", "fs.chown", "fs.chgrp"):  # ModePack decides
            r, why = _write_risk(path, ctx, verb)
        if path.startswith("/dev/") and path not in _DEV_SINKS and verb != "fs.read":
            r, why = Risk.CATASTROPHIC, "writes a raw device"
        locator = path
        if path and pattern and not unresolved:
            locator = os.path.join(path, last)
        out.append(
            Target(
                kind=kind,
                name=w.shown if w.dynamic else (w.text or "."),
                verb=verb,
                risk=r,
                tool=tool,
                locator=f"path:{locator}" if locator else "path:?",
                detail=why,
                unresolved=unresolved,
            )
        )
    return out


_SYSTEM_WRITE_ROOTS = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/boot",
                       "/System", "/Library")


def _write_risk(path: str, ctx: ClassifyContext, verb: str) -> tuple[Risk, str]:
    """Writing (not deleting) ``path``: routine in the workspace and temp dirs; changing
    system files or the shell/login/ssh files of the home dir is held."""
    if in_temp(path) or strictly_within(path, ctx.workspace()):
        return Risk.WRITE, ""
    home = ctx.home.rstrip("/")
    if path.startswith(home + "/."):
        return Risk.DESTRUCTIVE, "changes a dotfile in the home dir (shell, login, ssh, tools)"
    if path.startswith(home + "/"):
        return Risk.WRITE, ""
    if any(path == r or path.startswith(r + "/") for r in _SYSTEM_WRITE_ROOTS):
        return Risk.DESTRUCTIVE, "changes a system file"
    return Risk.WRITE, ""


def replacing(targets: list[Target], ctx: ClassifyContext) -> list[Target]:
    """``targets`` of a writer that replaces a file's content (``tee`` without ``-a``,
    ``ln -f``, ``install``, ``curl -o``): replacing an existing file outside the workspace
    and the temp dirs loses what it held, as ``> file`` does, so that is destructive."""
    for t in targets:
        if t.risk >= Risk.DESTRUCTIVE or t.unresolved or not t.locator.startswith("path:"):
            continue
        path = t.locator[5:]
        if (os.path.isfile(path) or os.path.islink(path)) and not in_temp(path) \
                and not strictly_within(path, ctx.workspace()):
            t.risk, t.detail = Risk.DESTRUCTIVE, "replaces an existing file outside the workspace"
    return targets


def redirect_targets(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    out: list[Target] = []
    for r in cmd.redirects:
        if r.target is None or r.op in ("<", "<&", "<<", "<<<"):
            continue
        w = r.target
        if w.text in _DEV_SINKS:
            continue
        truncates = r.op in (">", ">|", "&>", "<>")
        path = ctx.abspath(w.text) if not w.dynamic else ""
        risk = Risk.WRITE
        why = "appends to a file" if not truncates else "writes a file"
        if path and "\x00" not in path and (ctx.links or ctx.link_budget[0] > 0):
            # a write goes through every symlink on the way, the last one too
            real = follow(path, ctx, last=True)
            if real is None:
                w = Word(w.text, dynamic=True)
                path = ""
            elif (real := _canonical(real, ctx)) != path:
                w, path = Word(real), real
                why = f"writes through a symlink to {real}"
        if (
            truncates
            and path
            and os.path.isfile(path)
            and not in_temp(path)
            and not strictly_within(path, ctx.workspace())
        ):
            risk, why = Risk.DESTRUCTIVE, "overwrites an existing file outside the workspace"
        if w.dynamic:
            risk, why = Risk.DESTRUCTIVE, "writes to a path from a variable or command output"
        for t in path_targets([w], ctx, verb="fs.write", risk=risk, tool="shell"):
            t.detail = t.detail or why
            out.append(t)
    return out
