"""Outbound calls, broker operations and URL literals: what the one traversal records.

The collector only remembers nodes here, in a `CallRecords` (bindings, call sites with
their enclosing functions, `with` and `for` blocks and lambdas, URL-looking literals);
`facts()` then resolves the records once the whole module has been seen
(`facts/callfacts.py`, `facts/guards.py`, `facts/brokers.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from couplint_ast.facts.callfacts import build
from couplint_ast.facts.callsites import CallRecords, CallSite, Frame, is_forever
from couplint_ast.facts.catalog import CATALOG_ROOTS, PACKAGE_CLIENT
from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.scopes import Binding, Point, Scope
from couplint_ast.facts.types import FactFields

_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class CallCollector(FactCollector):
    """Records what CallFact, BrokerFact and UrlLiteralFact need, in the shared traversal."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.records = CallRecords(ctx)
        # The workspace parses a file again when it may use another module's client object.
        self.records.relevant = ctx.clients is not None
        self.symbols = self.records.symbols
        self.sites = self.records.sites
        self.attr_sets = self.records.attr_sets
        self.literals = self.records.literals
        self._frame: Frame | None = None
        self._open_calls: list[cst.Call] = []
        self._lambda_params: set[int] = set()
        self._prose: set[int] = set()  # docstrings and bare string statements
        self.env_defaults = self.records.env_defaults
        self._order = 0
        self._blocks: list[int] = []

    # -- where we are: order and conditional blocks, for values that reach a use ----------
    def point(self) -> Point:
        """The current place in the traversal."""
        self._order += 1
        return Point(self._order, tuple(self._blocks))

    def _enter_block(self, node: cst.CSTNode) -> None:
        self._blocks.append(id(node))

    def _leave_block(self, node: cst.CSTNode) -> None:
        self._blocks.pop()

    visit_If_body = visit_If_orelse = _enter_block
    leave_If_body = leave_If_orelse = _leave_block
    visit_While_orelse = _enter_block
    leave_While_orelse = _leave_block
    visit_For_orelse = visit_Try_body = visit_ExceptHandler_body = _enter_block
    leave_For_orelse = leave_Try_body = leave_ExceptHandler_body = _leave_block
    visit_TryStar_body = visit_ExceptStarHandler_body = visit_MatchCase_body = _enter_block
    leave_TryStar_body = leave_ExceptStarHandler_body = leave_MatchCase_body = _leave_block

    # -- scopes and bindings -----------------------------------------------------------
    def _scope(self) -> Scope:
        return tuple(self.ctx.scope)

    def _bind(self, name: str, binding: Binding) -> None:
        binding = Binding(binding.kind, binding.node, binding.scope, binding.name, self.point())
        self.symbols.bind(self._scope(), name, binding)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            head = name.split(".", 1)[0]
            self.records.relevant = self.records.relevant or _relevant(head)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, Binding("import", name=name))
            else:
                self._bind(head, Binding("import", name=head))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            module = dotted_name(node.module) if node.module is not None else None
            if module is not None:  # its names may be what another module imports from here
                self.records.stars.append("." * len(node.relative) + module)
            return
        module = dotted_name(node.module) if node.module is not None else None
        relative = bool(node.relative) or module is None
        if not relative and module is not None:
            self.records.relevant = self.records.relevant or _relevant(
                module.split(".", 1)[0], [a.name for a in node.names]
            )
        for alias in node.names:
            local = alias.asname.name if alias.asname is not None else alias.name
            name = dotted_name(alias.name)
            if not isinstance(local, cst.Name) or name is None:
                continue
            # A relative import is this project's own code: no client, and it shadows.
            # `.http.get_json` for `from .http import get_json`, `.http` for `from . import
            # http`: as many dots as the import's level.
            dots = "." * len(node.relative)
            full = f"{dots}{module}.{name}" if module else f"{dots}{name}"
            kind = "local" if relative else "import"
            self._bind(local.value, Binding(kind, name=full))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scope = self._scope()  # the scope collector has already entered the class
        self.symbols.classes[scope] = (node, scope[:-1])
        self.symbols.bind(scope[:-1], node.name.value, Binding("class", node, scope[:-1]))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self._scope()
        self.symbols.bind(scope[:-1], node.name.value, Binding("def", node, scope))

    def visit_Param(self, node: cst.Param) -> None:
        if id(node) in self._lambda_params:
            # Lambdas have no scope of their own here: the name is unknown around them.
            self._bind(node.name.value, Binding("opaque"))
            return
        annotation = node.annotation.annotation if node.annotation is not None else None
        scope = self._scope()
        self._bind(node.name.value, Binding("param", annotation, scope[:-1]))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self._lambda_params.add(id(param))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self._lambda_params.add(id(star))

    def visit_Global(self, node: cst.Global) -> None:
        names = self.symbols.globals.setdefault(self._scope(), set())
        names.update(item.name.value for item in node.names)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.symbols.returns.setdefault(self._scope(), []).append(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)
        else:  # `client: httpx.Client` declares a type (a dataclass field, an attribute)
            self._assign(node.target, None, node.annotation.annotation)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._opaque(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assign(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._opaque(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._opaque(node.target)  # `[s.get(u) for s in sessions]`: not an outer `s`

    def visit_WithItem(self, node: cst.WithItem) -> None:
        # `with Session() as s`: clients, channels and connections enter as themselves.
        if node.asname is not None:
            self._assign(node.asname.name, node.item)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._opaque(node.name.name)

    def _assign(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        scope = self._scope()
        binding = (
            Binding("expr", value, scope)
            if value is not None
            else Binding("param", annotation, scope)
        )
        if isinstance(target, cst.Name):
            if isinstance(value, cst.Name) and value.value == "None":
                self.symbols.none_names.add((scope, target.value))
            else:
                self._bind(target.value, binding)
        elif isinstance(target, cst.Attribute):
            head = target.value
            if isinstance(head, cst.Name) and head.value in ("self", "cls"):
                cls = self.symbols.class_of(scope)
                is_none = isinstance(value, cst.Name) and value.value == "None"
                if cls is not None and not is_none:
                    key = (cls, "self." + target.attr.value)
                    self.symbols.binds.setdefault(key, []).append(binding)
            elif value is not None:
                self.attr_sets.append((head, target.attr.value, value, scope))
        elif isinstance(target, cst.Subscript) and value is not None:
            config = config_key(target)
            if config is not None:
                binding = Binding("expr", value, scope, point=self.point())
                self.symbols.config_keys.setdefault(config, []).append(binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = list(value.elements) if isinstance(value, (cst.Tuple, cst.List)) else []
            paired = len(values) == len(target.elements) and not any(
                isinstance(v, cst.StarredElement) for v in values
            )
            for i, element in enumerate(target.elements):
                if paired:
                    self._assign(element.value, values[i].value)
                else:
                    self._opaque(element.value)

    def _opaque(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, Binding("opaque"))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._opaque(element.value)
        elif isinstance(target, cst.StarredElement):
            self._opaque(target.value)

    # -- blocks and call sites -----------------------------------------------------------
    def _push(self, kind: str, node: cst.CSTNode | None) -> None:
        self._frame = Frame(self._frame, kind, node, self._scope())

    def _pop(self) -> None:
        if self._frame is not None:
            self._frame = self._frame.parent

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._push("def", node)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._pop()

    def visit_Lambda_body(self, node: cst.Lambda) -> None:
        self._push("lambda", self._open_calls[-1] if self._open_calls else None)

    def leave_Lambda_body(self, node: cst.Lambda) -> None:
        self._pop()

    def visit_With_body(self, node: cst.With) -> None:
        self._push("with", node)

    def leave_With_body(self, node: cst.With) -> None:
        self._pop()

    def visit_While_body(self, node: cst.While) -> None:
        self._enter_block(node)
        self._push("forever" if is_forever(node) else "while", node)

    def leave_While_body(self, node: cst.While) -> None:
        self._leave_block(node)
        self._pop()

    def visit_For_body(self, node: cst.For) -> None:
        self._push("for", node)

    def leave_For_body(self, node: cst.For) -> None:
        self._pop()

    def visit_Call(self, node: cst.Call) -> None:
        outer = self._open_calls[-1] if self._open_calls else None
        self.sites.append(CallSite(node, self._scope(), self._frame, outer, self.point()))
        self._open_calls.append(node)
        if len(node.args) >= 2 and node.args[1].keyword is None and _is_config_read(node):
            self.env_defaults.add(id(node.args[1].value))
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default" and _is_config_read(node):
                self.env_defaults.add(id(arg.value))

    def leave_Call(self, original_node: cst.Call) -> None:
        self._open_calls.pop()

    # -- URL literals ----------------------------------------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, _STRINGS):
            self._prose.add(id(node.value))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "://" in node.value and id(node) not in self._prose:
            self.literals.append((node, self._scope()))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if id(node) in self._prose:
            return
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText) and "://" in part.value:
                self.literals.append((node, self._scope()))
                return

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        # The whole `"http://" "orders-api"` is one literal; its parts are not.
        record = id(node) not in self._prose
        self._prose.update((id(node.left), id(node.right)))
        if record and _has_scheme(node):
            self.literals.append((node, self._scope()))

    def facts(self) -> FactFields:
        """The FileFacts fields this collector fills: calls, brokers, url_literals, ..."""
        return build(self.records)


def config_key(node: cst.Subscript) -> str | None:
    """`KEY` of `app.config["KEY"]` (any `<x>.config[...]`), else None."""
    base = node.value
    if not (isinstance(base, cst.Attribute) and base.attr.value == "config"):
        return None
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    key = node.slice[0].slice.value
    if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
        return key.evaluated_value
    return None


_CONFIG_READS = frozenset({"getenv", "get", "setdefault"})


def _is_config_read(node: cst.Call) -> bool:
    # `os.getenv("K", default)`, `os.environ.get(...)`, `app.config.get("K", default)`.
    name = dotted_name(node.func) or ""
    head, _, last = name.rpartition(".")
    if last not in _CONFIG_READS:
        return False
    return last == "getenv" or head.endswith(("environ", "config"))


def _has_scheme(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return "://" in node.value
    if isinstance(node, cst.ConcatenatedString):
        return _has_scheme(node.left) or _has_scheme(node.right)
    if isinstance(node, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringText) and "://" in p.value for p in node.parts)
    return False


def _relevant(head: str, names: Sequence[cst.BaseExpression] = ()) -> bool:
    """True when an import may bring a client: a catalog library, a generated OpenAPI
    client (a package named like one, or its `ApiClient`), or a package's client class
    (`from billing.client import BillingClient`)."""
    if head in CATALOG_ROOTS or head.endswith("client") or "openapi" in head:
        return True
    return any(isinstance(n, cst.Name) and PACKAGE_CLIENT.fullmatch(n.value) for n in names)
