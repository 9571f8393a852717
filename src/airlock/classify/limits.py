"""How much work Airlock spends judging one action.

An action over :data:`MAX_BYTES` (the command as a whole, or any shell script or SQL
text found inside it) is not parsed at all, and classifying one action may use at most
:data:`TIME_BUDGET` seconds of CPU: past either limit the action is held as "too large
to judge" (an ``unparsed`` flag whose detail says so), never guessed at. A 5 MB SQL
heredoc used to take a minute before an answer.

The budget is per thread CPU time (``time.thread_time``), not wall time, so a loaded
machine does not turn ordinary commands into holds. :func:`budget` opens it (the
classifier does, once per action; nested calls share the outer one) and the parsers'
loops call :func:`check`. Past the deadline :func:`check` raises :class:`TooLarge`, a
``BaseException`` so that no ``except Exception`` in a pack or parser can swallow it and
go on with half a picture; :meth:`Classifier.classify` catches it and holds. Outside a
budget (other callers of the parsers) :func:`check` does nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_BYTES = 256 * 1024  # a command, shell script or SQL text larger than this is held
SQL_STATEMENT_MAX = 128 * 1024  # one statement handed to sqlglot (pure Python, ~4 µs/byte)
TIME_BUDGET = 1.0  # CPU seconds spent classifying one action

PREFIX = "too large to judge"

_LOCAL = threading.local()


class TooLarge(BaseException):
    """Classifying this action would take more than Airlock spends on one action."""


@contextmanager
def budget(seconds: float | None = None) -> Iterator[None]:
    """Open the time budget for one action (a nested call keeps the outer deadline)."""
    outer = getattr(_LOCAL, "deadline", None)
    if outer is None:
        _LOCAL.deadline = time.thread_time() + (TIME_BUDGET if seconds is None else seconds)
    try:
        yield
    finally:
        _LOCAL.deadline = outer


def check() -> None:
    """Raise :class:`TooLarge` when the action's time budget is spent."""
    deadline = getattr(_LOCAL, "deadline", None)
    if deadline is not None and time.thread_time() > deadline:
        raise TooLarge(f"{PREFIX}: Airlock stopped after {TIME_BUDGET:g} s of work on it")


def oversize(text: str, what: str, limit: int = MAX_BYTES) -> str | None:
    """Why ``text`` is too large to judge, or None. Counts UTF-8 bytes (cheaply: a
    string of ``limit`` characters or fewer is at most 4 × that)."""
    n = len(text)
    if n <= limit // 4:
        return None
    size = len(text.encode("utf-8", "surrogateescape")) if n <= limit else n
    if size <= limit:
        return None
    return f"{PREFIX}: {what} is {_size(size)}, over the {_size(limit)} Airlock reads"


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"
