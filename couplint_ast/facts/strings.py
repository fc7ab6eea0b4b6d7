"""Plain string values of expressions, for SQL text, table names and settings.

`StringResolver.value(node, scope)` folds literals, implicit and `+` concatenation,
f-strings, `%` and `str.format`, `urljoin`, and names bound to such strings in the same
module (module constants, class attributes, locals of the enclosing function). An
unknown part of an f-string, a `%` or a `format` (a parameter, a call's result, an env
var) becomes `HOLE`, so SQL can still be read around it; anything else unknown is None.
Targets of calls are symbolic values instead (`facts.flow`), which keep what each part is.

Assignments are recorded during the one traversal (the `AssignmentCollector` also keeps
the scope stack that other collectors read through `ctx.scope`); values are computed
afterwards, on demand, with a depth limit so `A = B; B = A` or 10,000 nested `+` end.
"""

from __future__ import annotations

from urllib.parse import urljoin

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.folding import ENV_READERS, format_pieces, percent_pieces
from couplint_ast.facts.types import FactFields

# An unknown part of a string, in SQL text read by `sqltables` (which keeps it apart).
HOLE = "\ue000"
MAX_DEPTH = 64
MAX_LENGTH = 2_000_000
_AMBIGUOUS = object()


class AssignmentCollector(FactCollector):
    """Keeps `ctx.scope` (enclosing class/def names) and records `NAME = expr` per scope.

    Must run first in the batch so that other collectors see the scope of each node.
    """

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.ctx.scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.ctx.scope.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, None)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        name = dotted_name(target)
        if name is None:
            return
        if name.startswith(("self.", "cls.")) and len(self.ctx.scope) >= 2:
            key = (tuple(self.ctx.scope[:-2]), f"{self.ctx.scope[-2]}.{name.split('.', 1)[1]}")
        else:
            key = (tuple(self.ctx.scope), name)
        known = self.ctx.assignments
        known[key] = value if key not in known and value is not None else _AMBIGUOUS

    def facts(self) -> FactFields:
        """This collector fills no fields; it serves the others."""
        return {}


class StringResolver:
    """Computes string values from a finished traversal's assignments and bindings."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._active: set[int] = set()

    def value(self, node: cst.BaseExpression, scope: tuple[str, ...] = ()) -> str | None:
        """The string `node` evaluates to, `HOLE` for unknown parts; None if not a string."""
        try:
            return self._value(node, scope, 0)
        except RecursionError:
            return None

    def _value(self, node: cst.BaseExpression, scope: tuple[str, ...], depth: int) -> str | None:
        if depth > MAX_DEPTH:
            return None
        depth += 1
        if isinstance(node, cst.SimpleString):
            raw = node.evaluated_value
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if isinstance(node, cst.ConcatenatedString):
            return self._join([node.left, node.right], scope, depth)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, scope, depth)
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                return self._join([node.left, node.right], scope, depth)
            if isinstance(node.operator, cst.Modulo):
                return self._percent(node, scope, depth)
            return None
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self._name(node, scope, depth)
        if isinstance(node, cst.Subscript):
            return self._environ_item(node)
        if isinstance(node, cst.Call):
            return self._call(node, scope, depth)
        return None

    def _join(
        self, parts: list[cst.BaseExpression], scope: tuple[str, ...], depth: int
    ) -> str | None:
        values = [self._value(p, scope, depth) for p in parts]
        if any(v is None for v in values):
            return None
        joined = "".join(v for v in values if v is not None)
        return joined if len(joined) <= MAX_LENGTH else None

    def _fstring(self, node: cst.FormattedString, scope: tuple[str, ...], depth: int) -> str:
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value.replace("{{", "{").replace("}}", "}"))
            elif isinstance(part, cst.FormattedStringExpression):
                out.append(self._hole(part.expression, scope, depth))
        return "".join(out)

    def _hole(self, node: cst.BaseExpression, scope: tuple[str, ...], depth: int) -> str:
        value = self._value(node, scope, depth)
        return HOLE if value is None else value

    def _percent(self, node: cst.BinaryOperation, scope: tuple[str, ...], depth: int) -> str | None:
        template = self._value(node.left, scope, depth)
        if template is None:
            return None
        return self._fill(percent_pieces(template, node.right), scope, depth)

    def _fill(
        self, pieces: list[str | cst.BaseExpression | None], scope: tuple[str, ...], depth: int
    ) -> str:
        return "".join(
            p if isinstance(p, str) else HOLE if p is None else self._hole(p, scope, depth)
            for p in pieces
        )

    def _name(
        self, node: cst.Name | cst.Attribute, scope: tuple[str, ...], depth: int
    ) -> str | None:
        name = dotted_name(node)
        if name is None:
            return None
        candidates = []
        if name.startswith(("self.", "cls.")) and scope:
            cls_scope = _enclosing_class_scope(scope)
            if cls_scope is not None:
                candidates.append((cls_scope[:-1], f"{cls_scope[-1]}.{name.split('.', 1)[1]}"))
                candidates.append((cls_scope, name.split(".", 1)[1]))
        else:
            for size in range(len(scope), -1, -1):
                candidates.append((scope[:size], name))
            if "." in name:  # `Config.TABLE`: a class attribute read from outside
                head, attr = name.rsplit(".", 1)
                candidates.append((tuple(head.split(".")), attr))
        for key in candidates:
            found = self.ctx.assignments.get(key)
            if found is None:
                continue
            if found is _AMBIGUOUS or id(found) in self._active:
                return None
            assert isinstance(found, cst.BaseExpression)
            self._active.add(id(found))
            try:
                return self._value(found, key[0], depth)
            finally:
                self._active.discard(id(found))
        return None

    def _environ_item(self, node: cst.Subscript) -> str | None:
        target = dotted_name(node.value)
        if target is None or self.ctx.resolve(target) != "os.environ":
            return None
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        return HOLE  # an env var's value: not in the code

    def _call(self, node: cst.Call, scope: tuple[str, ...], depth: int) -> str | None:
        func = dotted_name(node.func)
        qualified = self.ctx.resolve(func) if func else None
        args = [a for a in node.args if a.keyword is None and not a.star]
        if qualified in ENV_READERS and args:
            return HOLE
        if qualified == "urllib.parse.urljoin" and len(args) == 2:
            base, tail = (self._hole(a.value, scope, depth) for a in args)
            if "://" in tail or "://" in base:
                return urljoin(base, tail)
            return f"{base.rstrip('/')}/{tail.lstrip('/')}"  # a base from an env var
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            template = self._value(node.func.value, scope, depth)
            if template is None:
                return None
            return self._fill(format_pieces(template, node), scope, depth)
        return None


def _enclosing_class_scope(scope: tuple[str, ...]) -> tuple[str, ...] | None:
    # `self.x` inside `Class.method`: the class is the scope entry before the method.
    return scope[:-1] if len(scope) >= 2 else None
