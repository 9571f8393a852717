"""The ``airlock`` CLI itself, as an agent might run it.

The second key belongs to a human: an agent running ``airlock approve``, ``admin``,
``token issue``, ``hook uninstall`` or ``daemon --stop`` is trying to turn it, or to take
the guard down, and is denied (``guard-tamper``) whatever credentials it may have found.
Asking questions (``check``, ``requests``, ``ledger verify``) is fine, and ``airlock exec
-- CMD`` is classified as CMD.
"""

from __future__ import annotations

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand
from airlock.classify.packs.base import Pack

READS = frozenset({"check", "requests", "scan", "packs", "policy", "config", "version",
                   "--version", "--help", "-h", "help", "snapshots", "doctor"})
HUMAN_ONLY = frozenset({"approve", "reject", "abort", "admin", "token", "secret", "hook",
                        "daemon", "serve", "purge", "restore", "undo", "ledger"})
SAFE_SUB = {"ledger": {"verify", "export"}, "hook": {"run"}}


class AirlockPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        words = [w.text for w in cmd.args]
        positionals = [w for w in words if not w.startswith("-")]
        sub = positionals[0] if positionals else (words[0] if words else "")
        second = positionals[1] if len(positionals) > 1 else ""
        if sub == "exec":
            rest = cmd.args[words.index("--") + 1 :] if "--" in words else []
            if not rest:
                ctx.unparsed("airlock exec without a command after --")
                return [self._target(ctx, "airlock.exec", Risk.DESTRUCTIVE)]
            return ctx.classify_command(cmd.with_argv(rest, "airlock-exec"))
        if sub in READS or second in SAFE_SUB.get(sub, set()) or not sub:
            return [self._target(ctx, f"airlock.{sub or 'help'}", Risk.READ)]
        # approve/reject/abort/admin/token/secret/hook install/daemon/…, and anything
        # this pack does not know: for humans only
        what = "is for humans" if sub in HUMAN_ONLY else "is not a command agents may run"
        ctx.flag("guard-tamper", f"airlock {sub} {what}: an agent may not approve, "
                 "administer or switch off Airlock")
        return [self._target(ctx, f"airlock.{sub}", Risk.DESTRUCTIVE)]

    def _target(self, ctx: ClassifyContext, verb: str, risk: Risk) -> Target:
        return Target(kind="guard", name="airlock", verb=verb, risk=risk, tool="airlock",
                      locator="airlock:", detail="Airlock itself")


PACKS: list[Pack] = [AirlockPack(name="airlock", programs=("airlock",), kind="guard",
                                 description="Airlock's own CLI")]
