"""The pack format: :class:`Pack`, :class:`Rule` and how rules match a command.

A pack is a :class:`Pack` with the program names it answers for (and the API hosts, for
a tool whose provider has an HTTP API Airlock knows) and an ordered list of :class:`Rule`
records; the first rule whose subcommand pattern and flags match a command decides its
verb, risk and target. Where data is not enough, a pack subclass overrides
:meth:`Pack.classify` (or :meth:`Pack.base_locator`) with a few lines of code. Users add
packs, or put rules in front of a built-in pack's, from ``airlock.toml`` (see
``docs/packs.md``) with exactly the same fields.

Every pack module imports this one; the list of built-in packs is in
:mod:`airlock.classify.packs`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.graphql import GraphQLField
from airlock.config import ConfigError


class PackError(ConfigError):
    """A pack definition (built-in or from config) is invalid: a configuration error."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of a pack: "this subcommand, with these flags, is this verb at this risk".

    - ``when``: patterns for the leading positional words (``("s3", "rb")``,
      ``("*", "describe-*")``); empty matches any command of the pack.
    - ``flags``: options that must all be present; ``"-f|--force"`` means either.
    - ``without``: options that must all be absent.
    - ``args``: patterns that at least one remaining positional must match (``"main|master"``).
    - ``target``: where the target's name comes from: ``"arg:N"`` (the Nth positional
      after the ``when`` words), ``"args"`` (each remaining positional), ``"opt:--x|-x"``,
      ``"const:NAME"``, or ``""`` (the pack's base target, e.g. the kube context).
    - ``locator``: how resolve sees the target; ``{name}`` and ``{base}`` are replaced.
    """

    verb: str
    risk: Risk
    when: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    target: str = ""
    kind: str = ""
    locator: str = ""
    reversible: bool = False
    detail: str = ""
    # the patterns above, compiled once (a decision tries a pack's rules in turn)
    _when: tuple[_Matcher, ...] = field(default=(), init=False, repr=False, compare=False)
    _flags: tuple[tuple[str, ...], ...] = field(default=(), init=False, repr=False,
                                                compare=False)
    _without: tuple[tuple[str, ...], ...] = field(default=(), init=False, repr=False,
                                                  compare=False)
    _args: tuple[_Matcher, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_when", tuple(_Matcher(p) for p in self.when))
        object.__setattr__(self, "_flags", tuple(tuple(f.split("|")) for f in self.flags))
        object.__setattr__(self, "_without",
                           tuple(tuple(f.split("|")) for f in self.without))
        object.__setattr__(self, "_args", tuple(_Matcher(p) for p in self.args))

    def matches(
        self, positionals: Sequence[Word], options: dict[str, list[Word | None]]
    ) -> bool:
        if len(positionals) < len(self._when):
            return False
        for matcher, word in zip(self._when, positionals, strict=False):
            if word.dynamic or not matcher(word.text):
                return False
        for alts in self._flags:
            if not any(alt in options for alt in alts):
                return False
        for alts in self._without:
            if any(alt in options for alt in alts):
                return False
        if self._args:
            rest = positionals[len(self._when) :]
            for matcher in self._args:
                if not any(w.dynamic or matcher(w.text) for w in rest):
                    return False
        return True


class _Matcher:
    """``"get|describe-*"``: true for a word any alternative matches as ``fnmatchcase``
    would — literals by set membership, globs by one compiled regex."""

    __slots__ = ("glob", "literals")

    def __init__(self, pattern: str) -> None:
        alts = pattern.split("|")
        self.literals = frozenset(a for a in alts if not _MAGIC.search(a))
        globs = [a for a in alts if _MAGIC.search(a)]
        self.glob = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match \
            if globs else None

    def __call__(self, text: str) -> bool:
        return text in self.literals or (self.glob is not None and
                                         self.glob(text) is not None)


_MAGIC = re.compile(r"[*?\[]")


@dataclass
class Pack:
    """Knowledge of one tool. Subclass and override :meth:`classify` where data is not enough."""

    name: str
    programs: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    # API hosts of the tool's provider (``backboard.railway.app``): an HTTP request to
    # one of them is this pack's to classify, see :meth:`classify_graphql`
    hosts: tuple[str, ...] = ()
    kind: str = "resource"  # default target kind
    takes_value: frozenset[str] = frozenset()  # options that consume the next word
    default: Rule | None = None  # when no rule matches; None means "read"
    description: str = ""
    user_rules: tuple[Rule, ...] = field(default=())  # rules from config, tried first

    def all_rules(self) -> tuple[Rule, ...]:
        return self.user_rules + self.rules

    def base_locator(self, cmd: SimpleCommand, options: dict[str, list[Word | None]],
                     ctx: ClassifyContext) -> tuple[str, str]:
        """(name, locator) of what the tool acts on when a rule names no target:
        for kubectl the context, for terraform the workspace. Default: the tool itself."""
        return self.name, f"{self.name}:"

    def classify_graphql(self, fields: Sequence[GraphQLField], ctx: ClassifyContext, *,
                         via: str) -> list[Target]:
        """The targets of GraphQL root fields sent to one of :attr:`hosts` (``via`` names
        the client: ``curl``, ``mcp``…). A pack that declares hosts overrides this."""
        raise NotImplementedError(f"the {self.name} pack declares hosts but cannot read "
                                  "their requests")

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, self.takes_value)
        for rule in self.all_rules():
            if rule.matches(positionals, options):
                return self.targets_for(rule, cmd, positionals, options, ctx)
        rule = self.default or Rule(verb=f"{self.name}.other", risk=Risk.READ)
        return self.targets_for(rule, cmd, positionals, options, ctx)

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: dict[str, list[Word | None]],
        ctx: ClassifyContext,
    ) -> list[Target]:
        base_name, base_loc = self.base_locator(cmd, options, ctx)
        names: list[Word] = []
        spec = rule.target
        if spec.startswith("arg:"):
            idx = len(rule.when) + int(spec[4:])
            if idx < len(positionals):
                names.append(positionals[idx])
        elif spec == "args":
            names.extend(positionals[len(rule.when) :])
        elif spec.startswith("opt:"):
            for alt in spec[4:].split("|"):
                for value in options.get(alt, []):
                    if value is not None:
                        names.append(value)
        elif spec.startswith("const:"):
            names.append(Word(spec[6:]))
        if not names:
            names = [Word(base_name)] if not spec else [Word("\x00?", dynamic=True)]
        targets = []
        for w in names:
            name = w.shown
            loc_template = rule.locator or (f"{base_loc}{{name}}" if spec else base_loc)
            locator = loc_template.replace("{name}", w.text).replace("{base}", base_loc)
            targets.append(
                Target(
                    kind=rule.kind or self.kind,
                    name=name,
                    verb=rule.verb,
                    risk=rule.risk,
                    reversible=rule.reversible,
                    tool=self.name,
                    locator=locator,
                    detail=rule.detail,
                    unresolved=w.unknown,
                )
            )
        return targets


def rule(verb: str, risk: str, *when: str, **kw: Any) -> Rule:
    """Terse constructor for pack tables: ``rule("git.push.force", "destructive", "push",
    flags=("-f|--force",))``."""
    for key in ("flags", "without", "args"):
        if key in kw and isinstance(kw[key], str):
            kw[key] = (kw[key],)
    return Rule(verb=verb, risk=Risk.parse(risk), when=tuple(when), **kw)


def rule_from_config(data: dict[str, Any], where: str) -> Rule:
    """Build a rule from a TOML table; errors name ``where`` (file and pack)."""
    known = {"verb", "risk", "when", "flags", "without", "args", "target", "kind",
             "locator", "reversible", "detail"}
    unknown = set(data) - known
    if unknown:
        raise PackError(f"{where}: unknown rule field(s) {', '.join(sorted(unknown))}")
    if "verb" not in data or "risk" not in data:
        raise PackError(f"{where}: a rule needs 'verb' and 'risk'")
    try:
        risk = Risk.parse(str(data["risk"]))
    except ValueError as exc:
        raise PackError(f"{where}: {exc}") from None

    def strs(key: str) -> tuple[str, ...]:
        value = data.get(key, ())
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise PackError(f"{where}: '{key}' must be a string or a list of strings")
        return tuple(value)

    target = str(data.get("target", ""))
    if target and not (
        target == "args" or target.startswith(("arg:", "opt:", "const:"))
    ):
        raise PackError(f"{where}: target {target!r} must be arg:N, args, opt:--x or const:NAME")
    if target.startswith("arg:") and not target[4:].isdigit():
        raise PackError(f"{where}: target {target!r}: N must be a number")
    return Rule(
        verb=str(data["verb"]),
        risk=risk,
        when=strs("when"),
        flags=strs("flags"),
        without=strs("without"),
        args=strs("args"),
        target=target,
        kind=str(data.get("kind", "")),
        locator=str(data.get("locator", "")),
        reversible=bool(data.get("reversible", False)),
        detail=str(data.get("detail", "")),
    )
