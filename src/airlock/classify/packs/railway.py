"""Railway: the ``railway`` CLI and the public GraphQL API (``backboard.railway.{app,com}``).

The incident Airlock exists for is a ``volumeDelete`` mutation sent to this API with curl, so
both doors lead to the same verbs and the same locators: ``railway volume delete --volume
3d2c42fb`` and ``mutation { volumeDelete(volumeId: "3d2c42fb") }`` are both
``railway.volumeDelete`` on ``railway:volume:3d2c42fb``, so one inventory entry
(``ids = ["3d2c42fb"]``) matches either.

- CLI: a rule table (first match wins) plus code for ``railway api`` (raw GraphQL, classified
  like the HTTP API), ``railway ssh`` (a command run inside the deployed service) and
  ``railway connect`` fed from stdin (statements into a database shell).
- API: :func:`classify_graphql` rates root fields from the table :data:`FIELDS`; unknown
  mutations write unless their name says they delete.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.graphql import (
    SENTINEL,
    UNKNOWN,
    GraphQLField,
    GraphQLParseError,
    is_unknown,
    looks_destructive,
    name_tokens,
    parse_document,
    shown_value,
)
from airlock.classify.http.request import read_body_file
from airlock.classify.packs.base import Pack, Rule, rule

# ---------------------------------------------------------------------------------------------
# GraphQL API

# Railway's public GraphQL API: an HTTP request to these hosts is read by this pack
HOSTS = ("backboard.railway.app", "backboard.railway.com")


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one root field of Railway's API is rated: risk, target kind, where its id is."""

    risk: Risk
    kind: str
    ids: tuple[str, ...]  # argument paths tried in order: "volumeId", "input.volumeId"
    detail: str = ""


def _f(risk: str, kind: str, *ids: str, detail: str = "") -> FieldRule:
    return FieldRule(Risk.parse(risk), kind, ids, detail)


FIELDS: dict[str, FieldRule] = {
    # data gone, no undo
    "volumeDelete": _f("catastrophic", "volume", "volumeId", "id", "input.volumeId"),
    "environmentDelete": _f("catastrophic", "environment", "id", "environmentId"),
    "projectDelete": _f("catastrophic", "project", "id", "projectId"),
    "projectScheduleDelete": _f("catastrophic", "project", "id", "projectId"),
    "bucketDelete": _f("catastrophic", "bucket", "id", "bucketId", "input.bucketId"),
    "pluginDelete": _f("catastrophic", "database", "id", detail="deletes a database plugin"),
    "workspaceDelete": _f("catastrophic", "workspace", "id", "workspaceId"),
    "teamDelete": _f("catastrophic", "workspace", "id", "teamId"),
    # destructive
    "serviceDelete": _f("destructive", "service", "id", "serviceId"),
    "volumeInstanceBackupDelete": _f(
        "destructive", "backup", "volumeInstanceBackupId", "id", "volumeInstanceId"
    ),
    "volumeInstanceBackupBatchDelete": _f(
        "destructive", "backup", "volumeInstanceBackupIds", "volumeInstanceId"
    ),
    "volumeInstanceBackupRestore": _f(
        "destructive",
        "volume",
        "volumeInstanceId",
        "volumeInstanceBackupId",
        detail="replaces the volume's current data with a backup",
    ),
    "deploymentRemove": _f("destructive", "deployment", "id", "deploymentId"),
    "variableDelete": _f("destructive", "variable", "input.name", "name"),
    "customDomainDelete": _f("destructive", "domain", "id"),
    "serviceDomainDelete": _f("destructive", "domain", "id"),
    "tcpProxyDelete": _f("destructive", "tcp-proxy", "id"),
    "deploymentTriggerDelete": _f("destructive", "deployment-trigger", "id"),
    "templateDelete": _f("destructive", "template", "id"),
    "apiTokenDelete": _f("destructive", "token", "id"),
    "projectTokenDelete": _f("destructive", "token", "id"),
    "sshPublicKeyDelete": _f("destructive", "ssh-key", "id"),
    "bucketCredentialsReset": _f(
        "destructive",
        "bucket",
        "bucketId",
        "id",
        "input.bucketId",
        detail="invalidates the bucket's current credentials",
    ),
    "environmentPatchCommitStaged": _f(
        "destructive",
        "environment",
        "environmentId",
        "id",
        detail="commits staged changes that are not visible here",
    ),
    # writes
    "customDomainCreate": _f("write", "domain", "input.domain", "domain"),
    "serviceDomainCreate": _f("write", "service", "input.serviceId", "serviceId"),
    "variableUpsert": _f("write", "variable", "input.name", "name"),
    "variableCollectionUpsert": _f("write", "environment", "input.environmentId", "environmentId"),
    "serviceCreate": _f("write", "service", "input.name", "input.projectId"),
    "serviceUpdate": _f("write", "service", "id", "serviceId"),
    "serviceConnect": _f("write", "service", "id", "serviceId"),
    "serviceDisconnect": _f("write", "service", "id", "serviceId"),
    "serviceInstanceUpdate": _f("write", "service", "serviceId", "id"),
    "serviceInstanceRedeploy": _f("write", "service", "serviceId", "id"),
    "serviceInstanceDeploy": _f("write", "service", "serviceId", "id"),
    "serviceInstanceDeployV2": _f("write", "service", "serviceId", "id"),
    "deploymentRedeploy": _f("write", "deployment", "id", "deploymentId"),
    "deploymentRestart": _f("write", "deployment", "id", "deploymentId"),
    "deploymentRollback": _f("write", "deployment", "id", "deploymentId"),
    "deploymentStop": _f("write", "deployment", "id", "deploymentId"),
    "volumeCreate": _f("write", "volume", "input.projectId", "projectId"),
    "volumeUpdate": _f("write", "volume", "volumeId", "id"),
    "volumeInstanceUpdate": _f("write", "volume", "volumeId", "volumeInstanceId", "id"),
    "volumeInstanceBackupCreate": _f("write", "volume", "volumeInstanceId", "volumeId"),
    "environmentCreate": _f("write", "environment", "input.name", "name"),
    "environmentRename": _f("write", "environment", "id", "environmentId"),
    "environmentPatchCommit": _f("write", "environment", "environmentId", "id"),
    "environmentStageChanges": _f("write", "environment", "environmentId", "id"),
    "projectCreate": _f("write", "project", "input.name", "name"),
    "projectUpdate": _f("write", "project", "id", "projectId"),
    "tcpProxyCreate": _f("write", "service", "input.serviceId", "serviceId"),
}

_ID_GUESSES = ("id", "input.id")
_KIND_OF_TOKEN = {
    "volume": "volume",
    "environment": "environment",
    "project": "project",
    "service": "service",
    "variable": "variable",
    "variables": "variable",
    "deployment": "deployment",
    "deployments": "deployment",
    "bucket": "bucket",
    "domain": "domain",
    "custom": "domain",
    "plugin": "database",
    "workspace": "workspace",
    "team": "workspace",
}


def _guess_kind(name: str) -> str:
    tokens = name_tokens(name)
    for t in tokens[:2]:
        if t in _KIND_OF_TOKEN:
            return _KIND_OF_TOKEN[t]
    return "railway"


def _rule_for(f: GraphQLField) -> FieldRule:
    known = FIELDS.get(f.name)
    if known is not None:
        return known
    kind = _guess_kind(f.name)
    ids = (f"{kind}Id", *_ID_GUESSES) if kind != "railway" else _ID_GUESSES
    if f.operation != "mutation":
        return FieldRule(Risk.READ, kind, ids)
    if f.dynamic:
        return FieldRule(Risk.CATASTROPHIC, kind, ids, "mutation name is not known")
    risk = Risk.DESTRUCTIVE if looks_destructive(f.name) else Risk.WRITE
    return FieldRule(risk, kind, ids)


def _names(value: Any) -> list[tuple[str, str, bool]]:
    """(shown name, locator part, unresolved) for an id value (a list gives several)."""
    if isinstance(value, list) and value:
        out: list[tuple[str, str, bool]] = []
        for v in value:
            out.extend(_names(v))
        return out
    if value is None or value is UNKNOWN or isinstance(value, list | dict):
        return [("?", "?", True)]
    text = value if isinstance(value, str) else shown_value(value)
    if is_unknown(text):
        return [(shown_value(text), text.replace(SENTINEL, DYNAMIC), True)]
    return [(text, text, False)]


def _deleted_in_patch(patch: Any) -> list[tuple[str, str]]:
    """(kind, id) of every volume/bucket/service an environment patch marks ``isDeleted``."""
    out: list[tuple[str, str]] = []
    if not isinstance(patch, Mapping):
        return out
    for section, kind in (("volumes", "volume"), ("buckets", "bucket"), ("services", "service")):
        entries = patch.get(section)
        if not isinstance(entries, Mapping):
            continue
        for key, conf in entries.items():
            if isinstance(conf, Mapping) and conf.get("isDeleted") not in (None, False):
                out.append((kind, str(key)))
    return out


def classify_graphql(
    fields: Sequence[GraphQLField], ctx: ClassifyContext, *, via: str = ""
) -> list[Target]:
    """Targets for root fields sent to Railway's public GraphQL API."""
    targets: list[Target] = []
    how = f" via {via}" if via else ""
    for f in fields:
        fr = _rule_for(f)
        risk = fr.risk
        detail = fr.detail
        verb = f"railway.{f.shown}"
        if f.dynamic and f.operation == "mutation":
            ctx.unparsed(f"railway: GraphQL mutation name comes from a shell expansion{how}")
        if f.name in ("environmentPatchCommit", "environmentStageChanges"):
            patch = f.arg("patch") if f.arg("patch") is not None else f.arg("input")
            staged = f.name == "environmentStageChanges"
            if patch is UNKNOWN or (patch is not None and is_unknown(patch)):
                risk = max(risk, Risk.DESTRUCTIVE)
                detail = "environment patch is not fully visible"
                if not staged:
                    ctx.unparsed(f"railway: {f.name} with a patch that is not visible{how}")
            for kind, ident in _deleted_in_patch(patch):
                worst = Risk.CATASTROPHIC if kind in ("volume", "bucket") else Risk.DESTRUCTIVE
                if staged:
                    worst = Risk.DESTRUCTIVE
                targets.append(
                    Target(
                        kind=kind,
                        name=shown_value(ident),
                        verb=f"railway.{f.name}.delete{kind.capitalize()}",
                        risk=worst,
                        tool="railway",
                        locator=f"railway:{kind}:{ident.replace(SENTINEL, DYNAMIC)}",
                        detail=f"environment patch deletes this {kind}"
                        + (" (staged)" if staged else "")
                        + how,
                        unresolved=is_unknown(ident),
                    )
                )
        if f.name == "variableCollectionUpsert" and f.arg("input.replace") not in (None, False):
            risk = max(risk, Risk.DESTRUCTIVE)
            detail = "replace: variables not listed are deleted"
        value: Any = None
        for path in fr.ids:
            value = f.arg(path)
            if value is not None:
                break
        names = _names(value)
        args = ", ".join(f"{k}: {shown_value(v)}" for k, v in f.arguments.items())
        text = detail or f"{f.operation} {f.shown}({args})"
        for shown, loc, unresolved in names:
            if risk == Risk.READ and shown == "?":
                shown, loc, unresolved = f.shown, "", False
            targets.append(
                Target(
                    kind=fr.kind,
                    name=shown,
                    verb=verb,
                    risk=risk,
                    tool="railway",
                    locator=f"railway:{fr.kind}:{loc}" if loc else "railway:",
                    detail=(text + how)[:300],
                    unresolved=unresolved or f.dynamic,
                )
            )
    return targets


# ---------------------------------------------------------------------------------------------
# CLI

_VAR = "variable|variables|vars|var"
_ENV = "environment|env"
_DEL = "delete|remove|rm"
_FUNCS = "functions|function|func|fn|funcs|fns"


def _target(kind: str, spec: str) -> dict[str, str]:
    return {"target": spec, "kind": kind, "locator": f"railway:{kind}:{{name}}"}


_VOLUME = _target("volume", "opt:--volume|-v")
_BUCKET = _target("bucket", "opt:--bucket|-b")
_SERVICE = _target("service", "opt:--service|-s")
_PROJECT = _target("project", "opt:--project|-p")

# fmt: off
RULES: tuple[Rule, ...] = (
    # the words after these belong to another command: never read them as railway's
    rule("railway.run", "write", "run|local",
         detail="runs a local command with the service's variables injected"),
    rule("railway.shell", "write", "shell",
         detail="opens a local shell with the service's variables injected"),
    rule("railway.dev", "write", "dev|develop"),
    # volumes
    rule("railway.volumeDelete", "catastrophic", "volume", _DEL, **_VOLUME),
    rule("railway.volume.upload", "destructive", "volume", "upload|up|put", flags="-y|--yes",
         detail="may overwrite files on the volume", **_VOLUME),
    rule("railway.volume.upload", "write", "volume", "upload|up|put", **_VOLUME),
    rule("railway.volume.read", "read", "volume", "list|ls|files|download|dl|get"),
    rule("railway.volume.write", "write", "volume", **_VOLUME),  # add, update, attach, detach…
    # buckets
    rule("railway.bucketDelete", "catastrophic", "bucket", _DEL, **_BUCKET),
    rule("railway.bucketCredentialsReset", "destructive", "bucket", "credentials",
         flags="--reset", detail="invalidates the bucket's current credentials", **_BUCKET),
    rule("railway.bucket.read", "read", "bucket", "list|ls|info|credentials"),
    rule("railway.bucket.write", "write", "bucket", **_BUCKET),
    # environments
    rule("railway.environmentDelete", "catastrophic", _ENV, _DEL,
         **_target("environment", "arg:0")),
    rule("railway.environmentCreate", "write", _ENV, "new|create"),
    rule("railway.environment.link", "write", _ENV),
    # projects
    rule("railway.projectDelete", "catastrophic", "delete", **_PROJECT),
    rule("railway.projectDelete", "catastrophic", "project", _DEL, **_PROJECT),
    rule("railway.project.list", "read", "project", "list|ls"),
    rule("railway.project.link", "write", "project"),
    # services
    rule("railway.serviceDelete", "destructive", "service", _DEL, **_SERVICE),
    rule("railway.service.read", "read", "service", "list|ls|status|logs"),
    rule("railway.service.write", "write", "service"),  # link, redeploy, restart, scale
    # deployments
    rule("railway.deploymentRemove", "destructive", "down",
         detail="removes the service's latest deployment", **_SERVICE),
    rule("railway.deployment.list", "read", "deployment", "list|ls"),
    rule("railway.deploy", "write", "up|deploy|redeploy|restart|scale|deployment"),
    # variables
    rule("railway.variableDelete", "destructive", _VAR, _DEL, **_target("variable", "args")),
    rule("railway.variableUpsert", "write", _VAR, "set"),
    rule("railway.variableUpsert", "write", _VAR, flags="--set|--set-from-stdin"),
    rule("railway.variable.list", "read", _VAR),
    # domains
    rule("railway.customDomainDelete", "destructive", "domain", _DEL,
         **_target("domain", "arg:0")),
    rule("railway.domain", "write", "domain"),
    # functions, and anything else with a delete subcommand
    rule("railway.function.delete", "destructive", _FUNCS, _DEL),
    rule("railway.delete", "destructive", "*", _DEL),
    # reads
    rule("railway.read", "read",
         "logs|status|list|whoami|docs|open|completion|metrics|usage|help|version|"
         "check_updates|check-updates|starship|changes"),
    rule("railway.connect", "read", "connect"),  # with stdin: see RailwayPack.classify
    rule("railway.list", "read", "*", "list|ls"),
    # local state, login, creation
    rule("railway.link", "write",
         "link|unlink|init|add|login|logout|mcp|setup|upgrade|autoupdate"),
)
# fmt: on

TAKES_VALUE = frozenset({
    "-s", "--service", "-e", "--environment", "-p", "--project", "-v", "--volume",
    "-b", "--bucket", "--set", "--set-from-stdin", "-m", "--mount-path", "-n", "--name",
    "--port", "-d", "--duplicate", "--copy", "--service-variable", "-i", "--identity-file",
    "--local-dir", "--2fa-code", "--lines", "--filter", "-r", "--region",
    "--deployment-id", "--deployment", "-t", "--template", "--variables", "--var",
    "--raw-var", "--operation-name", "-f", "--file", "--kind", "--limit",
})  # fmt: skip


class RailwayPack(Pack):
    """Rules plus code for ``railway api``, ``railway ssh`` and ``railway connect < file``,
    and Railway's GraphQL API for requests to its :attr:`hosts` (``curl … backboard``)."""

    def classify_graphql(self, fields: Sequence[GraphQLField], ctx: ClassifyContext, *,
                         via: str) -> list[Target]:
        return classify_graphql(fields, ctx, via=via)

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, self.takes_value)
        for r in self.user_rules:
            if r.matches(positionals, options):
                return self.targets_for(r, cmd, positionals, options, ctx)
        if positionals and positionals[0].dynamic:
            ctx.unparsed(f"railway: subcommand {positionals[0].shown!r} is not known")
            return [self._worst(cmd, "subcommand comes from a shell expansion")]
        sub = positionals[0].text if positionals else ""
        if sub == "api":
            return self._api(cmd, positionals[1:], options, ctx)
        if sub == "ssh" and len(positionals) > 1:
            inner = " ".join(w.shown for w in positionals[1:])
            return [
                self._base(
                    "railway.ssh.exec",
                    Risk.DESTRUCTIVE,
                    options,
                    f"runs `{inner}` inside the deployed service (not classified)",
                )
            ]
        if sub == "ssh":
            return [self._base("railway.ssh", Risk.WRITE, options, "interactive shell")]
        if sub == "connect" and (cmd.stdin is not None or cmd.stdin_unknown):
            return [
                self._base(
                    "railway.connect.stdin",
                    Risk.DESTRUCTIVE,
                    options,
                    "statements from stdin go to the service's database shell (not classified)",
                )
            ]
        targets = super().classify(cmd, ctx)
        env = _opt(options, "--environment", "-e")
        if env is not None:
            for t in targets:
                note = f"environment {env.shown}"
                t.detail = f"{t.detail}; {note}" if t.detail else note
        return targets

    def _base(
        self, verb: str, risk: Risk, options: dict[str, list[Word | None]], detail: str
    ) -> Target:
        service = _opt(options, "--service", "-s")
        if service is not None:
            name, locator = service.shown, f"railway:service:{service.text}"
            unresolved = service.unknown
        else:
            name, locator, unresolved = "railway", "railway:", False
        env = _opt(options, "--environment", "-e")
        if env is not None:
            detail = f"{detail}; environment {env.shown}"
        return Target(
            kind="service" if service is not None else self.kind,
            name=name,
            verb=verb,
            risk=risk,
            tool=self.name,
            locator=locator,
            detail=detail,
            unresolved=unresolved,
        )

    def _worst(self, cmd: SimpleCommand, detail: str) -> Target:
        return Target(
            kind=self.kind,
            name="?",
            verb="railway.unknown",
            risk=Risk.DESTRUCTIVE,
            tool=self.name,
            locator="railway:",
            detail=detail,
            unresolved=True,
        )

    def _api(
        self,
        cmd: SimpleCommand,
        rest: list[Word],
        options: dict[str, list[Word | None]],
        ctx: ClassifyContext,
    ) -> list[Target]:
        """``railway api [QUERY] [-f FILE] [--variables JSON|@FILE] [--var K=V]…``."""
        if rest and not rest[0].dynamic and rest[0].text in ("schema", "search", "describe"):
            return [self._base("railway.api.schema", Risk.READ, {}, "reads the API schema")]
        document: str | None = None
        source = "argument"
        file_word = _opt(options, "--file", "-f")
        if rest:
            document = rest[0].text
        elif file_word is not None:
            source = f"file {file_word.shown}"
            document = _read(file_word.text, cmd, ctx)
        else:
            source = "stdin"
            document = cmd.stdin
        if document is None:
            reason = f"railway api: GraphQL document comes from {source}"
            ctx.unparsed(reason)
            return [self._worst(cmd, reason)]

        variables: dict[str, Any] = {}
        raw = _opt(options, "--variables")
        if raw is not None:
            text: str | None = raw.text
            if raw.text.startswith("@"):
                text = _read(raw.text[1:], cmd, ctx)
            parsed: Any = None
            if text is not None:
                try:
                    parsed = json.loads(text.replace(DYNAMIC, SENTINEL))
                except (ValueError, RecursionError):
                    parsed = None
            if isinstance(parsed, dict):
                variables.update(parsed)
            else:
                reason = "railway api: --variables are not visible or not a JSON object"
                ctx.unparsed(reason)
                return [self._worst(cmd, reason)]
        for opt, typed in (("--var", True), ("--raw-var", False)):
            for w in options.get(opt, []):
                if w is None or "=" not in w.text:
                    continue
                key, _, value = w.text.partition("=")
                val: Any = value.replace(DYNAMIC, SENTINEL)
                if typed:
                    with contextlib.suppress(ValueError, RecursionError):
                        val = json.loads(val)
                variables[key.strip()] = val
        op = _opt(options, "--operation-name")
        try:
            fields = parse_document(document, variables, op.text if op is not None else None)
        except GraphQLParseError as exc:
            reason = f"railway api: {exc}"
            ctx.unparsed(reason)
            return [self._worst(cmd, reason)]
        return classify_graphql(fields, ctx, via="railway api")


def _opt(options: dict[str, list[Word | None]], *names: str) -> Word | None:
    for name in names:
        for value in reversed(options.get(name, [])):
            if value is not None:
                return value
    return None


def _read(path: str, cmd: SimpleCommand, ctx: ClassifyContext) -> str | None:
    if path == "-":
        return cmd.stdin
    return read_body_file(path, ctx)


PACKS: list[Pack] = [
    RailwayPack(
        name="railway",
        programs=("railway",),
        hosts=HOSTS,
        rules=RULES,
        kind="railway",
        takes_value=TAKES_VALUE,
        default=rule("railway.other", "write"),
        description="Railway CLI: volumes, environments, projects, services, deployments",
    )
]
