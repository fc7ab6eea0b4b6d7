"""Arguments of calls as migration files write them: bound to parameters, literals read.

Shared by the Alembic and Django readers; libcst nodes in, plain values out.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from couplint_ast.coltypes import column_type
from couplint_ast.facts.context import dotted_name

# What `literal()` returns for anything that is not True, False or None (or is missing).
UNKNOWN = object()


def bind_arguments(call: cst.Call, params: Sequence[str]) -> dict[str, cst.BaseExpression] | None:
    """Map a call's arguments to parameter names; None when a required one is missing.

    Positions after `*args` are unknown; with `*args` or `**kwargs` nothing is missing.
    """
    names = [p.rstrip("?") for p in params]
    bound: dict[str, cst.BaseExpression] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            position = len(names) if arg.star == "*" else position
            continue
        if arg.keyword is not None:
            bound[arg.keyword.value] = arg.value
        elif position < len(names):
            bound.setdefault(names[position], arg.value)
            position += 1
    if any(a.star for a in call.args):
        return bound
    required = (n for n, p in zip(names, params) if not p.endswith("?"))
    return bound if all(n in bound for n in required) else None


def last_name(node: cst.BaseExpression) -> str:
    """`Column` for `sa.Column(...)`'s func or a call of it; "" for anything else."""
    if isinstance(node, cst.Call):
        node = node.func
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1] if name else ""


def literal(node: cst.BaseExpression | None) -> object:
    """True/False/None for those literals; `UNKNOWN` for anything else (or no argument)."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return UNKNOWN


def sets_value(node: cst.BaseExpression | None, false_is_value: bool = False) -> bool:
    """A default argument that sets something: present and not the literal None (nor False,
    unless `false_is_value`: a Django `BooleanField(default=False)` has a default)."""
    unset = (None,) if false_is_value else (None, False)
    return node is not None and literal(node) not in unset


def string_dict(node: cst.BaseExpression | None) -> dict[str, cst.BaseExpression]:
    """The items of a dict literal whose keys are plain strings (`{"db_table": ...}`)."""
    if not isinstance(node, cst.Dict):
        return {}
    items = {}
    for element in node.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            key = element.key.evaluated_value
            if isinstance(key, str):
                items[key] = element.value
    return items


def type_spelling(node: cst.BaseExpression | None) -> str:
    """The `coltypes` spelling of a type as written: `sa.String(255)`, `sa.Integer`,
    `models.CharField(max_length=20)`; "" for anything else."""
    if node is None:
        return ""
    name = last_name(node)
    if not isinstance(node, cst.Call):
        return column_type(name)
    args = [_plain(a.value) for a in node.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: _plain(a.value) for a in node.args if a.keyword is not None}
    return column_type(name, args, keywords)


def _plain(node: cst.BaseExpression) -> object:
    """An integer or plain string literal's value; None for anything else."""
    if isinstance(node, cst.Integer) and node.value.isdigit():
        return int(node.value)
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def plain_strings(node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """A plain string literal, or a list or tuple of them, as a tuple; None for anything else."""
    if node is None:
        return None
    items = [e.value for e in node.elements] if isinstance(node, (cst.List, cst.Tuple)) else [node]
    values = [_plain(item) for item in items]
    if not all(isinstance(v, str) for v in values):
        return None
    return tuple(str(v) for v in values)
