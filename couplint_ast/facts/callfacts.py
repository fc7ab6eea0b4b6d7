"""The resolving half of the call records: call sites -> CallFact, BrokerFact, literals."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

from couplint_ast.facts.brokers import broker_fact
from couplint_ast.facts.brokers import through_wrappers as broker_wrappers
from couplint_ast.facts.callsites import CallRecords, CallSite, at_import
from couplint_ast.facts.catalog import (
    CATALOG_ROOTS,
    CONSTRUCTORS,
    FORWARDERS,
    GRPC_CALL_VARIANTS,
    GRPC_STUB_CALL,
    KIND_METHODS,
    MODULE_FUNCTIONS,
    NAMEKO_RPC_CALL,
    OPENAPI_CALL,
    PACKAGE_CLIENT_CALL,
    SOCKET_CLIENTS,
    SOCKET_DEFAULT,
    TIMEOUT_WRAPPERS,
    XMLRPC_CALL,
    ZEEP_OPERATION,
    Api,
)
from couplint_ast.facts.clientparts import Args, ClientParts
from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.evaluate import Evaluator
from couplint_ast.facts.flow import ValueResolver
from couplint_ast.facts.folding import literal_value
from couplint_ast.facts.guards import NONE, Guard, Guards
from couplint_ast.facts.replies import request_call
from couplint_ast.facts.scopes import Func, Obj, Ref, Scope
from couplint_ast.facts.types import (
    BrokerFact,
    CallFact,
    ClientExport,
    ExportFact,
    FactFields,
    ForwardFact,
    UrlLiteralFact,
)
from couplint_ast.facts.values import Part, Value, endpoint, url_path

# Kinds whose constructor takes a host or address: literals there are endpoints (CPL304).
ADDRESSED = frozenset(
    {
        "grpc.Channel",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "urllib3.HTTPConnectionPool",
        "urllib3.HTTPSConnectionPool",
    }
)
# A callee: (Api, the client object or None, the operation name for RPC labels).
Callee = tuple[Api, "Obj | None", str]
# How many wrapper levels a call is followed out through (`a()` calls `b(url)` calls get).
MAX_WRAPPER_DEPTH = 3


def build(records: CallRecords) -> FactFields:
    """Resolve what the traversal recorded into the FileFacts fields."""
    ctx = records.ctx
    evaluator = Evaluator(records.symbols, ctx.clients)
    values = ValueResolver(ctx, records.symbols, evaluator, records.sites)
    literals: dict[int, UrlLiteralFact] = {}
    for node, _scope in records.literals:
        value = literal_value(node)
        if any("://" in p.text for p in value.parts() if p.kind == "text"):
            default = id(node) in records.env_defaults
            literals[id(node)] = UrlLiteralFact(ctx.span(node), value, default=default)
    builder = _Builder(records, evaluator, values)
    shared_exports = exports(records, values, builder) if ctx.workspace else ()
    forwards = builder.forwards() if ctx.forwards else ()
    if not records.relevant:
        return {
            "url_literals": tuple(literals.values()),
            "exports": shared_exports,
            "forwards": forwards,
        }
    calls: list[CallFact] = []
    brokers: list[BrokerFact] = []
    for site in records.sites:
        callee = builder.callee_of(site.node.func, site.scope)
        fact = builder.call(site, callee)
        if fact is not None:
            calls.extend(builder.through_wrappers(fact, site))
            continue
        broker = broker_fact(builder.parts, site, callee)
        if broker is not None:
            brokers.extend(broker_wrappers(builder, broker, site))
            reply = request_call(builder, site, broker)  # publish, then await the reply
            if reply is not None:
                calls.extend(builder.through_wrappers(reply, site))
        elif isinstance(callee, str) and CONSTRUCTORS.get(callee) in ADDRESSED:
            # A channel or connection built but not called here still names its endpoint.
            builder.parts.base(Obj(CONSTRUCTORS[callee], site.node, site.scope, callee))
    for key, address in builder.parts.addresses.items():
        literals.setdefault(key, address)
    return {
        "calls": tuple(calls),
        "brokers": tuple(brokers),
        "url_literals": tuple(sorted(literals.values(), key=lambda f: f.span)),
        "exports": shared_exports,
        "forwards": forwards,
    }


def exports(
    records: CallRecords, values: ValueResolver, builder: _Builder
) -> tuple[ExportFact, ...]:
    """Module-level names whose values say where something goes (see `ExportFact`)."""
    found = []
    for (scope, name), bindings in records.symbols.binds.items():
        if scope or not any(b.kind in ("expr", "local") for b in bindings):
            continue
        if all(b.kind == "import" for b in bindings):
            continue  # re-exporting a library name says nothing of an endpoint
        client = builder.client_export(name)
        if client is not None:
            found.append(ExportFact(name, Value(), client))
            continue
        value = values.value(cst.Name(name), ())
        if _telling(value) or _short_text(value):  # a host, a topic, a queue's name
            found.append(ExportFact(name, value))
    found.extend(builder.factory_exports())
    # `from .environment import *`: a name this module does not bind may come from there.
    found.extend(ExportFact("*", Value.of(Part("name", "*", star))) for star in records.stars)
    return tuple(found)


def _telling(value: Value, settings: bool = True) -> bool:
    """True for a value that names (part of) an endpoint, not one unknown or a parameter."""
    for part in value.parts():
        if part.kind in ("env", "config", "name") or (settings and part.kind == "setting"):
            return True
        if part.kind == "text" and "://" in part.text:
            return True
    return False


def _short_text(value: Value) -> bool:
    """A literal a wrapper may take as a name (a host, a topic, a routing key)."""
    if len(value.alternatives) != 1 or not value.alternatives[0].is_text():
        return False
    text = value.alternatives[0].text()
    return len(text) <= 200 and "\n" not in text  # "" too: AMQP's default exchange


# Objects that are called themselves (`self.dispatch("order_created", payload)`).
CALLED_OBJECTS = frozenset({"nameko.EventDispatcher"})
# Client objects whose every public attribute is a remote operation.
CALLABLE_OBJECTS = frozenset(
    {
        "grpc.Stub",
        "zeep.Service",
        "nameko.RpcProxy",
        "xmlrpc.ServerProxy",
        "openapi.Api",
        "package.Client",
    }
)


class _Builder:
    def __init__(self, records: CallRecords, evaluator: Evaluator, values: ValueResolver) -> None:
        self.records = records
        self.ev = evaluator
        self.values = values
        self.parts = ClientParts(records, self.ev, values)
        self.guards = Guards(self.ev, records.sites)
        self._callers: dict[int, list[CallSite]] | None = None
        # Only a module that imports such a class can call one of its objects itself.
        self.called_objects = any(q.startswith("nameko.") for q in records.ctx.bindings.values())
        self.parts.socket_default = any(
            self.callee_name(site.node.func, site.scope) == SOCKET_DEFAULT
            for site in records.sites
            if (dotted_name(site.node.func) or "").endswith("setdefaulttimeout")
        )

    def client_export(self, name: str) -> ClientExport | None:
        """What another module importing `name` gets, when it is a client object this
        module builds at module level (`session = requests.Session()`)."""
        return self._export_of(self.ev.value(cst.Name(name), ()))

    def factory_exports(self) -> Iterator[ExportFact]:
        """Client objects that a module-level function (`make_stub()`) or a method of a
        module-level class (`Connector().auth_stub()`) returns, named as called: other
        modules that call them get the object (`Obj.imported`)."""
        imported = self.records.ctx.bindings.values()
        if not any(q.split(".", 1)[0] in CATALOG_ROOTS or "_grpc" in q for q in imported):
            return  # only a module that imports a client library builds client objects
        binds = self.records.symbols.binds
        methods: dict[str, list[str]] = {}
        for (scope, name), bindings in binds.items():
            if len(scope) == 1 and not name.startswith("_") and bindings[0].kind == "def":
                methods.setdefault(scope[0], []).append(name)
        for (scope, name), bindings in binds.items():
            if scope or len(bindings) != 1 or bindings[0].kind not in ("def", "class"):
                continue
            if bindings[0].kind == "def":
                made = self._export_of(self.ev.value(cst.Call(cst.Name(name)), ()))
                if made is not None:
                    yield ExportFact(f"{name}()", Value(), made)
                continue
            for method in methods.get(name, ()):
                call = cst.Call(cst.Attribute(cst.Call(cst.Name(name)), cst.Name(method)))
                made = self._export_of(self.ev.value(call, ()))
                if made is not None:
                    yield ExportFact(f"{name}.{method}()", Value(), made)

    def _export_of(self, obj: object) -> ClientExport | None:
        if not isinstance(obj, Obj) or obj.imported is not None:
            return None
        if obj.kind == "breaker":  # `@orders_breaker` in the modules that import it
            return ClientExport(obj.kind, obj.origin, Value(), None)
        if obj.kind not in KIND_METHODS and obj.kind not in CALLABLE_OBJECTS:
            return None
        base = self.parts.base(obj) or Value()
        return ClientExport(obj.kind, obj.origin, base, self.parts.client_timeout(obj))

    def callee_name(self, func: cst.BaseExpression, scope: Scope) -> str | None:
        """The qualified name a call's function resolves to through imports, if any."""
        value = self.ev.value(func, scope)
        return value.name if isinstance(value, Ref) else None

    def callee_of(self, func: cst.BaseExpression, scope: Scope) -> tuple[Obj, str] | str | None:
        """What a call's function is: (client object, method), a qualified name, or None."""
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if self.called_objects:  # `self.dispatch(...)`: an object called itself
                itself = self.ev.value(func, scope)
                if isinstance(itself, Obj) and itself.kind in CALLED_OBJECTS:
                    return itself, "__call__"
            base = self.ev.value(func.value, scope)
            if isinstance(base, Obj):
                return base, method
            if isinstance(base, Ref):
                return f"{base.name}.{method}"
            if method in GRPC_CALL_VARIANTS and isinstance(func.value, cst.Attribute):
                stub = self.ev.value(func.value.value, scope)  # `stub.GetOrder.future(...)`
                if isinstance(stub, Obj) and stub.kind == "grpc.Stub":
                    return stub, func.value.attr.value
            return None
        if isinstance(func, cst.Name):
            value = self.ev.value(func, scope)
            return value.name if isinstance(value, Ref) else None
        return None

    def api_of(self, callee: tuple[Obj, str] | str | None) -> Callee | None:
        """The client API a callee is, if any."""
        if isinstance(callee, str):
            api = MODULE_FUNCTIONS.get(callee)
            return (api, None, "") if api is not None else None
        if callee is None:
            return None
        obj, method = callee
        if obj.kind == "grpc.Stub" and not method.startswith("_"):
            return GRPC_STUB_CALL, obj, method
        if obj.kind == "zeep.Service":
            return ZEEP_OPERATION, obj, method
        if obj.kind == "nameko.RpcProxy" and not method.startswith("_"):
            return NAMEKO_RPC_CALL, obj, method
        if obj.kind == "xmlrpc.ServerProxy" and not method.startswith("_"):
            return XMLRPC_CALL, obj, method
        if obj.kind == "openapi.Api" and not method.startswith("_"):
            return OPENAPI_CALL, obj, method
        if obj.kind == "package.Client" and not method.startswith("_"):
            return PACKAGE_CLIENT_CALL, obj, method
        api = KIND_METHODS.get(obj.kind, {}).get(method)
        return (api, obj, "") if api is not None else None

    def call(self, site: CallSite, callee: tuple[Obj, str] | str | None) -> CallFact | None:
        """The CallFact of a call site: a client call itself, or one run through a wrapper."""
        found = self.api_of(callee)
        if found is not None:
            return self._fact(site, found, Args(site.node.args), NONE)
        return self._wrapped(site)

    def _wrapped(self, site: CallSite) -> CallFact | None:
        # `breaker.call(requests.get, url, timeout=2)`: the wrapper makes the call.
        node = site.node
        name = dotted_name(node.func) or ""
        index = FORWARDERS.get(name.rsplit(".", 1)[-1]) if name else None
        position = index or 0
        args = Args(node.args)
        if len(args.positional) <= position:
            return None
        ref = args.positional[position]
        if not isinstance(ref, (cst.Name, cst.Attribute)):
            return None
        found = self.api_of(self.callee_of(ref, site.scope))
        if found is None:
            return None
        guard = self.guards.wrapper(node, site.scope)
        rest = args.after(position)
        known = index is not None or guard.breaker or guard.retry
        if not known and not self._url_like(found[0], rest, site.scope):
            return None  # an unknown wrapper: only when what follows is clearly a URL
        return self._fact(site, found, rest, guard)

    def _nameko_proxy(self, obj: Obj) -> str:
        """How a message names a nameko proxy: `RpcProxy('orders')`, `ClusterRpcProxy.orders`."""
        if obj.parent is not None:  # `cluster.orders`: the attribute names the service
            return f"{obj.parent.origin.rsplit('.', 1)[-1]}.{obj.origin}"
        name = self.parts.base(obj)
        alternatives = name.alternatives if name is not None else ()
        one = len(alternatives) == 1 and alternatives[0].is_text()
        shown = repr(alternatives[0].text()) if one else "..."
        return f"{obj.origin.rsplit('.', 1)[-1]}({shown})"

    def _bounded(self, site: CallSite, guard: Guard) -> bool:
        outer = site.outer
        if guard.bounded:
            return True
        if outer is None or not any(a.value is site.node for a in outer.args):
            return False
        return self.callee_name(outer.func, site.scope) in TIMEOUT_WRAPPERS

    def _url_like(self, api: Api, args: Args, scope: Scope) -> bool:
        url = args.get(api.url_arg, "url")
        value = self.parts.value(url, scope)
        if value is None:
            return False
        for alternative in value.alternatives:
            first = alternative.parts[0] if alternative.parts else None
            if first is not None and (
                first.kind in ("env", "config", "setting")
                or (first.kind == "text" and "://" in first.text)
            ):
                return True
        return False

    # -- calls through wrapper functions of this module ---------------------------------------
    def through_wrappers(self, fact: CallFact, site: CallSite, depth: int = 0) -> list[CallFact]:
        """`fact`, and one fact at each call site of its enclosing function that binds a
        parameter its target depends on (recursively, a few levels out)."""
        owner = fact.scope
        if (
            depth >= MAX_WRAPPER_DEPTH
            or not owner
            or not _depends_on(fact.target, owner, fact.client)
        ):
            return [fact]
        func = self._function(site.scope)
        if func is None:
            return [fact]
        fact = dataclasses.replace(fact, params=_param_names(func.node, site.scope, self))
        callers = self._callers_of(func)
        if not callers:
            return [fact]
        found = [dataclasses.replace(fact, forwarded=True)]
        method = len(site.scope) >= 2 and site.scope[:-1] in self.records.symbols.classes
        for caller in callers:
            target = self.values.substitute(
                fact.target,
                owner,
                func.node,
                [(caller.node, caller.scope, caller.point)],
                method=method,
            )
            guard = self.guards.of(caller.frame)
            derived = dataclasses.replace(
                fact,
                span=self.records.ctx.span(caller.node),
                target=target,
                path=url_path(target, fact.client) if fact.client != "grpc" else fact.path,
                breaker=fact.breaker or guard.breaker,
                retry=fact.retry or guard.retry,
                guards=(*guard.names, *fact.guards),
                imported_guards=(*guard.imported, *fact.imported_guards),
                scope=".".join(caller.scope),
                at_import=at_import(caller.frame),
                via=fact.via or site.scope[-1],
                wrapped=fact.wrapped or fact.span,
                forwarded=False,
            )
            found.extend(self.through_wrappers(derived, caller, depth + 1))
        return found

    def forwards(self) -> tuple[ForwardFact, ...]:
        """Calls of functions imported from this project whose arguments can choose a target."""
        found = []
        for site in self.records.sites:
            callee = _project_import(self.records, site)
            if callee is None:
                continue
            args = []
            for index, arg in enumerate(a for a in site.node.args if not a.star):
                value = self.values.value(arg.value, site.scope, site.point)
                # Settings are read where they are used (the index finds their module);
                # leaving them out keeps positions uncomputed in most framework files.
                if _telling(value, settings=False) or _short_text(value):
                    key = arg.keyword.value if arg.keyword is not None else str(index)
                    args.append((key, value))
            if args:
                guard = self.guards.of(site.frame)
                found.append(
                    ForwardFact(
                        self.records.ctx.span(site.node),
                        callee,
                        tuple(args),
                        ".".join(site.scope),
                        at_import(site.frame),
                        guard.names,
                        guard.breaker,
                        guard.imported,
                    )
                )
        return tuple(found)

    def _function(self, scope: Scope) -> Func | None:
        """The function whose body `scope` is."""
        if not scope:
            return None
        found = self.records.symbols.lookup(scope[:-1], scope[-1])
        if found is None and len(scope) >= 2:
            for binding in self.records.symbols.binds.get((scope[:-1], scope[-1]), []):
                if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                    return Func(binding.node, scope)
        for binding in found[1] if found else []:
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                return Func(binding.node, scope)
        return None

    def _callers_of(self, func: Func) -> list[CallSite]:
        """The call sites of this module that call `func` (by name or as `self.method`)."""
        if self._callers is None:
            self._callers = {}
            for site in self.records.sites:
                if not isinstance(site.node.func, (cst.Name, cst.Attribute)):
                    continue
                value = self.ev.value(site.node.func, site.scope)
                if isinstance(value, Func):
                    self._callers.setdefault(id(value.node), []).append(site)
        return self._callers.get(id(func.node), [])

    def _fact(self, site: CallSite, found: Callee, args: Args, extra: Guard) -> CallFact | None:
        api, obj, operation = found
        url_missing = api.url_arg >= 0 and args.get(api.url_arg, "url") is None
        if url_missing and not (args.star or args.kwstar):
            return None  # `requests.get()` raises TypeError: no call is made
        client, label = api.client, api.label
        if obj is not None and operation:
            stub = obj.origin.rsplit(".", 1)[-1]
            label = f"grpc.{stub}.{operation}" if client == "grpc" else f"{label}.{operation}"
            if client == "package":
                label = f"{obj.origin}.{operation}"
            if client == "nameko":
                label = f"{self._nameko_proxy(obj)}.{operation}"
        target = self.parts.target(api, obj, args, site.scope, site.point) or Value()
        timeout = self.parts.timeout(api, obj, args, site.scope)
        if client in SOCKET_CLIENTS and timeout == "missing" and self.parts.socket_default:
            timeout = "unknown"  # `socket.setdefaulttimeout()` in this module bounds them
        path = url_path(target, client)
        if client == "grpc" and obj is not None:
            stub = obj.origin.rsplit(".", 1)[-1]
            path = f"/{stub[:-4] if stub.endswith('Stub') else stub}/{operation}"
        guard = self.guards.of(site.frame) | extra
        if timeout in ("missing", "none", "default") and self._bounded(site, guard):
            timeout = "call"  # a timeout block or `asyncio.wait_for` bounds the call
        return CallFact(
            span=self.records.ctx.span(site.node),
            client=client,
            api=label,
            method=operation or self.parts.verb(api, args, site.scope),
            target=target,
            path=path,
            timeout=timeout,
            breaker=guard.breaker,
            retry=guard.retry,
            guards=guard.names,
            imported_guards=guard.imported,
            scope=".".join(site.scope),
            at_import=at_import(site.frame),
        )


def _project_import(records: CallRecords, site: CallSite) -> str | None:
    """`.http.get_json` when the call's function is a name imported from this project."""
    func = site.node.func
    name = dotted_name(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    if name is None:
        return None
    head, _, rest = name.partition(".")
    found = records.symbols.lookup(site.scope, head)
    if found is None or len(found[1]) != 1:
        return None
    binding = found[1][0]
    if binding.kind == "local" or (
        binding.kind == "import" and binding.name.split(".", 1)[0] not in CATALOG_ROOTS
    ):
        return f"{binding.name}.{rest}" if rest else binding.name
    return None


def _param_names(node: cst.FunctionDef, scope: Scope, builder: _Builder) -> tuple[str, ...]:
    """Parameter names a caller binds by position (`self` of a method left out)."""
    params = node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if len(scope) >= 2 and scope[:-1] in builder.records.symbols.classes and names:
        names = names[1:]
    return tuple(names + [p.name.value for p in params.kwonly_params])


def _depends_on(target: Value, owner: str, client: str) -> bool:
    """True when a parameter of function `owner` decides where `target` goes: it stands in
    the URL's host (or is the whole base), not only in its path."""
    for alternative in target.alternatives:
        for part in endpoint(alternative, client).parts:
            if part.kind == "param" and part.owner == owner:
                return True
    return False
