"""Allow with an undo point: the step between a decision and the agent's answer.

A destructive action whose every target lies inside the agent's workspace (its git work
tree, else its working directory) can be made reversible before it runs. When it can,
the policy is asked again with ``context.undo_point`` set; the default policy allows such
an action (``allow-with-undo-point``), a user's policy may still hold it. Only if the
answer is then *allow* is the point taken (:mod:`airlock.protect.undo_points`), and the
answer names it; if it cannot be taken, the first decision stands (a hold stays a hold,
with the reason). Writes that lose data and are allowed anyway (``sed -i``, ``rm FILE``,
``git commit --amend``) get a point too, when one can be taken.

What never gets one, and is decided as before: anything that leaves the machine (a git
remote, an API, a database), a target outside the workspace, the workspace root or its
``.git`` (catastrophic), a target Airlock cannot name (unresolved), a protected one,
and verbs whose loss a point does not capture (reflog expiry, ``gc --prune``, owners).
A point is taken only by the OS user who owns the work tree: in a system install the
service does not write into the agent's repository, and the action is held as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from airlock.action import Action, Decision, Risk, Target
from airlock.paths import NO_WORKSPACE, repository_root, within, workspace_root

if TYPE_CHECKING:
    from airlock.protect.undo_points import UndoPoint

# git verbs whose every effect stays in the repository: a point (work tree, index, HEAD,
# branches, tags, stash) brings it back.
GIT_VERBS = frozenset({
    "git.reset", "git.reset.hard", "git.clean", "git.checkout", "git.checkout.discard",
    "git.switch.discard", "git.restore", "git.restore.staged", "git.stash", "git.stash.drop",
    "git.branch.delete", "git.branch.force", "git.tag.delete", "git.update_ref.delete",
    "git.rm", "git.mv", "git.commit", "git.rebase", "git.merge", "git.cherry_pick",
    "git.revert", "git.am",
})
# ... of which these lose nothing when they run: no point unless they are held.
GIT_HARMLESS = frozenset({"git.commit", "git.checkout", "git.merge", "git.cherry_pick",
                          "git.revert", "git.am", "git.mv", "git.stash"})
# every fs.* verb changes what a copy of the path brings back (contents, modes, symlinks,
# mtimes), except these: reading, and owners (a copy does not keep them for a non-root)
FILE_OTHER = frozenset({"fs.read", "fs.chown", "fs.chgrp"})


class Checks(Protocol):
    def check(self, action: Action, *, undo_point: bool = False) -> Decision: ...


@dataclass(frozen=True)
class Plan:
    """Where the point goes and what it must hold."""

    root: str  # the workspace (git work tree top, else the working directory)
    paths: list[str]  # file targets (absolute); inside a work tree the tree covers them
    needed: bool  # something the action does loses data (else a point is only needed
    # to turn a hold into an allow)


def plan(decision: Decision, action: Action) -> Plan | None:
    """The undo point ``action`` needs to be allowed with one, or None when it cannot
    have one (see the module docstring) or touches nothing a point would hold."""
    cwd = action.cwd or os.getcwd()
    home = action.home or os.path.expanduser("~")
    root = workspace_root(cwd, home)
    if root == NO_WORKSPACE:
        return None
    paths: list[str] = []
    needed = False
    changes = [t for t in decision.targets if t.risk > Risk.READ]
    if not changes:
        return None
    for t in changes:
        if not _undoable(t, root, action):
            return None
        if _file_verb(t.verb):
            path = _path(t, action)
            needed = needed or t.verb != "fs.write" or os.path.lexists(path)
            if path != root:  # the root itself (`find . -delete`): the whole tree is held
                paths.append(path)
        else:
            needed = needed or t.verb not in GIT_HARMLESS or (
                t.verb == "git.commit" and "--amend" in action.command)
    return Plan(root=root, paths=list(dict.fromkeys(paths)), needed=needed)


def _path(t: Target, action: Action) -> str:
    """The target's path; for a glob (``./*.py`` from ``find -name``), the directory above
    its first wildcard: what the action may touch lies below it."""
    path = os.path.abspath(os.path.join(action.cwd or os.getcwd(), t.locator[len("path:"):]))
    parts = path.split(os.sep)
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return os.sep.join(parts[:i]) or os.sep
    return path


def _file_verb(verb: str) -> bool:
    return verb.startswith("fs.") and verb not in FILE_OTHER


def _undoable(t: Target, root: str, action: Action) -> bool:
    if t.unresolved or t.protected or t.risk > Risk.DESTRUCTIVE or t.env != "workspace":
        return False
    if _file_verb(t.verb) and t.locator.startswith("path:"):
        path = _path(t, action)
        git = os.path.join(repository_root(root), ".git")
        return within(path, root) and not within(path, git) and (
            path != root or t.risk < Risk.DESTRUCTIVE)
    if t.verb in GIT_VERBS and t.kind == "repository" and t.locator.startswith("git:repo:"):
        return within(os.path.abspath(t.locator[len("git:repo:"):]), root)
    return False


def decide(checker: Checks, action: Action, decision: Decision, data_dir: str, *,
           take: bool = True) -> tuple[Decision, UndoPoint | None]:
    """``decision`` as it stands once an undo point is taken into account: (the new
    decision, the point) when one was taken, else (``decision``, None) — with the reason
    why not added to a hold that a point could have lifted. ``take=False`` (``airlock
    check``, whose caller may run the action without Airlock): the decision stands, with
    a reason saying what a hook would do."""
    if decision.decision == "deny":
        return decision, None
    where = plan(decision, action)
    if where is None:
        return decision, None
    lifted = decision
    if decision.decision == "hold":
        lifted = checker.check(action, undo_point=True)
        if lifted.decision != "allow":  # a policy keeps it held (or denied) all the same
            return lifted, None
    elif not where.needed:
        return decision, None
    why = _cannot_take(where.root)
    if not take:  # `airlock check`: it takes nothing, so it allows nothing more
        if decision.decision == "hold" and not why:
            return dataclasses.replace(decision, reasons=[
                *decision.reasons, "through a hook, `airlock exec` or the MCP server it is "
                "allowed once an undo point is taken (`airlock undo` brings it back)"]), None
        return decision, None
    point = None
    if not why:
        from airlock.protect.undo_points import UndoPointError
        from airlock.protect.undo_points import take as take_point

        try:
            point = take_point(where.root, data_dir, action=action.command,
                               paths=where.paths or None)
        except UndoPointError as exc:
            why = str(exc)
        except OSError as exc:
            why = f"{exc.strerror or exc}"
    if point is None:
        if decision.decision == "hold":
            return _with_reason(decision, f"no undo point could be taken ({why}), so a "
                                "human must approve it"), None
        return decision, None
    _mark_pending(data_dir, point.root)
    record(data_dir, "undo-point", point.id, {
        "action": action.command[:2000], "agent": action.agent, "workspace": point.root,
        "covers": point.covers, "size_bytes": point.size_bytes}, actor=action.agent)
    return _with_reason(dataclasses.replace(lifted, undo_point=point.id), (
        f"allowed with undo point {point.id}: a human can bring back what it changes "
        f"with `airlock undo {point.id}`")), point


def record(data_dir: str, kind: str, point_id: str, payload: dict[str, object],
           actor: str | None = None) -> str:
    """Put an undo-point step on the data dir's ledger (the one ``airlock serve`` keeps);
    ``""`` when recorded, else why not (no ledger yet: the point's own record remains)."""
    from airlock.protect.record import Recorder

    recorder, why = Recorder.open(data_dir)
    if recorder is None:
        return why
    try:
        recorder.append(kind, point_id, dict(payload), actor=actor)
    except Exception as exc:  # noqa: BLE001 - the point stands; say it is unrecorded
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        recorder.close()
    return ""


def _with_reason(decision: Decision, reason: str) -> Decision:
    return dataclasses.replace(decision, reasons=[reason, *decision.reasons])


def _cannot_take(root: str) -> str:
    """Why this process may not write an undo point into ``root``, or ``""``."""
    try:
        owner = os.stat(root).st_uid
    except OSError as exc:
        return f"{root}: {exc.strerror}"
    if owner != os.geteuid():
        return ("the workspace belongs to another OS user; Airlock does not write into it "
                "(system install)")
    return ""


# ---- edits by the agent tool's own write tools -----------------------------------------


def for_edits(paths: list[str], cwd: str, home: str | None, data_dir: str,
              agent: str = "") -> UndoPoint | None:
    """Before an agent tool's write tool (Claude Code Write/Edit, Codex patches, Gemini's
    write_file) changes existing files inside the workspace that git cannot give back
    (untracked, ignored, or with uncommitted changes; any file outside a git work tree),
    take an undo point of them. None when nothing needs one or it cannot be taken: the
    write goes ahead as before (it was never held)."""
    root = workspace_root(cwd, home or os.path.expanduser("~"))
    if root == NO_WORKSPACE:
        return None
    git = os.path.join(repository_root(root), ".git")
    existing = [p for p in dict.fromkeys(paths) if within(p, root) and not within(p, git)
                and os.path.isfile(p) and not os.path.islink(p)]
    if not existing or _cannot_take(root) or _git_keeps(root, existing):
        return None
    from airlock.protect.undo_points import UndoPointError
    from airlock.protect.undo_points import take as take_point

    shown = ", ".join(os.path.relpath(p, root) for p in existing[:5])
    try:
        point = take_point(root, data_dir, action=f"edit {shown}", paths=existing)
    except (UndoPointError, OSError):
        return None
    _mark_pending(data_dir, point.root)
    record(data_dir, "undo-point", point.id, {
        "action": f"edit {shown}", "agent": agent, "workspace": point.root,
        "covers": point.covers, "size_bytes": point.size_bytes}, actor=agent or None)
    return point


def _git_keeps(root: str, paths: list[str]) -> bool:
    """Every one of ``paths`` is tracked by git and unchanged since HEAD: git itself can
    give it back, no point is needed."""
    if not os.path.exists(os.path.join(root, ".git")):
        return False
    import subprocess

    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain=v1", "--ignored",
             "--untracked-files=all", "--", *paths], cwd=root, capture_output=True,
            timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and not done.stdout.strip()


# ---- settling: the cutoff after which a change is "made after the undo point" ----------


def _marker(data_dir: str, root: str) -> str:
    digest = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:16]
    return os.path.join(data_dir, "undo", f"unsettled-{digest}")


def _mark_pending(data_dir: str, root: str) -> None:
    try:
        with open(_marker(data_dir, root), "w", encoding="utf-8") as fh:
            fh.write(root + "\n")
    except OSError:
        pass  # the point settles when it is restored (its cutoff: when it was taken)


def settle_pending(data_dir: str, cwd: str, home: str | None = None) -> list[str]:
    """At the agent's next call in a workspace, the action an undo point was taken for is
    over: settle the workspace's points. One ``stat`` when there is nothing to do."""
    root = workspace_root(cwd, home or os.path.expanduser("~"))
    if root == NO_WORKSPACE:
        return []
    marker = _marker(data_dir, root)
    if not os.path.exists(marker):
        return []
    from airlock.protect.undo_points import settle_pending as settle

    with contextlib.suppress(OSError):
        os.unlink(marker)
    return settle(data_dir, root)
