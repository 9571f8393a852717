"""Git working trees (``reset --hard``, ``clean -fd``, ``checkout -- .``, ``stash drop``).

Snapshot: the uncommitted state becomes commit objects under a private ref
``refs/airlock/<request>``: ``index`` (the staged tree) and ``worktree`` (every file in
the work tree, untracked ones included; ignored ones too for ``git clean``), plus the
HEAD and every stash entry. A ``git bundle`` of those refs goes into the store, so the
snapshot survives the repository. Undo puts HEAD, the index, the work tree and the
stash list back. git runs with ``GIT_CEILING_DIRECTORIES`` set to the work tree's parent,
so it can never act on an enclosing repository.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import time
from typing import Any

from airlock.action import Risk, Target
from airlock.protect import ProtectError, RestoreRefused
from airlock.protect.manifest import Manifest, new_id
from airlock.protect.nets import Context, short
from airlock.protect.stores import seal

IDENT = {"GIT_AUTHOR_NAME": "airlock", "GIT_AUTHOR_EMAIL": "airlock@localhost",
         "GIT_COMMITTER_NAME": "airlock", "GIT_COMMITTER_EMAIL": "airlock@localhost"}


def worktree_of(target: Target) -> str:
    loc = target.locator
    if not loc.startswith("git:repo:"):
        raise ProtectError(f"not a git work tree locator: {loc!r}")
    return os.path.abspath(loc[len("git:repo:"):])


def git(wt: str, *args: str, env: dict[str, str] | None = None, check: bool = True,
        stdin: bytes | None = None) -> str:
    full = dict(os.environ)
    full.update(IDENT)
    full["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.abspath(wt))
    if env:
        full.update(env)
    proc = subprocess.run(["git", "-C", wt, *args], env=full, capture_output=True,
                          input=stdin, timeout=600)
    if check and proc.returncode != 0:
        raise ProtectError(f"git {' '.join(args[:3])} failed in {wt}: "
                           f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout.decode(errors="replace").strip()


class GitNet:
    kind = "git"

    def handles(self, target: Target) -> bool:
        return target.locator.startswith("git:repo:") and target.risk >= Risk.DESTRUCTIVE

    def describe(self, target: Target) -> str:
        return (f"commit the uncommitted state of {target.name} (index, work tree, untracked "
                "files, stash) under refs/airlock/<request> and bundle it into the store")

    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest:
        wt = worktree_of(target)
        if not os.path.isdir(wt):
            raise ProtectError(f"{wt} is not a directory")
        top = git(wt, "rev-parse", "--show-toplevel")
        if os.path.realpath(top) != os.path.realpath(wt):
            wt = top
        m = Manifest(new_id(), request, self.kind, target.verb, f"git:repo:{wt}", wt,
                     time.time())
        ref = f"refs/airlock/{short(request) if request else m.id}"
        head = git(wt, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        branch = git(wt, "symbolic-ref", "-q", "HEAD", check=False)
        parents = ["-p", head] if head else []
        index_tree = git(wt, "write-tree")
        index_commit = git(wt, "commit-tree", index_tree, *parents, "-m",
                           f"airlock: index before {target.verb} ({request})")
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            idx = os.path.join(tmp, "index")
            env = {"GIT_INDEX_FILE": idx}
            git(wt, "read-tree", index_tree, env=env)
            add = ["add", "-A"] + (["-f"] if target.verb == "git.clean" else [])
            git(wt, *add, "--", ".", env=env)
            wt_tree = git(wt, "write-tree", env=env)
        wt_commit = git(wt, "commit-tree", wt_tree, "-p", index_commit, "-m",
                        f"airlock: work tree before {target.verb} ({request})")
        git(wt, "update-ref", f"{ref}/worktree", wt_commit)
        git(wt, "update-ref", f"{ref}/index", index_commit)
        stashes = [s for s in git(wt, "rev-list", "-g", "refs/stash", check=False
                                  ).splitlines() if s] if git(
            wt, "rev-parse", "-q", "--verify", "refs/stash", check=False) else []
        for i, sha in enumerate(stashes):
            git(wt, "update-ref", f"{ref}/stash-{i}", sha)
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            bundle = os.path.join(tmp, "snap.bundle")
            git(wt, "bundle", "create", bundle, f"--glob={ref}/*")
            with open(bundle, "rb") as fh:
                m.blobs["bundle"] = ctx.store.put_stream(fh)
        m.meta.update(ref=ref, head=head, branch=branch, index_commit=index_commit,
                      worktree_commit=wt_commit, worktree_tree=wt_tree,
                      index_tree=index_tree, stashes=stashes)
        return seal(ctx.store, m)

    def _ensure_objects(self, ctx: Context, m: Manifest, wt: str) -> None:
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": os.path.dirname(os.path.abspath(wt))}
        have = subprocess.run(["git", "-C", wt, "cat-file", "-e",
                               m.meta["worktree_commit"]], capture_output=True, env=env)
        if have.returncode == 0:
            return
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            bundle = os.path.join(tmp, "snap.bundle")
            with ctx.store.open_blob(m.blobs["bundle"].sha256) as src, \
                    open(bundle, "wb") as out:
                out.write(src.read())
            git(wt, "fetch", "-q", bundle, f"{m.meta['ref']}/*:{m.meta['ref']}/*")

    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str:
        if to:
            return f"restored into {self.restore(ctx, manifest, to)}"
        wt = manifest.name
        self._ensure_objects(ctx, manifest, wt)
        meta = manifest.meta
        head = git(wt, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        if meta.get("head") and head and head != meta["head"]:
            git(wt, "reset", "-q", "--soft", meta["head"])
        status = git(wt, "status", "--porcelain", "--untracked-files=all")
        current = self._current_tree(ctx, wt)
        if (status and current != meta["worktree_tree"] and not force
                and not self._subset_of_snapshot(wt, meta["worktree_tree"], status)):
            raise RestoreRefused(f"{wt} has changes made after the snapshot; refusing "
                                 "to overwrite them (commit or move them, or --force)")
        git(wt, "restore", f"--source={meta['worktree_commit']}", "--worktree", "--", ".")
        git(wt, "read-tree", meta["index_tree"])
        restored_stash = 0
        now = set(git(wt, "rev-list", "-g", "refs/stash", check=False).splitlines()) if git(
            wt, "rev-parse", "-q", "--verify", "refs/stash", check=False) else set()
        for sha in reversed(meta.get("stashes", [])):
            if sha not in now:
                git(wt, "stash", "store", "-m", f"restored by airlock undo {manifest.request}",
                    sha)
                restored_stash += 1
        extra = f", {restored_stash} stash entries" if restored_stash else ""
        return f"restored work tree and index of {wt}{extra} from {meta['ref']}"

    def _current_tree(self, ctx: Context, wt: str) -> str:
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            git(wt, "read-tree", "HEAD", env=env, check=False)
            git(wt, "add", "-A", "--", ".", env=env)
            return git(wt, "write-tree", env=env)

    def _subset_of_snapshot(self, wt: str, tree: str, status: str) -> bool:
        """True when every changed path matches the snapshot's content (nothing new to lose)."""
        changed = git(wt, "diff", "--name-only", "HEAD", check=False).splitlines()
        changed += git(wt, "ls-files", "-o", "--exclude-standard").splitlines()
        for path in filter(None, changed):
            full = os.path.join(wt, path)
            snap = git(wt, "rev-parse", "-q", "--verify", f"{tree}:{path}", check=False)
            try:
                st = os.lstat(full)  # the entry itself: a symlink is never followed
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(st.st_mode):  # git stores a link as a blob of its target
                cur = git(wt, "hash-object", "--stdin", stdin=os.fsencode(os.readlink(full)))
            elif stat.S_ISDIR(st.st_mode):
                return False
            else:
                cur = git(wt, "hash-object", "--", path)
            if cur != snap:
                return False
        return True

    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str:
        dest = os.path.abspath(to)
        if os.path.lexists(dest) and os.listdir(dest):
            raise RestoreRefused(f"{dest} exists and is not empty; choose another --to")
        os.makedirs(dest, exist_ok=True)
        subprocess.run(["git", "init", "-q", dest], check=True, capture_output=True)
        self._ensure_objects(ctx, manifest, dest)
        git(dest, "read-tree", manifest.meta["worktree_tree"])
        git(dest, "checkout-index", "-a", "-f")
        git(dest, "read-tree", manifest.meta["index_tree"])
        return dest

    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str:
        dest = self.restore(ctx, manifest, os.path.join(scratch, "repo"))
        with tempfile.TemporaryDirectory(dir=ctx.scratch()) as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            git(dest, "add", "-A", "-f", "--", ".", env=env)
            got = git(dest, "write-tree", env=env)
        if got != manifest.meta["worktree_tree"]:
            raise ProtectError(f"restored work tree {got[:12]} != snapshot "
                               f"{manifest.meta['worktree_tree'][:12]}")
        return "restored work tree; git tree id matches"

    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]:
        return {"kind": self.kind, "skipped": "git work trees are protected by snapshot only"}

    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str:
        raise ProtectError("git work trees have no quarantine")

    def purge(self, ctx: Context, record: dict[str, Any]) -> str:
        return "nothing to purge"
