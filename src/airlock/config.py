"""``airlock.toml``: environments, the resource inventory, the agent's scope, policy
files, user packs and extra secret files.

Two kinds of file, with different powers:

- **The authoritative config** is the service's own: in a system install the pin's
  (``/etc/airlock/airlock.toml``, readable by the service only), whatever the caller asks;
  in single-user mode ``--config``, else ``AIRLOCK_CONFIG``, else
  ``$AIRLOCK_HOME/airlock.toml``. It may say anything.
- **A project config** — the nearest ``airlock.toml`` or ``.airlock.toml`` upward from the
  working directory, and in a system install a ``--config`` the agent passes — is
  writable by the agent by nature, so it may only **tighten**: add production resources,
  mark things protected, narrow an unscoped agent, add ``forbid`` policies and secret
  files. What would loosen (sandboxes, a resource outside production, ``defaults =
  false``, permits, packs, service sections, the data dir, the agent's name) is ignored
  with a warning naming file and line (:attr:`Config.warnings`; the service records it).

No file at all is fine: an empty inventory (everything resolves to ``unknown``, which
counts as production) and the default policies.

Every mistake is a :class:`ConfigError` naming the file and, where it can be found,
the line. Nothing here ever falls back to "allow".
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airlock.settings import default_home

CONFIG_NAMES = ("airlock.toml", ".airlock.toml")
PRODUCTION_NAMES = frozenset({"production", "prod", "live", "prd"})
BUILTIN_ENVS = frozenset({"workspace", "temp", "unknown"})


# Every key each section of airlock.toml takes, declared once, whichever module reads the
# section: its reader rejects anything else with :func:`unknown_key` (naming file and
# line), and tests/test_docs.py checks each is documented. ([environments.NAME] bodies
# are "environments", [[resources]] tables "resources", [[mcp.tools]] "mcp.tools".)
SECTION_KEYS: dict[str, frozenset[str]] = {
    "agent": frozenset({"name", "scope"}),
    "airlock": frozenset({"data_dir"}),
    "environments": frozenset({"production", "sandbox", "description"}),
    "resources": frozenset({"name", "kind", "env", "match", "ids", "hosts", "paths",
                            "protected", "tags", "description"}),
    "policy": frozenset({"files", "defaults"}),
    "secrets": frozenset({"files"}),
    # broker/providers.py
    "providers": frozenset({"name", "pack", "api", "upstream", "secret", "auth_header",
                            "auth_scheme", "graphql_path", "operations", "fields",
                            "discover", "volume_backup", "hosts", "ca_bundle"}),
    # [[databases]]: the database gateway's upstreams (broker/pg_gateway.py)
    "databases": frozenset({"name", "upstream", "env", "protected", "secret",
                            "description"}),
    # classify/mcp.py
    "mcp": frozenset({"max_argument_bytes", "expose", "hide", "read_only", "tools",
                      "databases"}),
    "mcp.tools": frozenset({"match", "server", "as", "argument", "arguments", "op",
                            "dialect", "database", "risk", "verb"}),
    # hold/settings.py (airlock serve's own sections)
    "hold": frozenset({"production_approvers", "default_approvers", "cooldown_production",
                       "cooldown_default", "cooldown_sandbox", "approval_ttl", "pending_ttl",
                       "checkpoint_every", "session_ttl", "login_failures", "login_window"}),
    "notify": frozenset({"urls"}),
    "serve": frozenset({"public_url", "pg_listen", "forward_proxy"}),
    # broker/forward_proxy.py (airlock serve --forward-proxy)
    "forward_proxy": frozenset({"only_declared", "allow_hosts"}),
    # protect/settings.py
    "protect": frozenset({"store", "path", "quota_bytes", "bucket", "prefix", "endpoint_url",
                          "region", "access_key_env", "secret_key_env", "object_lock_days",
                          "retention_days", "require_independent", "unprotected",
                          "credentials", "protected_paths"}),
    "protect.credentials": frozenset({"match", "url", "password_env", "secret"}),
}


def unknown_key(body: dict[str, Any], section: str) -> str | None:
    """The first key of ``body`` that ``section`` does not declare, as an error message
    (``unknown key 'x' (expected one of …)``), or None. One check for every reader."""
    allowed = SECTION_KEYS[section]
    for key in body:
        if key not in allowed:
            return f"unknown key {key!r} (expected one of {', '.join(sorted(allowed))})"
    return None


class ConfigError(ValueError):
    """An invalid configuration. The message names the file (and line when known).

    The family every "fix your configuration" error belongs to (the CLI exits 2 on any):

        ConfigError                 airlock.toml itself (this module, hold/settings.py, …)
         ├── PolicyError            a policy file that does not parse (policy/engine.py)
         └── PackError              a pack definition that makes no sense (classify/packs)
    """


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    production: bool = False
    sandbox: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    kind: str
    env: str
    match: tuple[str, ...] = ()  # globs on locators
    ids: tuple[str, ...] = ()  # a locator ending in :ID or /ID, or equal to ID
    hosts: tuple[str, ...] = ()  # globs on the host of URL locators
    paths: tuple[str, ...] = ()  # path prefixes
    protected: bool = False
    tags: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Database:
    """A ``[[databases]]`` entry: what an agent names in its gateway URL (``name``), the
    real server (``upstream``, a postgresql:// URL without its password) and the Airlock
    secret that holds the password (``secret``; none: the server needs no password)."""

    name: str
    upstream: str
    env: str
    protected: bool = False
    secret: str = ""
    description: str = ""

    @property
    def locator(self) -> str:
        """The upstream URL without query or password: what its SQL targets are named by."""
        p = urlsplit(self.upstream)
        user = f"{p.username}@" if p.username else ""
        port = f":{p.port}" if p.port else ""
        return f"postgresql://{user}{p.hostname or 'localhost'}{port}{p.path or '/'}"

    @property
    def server(self) -> str:
        """Every database on the upstream server (a glob on locators)."""
        return self.locator.rsplit("/", 1)[0] + "/*"


@dataclass
class Config:
    path: str | None = None
    agent: str = "agent"
    scope: str | None = None
    environments: dict[str, Environment] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    policy_files: list[str] = field(default_factory=list)
    default_policies: bool = True
    packs: list[dict[str, Any]] = field(default_factory=list)  # validated by the classifier
    secret_files: list[str] = field(default_factory=list)
    data_dir: str = field(default_factory=default_home)
    mtime_key: tuple[tuple[str, float], ...] = ()  # for reloading when files change
    # project configs applied on top (tighten only), their forbid-only policy files, and
    # what they tried that would have loosened (each "file:line: ignored …")
    overlays: list[str] = field(default_factory=list)
    overlay_policy_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def environment(self, name: str) -> Environment:
        env = self.environments.get(name)
        if env is not None:
            return env
        if name == "temp":
            return Environment("temp", sandbox=True)
        if name == "workspace":
            return Environment("workspace")
        return Environment(name or "unknown", production=True)

    def guarded_paths(self) -> list[str]:
        out = [self.data_dir]
        if self.path:
            out.append(self.path)
        out.extend(self.policy_files)
        out.extend(self.overlays)
        out.extend(self.overlay_policy_files)
        return out


def authority_path(explicit: str | None = None, cwd: str | None = None,
                   env: Mapping[str, str] | None = None) -> str | None:
    """The authoritative config file, or None for the built-in defaults.

    In a system install it is the service's own file, whatever ``explicit`` or the
    environment say (a caller's ``--config`` then only adds a project overlay). In
    single-user mode: ``explicit``, else ``AIRLOCK_CONFIG``, else
    ``$AIRLOCK_HOME/airlock.toml`` when it exists.
    """
    from airlock.system import PinError, load_pin

    try:
        pin = load_pin()
    except PinError as exc:
        raise ConfigError(str(exc)) from None
    if pin is not None:
        return pin.config
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    if explicit:
        return os.path.abspath(os.path.join(cwd, os.path.expanduser(explicit)))
    if env.get("AIRLOCK_CONFIG"):
        return os.path.abspath(os.path.join(cwd, os.path.expanduser(env["AIRLOCK_CONFIG"])))
    home = env.get("AIRLOCK_HOME")
    home = os.path.abspath(os.path.expanduser(home)) if home else default_home()
    home_cfg = os.path.join(home, "airlock.toml")
    return home_cfg if os.path.isfile(home_cfg) else None


def project_path(cwd: str) -> str | None:
    """The nearest ``airlock.toml`` / ``.airlock.toml`` upward from ``cwd``: a project
    config, applied on top of the authoritative one and only where it tightens."""
    probe = os.path.abspath(cwd)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(probe, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def config_files(explicit: str | None, cwd: str,
                 env: Mapping[str, str] | None = None) -> tuple[str | None, tuple[str, ...]]:
    """(authoritative file, project files on top) for a call from ``cwd``."""
    auth = authority_path(explicit, cwd, env)
    overlays: list[str] = []
    if explicit:
        given = os.path.abspath(os.path.join(cwd, os.path.expanduser(explicit)))
        if given != auth:
            overlays.append(given)  # a system install: the caller's --config only tightens
    found = project_path(cwd)
    for path in (found,):
        if path and path != auth and path not in overlays and not _same_file(path, auth):
            overlays.append(path)
    return auth, tuple(overlays)


def _same_file(a: str, b: str | None) -> bool:
    if not b:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def find_config(explicit: str | None, cwd: str) -> str | None:
    """The authoritative config file (kept for callers that only need that one)."""
    return authority_path(explicit, cwd)


def load_config(explicit: str | None = None, cwd: str | None = None,
                env: Mapping[str, str] | None = None) -> Config:
    """The authoritative config with every project overlay that applies in ``cwd``."""
    cwd = cwd or os.getcwd()
    auth, overlays = config_files(explicit, cwd, env)
    cfg = load_file(auth) if auth is not None else Config()
    for path in overlays:
        apply_overlay(cfg, path)
    return cfg


def read_toml(path: str) -> tuple[dict[str, Any], str]:
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such config file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    text = raw.decode("utf-8", "replace")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_file(path: str) -> Config:
    """One authoritative config file."""
    data, text = read_toml(path)
    return parse_config(data, path, text)


# --------------------------------------------------------------------------- overlays

# Sections that belong to the service; a project file never sets them.
SERVICE_SECTIONS = ("airlock", "hold", "notify", "serve", "mcp", "providers", "packs",
                    "databases", "forward_proxy")


def apply_overlay(cfg: Config, path: str) -> None:
    """Tighten ``cfg`` with the project config at ``path``; everything in it that would
    loosen is left out, with a warning in ``cfg.warnings`` naming file and line.

    An unreadable project file is skipped with a warning (it could only have tightened);
    an invalid one is a :class:`ConfigError`, as for any config.
    """
    try:
        data, text = read_toml(path)
    except ConfigError as exc:
        if "cannot read" in str(exc):
            cfg.warnings.append(f"{exc}; this project config is not applied")
            cfg.mtime_key += ((path, _mtime(path)),)
            return
        raise
    where = cfg.path or "the service's airlock.toml"

    def ignored(needle: str, what: str) -> None:
        cfg.warnings.append(
            f"{path}{_line_of(text, needle)}: ignored {what}: a project's airlock.toml may "
            f"only tighten Airlock's configuration (a human can put it in {where})")

    for section in SERVICE_SECTIONS:
        if section in data:
            ignored(section, f"[{section}]" if section != "packs" else "[[packs]]")
    core = {k: v for k, v in data.items() if k not in SERVICE_SECTIONS}
    if isinstance(core.get("policy"), dict):
        core["policy"] = {k: v for k, v in core["policy"].items() if k != "defaults"}
    # validate the whole file as a config of its own, seeing the authoritative
    # environments its resources may name
    ov = parse_config(core, path, text, known_envs=cfg.environments)

    agent = data.get("agent", {}) if isinstance(data.get("agent"), dict) else {}
    if "name" in agent and agent["name"] != cfg.agent:
        ignored(f"{agent['name']}", "[agent] name (who the agent is comes from its token)")
    if ov.scope is not None and ov.scope != cfg.scope:
        if cfg.scope is None:
            cfg.scope = ov.scope  # narrowing an unscoped agent
        else:
            ignored("scope", f"[agent] scope = {ov.scope!r} (the agent is scoped to "
                             f"{cfg.scope!r})")

    for name, env in ov.environments.items():
        have = cfg.environment(name)
        if name in cfg.environments or name in BUILTIN_ENVS:
            if env.sandbox and not have.sandbox:
                ignored(f"environments.{name}", f"sandbox = true for environment {name!r}")
            if not env.production and have.production:
                ignored(f"environments.{name}", f"environment {name!r} as non-production")
            if (env.production and not have.production) or (have.sandbox and not env.sandbox):
                cfg.environments[name] = Environment(name, True if env.production else
                                                     have.production, False,
                                                     have.description or env.description)
            continue
        if env.sandbox:
            ignored(f"environments.{name}", f"sandbox = true for environment {name!r}")
            env = Environment(name, env.production, False, env.description)
        cfg.environments[name] = env

    names = {r.name for r in cfg.resources}
    for res in ov.resources:
        if res.name in names:
            ignored(f'"{res.name}"', f"resource {res.name!r} (declared by the service "
                                     "already)")
            continue
        if not cfg.environment(res.env).production:
            ignored(f'"{res.name}"', f"resource {res.name!r} in non-production environment "
                                     f"{res.env!r} (a project may only add production "
                                     "resources: it cannot take anything out of production)")
            continue
        cfg.resources.append(res)
        names.add(res.name)

    policy = data.get("policy", {}) if isinstance(data.get("policy"), dict) else {}
    if policy.get("defaults") is False:
        ignored("defaults", "[policy] defaults = false")
    cfg.overlay_policy_files.extend(p for p in ov.policy_files
                                    if p not in cfg.overlay_policy_files)
    cfg.secret_files.extend(f for f in ov.secret_files if f not in cfg.secret_files)
    cfg.overlays.append(path)
    cfg.mtime_key += ov.mtime_key


def _line_of(text: str, needle: str) -> str:
    if not needle:
        return ""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return f":{i}"
    return ""


def parse_config(data: dict[str, Any], path: str, text: str = "",
                 known_envs: Mapping[str, Environment] | None = None) -> Config:
    """One file's config. ``known_envs``: environments its resources may also name
    (an overlay's, declared by the authoritative config)."""
    def err(msg: str, needle: str = "") -> ConfigError:
        return ConfigError(f"{path}{_line_of(text, needle)}: {msg}")

    # [hold], [notify] and [serve] belong to the hold service (airlock.hold.settings),
    # which validates them itself.
    known = {"agent", "environments", "resources", "policy", "packs", "secrets", "airlock",
             "hold", "notify", "serve", "mcp", "providers", "databases", "forward_proxy"}
    for key in data:
        if key not in known:
            raise err(f"unknown section [{key}] (expected one of {', '.join(sorted(known))})",
                      key)
    cfg = Config(path=path)
    base = os.path.dirname(path)

    agent = _table(data, "agent", err)
    _only(agent, "agent", "[agent]", err)
    cfg.agent = _str(agent, "name", "agent", "[agent]", err)
    scope = agent.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise err("[agent] scope must be a string", "scope")
    cfg.scope = scope or None

    airlock = _table(data, "airlock", err)
    _only(airlock, "airlock", "[airlock]", err)
    if "data_dir" in airlock:
        cfg.data_dir = os.path.abspath(os.path.join(base, _str(airlock, "data_dir", "",
                                                               "[airlock]", err)))

    envs = _table(data, "environments", err)
    for name, body in envs.items():
        if not isinstance(body, dict):
            raise err(f"[environments.{name}] must be a table", name)
        _only(body, "environments", f"[environments.{name}]", err)
        if name in BUILTIN_ENVS and name != "unknown":
            pass  # users may re-declare workspace/temp to change their meaning
        production = body.get("production", name.lower() in PRODUCTION_NAMES)
        sandbox = body.get("sandbox", False)
        if not isinstance(production, bool) or not isinstance(sandbox, bool):
            raise err(f"[environments.{name}] production/sandbox must be true or false", name)
        if production and sandbox:
            raise err(f"[environments.{name}] cannot be both production and sandbox", name)
        cfg.environments[name] = Environment(name, production, sandbox,
                                             str(body.get("description", "")))

    resources = data.get("resources", [])
    if not isinstance(resources, list):
        raise err("resources must be an array of tables: [[resources]]", "resources")
    seen: set[str] = set()
    for i, body in enumerate(resources):
        where = f"[[resources]] #{i + 1}"
        if not isinstance(body, dict):
            raise err(f"{where} must be a table", "[[resources]]")
        _only(body, "resources", where, err)
        name = _str(body, "name", "", where, err)
        if not name:
            raise err(f"{where} needs a name", "[[resources]]")
        where = f"resource {name!r}"
        if name in seen:
            raise err(f"{where} is declared twice", f'"{name}"')
        seen.add(name)
        env = _str(body, "env", "", where, err)
        if not env:
            raise err(f"{where} needs env = \"…\"", f'"{name}"')
        if env not in cfg.environments and env not in BUILTIN_ENVS and \
                env not in (known_envs or {}):
            raise err(f"{where}: environment {env!r} is not declared in [environments]",
                      f'"{env}"')
        res = Resource(
            name=name,
            kind=_str(body, "kind", "resource", where, err),
            env=env,
            match=_strs(body, "match", where, err),
            ids=_strs(body, "ids", where, err),
            hosts=_strs(body, "hosts", where, err),
            paths=tuple(os.path.abspath(os.path.join(base, os.path.expanduser(p)))
                        for p in _strs(body, "paths", where, err)),
            protected=_bool(body, "protected", where, err),
            tags=_strs(body, "tags", where, err),
            description=str(body.get("description", "")),
        )
        if not (res.match or res.ids or res.hosts or res.paths):
            raise err(f"{where} matches nothing: give it match, ids, hosts or paths",
                      f'"{name}"')
        cfg.resources.append(res)

    _databases(data, cfg, known_envs, err)

    policy = _table(data, "policy", err)
    _only(policy, "policy", "[policy]", err)
    cfg.default_policies = _bool(policy, "defaults", "[policy]", err, default=True)
    for pattern in _strs(policy, "files", "[policy]", err):
        full = os.path.join(base, os.path.expanduser(pattern))
        matches = sorted(glob.glob(full))
        if not matches and not glob.has_magic(full):
            raise err(f"[policy] file {pattern!r} does not exist", pattern)
        cfg.policy_files.extend(os.path.abspath(m) for m in matches)
    if not cfg.default_policies and not cfg.policy_files:
        raise err("[policy] defaults = false but no policy files: every action would be held",
                  "defaults")

    packs = data.get("packs", [])
    if not isinstance(packs, list) or not all(isinstance(p, dict) for p in packs):
        raise err("packs must be an array of tables: [[packs]]", "packs")
    for i, p in enumerate(packs):
        cfg.packs.append({**p, "__where__": f"{path}{_line_of(text, str(p.get('name', '')))} "
                          f"pack #{i + 1} {p.get('name', '')!r}"})

    secrets = _table(data, "secrets", err)
    _only(secrets, "secrets", "[secrets]", err)
    cfg.secret_files = [os.path.abspath(os.path.join(base, os.path.expanduser(f)))
                        for f in _strs(secrets, "files", "[secrets]", err)]

    stamp = [(path, _mtime(path))] + [(f, _mtime(f)) for f in cfg.policy_files]
    cfg.mtime_key = tuple(stamp)
    return cfg


DB_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,62}$")


def _databases(data: dict[str, Any], cfg: Config, known_envs: Mapping[str, Environment] | None,
               err: Any) -> None:
    """``[[databases]]``: each is also a resource of the inventory (every database on its
    server is in its environment), so what the gateway decides resolves like anything."""
    dbs = data.get("databases", [])
    if not isinstance(dbs, list) or not all(isinstance(d, dict) for d in dbs):
        raise err("databases must be an array of tables: [[databases]]", "databases")
    names = {r.name for r in cfg.resources}
    for i, body in enumerate(dbs):
        where = f"[[databases]] #{i + 1}"
        _only(body, "databases", where, err)
        name = _str(body, "name", "", where, err)
        if not DB_NAME_RE.match(name):
            raise err(f"{where}: name must be 1-63 letters, digits, _ . - (it is the "
                      "database name in the agent's URL)", "name")
        where = f"database {name!r}"
        if any(d.name == name for d in cfg.databases):
            raise err(f"{where} is declared twice", f'"{name}"')
        upstream = _str(body, "upstream", "", where, err)
        parts = urlsplit(upstream)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or \
                not parts.path.strip("/"):
            raise err(f"{where}: upstream must be postgresql://USER@HOST[:PORT]/DBNAME",
                      "upstream")
        if parts.password is not None:
            raise err(f"{where}: upstream must not carry a password; keep it in Airlock's "
                      f"secrets (`airlock secret add NAME`) and name it with secret = \"NAME\"",
                      "upstream")
        env = _str(body, "env", "", where, err)
        if not env or (env not in cfg.environments and env not in BUILTIN_ENVS
                       and env not in (known_envs or {})):
            raise err(f"{where}: env must name an environment declared in [environments]",
                      "env")
        db = Database(name, upstream, env, _bool(body, "protected", where, err),
                      _str(body, "secret", "", where, err),
                      str(body.get("description", "")))
        cfg.databases.append(db)
        if f"database:{name}" not in names:
            cfg.resources.append(Resource(f"database:{name}", "postgres", env,
                                          match=(db.server,), protected=db.protected,
                                          description=db.description))


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _table(data: dict[str, Any], key: str, err: Any) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise err(f"[{key}] must be a table", key)
    return value


def _only(body: dict[str, Any], section: str, where: str, err: Any) -> None:
    problem = unknown_key(body, section)
    if problem is not None:
        key = next(k for k in body if k not in SECTION_KEYS[section])
        raise err(f"{where}: {problem}", key)


def _str(body: dict[str, Any], key: str, default: str, where: str, err: Any) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise err(f"{where}: {key} must be a string", key)
    return value


def _bool(body: dict[str, Any], key: str, where: str, err: Any, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise err(f"{where}: {key} must be true or false", key)
    return value


def _strs(body: dict[str, Any], key: str, where: str, err: Any) -> tuple[str, ...]:
    value = body.get(key, ())
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise err(f"{where}: {key} must be a string or a list of strings", key)
    return tuple(value)


SCOPE_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
