"""What every safety net offers, and the context it works in."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from airlock.action import Target
from airlock.protect.manifest import Manifest
from airlock.protect.settings import ProtectSettings
from airlock.protect.stores import Store

Report = Callable[[str, int, int], None]  # (phase, done, total) ; total 0 = unknown


def _no_report(phase: str, done: int, total: int) -> None:
    return None


@dataclass
class Context:
    settings: ProtectSettings
    store: Store
    report: Report = field(default=_no_report)

    def url(self, locator: str) -> str:
        return self.settings.connection_url(locator)

    def scratch(self) -> str:
        """A private directory for transient files (never the protected data's dir)."""
        path = os.path.join(self.settings.journal_dir, "scratch")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path


class Net(Protocol):
    kind: str

    def handles(self, target: Target) -> bool: ...
    def describe(self, target: Target) -> str: ...
    def snapshot(self, ctx: Context, target: Target, request: str) -> Manifest: ...
    def quarantine(self, ctx: Context, target: Target, request: str) -> dict[str, Any]: ...
    def unquarantine(self, ctx: Context, record: dict[str, Any], to: str | None) -> str: ...
    def undo(self, ctx: Context, manifest: Manifest, to: str | None, force: bool) -> str: ...
    def restore(self, ctx: Context, manifest: Manifest, to: str) -> str: ...
    def verify_restore(self, ctx: Context, manifest: Manifest, scratch: str) -> str: ...
    def purge(self, ctx: Context, record: dict[str, Any]) -> str: ...


def fault(point: str) -> None:
    """Crash-test hook: die by SIGKILL at a named point (set only by the test-suite)."""
    if os.environ.get("AIRLOCK_TEST_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def short(request: str, limit: int = 12) -> str:
    return "".join(c for c in request if c.isalnum())[:limit] or "manual"
