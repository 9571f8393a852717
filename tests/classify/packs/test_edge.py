"""The edge packs: verb, risk and locator of each command (wrangler and firebase)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.edge import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('wrangler d1 delete prod-db', 'wrangler.d1.delete', D, 'cloudflare:d1:prod-db'),
    ('wrangler d1 execute prod-db --remote --command="DROP TABLE users"',
     'sql.drop_table', D, 'cloudflare:d1:prod-db'),
    ('wrangler d1 execute dev-db --local --command "DELETE FROM sessions"',
     'sql.delete_all_rows', D, 'cloudflare:local'),
    ('wrangler d1 time-travel restore prod-db --timestamp 1700000000',
     'wrangler.d1.time-travel.restore', D, 'cloudflare:d1:prod-db'),
    ('wrangler kv namespace delete --namespace-id=abc123',
     'wrangler.kv.namespace.delete', D, 'cloudflare:kv:abc123'),
    ('wrangler kv:namespace delete --binding SESSIONS',
     'wrangler.kv.namespace.delete', D, 'cloudflare:kv:SESSIONS'),
    ('wrangler kv key delete session:42 --binding=SESSIONS',
     'wrangler.kv.key.delete', D, 'cloudflare:kv:session:42'),
    ('wrangler r2 bucket delete acme-assets',
     'wrangler.r2.bucket.delete', D, 'cloudflare:r2:acme-assets'),
    ('wrangler r2 object delete acme-assets/logo.png',
     'wrangler.r2.object.delete', D, 'cloudflare:r2:acme-assets/logo.png'),
    ('wrangler queues delete jobs', 'wrangler.queues.delete', D, 'cloudflare:queues:jobs'),
    ('wrangler pages project delete site',
     'wrangler.pages.project.delete', D, 'cloudflare:pages:site'),
    ('wrangler secret delete API_KEY', 'wrangler.secret.delete', D, 'cloudflare:secret:API_KEY'),
    ('wrangler delete', 'wrangler.delete', D, ''),
    ('wrangler delete my-worker', 'wrangler.delete', D, 'cloudflare:worker:my-worker'),
    ('wrangler d1 execute prod-db --remote --command "SELECT * FROM users"',
     'sql.select', R, 'cloudflare:d1:prod-db'),
    ('wrangler tail', 'wrangler.tail', R, 'cloudflare:worker:*'),
    ('wrangler d1 list', 'wrangler.d1.list', R, 'cloudflare:worker:*'),
    ('wrangler kv key list --binding=SESSIONS', 'wrangler.kv.key.list', R, 'cloudflare:worker:*'),
    ('wrangler whoami', 'wrangler.whoami', R, 'cloudflare:worker:*'),
    ('wrangler deploy', 'wrangler.deploy', W, ''),
    ('wrangler secret put API_KEY', 'wrangler.secret.put', W, ''),
    ('wrangler d1 migrations apply prod-db --remote', 'wrangler.d1.migrations', W, ''),
    ('firebase firestore:delete users --recursive --project acme-prod',
     'firebase.firestore.delete', D, 'firebase:project:acme-prod/firestore/users'),
    ('firebase database:remove /users -P acme-prod',
     'firebase.database.remove', D, 'firebase:project:acme-prod/database//users'),
    ('firebase database:set /config data.json',
     'firebase.database.set', D, 'firebase:database:/config'),
    ('firebase hosting:disable', 'firebase.hosting.disable', D, ''),
    ('firebase functions:delete sendEmail --region us-central1',
     'firebase.functions.delete', D, 'firebase:function:sendEmail'),
    ('firebase hosting:channel:delete preview',
     'firebase.hosting.channel.delete', D, 'firebase:hosting:channel:delete:preview'),
    ('firebase deploy --force', 'firebase.deploy.force', D, ''),
    ('firebase projects:list', 'firebase.projects.list', R, 'firebase:project:*'),
    ('firebase functions:log', 'firebase.functions.log', R, 'firebase:project:*'),
    ('firebase hosting:channel:list', 'firebase.hosting.channel.list', R, 'firebase:project:*'),
    ('firebase deploy --only hosting', 'firebase.deploy', W, ''),
    ('firebase database:update /x data.json', 'firebase.database.update', W, ''),
    ('firebase firestore:delete --all-collections --project acme-prod --force',
     'firebase.firestore.delete.all', C, 'firebase:project:acme-prod/firestore/*'),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets
