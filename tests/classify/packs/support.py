"""Shared helpers for the pack tests: build a command the way the shell parser would."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from airlock.action import Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs import Pack


def word(token: str) -> Word:
    """``$NAME`` stands for a variable the classifier cannot see."""
    text = re.sub(r"\$\w+", DYNAMIC, token)
    return Word(text, dynamic=text != token)


def run_pack(packs: Sequence[Pack], line: str, tmp_path: Path,
             env: dict[str, str] | None = None) -> list[Target]:
    """Classify ``line`` with whichever of ``packs`` owns its program."""
    cmd = SimpleCommand(
        argv=[word(x) for x in shlex.split(line)],
        env={k: Word(v) for k, v in (env or {}).items()},
    )
    pack = next(p for p in packs if cmd.program in p.programs)
    return pack.classify(cmd, ClassifyContext(cwd=str(tmp_path), home="/root"))
