"""Archivers that delete what they pack: ``tar --remove-files``, ``zip -m``/``--move``,
``7z … -sdel``. Packing moves the files into the archive and removes the originals: a
delete of each source, judged like ``rm -r`` of it (a workspace build dir is routine,
``/srv/data`` is held). Without those options they only read their sources and write the
archive (or, extracting, write into the destination), as they always did.

The catalogue (:mod:`airlock.classify.catalogue`) lists them as harmless; this pack
comes first (packs always do) and answers only for the forms that delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack
from airlock.classify.targets import path_targets, program_target

# tar options that take a value as the next word (the archive is -f's)
_TAR_VALUE = frozenset({"-f", "--file", "-C", "--directory", "-T", "--files-from", "-X",
                        "--exclude-from", "-b", "--blocking-factor", "-H", "--format",
                        "-I", "--use-compress-program", "--exclude", "-K", "-N", "-g",
                        "--listed-incremental", "--owner", "--group", "--mode", "--mtime",
                        "--transform", "--xform", "-V", "--label", "--newer"})
_TAR_VALUE_LETTERS = "fCTXbHIKNgV"


def _tar_sources(args: Sequence[Word]) -> list[Word]:
    """The operands of a tar command line: everything that is not an option or an
    option's value (old-style ``czf ARCHIVE`` letters included)."""
    out: list[Word] = []
    i = 0
    old_style = bool(args) and not args[0].text.startswith("-")
    while i < len(args):
        w = args[i]
        t = w.text
        if i == 0 and old_style:  # "czf": each value letter takes the next word
            i += 1 + sum(1 for c in t if c in _TAR_VALUE_LETTERS)
            continue
        if t == "--":
            out.extend(args[i + 1:])
            break
        if t.startswith("--"):
            i += 1 if "=" in t or t not in _TAR_VALUE else 2
            continue
        if t.startswith("-") and len(t) > 1:
            letters = t[1:]
            takes = next((j for j, c in enumerate(letters) if c in _TAR_VALUE_LETTERS), None)
            # -fNAME carries its value; -cf NAME takes the next word
            i += 2 if takes is not None and takes == len(letters) - 1 else 1
            continue
        out.append(w)
        i += 1
    return out


def _zip_sources(args: Sequence[Word]) -> list[Word]:
    """zip ARCHIVE FILE…: the operands after the archive (option values skipped)."""
    takes = {"-b", "-n", "-t", "-tt", "-x", "-i", "-P", "--password", "-O", "--out"}
    operands: list[Word] = []
    skip = False
    for w in args:
        if skip:
            skip = False
            continue
        if w.text in takes:
            skip = True
            continue
        if w.text.startswith("-") and len(w.text) > 1:
            continue
        operands.append(w)
    return operands[1:]


def _zip_moves(args: Sequence[Word]) -> bool:
    for w in args:
        t = w.text
        if t in ("-m", "--move"):
            return True
        if t.startswith("-") and not t.startswith("--") and "m" in t[1:] and len(t) <= 6:
            return True  # -rm, -rmq: short flags cluster
    return False


@dataclass
class ArchivePack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        args = cmd.args
        texts = [w.text for w in args]
        if prog in ("tar", "gtar", "bsdtar") and "--remove-files" in texts:
            sources = _tar_sources(args)
            why = "tar --remove-files deletes each file it packs"
        elif prog == "zip" and _zip_moves(args):
            sources = _zip_sources(args)
            why = "zip -m moves the files into the archive and deletes them"
        elif prog in ("7z", "7za", "7zz", "7zr") and "-sdel" in texts:
            operands = [w for w in args if not w.text.startswith("-")]
            sources = operands[2:]  # after the command letter and the archive
            why = "7z -sdel deletes the files after packing them"
        else:
            return [program_target(cmd, ctx, Risk.WRITE)]
        if not sources:
            return [program_target(cmd, ctx, Risk.DESTRUCTIVE)]
        targets = path_targets(sources, ctx, verb="fs.delete", risk=Risk.WRITE,
                               tool=self.name, recursive=True, delete=True)
        for t in targets:
            t.detail = f"{why}; {t.detail}" if t.detail else why
        return targets


PACKS: list[Pack] = [
    ArchivePack(name="archives", programs=("tar", "gtar", "bsdtar", "zip", "7z", "7za",
                                           "7zz", "7zr")),
]
