"""classify → resolve → decide, for one action or thousands, in one process.

A :class:`Checker` is built once per configuration (packs compiled, policies parsed)
and reused; :func:`checker_for` keeps one per config file and rebuilds it when the
file (or a policy file it names) changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping

from airlock.action import Action, Decision
from airlock.classify.classifier import Classifier
from airlock.config import Config, load_config
from airlock.policy.engine import PolicyEngine
from airlock.resolve import resolve


class Checker:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.classifier = Classifier(config)
        self.engine = PolicyEngine(config)

    def check(self, action: Action, *, undo_point: bool = False) -> Decision:
        """The decision on ``action``; ``undo_point``: as it would be once an undo point
        is taken (``context.undo_point``, see :mod:`airlock.protect.undo_gate`)."""
        assessment = self.classifier.classify(action)
        cwd = action.cwd or os.getcwd()
        resolve(assessment.targets, self.config, cwd, action.home)
        decision = self.engine.decide(assessment, self.config, undo_point=undo_point)
        if assessment.inputs:
            decision.inputs = digests(assessment.inputs, cwd)
        return decision


def digests(paths: list[str], cwd: str) -> dict[str, str]:
    """sha256 of each file read to classify an action, as it is now ("" when it cannot
    be read): the contents an approval of that action is bound to."""
    out = {}
    for path in paths:
        full = os.path.abspath(os.path.join(cwd, path))
        try:
            with open(full, "rb") as fh:
                out[full] = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            out[full] = ""
    return out


_lock = threading.Lock()
_checkers: dict[tuple[str | None, tuple[str, ...]], Checker] = {}


def checker_for(config_path: str | None, cwd: str,
                env: Mapping[str, str] | None = None) -> Checker:
    """A warm Checker for the configuration that applies in ``cwd``: the authoritative
    file plus the project files on top (reloaded when any of them changes)."""
    from airlock.config import config_files

    key = config_files(config_path, cwd, env)
    with _lock:
        cached = _checkers.get(key)
        if cached is not None and _fresh(cached.config):
            return cached
    config = load_config(config_path, cwd, env)
    checker = Checker(config)
    with _lock:
        if len(_checkers) > 256:
            _checkers.clear()
        _checkers[key] = checker
    return checker


def _fresh(config: Config) -> bool:
    for path, mtime in config.mtime_key:
        try:
            if os.stat(path).st_mtime != mtime:
                return False
        except OSError:
            return False
    return True
