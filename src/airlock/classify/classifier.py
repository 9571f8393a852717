"""classify: an :class:`~airlock.action.Action` → an :class:`~airlock.action.Assessment`.

Shell goes through the shell parser and the packs; SQL through the SQL classifier;
HTTP (a request line + headers + body, as curl would send it) through the HTTP
classifier. Anything that raises while being classified is held as ``unparsed``:
a bug in a pack must never turn into an allow.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

from airlock.action import Action, Assessment, Risk, Target
from airlock.classify import credentials, guards, limits
from airlock.classify.command import ClassifyContext, Word
from airlock.classify.dispatch import classify_command
from airlock.classify.http import HttpParseError, classify_request, parse_raw_request
from airlock.classify.mcp import classify_mcp
from airlock.classify.packs import Pack, PackError, build_registry, builtin_packs, rule_from_config
from airlock.classify.shell import parse_script
from airlock.classify.sql import classify_sql
from airlock.config import Config


class Classifier:
    def __init__(self, config: Config) -> None:
        self.config = config
        packs = builtin_packs()
        by_name = {p.name: p for p in packs}
        for spec in config.packs:
            user = user_pack(spec, by_name)
            if user.name in by_name and user is not by_name[user.name]:
                packs = [p for p in packs if p.name != user.name]
            packs.append(user)
            by_name[user.name] = user
        self.registry: dict[str, Pack] = build_registry(packs)
        self.packs = packs

    def context(self, action: Action) -> ClassifyContext:
        cwd = action.cwd or os.getcwd()
        return ClassifyContext(cwd=cwd, home=action.home or os.path.expanduser("~"),
                               config=self.config,
                               registry=self.registry)

    def classify(self, action: Action) -> Assessment:
        ctx = self.context(action)
        assessment = Assessment(action=action)
        refused = _refuse(action)
        try:
            if refused:
                ctx.unparsed(refused)
                targets = [_opaque(action, refused)]
            else:
                with limits.budget():
                    targets = self._classify(action, ctx)
        except limits.TooLarge as exc:
            ctx.unparsed(str(exc))
            targets = [_opaque(action, str(exc))]
        except RecursionError:
            ctx.unparsed("the action nests deeper than Airlock follows")
            targets = [_opaque(action, "too deeply nested")]
        except Exception as exc:  # noqa: BLE001 - fail closed on any classifier bug
            ctx.unparsed(f"Airlock failed to classify this action ({type(exc).__name__})")
            targets = [_opaque(action, f"classifier error: {type(exc).__name__}")]
        targets = _dedupe(targets)
        guards.check_targets(targets, ctx)
        _check_consumed(targets, ctx)
        assessment.targets = targets
        assessment.flags = list(ctx.flags)
        # a path under a directory Airlock could not know (the NUL marker) names no file
        assessment.inputs = [p for p in dict.fromkeys(ctx.consumed) if "\x00" not in p]
        return assessment

    def _classify(self, action: Action, ctx: ClassifyContext) -> list[Target]:
        kind = action.kind
        if kind == "shell":
            targets: list[Target] = []
            for cmd in parse_script(action.command, ctx):
                limits.check()
                targets.extend(classify_command(cmd, ctx, self.registry))
            if not action.command.strip():
                return []
            return targets
        if kind == "sql":
            locator = action.database or "unknown:"
            found, problems = classify_sql(action.command, dialect=action.dialect or
                                           "postgresql", database=action.database or "",
                                           locator=locator, tool="sql")
            for p in problems:
                ctx.unparsed(p)
            if problems and not found:
                found = [_opaque(action, "SQL Airlock cannot parse")]
            return found
        if kind == "http":
            try:
                req = parse_raw_request(action.command)
            except HttpParseError as exc:
                ctx.unparsed(str(exc))
                return [_opaque(action, "HTTP request Airlock cannot parse")]
            for _name, value in req.headers:
                found_cred = credentials.scan_word(f"{_name}: {value}")
                if found_cred:
                    ctx.flag("credential", f"raw credential literal in the request: {found_cred}")
            return classify_request(req, ctx, tool="http")
        if kind == "mcp":
            return classify_mcp(action, ctx, self.registry)
        ctx.unparsed(f"unknown action kind {kind!r}")
        return [_opaque(action, f"unknown kind {kind}")]


# An escaped NUL in JSON text (an MCP call's canonical form): ``\u0000`` after an even
# number of backslashes.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _refuse(action: Action) -> str | None:
    """Why the action is held before any parsing: too large to judge, or a NUL byte
    (the C parsers and the kernel stop at NUL, so what follows it is not what would
    run)."""
    if "\x00" in action.command or (action.kind == "mcp" and
                                    _JSON_NUL.search(action.command)):
        return "the action contains a NUL byte: what runs is not what Airlock would read"
    return limits.oversize(action.command, f"the {action.kind} action")


def _dedupe(targets: list[Target]) -> list[Target]:
    """The same verb on the same thing at the same risk is one target."""
    seen: set[tuple[str, str, str, int]] = set()
    out = []
    for t in targets:
        key = (t.verb, t.locator, t.name, int(t.risk))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def _check_consumed(targets: list[Target], ctx: ClassifyContext) -> None:
    """An action that reads a file to decide (``curl -d @q.json``) and also writes it
    (``echo … > q.json && curl -d @q.json``) was classified on content it replaces."""
    if not ctx.consumed:
        return
    written = {t.locator[5:] for t in targets
               if t.locator.startswith("path:") and t.risk >= Risk.WRITE
               and t.verb.startswith("fs.")}
    for path in ctx.consumed:
        if path in written or any(w.endswith("?") for w in written):
            ctx.unparsed(f"the action writes {os.path.basename(path)} and also reads it as "
                         "input: Airlock cannot know what it will contain")


def _opaque(action: Action, why: str) -> Target:
    return Target(kind="action", name=action.command[:80].replace("\x00", "\\0"),
                  verb=f"{action.kind}.unknown",
                  risk=Risk.DESTRUCTIVE, tool=action.kind, locator="unknown:", detail=why,
                  unresolved=True)


def user_pack(spec: dict[str, Any], builtins: dict[str, Pack]) -> Pack:
    """A pack from ``[[packs]]`` in airlock.toml. Same name as a built-in: its rules go
    in front of the built-in's (the built-in's code still runs for what they miss)."""
    where = str(spec.get("__where__", "[[packs]]"))
    known = {"name", "programs", "rules", "kind", "takes_value", "default_risk",
             "description", "__where__"}
    unknown = set(spec) - known
    if unknown:
        raise PackError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise PackError(f"{where}: a pack needs a name")
    rules_raw = spec.get("rules", [])
    if not isinstance(rules_raw, list) or not all(isinstance(r, dict) for r in rules_raw):
        raise PackError(f"{where}: rules must be an array of tables [[packs.rules]]")
    rules = tuple(rule_from_config(r, f"{where} rule #{i + 1}")
                  for i, r in enumerate(rules_raw))
    base = builtins.get(name)
    if base is not None and "programs" not in spec:
        pack = copy.copy(base)
        pack.user_rules = rules + base.user_rules
        return pack
    programs = spec.get("programs")
    if not isinstance(programs, list) or not programs or not all(
            isinstance(p, str) for p in programs):
        if base is None:
            raise PackError(f"{where}: unknown pack {name!r}: a new pack needs "
                            "programs = [\"…\"]; built-in packs are: "
                            + ", ".join(sorted(builtins)))
        raise PackError(f"{where}: programs must be a list of program names")
    takes = spec.get("takes_value", [])
    if not isinstance(takes, list) or not all(isinstance(t, str) for t in takes):
        raise PackError(f"{where}: takes_value must be a list of option names")
    default = None
    if "default_risk" in spec:
        default = rule_from_config({"verb": f"{name}.other", "risk": spec["default_risk"]},
                                   where)
    else:
        default = rule_from_config({"verb": f"{name}.other", "risk": "write"}, where)
    return Pack(name=name, programs=tuple(programs), rules=rules,
                kind=str(spec.get("kind", "resource")), takes_value=frozenset(takes),
                default=default, description=str(spec.get("description", "")))


__all__ = ["Classifier", "Word"]
