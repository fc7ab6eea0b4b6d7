"""Reading a call and its client object: target URL or address, verb, path, timeout state."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from couplint_ast.facts.callsites import CallRecords
from couplint_ast.facts.catalog import (
    CTOR_TIMEOUT,
    CUSTOMISERS,
    EMPTY_IS_NO_TIMEOUT,
    TIMEOUT_CLASSES,
    ZEEP_TRANSPORTS,
    Api,
)
from couplint_ast.facts.evaluate import Evaluator
from couplint_ast.facts.flow import ValueResolver
from couplint_ast.facts.folding import join_url
from couplint_ast.facts.scopes import Obj, Point, Ref, Scope
from couplint_ast.facts.types import TimeoutState, UrlLiteralFact
from couplint_ast.facts.values import UNKNOWN_PART, Value


class Args:
    """A call's arguments: positional ones up to the first `*args`, keywords, and stars."""

    def __init__(self, args: Sequence[cst.Arg]) -> None:
        self.args = args
        self.positional: list[cst.BaseExpression] = []
        self.keywords: dict[str, cst.BaseExpression] = {}
        self.star = self.kwstar = False
        for arg in args:
            if arg.star == "**":
                self.kwstar = True
            elif arg.star == "*":
                self.star = True  # positions after it are unknown
            elif arg.keyword is not None:
                self.keywords[arg.keyword.value] = arg.value
            elif not self.star:
                self.positional.append(arg.value)

    def get(self, index: int, keyword: str) -> cst.BaseExpression | None:
        """The argument given by keyword (`a|b`: either) or at positional `index` (-1: none)."""
        for name in keyword.split("|") if keyword else ():
            if name in self.keywords:
                return self.keywords[name]
        if 0 <= index < len(self.positional):
            return self.positional[index]
        return None

    def after(self, index: int) -> Args:
        """The arguments that follow positional `index` (what a wrapper passes on)."""
        skip = index + 1
        rest = []
        for arg in self.args:
            if skip and arg.keyword is None and not arg.star:
                skip -= 1
                continue
            rest.append(arg)
        return Args(rest)


class ClientParts:
    """Answers for one module: where a call goes and how its timeout is set."""

    def __init__(self, records: CallRecords, evaluator: Evaluator, values: ValueResolver) -> None:
        self.records = records
        self.ev = evaluator
        self.values = values
        self.addresses: dict[int, UrlLiteralFact] = {}
        self.socket_default = False
        self._custom: dict[int, dict[str, tuple[cst.BaseExpression, Scope]]] | None = None

    def value(
        self, node: cst.BaseExpression | None, scope: Scope, at: Point | None = None
    ) -> Value | None:
        """The symbolic value of `node`; None when there is no node."""
        return self.values.value(node, scope, at) if node is not None else None

    def string(self, node: cst.BaseExpression | None, scope: Scope) -> str | None:
        """The literal string `node` always is, or None (a queue name, an HTTP verb)."""
        value = self.value(node, scope)
        if value is None or len(value.alternatives) != 1 or not value.alternatives[0].is_text():
            return None
        return value.alternatives[0].text()

    def target(
        self, api: Api, obj: Obj | None, args: Args, scope: Scope, at: Point | None = None
    ) -> Value | None:
        """The call's URL (joined to its client's base) or its channel's address."""
        expr = args.get(api.url_arg, "url") if api.url_arg >= 0 else None
        if expr is not None and api.client == "urllib":
            request = self.ev.value(expr, scope)  # `urlopen(Request(url))`
            if isinstance(request, Obj) and request.kind == "urllib.Request":
                expr, scope, at = _ctor_args(request).get(0, "url"), request.scope, None
        url = self.value(expr, scope, at)
        base = self.base(obj) if obj is not None else None
        if url is None or base is None:
            return url if base is None else base
        return join_url(base, url)

    def base(self, obj: Obj) -> Value | None:
        """What a client object adds to its calls' URLs: base_url, host and port, address."""
        if obj.imported is not None:
            return obj.imported.base if obj.imported.base.alternatives else None
        if obj.kind in ("grpc.Stub", "zeep.Service", "openapi.ApiClient", "openapi.Api"):
            return self.base(obj.parent) if obj.parent is not None else None
        if obj.kind == "nameko.RpcProxy" and isinstance(obj.node, cst.Attribute):
            return Value.literal(obj.origin)  # `cluster.orders`: the attribute is the name
        if obj.kind == "package.Client":
            return Value.literal(obj.origin)  # its package says whose it is
        if obj.kind == "nameko.RpcProxy" and isinstance(obj.node, cst.Call):
            # The target service's nameko name, which `hosts` lists like a host name.
            return self.value(_ctor_args(obj).get(0, "target_service"), obj.scope)
        if not isinstance(obj.node, cst.Call):
            return None
        args, scope, kind, origin = _ctor_args(obj), obj.scope, obj.kind, obj.origin
        if kind in ("httpx.Client", "httpx.AsyncClient"):
            return self.value(args.get(-1, "base_url"), scope)
        if kind == "aiohttp.ClientSession" or origin.endswith("BaseUrlSession"):
            return self.value(args.get(0, "base_url"), scope)
        if origin == "urllib3.connection_from_url":
            return self.value(args.get(0, "url"), scope)
        if kind == "zeep.Client":
            return self.value(args.get(0, "wsdl"), scope)
        if kind == "openapi.Configuration":
            return self.value(args.get(0, "host"), scope)
        if kind == "xmlrpc.ServerProxy":
            return self.value(args.get(0, "uri"), scope)
        if kind == "smtplib.SMTP":
            return self._address(args.get(0, "host"), scope)
        if kind == "grpc.Channel":
            if origin == "grpc.intercept_channel":
                inner = args.get(0, "channel")
                channel = self.ev.value(inner, scope) if inner is not None else None
                return self.base(channel) if isinstance(channel, Obj) else None
            return self._address(args.get(0, "target"), scope)
        if kind.startswith(("urllib3.HTTP", "http.client.")):
            host = self._address(args.get(0, "host"), scope)
            if host is None:
                return None
            port_node = args.get(1, "port")
            port = Value.literal("")
            if isinstance(port_node, cst.Integer):
                port = Value.literal(":" + port_node.value)
            elif port_node is not None:
                port = Value.concat([Value.literal(":"), self.value(port_node, scope) or _HOLE])
            scheme = "https" if "HTTPS" in kind else "http"
            return Value.concat([Value.literal(f"{scheme}://"), host, port])
        return None

    def _address(self, node: cst.BaseExpression | None, scope: Scope) -> Value | None:
        # A bare `host:port` literal is a hard-coded endpoint too (CPL304): remember it.
        literal = node
        if isinstance(node, cst.Name):
            found = self.records.symbols.lookup(scope, node.value)
            bindings = found[1] if found else []
            literal = bindings[0].node if len(bindings) == 1 else None  # type: ignore[assignment]
        if isinstance(literal, cst.SimpleString) and isinstance(literal.evaluated_value, str):
            span = self.records.ctx.span(literal)
            text = Value.literal(literal.evaluated_value)
            self.addresses[id(literal)] = UrlLiteralFact(span, text, address=True)
        return self.value(node, scope)

    def verb(self, api: Api, args: Args, scope: Scope) -> str:
        """The HTTP verb, upper-case, when static."""
        if api.verb or api.verb_arg < 0:
            return api.verb
        verb = self.string(args.get(api.verb_arg, "method"), scope)
        return verb.upper() if verb and verb.isalpha() else ""

    def timeout(self, api: Api, obj: Obj | None, args: Args, scope: Scope) -> TimeoutState:
        """The timeout state of a call (see `CallFact.timeout`)."""
        expr = args.get(api.timeout_arg, api.timeout_keyword)
        if expr is not None:
            return "none" if self.disabled(expr, scope) else "call"
        if args.kwstar or (args.star and api.timeout_arg >= 0):
            return "unknown"  # forwarded: `**kwargs` may well hold a timeout
        state = self.client_timeout(obj) if obj is not None else None
        return state or api.default

    def client_timeout(self, obj: Obj) -> TimeoutState | None:
        """The timeout a client object gives its calls; None when it sets none."""
        if obj.imported is not None:
            return obj.imported.timeout
        if obj.kind == "grpc.Stub":
            channel = obj.parent  # an interceptor may set deadlines
            intercepted = channel is not None and (
                channel.origin == "grpc.intercept_channel" or channel.custom
            )
            return "unknown" if intercepted else None
        if obj.kind == "zeep.Service":
            return self.client_timeout(obj.parent) if obj.parent is not None else "unknown"
        if obj.kind == "package.Client":
            return "unknown"  # the library's own business
        if obj.kind == "nameko.RpcProxy" and obj.parent is not None:
            return self.client_timeout(obj.parent)  # the cluster proxy's own timeout
        if obj.kind in ("nameko.RpcProxy", "nameko.Cluster") and isinstance(obj.node, cst.Call):
            timeout = _ctor_args(obj).get(-1, "timeout")
            if timeout is None:
                return None
            return "none" if self.disabled(timeout, obj.scope) else "client"
        if obj.node is None or obj.custom:
            return "unknown"  # built elsewhere, several ways, or a subclass of ours
        custom = self.customised(obj)
        if obj.kind == "requests.Session":  # requests ignores `Session.timeout`: a known trap
            custom = {k: v for k, v in custom.items() if k != "timeout"}
        if "timeout" in custom:
            return "none" if self.disabled(*custom["timeout"]) else "client"
        if custom.keys() & CUSTOMISERS:
            return "unknown"  # a mounted adapter or a wrapped `request` may set one
        if not isinstance(obj.node, cst.Call):
            return None
        args = _ctor_args(obj)
        if obj.kind == "zeep.Client":
            return self._zeep_timeout(args, obj.scope)
        index = CTOR_TIMEOUT.get(obj.kind)
        if index is None:
            return None
        if obj.origin == "urllib3.connection_from_url":
            index = -1
        expr = args.get(index, "timeout")
        if expr is not None:
            return "none" if self.disabled(expr, obj.scope) else "client"
        return "unknown" if args.kwstar else None

    def _zeep_timeout(self, args: Args, scope: Scope) -> TimeoutState | None:
        transport = args.get(-1, "transport")
        if transport is None:
            return "unknown" if args.kwstar else None
        if isinstance(transport, cst.Call):
            kind = self.ev.value(transport.func, scope)
            if isinstance(kind, Ref) and kind.name in ZEEP_TRANSPORTS:
                expr = Args(transport.args).get(-1, "operation_timeout")
                if expr is None:
                    return None
                return "none" if self.disabled(expr, scope) else "client"
        return "unknown"

    def customised(self, obj: Obj) -> dict[str, tuple[cst.BaseExpression, Scope]]:
        """`s.timeout = x`, `s.mount(...)`, `s.request = ...` done to `obj` anywhere."""
        if self._custom is None:
            self._custom = {}
            for head, attr, value, scope in self.records.attr_sets:
                if attr in CUSTOMISERS:
                    self._customise(head, scope, attr, value)
            for site in self.records.sites:
                func = site.node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "mount":
                    self._customise(func.value, site.scope, "mount", site.node)
        return self._custom.get(id(obj.node), {})

    def _customise(
        self, head: cst.BaseExpression, scope: Scope, attr: str, value: cst.BaseExpression
    ) -> None:
        target = self.ev.value(head, scope)
        if isinstance(target, Obj) and target.node is not None and self._custom is not None:
            self._custom.setdefault(id(target.node), {})[attr] = (value, scope)

    def disabled(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """True for `None`, a name bound only to None, or `httpx.Timeout(None)` alike."""
        if isinstance(expr, cst.Name):
            if expr.value == "None":
                return True
            if self.records.symbols.lookup(scope, expr.value) is not None:
                return False
            nones = self.records.symbols.none_names
            return any((scope[:size], expr.value) in nones for size in range(len(scope) + 1))
        if isinstance(expr, cst.Call):
            kind = self.ev.value(expr.func, scope)
            if isinstance(kind, Ref) and kind.name in TIMEOUT_CLASSES:
                if not expr.args:
                    return kind.name in EMPTY_IS_NO_TIMEOUT
                return all(
                    isinstance(a.value, cst.Name) and a.value.value == "None" for a in expr.args
                )
        return False


_HOLE = Value.of(UNKNOWN_PART)


def _ctor_args(obj: Obj) -> Args:
    return Args(obj.node.args) if isinstance(obj.node, cst.Call) else Args(())
