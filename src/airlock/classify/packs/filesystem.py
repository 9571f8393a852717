"""The filesystem pack: rm, dd, mkfs, shred, truncate, chmod/chown, mv/cp, redirections.

How bad deleting a path is depends on where it is, so this pack is mostly code:

- ``/``, system directories, the home dir, the workspace root, its ``.git``, or any
  ancestor of those → catastrophic;
- anywhere outside the workspace and temp dirs → destructive;
- inside the workspace: one file or a glob of files, or a regenerable directory
  (``node_modules``, ``dist``, ``build``…) → write (ordinary development); a
  recursive delete of anything else → destructive;
- a temp dir → destructive, but temp is a sandbox environment, so policy allows it;
- a path built from an unresolved variable or command output → destructive and
  unresolved (resolve puts it in the ``unknown`` environment: held).

An option we cannot read (``rm $F /``) counts as ``-rf``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
    ClassifyContext,
    SimpleCommand,
    Word,
    expand_braces,
    split_options,
)
from airlock.classify.packs import Pack, rule
from airlock.paths import REGENERABLE, in_temp, is_critical, strictly_within

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
        if pattern:
            return Risk.DESTRUCTIVE, "recursive delete of a glob in the workspace"
        return Risk.DESTRUCTIVE, "recursive delete in the workspace"
    if path == ws:
        return Risk.CATASTROPHIC, "deletes the workspace"
    return Risk.DESTRUCTIVE, "outside the workspace"


def _critical_match(text: str, ctx: ClassifyContext, limit: int = 500) -> str | None:
    """A critical path the glob would expand to right now (``/e?c`` → ``/etc``)."""
    import glob as globmod
    import itertools

    ws = ctx.workspace()
    for candidate in expand_braces(text):
        full = ctx.abspath(candidate)
        matches = itertools.islice(globmod.iglob(full), limit) if globmod.has_magic(full) \
            else iter([full])
        for m in matches:
            if is_critical(os.path.normpath(m), home=ctx.home, workspace=ws):
                return os.path.normpath(m)
    return None


def fnmatch_any_dir(pattern: str) -> bool:
    """A narrow pattern that still names directories in general (``*/``, ``*dir*``)."""
    return pattern.endswith("/")


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
        if delete:
            if unresolved and not path:
                r, why = Risk.DESTRUCTIVE, "path comes from a variable or command output"
            else:
                r, why = delete_risk(
                    path,
                    ctx,
                    recursive=recursive,
                    pattern=pattern,
                    unresolved=unresolved and not in_temp(path),
                    last=last,
                )
                r = max(r, risk)
                if pattern and not unresolved and r < Risk.CATASTROPHIC and recursive:
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


class RemovePack(Pack):
    """rm / unlink / rmdir / shred / srm: recursive-ness and location decide."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        positionals, options = split_options(cmd.args)
        # an option we cannot read could be -rf: assume the worst
        unknown_opts = any(
            w.dynamic and (w.text.startswith(DYNAMIC) or w.text.startswith("-")) for w in cmd.args
        )
        recursive = unknown_opts or any(o in options for o in ("-r", "-R", "--recursive"))
        if prog == "rmdir":
            recursive = False
        if prog == "rimraf":
            recursive = True  # rimraf is rm -rf as a program
        paths = [w for w in positionals if not (unknown_opts and w.text == DYNAMIC)]
        if not paths:
            if unknown_opts:
                return [
                    Target(
                        kind="file",
                        name="$?",
                        verb="fs.delete",
                        risk=Risk.DESTRUCTIVE,
                        tool=prog,
                        locator="path:?",
                        detail="arguments come from a variable",
                        unresolved=True,
                    )
                ]
            return [program_target(cmd, ctx, Risk.READ)]
        verb = "fs.shred" if prog in ("shred", "srm", "wipe") else "fs.delete"
        floor = Risk.DESTRUCTIVE if verb == "fs.shred" else Risk.WRITE
        if prog == "shred" and "-u" not in options and "--remove" not in options:
            verb = "fs.shred"
        kind = "directory" if recursive else "file"
        return path_targets(
            paths,
            ctx,
            verb=verb,
            risk=floor,
            tool=prog,
            kind=kind,
            recursive=recursive,
            delete=True,
        )


class DdPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        targets: list[Target] = []
        for w in cmd.args:
            if w.text.startswith("of="):
                dest = Word(w.text[3:], w.dynamic, w.glob)
                path = ctx.abspath(dest.text)
                risk = Risk.CATASTROPHIC if path.startswith("/dev/") else Risk.DESTRUCTIVE
                if not path.startswith("/dev/") and (
                    in_temp(path) or strictly_within(path, ctx.workspace())
                ):
                    risk = Risk.WRITE
                targets.extend(
                    path_targets(
                        [dest],
                        ctx,
                        verb="fs.overwrite",
                        risk=risk,
                        tool="dd",
                        kind="device" if path.startswith("/dev/") else "file",
                    )
                )
        return targets or [program_target(cmd, ctx, Risk.READ)]


class DevicePack(Pack):
    """mkfs*, wipefs, fdisk, parted…: formatting or repartitioning a device."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, {"-t", "-L", "-b", "-c", "-O", "-n"})
        if "-l" in options or "--list" in options or "-h" in options or "--help" in options:
            return [program_target(cmd, ctx, Risk.READ)]
        devices = positionals[-1:] if positionals else [Word(DYNAMIC, True)]
        return [
            Target(
                kind="device",
                name=w.shown,
                verb=f"fs.{self.name}",
                risk=Risk.CATASTROPHIC,
                tool=cmd.program,
                locator=f"path:{ctx.abspath(w.text)}",
                detail="formats a device",
                unresolved=w.dynamic,
            )
            for w in devices
        ]


class ModePack(Pack):
    """chmod / chown / chgrp: recursive on a critical path is catastrophic."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, {"--reference", "--from"})
        recursive = "-R" in options or "--recursive" in options
        paths = positionals[1:] if "--reference" not in options else positionals
        out: list[Target] = []
        ws = ctx.workspace()
        for t in path_targets(
            paths, ctx, verb=f"fs.{cmd.program}", risk=Risk.WRITE, tool=cmd.program
        ):
            path = t.locator[5:]
            if recursive and path and is_critical(path, home=ctx.home, workspace=ws) and path != ws:
                t.risk, t.detail = (
                    Risk.CATASTROPHIC,
                    "recursive permission change of a system or home directory",
                )
            elif path and not in_temp(path) and not strictly_within(path, ws) and path != ws:
                t.risk, t.detail = (
                    max(t.risk, Risk.DESTRUCTIVE if recursive else Risk.WRITE),
                    "outside the workspace",
                )
            out.append(t)
        return out or [program_target(cmd, ctx, Risk.WRITE)]


class CopyMovePack(Pack):
    """mv / cp / rsync / install / ln / tee / truncate / touch / mkdir."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        takes = {
            "-t",
            "--target-directory",
            "-S",
            "--suffix",
            "-m",
            "--mode",
            "-o",
            "-g",
            "-s",
            "--size",
            "-e",
            "--exclude",
            "--include",
            "--filter",
            "-f",
        }
        if prog == "truncate":
            takes = {"-s", "--size", "-r", "--reference"}
        positionals, options = split_options(cmd.args, takes)
        ws = ctx.workspace()
        if prog in ("touch", "mkdir", "tee", "ln", "install"):
            files = positionals
            if prog == "ln":
                files = positionals[-1:]
            if prog == "install":
                files = positionals[-1:]
            return path_targets(files, ctx, verb=f"fs.{prog}", risk=Risk.WRITE, tool=prog) or [
                program_target(cmd, ctx, Risk.WRITE)
            ]
        if prog == "truncate":
            truncated = path_targets(
                positionals, ctx, verb="fs.truncate", risk=Risk.WRITE, tool=prog, delete=True
            )
            return truncated or [program_target(cmd, ctx, Risk.WRITE)]
        dest_opt = options.get("-t") or options.get("--target-directory")
        if dest_opt and dest_opt[0] is not None:
            dests, sources = [dest_opt[0]], positionals
        else:
            dests, sources = positionals[-1:], positionals[:-1]
        out: list[Target] = []
        if prog == "mv":
            # moving something away deletes it from where it was
            for t in path_targets(
                sources,
                ctx,
                verb="fs.move",
                risk=Risk.WRITE,
                tool=prog,
                delete=True,
                recursive=True,
            ):
                path = t.locator[5:]
                if t.risk == Risk.DESTRUCTIVE and path and strictly_within(path, ws):
                    t.risk = Risk.WRITE  # moving within the workspace is routine
                out.append(t)
            if any(d.text == "/dev/null" for d in dests):
                for t in out:
                    t.risk, t.detail = max(t.risk, Risk.DESTRUCTIVE), "moved to /dev/null"
        delete = prog == "rsync" and any(o.startswith("--delete") for o in options)
        for t in path_targets(
            dests,
            ctx,
            verb=f"fs.{prog}",
            risk=Risk.WRITE,
            tool=prog,
            recursive=delete,
            delete=delete,
        ):
            path = t.locator[5:]
            if (
                path
                and os.path.exists(path)
                and not os.path.isdir(path)
                and not in_temp(path)
                and not strictly_within(path, ws)
                and not delete
            ):
                t.risk, t.detail = Risk.DESTRUCTIVE, "overwrites a file outside the workspace"
            if delete:
                t.detail = "rsync --delete removes files at the destination"
                t.risk = max(t.risk, Risk.DESTRUCTIVE) if not in_temp(path) else t.risk
            out.append(t)
        return out or [program_target(cmd, ctx, Risk.WRITE)]


PACKS: list[Pack] = [
    RemovePack(
        name="rm",
        programs=("rm", "unlink", "rmdir", "shred", "srm", "wipe", "rimraf"),
        kind="file",
        description="deleting files and directories",
    ),
    DdPack(name="dd", programs=("dd",), kind="device"),
    DevicePack(
        name="mkfs",
        programs=(
            "mkfs",
            "mkfs.ext4",
            "mkfs.ext3",
            "mkfs.ext2",
            "mkfs.xfs",
            "mkfs.btrfs",
            "mkfs.vfat",
            "mkfs.fat",
            "mkfs.ntfs",
            "mke2fs",
            "mkswap",
            "wipefs",
            "fdisk",
            "sfdisk",
            "parted",
            "gdisk",
            "sgdisk",
            "blkdiscard",
        ),
        kind="device",
    ),
    ModePack(name="chmod", programs=("chmod", "chown", "chgrp"), kind="file"),
    CopyMovePack(
        name="copy",
        programs=("mv", "cp", "rsync", "install", "ln", "tee", "truncate", "touch", "mkdir"),
        kind="file",
    ),
    Pack(
        name="trash",
        programs=("trash", "trash-put", "gio"),
        kind="file",
        rules=(rule("fs.trash", "write", target="args", reversible=True, locator="path:{name}"),),
    ),
]
