"""The az pack: verb, risk and locator of each command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand
from airlock.classify.packs.azure import PACKS
from tests.classify.packs.support import word

_word = word


def classify(line: str, tmp_path: Path) -> list[Target]:
    cmd = SimpleCommand(argv=[_word(x) for x in shlex.split(line)])
    pack = next(p for p in PACKS if cmd.program in p.programs)
    return pack.classify(cmd, ClassifyContext(cwd=str(tmp_path), home="/root"))


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


CASES = [
    # reads
    ("az vm list -g rg", "az.vm.list", Risk.READ, "azure:vm:*"),
    ("az vm show -g rg -n web1", "az.vm.show", Risk.READ, "azure:vm:*"),
    ("az account show", "az.account.show", Risk.READ, "azure:account:*"),
    ("az storage account list --query '[].name' -o tsv", "az.storage.account.list", Risk.READ,
     "azure:storage-account:*"),
    ("az keyvault secret show --vault-name kv -n s", "az.keyvault.secret.show", Risk.READ,
     "azure:keyvault-secret:*"),
    ("az group delete -n prod-rg --help", "az.help", Risk.READ, "azure:group:*"),
    ("az vm delete -h", "az.help", Risk.READ, "azure:vm:*"),
    ("az storage blob delete-batch --account-name a -s images --dryrun", "az.dryrun", Risk.READ,
     "azure:storage:*"),
    ("az deployment group create -g rg -f main.bicep --what-if", "az.dryrun", Risk.READ,
     "azure:deployment:*"),
    ("az rest --url https://management.azure.com/subscriptions", "az.rest.read", Risk.READ,
     "azure:rest:https://management.azure.com/subscriptions"),
    # writes
    ("az vm create -g rg -n web2 --image Ubuntu2204", "az.vm.create", Risk.WRITE,
     "azure:vm:web2"),
    ("az webapp update -g rg -n site --https-only true", "az.webapp.update", Risk.WRITE,
     "azure:webapp:site"),
    ("az keyvault secret set --vault-name kv -n s --value x", "az.keyvault.secret.set",
     Risk.WRITE, "azure:keyvault-secret:s"),
    ("az account set --subscription prod", "az.account.set", Risk.WRITE, "azure:account:*"),
    ("az deployment group create -g rg --template-file main.bicep", "az.deployment.group.create",
     Risk.WRITE, "azure:group:rg"),
    ("az rest -m put --url https://management.azure.com/x", "az.rest.write", Risk.WRITE,
     "azure:rest:https://management.azure.com/x"),
    ("az frobnicate", "az.other", Risk.WRITE, "azure:frobnicate:*"),
    # destructive
    ("az vm delete -g rg -n web1 --yes", "az.vm.delete", Risk.DESTRUCTIVE, "azure:vm:web1"),
    ("az storage blob delete-batch --account-name acct -s images --pattern '*.png'",
     "az.storage.blob.delete-batch", Risk.DESTRUCTIVE, "azure:storage-container:images"),
    ("az keyvault delete --name kv1", "az.keyvault.delete", Risk.DESTRUCTIVE,
     "azure:keyvault:kv1"),
    ("az webapp delete -n site -g rg", "az.webapp.delete", Risk.DESTRUCTIVE,
     "azure:webapp:site"),
    ("az network vnet subnet delete -g rg --vnet-name v -n s1",
     "az.network.vnet.subnet.delete", Risk.DESTRUCTIVE, "azure:network-vnet-subnet:s1"),
    ("az deployment group create -g rg -f main.bicep --mode Complete",
     "az.deployment.group.create.complete", Risk.DESTRUCTIVE, "azure:group:rg"),
    ("az rest --method DELETE --url https://management.azure.com/x", "az.rest.delete",
     Risk.DESTRUCTIVE, "azure:rest:https://management.azure.com/x"),
    # catastrophic
    ("az group delete --name prod-rg --yes", "az.group.delete", Risk.CATASTROPHIC,
     "azure:group:prod-rg"),
    ("az group delete -g prod-rg -y --no-wait", "az.group.delete", Risk.CATASTROPHIC,
     "azure:group:prod-rg"),
    ("az sql db delete -g rg -s sqlsrv -n orders --yes", "az.sql.db.delete", Risk.CATASTROPHIC,
     "azure:sql-db:orders"),
    ("az sql server delete -g rg -n sqlsrv", "az.sql.server.delete", Risk.CATASTROPHIC,
     "azure:sql-server:sqlsrv"),
    ("az storage account delete -n stacct -g rg", "az.storage.account.delete",
     Risk.CATASTROPHIC, "azure:storage-account:stacct"),
    ("az storage container delete --name data --account-name acct",
     "az.storage.container.delete", Risk.CATASTROPHIC, "azure:storage-container:data"),
    ("az cosmosdb delete -n cdb -g rg", "az.cosmosdb.delete", Risk.CATASTROPHIC,
     "azure:cosmosdb:cdb"),
    ("az cosmosdb sql database delete -a cdb -g rg -n appdb", "az.cosmosdb.sql.database.delete",
     Risk.CATASTROPHIC, "azure:cosmosdb-sql-database:appdb"),
    ("az keyvault purge --name kv1", "az.keyvault.purge", Risk.CATASTROPHIC,
     "azure:keyvault:kv1"),
    ("az aks delete --name prod-aks -g rg", "az.aks.delete", Risk.CATASTROPHIC,
     "azure:aks:prod-aks"),
    # global options before the command, --opt=value forms
    ("az --subscription prod --only-show-errors group delete --name=prod-rg",
     "az.group.delete", Risk.CATASTROPHIC, "azure:group:prod-rg"),
    ("az --output=json postgres flexible-server delete --resource-group=rg --name=pg1 --yes",
     "az.postgres.flexible-server.delete", Risk.CATASTROPHIC, "azure:postgres-flexible-server:pg1"),
    ("az storage blob delete-batch --source backups --account-name acme",
     "az.storage.blob.delete-batch", Risk.CATASTROPHIC, "azure:storage-container:backups"),
    ("az storage blob delete-batch -s c --account-name a --pattern 'logs/*'",
     "az.storage.blob.delete-batch", Risk.DESTRUCTIVE, "azure:storage-container:c"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    assert (target.verb, target.risk, target.locator) == (verb, risk, locator)
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


def test_resource_group_and_subscription_go_in_the_detail(tmp_path: Path) -> None:
    target = classify("az --subscription prod vm delete -g rg -n web1", tmp_path)[0]
    assert "resource group rg" in target.detail
    assert "subscription prod" in target.detail


def test_without_a_name_the_resource_group_is_the_target(tmp_path: Path) -> None:
    target = classify("az vm delete -g rg --yes", tmp_path)[0]
    assert (target.kind, target.locator, target.risk) == (
        "resource-group",
        "azure:group:rg",
        Risk.DESTRUCTIVE,
    )


def test_delete_that_names_nothing_is_unresolved(tmp_path: Path) -> None:
    target = classify("az group delete --yes", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.CATASTROPHIC


def test_variable_name_is_unresolved(tmp_path: Path) -> None:
    target = classify("az sql db delete -g rg -s srv -n $DB", tmp_path)[0]
    assert target.unresolved


def test_method_from_a_variable_is_the_worst_case(tmp_path: Path) -> None:
    target = classify("az rest --method $M --url https://management.azure.com/x", tmp_path)[0]
    assert target.risk == Risk.DESTRUCTIVE


def test_deployment_mode_from_a_variable_is_the_worst_case(tmp_path: Path) -> None:
    target = classify("az deployment group create -g rg -f t.json --mode $MODE", tmp_path)[0]
    assert target.risk == Risk.DESTRUCTIVE
