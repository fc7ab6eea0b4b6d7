"""Folding string templates: `%`, `str.format`, URL joins and a literal's own text.

Shared by the symbolic resolver (`facts.flow`) and the plain-string one (`facts.strings`),
so each template syntax is read in one place.
"""

from __future__ import annotations

import re
from typing import Union
from urllib.parse import urljoin

import libcst as cst

from couplint_ast.facts.arguments import string_dict
from couplint_ast.facts.values import UNKNOWN, UNKNOWN_PART, Alternative, Part, Value

ENV_READERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
PERCENT_FIELD = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdirfxXeEgGc]")
FORMAT_FIELD = re.compile(r"\{([^{}]*)\}")
_NUMERIC = ("d", "i", "f", "x", "X", "e", "E", "g", "G")
_UNKNOWN = Value.of(UNKNOWN_PART)
# A piece of a filled-in template: literal text, an argument node, or None (unknown).
Pieces = list[Union[str, cst.BaseExpression, None]]


def percent_pieces(template: str, right: cst.BaseExpression) -> Pieces:
    """`template % right` as pieces: text between fields, the node filling each field."""
    items = list(right.elements) if isinstance(right, cst.Tuple) else None
    args = iter([e.value for e in items] if items is not None else [right])
    named = string_dict(right)
    pieces: Pieces = []
    text = template.replace("%%", "\0")
    last = 0
    for match in PERCENT_FIELD.finditer(text):
        pieces.append(text[last : match.start()].replace("\0", "%"))
        last = match.end()
        key = match.group(1)
        arg = named.get(key) if key else next(args, None)
        # A number is no part of a host or path that can name a service.
        pieces.append(None if match.group(0).endswith(_NUMERIC) else arg)
    pieces.append(text[last:].replace("\0", "%"))
    return pieces


def format_pieces(template: str, call: cst.Call) -> Pieces:
    """`template.format(...)` as pieces, like `percent_pieces`."""
    args = [a for a in call.args if a.keyword is None and not a.star]
    positional = iter(a.value for a in args)
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    pieces: Pieces = []
    last = 0
    for match in FORMAT_FIELD.finditer(template):
        pieces.append(unbrace(template[last : match.start()]))
        last = match.end()
        field = match.group(1).split("!")[0].split(":")[0]
        if not field:
            pieces.append(next(positional, None))
        elif field.isdigit():
            pieces.append(args[int(field)].value if int(field) < len(args) else None)
        elif field.isidentifier():
            pieces.append(keywords.get(field))
        else:
            pieces.append(None)  # `{0.host}`, `{cfg[url]}`: an attribute or item of it
    pieces.append(unbrace(template[last:]))
    return pieces


def unbrace(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


def is_split(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("split", "rsplit")
    )


def literal_value(node: cst.BaseExpression) -> Value:
    """A string literal's own text: f-string expressions unknown, names not followed (the
    host a literal hard-codes must be written in it, CPL304)."""
    if isinstance(node, cst.SimpleString):
        raw = node.evaluated_value
        return Value.literal(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
    if isinstance(node, cst.ConcatenatedString):
        return Value.concat([literal_value(node.left), literal_value(node.right)])
    if isinstance(node, cst.FormattedString):
        return Value.concat(
            Value.literal(unbrace(p.value)) if isinstance(p, cst.FormattedStringText) else _UNKNOWN
            for p in node.parts
        )
    return _UNKNOWN


def join_url(base: Value, tail: Value, rfc: bool = False) -> Value:
    """A client's base URL joined to a call's URL (httpx, aiohttp: the base path is kept),
    or with `rfc` as `urljoin(base, tail)` does it when both are literal."""

    def pair(b: Alternative, t: Alternative) -> Value:
        if rfc and b.is_text() and t.is_text() and ("://" in b.text() or "://" in t.text()):
            return Value.literal(urljoin(b.text(), t.text()))
        if t.parts and t.parts[0].kind == "text" and "://" in t.parts[0].text:
            return Value((t,))  # an absolute URL replaces the base
        left = list(b.parts)
        right = list(t.parts)
        if left and left[-1].kind == "text":
            left[-1] = Part("text", left[-1].text.rstrip("/"))
        if right and right[0].kind == "text":
            right[0] = Part("text", right[0].text.lstrip("/"))
        glue = [Part("text", "/")] if right else []
        return Value.of(*left, *glue, *right)

    if not base.known or not tail.known:
        return UNKNOWN
    return Value.either(pair(b, t) for b in base.alternatives for t in tail.alternatives)
