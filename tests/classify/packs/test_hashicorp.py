"""The hashicorp packs: verb, risk and locator of each command (vault, consul and nomad)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.hashicorp import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('vault kv delete secret/app/db', 'vault.kv.delete', D, 'vault:127.0.0.1:8200/secret/app/db'),
    ('vault kv destroy -versions=1,2 -mount=secret app/db',
     'vault.kv.destroy', D, 'vault:127.0.0.1:8200/app/db'),
    ('vault kv metadata delete -mount=secret app/db',
     'vault.kv.metadata.delete', D, 'vault:127.0.0.1:8200/app/db'),
    ('vault -namespace=admin secrets disable kv/',
     'vault.secrets.disable', D, 'vault:127.0.0.1:8200/kv/'),
    ('vault secrets disable -address=https://vault.prod:8200 secret/',
     'vault.secrets.disable', D, 'vault:vault.prod:8200/secret/'),
    ('vault policy delete deploy',
     'vault.policy.delete', D, 'vault:127.0.0.1:8200/sys/policy/deploy'),
    ('vault token revoke -self', 'vault.token.revoke', D, 'vault:127.0.0.1:8200'),
    ('vault lease revoke -prefix aws/creds',
     'vault.lease.revoke', D, 'vault:127.0.0.1:8200/aws/creds'),
    ('vault delete secret/foo', 'vault.delete', D, 'vault:127.0.0.1:8200/secret/foo'),
    ('vault auth disable userpass/', 'vault.auth.disable', D, 'vault:127.0.0.1:8200/userpass/'),
    ('vault operator seal', 'vault.operator.seal', D, 'vault:127.0.0.1:8200'),
    ('vault kv get secret/app', 'vault.kv.get', R, 'vault:127.0.0.1:8200/secret/app'),
    ('vault kv list secret/', 'vault.kv.list', R, 'vault:127.0.0.1:8200/secret/'),
    ('vault read sys/mounts', 'vault.read', R, 'vault:127.0.0.1:8200/sys/mounts'),
    ('vault status', 'vault.status', R, 'vault:127.0.0.1:8200'),
    ('vault policy list', 'vault.policy.list', R, 'vault:127.0.0.1:8200'),
    ('vault kv put secret/app key=value', 'vault.kv.put', W, 'vault:127.0.0.1:8200/secret/app'),
    ('vault write auth/approle/role/x policies=y',
     'vault.write', W, 'vault:127.0.0.1:8200/auth/approle/role/x'),
    ('vault secrets enable -path=kv kv-v2', 'vault.secrets.enable', W, 'vault:127.0.0.1:8200'),
    ('consul kv delete -recurse app/',
     'consul.kv.delete.recurse', D, 'consul:127.0.0.1:8500/kv/app/'),
    ('consul kv delete app/x', 'consul.kv.delete', D, 'consul:127.0.0.1:8500/kv/app/x'),
    ('consul services deregister -id=web-1',
     'consul.services.deregister', D, 'consul:127.0.0.1:8500/service/web-1'),
    ('consul acl policy delete -name ops', 'consul.acl.policy.delete', D, 'consul:127.0.0.1:8500'),
    ('consul acl token delete -accessor-id 1',
     'consul.acl.token.delete', D, 'consul:127.0.0.1:8500'),
    ('consul leave', 'consul.leave', D, 'consul:127.0.0.1:8500'),
    ('consul snapshot restore backup.snap', 'consul.snapshot.restore', D, 'consul:127.0.0.1:8500'),
    ('consul kv get app/x', 'consul.kv.get', R, 'consul:127.0.0.1:8500/kv/app/x'),
    ('consul members', 'consul.help', R, 'consul:127.0.0.1:8500'),
    ('consul catalog services', 'consul.help', R, 'consul:127.0.0.1:8500'),
    ('consul kv put app/x 1', 'consul.kv.put', W, 'consul:127.0.0.1:8500/kv/app/x'),
    ('nomad job stop -purge web', 'nomad.job.stop.purge', D, 'nomad:127.0.0.1:4646/job/web'),
    ('nomad job stop web', 'nomad.job.stop', D, 'nomad:127.0.0.1:4646/job/web'),
    ('nomad stop -purge web', 'nomad.stop.purge', D, 'nomad:127.0.0.1:4646/job/web'),
    ('nomad system gc', 'nomad.system.gc', D, 'nomad:127.0.0.1:4646'),
    ('nomad namespace delete dev',
     'nomad.namespace.delete', D, 'nomad:127.0.0.1:4646/namespace/dev'),
    ('nomad volume delete vol1', 'nomad.volume.delete', D, 'nomad:127.0.0.1:4646/volume/vol1'),
    ('nomad node drain -enable -yes abc', 'nomad.node.drain', D, 'nomad:127.0.0.1:4646'),
    ('nomad var purge nomad/jobs/x',
     'nomad.var.purge', D, 'nomad:127.0.0.1:4646/var/nomad/jobs/x'),
    ('nomad job status web', 'nomad.job.status', R, 'nomad:127.0.0.1:4646'),
    ('nomad status', 'nomad.help', R, 'nomad:127.0.0.1:4646'),
    ('nomad job plan web.nomad', 'nomad.job.plan', R, 'nomad:127.0.0.1:4646'),
    ('nomad job run web.nomad', 'nomad.job.run', W, 'nomad:127.0.0.1:4646/job/web.nomad'),
    ('nomad run web.nomad', 'nomad.run', W, 'nomad:127.0.0.1:4646/job/web.nomad'),
    ('vault operator step-down', 'vault.operator.step-down', D, 'vault:127.0.0.1:8200'),
    # the API paths the named commands use, through write
    ('vault write -force sys/revoke-prefix/aws/', 'vault.write.destroy', D,
     'vault:127.0.0.1:8200/sys/revoke-prefix/aws/'),
    ('vault write secret/destroy/app/db versions=1', 'vault.write.destroy', D,
     'vault:127.0.0.1:8200/secret/destroy/app/db'),
    ('vault write secret/data/app/db value=1', 'vault.write', W,
     'vault:127.0.0.1:8200/secret/data/app/db'),
    ('nomad operator raft remove-peer -peer-address=10.0.0.5:4647',
     'nomad.operator.raft.remove-peer', D, 'nomad:127.0.0.1:4646'),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets
