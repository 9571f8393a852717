"""The iac packs: verb, risk and locator of each command (pulumi and cdk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk
from airlock.classify.packs.iac import PACKS
from tests.classify.packs.support import run_pack

R, W, D, C = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE, Risk.CATASTROPHIC

CASES = [
    ('pulumi destroy --yes', 'pulumi.destroy', C, ''),
    ('pulumi destroy -s acme/prod --yes', 'pulumi.destroy', C, 'pulumi:stack:acme/prod'),
    ('pulumi down --stack=staging -y', 'pulumi.destroy', C, 'pulumi:stack:staging'),
    ('pulumi destroy --preview-only', 'pulumi.destroy', R, 'pulumi:stack:*'),
    ('pulumi -C infra --stack staging up --yes', 'pulumi.up.yes', D, 'pulumi:stack:staging'),
    ('pulumi up --skip-preview', 'pulumi.up.yes', D, ''),
    ('pulumi stack rm dev --yes', 'pulumi.stack.rm', D, 'pulumi:stack:dev'),
    ('pulumi stack rm --force', 'pulumi.stack.rm', D, ''),
    ('pulumi state delete urn:pulumi:dev::x::aws:s3/bucket:Bucket::b',
     'pulumi.state.delete', D, ''),
    ('pulumi stack import --file state.json', 'pulumi.stack.import', D, ''),
    ('pulumi cancel', 'pulumi.cancel', D, ''),
    ('pulumi up', 'pulumi.up', W, ''),
    ('pulumi config set region us-east-1', 'pulumi.config.set', W, ''),
    ('pulumi stack init dev', 'pulumi.stack.init', W, ''),
    ('pulumi config get region', 'pulumi.config.get', R, 'pulumi:stack:*'),
    ('pulumi preview', 'pulumi.preview', R, 'pulumi:stack:*'),
    ('pulumi stack ls', 'pulumi.stack.ls', R, 'pulumi:stack:*'),
    ('pulumi stack output', 'pulumi.stack.output', R, 'pulumi:stack:*'),
    ('cdk destroy prod-api --force', 'cdk.destroy', C, 'aws:cloudformation:prod-api'),
    ('cdk destroy --all -f', 'cdk.destroy', C, ''),
    ('cdk deploy --require-approval never', 'cdk.deploy.unattended', D, ''),
    ('cdk deploy --require-approval=never prod-api',
     'cdk.deploy.unattended', D, 'aws:cloudformation:prod-api'),
    ('cdk gc', 'cdk.gc', D, ''),
    ('cdk deploy staging-api', 'cdk.deploy', W, 'aws:cloudformation:staging-api'),
    ('cdk bootstrap', 'cdk.bootstrap', W, ''),
    ('cdk diff', 'cdk.diff', R, 'aws:cloudformation:*'),
    ('cdk synth', 'cdk.synth', R, 'aws:cloudformation:*'),
    ('cdk ls', 'cdk.ls', R, 'aws:cloudformation:*'),
    ('pulumi dn --yes', 'pulumi.destroy', C, ''),
    ('pulumi down --preview-only', 'pulumi.destroy', R, 'pulumi:stack:*'),
    ('pulumi state unprotect urn:pulumi:prod::app::aws:rds/instance:Instance::db',
     'pulumi.state.unprotect', D, ''),
    ('aws-cdk destroy --all --force', 'cdk.destroy', C, ''),
]


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES)
def test_classify(line: str, verb: str, risk: Risk, locator: str, tmp_path: Path) -> None:
    targets = run_pack(PACKS, line, tmp_path)
    worst = max(targets, key=lambda t: t.risk)
    assert (worst.verb, worst.risk) == (verb, risk), targets
    if locator:
        assert worst.locator == locator.replace("{cwd}", str(tmp_path)), targets
