"""Provider packs: what an API's calls do, where their targets live, how to authenticate.

A built-in pack describes a Railway-style GraphQL API (the root fields of
:mod:`airlock.classify.packs.railway`, discovery queries, the volume backup endpoint);
``github`` (GitHub's REST API, and its GraphQL endpoint) and ``digitalocean``
(DigitalOcean's API v2) are built-in packs a ``[[providers]]`` entry names with ``pack``.
Each pack also names the API's host names (``hosts``): the forward proxy
(``forward_proxy.py``) intercepts exactly those, plus each provider's upstream host.
Users describe other APIs, REST or GraphQL, with ``[[providers]]`` in Airlock's own
``airlock.toml``: the format, key by key, is in docs/broker.md (its keys are declared in
``config.SECTION_KEYS``, and tests/test_docs.py keeps the two together).

Unknown calls are rated by their shape (GET reads, DELETE destroys, a mutation whose
name says delete is destructive) and never allowed by a token pattern that does not
cover them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import ssl
from dataclasses import dataclass, field
from typing import Any

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext
from airlock.classify.graphql import (
    GraphQLField,
    GraphQLParseError,
    is_unknown,
    looks_destructive,
    operations_from_json,
    parse_operations,
    shown_value,
)
from airlock.config import ConfigError, read_toml, unknown_key

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
HTTP_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}
_METHOD_RISK = {"GET": Risk.READ, "HEAD": Risk.READ, "OPTIONS": Risk.READ,
                "POST": Risk.WRITE, "PUT": Risk.WRITE, "PATCH": Risk.WRITE,
                "DELETE": Risk.DESTRUCTIVE}


@dataclass(frozen=True)
class RestOp:
    method: str
    path: str
    kind: str
    risk: Risk
    name: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    risk: Risk
    ids: tuple[str, ...]


@dataclass(frozen=True)
class DiscoverSpec:
    """GraphQL: ``query`` with ``$id`` and ``env`` a dotted path under ``data``;
    REST: ``method`` + ``path`` (``{id}``) and ``env`` a dotted path into the JSON."""

    env: str
    query: str = ""
    method: str = "GET"
    path: str = ""


@dataclass
class Provider:
    name: str
    upstream: str
    api: str = "graphql"
    pack: str = ""
    secret: str = ""
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    graphql_path: str = "/graphql/v2"
    operations: list[RestOp] = field(default_factory=list)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    discover: dict[str, DiscoverSpec] = field(default_factory=dict)
    volume_backup: str = ""  # path template of the volume export/import endpoint
    # host names the forward proxy intercepts for this provider (besides the upstream's)
    hosts: tuple[str, ...] = ()
    ca_bundle: str = ""  # PEM file the upstream's certificate is verified against
    graphql_at: str = ""  # a REST API's GraphQL endpoint (GitHub's /graphql)

    def is_graphql(self, method: str, path: str) -> bool:
        """Whether a call is a GraphQL request (its body is read and decided on)."""
        return method == "POST" and (self.api == "graphql" or
                                     (bool(self.graphql_at) and path == self.graphql_at))

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """How the upstream's certificate is verified: the system's CAs, or ``ca_bundle``."""
        return verify_context(self.ca_bundle) if self.ca_bundle else True

    def auth_value(self, credential: str) -> str:
        return f"{self.auth_scheme} {credential}" if self.auth_scheme else credential

    def locator(self, kind: str, ident: str) -> str:
        prefix = "railway" if self.pack == "railway" else self.name
        return f"{prefix}:{kind}:{ident}"


@functools.lru_cache(maxsize=32)
def verify_context(ca_bundle: str) -> ssl.SSLContext:
    """A client TLS context that trusts the CAs in the PEM file ``ca_bundle`` (host names
    verified as usual); made once per file. Verification is never switched off."""
    return ssl.create_default_context(cafile=ca_bundle)


# ---- built-in packs ----------------------------------------------------------------------

RAILWAY_DISCOVER = {
    "volume": DiscoverSpec(query="query($id: String!) { volume(id: $id) { environment "
                                 "{ name } } }", env="volume.environment.name"),
    "service": DiscoverSpec(query="query($id: String!) { service(id: $id) { environment "
                                  "{ name } } }", env="service.environment.name"),
    "environment": DiscoverSpec(query="query($id: String!) { environment(id: $id) "
                                      "{ name } }", env="environment.name"),
}


RAILWAY_HOSTS = ("backboard.railway.app", "backboard.railway.com")


def railway(name: str = "railway", upstream: str = "https://backboard.railway.app") -> Provider:
    return Provider(name=name, upstream=upstream, api="graphql", pack="railway",
                    secret=name, discover=dict(RAILWAY_DISCOVER),
                    volume_backup="/backup/volumes/{id}", hosts=RAILWAY_HOSTS)


def _op(method: str, path: str, kind: str, risk: Risk, name: str,
        id_pattern: str = "[^/]+") -> RestOp:
    """An operation whose ``{id}`` may span several segments (``id_pattern``): GitHub
    names a repository ``owner/repo``."""
    regex = _template(path).pattern.replace("(?P<id>[^/]+)", f"(?P<id>{id_pattern})")
    return RestOp(method, path, kind, risk, name, re.compile(regex))


_REPO = "[^/]+/[^/]+"
R, W, D = Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE
# GitHub's REST API (https://docs.github.com/rest): the calls that destroy or change what
# is hard to get back. Any other call is rated by its method (GET reads, DELETE destroys).
GITHUB_OPS = (
    ("DELETE", "/repos/{id}", "repository", D, "repo.delete"),
    ("PATCH", "/repos/{id}", "repository", W, "repo.update"),
    ("POST", "/repos/{id}/transfer", "repository", D, "repo.transfer"),
    ("DELETE", "/repos/{id}/git/refs/{ref}", "repository", D, "ref.delete"),
    ("PATCH", "/repos/{id}/git/refs/{ref}", "repository", D, "ref.update"),  # force push
    ("DELETE", "/repos/{id}/contents/{path}", "repository", D, "contents.delete"),
    ("PUT", "/repos/{id}/contents/{path}", "repository", W, "contents.write"),
    ("DELETE", "/repos/{id}/releases/{release}", "repository", D, "release.delete"),
    ("DELETE", "/repos/{id}/branches/{branch}/protection", "repository", D,
     "protection.delete"),
    ("PUT", "/repos/{id}/branches/{branch}/protection", "repository", W, "protection.write"),
    ("DELETE", "/repos/{id}/hooks/{hook}", "repository", D, "hook.delete"),
    ("DELETE", "/repos/{id}/actions/secrets/{secret}", "repository", D, "secret.delete"),
    ("PUT", "/repos/{id}/actions/secrets/{secret}", "repository", W, "secret.write"),
    ("DELETE", "/repos/{id}/environments/{env}", "repository", D, "environment.delete"),
    ("POST", "/repos/{id}/issues", "repository", W, "issue.create"),
    ("POST", "/repos/{id}/pulls", "repository", W, "pull.create"),
    ("PUT", "/repos/{id}/pulls/{number}/merge", "repository", W, "pull.merge"),
    ("DELETE", "/orgs/{id}", "organization", D, "org.delete"),
    ("DELETE", "/orgs/{id}/members/{user}", "organization", D, "member.remove"),
)
GITHUB_HOSTS = ("api.github.com",)


def github(name: str = "github", upstream: str = "https://api.github.com") -> Provider:
    ops = [_op(m, p, k, r, n, _REPO if p.startswith("/repos/") else "[^/]+")
           for m, p, k, r, n in GITHUB_OPS]
    return Provider(name=name, upstream=upstream, api="rest", pack="github", secret=name,
                    operations=ops, hosts=GITHUB_HOSTS, graphql_at="/graphql",
                    graphql_path="/graphql")


# DigitalOcean's API v2 (https://docs.digitalocean.com/reference/api/): a droplet action
# is rated destructive because its body (not read on a REST call) may say "rebuild".
DIGITALOCEAN_OPS = (
    ("DELETE", "/v2/droplets/{id}", "droplet", D, "droplet.delete"),
    ("POST", "/v2/droplets/{id}/actions", "droplet", D, "droplet.action"),
    ("DELETE", "/v2/volumes/{id}", "volume", D, "volume.delete"),
    ("POST", "/v2/volumes/{id}/actions", "volume", W, "volume.action"),
    ("DELETE", "/v2/databases/{id}", "database", D, "database.delete"),
    ("DELETE", "/v2/databases/{id}/dbs/{db}", "database", D, "database.db.delete"),
    ("DELETE", "/v2/kubernetes/clusters/{id}", "cluster", D, "cluster.delete"),
    ("DELETE", "/v2/apps/{id}", "app", D, "app.delete"),
    ("DELETE", "/v2/snapshots/{id}", "snapshot", D, "snapshot.delete"),
    ("DELETE", "/v2/domains/{id}", "domain", D, "domain.delete"),
    ("POST", "/v2/droplets", "droplet", W, "droplet.create"),
)
DIGITALOCEAN_HOSTS = ("api.digitalocean.com",)


def digitalocean(name: str = "digitalocean",
                 upstream: str = "https://api.digitalocean.com") -> Provider:
    return Provider(name=name, upstream=upstream, api="rest", pack="digitalocean",
                    secret=name, hosts=DIGITALOCEAN_HOSTS,
                    operations=[_op(*op) for op in DIGITALOCEAN_OPS])


PACKS = {"railway": railway, "github": github, "digitalocean": digitalocean}
DEFAULT_UPSTREAM = {"railway": "https://backboard.railway.app",
                    "github": "https://api.github.com",
                    "digitalocean": "https://api.digitalocean.com"}


# ---- classification ------------------------------------------------------------------


def classify(prov: Provider, method: str, path: str, body: bytes | None,
             ctx: ClassifyContext) -> list[Target]:
    """The targets of one proxied call. Whatever cannot be read is flagged ``unparsed``
    (and held by policy)."""
    if prov.is_graphql(method, path):
        return _classify_graphql(prov, body or b"", ctx)
    return [_classify_rest(prov, method, path)]


def _classify_graphql(prov: Provider, body: bytes, ctx: ClassifyContext) -> list[Target]:
    try:
        fields = _parsed(body) if len(body) <= MAX_CACHED_BODY else _parse(body)
    except (ValueError, RecursionError, GraphQLParseError) as exc:
        reason = str(exc)[:200] if isinstance(exc, GraphQLParseError) else "not JSON"
        ctx.unparsed(f"{prov.name}: GraphQL request cannot be read ({reason})")
        return [Target(kind="graphql", name="?", verb=f"{prov.name}.unknown",
                       risk=Risk.CATASTROPHIC, tool=prov.name, locator=f"{prov.name}:?",
                       unresolved=True, detail="unreadable GraphQL request")]
    if prov.pack == "railway" and not prov.fields:
        from airlock.classify.packs import railway as rw

        targets = rw.classify_graphql(fields, ctx, via=f"proxy/{prov.name}")
        for f in fields:  # a call naming its environment: resolve the name through it
            env_id = f.arg("environmentId") or f.arg("input.environmentId")
            if isinstance(env_id, str) and not is_unknown(env_id):
                for t in targets:
                    if t.verb == f"railway.{f.name}" and t.kind != "environment":
                        t.tags = (*t.tags, f"environment-id:{env_id}")
        return targets
    out: list[Target] = []
    for f in fields:
        spec = prov.fields.get(f.name)
        if spec is None:
            risk = Risk.READ if f.operation != "mutation" else (
                Risk.DESTRUCTIVE if looks_destructive(f.name) else Risk.WRITE)
            spec = FieldSpec("graphql", risk, ("id",))
        value: Any = None
        for p in spec.ids:
            value = f.arg(p)
            if value is not None:
                break
        ident = "" if value is None or isinstance(value, list | dict) else shown_value(value)
        unresolved = value is not None and (is_unknown(value) or isinstance(value, list | dict))
        out.append(Target(kind=spec.kind, name=ident or f.name, verb=f"{prov.name}.{f.name}",
                          risk=spec.risk, tool=prov.name,
                          locator=prov.locator(spec.kind, ident) if ident else f"{prov.name}:",
                          unresolved=unresolved,
                          detail=f"{f.operation} {f.name}"))
    return out


MAX_CACHED_BODY = 16 << 10


def _parse(body: bytes) -> tuple[GraphQLField, ...]:
    ops = operations_from_json(json.loads(body))
    if not ops:
        raise GraphQLParseError("the body holds no GraphQL query")
    return tuple(parse_operations(ops))


# Agents send the same few queries over and over (status polls, listings): the root fields
# of a body are a pure function of its bytes, so they are parsed once (GraphQL servers keep
# a document cache for the same reason). Errors are not cached.
_parsed = functools.lru_cache(maxsize=512)(_parse)


def warm_up() -> None:
    """Import and exercise the GraphQL parser once (at server start)."""
    _parse(b'{"query": "{ __typename }"}')


def _classify_rest(prov: Provider, method: str, path: str) -> Target:
    for op in prov.operations:
        if op.method != method:
            continue
        m = op.regex.match(path)
        if m:
            ident = m.groupdict().get("id") or ""
            return Target(kind=op.kind, name=ident or path, verb=f"{prov.name}.{op.name}",
                          risk=op.risk, tool=prov.name,
                          locator=prov.locator(op.kind, ident) if ident else f"{prov.name}:",
                          detail=f"{method} {op.path}")
    risk = _METHOD_RISK.get(method, Risk.DESTRUCTIVE)
    return Target(kind="endpoint", name=path, verb=f"{prov.name}.{method.lower()}",
                  risk=risk, tool=prov.name, locator=f"{prov.name}:endpoint:{path}",
                  detail=f"{method} {path} (no operation in the pack matches)")


def op_name(t: Target) -> str:
    return t.verb.split(".", 1)[1] if "." in t.verb else t.verb


def has_id(t: Target) -> bool:
    parts = t.locator.split(":", 2)
    return len(parts) == 3 and bool(parts[2]) and parts[2] != "?"


# ---- configuration -------------------------------------------------------------------


def _template(path: str) -> re.Pattern[str]:
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)\}", path):
        out += re.escape(path[pos:m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
        pos = m.end()
    return re.compile("^" + out + re.escape(path[pos:]) + "/?$")


def _str(body: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def _risk(text: str, where: str) -> Risk:
    try:
        return Risk.parse(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse(items: Any, path: str = "airlock.toml") -> dict[str, Provider]:
    """``[[providers]]`` → providers by name (the built-in railway one when none is named
    railway). Raises :class:`ConfigError` naming the mistake."""
    out: dict[str, Provider] = {"railway": railway()}
    if items is None:
        return out
    if not isinstance(items, list):
        raise ConfigError(f"{path}: [[providers]] must be an array of tables")
    for i, body in enumerate(items):
        where = f"{path}: [[providers]] #{i + 1}"
        if not isinstance(body, dict):
            raise ConfigError(f"{where} must be a table")
        problem = unknown_key(body, "providers")
        if problem:
            raise ConfigError(f"{where}: {problem}")
        name = _str(body, "name", where)
        if not NAME_RE.match(name):
            raise ConfigError(f"{where}: name must be lower-case letters, digits, - _")
        pack = _str(body, "pack", where, "")
        if pack and pack not in PACKS:
            raise ConfigError(f"{where}: unknown pack {pack!r} (built in: "
                              f"{', '.join(sorted(PACKS))})")
        upstream = _str(body, "upstream", where, DEFAULT_UPSTREAM.get(pack))
        if not upstream.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: upstream must be an http(s) URL")
        prov = PACKS[pack](name, upstream.rstrip("/")) if pack else Provider(
            name=name, upstream=upstream.rstrip("/"), secret=name)
        prov.api = _str(body, "api", where, prov.api)
        if prov.api not in ("graphql", "rest"):
            raise ConfigError(f"{where}: api must be graphql or rest")
        prov.secret = _str(body, "secret", where, prov.secret or name)
        prov.auth_header = _str(body, "auth_header", where, prov.auth_header)
        prov.auth_scheme = _str(body, "auth_scheme", where, prov.auth_scheme)
        prov.graphql_path = _str(body, "graphql_path", where, prov.graphql_path)
        prov.volume_backup = _str(body, "volume_backup", where, prov.volume_backup)
        bundle = _str(body, "ca_bundle", where, "")
        prov.ca_bundle = os.path.join(os.path.dirname(os.path.abspath(path)), bundle) \
            if bundle else ""
        hosts = body.get("hosts", list(prov.hosts))
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
            raise ConfigError(f"{where}: hosts must be a list of host names")
        prov.hosts = tuple(h.lower().rstrip(".") for h in hosts)
        for j, op in enumerate(body.get("operations", [])):
            w = f"{where} operations #{j + 1}"
            method = _str(op, "method", w).upper()
            if method not in HTTP_METHODS:
                raise ConfigError(f"{w}: unknown method {method}")
            tpath = _str(op, "path", w)
            prov.operations.append(RestOp(method, tpath, _str(op, "kind", w),
                                          _risk(_str(op, "risk", w), w),
                                          _str(op, "name", w, f"{method.lower()}"),
                                          _template(tpath)))
        for j, fs in enumerate(body.get("fields", [])):
            w = f"{where} fields #{j + 1}"
            ids = fs.get("id", "id")
            prov.fields[_str(fs, "field", w)] = FieldSpec(
                _str(fs, "kind", w), _risk(_str(fs, "risk", w), w),
                tuple(ids) if isinstance(ids, list) else (str(ids),))
        disc = body.get("discover", {})
        if not isinstance(disc, dict):
            raise ConfigError(f"{where}: discover must be a table of kinds")
        for kind, spec in disc.items():
            w = f"{where} discover.{kind}"
            prov.discover[kind] = DiscoverSpec(env=_str(spec, "env", w),
                                               query=_str(spec, "query", w, ""),
                                               method=_str(spec, "method", w, "GET").upper(),
                                               path=_str(spec, "path", w, ""))
        out[name] = prov
    return out


def load(config_path: str | None) -> dict[str, Provider]:
    """The providers of the config file at ``config_path`` (built-ins when there is none)."""
    if not config_path:
        return parse(None)
    return parse(read_toml(config_path)[0].get("providers"), config_path)
