"""Conditions that are always true (``WHERE 1=1``, ``x = x``, ``… OR true``, ``LIKE '%'``):
an UPDATE or DELETE with one touches every row. For both parsers' trees (``sqlglot`` is
imported inside the functions that need it, as everywhere in this package)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airlock.classify.sql.pg_nodes import pg_objname


def _pg_const(node: Any) -> tuple[bool, Any]:
    """(is_constant, value) of an A_Const; value None is SQL NULL."""
    if type(node).__name__ != "A_Const":
        return False, None
    if node.isnull:
        return True, None
    val = node.val
    kind = type(val).__name__
    if kind == "Integer":
        return True, int(val.ival)
    if kind == "Float":
        try:
            return True, float(val.fval)
        except ValueError:
            return False, None
    if kind == "Boolean":
        return True, bool(val.boolval)
    if kind == "String":
        return True, str(val.sval)
    return False, None


_TRUE_WORDS = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"f", "false", "n", "no", "off", "0"})


def value_truth(value: Any) -> bool | None:
    if value is None:
        return False  # WHERE NULL selects nothing
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        try:
            return float(word) != 0
        except ValueError:
            return None
    return None


def pg_const_truth(node: Any) -> bool | None:
    kind = type(node).__name__
    if kind == "Boolean":
        return bool(node.boolval)
    if kind == "Integer":
        return node.ival != 0
    if kind == "String":
        return value_truth(node.sval)
    return None


def compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, bool) != isinstance(b, bool):
        return None
    if isinstance(a, str) != isinstance(b, str):
        return None
    try:
        if op == "=":
            return bool(a == b)
        if op in ("<>", "!="):
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == ">":
            return bool(a > b)
        if op == "<=":
            return bool(a <= b)
        if op == ">=":
            return bool(a >= b)
    except TypeError:
        return None
    return None


def combine(boolop: str, values: Iterable[bool | None]) -> bool | None:
    vals = list(values)
    if boolop == "or":
        if any(v is True for v in vals):
            return True
        if vals and all(v is False for v in vals):
            return False
        return None
    if boolop == "and":
        if vals and all(v is True for v in vals):
            return True
        if any(v is False for v in vals):
            return False
        return None
    if boolop == "not" and len(vals) == 1:
        return None if vals[0] is None else not vals[0]
    return None


def pg_truth(node: Any) -> bool | None:
    """True if the condition holds for every row, False if for none, None if unknown."""
    kind = type(node).__name__
    if kind == "A_Const":
        is_const, value = _pg_const(node)
        return value_truth(value) if is_const else None
    if kind == "TypeCast":
        return pg_truth(node.arg)
    if kind == "BoolExpr":
        op = str(getattr(node.boolop, "name", "")).removesuffix("_EXPR").lower()
        return combine(op, (pg_truth(a) for a in node.args or ()))
    if kind == "NullTest":
        is_const, value = _pg_const(node.arg)
        if not is_const:
            return None
        is_null = value is None
        wants_null = str(getattr(node.nulltesttype, "name", "")) == "IS_NULL"
        return is_null == wants_null
    if kind == "BooleanTest":
        inner = pg_truth(node.arg)
        test = str(getattr(node.booltesttype, "name", ""))
        if inner is None:
            return None
        return {
            "IS_TRUE": inner,
            "IS_NOT_FALSE": inner,
            "IS_FALSE": not inner,
            "IS_NOT_TRUE": not inner,
        }.get(test)
    if kind == "SubLink":
        sub = node.subselect
        if (
            str(getattr(node.subLinkType, "name", "")) == "EXISTS_SUBLINK"
            and type(sub).__name__ == "SelectStmt"
            and not sub.fromClause
            and sub.whereClause is None
            and sub.havingClause is None
            and sub.limitCount is None
            and sub.valuesLists is None
            and str(getattr(sub.op, "name", "")) == "SETOP_NONE"
        ):
            return True
        return None
    if kind == "A_Expr":
        akind = str(getattr(node.kind, "name", ""))
        op = pg_objname(node.name[-1]) if node.name else ""
        left, right = node.lexpr, node.rexpr
        if akind == "AEXPR_OP":
            if left is not None and right is not None and left == right:
                if op in ("=", "<=", ">="):
                    return True
                if op in ("<>", "!=", "<", ">"):
                    return False
            lc, lv = _pg_const(left)
            rc, rv = _pg_const(right)
            if lc and rc:
                return compare(op, lv, rv)
            return None
        if akind == "AEXPR_NOT_DISTINCT" and left == right:
            return True
        if akind == "AEXPR_DISTINCT" and left == right:
            return False
        if akind in ("AEXPR_LIKE", "AEXPR_ILIKE") and op in ("~~", "~~*"):
            rc, rv = _pg_const(right)
            if rc and isinstance(rv, str) and rv and set(rv) == {"%"}:
                return True
        return None
    return None


def glot_truth(node: Any) -> bool | None:
    from sqlglot import exp

    if node is None:
        return None
    if isinstance(node, exp.Where):
        return glot_truth(node.this)
    if isinstance(node, exp.Paren):
        return glot_truth(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return False
    if isinstance(node, exp.Literal):
        if node.is_string:
            return value_truth(node.this) if _is_number(node.this) else None
        return value_truth(_number(node.this))
    if isinstance(node, exp.Not):
        return combine("not", [glot_truth(node.this)])
    if isinstance(node, exp.Or):
        return combine("or", [glot_truth(node.this), glot_truth(node.expression)])
    if isinstance(node, exp.And):
        return combine("and", [glot_truth(node.this), glot_truth(node.expression)])
    if isinstance(node, exp.Is):
        left, right = node.this, node.expression
        if isinstance(right, exp.Null) and isinstance(left, exp.Null | exp.Literal | exp.Boolean):
            return isinstance(left, exp.Null)
        if isinstance(right, exp.Boolean):
            inner = glot_truth(left)
            return None if inner is None else inner == bool(right.this)
        return None
    if isinstance(node, exp.Like | exp.ILike):
        pat = node.expression
        if isinstance(pat, exp.Literal) and pat.is_string and pat.this and set(pat.this) == {"%"}:
            return True
        return None
    if isinstance(node, exp.Exists):
        sub = node.this
        if (
            isinstance(sub, exp.Select)
            and not sub.args.get("from_")
            and not sub.args.get("from")
            and not sub.args.get("where")
            and not sub.args.get("having")
            and not sub.args.get("limit")
        ):
            return True
        return None
    ops = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    for cls, op in ops.items():
        if type(node) is cls:
            left, right = node.this, node.expression
            if left == right:
                return op in ("=", "<=", ">=")
            lv, rv = glot_const(left), glot_const(right)
            if lv is not NOCONST and rv is not NOCONST:
                return compare(op, lv, rv)
            return None
    if isinstance(node, exp.NullSafeEQ) and node.this == node.expression:
        return True
    return None


NOCONST = object()


def _is_number(text: Any) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _number(text: Any) -> float | int | None:
    try:
        return int(str(text))
    except ValueError:
        try:
            return float(str(text))
        except ValueError:
            return None


def glot_const(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return glot_const(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return str(node.this) if node.is_string else _number(node.this)
    return NOCONST
