"""The resolving half of the call collector: call sites -> CallFact, BrokerFact, literals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import libcst as cst

from couplint_ast.facts.brokers import broker_fact
from couplint_ast.facts.calls import at_import
from couplint_ast.facts.catalog import (
    CONSTRUCTORS,
    FORWARDERS,
    GRPC_CALL_VARIANTS,
    GRPC_STUB_CALL,
    KIND_METHODS,
    MODULE_FUNCTIONS,
    SOCKET_CLIENTS,
    SOCKET_DEFAULT,
    TIMEOUT_WRAPPERS,
    ZEEP_OPERATION,
    Api,
)
from couplint_ast.facts.clientparts import Args, ClientParts
from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.evaluate import Evaluator
from couplint_ast.facts.guards import NONE, Guard, Guards
from couplint_ast.facts.markers import ENV_OPEN
from couplint_ast.facts.scopes import Obj, Ref, Scope
from couplint_ast.facts.strings import StringResolver
from couplint_ast.facts.types import BrokerFact, CallFact, UrlLiteralFact

if TYPE_CHECKING:
    from couplint_ast.facts.calls import CallCollector, CallSite

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


def build(collector: CallCollector) -> dict[str, Any]:
    """Resolve what the traversal recorded into the FileFacts fields."""
    ctx = collector.ctx
    strings = StringResolver(ctx, name_markers=True)
    literals: dict[int, UrlLiteralFact] = {}
    for node, scope in collector.literals:
        text = strings.value(node, scope)
        if text is not None and "://" in text:
            literals[id(node)] = UrlLiteralFact(ctx.span(node), text)
    if not collector.relevant:
        return {"url_literals": tuple(literals.values())}
    builder = _Builder(collector, strings)
    calls: list[CallFact] = []
    brokers: list[BrokerFact] = []
    for site in collector.sites:
        callee = builder.callee_of(site.node.func, site.scope)
        fact = builder.call(site, callee)
        if fact is not None:
            calls.append(fact)
            continue
        broker = broker_fact(builder.parts, site, callee)
        if broker is not None:
            brokers.append(broker)
        elif isinstance(callee, str) and CONSTRUCTORS.get(callee) in ADDRESSED:
            # A channel or connection built but not called here still names its endpoint.
            builder.parts.base(Obj(CONSTRUCTORS[callee], site.node, site.scope, callee))
    for key, address in builder.parts.addresses.items():
        literals.setdefault(key, address)
    return {
        "calls": tuple(calls),
        "brokers": tuple(brokers),
        "url_literals": tuple(sorted(literals.values(), key=lambda f: f.span)),
    }


class _Builder:
    def __init__(self, collector: CallCollector, strings: StringResolver) -> None:
        self.collector = collector
        self.ev = Evaluator(collector.symbols)
        self.parts = ClientParts(collector, self.ev, strings)
        self.guards = Guards(self.ev, collector.sites)
        self.parts.socket_default = any(
            self.callee_name(site.node.func, site.scope) == SOCKET_DEFAULT
            for site in collector.sites
            if (dotted_name(site.node.func) or "").endswith("setdefaulttimeout")
        )

    def callee_name(self, func: cst.BaseExpression, scope: Scope) -> str | None:
        """The qualified name a call's function resolves to through imports, if any."""
        value = self.ev.value(func, scope)
        return value.name if isinstance(value, Ref) else None

    def callee_of(self, func: cst.BaseExpression, scope: Scope) -> tuple[Obj, str] | str | None:
        """What a call's function is: (client object, method), a qualified name, or None."""
        if isinstance(func, cst.Attribute):
            method = func.attr.value
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

    def _bounded(self, site: CallSite, guard: Guard) -> bool:
        outer = site.outer
        if guard.bounded:
            return True
        if outer is None or not any(a.value is site.node for a in outer.args):
            return False
        return self.callee_name(outer.func, site.scope) in TIMEOUT_WRAPPERS

    def _url_like(self, api: Api, args: Args, scope: Scope) -> bool:
        url = args.get(api.url_arg, "url")
        text = self.parts.strings.value(url, scope) if url is not None else None
        return text is not None and ("://" in text or text.startswith(ENV_OPEN))

    def _fact(self, site: CallSite, found: Callee, args: Args, extra: Guard) -> CallFact | None:
        api, obj, operation = found
        url_missing = api.url_arg >= 0 and args.get(api.url_arg, "url") is None
        if url_missing and not (args.star or args.kwstar):
            return None  # `requests.get()` raises TypeError: no call is made
        client, label = api.client, api.label
        if obj is not None and operation:
            stub = obj.origin.rsplit(".", 1)[-1]
            label = f"grpc.{stub}.{operation}" if client == "grpc" else f"{label}.{operation}"
        target = self.parts.target(api, obj, args, site.scope)
        timeout = self.parts.timeout(api, obj, args, site.scope)
        if client in SOCKET_CLIENTS and timeout == "missing" and self.parts.socket_default:
            timeout = "unknown"  # `socket.setdefaulttimeout()` in this module bounds them
        path = self.parts.path(target, client)
        if client == "grpc" and obj is not None:
            stub = obj.origin.rsplit(".", 1)[-1]
            path = f"/{stub[:-4] if stub.endswith('Stub') else stub}/{operation}"
        guard = self.guards.of(site.frame) | extra
        if timeout in ("missing", "none", "default") and self._bounded(site, guard):
            timeout = "call"  # a timeout block or `asyncio.wait_for` bounds the call
        return CallFact(
            span=self.collector.ctx.span(site.node),
            client=client,
            api=label,
            method=operation or self.parts.verb(api, args, site.scope),
            target=target,
            path=path,
            timeout=timeout,
            breaker=guard.breaker,
            retry=guard.retry,
            guards=guard.names,
            scope=".".join(site.scope),
            at_import=at_import(site.frame),
        )
