"""Whether a request carries GraphQL, and which operations: a JSON body with a ``query``,
``application/graphql``, a multipart ``operations`` field, or ``?query=`` on a GraphQL
endpoint. Its root fields are rated by :mod:`airlock.classify.graphql`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from airlock.classify.command import DYNAMIC
from airlock.classify.graphql import (
    GraphQLOperation,
    operations_from_json,
    undynamic,
)
from airlock.classify.http.request import HttpRequest, Url, split_url

_GRAPHQL_TYPES = ("application/graphql", "application/graphql+json")


def is_graphql_endpoint(url: str) -> bool:
    """A URL that serves GraphQL by its looks: a ``graphql``/``gql`` path segment. (A host
    a pack declares in its ``hosts`` is a GraphQL endpoint whatever the path: see
    :func:`airlock.classify.http.classify.provider_for`.)"""
    parts = split_url(url)
    if parts is None:
        return False
    segments = [s.lower() for s in parts.path.split("/") if s]
    return any(s in ("graphql", "gql") or s.endswith(".graphql") for s in segments)


@dataclass
class GraphQLBody:
    kind: str  # "none" | "ops" | "unknown"
    ops: list[GraphQLOperation] = field(default_factory=list)
    reason: str = ""


def graphql_in(req: HttpRequest, parts: Url, endpoint: bool, method: str) -> GraphQLBody:
    """Whether the request carries GraphQL, and which operations."""
    # 1. a form: GraphQL multipart request spec ("operations") or a plain "query" field
    if req.form is not None:
        fields = dict(req.form)
        if "operations" in fields:
            return _from_json_text(fields["operations"], endpoint=True, what="operations field")
        if "query" in fields:
            return GraphQLBody("ops", [_op_from_fields(fields)])
    # 2. a body we know
    if req.body is not None and not req.body_unknown:
        if req.content_type in _GRAPHQL_TYPES:
            return GraphQLBody("ops", [GraphQLOperation(query=req.body)])
        gql = _from_json_text(req.body, endpoint=endpoint, what="body")
        if gql.kind != "none":
            return gql
        stripped = req.body.strip()
        if stripped and stripped[0] not in "{[":
            fields = _form_fields(req.body)
            if "query" in fields:
                return GraphQLBody("ops", [_op_from_fields(fields)])
        if endpoint and method not in ("GET", "HEAD", "OPTIONS"):
            if DYNAMIC in req.body:
                return GraphQLBody("unknown", reason="GraphQL request body is partly unknown")
            if stripped.startswith(("query", "mutation", "subscription", "{")):
                return GraphQLBody("ops", [GraphQLOperation(query=req.body)])
            return GraphQLBody("unknown",
                               reason="body of a GraphQL request is not a GraphQL request")
    # 3. a body we cannot see
    if req.body_unknown and endpoint:
        src = req.body_source or "somewhere we cannot see"
        return GraphQLBody("unknown", reason=f"GraphQL request body comes from {src}")
    # 4. GraphQL over GET: ?query=…
    if parts.query:
        fields = _form_fields(parts.query)
        if "query" in fields:
            return GraphQLBody("ops", [_op_from_fields(fields)])
    return GraphQLBody("none")


def _form_fields(text: str) -> dict[str, str]:
    try:
        parsed = parse_qs(undynamic(text), keep_blank_values=True)
    except ValueError:
        return {}
    return {k: v[-1] for k, v in parsed.items() if v}


def _op_from_fields(fields: Mapping[str, str]) -> GraphQLOperation:
    variables: Any = None
    if fields.get("variables"):
        try:
            variables = json.loads(undynamic(fields["variables"]))
        except (ValueError, RecursionError):
            variables = None
    return GraphQLOperation(
        query=fields.get("query"),
        variables=variables if isinstance(variables, Mapping) else None,
        operation_name=fields.get("operationName") or None,
    )


def _from_json_text(text: str, *, endpoint: bool, what: str) -> GraphQLBody:
    try:
        data = json.loads(undynamic(text))
    except (ValueError, RecursionError):
        if endpoint and text.lstrip().startswith(("{", "[")):
            why = "is partly unknown" if DYNAMIC in text else "is not valid JSON"
            return GraphQLBody("unknown", reason=f"GraphQL request {what} {why}")
        return GraphQLBody("none")
    ops = operations_from_json(data)
    if ops:
        return GraphQLBody("ops", ops)
    if endpoint:
        return GraphQLBody("unknown", reason=f"JSON {what} of a GraphQL request holds no query")
    return GraphQLBody("none")
