"""resolve: each target → the resource it is and the environment it really lives in.

The agent's claim about an environment is never consulted. A target matches the first
inventory resource (``airlock.toml`` ``[[resources]]``) whose ``match`` globs, ``ids``,
``hosts`` or ``paths`` fit its locator. Failing that, local paths resolve to the
built-in ``workspace`` (the agent's work tree and its git remotes) or ``temp`` (a
sandbox) environments, and everything else to ``unknown``, which counts as production.
A target whose name we could not know (a variable, a glob in a destructive position)
is ``unknown`` too, unless its known prefix is already inside a temp dir.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from airlock.action import Target
from airlock.config import Config, Resource
from airlock.paths import in_temp, repository_root, within, workspace_root


def resolve(targets: list[Target], config: Config, cwd: str, home: str | None = None) -> None:
    """Fill in env, resource, protected, production, sandbox, local and tags in place.
    ``home``: the agent's home directory (never a workspace), default this process's."""
    for t in targets:
        _resolve_one(t, config, cwd, home)


def _resolve_one(t: Target, config: Config, cwd: str, home: str | None = None) -> None:
    res = match_resource(t.locator, config.resources) if t.locator else None
    if res is not None:
        env_name = res.env
        t.resource = res.name
        t.protected = res.protected
        t.tags = res.tags
    else:
        env_name = _builtin_env(t, cwd, home)
    env = config.environment(env_name)
    t.env = env.name
    t.production = env.production
    t.sandbox = env.sandbox
    t.local = env_name in ("workspace", "temp")


def _builtin_env(t: Target, cwd: str, home: str | None = None) -> str:
    loc = t.locator
    if loc.startswith("path:"):
        path = loc[5:]
        if not path or path == "?":
            return "unknown"
        if in_temp(path) or (t.unresolved and in_temp(path + "/x")):
            # a repository that happens to live under a temp dir is someone's work, not
            # scratch space: its files (and its .git) are a workspace's, not a sandbox's
            return "workspace" if _in_repository(path) else "temp"
        if t.unresolved:
            return "unknown"
        if within(path, workspace_root(cwd, home)):
            return "workspace"
        return "unknown"
    if loc.startswith("git:repo:"):
        path = loc[9:]
        inside = within(path, workspace_root(cwd, home)) or in_temp(path)
        return "workspace" if inside else "unknown"
    if loc.startswith("git:remote:"):
        return "workspace"
    if loc.startswith("sqlite:"):
        path = loc[7:]
        if in_temp(path):
            return "temp"
        if within(path, workspace_root(cwd, home)):
            return "workspace"
    return "unknown"


def _in_repository(path: str) -> bool:
    top = repository_root(path)
    return top != os.path.abspath(path) or os.path.exists(os.path.join(top, ".git"))


def match_resource(locator: str, resources: list[Resource]) -> Resource | None:
    host = ""
    if "://" in locator:
        try:
            host = urlsplit(locator).hostname or ""
        except ValueError:
            host = ""
    path = locator[5:] if locator.startswith("path:") else (
        locator[7:] if locator.startswith("sqlite:") else "")
    for res, match, hosts in _compiled(resources):
        if match is not None and match.match(locator):
            return res
        for ident in res.ids:
            if locator == ident or locator.endswith((":" + ident, "/" + ident)):
                return res
        if host and hosts is not None and hosts.match(host):
            return res
        if path and any(within(path, p) for p in res.paths):
            return res
    return None


_Compiled = list[tuple[Resource, "re.Pattern[str] | None", "re.Pattern[str] | None"]]
_cache: dict[int, tuple[list[Resource], _Compiled]] = {}


def _compiled(resources: list[Resource]) -> _Compiled:
    """Each resource's ``match`` and ``hosts`` globs as one regex each (what
    ``fnmatchcase`` does one pattern at a time), built once per inventory: a decision
    resolves every target against every resource."""
    hit = _cache.get(id(resources))
    if hit is not None and hit[0] is resources:
        return hit[1]

    def one(patterns: Sequence[str]) -> re.Pattern[str] | None:
        if not patterns:
            return None
        return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))

    built = [(res, one(res.match), one(res.hosts)) for res in resources]
    if len(_cache) > 16:
        _cache.clear()
    _cache[id(resources)] = (resources, built)
    return built
