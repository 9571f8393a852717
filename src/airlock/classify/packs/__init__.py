"""Packs: what Airlock knows about each tool, one module per tool family, data first.

The pack format (:class:`Pack`, :class:`Rule`) is in :mod:`.base`; each module here
declares the ``PACKS`` of one tool family. :func:`builtin_packs` lists them in registry
order and :func:`build_registry` maps each program name to its pack.
"""

from __future__ import annotations

from collections.abc import Iterable

from airlock.classify.packs import (
    airlock_self,
    archives,
    aws,
    azure,
    backups,
    cloud_paas,
    containers,
    databases,
    datastores,
    edge,
    filesystem,
    forges,
    gcloud,
    git,
    hashicorp,
    hostops,
    http_clients,
    iac,
    kubernetes,
    migrations,
    powershell,
    railway,
    runners,
    streams,
    terraform,
)
from airlock.classify.packs.base import Pack, PackError, Rule, rule, rule_from_config


def builtin_packs() -> list[Pack]:
    """Every built-in pack, in registry order."""
    packs: list[Pack] = []
    for module in (airlock_self, filesystem, git, databases, http_clients, railway, aws, gcloud,
                   azure, kubernetes, terraform, containers, cloud_paas, forges,
                   hashicorp, backups, datastores, migrations,
                   iac, edge, hostops, powershell, archives, runners, streams):
        packs.extend(module.PACKS)
    return packs


def build_registry(packs: Iterable[Pack]) -> dict[str, Pack]:
    registry: dict[str, Pack] = {}
    for pack in packs:
        for program in pack.programs:
            registry[program] = pack
    return registry


__all__ = ["Pack", "PackError", "Rule", "build_registry", "builtin_packs", "rule",
           "rule_from_config"]
