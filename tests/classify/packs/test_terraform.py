"""The terraform, tofu and terragrunt packs: verb, risk and locator of each command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand
from airlock.classify.packs.terraform import PACKS
from tests.classify.packs.support import word

_word = word


def classify(
    line: str,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
) -> list[Target]:
    cmd = SimpleCommand(
        argv=[_word(x) for x in shlex.split(line)],
        env={k: _word(v) for k, v in (env or {}).items()},
    )
    pack = next(p for p in PACKS if cmd.program in p.programs)
    ctx = ClassifyContext(cwd=str(tmp_path), home="/root", environ=dict(environ or {}))
    return pack.classify(cmd, ctx)


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


CWD = "terraform:{cwd}"

CASES = [
    # reads
    ("terraform plan", "terraform.plan", Risk.READ, CWD),
    ("terraform plan -destroy -out=tfplan", "terraform.plan", Risk.READ, CWD),
    ("terraform plan -var 'region=us-east-1' -var-file prod.tfvars", "terraform.plan",
     Risk.READ, CWD),
    ("terraform validate", "terraform.validate", Risk.READ, CWD),
    ("terraform fmt -check -recursive", "terraform.fmt", Risk.READ, CWD),
    ("terraform init -upgrade", "terraform.init", Risk.READ, CWD),
    ("terraform show -json tfplan", "terraform.show", Risk.READ, CWD),
    ("terraform output -raw db_url", "terraform.output", Risk.READ, CWD),
    ("terraform state list", "terraform.state.list", Risk.READ, CWD),
    ("terraform workspace list", "terraform.workspace.list", Risk.READ, CWD),
    ("terraform version", "terraform.version", Risk.READ, CWD),
    ("terraform providers", "terraform.providers", Risk.READ, CWD),
    ("terraform graph", "terraform.graph", Risk.READ, CWD),
    ("terraform -help", "terraform.help", Risk.READ, CWD),
    ("terraform destroy -h", "terraform.help", Risk.READ, CWD),
    ("terraform apply --help", "terraform.help", Risk.READ, CWD),
    # writes
    ("terraform apply", "terraform.apply", Risk.WRITE, CWD),
    ("terraform apply -auto-approve=false", "terraform.apply", Risk.WRITE, CWD),
    ("terraform apply -refresh-only -auto-approve", "terraform.apply.refresh-only", Risk.WRITE,
     CWD),
    ("terraform import aws_s3_bucket.b my-bucket", "terraform.import", Risk.WRITE, CWD),
    ("terraform taint aws_instance.web", "terraform.taint", Risk.WRITE, CWD),
    ("terraform workspace select prod", "terraform.workspace.select", Risk.WRITE,
     "terraform:prod"),
    ("terraform init -migrate-state", "terraform.init.migrate-state", Risk.WRITE, CWD),
    ("terraform frobnicate", "terraform.other", Risk.WRITE, CWD),
    # destructive
    ("terraform apply -auto-approve", "terraform.apply.auto-approve", Risk.DESTRUCTIVE, CWD),
    ("terraform apply --auto-approve -var x=1", "terraform.apply.auto-approve",
     Risk.DESTRUCTIVE, CWD),
    ("terraform apply tfplan", "terraform.apply.plan-file", Risk.DESTRUCTIVE, CWD),
    ("terraform state rm aws_db_instance.main", "terraform.state.rm", Risk.DESTRUCTIVE, CWD),
    ("terraform state mv a.b c.d", "terraform.state.mv", Risk.DESTRUCTIVE, CWD),
    ("terraform state push -force terraform.tfstate", "terraform.state.push", Risk.DESTRUCTIVE,
     CWD),
    ("terraform workspace delete staging", "terraform.workspace.delete", Risk.DESTRUCTIVE,
     "terraform:staging"),
    ("terraform force-unlock -force 1234-abcd", "terraform.force-unlock", Risk.DESTRUCTIVE, CWD),
    # catastrophic
    ("terraform destroy", "terraform.destroy", Risk.CATASTROPHIC, CWD),
    ("terraform destroy -auto-approve -target=aws_instance.web", "terraform.destroy",
     Risk.CATASTROPHIC, CWD),
    ("terraform apply -destroy", "terraform.apply.destroy", Risk.CATASTROPHIC, CWD),
    ("tofu destroy -auto-approve", "terraform.destroy", Risk.CATASTROPHIC, CWD),
    # global options before the command, -opt=value forms
    ("terraform -chdir=infra/prod apply -auto-approve", "terraform.apply.auto-approve",
     Risk.DESTRUCTIVE, "terraform:{cwd}/infra/prod"),
    ("terraform -chdir=/srv/infra destroy", "terraform.destroy", Risk.CATASTROPHIC,
     "terraform:/srv/infra"),
    # terragrunt
    ("terragrunt plan", "terragrunt.plan", Risk.READ, CWD),
    ("terragrunt plan --all", "terragrunt.plan", Risk.READ, CWD),
    ("terragrunt apply", "terragrunt.apply", Risk.WRITE, CWD),
    ("terragrunt run-all apply", "terragrunt.apply.auto-approve", Risk.DESTRUCTIVE, CWD),
    ("terragrunt run --all apply", "terragrunt.apply.auto-approve", Risk.DESTRUCTIVE, CWD),
    ("terragrunt run-all destroy", "terragrunt.destroy", Risk.CATASTROPHIC, CWD),
    ("terragrunt destroy-all", "terragrunt.destroy", Risk.CATASTROPHIC, CWD),
    ("terragrunt --working-dir=live/prod apply -auto-approve", "terragrunt.apply.auto-approve",
     Risk.DESTRUCTIVE, "terraform:{cwd}/live/prod"),
    ("terraform state rm -dry-run aws_db_instance.main", "terraform.state.rm", Risk.READ, CWD),
    ("terraform state mv -dry-run a b", "terraform.state.mv", Risk.READ, CWD),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    expected = locator.replace("{cwd}", str(tmp_path))
    assert (target.verb, target.risk, target.locator) == (verb, risk, expected)
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


def test_workspace_from_the_command_line_environment_is_the_base(tmp_path: Path) -> None:
    target = classify("terraform apply -auto-approve", tmp_path, env={"TF_WORKSPACE": "prod"})[0]
    assert (target.locator, target.kind, target.name) == ("terraform:prod", "workspace", "prod")
    assert str(tmp_path) in target.detail


def test_workspace_from_the_known_environment_is_the_base(tmp_path: Path) -> None:
    target = classify("terraform destroy", tmp_path, environ={"TF_WORKSPACE": "staging"})[0]
    assert target.locator == "terraform:staging"


def test_auto_approve_from_tf_cli_args_counts(tmp_path: Path) -> None:
    target = classify("terraform apply", tmp_path, env={"TF_CLI_ARGS_apply": "-auto-approve"})[0]
    assert target.risk == Risk.DESTRUCTIVE


def test_unknown_tf_cli_args_are_the_worst_case(tmp_path: Path) -> None:
    target = classify("terraform apply", tmp_path, env={"TF_CLI_ARGS": "$ARGS"})[0]
    assert target.risk == Risk.CATASTROPHIC
    assert "worst case" in target.detail


def test_targeted_resources_go_in_the_detail(tmp_path: Path) -> None:
    target = classify("terraform destroy -target=aws_instance.web -target aws_eip.ip", tmp_path)
    assert "only aws_instance.web, aws_eip.ip" in target[0].detail


def test_state_rm_names_each_address(tmp_path: Path) -> None:
    targets = classify(
        "terraform state rm module.db.aws_db_instance.main aws_s3_bucket.b", tmp_path
    )
    assert [t.name for t in targets] == ["module.db.aws_db_instance.main", "aws_s3_bucket.b"]
    assert {t.locator for t in targets} == {f"terraform:{tmp_path}"}


def test_directory_from_a_variable_is_unresolved(tmp_path: Path) -> None:
    target = classify("terraform -chdir=$DIR destroy", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC
