"""GraphQL documents → the root fields they would run.

The server executes the *root fields* of an operation: ``mutation { volumeDelete(volumeId: "x") }``
runs ``volumeDelete`` with ``volumeId = "x"``. This module parses a document with graphql-core
(imported lazily: it costs ~240 ms), expands root-level fragments, resolves argument values
through the request's variables, and rates each field generically:

- query and subscription fields read;
- mutation fields write, or are destructive when their name says so (``volumeDelete``,
  ``deleteUser``, ``purgeCache``).

Provider packs (``packs/railway.py``) rate the fields of APIs they know more precisely.

Text that came from a shell expansion we cannot see is marked with :data:`DYNAMIC` in a
:class:`~airlock.classify.command.Word`; before parsing it is replaced by :data:`SENTINEL`, and
any argument value or field name containing the sentinel counts as unknown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC

if TYPE_CHECKING:
    from airlock.classify.command import ClassifyContext

SENTINEL = "airlock_dynamic_9f1c"  # valid in a GraphQL name, a JSON string, a host; lowercase
MAX_TOKENS = 20_000


class GraphQLParseError(ValueError):
    """The document (or the request around it) is not GraphQL we can understand."""


class _Unknown:
    """An argument value we cannot know: a missing variable or text from a shell expansion."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True, slots=True)
class GraphQLField:
    """One root field of one operation: what the server would run."""

    operation: str  # "query" | "mutation" | "subscription"
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    alias: str | None = None
    operation_name: str | None = None

    @property
    def dynamic(self) -> bool:
        """The field name itself came from a shell expansion: it could be anything."""
        return SENTINEL in self.name

    @property
    def shown(self) -> str:
        return self.name.replace(SENTINEL, "$?")

    def arg(self, path: str) -> Any:
        """The value at a dotted argument path (``input.volumeId``); None when absent."""
        value: Any = self.arguments
        for part in path.split("."):
            if value is UNKNOWN:
                return UNKNOWN
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value


# ---------------------------------------------------------------------------------------------
# destructive names


_SUBSTRING_WORDS = ("delete", "destroy", "remove", "purge", "truncate", "erase", "revoke")
_TOKEN_WORDS = frozenset({"drop", "wipe", "reset", "terminate", "deprovision", "nuke", "kill"})
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_tokens(name: str) -> list[str]:
    """``volumeInstanceBackupDelete`` → ``["volume", "instance", "backup", "delete"]``."""
    out: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        out.extend(t.lower() for t in _CAMEL.findall(chunk))
    return out


def looks_destructive(name: str) -> bool:
    """Does an operation or field name say it deletes something? Case-insensitive."""
    low = name.lower()
    if any(w in low for w in _SUBSTRING_WORDS):
        return True
    return any(t in _TOKEN_WORDS for t in name_tokens(name))


# ---------------------------------------------------------------------------------------------
# parsing


def undynamic(text: str) -> str:
    """Replace the parts of a shell word we cannot see by :data:`SENTINEL`."""
    return text.replace(DYNAMIC, SENTINEL)


def is_unknown(value: Any) -> bool:
    """True when a resolved value (or any part of it) is unknown."""
    if value is UNKNOWN:
        return True
    if isinstance(value, str):
        return SENTINEL in value or DYNAMIC in value
    if isinstance(value, Mapping):
        return any(is_unknown(k) or is_unknown(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def shown_value(value: Any) -> str:
    """A resolved argument value for humans."""
    if value is UNKNOWN:
        return "$?"
    if isinstance(value, str):
        return value.replace(SENTINEL, "$?").replace(DYNAMIC, "$?")
    try:
        text = json.dumps(value, default=repr, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text.replace(SENTINEL, "$?").replace(DYNAMIC, "$?")


def parse_document(
    document: str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> list[GraphQLField]:
    """Every root field the document would run, arguments resolved through ``variables``.

    With several operations, only ``operation_name`` runs when it names one of them;
    otherwise every operation counts (the worst of them is what matters).
    Raises :class:`GraphQLParseError` when the document is not valid GraphQL or holds no
    operation.
    """
    from graphql.error import GraphQLError
    from graphql.language import (
        FragmentDefinitionNode,
        OperationDefinitionNode,
        parse,
    )

    if not isinstance(document, str):
        raise GraphQLParseError("GraphQL document is not a string")
    text = undynamic(document)
    try:
        doc = parse(text, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        raise GraphQLParseError(f"invalid GraphQL: {exc.message}") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise GraphQLParseError(f"invalid GraphQL: {exc}") from None

    operations = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    if not operations:
        raise GraphQLParseError("GraphQL document holds no operation")
    if operation_name:
        named = [op for op in operations if op.name and op.name.value == operation_name]
        if len(named) == 1:
            operations = named

    given: Mapping[str, Any] = variables if isinstance(variables, Mapping) else {}
    out: list[GraphQLField] = []
    for op in operations:
        op_vars: dict[str, Any] = {}
        for vdef in op.variable_definitions or ():
            vname = vdef.variable.name.value
            if vdef.default_value is not None:
                op_vars[vname] = _value(vdef.default_value, {})
        op_vars.update(given)
        kind = op.operation.value
        op_name = op.name.value if op.name else None
        for node in _root_fields(op.selection_set, fragments, set()):
            args = {a.name.value: _value(a.value, op_vars) for a in node.arguments or ()}
            out.append(
                GraphQLField(
                    operation=kind,
                    name=node.name.value,
                    arguments=args,
                    alias=node.alias.value if node.alias else None,
                    operation_name=op_name,
                )
            )
    return out


def _root_fields(selection_set: Any, fragments: Mapping[str, Any], seen: set[str]) -> list[Any]:
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    fields: list[Any] = []
    if selection_set is None:
        return fields
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            fields.append(sel)
        elif isinstance(sel, InlineFragmentNode):
            fields.extend(_root_fields(sel.selection_set, fragments, seen))
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            if name in seen:
                continue
            frag = fragments.get(name)
            if frag is None:
                raise GraphQLParseError(f"unknown fragment {name!r} at the root of an operation")
            fields.extend(_root_fields(frag.selection_set, fragments, seen | {name}))
    return fields


def _value(node: Any, variables: Mapping[str, Any]) -> Any:
    from graphql.language import (
        BooleanValueNode,
        EnumValueNode,
        FloatValueNode,
        IntValueNode,
        ListValueNode,
        NullValueNode,
        ObjectValueNode,
        StringValueNode,
        VariableNode,
    )

    if isinstance(node, VariableNode):
        return variables.get(node.name.value, UNKNOWN)
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        try:
            return int(node.value)
        except ValueError:
            return node.value
    if isinstance(node, FloatValueNode):
        try:
            return float(node.value)
        except ValueError:
            return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, ListValueNode):
        return [_value(v, variables) for v in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _value(f.value, variables) for f in node.fields}
    return UNKNOWN


# ---------------------------------------------------------------------------------------------
# request bodies


@dataclass(frozen=True, slots=True)
class GraphQLOperation:
    """One GraphQL request as sent over HTTP (a JSON body may batch several)."""

    query: str | None
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None


def operations_from_json(data: Any) -> list[GraphQLOperation] | None:
    """The GraphQL requests in a decoded JSON body, or None when it is not a GraphQL body.

    ``{"query": …, "variables": …, "operationName": …}`` or a list of those (batching). A
    body with a GraphQL shape but no query text (a persisted query) gives ``query=None``.
    """
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    ops: list[GraphQLOperation] = []
    for item in items:
        query = item.get("query")
        if query is not None and not isinstance(query, str):
            return None
        if query is None and not ({"extensions", "operationName", "variables"} & set(item)):
            return None
        variables = item.get("variables")
        if isinstance(variables, str):  # some clients send the variables JSON-encoded
            try:
                variables = json.loads(undynamic(variables))
            except ValueError:
                variables = None
        op_name = item.get("operationName")
        ops.append(
            GraphQLOperation(
                query=query,
                variables=variables if isinstance(variables, Mapping) else None,
                operation_name=op_name if isinstance(op_name, str) else None,
            )
        )
    return ops


def parse_operations(ops: Sequence[GraphQLOperation]) -> list[GraphQLField]:
    """Root fields of every operation; :class:`GraphQLParseError` if any is not understood."""
    fields: list[GraphQLField] = []
    for op in ops:
        if op.query is None:
            raise GraphQLParseError("GraphQL request without a query (persisted query?)")
        fields.extend(parse_document(op.query, op.variables, op.operation_name))
    return fields


# ---------------------------------------------------------------------------------------------
# generic rating


def field_risk(f: GraphQLField) -> Risk:
    """The generic risk of one root field."""
    if f.operation in ("query", "subscription"):
        return Risk.READ
    if f.dynamic or looks_destructive(f.name):
        return Risk.DESTRUCTIVE
    return Risk.WRITE


def classify_fields(
    fields: Sequence[GraphQLField],
    ctx: ClassifyContext,
    *,
    tool: str,
    endpoint: str,
) -> list[Target]:
    """Generic targets for the root fields of a GraphQL request to ``endpoint``.

    kind ``graphql``, name the field, locator the endpoint (URL without query or userinfo),
    verb ``graphql.<operation>.<field>``.
    """
    targets: list[Target] = []
    for f in fields:
        if f.dynamic and f.operation == "mutation":
            ctx.unparsed(f"{tool}: GraphQL mutation name comes from a shell expansion")
        args = ", ".join(f"{k}: {shown_value(v)}" for k, v in f.arguments.items())
        detail = f"GraphQL {f.operation} {f.shown}({args}) at {endpoint}"
        targets.append(
            Target(
                kind="graphql",
                name=f.shown,
                verb=f"graphql.{f.operation}.{f.shown}",
                risk=field_risk(f),
                tool=tool,
                locator=endpoint,
                detail=detail[:300],
                unresolved=f.dynamic or (f.operation == "mutation" and is_unknown(f.arguments)),
            )
        )
    return targets
