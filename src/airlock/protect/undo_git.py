"""Undo points of a git work tree, kept in git's own object store (see docs/undo-points.md).

Capture never touches the user's index, branches, stash, reflogs or work tree:

- the index file is read once; two copies (its mtime kept, so git's racy-entry check
  still works) serve as temporary indexes (``GIT_INDEX_FILE``);
- ``git status --porcelain=v2 -uall --ignored=matching`` against one copy lists what the
  stat cache cannot vouch for: changed tracked files, untracked files, ignored entries;
- only those are hashed, by ``git update-index --add --remove --replace --stdin`` into
  that copy, and ``git write-tree`` gives the work tree's tree (unchanged files are
  objects already);
- the other copy gives the index's tree (it keeps staged-only blobs alive); the raw index
  bytes are a blob too, so the index comes back exactly (stages, flags, intent-to-add);
- one commit ``refs/airlock/undo/<id>/point`` whose tree holds ``worktree``, ``index``,
  ``index.bin`` and ``point.json`` and whose parents are every commit a captured ref,
  HEAD or stash entry points at keeps it all alive; annotated tags (not commits) get a
  ref each under ``refs/airlock/undo/<id>/obj/``. Nothing under ``refs/heads`` or
  ``refs/tags``, so nothing is ever pushed, and no reflog is written for these refs.

Restore compares the captured state with a capture of the current one, refuses on changes
made after the point's cutoff, then puts back refs, stash, HEAD, the work tree (deleting
files created by the action) and the index.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import subprocess
from dataclasses import dataclass, field
from typing import Any

# What git may read from the caller's environment that would point it somewhere else.
_REDIRECTING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
                "GIT_PREFIX", "GIT_QUARANTINE_PATH", "GIT_REPLACE_REF_BASE")
IDENT = {"GIT_AUTHOR_NAME": "airlock", "GIT_AUTHOR_EMAIL": "airlock@localhost",
         "GIT_COMMITTER_NAME": "airlock", "GIT_COMMITTER_EMAIL": "airlock@localhost"}
# Config for every call: no split index / reflog / maintenance side effects in .git.
_CONFIG = ("-c", "core.splitIndex=false", "-c", "core.logAllRefUpdates=false",
           "-c", "maintenance.auto=false", "-c", "gc.auto=0")
REF_ROOT = "refs/airlock/undo"
CAPTURED_REFS = ("refs/heads", "refs/tags", "refs/stash")
MAX_PARENTS = 64  # parents per anchor commit; more are chained
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitError(Exception):
    """A git command failed; ``nospace`` when the disk is full."""

    def __init__(self, message: str, nospace: bool = False) -> None:
        super().__init__(message)
        self.nospace = nospace


@dataclass(frozen=True)
class Repo:
    top: str  # the work tree's top
    git_dir: str  # per-work-tree: HEAD, index
    common_dir: str  # shared: objects, refs, logs

    def run(self, *args: str, index: str | None = None, stdin: bytes | None = None,
            check: bool = True) -> bytes:
        env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
        env.update(IDENT)
        env["GIT_OPTIONAL_LOCKS"] = "0"  # status never refreshes an index behind our back
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["LC_ALL"] = "C"
        if index:
            env["GIT_INDEX_FILE"] = index
        proc = subprocess.run(["git", *_CONFIG, "-C", self.top, *args], env=env,
                              input=stdin, capture_output=True, timeout=3600)
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise GitError(f"git {args[0]} failed in {self.top}: {err[:400]}",
                           nospace="No space left" in err)
        return proc.stdout

    def out(self, *args: str, **kw: Any) -> str:
        return self.run(*args, **kw).decode(errors="surrogateescape").strip()

    @property
    def index_path(self) -> str:
        return os.path.join(self.git_dir, "index")

    def ref_file(self, name: str) -> str:
        return os.path.join(self.git_dir if name == "HEAD" else self.common_dir, name)


def find_repo(path: str) -> Repo | None:
    """The git work tree holding ``path`` (honouring ``GIT_CEILING_DIRECTORIES``)."""
    if not os.path.isdir(path):
        return None
    probe = Repo(path, "", "")
    try:
        lines = probe.out("rev-parse", "--show-toplevel", "--absolute-git-dir",
                          "--git-common-dir").splitlines()
    except (GitError, OSError):
        return None
    if len(lines) != 3 or not lines[0]:
        return None  # bare repository, or inside .git
    top, git_dir, common = lines
    if not os.path.isabs(common):
        common = os.path.join(top, common)
    return Repo(os.path.realpath(top), os.path.realpath(git_dir), os.path.realpath(common))


# ---- capture ----------------------------------------------------------------------------


@dataclass
class Capture:
    worktree_tree: str = ""
    index_tree: str = ""  # keeps the index's blobs alive
    index_blob: str = ""  # the raw index file ("" when there was none)
    head: dict[str, str] = field(default_factory=dict)  # {"ref": …} or {"sha": …}, + "sha"
    refs: dict[str, list[str]] = field(default_factory=dict)  # name -> [sha, type]
    stash: list[list[str]] = field(default_factory=list)  # [sha, message], newest first
    tracked: int = 0  # index entries
    hashed: list[str] = field(default_factory=list)  # paths hashed (changed/untracked/ignored)
    ignored: list[str] = field(default_factory=list)  # ignored entries ("dir/" or "file")
    skipped: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0  # content hashed into the object store
    anchor: str = ""

    def meta(self) -> dict[str, Any]:
        return {"worktree_tree": self.worktree_tree, "index_tree": self.index_tree,
                "index_blob": self.index_blob, "head": self.head, "refs": self.refs,
                "stash": self.stash, "tracked": self.tracked, "anchor": self.anchor,
                "ignored": self.ignored}


def _parse_status(raw: bytes) -> tuple[list[str], list[str], list[str], list[str]]:
    """``status --porcelain=v2 -z`` → (changed tracked, untracked, nested repos, ignored)."""
    changed: list[str] = []
    untracked: list[str] = []
    nested: list[str] = []
    ignored: list[str] = []
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields):
        rec = fields[i].decode(errors="surrogateescape")
        i += 1
        if not rec:
            continue
        kind = rec[0]
        if kind == "1":  # 1 XY sub mH mI mW hH hI path
            parts = rec.split(" ", 8)
            if parts[1][1] != ".":
                changed.append(parts[8])
        elif kind == "2":  # renames (not asked for): path, then the original path
            parts = rec.split(" ", 9)
            changed.append(parts[9])
            i += 1
        elif kind == "u":  # unmerged: always resolved into the capture
            changed.append(rec.split(" ", 10)[10])
        elif kind == "?":
            (nested if rec.endswith("/") else untracked).append(rec[2:])
        elif kind == "!":
            ignored.append(rec[2:])
    return changed, untracked, nested, ignored


def _walk_files(top: str, rel: str, limit: int) -> tuple[list[str], int, bool]:
    """Files and symlinks under ``rel`` (no link followed, no ``.git`` entered), their
    total size, and whether it went over ``limit`` (the walk stops there)."""
    out: list[str] = []
    total = 0
    stack = [rel.rstrip("/")]
    while stack:
        d = stack.pop()
        with os.scandir(os.path.join(top, d)) as it:
            for ent in it:
                sub = f"{d}/{ent.name}"
                if ent.is_symlink():
                    out.append(sub)
                elif ent.is_dir(follow_symlinks=False):
                    if ent.name != ".git":
                        stack.append(sub)
                elif ent.is_file(follow_symlinks=False):
                    total += ent.stat(follow_symlinks=False).st_size
                    out.append(sub)
                if total > limit:
                    return out, total, True
    return out, total, False


def _copy_index(repo: Repo, tmp: str) -> tuple[bytes, str, str]:
    """The index bytes, and two copies of it with its mtime (git's racy check needs it)."""
    a, b = os.path.join(tmp, "index.orig"), os.path.join(tmp, "index.work")
    try:
        with open(repo.index_path, "rb") as fh:
            data = fh.read()
            st = os.fstat(fh.fileno())
    except FileNotFoundError:
        return b"", a, b  # no index yet: both start empty
    for p in (a, b):
        with open(p, "wb") as out:
            out.write(data)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    return data, a, b


def read_head(repo: Repo) -> dict[str, str]:
    head: dict[str, str] = {}
    try:
        with open(repo.ref_file("HEAD"), encoding="utf-8") as fh:
            text = fh.read().strip()
    except OSError:
        text = ""
    if text.startswith("ref: "):
        head["ref"] = text[5:]
    sha = repo.out("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
    if sha:
        head["sha"] = sha
        if not text.startswith("ref: "):
            head["detached"] = "1"
    elif not head:
        ref = repo.out("symbolic-ref", "-q", "HEAD", check=False)
        if ref:
            head["ref"] = ref
    return head


def read_refs(repo: Repo) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    text = repo.out("for-each-ref", "--format=%(objectname) %(objecttype) %(refname)",
                    *CAPTURED_REFS)
    for line in text.splitlines():
        sha, typ, name = line.split(" ", 2)
        out[name] = [sha, typ]
    return out


def read_stash(repo: Repo) -> list[list[str]]:
    text = repo.out("reflog", "show", "--format=%H %gs", "refs/stash", "--", check=False)
    return [line.split(" ", 1) if " " in line else [line, ""]
            for line in text.splitlines() if line]


def capture(repo: Repo, tmp: str, *, max_bytes: int, ignored_max_bytes: int,
            used_bytes: int = 0) -> Capture:
    """Hash what the stat cache cannot vouch for into git's object store; return trees and
    the state of HEAD, refs and stash. Raises :class:`GitError` or ``ValueError`` (too
    large). ``used_bytes``: already counted against ``max_bytes`` by the caller."""
    cap = Capture()
    raw, orig, work = _copy_index(repo, tmp)
    cap.tracked = int.from_bytes(raw[8:12], "big") if raw[:4] == b"DIRC" else 0
    st_raw = repo.run("status", "--porcelain=v2", "-z", "--untracked-files=all",
                      "--ignored=matching", "--no-renames", "--ignore-submodules=dirty",
                      index=work)
    changed, untracked, nested, ignored = _parse_status(st_raw)
    for n in nested:
        cap.skipped.append({"path": n, "reason": "nested git repository (not captured)"})
    total = used_bytes
    for rel in (*changed, *untracked):
        with contextlib.suppress(FileNotFoundError):
            st = os.lstat(os.path.join(repo.top, rel))
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    add_ignored: list[str] = []
    for rel in ignored:
        full = os.path.join(repo.top, rel)
        try:
            if rel.endswith("/"):
                files, size, over = _walk_files(repo.top, rel, ignored_max_bytes)
            else:
                st = os.lstat(full)
                files, size = [rel], st.st_size if stat.S_ISREG(st.st_mode) else 0
                over = size > ignored_max_bytes
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise GitError(f"cannot read {full}: {exc.strerror}") from None
        if over:
            cap.skipped.append({"path": rel, "bytes": size, "reason":
                                f"ignored, over {ignored_max_bytes} bytes (not captured)"})
            continue
        cap.ignored.append(rel)
        add_ignored.extend(files)
        total += size
    if max_bytes and total > max_bytes:
        raise ValueError(f"{total} bytes of changed, untracked and ignored files to capture "
                         f"in {repo.top}: over max_bytes ({max_bytes})")
    cap.bytes = total - used_bytes + len(raw)
    # The index's own tree first (write-tree may store a cache-tree in the copy: a copy).
    if raw:
        tree = repo.out("write-tree", index=orig, check=False)
        cap.index_tree = tree or _keepalive_tree(repo, orig)
    else:
        cap.index_tree = EMPTY_TREE
    cap.hashed = [*changed, *untracked, *add_ignored]
    if cap.hashed:
        paths = "\0".join(cap.hashed).encode(errors="surrogateescape") + b"\0"
        repo.run("update-index", "-z", "--add", "--remove", "--replace", "--stdin",
                 index=work, stdin=paths)
    cap.worktree_tree = repo.out("write-tree", index=work)
    cap.head = read_head(repo)
    cap.refs = read_refs(repo)
    if "refs/stash" in cap.refs:
        cap.stash = read_stash(repo)
    with open(os.path.join(tmp, "index.bin"), "wb") as fh:
        fh.write(raw)
    return cap


def _keepalive_tree(repo: Repo, index: str) -> str:
    """A flat tree of every blob an index names (an index with conflicts has no tree)."""
    shas = set()
    for line in repo.out("ls-files", "-s", "-z", index=index).split("\0"):
        if line:
            mode, sha = line.split(" ", 2)[:2]
            if mode != "160000":
                shas.add(sha)
    body = "".join(f"100644 blob {s}\t{s}\n" for s in sorted(shas))
    return repo.out("mktree", stdin=body.encode())


def commit_point(repo: Repo, cap: Capture, tmp: str, point_id: str, message: str,
                 point_json: bytes) -> list[str]:
    """Write the anchor commit and the private refs; return the refs written."""
    state = os.path.join(tmp, "point.json")
    with open(state, "wb") as fh:
        fh.write(point_json)
    blobs = repo.out("hash-object", "-w", "--no-filters", "--stdin-paths",
                     stdin=f"{os.path.join(tmp, 'index.bin')}\n{state}\n".encode()).split()
    cap.index_blob = blobs[0] if os.path.getsize(os.path.join(tmp, "index.bin")) else ""
    entries = [f"040000 tree {cap.worktree_tree}\tworktree",
               f"040000 tree {cap.index_tree}\tindex",
               f"100644 blob {blobs[1]}\tpoint.json"]
    if cap.index_blob:
        entries.append(f"100644 blob {cap.index_blob}\tindex.bin")
    root = repo.out("mktree", stdin=("\n".join(entries) + "\n").encode())
    commits: list[str] = []
    others: list[str] = []
    for sha, typ in cap.refs.values():
        (commits if typ == "commit" else others).append(sha)
    commits += [s for s, _msg in cap.stash]
    if cap.head.get("sha"):
        commits.append(cap.head["sha"])
    parents = list(dict.fromkeys(commits))
    while len(parents) > MAX_PARENTS:  # chain wide sets through intermediate commits
        parents = [_commit(repo, EMPTY_TREE, parents[i:i + MAX_PARENTS], message)
                   for i in range(0, len(parents), MAX_PARENTS)]
    cap.anchor = _commit(repo, root, parents, message)
    base = f"{REF_ROOT}/{point_id}"
    refs = {f"{base}/point": cap.anchor}
    for i, sha in enumerate(dict.fromkeys(others)):
        refs[f"{base}/obj/{i}"] = sha
    repo.run("update-ref", "--stdin", stdin="".join(
        f"create {name} {sha}\n" for name, sha in refs.items()).encode())
    return list(refs)


def _commit(repo: Repo, tree: str, parents: list[str], message: str) -> str:
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    return repo.out(*args, "-m", message)


def delete_refs(repo: Repo, point_id: str) -> int:
    names = repo.out("for-each-ref", "--format=%(refname)",
                     f"{REF_ROOT}/{point_id}/").splitlines()
    if names:
        repo.run("update-ref", "--stdin",
                 stdin="".join(f"delete {n}\n" for n in names).encode())
    return len(names)


def has_point(repo: Repo, anchor: str) -> bool:
    return bool(anchor) and repo.run("cat-file", "-t", anchor, check=False).strip() == \
        b"commit"


# ---- restore ------------------------------------------------------------------------------


@dataclass
class Plan:
    conflicts: list[str] = field(default_factory=list)
    write: list[str] = field(default_factory=list)  # work tree paths from the capture
    delete: list[str] = field(default_factory=list)  # work tree paths made by the action
    kept: list[str] = field(default_factory=list)  # new ignored files, left alone
    refs: dict[str, str] = field(default_factory=dict)  # name -> sha to set
    stash: list[list[str]] | None = None  # rewrite to this list
    head: dict[str, str] | None = None
    index: bool = False

    def empty(self) -> bool:
        return not (self.write or self.delete or self.refs or self.stash is not None
                    or self.head or self.index)


def changed_after(path: str, cutoff_ns: int) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return max(st.st_mtime_ns, st.st_ctime_ns) > cutoff_ns


def _ref_changed_after(repo: Repo, name: str, cutoff_ns: int) -> bool:
    """A loose ref file or the ref's reflog written after the cutoff (a packed ref with no
    reflog cannot tell: taken as unchanged)."""
    return (changed_after(repo.ref_file(name), cutoff_ns)
            or changed_after(os.path.join(repo.common_dir, "logs", name), cutoff_ns))


def _diff_trees(repo: Repo, a: str, b: str) -> list[tuple[str, str]]:
    raw = repo.run("diff-tree", "-r", "-z", "--no-renames", a, b).split(b"\0")
    out = []
    for i in range(0, len(raw) - 1, 2):
        meta = raw[i].decode()
        if not meta.startswith(":"):
            continue
        out.append((meta.split()[-1][0], raw[i + 1].decode(errors="surrogateescape")))
    return out


def _is_ignored(path: str, ignored: list[str]) -> bool:
    return any(path == i or (i.endswith("/") and path.startswith(i)) for i in ignored)


def _ls_tree(repo: Repo, tree: str) -> dict[str, str]:
    out = {}
    for rec in repo.run("ls-tree", "-r", "-z", "--full-tree", tree).split(b"\0"):
        if rec:
            meta, path = rec.decode(errors="surrogateescape").split("\t", 1)
            out[path] = meta.split()[2]
    return out


def _ls_index(repo: Repo, index: str) -> list[str]:
    return [e for e in repo.out("ls-files", "-s", "-z", index=index).split("\0") if e]


def _index_entries(repo: Repo, blob: str, path: str) -> list[str]:
    if not blob:
        return []
    with open(path, "wb") as fh:
        fh.write(repo.run("cat-file", "blob", blob))
    return _ls_index(repo, path)


def plan(repo: Repo, saved: dict[str, Any], now: dict[str, Any], cutoff_ns: int,
         tmp: str) -> Plan:
    """What restoring the capture ``saved`` over the current state ``now`` (a capture
    taken just before) changes; ``conflicts`` names what differs from ``saved`` and was
    changed after ``cutoff_ns`` (the plan still holds it, for ``force``)."""
    p = Plan()
    for status, path in _diff_trees(repo, saved["worktree_tree"], now["worktree_tree"]):
        full = os.path.join(repo.top, path)
        if status == "A" and _is_ignored(path, now.get("ignored", [])):
            p.kept.append(path)  # a new ignored file (build output, cache): left alone
            continue
        if changed_after(full, cutoff_ns):
            p.conflicts.append(path)
        (p.delete if status == "A" else p.write).append(path)
    # The index: entries compared; staged content found nowhere else (not in the work
    # tree then or now) is a conflict when the index file was written after the cutoff.
    was = _index_entries(repo, saved.get("index_blob", ""), os.path.join(tmp, "was.index"))
    cur = _index_entries(repo, now.get("index_blob", ""), os.path.join(tmp, "now.index"))
    if was != cur:
        p.index = True
        if changed_after(repo.index_path, cutoff_ns):
            known = set(was)
            wt_now = _ls_tree(repo, now["worktree_tree"])
            wt_then = _ls_tree(repo, saved["worktree_tree"])
            for e in cur:
                meta, path = e.split("\t", 1)
                if e not in known and meta.split()[1] not in (wt_now.get(path),
                                                             wt_then.get(path)):
                    p.conflicts.append(f"(index) {path}")
    head, now_head = saved.get("head", {}), now.get("head", {})
    if head.get("ref") != now_head.get("ref") or (
            head.get("detached") and head.get("sha") != now_head.get("sha")):
        p.head = head
        if changed_after(repo.ref_file("HEAD"), cutoff_ns):
            p.conflicts.append("(ref) HEAD")
    now_refs = now.get("refs", {})
    for name, (sha, _typ) in saved.get("refs", {}).items():
        cur_sha = now_refs.get(name, [None])[0]
        if name == "refs/stash" or cur_sha == sha:
            continue
        p.refs[name] = sha
        if cur_sha is not None and _ref_changed_after(repo, name, cutoff_ns):
            p.conflicts.append(f"(ref) {name}")
    stash, now_stash = saved.get("stash", []), now.get("stash", [])
    if stash != now_stash:
        p.stash = stash
        was_set = {s for s, _m in stash}
        newer = [s for s, _m in now_stash if s not in was_set]
        if newer and _ref_changed_after(repo, "refs/stash", cutoff_ns):
            p.conflicts.append(f"(stash) {len(newer)} entries made after the undo point")
    return p


def apply(repo: Repo, saved: dict[str, Any], p: Plan, tmp: str, message: str) -> list[str]:
    """Carry out a plan: refs, stash, HEAD, work tree, index, in that order."""
    done: list[str] = []
    if p.refs:
        repo.run("update-ref", "-m", message, "--stdin", stdin="".join(
            f"update {n} {s}\n" for n, s in p.refs.items()).encode())
        for n, s in sorted(p.refs.items()):
            done.append(f"{n} back at {s[:12]}")
    if p.stash is not None:
        repo.run("update-ref", "-d", "refs/stash", check=False)
        for sha, msg in reversed(p.stash):
            repo.run("update-ref", "--create-reflog", "-m", msg, "refs/stash", sha)
        done.append(f"stash back to {len(p.stash)} entries")
    if p.head:
        if p.head.get("detached"):
            repo.run("update-ref", "--no-deref", "-m", message, "HEAD", p.head["sha"])
            done.append(f"HEAD back at {p.head['sha'][:12]} (detached)")
        elif p.head.get("ref"):
            repo.run("symbolic-ref", "-m", message, "HEAD", p.head["ref"])
            done.append(f"HEAD back on {p.head['ref']}")
    if p.delete:
        dirs = set()
        for rel in p.delete:
            full = os.path.join(repo.top, rel)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(full)
            dirs.add(os.path.dirname(rel))
        _prune_empty_dirs(repo.top, dirs)
        done.append(f"removed {len(p.delete)} files made after the undo point was taken")
    if p.write:
        idx = os.path.join(tmp, "restore.index")
        repo.run("read-tree", saved["worktree_tree"], index=idx)
        repo.run("checkout-index", "-f", "-z", "--stdin", index=idx,
                 stdin="\0".join(p.write).encode(errors="surrogateescape") + b"\0")
        done.append(f"restored {len(p.write)} files")
    if p.index:
        _write_index(repo, repo.run("cat-file", "blob", saved["index_blob"])
                     if saved.get("index_blob") else None)
        done.append("index restored")
    if p.index or p.write or p.delete:
        repo.run("update-index", "-q", "--refresh", check=False)  # stat cache only
    return done


def _prune_empty_dirs(top: str, dirs: set[str]) -> None:
    for d in sorted(dirs, key=lambda d: d.count("/"), reverse=True):
        while d and d != ".":
            try:
                os.rmdir(os.path.join(top, d))
            except OSError:
                break
            d = os.path.dirname(d)


def _write_index(repo: Repo, data: bytes | None) -> None:
    """Replace the index the way git does: ``index.lock`` (exclusive), then rename."""
    lock = repo.index_path + ".lock"
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise GitError(f"{lock} exists: another git process is running in "
                       f"{repo.top}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data or b"")
        if data is None:
            os.unlink(lock)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(repo.index_path)
        else:
            os.replace(lock, repo.index_path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        raise GitError(f"cannot write {repo.index_path}: {exc.strerror}",
                       nospace=exc.errno == errno.ENOSPC) from None
