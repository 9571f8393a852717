"""One HTTP request → its targets: GraphQL by root fields, REST by method, APIs known by
host handed to the pack that declares the host (Railway's backboard → ``railway``), and
services that run SQL they are sent classified by that SQL (:mod:`.sql_apis`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext
from airlock.classify.graphql import (
    GraphQLField,
    GraphQLParseError,
    classify_fields,
    parse_operations,
)
from airlock.classify.http.graphql_body import GraphQLBody, graphql_in, is_graphql_endpoint
from airlock.classify.http.request import HttpRequest, Url, split_url
from airlock.classify.http.rest import (
    is_real_output,
    other_scheme_target,
    output_target,
    rest_target,
    unparsable_target,
)
from airlock.classify.http.sql_apis import classify_sql_api, sql_in_fields


class ApiPack(Protocol):
    """What HTTP classification asks of a pack that declares API hosts (a
    :class:`~airlock.classify.packs.base.Pack`; this module does not import the packs)."""

    name: str
    hosts: tuple[str, ...]

    def classify_graphql(self, fields: Sequence[GraphQLField], ctx: ClassifyContext, *,
                         via: str) -> list[Target]: ...


def provider_for(host: str, ctx: ClassifyContext) -> ApiPack | None:
    """The pack that declares ``host`` in its ``hosts`` (``backboard.railway.app`` →
    ``railway``), from the registry on the context: the packs know their providers'
    APIs, this module does not. Those APIs speak GraphQL whatever the path."""
    if not host:
        return None
    for pack in ctx.registry.values():
        if host in pack.hosts:
            return pack
    return None


def classify_request(req: HttpRequest, ctx: ClassifyContext, *, tool: str) -> list[Target]:
    """The targets of one HTTP request: its URL (REST) or its GraphQL root fields."""
    targets = [output_target(w, ctx, tool) for w in (*req.outputs, *req.additions)
               if is_real_output(w)]
    parts = split_url(req.url)
    if parts is None or (not parts.host and parts.scheme != "file"):
        ctx.unparsed(f"{tool}: cannot parse URL {req.url.replace(DYNAMIC, '$?')!r}")
        targets.append(unparsable_target(req.url.replace(DYNAMIC, "$?"), tool, "unparsable URL"))
        return targets
    method = req.method.upper()
    if parts.scheme not in ("http", "https"):
        targets.append(other_scheme_target(req, parts, tool))
        return targets
    host = (req.header("Host") or "").strip()
    if host and DYNAMIC not in host:
        # an address in the URL and the name in Host: the name says which service it is
        named = split_url(f"{parts.scheme}://{host}/")
        if named is not None and named.host and named.host != parts.host:
            parts = dataclasses.replace(parts, host=named.host, port=named.port or parts.port)
    provider = provider_for(parts.host, ctx)
    if provider is None:
        # a service that runs SQL it is sent (Supabase, D1, Hasura, Neon, libSQL…): the
        # SQL decides (sql_apis.py)
        sql = classify_sql_api(req, parts, method, ctx, tool)
        if sql is not None:
            targets.extend(sql)
            targets.extend(_rerouted(req, parts, method, tool))
            return targets
    endpoint = provider is not None or is_graphql_endpoint(req.url)
    gql = graphql_in(req, parts, endpoint, method)
    if gql.kind == "ops":
        try:
            fields = parse_operations(gql.ops)
        except GraphQLParseError as exc:
            if endpoint or any("mutation" in (op.query or "") for op in gql.ops):
                gql = GraphQLBody("unknown", reason=str(exc))
            else:
                gql = GraphQLBody("none")  # a JSON API with a "query" field that is not GraphQL
        else:
            if provider is not None:
                targets.extend(provider.classify_graphql(fields, ctx, via=tool))
            else:
                targets.extend(classify_fields(fields, ctx, tool=tool, endpoint=parts.locator))
            return targets
    if gql.kind == "unknown":
        ctx.unparsed(f"{tool}: {gql.reason} ({parts.shown})")
        targets.append(
            Target(
                kind="url",
                name=parts.shown,
                verb=f"http.{method.lower()}",
                risk=Risk.DESTRUCTIVE,
                tool=tool,
                locator=parts.locator,
                detail=f"{gql.reason}: cannot tell which GraphQL operation runs",
                unresolved=True,
            )
        )
        return targets
    targets.append(rest_target(req, parts, method, tool))
    if not endpoint:
        # destructive SQL in a field named for SQL, sent to any other API
        targets.extend(sql_in_fields(req, parts, ctx, tool))
    targets.extend(_rerouted(req, parts, method, tool))
    return targets


def _rerouted(req: HttpRequest, parts: Url, method: str, tool: str) -> list[Target]:
    """curl --connect-to / --resolve: the connection goes elsewhere than the URL says;
    that destination is judged too (an address Airlock cannot read is unknown)."""
    out: list[Target] = []
    for where in dict.fromkeys(req.reroutes):
        if where == parts.host or not where:
            continue
        rerouted = dataclasses.replace(parts, host="$?" if DYNAMIC in where else where)
        target = rest_target(req, rerouted, method, tool)
        target.detail = (target.detail + "; " if target.detail else "") + (
            f"the connection is sent to {rerouted.host} instead of {parts.host}")
        target.unresolved = target.unresolved or DYNAMIC in where
        out.append(target)
    return out
