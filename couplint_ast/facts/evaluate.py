"""What an expression is, evaluated over a module's `Symbols` after the traversal."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from couplint_ast.facts.broker_catalog import (
    BOTO3_CLIENTS,
    BOTO3_SERVICES,
    BROKER_CONSTRUCTORS,
    BROKER_FACTORIES,
    BROKER_INSTANCES,
)
from couplint_ast.facts.catalog import (
    ANNOTATIONS,
    ATTRIBUTE_FACTORIES,
    BREAKER_CLASSES,
    BREAKER_SUBCLASSABLE,
    CATALOG_ROOTS,
    CONSTRUCTORS,
    FACTORIES,
    PACKAGE_CLIENT,
    RETRY_OBJECTS,
)
from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.scopes import (
    Binding,
    Cls,
    Func,
    Inst,
    Method,
    Obj,
    Ref,
    Scope,
    Symbols,
    Value,
)
from couplint_ast.facts.types import ClientExport

MAX_DEPTH = 40
MAX_STEPS = 200_000  # per module: a budget no real file comes near, against crafted ones


class Evaluator:
    """What an expression is, from a finished traversal's `Symbols`; None when unknown."""

    def __init__(
        self, symbols: Symbols, clients: Callable[[str], ClientExport | None] | None = None
    ) -> None:
        self.symbols = symbols
        self.clients = clients  # client objects other modules of the project export
        self._active: set[object] = set()
        self._memo: dict[object, Value | None] = {}
        self._cycle = False
        self._steps = 0

    def value(self, node: cst.BaseExpression, scope: Scope) -> Value | None:
        """The value of `node` evaluated in `scope`."""
        try:
            return self._value(node, scope, 0)
        except RecursionError:
            return None

    def _value(self, node: cst.BaseExpression, scope: Scope, depth: int) -> Value | None:
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return None
        depth += 1
        if isinstance(node, cst.Await):
            return self._value(node.expression, scope, depth)
        if isinstance(node, cst.Name):
            return self._name(node.value, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope, depth)
        if isinstance(node, cst.Call):
            return self._call(node, scope, depth)
        return None

    def _name(self, name: str, scope: Scope, depth: int) -> Value | None:
        found = self.symbols.lookup(scope, name)
        if found is None:
            return None
        return self._bindings(found[0], found[1], depth)

    def _bindings(self, key: object, bindings: list[Binding], depth: int) -> Value | None:
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            self._cycle = True
            return None
        outer_cycle, self._cycle = self._cycle, False
        self._active.add(key)
        try:
            result = self._merge(bindings, depth)
        finally:
            self._active.discard(key)
        if not self._cycle:  # a value computed inside a cycle may be partial
            self._memo[key] = result
        self._cycle = self._cycle or outer_cycle
        return result

    def _merge(self, bindings: list[Binding], depth: int) -> Value | None:
        values = []
        for binding in bindings:
            value = self._binding(binding, depth)
            if value is None:
                return None
            values.append(value)
        first = values[0]
        if len(values) == 1:
            return first
        if all(isinstance(v, Ref) and v.name == getattr(first, "name", None) for v in values):
            return first
        if isinstance(first, Obj) and all(isinstance(v, Obj) for v in values):
            objs = [v for v in values if isinstance(v, Obj)]
            if all(o.kind == first.kind for o in objs):
                if all(o.node is first.node for o in objs):
                    return first
                # Built in several places: the kind is known, its settings are not.
                return Obj(first.kind, None, first.scope, first.origin, custom=True)
        if all(v is first or _same_def(v, first) for v in values):
            return first
        return None

    def _binding(self, binding: Binding, depth: int) -> Value | None:
        node, kind = binding.node, binding.kind
        if kind in ("import", "local"):
            client = self.clients(binding.name) if self.clients is not None else None
            if client is not None:
                return Obj(client.kind, None, (), client.origin, imported=client)
            return _instance(binding.name) if kind == "import" else None
        if kind == "expr" and isinstance(node, cst.BaseExpression):
            return self._value(node, binding.scope, depth)
        if kind == "def" and isinstance(node, cst.FunctionDef):
            return Func(node, binding.scope)
        if kind == "class" and isinstance(node, cst.ClassDef):
            return Cls(node, binding.scope)
        if kind == "param" and isinstance(node, cst.BaseExpression):
            return self._annotation(node, binding.scope, depth)
        return None

    def _attribute(self, node: cst.Attribute, scope: Scope, depth: int) -> Value | None:
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            cls = self.symbols.class_of(scope)
            if cls is None:
                return None
            bindings = self.symbols.lookup_attr(cls, attr)
            if not bindings:
                return None
            value = self._bindings((cls, "self." + attr), bindings, depth)
            if isinstance(value, Func) and _is_property(value.node):
                return self._returns(value, depth)
            return value
        if self.clients is not None and isinstance(node.value, cst.Name):
            found = self.symbols.lookup(scope, node.value.value)
            module = found[1] if found is not None and len(found[1]) == 1 else []
            if module and module[0].kind == "local":  # `from . import http`, `http.session`
                client = self.clients(f"{module[0].name}.{attr}")
                if client is not None:
                    return Obj(client.kind, None, (), client.origin, imported=client)
        base = self._value(node.value, scope, depth)
        if isinstance(base, (Cls, Inst)):  # `Factory().stub`, `Factory.make`: a method
            return self._member(base.cls if isinstance(base, Inst) else base, attr, depth)
        if isinstance(base, Ref):
            name = f"{base.name}.{attr}"
            client = self.clients(name) if self.clients is not None else None
            if client is not None:  # `from app import http`, then `http.session`
                return Obj(client.kind, None, (), client.origin, imported=client)
            return _instance(name)
        if isinstance(base, Obj):
            kind = ATTRIBUTE_FACTORIES.get((base.kind, attr))
            if kind is not None:
                return Obj(kind, node, scope, base.origin, parent=base)
            if base.kind == "nameko.Cluster" and not attr.startswith("_"):
                # `rpc.orders.get_order(...)`: the attribute names the service called.
                return Obj("nameko.RpcProxy", node, scope, attr, parent=base)
            return Method(base, attr)
        return None

    def _member(self, cls: Cls, attr: str, depth: int) -> Value | None:
        where = (*cls.scope, cls.node.name.value)
        bindings = self.symbols.lookup_attr(where, attr)
        if not bindings:
            return None
        value = self._bindings((where, "self." + attr), bindings, depth)
        if isinstance(value, Func) and _is_property(value.node):
            return self._returns(value, depth)
        return value

    def _call(self, node: cst.Call, scope: Scope, depth: int) -> Value | None:
        func = self._value(node.func, scope, depth)
        if func is None and self.clients is not None:
            return self._imported_factory(node, scope, depth)
        if isinstance(func, Ref):
            return self._construct(func.name, node, scope, depth)
        if isinstance(func, Method):
            kind = FACTORIES.get((func.obj.kind, func.name)) or BROKER_FACTORIES.get(
                (func.obj.kind, func.name)
            )
            if func.obj.kind == "boto3.Session" and func.name == "client":
                kind = _boto3_kind(node)
            return Obj(kind, node, scope, func.obj.origin, parent=func.obj) if kind else None
        if isinstance(func, Func):
            if node in self._active:
                return None
            self._active.add(node)
            try:
                return self._returns(func, depth)
            finally:
                self._active.discard(node)
        if isinstance(func, Cls):
            kind, origin = self._subclass_of(func, depth)
            return Obj(kind, node, scope, origin, custom=True) if kind else Inst(func)
        return None

    def _imported_factory(self, node: cst.Call, scope: Scope, depth: int) -> Value | None:
        """`Connector().auth_stub()` with `Connector` imported from the project: what the
        method returns, when its module says it is a client object (`ExportFact`)."""
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            made = self._imported_name(func.value.func, scope, depth)
            name = f"{made}.{func.attr.value}" if made else None
        else:  # `make_stub()`, imported with `from .grpc import make_stub`
            name = self._imported_name(func, scope, depth)
        if name is None or self.clients is None:
            return None
        return _imported(self.clients(name + "()"))

    def _imported_name(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        """The dotted name `node` imports from the project (`.grpc.Connector`), if any."""
        if isinstance(node, cst.Name):
            found = self.symbols.lookup(scope, node.value)
            bindings = found[1] if found is not None else []
            if len(bindings) == 1 and bindings[0].kind == "local":
                return bindings[0].name
        if isinstance(node, cst.Attribute):
            head = self._imported_name(node.value, scope, depth)
            return f"{head}.{node.attr.value}" if head else None
        value = self._value(node, scope, depth)
        return value.name if isinstance(value, Ref) else None

    def _construct(self, name: str, node: cst.Call, scope: Scope, depth: int) -> Value | None:
        kind = (
            CONSTRUCTORS.get(name)
            or BROKER_CONSTRUCTORS.get(name)
            or BREAKER_CLASSES.get(name)
            or ("retry" if name in RETRY_OBJECTS else None)
        )
        if name in BOTO3_CLIENTS:
            kind = _boto3_kind(node)
        if kind is not None:
            return Obj(kind, node, scope, name)
        generated = self._openapi(name, node, scope, depth)
        if generated is not None:
            return generated
        if self.clients is not None:  # a factory of another module: `make_stub()`
            made = _imported(self.clients(name + "()"))
            if made is not None:
                return made
        module, _, last = name.rpartition(".")
        if module and PACKAGE_CLIENT.fullmatch(last) and module.split(".")[0] not in CATALOG_ROOTS:
            return Obj("package.Client", node, scope, name)  # a package's own client class
        if name.rsplit(".", 1)[-1].endswith("Stub") and node.args:
            channel = self._value(node.args[0].value, scope, depth)
            if isinstance(channel, Obj) and channel.kind == "grpc.Channel":
                return Obj("grpc.Stub", node, scope, name, parent=channel)
            if "_grpc" in name:  # generated code: the channel comes from elsewhere
                return Obj("grpc.Stub", node, scope, name)
        return None

    def _openapi(self, name: str, node: cst.Call, scope: Scope, depth: int) -> Obj | None:
        """A link of a generated client's chain: `Configuration(host=...)`, then
        `ApiClient(configuration)`, then `PetApi(api_client)`; each needs the one before, so
        another library's `Configuration` or `*Api` class is none of them."""
        last = name.rsplit(".", 1)[-1]
        if last == "Configuration":
            given = {a.keyword.value for a in node.args if a.keyword is not None}
            return Obj("openapi.Configuration", node, scope, name) if "host" in given else None
        wanted = {"ApiClient": "openapi.Configuration"}.get(last)
        if wanted is None and last.endswith("Api") and last != "Api":
            wanted = "openapi.ApiClient"
        if wanted is None or not node.args:
            return None
        inner = self._value(node.args[0].value, scope, depth)
        if not isinstance(inner, Obj) or inner.kind != wanted:
            return None
        kind = "openapi.ApiClient" if last == "ApiClient" else "openapi.Api"
        return Obj(kind, node, scope, name, parent=inner)

    def _returns(self, func: Func, depth: int) -> Value | None:
        returns = self.symbols.returns.get(func.scope, [])
        if not returns:
            return None
        return self._bindings(
            ("return", func.scope), [Binding("expr", r, func.scope) for r in returns], depth
        )

    def _subclass_of(self, cls: Cls, depth: int) -> tuple[str | None, str]:
        for base in cls.node.bases:
            value = self._value(base.value, cls.scope, depth)
            if isinstance(value, Ref):
                kind = ANNOTATIONS.get(value.name)
                if kind is None and value.name in BREAKER_SUBCLASSABLE:
                    kind = BREAKER_CLASSES[value.name]
                if kind is not None:
                    return kind, value.name
            if isinstance(value, Cls) and depth < MAX_DEPTH:
                found = self._subclass_of(value, depth + 1)
                if found[0] is not None:
                    return found
        return None, ""

    def _annotation(self, node: cst.BaseExpression, scope: Scope, depth: int) -> Obj | None:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            for side in (node.left, node.right):
                if not (isinstance(side, cst.Name) and side.value == "None"):
                    return self._annotation(side, scope, depth)
            return None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            inner = node.slice[0].slice
            head = self._value(node.value, scope, depth)
            optional = isinstance(head, Ref) and head.name == "typing.Optional"
            if optional and isinstance(inner, cst.Index):
                return self._annotation(inner.value, scope, depth)
            return None
        value = self._value(node, scope, depth)
        if isinstance(value, Ref):
            kind = ANNOTATIONS.get(value.name)
            if kind is not None:
                return Obj(kind, None, scope, value.name)
            if value.name.endswith("Stub") and "_grpc" in value.name:
                return Obj("grpc.Stub", None, scope, value.name)
        return None


def _imported(client: ClientExport | None) -> Obj | None:
    return Obj(client.kind, None, (), client.origin, imported=client) if client else None


def _instance(name: str) -> Value:
    kind = BROKER_INSTANCES.get(name)
    return Obj(kind, None, (), name) if kind else Ref(name)


def _boto3_kind(node: cst.Call) -> str | None:
    arg = next((a.value for a in node.args if a.keyword is None and not a.star), None)
    for a in node.args:
        if a.keyword is not None and a.keyword.value == "service_name":
            arg = a.value
    if isinstance(arg, cst.SimpleString) and arg.evaluated_value in BOTO3_SERVICES:
        return f"boto3.{arg.evaluated_value}"
    return None


def _is_property(node: cst.FunctionDef) -> bool:
    names = (dotted_name(d.decorator) or "" for d in node.decorators)
    return any(n.rsplit(".", 1)[-1] in ("property", "cached_property") for n in names)


def _same_def(a: Value, b: Value) -> bool:
    return isinstance(a, Func) and isinstance(b, Func) and a.node is b.node
