"""HashiCorp's runtime tools: ``vault``, ``consul`` and ``nomad``.

All three take Go-style options (``-address=https://vault:8200``, ``-mount secret``;
``--x`` is ``-x``) anywhere before the arguments, and act on the server named by
``-address``/``-http-addr`` or ``VAULT_ADDR``/``CONSUL_HTTP_ADDR``/``NOMAD_ADDR``. Without
one they talk to the local agent's default address, which is what the locator says.

Risk choices:

- Vault: ``kv destroy`` and ``kv metadata delete`` remove secret versions for good;
  ``kv delete`` (a soft delete ``kv undelete`` reverses), ``delete``, ``secrets disable``
  (every secret of the mount is deleted), ``auth disable``, ``audit disable``,
  ``policy delete``, ``token revoke``, ``lease revoke``, ``namespace delete``,
  ``operator seal|step-down|rekey|generate-root`` and ``operator raft remove-peer``:
  destructive; so is ``vault write`` to the API paths those commands use
  (``sys/revoke-prefix/…``, ``sys/seal``, ``sys/raw/…``, a KV v2 ``…/destroy/…`` or
  ``…/delete/…`` path). ``kv get`` and
  ``read`` are reads that the secret-read guard refuses (they print live secrets).
- Consul: ``kv delete`` (``-recurse``: a whole tree), every ``… delete`` of ACLs,
  intentions, config entries, namespaces; ``services deregister``, ``leave``,
  ``force-leave``, ``snapshot restore``: destructive.
- Nomad: ``job stop`` takes the service down (``-purge`` also forgets it): destructive,
  like ``system gc``, ``namespace delete``, ``volume delete|deregister``,
  ``var purge``, ``acl … delete``, ``node drain``, ``operator raft remove-peer``.
  ``job run`` is a write.

Locators: ``vault:<address>/<path>``, ``consul:<address>/kv/<key>``,
``nomad:<address>/job/<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import Options, ToolPack

# -- vault -----------------------------------------------------------------------------------

# API paths a ``vault write`` destroys through: lease and token revocation, sealing,
# leader step-down, raft peers and snapshots, raw storage, and KV v2's delete/destroy
# endpoints (``secret/destroy/app/db`` is ``kv destroy``).
_VAULT_DESTROY_PATHS = (
    "sys/revoke*|sys/leases/revoke*|sys/seal|sys/step-down|sys/storage/raft/remove-peer|"
    "sys/storage/raft/snapshot*|sys/raw/*|sys/rekey/*|sys/generate-root/*|auth/token/revoke*|"
    "*/destroy/*|*/delete/*"
)

_VAULT_RULES = (
    rule("vault.help", "read", flags="-h|-help"),
    rule("vault.help", "read", "help|version|path-help"),
    rule("vault.status", "read", "status"),
    rule("vault.kv.destroy", "destructive", "kv", "destroy", target="last", kind="secret",
         locator="{base}/{name}", detail="the versions are gone for good"),
    rule("vault.kv.metadata.delete", "destructive", "kv", "metadata", "delete", target="last",
         kind="secret", locator="{base}/{name}", detail="every version and its metadata"),
    rule("vault.kv.delete", "destructive", "kv", "delete", target="last", kind="secret",
         locator="{base}/{name}", reversible=True, detail="kv undelete can bring it back"),
    rule("vault.{sub}", "write", "kv", "put|patch|rollback|undelete|enable-versioning",
         target="arg:0", kind="secret", locator="{base}/{name}"),
    rule("vault.{sub}", "write", "kv", "metadata", "put|patch", target="arg:0",
         kind="secret", locator="{base}/{name}"),
    rule("vault.{sub}", "read", "kv", "get|list|metadata", target="last", kind="secret",
         locator="{base}/{name}"),
    rule("vault.delete", "destructive", "delete", target="arg:0", kind="secret",
         locator="{base}/{name}"),
    rule("vault.secrets.disable", "destructive", "secrets", "disable", target="arg:0",
         kind="mount", locator="{base}/{name}", detail="every secret of the mount is deleted"),
    rule("vault.{sub}", "destructive", "auth|audit", "disable", target="arg:0", kind="mount",
         locator="{base}/{name}"),
    rule("vault.policy.delete", "destructive", "policy", "delete", target="arg:0",
         kind="policy", locator="{base}/sys/policy/{name}"),
    rule("vault.token.revoke", "destructive", "token", "revoke", kind="token",
         detail="whatever uses the token (and its children) loses access"),
    rule("vault.lease.revoke", "destructive", "lease", "revoke", target="arg:0", kind="lease",
         locator="{base}/{name}"),
    rule("vault.namespace.delete", "destructive", "namespace", "delete", target="arg:0",
         kind="namespace", locator="{base}/namespace/{name}"),
    rule("vault.{sub}", "destructive", "operator", "seal|rekey|generate-root|step-down",
         kind="server"),
    rule("vault.operator.raft.remove-peer", "destructive", "operator", "raft", "remove-peer",
         kind="server"),
    rule("vault.operator.raft.snapshot.restore", "destructive", "operator", "raft",
         "snapshot", "restore", kind="server", detail="replaces every secret"),
    rule("vault.{sub}", "read", "read|list|print", target="arg:0", kind="secret",
         locator="{base}/{name}"),
    rule("vault.{sub}", "read", "*", "list|read|lookup|capabilities|get|status|members|"
         "key-status|usage|show"),
    # the raw API through write: what the named commands do, by path
    rule("vault.write.destroy", "destructive", "write", args=_VAULT_DESTROY_PATHS,
         target="arg:0", kind="secret", locator="{base}/{name}",
         detail="the API path revokes, deletes, seals or rewrites storage"),
    rule("vault.write", "write", "write|patch", target="arg:0", kind="secret",
         locator="{base}/{name}"),
    rule("vault.{sub}", "write", "*", "*", kind="server"),
    rule("vault.{sub}", "write", "*", kind="server"),
)  # fmt: skip

# -- consul ----------------------------------------------------------------------------------

_CONSUL_RULES = (
    rule("consul.help", "read", flags="-h|-help"),
    rule("consul.help", "read", "help|version|members|info|monitor|catalog|watch|validate|"
         "debug|rtt|keygen"),
    rule("consul.kv.delete.recurse", "destructive", "kv", "delete", flags="-recurse",
         target="arg:0", kind="key", locator="{base}/kv/{name}", detail="the whole tree"),
    rule("consul.kv.delete", "destructive", "kv", "delete", target="arg:0", kind="key",
         locator="{base}/kv/{name}"),
    rule("consul.{sub}", "write", "kv", "put|import", target="arg:0", kind="key",
         locator="{base}/kv/{name}"),
    rule("consul.{sub}", "read", "kv", "get|export", target="arg:0", kind="key",
         locator="{base}/kv/{name}"),
    rule("consul.services.deregister", "destructive", "services", "deregister", kind="service",
         target="opt:-id", locator="{base}/service/{name}"),
    rule("consul.services.deregister", "destructive", "services", "deregister", kind="service"),
    rule("consul.{sub}", "destructive", "acl", "*", "delete", kind="acl"),
    rule("consul.{sub}", "destructive", "intention|config|namespace|partition|peering",
         "delete", kind="{kind}"),
    rule("consul.{sub}", "destructive", "leave|force-leave", kind="server",
         detail="the agent leaves the cluster"),
    rule("consul.snapshot.restore", "destructive", "snapshot", "restore", kind="server",
         detail="replaces the cluster's state"),
    rule("consul.operator.raft.remove-peer", "destructive", "operator", "raft", "remove-peer",
         kind="server"),
    rule("consul.snapshot.save", "read", "snapshot", "save|inspect"),
    rule("consul.{sub}", "read", "*", "list|read|get|inspect|match|check|show|"
         "list-peers|list-policies|list-tokens"),
    rule("consul.{sub}", "write", "*", "*", kind="server"),
    rule("consul.{sub}", "write", "*", kind="server"),
)  # fmt: skip

# -- nomad -----------------------------------------------------------------------------------

_NOMAD_RULES = (
    rule("nomad.help", "read", flags="-h|-help"),
    rule("nomad.help", "read", "help|version|status|ui|monitor"),
    rule("nomad.job.stop.purge", "destructive", "job", "stop", flags="-purge", target="arg:0",
         kind="job", locator="{base}/job/{name}", detail="stopped and forgotten"),
    rule("nomad.job.stop", "destructive", "job", "stop", target="arg:0", kind="job",
         locator="{base}/job/{name}", detail="the job's allocations stop"),
    rule("nomad.stop.purge", "destructive", "stop", flags="-purge", target="arg:0",
         kind="job", locator="{base}/job/{name}", detail="stopped and forgotten"),
    rule("nomad.stop", "destructive", "stop", target="arg:0", kind="job",
         locator="{base}/job/{name}", detail="the job's allocations stop"),
    rule("nomad.system.gc", "destructive", "system", "gc", kind="cluster",
         detail="dead jobs, allocations and evaluations are purged"),
    rule("nomad.namespace.delete", "destructive", "namespace", "delete", target="arg:0",
         kind="namespace", locator="{base}/namespace/{name}"),
    rule("nomad.{sub}", "destructive", "volume", "delete|deregister|detach",
         target="arg:0", kind="volume", locator="{base}/volume/{name}"),
    rule("nomad.var.purge", "destructive", "var", "purge", target="arg:0", kind="variable",
         locator="{base}/var/{name}"),
    rule("nomad.{sub}", "destructive", "acl", "*", "delete", kind="acl"),
    rule("nomad.{sub}", "destructive", "quota|sentinel|node-pool|recommendation", "delete|"
         "dismiss", target="arg:0", kind="{kind}", locator="{base}/{group}/{name}"),
    rule("nomad.operator.raft.remove-peer", "destructive", "operator", "raft", "remove-peer",
         kind="cluster", detail="the server leaves the raft quorum"),
    rule("nomad.node.drain", "destructive", "node", "drain", flags="-enable|-force",
         kind="node", detail="every allocation on the node moves or stops"),
    rule("nomad.node.eligibility", "write", "node", "eligibility", kind="node"),
    rule("nomad.{sub}", "write", "job", "run|dispatch|revert|scale|restart|promote",
         target="last", kind="job", locator="{base}/job/{name}"),
    rule("nomad.{sub}", "write", "run", target="last", kind="job", locator="{base}/job/{name}"),
    rule("nomad.{sub}", "read", "*", "status|inspect|history|plan|validate|list|read|info|"
         "logs|fs|deployments|allocs|periodic|self|get|summary"),
    rule("nomad.{sub}", "read", "plan|validate|logs|inspect|fs|node-status|alloc-status"),
    rule("nomad.{sub}", "write", "*", "*", kind="cluster"),
    rule("nomad.{sub}", "write", "*", kind="cluster"),
)  # fmt: skip


@dataclass
class ServerPack(ToolPack):
    """A HashiCorp CLI: the server address is the base (default: the local agent)."""

    default_address: str = ""

    def app(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Word | None:
        found = super().app(cmd, options, ctx)
        text = found.text if found is not None else self.default_address
        for scheme in ("https://", "http://"):
            text = text.removeprefix(scheme)
        return Word(text.rstrip("/"), found.dynamic if found is not None else False)


_COMMON = "-address -namespace -ns -token -ca-cert -ca-path -client-cert -client-key" \
          " -tls-server-name -region -format -output -field -mount -method -path -policy" \
          " -ttl -http-addr -datacenter -partition -id -type -description -name -version" \
          " -var -var-file -meta -display-name -period -role -header"

PACKS: list[Pack] = [
    ServerPack(
        name="vault",
        programs=("vault",),
        rules=_VAULT_RULES,
        kind="secret",
        takes_value=flagset(_COMMON),
        default=rule("vault.other", "write"),
        prefix="vault:",
        app_options="-address",
        app_env="VAULT_ADDR",
        default_address="127.0.0.1:8200",
        goflags=True,
        context=(("namespace", "-namespace|-ns", "VAULT_NAMESPACE"),),
        description="HashiCorp Vault CLI",
    ),
    ServerPack(
        name="consul",
        programs=("consul",),
        rules=_CONSUL_RULES,
        kind="server",
        takes_value=flagset(_COMMON),
        default=rule("consul.other", "write"),
        prefix="consul:",
        app_options="-http-addr",
        app_env="CONSUL_HTTP_ADDR",
        default_address="127.0.0.1:8500",
        goflags=True,
        context=(("datacenter", "-datacenter", ""),),
        description="HashiCorp Consul CLI",
    ),
    ServerPack(
        name="nomad",
        programs=("nomad",),
        rules=_NOMAD_RULES,
        kind="job",
        takes_value=flagset(_COMMON),
        default=rule("nomad.other", "write"),
        prefix="nomad:",
        app_options="-address",
        app_env="NOMAD_ADDR",
        default_address="127.0.0.1:4646",
        goflags=True,
        context=(("namespace", "-namespace", "NOMAD_NAMESPACE"), ("region", "-region", "")),
        description="HashiCorp Nomad CLI",
    ),
]
