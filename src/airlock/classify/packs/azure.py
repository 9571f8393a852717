"""Azure CLI: ``az``.

``az`` commands are a group path, a command word and ``--options`` (``az sql db delete
-g rg -s server -n db``), the shape :class:`~airlock.classify.packs.gcloud.TreePack`
handles: the rules below name the commands whose risk differs from their command word,
and ``delete``/``purge`` → destructive, ``list``/``show`` → read, ``create``/``update``/
``set`` → write cover the rest.

Risk choices:

- Deleting a resource group deletes every resource in it: catastrophic. So is deleting a
  SQL, PostgreSQL, MySQL or Cosmos DB server/database, a storage account, an AKS cluster.
- Deleting a blob container, file share or data-lake filesystem deletes everything in
  it: catastrophic, like ``aws s3 rb --force``. ``storage blob delete-batch`` is
  destructive with a ``--pattern`` of blobs, catastrophic without one (every blob of
  the container); with ``--dryrun`` it only lists them: read.
- ``keyvault delete`` soft-deletes (recoverable until purged): destructive.
  ``keyvault purge`` and ``keyvault key purge`` are final, and data encrypted under a
  purged key is unreadable: catastrophic.
- ``deployment group create --mode Complete`` deletes every resource of the group that
  the template does not mention: destructive. ``--what-if`` only previews: read.
- ``az rest`` is a raw ARM call: its ``--method`` decides (delete → destructive, a
  method from a variable → destructive, get → read, anything else → write).

Locators are ``azure:<type>:<name>``: the type is the command's group path
(``azure:vm:web1``, ``azure:sql-db:orders``, ``azure:group:prod-rg``), the name comes
from ``--name/-n`` (or ``--ids``); a command given only ``--resource-group/-g``
targets the group. The resource group and
subscription go in the detail.
"""

from __future__ import annotations

from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.gcloud import TreePack, flagset

_VALUES = flagset(
    "-n --name -g --resource-group --subscription -o --output --query -l --location --ids"
    " --account-name --account-key --container-name -c --source -s --destination -d --pattern"
    " --sku --image --size --admin-username --admin-password --vault-name --server"
    " --workspace-name --cluster-name --nodepool-name --plan --runtime --method -m --url -u"
    " --uri --body -b --headers --db-name --database-name --scope --assignee --role"
    " --template-file -f --template-uri --parameters -p --mode --set --tags --auth-mode"
    " --connection-string --version --share-name --file-system -e --environment"
)

_NAME = "opt:--name|-n|--ids"
_URL = "opt:--url|--uri|-u"
_DELETE = "--method=delete|-m=delete|--method=$?|-m=$?"
_GET = "--method=get|-m=get|--method=head|-m=head"

_RULES = (
    rule("{cmd}.help", "read", flags="--help|-h"),
    rule("{cmd}.dryrun", "read", flags="--dryrun|--what-if", detail="preview only"),
    # Whole environments and data stores.
    rule("{cmd}", "catastrophic", "group", "delete",
         target="opt:--name|-n|--resource-group|-g", kind="resource-group",
         locator="azure:group:{name}", detail="deletes every resource in the group"),
    rule("{cmd}", "catastrophic", "sql", "db", "delete", target=_NAME, kind="database"),
    rule("{cmd}", "catastrophic", "sql", "server|mi", "delete", target=_NAME,
         kind="database-server"),
    rule("{cmd}", "catastrophic", "postgres|mysql|mariadb", "server|flexible-server", "delete",
         target=_NAME, kind="database-server"),
    rule("{cmd}", "catastrophic", "postgres|mysql", "flexible-server", "db", "delete",
         target="opt:--database-name|-d|--name|-n", kind="database"),
    rule("{cmd}", "catastrophic", "cosmosdb", "delete", target=_NAME, kind="database-account"),
    rule("{cmd}", "catastrophic", "cosmosdb", "*",
         "database|container|collection|table|keyspace|graph", "delete", target=_NAME,
         kind="database"),
    rule("{cmd}", "catastrophic", "storage", "account", "delete", target=_NAME,
         kind="storage-account"),
    rule("{cmd}", "catastrophic", "storage", "container|share|share-rm|fs", "delete",
         target="opt:--name|-n|--file-system|-f", kind="container",
         detail="deletes everything in it"),
    rule("{cmd}", "catastrophic", "aks", "delete", target=_NAME, kind="cluster"),
    rule("{cmd}", "catastrophic", "keyvault", "purge", target=_NAME, kind="vault",
         detail="permanently removes a soft-deleted vault"),
    rule("{cmd}", "catastrophic", "keyvault", "key", "purge", target=_NAME, kind="key",
         detail="data encrypted under the key becomes unreadable"),
    # One resource's data.
    rule("{cmd}", "catastrophic", "storage", "blob", "delete-batch", without="--pattern",
         target="opt:--source|-s", kind="container", locator="azure:storage-container:{name}",
         detail="no --pattern: every blob in the container"),
    rule("{cmd}", "destructive", "storage", "blob", "delete-batch",
         target="opt:--source|-s", kind="container", locator="azure:storage-container:{name}"),
    rule("{cmd}", "destructive", "keyvault", "delete", target=_NAME, kind="vault",
         detail="soft-deleted: recoverable until purged"),
    rule("{cmd}", "destructive", "vm|vmss", "delete", target=_NAME, kind="vm"),
    rule("{cmd}", "destructive", "webapp|functionapp|staticwebapp", "delete", target=_NAME,
         kind="app"),
    rule("{cmd}.complete", "destructive", "deployment", "group", "create|update",
         flags="--mode=complete|--mode=$?", target="opt:--resource-group|-g",
         kind="resource-group", locator="azure:group:{name}",
         detail="Complete mode deletes resources the template does not list"),
    rule("{cmd}.complete", "destructive", "group", "deployment", "create",
         flags="--mode=complete|--mode=$?", target="opt:--resource-group|-g",
         kind="resource-group", locator="azure:group:{name}",
         detail="Complete mode deletes resources the template does not list"),
    # Raw ARM requests.
    rule("az.rest.delete", "destructive", "rest", flags=_DELETE, target=_URL, kind="api",
         locator="azure:rest:{name}"),
    rule("az.rest.write", "write", "rest", flags="--method|-m", without=_GET, target=_URL,
         kind="api", locator="azure:rest:{name}"),
    rule("az.rest.read", "read", "rest", target=_URL, kind="api", locator="azure:rest:{name}"),
    # Credentials and the CLI's own state.
    rule("{cmd}", "write", "aks", "get-credentials", target=_NAME, kind="cluster",
         detail="writes a kubeconfig entry"),
    rule("{cmd}", "write", "account", "set|clear"),
    rule("{cmd}", "read", "version|find|upgrade-check"),
)  # fmt: skip

_LEAVES = (
    rule("{cmd}", "destructive", "delete|delete-batch|purge", target=_NAME),
    rule("{cmd}", "read",
         "list|list-*|show|show-*|get-*|exists|check-*|query|wait|what-if|download|"
         "download-batch|browse|tail|validate|url|generate-sas"),
    rule("{cmd}", "write",
         "create|update|set|set-*|add|remove|start|stop|restart|deallocate|resize|upload|"
         "upload-batch|copy|deploy|assign|import|export|restore|recover|scale|swap|rotate|"
         "renew|reset|invoke|run-command|ssh|login|logout", target=_NAME),
)  # fmt: skip

PACKS: list[Pack] = [
    TreePack(
        name="az",
        programs=("az",),
        rules=_RULES,
        leaf_rules=_LEAVES,
        kind="resource",
        takes_value=_VALUES,
        default=rule("az.other", "write"),
        locator="azure:{path}:{name}",
        wide_locator="azure:{path}:*",
        fallback="opt:--resource-group|-g",
        fallback_locator="azure:group:{name}",
        context=(
            ("resource group", "--resource-group|-g", "AZURE_DEFAULTS_GROUP"),
            ("subscription", "--subscription", "AZURE_SUBSCRIPTION_ID"),
            ("storage account", "--account-name", "AZURE_STORAGE_ACCOUNT"),
            ("vault", "--vault-name", ""),
            ("server", "--server", ""),
        ),
        description="Azure CLI",
    ),
]
