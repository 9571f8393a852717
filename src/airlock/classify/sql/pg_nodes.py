"""Reading ``pglast`` nodes: walking the tree, and the names of the relations, objects
and roles a statement mentions. ``pglast`` is imported inside the functions that need it,
as everywhere in this package: importing it costs only the standard library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def pg_children(node: Any) -> Iterator[Any]:
    from pglast.ast import Node

    for attr in getattr(type(node), "__slots__", ()):
        value = getattr(node, attr, None)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple | list):
            stack = list(value)
            while stack:
                item = stack.pop()
                if isinstance(item, Node):
                    yield item
                elif isinstance(item, tuple | list):
                    stack.extend(item)


def pg_walk(node: Any, *, skip: frozenset[str] = frozenset()) -> Iterator[Any]:
    """Every node below ``node`` (not ``node`` itself), not descending into ``skip`` types."""
    stack = list(pg_children(node))
    while stack:
        n = stack.pop()
        yield n
        if type(n).__name__ not in skip:
            stack.extend(pg_children(n))


def relation_name(rv: Any) -> str:
    """Qualified name of a RangeVar."""
    if rv is None:
        return "?"
    parts = [getattr(rv, a, None) for a in ("catalogname", "schemaname", "relname")]
    return ".".join(p for p in parts if p)


def pg_objname(obj: Any) -> str:
    if obj is None:
        return "?"
    if isinstance(obj, tuple | list):
        return ".".join(pg_objname(o) for o in obj)
    kind = type(obj).__name__
    if kind == "String":
        return str(obj.sval)
    if kind == "RangeVar":
        return relation_name(obj)
    if kind == "ObjectWithArgs":
        return pg_objname(obj.objname)
    if kind == "TypeName":
        return pg_objname(obj.names)
    if kind == "RoleSpec":
        return pg_role(obj)
    if kind == "AccessPriv":
        return str(obj.priv_name or "ALL")
    if kind == "Integer":
        return str(obj.ival)
    return "?"


def pg_role(spec: Any) -> str:
    if spec is None:
        return "?"
    if getattr(spec, "rolename", None):
        return str(spec.rolename)
    rt = getattr(getattr(spec, "roletype", None), "name", "")
    return rt.removeprefix("ROLESPEC_").lower() or "?"


def objtype_word(objtype: Any) -> str:
    return str(getattr(objtype, "name", "OBJECT_OBJECT")).removeprefix("OBJECT_").lower()


def pg_relations(node: Any) -> list[str]:
    """Relations a query reads, minus its own CTE names, in order of appearance."""
    ctes = {n.ctename for n in pg_walk(node) if type(n).__name__ == "CommonTableExpr"}
    seen: list[str] = []
    for n in pg_walk(node, skip=frozenset({"IntoClause"})):
        if type(n).__name__ == "RangeVar":
            name = relation_name(n)
            if not (n.schemaname is None and n.relname in ctes) and name not in seen:
                seen.append(name)
    return sorted(seen)
