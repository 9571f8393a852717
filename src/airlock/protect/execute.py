"""When Airlock itself executes an approved action (``airlock exec``, the MCP server's
``run_sql``): a delete that a net can turn into a quarantine is performed as that
quarantine (rename/move: instant, undoable) instead of the destructive statement, after
the snapshot.

Only an action that is *entirely* such deletes qualifies: ``rm -rf DIR…``, or
``psql``/``mysql``/``mariadb`` with one ``-c``/``-e`` whose every statement is a
``DROP DATABASE/TABLE/SCHEMA`` (PostgreSQL) or ``DROP DATABASE/TABLE`` (MySQL/MariaDB).
Anything else (a pipeline, a redirect, an expansion, a second statement of another kind)
runs as it is, protected by the snapshot taken at the claim.
"""

from __future__ import annotations

import os
import shlex
import time
from typing import Any

from airlock.action import Target

# Anything the shell would expand or interpret: such a command line is not rewritten.
_SHELL_ACTIVE = set("$`\\*?[]{}~!#\n")
_PUNCT = set("();<>|&")
_RM = {"rm", "/bin/rm", "/usr/bin/rm"}
_SQL_TOOLS = {"psql": ("-c", "--command"), "mysql": ("-e", "--execute"),
              "mariadb": ("-e", "--execute")}
_SQL_INPUTS = ("-f", "--file", "--source")


def shell_argv(text: str, run_argv: list[str]) -> list[str] | None:
    """The argv ``text`` runs as, when it is one plain simple command; else None."""
    if run_argv[:2] != ["/bin/sh", "-c"]:
        return list(run_argv)
    if any(c in _SHELL_ACTIVE for c in text):
        return None
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        return None
    if not tokens or any(t and set(t) <= _PUNCT for t in tokens):
        return None
    return tokens


def is_plain_delete(argv: list[str]) -> bool:
    """``rm -rf PATH…``, or a SQL client given exactly one statement string."""
    if not argv:
        return False
    tool = argv[0]
    if tool in _RM:
        recursive = False
        operands = 0
        for i, arg in enumerate(argv[1:], 1):
            if arg == "--":
                operands += len(argv) - i - 1
                break
            if arg in ("--recursive", "--force"):
                recursive = recursive or arg == "--recursive"
            elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
                if set(arg[1:]) - set("rRfv"):
                    return False
                recursive = recursive or bool(set(arg[1:]) & set("rR"))
            elif arg.startswith("--"):
                return False
            else:
                operands += 1
        return recursive and operands > 0
    name = os.path.basename(tool)
    if name not in _SQL_TOOLS:
        return False
    flags = _SQL_TOOLS[name]
    given = sum(1 for a in argv[1:] if a in flags or any(a.startswith(f + "=") for f in flags)
                or (a.startswith(flags[0]) and len(a) > len(flags[0])))
    feeds = any(a in _SQL_INPUTS or a.startswith(tuple(f + "=" for f in _SQL_INPUTS))
                for a in argv[1:])
    return given == 1 and not feeds


def perform(config: Any, targets: list[Target], request: str) -> list[str] | None:
    """Quarantine ``targets`` (all of them) for ``request``, reusing the snapshot taken
    at the claim when it is in this data dir's store (else taking one first). Returns the
    lines to tell the user, or None when the action is not a quarantinable delete.
    Raises :class:`~airlock.protect.ProtectError` when it could not be done (then nothing
    more may run)."""
    from airlock.protect.engine import Protector
    from airlock.protect.record import Recorder, who
    from airlock.protect.settings import load

    config_path = getattr(config, "path", None)
    protector = Protector(load(config.data_dir, config_path))
    todo = protector.quarantine_targets(targets)
    if todo is None:
        return None
    recorder, why = Recorder.open(config.data_dir, config_path)
    unrecorded: list[str] = []

    def record(step: dict[str, Any]) -> None:
        """Each rename on the record as soon as it is done (ledger ``quarantined``)."""
        if recorder is None:
            return
        try:
            recorder.append("quarantined", request, {**step, "by": who()}, actor="airlock")
        except Exception as exc:  # noqa: BLE001 - the rename is done; say it is unrecorded
            unrecorded.append(f"{step.get('what')}: {type(exc).__name__}: {exc}"[:300])

    try:
        done = protector.quarantine(todo, request, reuse_snapshots=True, on_step=record)
    finally:
        if recorder is not None:
            recorder.close()
    lines = describe(done, request)
    if recorder is None:
        lines.append(f"(not in the ledger: {why}; the protect journal keeps it)")
    lines += [f"(not in the ledger: {u})" for u in unrecorded]
    return lines


def describe(done: list[dict[str, Any]], request: str) -> list[str]:
    lines = []
    for item in done:
        rec = item.get("quarantine")
        if not isinstance(rec, dict):
            continue
        if "skipped" in rec:
            lines.append(f"{item['target']}: {rec['skipped']}; nothing to do")
            continue
        until = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec["purge_after"]))
        lines.append(f"quarantined {rec.get('name', item['target'])} as {rec['quarantine']} "
                     f"(kept until {until}, then `airlock purge`); "
                     f"`airlock undo {request}` restores it")
    return lines
