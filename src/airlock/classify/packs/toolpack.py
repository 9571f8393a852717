"""The shape most single-tool packs share: :class:`ToolPack`.

A tool acts on one thing named by an option or an environment variable (a repository
``-R owner/repo``, a Vault address, a backup repository, a database URL); its commands
are subcommand words matched by the rule tables. :class:`ToolPack` is
:class:`~airlock.classify.packs.cloud_paas.AppPack` (``{sub}`` in verbs, ``{app}`` and
``{base}`` in locators, unknown base → unresolved for writes, ``<prefix>*`` for reads)
with three additions:

- ``goflags``: Go-style options (``-address=X``, ``-mount secret``, ``--x`` = ``-x``)
  for the HashiCorp tools, Flyway and Liquibase. With it, rules name options with one
  dash.
- ``target="last"`` names the last positional (``rclone sync SRC DST``: the
  destination), whatever options with unknown values stand before it.
- ``kind="{kind}"`` is the first command word (``gh label delete`` → ``label``), and
  ``{group}`` in a locator is that word too.
- A base that is a URL loses its credentials and a ``jdbc:`` prefix
  (``jdbc:postgresql://u:p@db/app`` → ``postgresql://db/app``), so resolve matches the
  host like any other database URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Rule
from airlock.classify.packs.cloud_paas import AppPack
from airlock.classify.packs.gcloud import split_args, with_values

Options = dict[str, list[Word | None]]


def split_goflags(args: Sequence[Word], takes_value: frozenset[str]) -> tuple[list[Word], Options]:
    """Go's flag package: ``-x``, ``--x``, ``-x=v``, ``-x v`` (for ``takes_value``); no
    clusters. Option names come out with one dash."""
    positionals: list[Word] = []
    options: Options = {}
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if t == "--":
            positionals.extend(args[i + 1 :])
            break
        name, eq, value = t.partition("=")
        if t.startswith("-") and len(t) > 1 and DYNAMIC not in name:
            name = "-" + name.lstrip("-")
            if eq:
                options.setdefault(name, []).append(Word(value, DYNAMIC in value, w.glob))
            elif name in takes_value and i + 1 < len(args):
                options.setdefault(name, []).append(args[i + 1])
                i += 1
            else:
                options.setdefault(name, []).append(None)
        else:
            positionals.append(w)
        i += 1
    return positionals, with_values(options)


def clean_url(text: str) -> str:
    """A URL without credentials or ``jdbc:`` prefix; other text unchanged."""
    if text.startswith("jdbc:"):
        text = text[5:]
    text = re.sub(r"//[^/@]*@", "//", text)
    return re.sub(r"([?&;])(password|pass|pwd|user|username)=[^&;]*", r"\1", text, flags=re.I)


@dataclass
class ToolPack(AppPack):
    """A tool acting on one base (``app_options``/``app_env``): see the module doc."""

    goflags: bool = False

    def split(self, cmd: SimpleCommand) -> tuple[list[Word], Options]:
        if self.goflags:
            return split_goflags(cmd.args, self.takes_value)
        return split_args(cmd.args, self.takes_value)

    def app(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Word | None:
        found = super().app(cmd, options, ctx)
        if found is not None and ("://" in found.text or found.text.startswith("jdbc:")):
            found = Word(clean_url(found.text), found.dynamic, found.glob)
        return found

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = self.split(cmd)
        for r in self.all_rules():
            if r.matches(positionals, options):
                return self.targets_for(r, cmd, positionals, options, ctx)
        fallback = self.default or Rule(f"{self.name}.other", Risk.WRITE)
        return self.targets_for(fallback, cmd, positionals, options, ctx)

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        group = positionals[0].text if rule.when and positionals else ""
        if rule.kind == "{kind}":
            rule = replace(rule, kind=group or self.kind)
        if "{group}" in rule.locator:
            rule = replace(rule, locator=rule.locator.replace("{group}", group))
        if rule.target == "last":
            extra = len(positionals) - len(rule.when)
            rule = replace(rule, target=f"arg:{max(extra - 1, 0)}")
        return super().targets_for(rule, cmd, positionals, options, ctx)


def value_of(options: Options, names: str) -> str | None:
    """The last static value of any of ``names``; None when absent or unknown."""
    found: str | None = None
    for name in names.split("|"):
        for v in options.get(name, []):
            if v is not None:
                found = None if v.dynamic else v.text
    return found
