"""``airlock check``: the machine interface to classify + resolve + decide.

The contract (DESIGN.md, "Contracts that other tools depend on") is stable:

    airlock check [--config FILE] [--scope ENV] [--json] -- <command as one string or argv>
    airlock check --jsonl < in.jsonl > out.jsonl

Exit status of the single form: 0 allow, 3 hold, 4 deny, 2 usage error, 1 internal
error. The JSONL form answers one line per input line, same order, and exits 0 when
every line was processed (a bad line gets an ``error`` object and ``decision: hold``).

This module runs in a plain process, inside the resident daemon and inside the service
(``server/decisions.py``), so it takes its streams, working directory and environment as
arguments; it is argparse, not click, so the fast path never imports click.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Mapping
from typing import IO, Any

from airlock.action import ACTION_KINDS, Action, Decision

EXIT_ALLOW, EXIT_INTERNAL, EXIT_USAGE, EXIT_HOLD, EXIT_DENY = 0, 1, 2, 3, 4


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would sys.exit(2) and print itself
        raise UsageError(message)


def _parser() -> _Parser:
    p = _Parser(prog="airlock check", add_help=False,
                description="Would this action be allowed, held for a human, or denied?")
    p.add_argument("--config", help="airlock.toml to use (default: discovered)")
    p.add_argument("--scope", help="the environment the agent was given")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--jsonl", action="store_true", help="read JSONL actions on stdin")
    p.add_argument("--kind", choices=ACTION_KINDS, default="shell")
    p.add_argument("--dialect", help="SQL dialect for --kind sql")
    p.add_argument("--database", help="connection URL the SQL runs against")
    p.add_argument("--agent", help="the agent's name (default from config)")
    p.add_argument("-h", "--help", action="store_true")
    p.add_argument("command", nargs=argparse.REMAINDER)
    return p


HELP = """usage: airlock check [--config FILE] [--scope ENV] [--agent NAME] [--json] -- COMMAND...
       airlock check --jsonl < actions.jsonl > decisions.jsonl

Classify, resolve and decide one action (default: a shell command) without running it.
Exit status: 0 allow, 3 hold, 4 deny, 2 usage error, 1 internal error.

options:
  --config FILE     airlock.toml to use (default: AIRLOCK_CONFIG, else
                    $AIRLOCK_HOME/airlock.toml; a project's airlock.toml only tightens)
  --scope ENV       the environment the agent was given (overrides [agent] scope)
  --json            print the decision as JSON, each target with its locator (what
                    [[resources]] entries are matched against)
  --jsonl           read one JSON action per line on stdin, write one decision per line
  --kind KIND       shell (default), sql, http or mcp
  --dialect D       SQL dialect: postgresql (default), mysql, sqlite
  --database URL    the database the SQL runs against (resolved like any target)
  --agent NAME      the agent's name, the Cedar principal (default: [agent] name)
  -h, --help        this help
"""


def run_check(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str],
              cwd: str, environ: Mapping[str, str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        stderr.write(f"airlock check: {exc}\n{HELP}")
        return EXIT_USAGE
    if args.help:
        stdout.write(HELP)
        return EXIT_ALLOW
    command = args.command
    if command and command[0] == "--":
        command = command[1:]
    if args.jsonl and command:
        stderr.write("airlock check: --jsonl reads actions from stdin; give no command\n")
        return EXIT_USAGE
    if not args.jsonl and not command:
        stderr.write("airlock check: no command given\n" + HELP)
        return EXIT_USAGE
    try:
        from airlock.config import ConfigError
        from airlock.pipeline import checker_for

        try:
            checker = checker_for(args.config, cwd, environ)
        except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
            stderr.write(f"airlock check: {exc}\n")
            return EXIT_USAGE
        for warning in checker.config.warnings:
            stderr.write(f"airlock check: warning: {warning}\n")
        from airlock.hold.client import airlock_home
        from airlock.system import single_user_notice

        notice = single_user_notice(airlock_home(environ), "check")
        if notice:
            stderr.write(f"airlock check: note: {notice}\n")
        # set by the service from the caller's token: they bind, whatever the arguments
        args.forced_scope = environ.get("AIRLOCK_SCOPE")
        args.forced_agent = environ.get("AIRLOCK_AGENT")
        args.scope = args.forced_scope or args.scope
        args.agent = args.forced_agent or args.agent
        args.home = environ.get("HOME") or None
        if args.jsonl:
            return _run_jsonl(checker, args, stdin, stdout, cwd)
        text = command[0] if len(command) == 1 else shlex.join(command)
        action = Action(command=text, kind=args.kind, scope=args.scope, dialect=args.dialect,
                        cwd=cwd, agent=args.agent or checker.config.agent,
                        database=args.database, home=args.home)
        decision = checker.check(action)
        if decision.decision == "hold" and args.kind == "shell":
            from airlock.protect import undo_gate

            decision, _ = undo_gate.decide(checker, action, decision,
                                           checker.config.data_dir, take=False)
        if args.json:
            stdout.write(json.dumps(_with_locators(decision), ensure_ascii=False) + "\n")
        else:
            stdout.write(render_text(decision))
        return decision.exit_code
    except Exception as exc:  # noqa: BLE001 - exit 1 means "do not run"
        stderr.write(f"airlock check: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_INTERNAL


def _run_jsonl(checker: Any, args: argparse.Namespace, stdin: IO[str], stdout: IO[str],
               cwd: str) -> int:
    for lineno, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        out: dict[str, Any]
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            command = item.get("command")
            if not isinstance(command, str):
                raise ValueError("'command' (a string) is required")
            kind = item.get("kind", "shell")
            if kind not in ACTION_KINDS:
                raise ValueError(f"unknown kind {kind!r}")
            scope = args.forced_scope or item.get("scope", args.scope)
            action = Action(command=command, kind=kind,
                            scope=scope if isinstance(scope, str) else None,
                            dialect=item.get("dialect") or args.dialect,
                            cwd=item.get("cwd") or cwd,
                            agent=(args.forced_agent or item.get("agent") or args.agent
                                   or checker.config.agent),
                            database=item.get("database") or args.database, home=args.home)
            decision: Decision = checker.check(action)
            body = _with_locators(decision)
            out = {"id": item.get("id"), "decision": body["decision"], "risk": body["risk"],
                   "targets": body["targets"], "reasons": body["reasons"]}
            if body["flags"]:
                out["flags"] = body["flags"]
        except (ValueError, TypeError) as exc:
            ident = None
            try:
                parsed = json.loads(line)
                ident = parsed.get("id") if isinstance(parsed, dict) else None
            except ValueError:
                pass
            out = {"id": ident, "decision": "hold", "risk": "destructive", "targets": [],
                   "reasons": [f"line {lineno}: {exc}; held"], "error": str(exc)}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return EXIT_ALLOW


def _with_locators(decision: Decision) -> dict[str, Any]:
    """The decision as JSON, each target with its ``locator``: what to copy into
    ``[[resources]]`` (docs/configuration.md). Text Airlock could not know (a variable,
    an unknown directory) is shown as ``$?``, never as its internal marker."""
    body = decision.to_json()
    for out, target in zip(body["targets"], decision.targets, strict=True):
        if target.locator:
            out["locator"] = target.locator.replace("\x00?", "$?").replace("\x00", "")
    return body


def render_text(decision: Decision) -> str:
    lines = [f"{decision.decision.upper()}  (risk: {decision.risk.label})"]
    for t in decision.targets:
        env = t.env or "unknown"
        extra = f" [{t.resource}]" if t.resource else ""
        lines.append(f"  {t.risk.label:<12} {t.verb} → {t.kind} {t.name} ({env}){extra}")
    for f in decision.flags:
        lines.append(f"  ! {f.kind}: {f.detail}")
    for r in decision.reasons:
        lines.append(f"  - {r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    import os

    return run_check(argv, sys.stdin, sys.stdout, sys.stderr, os.getcwd(), os.environ)
