"""Helpers shared by tests: run the real pipeline on a command with a real config file."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from airlock.action import Action, Decision
from airlock.config import Config, load_config
from airlock.pipeline import Checker

_checkers: dict[str, Checker] = {}


def checker(config_text: str | None = None, tmp: Path | None = None) -> Checker:
    key = config_text or ""
    if key in _checkers:
        return _checkers[key]
    if config_text is None:
        ch = Checker(Config())
    else:
        assert tmp is not None
        path = tmp / "airlock.toml"
        path.write_text(textwrap.dedent(config_text))
        ch = Checker(load_config(str(path), str(tmp)))
    _checkers[key] = ch
    return ch


def decide(command: str, *, cwd: str | os.PathLike[str] = "/", kind: str = "shell",
           scope: str | None = None, config: Checker | None = None, **kw: str) -> Decision:
    ch = config or checker()
    return ch.check(Action(command=command, kind=kind, scope=scope, cwd=str(cwd), **kw))


def make_repo(path: Path) -> Path:
    (path / ".git").mkdir(parents=True, exist_ok=True)
    (path / "src").mkdir(exist_ok=True)
    (path / "build").mkdir(exist_ok=True)
    return path
