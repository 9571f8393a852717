"""The aws pack: verb, risk and locator of each command, and what goes in the detail."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.packs.aws import PACKS
from tests.classify.packs.support import run_pack, word

_word = word


def classify(line: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[Target]:
    return run_pack(PACKS, line, tmp_path, env)


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


CASES = [
    # reads
    ("aws s3 ls", "aws.s3.ls", Risk.READ, "aws:s3:*"),
    ("aws s3 ls s3://logs/2024/", "aws.s3.ls", Risk.READ, "aws:s3:logs"),
    ("aws sts get-caller-identity", "aws.sts.get-caller-identity", Risk.READ, "aws:sts:*"),
    ("aws configure list", "aws.configure.read", Risk.READ, "aws:configure:*"),
    ("aws ec2 describe-instances --filters Name=tag:env,Values=prod", "aws.ec2.describe-instances",
     Risk.READ, "aws:ec2:*"),
    ("aws rds describe-db-instances --db-instance-identifier mydb",
     "aws.rds.describe-db-instances", Risk.READ, "aws:rds:mydb"),
    ("aws dynamodb scan --table-name Orders", "aws.dynamodb.read", Risk.READ,
     "aws:dynamodb:Orders"),
    ("aws logs tail /aws/lambda/fn --follow", "aws.logs.tail", Risk.READ, "aws:logs:*"),
    ("aws ec2 terminate-instances --instance-ids i-0abc --dry-run", "aws.dryrun", Risk.READ,
     "aws:ec2:*"),
    ("aws s3 sync ./site s3://www --delete --dryrun", "aws.dryrun", Risk.READ, "aws:s3:*"),
    ("aws --version", "aws.version", Risk.READ, "aws:*"),
    # help, in every form
    ("aws help", "aws.help", Risk.READ, "aws:help:*"),
    ("aws s3 rb help", "aws.help", Risk.READ, "aws:s3:*"),
    ("aws s3 rb s3://x --force --help", "aws.help", Risk.READ, "aws:s3:*"),
    # writes
    ("aws s3 cp --acl private report.csv s3://b/reports/r.csv", "aws.s3.cp", Risk.WRITE,
     "aws:s3:b"),
    ("aws s3 mv s3://b/a s3://b/archive/a", "aws.s3.mv", Risk.WRITE, "aws:s3:b"),
    ("aws s3 mb s3://newbucket --region eu-west-1", "aws.s3.mb", Risk.WRITE, "aws:s3:newbucket"),
    ("aws ec2 create-vpc --cidr-block 10.0.0.0/16", "aws.ec2.create-vpc", Risk.WRITE, "aws:ec2:*"),
    ("aws lambda update-function-code --function-name fn --zip-file fileb://f.zip",
     "aws.lambda.update-function-code", Risk.WRITE, "aws:lambda:fn"),
    ("aws ec2 stop-instances --instance-ids i-1", "aws.ec2.stop-instances", Risk.WRITE,
     "aws:ec2:i-1"),
    ("aws ssm frobnicate --thing x", "aws.ssm.frobnicate", Risk.WRITE, "aws:ssm:*"),
    ("aws rds-data execute-statement --sql 'DROP TABLE t' --resource-arn arn:x",
     "aws.rds-data.sql", Risk.WRITE, "aws:rds-data:*"),
    # destructive
    ("aws s3 rb s3://x", "aws.s3.rb", Risk.DESTRUCTIVE, "aws:s3:x"),
    ("aws s3 rm s3://b/logs/ --recursive", "aws.s3.rm.recursive", Risk.DESTRUCTIVE, "aws:s3:b"),
    ("aws s3 rm s3://b/a.txt", "aws.s3.rm", Risk.DESTRUCTIVE, "aws:s3:b"),
    ("aws s3 sync ./build s3://site --delete", "aws.s3.sync.delete", Risk.DESTRUCTIVE,
     "aws:s3:site"),
    ("aws s3api delete-bucket --bucket b", "aws.s3api.delete-bucket", Risk.DESTRUCTIVE,
     "aws:s3:b"),
    ("aws s3api delete-objects --bucket b --delete file://keys.json", "aws.s3api.delete-object",
     Risk.DESTRUCTIVE, "aws:s3:b"),
    ("aws rds delete-db-snapshot --db-snapshot-identifier snap1", "aws.rds.delete-snapshot",
     Risk.DESTRUCTIVE, "aws:rds:snap1"),
    ("aws ec2 delete-volume --volume-id vol-1", "aws.ec2.delete-volume", Risk.DESTRUCTIVE,
     "aws:ec2:vol-1"),
    ("aws ec2 delete-snapshot --snapshot-id snap-1", "aws.ec2.delete-snapshot",
     Risk.DESTRUCTIVE, "aws:ec2:snap-1"),
    ("aws iam delete-role --role-name deployer", "aws.iam.delete-role", Risk.DESTRUCTIVE,
     "aws:iam:deployer"),
    ("aws lambda delete-function --function-name fn", "aws.lambda.delete-function",
     Risk.DESTRUCTIVE, "aws:lambda:fn"),
    ("aws secretsmanager delete-secret --secret-id db-pass", "aws.secretsmanager.delete-secret",
     Risk.DESTRUCTIVE, "aws:secretsmanager:db-pass"),
    ("aws route53 delete-hosted-zone --id Z123", "aws.route53.delete-hosted-zone",
     Risk.DESTRUCTIVE, "aws:route53:Z123"),
    ("aws logs delete-log-group --log-group-name app", "aws.logs.delete-log-group",
     Risk.DESTRUCTIVE, "aws:logs:app"),
    ("aws elasticache delete-replication-group --replication-group-id cache1",
     "aws.elasticache.delete-replication-group", Risk.DESTRUCTIVE, "aws:elasticache:cache1"),
    ("aws sqs delete-queue --queue-url https://sqs/q", "aws.sqs.delete-queue", Risk.DESTRUCTIVE,
     "aws:sqs:https://sqs/q"),
    # catastrophic
    ("aws s3 rb s3://x --force", "aws.s3.rb.force", Risk.CATASTROPHIC, "aws:s3:x"),
    ("aws s3 rm s3://b --recursive", "aws.s3.rm.bucket", Risk.CATASTROPHIC, "aws:s3:b"),
    ("aws s3 rm s3://b/ --recursive", "aws.s3.rm.bucket", Risk.CATASTROPHIC, "aws:s3:b"),
    ("aws rds delete-db-instance --db-instance-identifier mydb --skip-final-snapshot",
     "aws.rds.delete-db-instance", Risk.CATASTROPHIC, "aws:rds:mydb"),
    ("aws rds delete-db-cluster --db-cluster-identifier c1", "aws.rds.delete-db-cluster",
     Risk.CATASTROPHIC, "aws:rds:c1"),
    ("aws ec2 terminate-instances --instance-ids i-0abc", "aws.ec2.terminate-instances",
     Risk.CATASTROPHIC, "aws:ec2:i-0abc"),
    ("aws dynamodb delete-table --table-name Table", "aws.dynamodb.delete-table",
     Risk.CATASTROPHIC, "aws:dynamodb:Table"),
    ("aws cloudformation delete-stack --stack-name stack", "aws.cloudformation.delete-stack",
     Risk.CATASTROPHIC, "aws:cloudformation:stack"),
    ("aws eks delete-cluster --name prod", "aws.eks.delete-cluster", Risk.CATASTROPHIC,
     "aws:eks:prod"),
    ("aws kms schedule-key-deletion --key-id k1 --pending-window-in-days 7",
     "aws.kms.schedule-key-deletion", Risk.CATASTROPHIC, "aws:kms:k1"),
    ("aws secretsmanager delete-secret --secret-id s --force-delete-without-recovery",
     "aws.secretsmanager.delete-secret.force", Risk.CATASTROPHIC, "aws:secretsmanager:s"),
    ("aws efs delete-file-system --file-system-id fs-1", "aws.efs.delete-file-system",
     Risk.CATASTROPHIC, "aws:efs:fs-1"),
    # global options before the subcommand, --opt=value forms
    ("aws --profile prod s3 rb s3://x", "aws.s3.rb", Risk.DESTRUCTIVE, "aws:s3:x"),
    ("aws --region=us-east-1 --output json rds delete-db-instance --db-instance-identifier=db2",
     "aws.rds.delete-db-instance", Risk.CATASTROPHIC, "aws:rds:db2"),
    ("aws --endpoint-url http://localhost:4566 --query 'Buckets[]' s3 rm s3://b --recursive",
     "aws.s3.rm.bucket", Risk.CATASTROPHIC, "aws:s3:b"),
    # a move out of a bucket deletes there; a rename inside one does not
    ("aws s3 mv s3://a/x s3://b/x", "aws.s3.mv.source", Risk.DESTRUCTIVE, "aws:s3:a"),
    ("aws s3 mv s3://a/x build/x", "aws.s3.mv.source", Risk.DESTRUCTIVE, "aws:s3:a"),
    ("aws s3 mv build/x s3://a/x", "aws.s3.mv", Risk.WRITE, "aws:s3:a"),
    ("aws rds modify-db-instance --db-instance-identifier prod-db --no-deletion-protection",
     "aws.rds.modify-db-instance.unprotect", Risk.DESTRUCTIVE, "aws:rds:prod-db"),
    ("aws s3api put-bucket-lifecycle-configuration --bucket b --lifecycle-configuration "
     "file://l.json", "aws.s3api.put-bucket-lifecycle", Risk.DESTRUCTIVE, "aws:s3:b"),
    ("aws dynamodb update-table --table-name t --no-deletion-protection-enabled",
     "aws.dynamodb.update-table.unprotect", Risk.DESTRUCTIVE, "aws:dynamodb:t"),
    ("aws rds modify-db-instance --db-instance-identifier prod-db --deletion-protection",
     "aws.rds.modify-db-instance", Risk.WRITE, "aws:rds:prod-db"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    assert (target.verb, target.risk, target.locator) == (verb, risk, locator)
    assert target.tool == "aws"
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


def test_list_parameter_targets_every_instance(tmp_path: Path) -> None:
    targets = classify("aws ec2 terminate-instances --instance-ids i-1 i-2 --region eu-west-1",
                       tmp_path)  # fmt: skip
    assert [t.locator for t in targets] == ["aws:ec2:i-1", "aws:ec2:i-2"]
    assert all(t.kind == "instance" for t in targets)


def test_profile_and_region_go_in_the_detail(tmp_path: Path) -> None:
    target = classify("aws --profile prod --region eu-west-1 s3 rb s3://x", tmp_path)[0]
    assert "profile prod" in target.detail
    assert "region eu-west-1" in target.detail


def test_profile_from_the_environment_goes_in_the_detail(tmp_path: Path) -> None:
    target = classify("aws dynamodb delete-table --table-name T", tmp_path, {"AWS_PROFILE": "p1"})
    assert "profile p1" in target[0].detail


def test_bucket_name_comes_from_the_url(tmp_path: Path) -> None:
    target = classify("aws s3 rm s3://my-bucket/prefix/key.txt", tmp_path)[0]
    assert target.locator == "aws:s3:my-bucket"
    assert target.name == "s3://my-bucket/prefix/key.txt"
    assert target.kind == "object"


def test_sync_into_a_local_directory_targets_the_directory(tmp_path: Path) -> None:
    target = classify("aws s3 sync s3://b ./mirror --delete", tmp_path)[0]
    assert target.risk == Risk.DESTRUCTIVE
    assert target.kind == "path"
    assert target.locator == str(tmp_path / "mirror")


def test_variable_bucket_is_unresolved_and_worst_case(tmp_path: Path) -> None:
    target = classify("aws s3 rm $URL --recursive", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_delete_without_its_identifier_is_unresolved(tmp_path: Path) -> None:
    target = classify("aws rds delete-db-instance --skip-final-snapshot", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_a_local_file_named_help_is_not_a_help_request(tmp_path: Path) -> None:
    target = classify("aws s3 sync help s3://b --delete", tmp_path)[0]
    assert target.risk == Risk.DESTRUCTIVE
