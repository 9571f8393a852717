"""Backup and sync tools: ``restic``, ``borg`` (BorgBackup) and ``rclone``.

A backup repository is the last copy of something: what removes snapshots from it is
destructive, whatever the retention policy says.

Risk choices:

- restic: ``forget`` (with or without ``--prune``), ``prune``, ``key remove``,
  ``rewrite --forget``, ``repair snapshots --forget`` and ``restore --delete``:
  destructive; ``--dry-run``/``-n``
  makes ``forget``/``prune`` a read. ``backup``, ``restore``, ``copy``, ``tag``,
  ``init`` are writes; ``snapshots``, ``ls``, ``check``, ``stats``, ``diff``… reads.
- borg: ``delete``, ``prune``, ``compact`` (frees what was deleted: after it nothing
  can be recovered), ``recreate`` and ``check --repair``: destructive (``-n``/
  ``--dry-run``: read); ``create``/``extract`` writes; ``list``/``info``/``diff`` reads.
- rclone: ``sync`` makes the destination identical to the source, deleting what the
  source lacks: destructive on the destination. ``delete``, ``deletefile``, ``purge``,
  ``rmdir``, ``rmdirs``, ``cleanup``, ``dedupe`` and ``bisync``: destructive;
  ``--dry-run``/``-n`` makes any of them a read. ``copy``/``mkdir`` are writes, and so
  is ``move``/``moveto`` at the destination; from a remote source they also delete the
  source files there: destructive on the source.

Locators: ``restic:repo:<repository>``, ``borg:repo:<repository[::archive]>``,
``rclone:<remote:path>``; a local path is ``path:<absolute path>`` so temp dirs and the
workspace are recognised. Credentials in repository URLs are dropped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import Options, ToolPack

_DRY = "--dry-run|-n"

_RESTIC_RULES = (
    rule("restic.help", "read", flags="--help|-h"),
    rule("restic.help", "read", "help|version|completion|generate"),
    rule("restic.{sub}", "read", "forget|prune", flags=_DRY),
    rule("restic.forget", "destructive", "forget", kind="repository",
         detail="removes snapshots (with --prune, their data too)"),
    rule("restic.prune", "destructive", "prune", kind="repository",
         detail="removes data no snapshot references"),
    rule("restic.key.remove", "destructive", "key", "remove|rm", kind="repository"),
    rule("restic.rewrite.forget", "destructive", "rewrite", flags="--forget",
         kind="repository", detail="the original snapshots are forgotten"),
    rule("restic.repair.forget", "destructive", "repair", "snapshots", flags="--forget",
         kind="repository", detail="damaged snapshots are forgotten"),
    rule("restic.restore.delete", "destructive", "restore", flags="--delete",
         target="opt:--target|-t", kind="directory", locator="path:{name}",
         detail="deletes files the snapshot does not have"),
    rule("restic.{sub}", "read", "snapshots|ls|cat|check|stats|diff|find|dump|mount|"
         "list|cache|features|options"),
    rule("restic.key.list", "read", "key", "list"),
    rule("restic.{sub}", "write", "*", kind="repository"),
)  # fmt: skip

_BORG_RULES = (
    rule("borg.help", "read", flags="--help|-h"),
    rule("borg.help", "read", "help|version|benchmark"),
    rule("borg.{sub}", "read", "delete|prune|compact|recreate|rdelete|repo-delete|"
         "repo-compact", flags=_DRY),
    rule("borg.{sub}", "destructive", "delete|rdelete|repo-delete|prune|compact|recreate|"
         "repo-compact", target="arg:0", kind="repository", locator="borg:repo:{name}",
         args="?*:*|/*|~*|.*"),
    rule("borg.{sub}", "destructive", "delete|rdelete|repo-delete|prune|compact|recreate|"
         "repo-compact", kind="repository"),
    rule("borg.check.repair", "destructive", "check", flags="--repair", kind="repository"),
    rule("borg.{sub}", "read", "list|info|diff|check|mount|umount|export-tar|rlist|rinfo|"
         "repo-list|repo-info|config|key"),
    rule("borg.{sub}", "write", "create|extract|init|rcreate|repo-create|import-tar|rename|"
         "break-lock|upgrade|transfer|tag|with-lock|serve", target="arg:0",
         kind="repository", locator="borg:repo:{name}", args="*"),
    rule("borg.{sub}", "write", "*", kind="repository"),
)  # fmt: skip

_RCLONE_RULES = (
    rule("rclone.help", "read", flags="--help|-h"),
    rule("rclone.help", "read", "help|version|listremotes|genautocomplete|completion|"
         "authorize|obscure|gendocs|selfupdate"),
    rule("rclone.{sub}", "read", "*", flags=_DRY),
    rule("rclone.sync", "destructive", "sync", target="last", kind="location",
         locator="rclone:{name}",
         detail="deletes at the destination what the source does not have"),
    rule("rclone.bisync", "destructive", "bisync", target="args", kind="location",
         locator="rclone:{name}",
         detail="propagates deletions both ways"),
    rule("rclone.{sub}", "destructive", "delete|deletefile|purge|rmdir|rmdirs|cleanup|dedupe",
         target="args", kind="location", locator="rclone:{name}"),
    rule("rclone.config.delete", "destructive", "config", "delete", target="arg:0",
         kind="remote", locator="rclone:{name}:"),
    rule("rclone.{sub}", "read", "ls|lsd|lsl|lsf|lsjson|cat|check|cryptcheck|size|tree|about|"
         "hashsum|md5sum|sha1sum|checksum|backend|link|test|config"),
    rule("rclone.{sub}", "write", "copy|copyto|move|moveto|copyurl|rcat|mkdir|touch|settier",
         target="last", kind="location", locator="rclone:{name}"),
    rule("rclone.{sub}", "write", "*", kind="location"),
)  # fmt: skip


@dataclass
class RclonePack(ToolPack):
    """rclone: a ``remote:path`` is ``rclone:remote:path``, a local path a ``path:``.
    ``move``/``moveto`` from a remote also delete there: the source is a destructive
    target beside the written destination."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        targets = super().classify(cmd, ctx)
        if (not targets or targets[0].verb not in ("rclone.move", "rclone.moveto")
                or targets[0].risk == Risk.READ):
            return targets
        positionals, options = self.split(cmd)
        if len(positionals) < 3:
            return targets
        source = positionals[1]
        if not source.dynamic and not _remote(source.text):
            return targets  # a local source: like mv, the files now live at the destination
        gone = rule(f"{targets[0].verb}.source", "destructive", "*", target="arg:0",
                    kind="location", locator="rclone:{name}",
                    detail="the source files are deleted once copied")
        return [*super().targets_for(gone, cmd, positionals, options, ctx), *targets]

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        targets = super().targets_for(rule, cmd, positionals, options, ctx)
        if rule.target not in ("args", "last") and not rule.target.startswith("arg:"):
            return targets
        for t in targets:
            if t.locator.startswith("rclone:") and t.name and not t.unresolved:
                name = t.name
                if not _remote(name) and DYNAMIC not in name:
                    t.locator = f"path:{os.path.normpath(ctx.abspath(name))}"
        return targets


def _remote(name: str) -> bool:
    """``remote:path`` (or ``:backend:path``), not a local path."""
    return ":" in name and not name.startswith(("/", ".", "~"))


@dataclass
class BorgPack(ToolPack):
    """borg: a repository named in ``REPO::ARCHIVE`` is the base when no rule names one."""

    def app(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Word | None:
        found = super().app(cmd, options, ctx)
        if found is None:
            for w in cmd.args[1:]:
                if "::" in w.text and not w.text.startswith("-"):
                    return Word(w.text.split("::")[0], w.dynamic)
        return found


_RESTIC_VALUES = flagset(
    "-r --repo --repository-file -p --password-file --password-command --cache-dir -o"
    " --option --tag --host -H --path --keep-last -l --keep-hourly --keep-daily -d"
    " --keep-weekly -w --keep-monthly -m --keep-yearly -y --keep-within --keep-tag"
    " --keep-within-hourly --keep-within-daily --keep-within-weekly --keep-within-monthly"
    " --keep-within-yearly -e --exclude --iexclude --exclude-file --files-from -t --target"
    " -i --include --limit-upload --limit-download --pack-size --compression -g --group-by"
    " --max-unused --max-repack-size --read-data-subset --key-hint --tls-client-cert"
    " --cacert --repo2 --from-repo --from-password-file --stdin-filename"
)
_BORG_VALUES = flagset(
    "-r --repo --remote-path --rsh --lock-wait --umask --keep-last --keep-secondly"
    " --keep-minutely -H --keep-hourly -d --keep-daily -w --keep-weekly -m --keep-monthly"
    " -y --keep-yearly --keep-within -a --glob-archives --match-archives -P --prefix"
    " --comment -e --exclude --exclude-from --pattern --patterns-from -C --compression"
    " --checkpoint-interval --sort-by --first --last --format --threshold --upload-ratelimit"
)
_RCLONE_VALUES = flagset(
    "--config --filter --filter-from --include --include-from --exclude --exclude-from"
    " --files-from --max-age --min-age --max-size --min-size --transfers --checkers"
    " --bwlimit --backup-dir --suffix --log-file --log-level --stats --order-by --max-delete"
    " --max-transfer --user-agent --retries --low-level-retries --timeout --contimeout"
    " --buffer-size --multi-thread-streams --compare-dest --copy-dest --track-renames-strategy"
    " --cutoff-mode --header --dedupe-mode --password-command --cache-dir --temp-dir"
    " --min-depth --max-depth --exclude-if-present --drive-chunk-size --s3-chunk-size"
    " --tpslimit --max-duration --backup-dir --workdir --conflict-resolve --conflict-loser"
)

PACKS: list[Pack] = [
    ToolPack(
        name="restic",
        programs=("restic",),
        rules=_RESTIC_RULES,
        kind="repository",
        takes_value=_RESTIC_VALUES,
        default=rule("restic.other", "write"),
        prefix="restic:repo:",
        app_options="-r|--repo",
        app_env="RESTIC_REPOSITORY",
        unknown_note="repository named in a file or not at all",
        description="restic backups",
    ),
    BorgPack(
        name="borg",
        programs=("borg", "borg2", "borgbackup"),
        rules=_BORG_RULES,
        kind="repository",
        takes_value=_BORG_VALUES,
        default=rule("borg.other", "write"),
        prefix="borg:repo:",
        app_options="-r|--repo",
        app_env="BORG_REPO",
        unknown_note="repository not named",
        description="BorgBackup",
    ),
    RclonePack(
        name="rclone",
        programs=("rclone",),
        rules=_RCLONE_RULES,
        kind="location",
        takes_value=_RCLONE_VALUES,
        default=rule("rclone.other", "write"),
        prefix="rclone:",
        unknown_note="no location named",
        description="rclone (cloud storage sync)",
    ),
]
