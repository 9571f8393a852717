"""The filesystem pack: rm, dd, mkfs, shred, truncate, chmod/chown, mv/cp, redirections.

How bad deleting a path is depends on where it is, so this pack is mostly code; the
rules by location are in :mod:`airlock.classify.targets`, which builds the path targets
every part of the classifier shares (redirections of every command among them).

An option we cannot read (``rm $F /``) counts as ``-rf``.

Emptying a file is deleting what it held, whether or not the file exists on this machine
as Airlock looks: ``: > f``, a bare ``> f``, ``true > f``, ``cat /dev/null > f``,
``cp /dev/null f``, ``install /dev/null f`` and ``tee f < /dev/null`` are rated like
``truncate -s 0 f`` (routine in the workspace, destructive outside it). Programs that only
read, except for an option or an argument naming a file they write (``sort -o``,
``shuf -o``, ``uniq IN OUT``, ``xxd IN OUT``, ``tree -o``, ``sponge``), write that file:
replacing an existing one outside the workspace is destructive (:data:`WRITES_TO`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
    ClassifyContext,
    SimpleCommand,
    Word,
    split_options,
)
from airlock.classify.packs.base import Pack, rule
from airlock.classify.targets import path_targets, program_target, replacing
from airlock.paths import in_temp, is_critical, strictly_within


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


# rsync's options that take a value (the rest are flags, ``-t`` and ``-o`` included:
# --times, --owner). GNU-style abbreviations (``--dry``) are not followed.
RSYNC_TAKES_VALUE = frozenset({
    "-e", "--rsh", "-f", "--filter", "--exclude", "--include", "--exclude-from",
    "--include-from", "--files-from", "-T", "--temp-dir", "--partial-dir", "--backup-dir",
    "--suffix", "--compare-dest", "--copy-dest", "--link-dest", "--chmod", "--chown",
    "--usermap", "--groupmap", "--log-file", "--log-file-format", "--password-file",
    "-B", "--block-size", "--bwlimit", "--timeout", "--contimeout", "--max-size",
    "--min-size", "--max-delete", "--max-alloc", "--port", "--rsync-path", "--out-format",
    "--info", "--debug", "-M", "--remote-option", "--iconv", "--checksum-choice",
    "--compress-choice", "--compress-level", "--skip-compress", "--modify-window",
    "--sockopts", "--stop-after", "--stop-at", "--write-batch", "--only-write-batch",
    "--read-batch", "--protocol", "--outbuf", "--address", "--config", "--dparam",
    "--early-input", "--checksum-seed", "--zc", "--cc",
})


def _replaces(prog: str, cmd: SimpleCommand, options: dict[str, list[Word | None]]) -> bool:
    """Does this writer replace an existing file's content (not append to it)?"""
    if prog == "install":
        return True
    if prog == "tee":
        return "-a" not in options and "--append" not in options
    if prog == "ln":
        return "--force" in options or any(
            w.text.startswith("-") and not w.text.startswith("--") and "f" in w.text
            for w in cmd.args)
    return False


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
        if prog == "rsync":
            takes = set(RSYNC_TAKES_VALUE)  # rsync's -t, -o, -g, -s… take no value
        positionals, options = split_options(cmd.args, takes)
        ws = ctx.workspace()
        if prog in ("cp", "install") and len(positionals) >= 2 and not (
                options.get("-t") or options.get("--target-directory")) and all(
                w.text in _EMPTY_SOURCES for w in positionals[:-1]):
            # cp /dev/null f: empties f, like truncate -s 0
            return path_targets(positionals[-1:], ctx, verb="fs.truncate", risk=Risk.WRITE,
                                tool=prog, delete=True)
        if prog == "tee" and _reads_nothing(cmd) and positionals:
            return path_targets(positionals, ctx, verb="fs.truncate", risk=Risk.WRITE,
                                tool=prog, delete=True)
        if prog in ("touch", "mkdir", "tee", "ln", "install"):
            files = positionals
            if prog == "ln":
                files = positionals[-1:]
            if prog == "install":
                files = positionals[-1:]
            targets = path_targets(files, ctx, verb=f"fs.{prog}", risk=Risk.WRITE, tool=prog)
            if _replaces(prog, cmd, options):
                replacing(targets, ctx)
            return targets or [program_target(cmd, ctx, Risk.WRITE)]
        if prog == "truncate":
            truncated = path_targets(
                positionals, ctx, verb="fs.truncate", risk=Risk.WRITE, tool=prog, delete=True
            )
            return truncated or [program_target(cmd, ctx, Risk.WRITE)]
        dest_opt = None if prog == "rsync" else (options.get("-t")
                                                 or options.get("--target-directory"))
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
        delete = prog == "rsync" and any(o.startswith("--del") for o in options)
        if prog == "rsync" and ("-n" in options or "--dry-run" in options
                                or "--list-only" in options) and not (
                set(options) & {"-e", "--rsh", "--rsync-path", "-M", "--remote-option"}):
            # a dry run changes nothing, --delete included: it shows what would change
            # (unless it names a command to run: -e and --rsync-path still run theirs)
            return path_targets(dests, ctx, verb="fs.rsync.dry_run", risk=Risk.READ,
                                tool=prog) or [program_target(cmd, ctx, Risk.READ)]
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


_EMPTY_SOURCES = frozenset({"/dev/null"})
_TRUNCATING = frozenset({">", ">|", "&>"})


def _truncations(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    """The files a command's output redirections empty, rated like ``truncate -s 0``:
    for a command that writes nothing (``:``, ``true``, ``cat /dev/null``)."""
    words = [r.target for r in cmd.redirects
             if r.op in _TRUNCATING and r.target is not None and not r.target.dynamic]
    out = path_targets(words, ctx, verb="fs.truncate", risk=Risk.WRITE, tool=cmd.program,
                       delete=True)
    for t in out:
        t.detail = t.detail or "empties the file"
    return out


def _reads_nothing(cmd: SimpleCommand) -> bool:
    """stdin is /dev/null (``tee f < /dev/null``)."""
    return any(r.op == "<" and r.target is not None and r.target.text in _EMPTY_SOURCES
               for r in cmd.redirects)


class NoOutputPack(Pack):
    """``:``, ``true`` (and a bare ``> f``, which the shell parser hands over as ``:``):
    they write nothing, so an output redirection only empties its file."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        return [program_target(cmd, ctx, Risk.READ), *_truncations(cmd, ctx)]


class CatPack(Pack):
    """``cat``: a read, except that ``cat /dev/null > f`` empties ``f``."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, _ = split_options(cmd.args)
        empty = (all(w.text in _EMPTY_SOURCES for w in positionals) if positionals
                 else _reads_nothing(cmd))
        out = [program_target(cmd, ctx, Risk.READ)]
        return out + _truncations(cmd, ctx) if empty else out


@dataclass(frozen=True)
class WriterSpec:
    """A program that only reads, except for where it writes: an output option, or the
    positional argument at ``positional`` (uniq IN OUT)."""

    takes: frozenset[str]  # options that take a value
    outputs: tuple[str, ...] = ()  # options naming the output file
    positional: int | None = None  # index of the positional naming the output file
    runs: tuple[str, ...] = ()  # options naming a program it runs (sort --compress-program)
    appends: tuple[str, ...] = ()  # flags that make it append instead of replace


WRITES_TO: dict[str, WriterSpec] = {
    "sort": WriterSpec(
        takes=frozenset({"-k", "--key", "-t", "--field-separator", "-o", "--output", "-S",
                         "--buffer-size", "-T", "--temporary-directory", "--batch-size",
                         "--compress-program", "--files0-from", "--parallel",
                         "--random-source", "--sort"}),
        outputs=("-o", "--output"), runs=("--compress-program",)),
    "shuf": WriterSpec(
        takes=frozenset({"-n", "--head-count", "-o", "--output", "-i", "--input-range",
                         "--random-source"}),
        outputs=("-o", "--output")),
    "uniq": WriterSpec(
        takes=frozenset({"-f", "--skip-fields", "-s", "--skip-chars", "-w",
                         "--check-chars"}),
        positional=1),
    "xxd": WriterSpec(takes=frozenset({"-c", "-g", "-l", "-n", "-o", "-s", "-R", "-cols",
                                       "-groupsize", "-len", "-name", "-seek"}),
                      positional=1),
    "tree": WriterSpec(
        takes=frozenset({"-L", "-P", "-I", "-o", "-H", "-T", "--filelimit", "--timefmt",
                         "--charset", "--sort", "--fromfile", "--infofile", "--gitfile"}),
        outputs=("-o",)),
    "sponge": WriterSpec(takes=frozenset(), positional=0, appends=("-a",)),
}


class WriterPack(Pack):
    """Programs in :data:`WRITES_TO`: a read, plus the file they write."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        spec = WRITES_TO[cmd.program]
        positionals, options = split_options(cmd.args, spec.takes)
        written = [w for o in spec.outputs for w in options.get(o, []) if w is not None]
        if spec.positional is not None and len(positionals) > spec.positional:
            written.append(positionals[spec.positional])
        out = [program_target(cmd, ctx, Risk.READ)]
        found = path_targets(written, ctx, verb="fs.write", risk=Risk.WRITE, tool=cmd.program)
        if not any(a in options for a in spec.appends):
            replacing(found, ctx)
        for t in found:
            t.detail = t.detail or f"{cmd.program} writes its output here"
        out.extend(found)
        for o in spec.runs:
            for w in options.get(o, []):
                if w is not None:  # the program it runs, as a command of its own
                    out.extend(ctx.classify_command(SimpleCommand(argv=[w])))
        return out


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
    NoOutputPack(name="no-output", programs=(":", "true"), kind="file",
                 description="`:`/`true` (and a bare `> file`): a redirection only empties"),
    CatPack(name="cat", programs=("cat",), kind="file",
            description="cat: a read; `cat /dev/null > file` empties the file"),
    WriterPack(name="writers", programs=tuple(WRITES_TO), kind="file",
               description="readers with an output file: sort -o, uniq IN OUT, sponge…"),
    Pack(
        name="trash",
        programs=("trash", "trash-put", "gio"),
        kind="file",
        rules=(rule("fs.trash", "write", target="args", reversible=True, locator="path:{name}"),),
    ),
]
