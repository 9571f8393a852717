"""Terraform and its kin: ``terraform``, ``tofu`` (OpenTofu) and ``terragrunt``.

Terraform's options are single-dash words (``-auto-approve``, ``-chdir=DIR``,
``-var 'k=v'``); ``--x`` is accepted as ``-x``. Arguments from ``TF_CLI_ARGS`` and
``TF_CLI_ARGS_<command>`` (on the command line or known in the environment) count as if
typed: ``TF_CLI_ARGS_apply=-auto-approve terraform apply`` is an unattended apply. When
such a variable's value is unknown, the worst is assumed (``-auto-approve -destroy``).

Risk choices:

- ``destroy`` and ``apply -destroy``: catastrophic (``-target`` narrows them, but the
  dependency graph can pull in more; the targets go in the detail).
- ``apply -auto-approve``, and ``apply PLANFILE`` (a saved plan applies without asking):
  destructive — replacements and deletions happen with no human looking at the plan.
  A plain ``apply`` shows the plan and asks: write. ``apply -refresh-only`` only
  updates the state: write.
- ``state rm|mv|push|replace-provider``, ``workspace delete`` and ``force-unlock``:
  destructive (the state is what ties real resources to the code).
- ``plan``, ``validate``, ``fmt``, ``init``, ``show``, ``output``, ``state list``,
  ``state rm|mv -dry-run``…: read.
- terragrunt's ``run-all``/``run --all``/``--all`` over ``apply`` asks once for the whole
  stack without showing any plan: destructive, like ``-auto-approve``; over ``destroy``
  (or ``destroy-all``): catastrophic.

Base locator: ``terraform:<workspace>`` when ``TF_WORKSPACE`` is set, else
``terraform:<dir>`` from ``-chdir=DIR`` (terragrunt: ``--working-dir``) or the cwd.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.classify.packs.toolpack import split_goflags

Options = dict[str, list[Word | None]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VALUES = _words(
    "-var -var-file -target -replace -out -state -state-out -backup -lock-timeout"
    " -parallelism -chdir -generate-config-out -config -from-module -backend-config"
    " -plugin-dir -exclude -filter -test-directory -provider"
    " -terragrunt-working-dir -working-dir -terragrunt-config -terragrunt-source"
    " -terragrunt-iam-role -terragrunt-include-dir -terragrunt-exclude-dir"
    " -queue-include-dir -queue-exclude-dir -iam-assume-role -source"
)
_DIR_OPTIONS = ("-chdir", "-terragrunt-working-dir", "-working-dir")


def split_tf(args: Sequence[Word]) -> tuple[list[Word], Options]:
    """Terraform-style options: ``-x``, ``--x``, ``-x=v``, ``-x v`` for value options.

    Every option with a value also appears as ``-x=value`` (lower case; ``-x=$?`` when
    unknown) so a rule can say ``without="-auto-approve=false"``.
    """
    return split_goflags(args, _VALUES)


def _env(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> Word | None:
    if name in cmd.env:
        return cmd.env[name]
    if name in ctx.environ:
        return Word(ctx.environ[name])
    return None


def _last(options: Options, names: Sequence[str]) -> Word | None:
    found = None
    for name in names:
        for v in options.get(name, []):
            if v is not None:
                found = v
    return found


_HELP = rule("{tool}.help", "read", flags="-help|-h")

_RULES = (
    _HELP,
    rule("{tool}.help", "read", "help"),
    rule("{tool}.version", "read", flags="-version|-v"),
    # destroy
    rule("{tool}.destroy", "catastrophic", "destroy", detail="destroys the managed resources"),
    rule("{tool}.apply.destroy", "catastrophic", "apply", flags="-destroy",
         without="-destroy=false", detail="destroys the managed resources"),
    # apply: who looks at the plan?
    rule("{tool}.apply.refresh-only", "write", "apply", flags="-refresh-only",
         without="-refresh-only=false", detail="updates the state only"),
    rule("{tool}.apply.plan-file", "destructive", "apply", args="*",
         detail="applies a saved plan without asking"),
    rule("{tool}.apply.auto-approve", "destructive", "apply", flags="-auto-approve",
         without="-auto-approve=false",
         detail="may replace or destroy resources with no human looking at the plan"),
    rule("{tool}.apply", "write", "apply", detail="shows the plan and asks for confirmation"),
    rule("{tool}.refresh", "write", "refresh", detail="updates the state"),
    # state
    rule("{tool}.state.{sub}", "read", "state", "rm|mv", flags="-dry-run",
         without="-dry-run=false", detail="dry run: lists what would change"),
    rule("{tool}.state.{sub}", "destructive", "state", "rm|mv|push|replace-provider",
         target="args", kind="state", locator="{base}"),
    rule("{tool}.state.{sub}", "read", "state", "list|show|pull"),
    rule("{tool}.{sub}", "write", "import|taint|untaint", target="arg:0", kind="state",
         locator="{base}"),
    rule("{tool}.force-unlock", "destructive", "force-unlock",
         detail="another run may still be writing the state"),
    # workspaces
    rule("{tool}.workspace.delete", "destructive", "workspace", "delete", target="arg:0",
         kind="workspace", locator="terraform:{name}"),
    rule("{tool}.workspace.{sub}", "write", "workspace", "new|select", target="arg:0",
         kind="workspace", locator="terraform:{name}"),
    rule("{tool}.workspace.{sub}", "read", "workspace", "list|show"),
    # reads
    rule("{tool}.init.migrate-state", "write", "init", flags="-migrate-state|-force-copy"),
    rule("{tool}.{sub}", "read",
         "plan|validate|fmt|init|show|output|version|providers|graph|console|get|metadata|"
         "modules|hclfmt|hcl|render-json|render|validate-inputs|graph-dependencies|info|"
         "find|list|dag|output-module-groups|terragrunt-info"),
    rule("{tool}.{sub}", "write", "login|logout|test"),
)  # fmt: skip


@dataclass
class TerraformPack(Pack):
    """terraform/tofu: single-dash options, ``TF_CLI_ARGS``, workspace-or-directory base."""

    def extra_args(self, cmd: SimpleCommand, ctx: ClassifyContext, sub: str) -> list[Word]:
        """Arguments Terraform takes from ``TF_CLI_ARGS`` and ``TF_CLI_ARGS_<sub>``."""
        out: list[Word] = []
        for name in ("TF_CLI_ARGS", f"TF_CLI_ARGS_{sub.replace('-', '_')}" if sub else ""):
            value = _env(cmd, ctx, name) if name else None
            if value is None:
                continue
            if value.dynamic:
                out += [Word("-auto-approve"), Word("-destroy")]  # unknown: the worst case
                continue
            try:
                out += [Word(t) for t in shlex.split(value.text)]
            except ValueError:
                ctx.unparsed(f"{name}: cannot split {value.text!r}")
        return out

    def parse(self, cmd: SimpleCommand, ctx: ClassifyContext) -> tuple[list[Word], Options]:
        positionals, options = split_tf(cmd.args)
        sub = positionals[0].text if positionals and not positionals[0].dynamic else ""
        extra = self.extra_args(cmd, ctx, sub)
        if extra:
            positionals, options = split_tf([*cmd.args, *extra])
        return positionals, options

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = self.parse(cmd, ctx)
        for r in self.all_rules():
            if r.matches(positionals, options):
                return self.targets_for(r, cmd, positionals, options, ctx)
        fallback = self.default or Rule(f"{self.name}.other", Risk.WRITE)
        return self.targets_for(fallback, cmd, positionals, options, ctx)

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        workspace = _env(cmd, ctx, "TF_WORKSPACE")
        if workspace is not None and workspace.text:
            return workspace.shown, f"terraform:{workspace.text}"
        directory = self.directory(cmd, options, ctx)
        return directory.replace(DYNAMIC, "$?"), f"terraform:{directory}"

    def directory(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> str:
        chdir = _last(options, _DIR_OPTIONS)
        return ctx.abspath(chdir.text) if chdir is not None else os.path.normpath(ctx.cwd)

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        sub = positionals[len(rule.when) - 1].text if rule.when else ""
        verb = rule.verb.replace("{tool}", self.name).replace("{sub}", sub)
        targets = super().targets_for(replace(rule, verb=verb), cmd, positionals, options, ctx)
        notes = []
        chosen = [v.shown for v in options.get("-target", []) if v is not None]
        if chosen:
            notes.append("only " + ", ".join(chosen))
        sub0 = positionals[0].text.replace("-", "_") if positionals else ""
        for name in ("TF_CLI_ARGS", f"TF_CLI_ARGS_{sub0}"):
            value = _env(cmd, ctx, name)
            if value is not None:
                notes.append(
                    f"{name} {'unknown: worst case assumed' if value.dynamic else value.text}"
                )
        if _env(cmd, ctx, "TF_WORKSPACE") is not None:
            notes.append(f"in {self.directory(cmd, options, ctx).replace(DYNAMIC, '$?')}")
        for t in targets:
            if DYNAMIC in t.locator:
                t.unresolved = True
            if notes:
                t.detail = "; ".join([t.detail, *notes] if t.detail else notes)
        return targets


@dataclass
class TerragruntPack(TerraformPack):
    """terragrunt: the terraform rules, after unwrapping ``run-all``/``run --all``."""

    def parse(self, cmd: SimpleCommand, ctx: ClassifyContext) -> tuple[list[Word], Options]:
        positionals, options = super().parse(cmd, ctx)
        every = "-all" in options
        if positionals and not positionals[0].dynamic:
            first = positionals[0].text
            if first in ("run-all", "run"):
                every = every or first == "run-all"
                positionals = positionals[1:]
            elif first.endswith("-all") and first != "run-all":
                every = True  # legacy apply-all, destroy-all, plan-all, output-all
                positionals = [Word(first[: -len("-all")]), *positionals[1:]]
        if every:
            options = {**options, "-all": [None]}
            if positionals and positionals[0].text == "apply":
                # one "are you sure" for the whole stack, no plan shown: unattended apply
                options["-auto-approve"] = [None]
        return positionals, options


PACKS: list[Pack] = [
    TerraformPack(
        name="terraform",
        programs=("terraform", "tofu"),
        rules=_RULES,
        kind="workspace",
        default=rule("terraform.other", "write"),
        description="Terraform and OpenTofu",
    ),
    TerragruntPack(
        name="terragrunt",
        programs=("terragrunt",),
        rules=_RULES,
        kind="workspace",
        default=rule("terragrunt.other", "write"),
        description="Terragrunt",
    ),
]
