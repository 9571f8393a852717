"""The backups packs: verb, risk and locator of each command (restic, borg and rclone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.backups import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('restic -r s3:s3.amazonaws.com/acme-prod-backups forget --keep-last 7 --prune',
     'restic.forget', D, 'restic:repo:s3:s3.amazonaws.com/acme-prod-backups'),
    ('restic forget abc123', 'restic.forget', D, ''),
    ('restic prune', 'restic.prune', D, ''),
    ('restic --repo=/mnt/b key remove abc', 'restic.key.remove', D, 'restic:repo:/mnt/b'),
    ('restic restore latest --target /srv --delete', 'restic.restore.delete', D, 'path:/srv'),
    ('restic forget --dry-run --keep-daily 7', 'restic.forget', R, 'restic:repo:*'),
    ('restic prune -n', 'restic.prune', R, 'restic:repo:*'),
    ('restic snapshots', 'restic.snapshots', R, 'restic:repo:*'),
    ('restic check', 'restic.check', R, 'restic:repo:*'),
    ('restic backup /srv', 'restic.backup', W, ''),
    ('restic init', 'restic.init', W, ''),
    ('borg delete /backups/repo::archive-2024',
     'borg.delete', D, 'borg:repo:/backups/repo::archive-2024'),
    ('borg prune --keep-daily 7 /backups/repo', 'borg.prune', D, 'borg:repo:/backups/repo'),
    ('borg compact /backups/repo', 'borg.compact', D, 'borg:repo:/backups/repo'),
    ("borg recreate --exclude '*.log' /backups/repo",
     'borg.recreate', D, 'borg:repo:/backups/repo'),
    ('borg check --repair /backups/repo', 'borg.check.repair', D, ''),
    ('borg delete --dry-run /backups/repo::x', 'borg.delete', R, 'borg:repo:/backups/repo'),
    ('borg list /backups/repo', 'borg.list', R, 'borg:repo:*'),
    ('borg info /backups/repo', 'borg.info', R, 'borg:repo:*'),
    ('borg create /backups/repo::x /srv', 'borg.create', W, 'borg:repo:/backups/repo::x'),
    ('borg extract /backups/repo::x', 'borg.extract', W, 'borg:repo:/backups/repo::x'),
    ('rclone sync ./dist s3remote:acme-prod-web',
     'rclone.sync', D, 'rclone:s3remote:acme-prod-web'),
    ('rclone sync --drive-chunk-size 64M src: dst:path', 'rclone.sync', D, 'rclone:dst:path'),
    ('rclone --config /tmp/rc.conf purge gdrive:old', 'rclone.purge', D, 'rclone:gdrive:old'),
    ('rclone deletefile b2:bucket/file.txt', 'rclone.deletefile', D, 'rclone:b2:bucket/file.txt'),
    ('rclone delete remote:logs --min-age 30d', 'rclone.delete', D, 'rclone:remote:logs'),
    ('rclone rmdirs remote:empty', 'rclone.rmdirs', D, 'rclone:remote:empty'),
    ('rclone cleanup remote:', 'rclone.cleanup', D, 'rclone:remote:'),
    ('rclone dedupe --dedupe-mode newest remote:dir', 'rclone.dedupe', D, 'rclone:remote:dir'),
    ('rclone bisync a: b:', 'rclone.bisync', D, 'rclone:a:'),
    ('rclone sync --dry-run ./dist s3remote:x', 'rclone.sync', R, 'rclone:*'),
    ('rclone ls s3remote:bucket', 'rclone.ls', R, 'rclone:*'),
    ('rclone lsjson remote:', 'rclone.lsjson', R, 'rclone:*'),
    ('rclone size remote:bucket', 'rclone.size', R, 'rclone:*'),
    ('rclone copy ./a s3remote:bucket', 'rclone.copy', W, 'rclone:s3remote:bucket'),
    # a move from a remote deletes there; from a local path it is like mv
    ('rclone move a: b:', 'rclone.move.source', D, 'rclone:a:'),
    ('rclone moveto remote:a.txt remote:b.txt', 'rclone.moveto.source', D,
     'rclone:remote:a.txt'),
    ('rclone move ./a s3remote:bucket', 'rclone.move', W, 'rclone:s3remote:bucket'),
    ('rclone move -n a: b:', 'rclone.move', R, ''),
    ('restic repair snapshots --forget', 'restic.repair.forget', D, ''),
    ('restic repair index', 'restic.repair', W, ''),
    ('rclone mkdir remote:new', 'rclone.mkdir', W, 'rclone:remote:new'),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets
