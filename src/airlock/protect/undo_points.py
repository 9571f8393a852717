"""Undo points: capture what a destructive action can destroy, before it runs; put it
back on request. The engine of "allow with an undo point" (docs/undo-points.md).

::

    take(workspace, data_dir, action=..., paths=[...]) -> UndoPoint   before the action
    settle(point)                                                      after it finished
    restore(point, force=False) -> [what was done]                     a human's undo
    list_points / get / last / prune

- In a git work tree everything lives in git's own object store under private refs
  ``refs/airlock/undo/<id>/…`` (:mod:`.undo_git`): work tree (tracked, untracked, small
  ignored files), the exact index, HEAD, branches, tags, stash.
- ``paths`` outside any work tree (what ``rm``/``mv``/``find -delete``/``sed -i`` hit) are
  copied into a content-addressed store ``<data_dir>/undo/objects/`` (plain copies: modes,
  symlinks as links, mtimes).
- ``<data_dir>/undo/points/<id>.json`` (0600, written atomically) describes each point.

Changes made after the point (the conflict rule): a path whose current content differs
from the captured one *and* whose mtime or ctime is after the point's cutoff — the time
:func:`settle` was called, else the time the point was taken — is a change made after the
undo point; :func:`restore` refuses (:class:`UndoConflict`, listing them) unless
``force``. Every restore first takes a point of the state it replaces, so a restore can
itself be undone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from airlock.protect import undo_files, undo_git
from airlock.protect.undo_git import GitError, Repo, find_repo

MB = 1024 * 1024
ID_RE = re.compile(r"^u-[0-9a-f]{10}$")


class UndoPointError(Exception):
    """An undo point cannot be taken (too large, disk full, unreadable file) or restored;
    when taking fails, the caller holds the action as it would without undo points."""


class UndoConflict(UndoPointError):
    """Restoring would overwrite changes made after the undo point (``paths``)."""

    def __init__(self, message: str, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


@dataclass(frozen=True)
class UndoSettings:
    max_bytes: int = 512 * MB  # content one point may hash/copy (0: no limit)
    ignored_max_bytes: int = 10 * MB  # an ignored file or directory over this is skipped
    max_age_days: float = 7.0  # prune: points older than this go
    max_total_bytes: int = 2048 * MB  # prune: then oldest first until under this

    @classmethod
    def from_mapping(cls, body: dict[str, Any], source: str = "[undo]") -> UndoSettings:
        """Typed settings from a TOML table; unknown keys and wrong types are refused."""
        known = {f.name: f.type for f in fields(cls)}
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key not in known:
                raise ValueError(f"{source}: unknown key {key!r} (known: {', '.join(known)})")
            want = float if known[key] == "float" else int
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                    want is int and not isinstance(value, int)) or value < 0:
                raise ValueError(f"{source}: {key} must be a non-negative {want.__name__}")
            out[key] = want(value)
        return cls(**out)


@dataclass
class UndoPoint:
    id: str
    created_at: float  # epoch seconds
    created_ns: int
    workspace: str
    action: str
    root: str  # the git work tree's top, else the workspace
    covers: list[str] = field(default_factory=list)  # what it holds, one line each
    size_bytes: int = 0  # content added (hashed into git, copied into the store)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # path, reason[, bytes]
    git: dict[str, Any] | None = None  # repo, refs written, the capture (undo_git)
    files: list[dict[str, Any]] = field(default_factory=list)  # roots outside git
    settled_ns: int | None = None  # when the action was known to be over
    restores: str | None = None  # set on the point a restore takes first: whose restore
    restored: list[dict[str, Any]] = field(default_factory=list)  # restore history
    settings: dict[str, Any] = field(default_factory=dict)
    data_dir: str = ""

    @property
    def cutoff_ns(self) -> int:
        return self.settled_ns if self.settled_ns is not None else self.created_ns

    def describe(self) -> str:
        skipped = "".join(f"; skipped {s['path']} ({s['reason']})" for s in self.skipped)
        return f"undo point {self.id}: {', '.join(self.covers) or 'nothing'}{skipped}"

    def to_json(self) -> bytes:
        d = asdict(self)
        d.pop("data_dir")
        return json.dumps(d, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, data_dir: str) -> UndoPoint:
        d = json.loads(data)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names}, data_dir=data_dir)


# ---- layout -----------------------------------------------------------------------------


def _undo_dir(data_dir: str, *sub: str) -> str:
    return os.path.join(os.path.abspath(data_dir), "undo", *sub)


def _makedirs(data_dir: str) -> None:
    for sub in ("", "points", "objects", "tmp"):
        path = _undo_dir(data_dir, sub) if sub else _undo_dir(data_dir)
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)


@contextlib.contextmanager
def _lock(data_dir: str, exclusive: bool) -> Iterator[None]:
    """Takes share the store; prune's sweep of unreferenced copies has it alone."""
    _makedirs(data_dir)
    fd = os.open(_undo_dir(data_dir, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _write_point(p: UndoPoint) -> None:
    pdir = _undo_dir(p.data_dir, "points")
    fd, tmp = tempfile.mkstemp(dir=pdir, prefix=f".{p.id}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(p.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(pdir, f"{p.id}.json"))
        dfd = os.open(pdir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UndoPointError(f"cannot write undo point {p.id}: {exc.strerror}") from None


def _within(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


# ---- take -------------------------------------------------------------------------------


def take(workspace: str, data_dir: str, *, action: str, paths: list[str] | None = None,
         settings: UndoSettings | None = None) -> UndoPoint:
    """Capture, before ``action`` runs, everything it can destroy in ``workspace``.

    A git work tree is captured whole (``paths`` inside it are covered by that); each of
    ``paths`` outside it — or holding the work tree or its ``.git`` — is copied into the
    store; with no git work tree and no ``paths``, the workspace itself is copied.
    Nothing about the user's files, index, refs, stash or reflogs changes. Raises
    :class:`UndoPointError` when the point cannot be taken.
    """
    ws = os.path.abspath(workspace)
    repo = find_repo(ws)
    roots = [os.path.abspath(os.path.join(ws, p)) for p in paths or []]
    files: list[str] = []
    for r in roots:
        if repo is None or not _within(os.path.realpath(r), repo.top):
            files.append(r)
        elif any(_within(d, os.path.realpath(r)) or _within(os.path.realpath(r), d)
                 for d in (repo.git_dir, repo.common_dir)):
            files.append(r)  # the object store itself is what goes: copy it out
    if repo and any(_within(repo.top, os.path.realpath(r)) or _within(
            repo.common_dir, os.path.realpath(r)) for r in files):
        repo = None  # the repository goes whole: the copy is the undo point
    if repo is None and not roots:
        files = [ws]
    return _take(ws, data_dir, action, repo, list(dict.fromkeys(files)),
                 settings or UndoSettings())


def _take(ws: str, data_dir: str, action: str, repo: Repo | None, roots: list[str],
          settings: UndoSettings, restores: str | None = None) -> UndoPoint:
    created_ns = time.time_ns()
    p = UndoPoint(id=f"u-{secrets.token_hex(5)}", created_at=created_ns / 1e9,
                  created_ns=created_ns, workspace=ws, action=action,
                  root=repo.top if repo else ws, restores=restores,
                  settings=asdict(settings), data_dir=os.path.abspath(data_dir))
    with _lock(data_dir, exclusive=False), tempfile.TemporaryDirectory(
            dir=_undo_dir(data_dir, "tmp")) as tmp:
        if roots:
            try:
                p.files, p.size_bytes = undo_files.capture(
                    _undo_dir(data_dir, "objects"), roots, settings.max_bytes, tmp)
            except ValueError as exc:
                raise UndoPointError(f"undo point too large: {exc}") from None
            except OSError as exc:
                raise UndoPointError(_os_message(exc)) from None
            for r in p.files:
                p.covers.append(f"{r['path']} (absent)" if r.get("absent") else
                                f"{r['path']} ({r['entries']} entries, {r['bytes']} bytes)")
        if repo:
            try:
                cap = undo_git.capture(repo, tmp, max_bytes=settings.max_bytes,
                                  ignored_max_bytes=settings.ignored_max_bytes,
                                  used_bytes=p.size_bytes)
                p.size_bytes += cap.bytes
                p.skipped += cap.skipped
                p.covers[:0] = _git_covers(repo, cap)
                p.git = {"top": repo.top, "git_dir": repo.git_dir,
                         "common_dir": repo.common_dir, **cap.meta()}
                p.git["refs_written"] = undo_git.commit_point(
                    repo, cap, tmp, p.id, f"airlock undo point {p.id}: {action}"[:1000],
                    p.to_json())
                p.git.update(anchor=cap.anchor, index_blob=cap.index_blob)
            except ValueError as exc:
                raise UndoPointError(f"undo point too large: {exc}") from None
            except GitError as exc:
                raise UndoPointError(("disk full: " if exc.nospace else "") + str(exc)
                                     ) from None
            except OSError as exc:
                raise UndoPointError(_os_message(exc)) from None
        try:
            _write_point(p)
        except UndoPointError:
            if repo:
                with contextlib.suppress(GitError):
                    undo_git.delete_refs(repo, p.id)
            raise
    return p


def _git_covers(repo: Repo, cap: Any) -> list[str]:
    heads = sum(1 for n in cap.refs if n.startswith("refs/heads/"))
    tags = sum(1 for n in cap.refs if n.startswith("refs/tags/"))
    head = cap.head.get("ref", "").removeprefix("refs/heads/") or cap.head.get("sha", "")[:12]
    return [f"work tree of {repo.top} ({cap.tracked} tracked, {len(cap.hashed)} changed/"
            f"untracked/ignored files hashed)", "index", f"HEAD ({head or 'unborn'})",
            f"{heads} branches, {tags} tags", f"stash ({len(cap.stash)} entries)"]


def _os_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"disk full: {exc.filename or ''}: {exc.strerror}"
    return f"cannot read {exc.filename}: {exc.strerror}"


# ---- settle, list, get, last --------------------------------------------------------------


def settle(point: UndoPoint) -> UndoPoint:
    """Record that the action is over (PostToolUse, or the agent's next call): changes
    after now, not after the point was taken, are the ones restore refuses to overwrite."""
    if point.settled_ns is None:
        point.settled_ns = time.time_ns()
        _write_point(point)
    return point


def settle_pending(data_dir: str, workspace: str) -> list[str]:
    """Settle every unsettled point of ``workspace``; returns their ids."""
    done = []
    for p in list_points(data_dir, workspace):
        if p.settled_ns is None:
            settle(p)
            done.append(p.id)
    return done


def list_points(data_dir: str, workspace: str | None = None) -> list[UndoPoint]:
    """Points, oldest first; with ``workspace``, those whose work tree or workspace holds it."""
    pdir = _undo_dir(data_dir, "points")
    try:
        names = os.listdir(pdir)
    except FileNotFoundError:
        return []
    ws = os.path.realpath(workspace) if workspace else None
    out = []
    for name in names:
        if not (name.endswith(".json") and ID_RE.match(name[:-5])):
            continue
        try:
            with open(os.path.join(pdir, name), "rb") as fh:
                p = UndoPoint.from_json(fh.read(), os.path.abspath(data_dir))
        except (OSError, ValueError, TypeError):
            continue
        if ws is None or ws == os.path.realpath(p.workspace) or _within(
                ws, os.path.realpath(p.root)):
            out.append(p)
    return sorted(out, key=lambda p: p.created_ns)


def get(data_dir: str, point_id: str) -> UndoPoint:
    if not ID_RE.match(point_id):
        raise UndoPointError(f"not an undo point id: {point_id!r}")
    try:
        with open(_undo_dir(data_dir, "points", f"{point_id}.json"), "rb") as fh:
            return UndoPoint.from_json(fh.read(), os.path.abspath(data_dir))
    except FileNotFoundError:
        raise UndoPointError(f"no undo point {point_id} in {_undo_dir(data_dir)}") from None


def last(data_dir: str, workspace: str) -> UndoPoint | None:
    """The newest point of ``workspace`` taken before an action (not one a restore took)."""
    points = [p for p in list_points(data_dir, workspace) if p.restores is None]
    return points[-1] if points else None


# ---- restore -------------------------------------------------------------------------------


def _repo_of(point: UndoPoint) -> Repo | None:
    if not point.git:
        return None
    repo = find_repo(point.git["top"])
    if repo is None or repo.top != point.git["top"] or not undo_git.has_point(
            repo, point.git.get("anchor", "")):
        raise UndoPointError(f"undo point {point.id}: the repository {point.git['top']} or "
                             "its undo objects are gone; nothing can be restored from it")
    return repo


def restore(point: UndoPoint, force: bool = False) -> list[str]:
    """Put back what ``point`` captured; returns what was done, one line each.

    First a point of the current state is taken (so this restore can be undone too), then
    compared with ``point``: anything that differs and was changed after the point's
    cutoff is a conflict, and nothing is changed (:class:`UndoConflict`) unless
    ``force``. Restoring a state that is already there changes nothing and says so.
    """
    with _restore_lock(point.data_dir):
        return _restore(get(point.data_dir, point.id), force)


@contextlib.contextmanager
def _restore_lock(data_dir: str) -> Iterator[None]:
    """One restore at a time per data dir (restores are rare; two at once would race)."""
    _makedirs(data_dir)
    fd = os.open(_undo_dir(data_dir, "restore.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _restore(point: UndoPoint, force: bool) -> list[str]:
    repo = _repo_of(point)
    settings = UndoSettings(**point.settings) if point.settings else UndoSettings()
    roots = [r["path"] for r in point.files]
    action = f"airlock undo {point.id} (the state it replaced)"
    try:
        now = _take(point.workspace, point.data_dir, action, repo, roots, settings,
                    restores=point.id)
    except UndoPointError as exc:
        if not force:
            raise UndoPointError(f"cannot keep the current state before restoring "
                                 f"{point.id} ({exc}); nothing was changed (force restores "
                                 "without that copy)") from None
        now = _take(point.workspace, point.data_dir, action, repo, roots,
                    UndoSettings(max_bytes=0, ignored_max_bytes=settings.ignored_max_bytes),
                    restores=point.id)
    with tempfile.TemporaryDirectory(dir=_undo_dir(point.data_dir, "tmp")) as tmp:
        conflicts: list[str] = []
        gplan = None
        if repo and point.git and now.git:
            gplan = undo_git.plan(repo, point.git, now.git, point.cutoff_ns, tmp)
            conflicts += [os.path.join(repo.top, c) if not c.startswith("(") else c
                          for c in gplan.conflicts]
        store = _undo_dir(point.data_dir, "objects")
        try:
            fplans = [undo_files.plan(store, saved, cur, point.cutoff_ns)
                      for saved, cur in zip(point.files, now.files, strict=True)]
        except OSError as exc:
            _drop(now)
            raise UndoPointError(f"undo point {point.id}: {exc}; nothing was changed"
                                 ) from None
        for fp in fplans:
            conflicts += fp.conflicts
        if not (gplan and not gplan.empty()) and not any(fp.todo() for fp in fplans):
            _drop(now)
            return [f"nothing to restore: {point.root} already matches undo point "
                    f"{point.id}"]
        if conflicts and not force:
            _drop(now)
            raise UndoConflict(
                f"undo point {point.id}: {len(conflicts)} paths were changed after the undo "
                f"point ({_cutoff_text(point)}); restoring would overwrite them: "
                + ", ".join(conflicts[:20]) + (" …" if len(conflicts) > 20 else "")
                + " (force=True overwrites them; the current state is kept first)",
                conflicts)
        done: list[str] = []
        try:
            if repo and gplan:
                done += undo_git.apply(repo, point.git or {}, gplan, tmp,
                                       f"airlock: restore undo point {point.id}")
                if gplan.kept:
                    done.append(f"kept {len(gplan.kept)} ignored files made after the point")
            for fp in fplans:
                if fp.todo():
                    done += undo_files.apply(store, fp)
        except GitError as exc:
            raise UndoPointError(f"restoring {point.id} failed part way ({exc}); the state "
                                 f"before it is undo point {now.id}") from None
        except OSError as exc:
            raise UndoPointError(f"restoring {point.id} failed part way ({exc}); the state "
                                 f"before it is undo point {now.id}") from None
    if point.skipped:
        done.append("not in the undo point (skipped when it was taken): "
                    + ", ".join(x["path"] for x in point.skipped))
    settle(now)  # its "action" (this restore) is over
    point.restored.append({"at": time.time(), "forced": bool(conflicts), "previous": now.id})
    _write_point(point)
    done.append(f"the state before this restore is undo point {now.id}")
    return done


def _cutoff_text(point: UndoPoint) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(point.cutoff_ns / 1e9))
    if point.settled_ns is None:
        return (f"taken {when}; never settled, so the action's own changes count as "
                "changes after it")
    return f"action over at {when}"


# ---- prune ----------------------------------------------------------------------------------


def _drop(p: UndoPoint) -> None:
    if p.git:
        repo = find_repo(p.git["top"])
        if repo is not None and repo.top == p.git["top"]:
            with contextlib.suppress(GitError):
                undo_git.delete_refs(repo, p.id)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_undo_dir(p.data_dir, "points", f"{p.id}.json"))


def prune(data_dir: str, max_age_days: float | None = None,
          max_total_bytes: int | None = None, now: float | None = None) -> list[str]:
    """Remove points older than ``max_age_days`` (default 7), then the oldest until the
    rest add up to at most ``max_total_bytes`` (default 2 GiB): their private refs
    (``git update-ref -d``; git's own gc reclaims the objects) and their copies in the
    store. Returns the ids removed."""
    d = UndoSettings()
    age = d.max_age_days if max_age_days is None else max_age_days
    cap = d.max_total_bytes if max_total_bytes is None else max_total_bytes
    now = time.time() if now is None else now
    points = list_points(data_dir)
    removed: list[UndoPoint] = []
    keep: list[UndoPoint] = []
    for p in points:
        (removed if now - p.created_at > age * 86400 else keep).append(p)
    total = sum(p.size_bytes for p in keep)
    while keep and total > cap:
        p = keep.pop(0)
        total -= p.size_bytes
        removed.append(p)
    for p in removed:
        _drop(p)
    with _lock(data_dir, exclusive=True):
        _sweep(data_dir)
    return [p.id for p in removed]


def _sweep(data_dir: str) -> None:
    """Remove copies no point names (prune holds the store alone meanwhile)."""
    base = _undo_dir(data_dir, "objects")
    live: set[str] = set()
    for p in list_points(data_dir):
        try:
            live |= undo_files.live_objects(base, p.files)
        except (OSError, ValueError):
            return  # a manifest cannot be read: sweep nothing rather than a live copy
    for dirpath, _dirs, names in os.walk(base):
        for name in names:
            if name not in live:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(dirpath, name))
    with contextlib.suppress(OSError):
        for sub in os.listdir(base):
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(base, sub))
