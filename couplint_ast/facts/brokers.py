"""Message-broker producers and consumers as facts, with their topics and queues.

Each destination is a symbolic `Value`, as a call's target is: a literal, an env var (an
SQS `QueueUrl` read from the environment), a setting, or a parameter of the enclosing
function. A publish made inside a wrapper function whose parameters choose the exchange,
routing key or queue (`def publish(exchange, key, body): channel.basic_publish(...)`) is
recorded again at each call site of the wrapper in this module, with the parameters bound
(`facts.callfacts` binds the wrappers of calls the same way); the wrapper's own fact is
`forwarded` then. What cannot be known stays unknown, never a guess.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol

import libcst as cst

from couplint_ast.facts.broker_catalog import (
    BROKER_CTOR_OPS,
    BROKER_FACTORY_OPS,
    BROKER_OPS,
    BrokerOp,
    choose,
    literal,
)
from couplint_ast.facts.callsites import CallRecords, CallSite, at_import
from couplint_ast.facts.clientparts import Args
from couplint_ast.facts.scopes import Func, Obj, Scope
from couplint_ast.facts.types import BrokerFact
from couplint_ast.facts.values import UNKNOWN, Value

if TYPE_CHECKING:
    from couplint_ast.facts.clientparts import ClientParts
    from couplint_ast.facts.evaluate import Evaluator
    from couplint_ast.facts.flow import ValueResolver
    from couplint_ast.facts.guards import Guards


class Sites(Protocol):
    """What the call builder (`facts.callfacts`) answers about this module's functions."""

    records: CallRecords
    values: ValueResolver
    parts: ClientParts
    guards: Guards
    ev: Evaluator

    def _function(self, scope: Scope) -> Func | None: ...

    def _callers_of(self, func: Func) -> list[CallSite]: ...


# How many wrapper levels a publish is followed out through, as for calls.
MAX_WRAPPER_DEPTH = 3


def broker_op(callee: tuple[Obj, str] | str | None) -> tuple[BrokerOp, Obj | None] | None:
    """The broker operation a callee is, with its object; None when it is none."""
    if isinstance(callee, str):
        op = BROKER_CTOR_OPS.get(callee)  # `KafkaConsumer("orders")` consumes already
        return (op, None) if op is not None else None
    if callee is None:
        return None
    obj, method = callee
    op = BROKER_OPS.get(obj.kind, {}).get(method) or BROKER_FACTORY_OPS.get((obj.kind, method))
    return (op, obj) if op is not None else None


def broker_fact(
    parts: ClientParts, site: CallSite, callee: tuple[Obj, str] | str | None
) -> BrokerFact | None:
    """The BrokerFact of a call site whose callee is a broker operation, else None."""
    found = broker_op(callee)
    if found is None:
        return None
    op, obj = found
    targets, keys = _destinations(parts, op, obj, Args(site.node.args), site.scope)
    return finish(
        BrokerFact(
            span=parts.records.ctx.span(site.node),
            library=op.library,
            operation=op.operation,
            api=op.label,
            scope=".".join(site.scope),
            at_import=at_import(site.frame),
            targets=tuple(targets),
            keys=tuple(keys),
        )
    )


def finish(fact: BrokerFact) -> BrokerFact:
    """`fact` with AMQP's default exchange read as its routing key, and its literal names."""
    targets = choose(fact.targets, fact.keys)
    names = []
    for target in targets:
        text = literal(target)
        if text:
            names.append(text)
    return dataclasses.replace(fact, targets=targets, destinations=tuple(names))


def _destinations(
    parts: ClientParts, op: BrokerOp, obj: Obj | None, args: Args, scope: Scope
) -> tuple[list[Value], list[Value]]:
    """The destination values a call names, and the routing keys given beside them."""

    def value(node: cst.BaseExpression | None, where: Scope = scope) -> list[Value]:
        found = parts.value(node, where)
        return [found] if found is not None else []

    shape = op.shape
    if shape == "nameko_event":
        return _nameko_event(parts, op, args, scope), []
    if shape == "pika":  # the default exchange "" routes by queue name (see `choose`)
        if _replies(args.get(1, "routing_key")):
            return [], []  # a server answering a request: the requester's queue, no one's
        key = value(args.get(1, "routing_key"))
        exchange = value(args.get(0, "exchange"))
        return (exchange or ([Value.literal("")] if key else [])), key
    if shape == "kombu":
        key = value(args.get(-1, "routing_key"))
        if key:
            return key, []
        return _values(parts, args.get(-1, "exchange"), scope), []
    if shape == "exchange" and _replies(args.get(op.arg, op.keyword)):
        return [], []
    if shape in ("ctor", "exchange"):
        built = obj.node if obj is not None else None
        if isinstance(built, cst.Call):  # `channel.declare_queue("orders")`
            name = parts.value(Args(built.args).get(0, "name"), obj.scope if obj else scope)
            if shape == "ctor":
                return ([name] if name is not None else [UNKNOWN]), []
            if name is not None and literal(name) != "":
                return [name], []
        if shape == "exchange":  # `channel.default_exchange.publish(m, routing_key=...)`
            return value(args.get(op.arg, op.keyword)), []
        return [UNKNOWN], []  # a queue built elsewhere: it names one, which is unknown
    if shape == "all":
        return [parts.value(arg, scope) or UNKNOWN for arg in args.positional], []
    expr = args.get(op.arg, op.keyword)
    if shape == "keys":
        if not isinstance(expr, cst.Dict):
            return ([UNKNOWN] if expr is not None else []), []
        keys = [e.key for e in expr.elements if isinstance(e, cst.DictElement)]
        return [parts.value(k, scope) or UNKNOWN for k in keys], []
    return _values(parts, expr, scope), []


def _replies(node: cst.BaseExpression | None) -> bool:
    """`routing_key=properties.reply_to`: the answer to a request, sent where it asked."""
    return isinstance(node, cst.Attribute) and node.attr.value == "reply_to"


def _nameko_event(parts: ClientParts, op: BrokerOp, args: Args, scope: Scope) -> list[Value]:
    """`orders.order_created`: a handler names the source service and the event type; a
    dispatcher names the type, and its service is the `name` of the class it sits in."""
    if op.operation == "consume":
        source = parts.string(args.get(0, "source_service"), scope)
        kind = parts.string(args.get(1, "event_type"), scope)
    else:
        kind = parts.string(args.get(op.arg, op.keyword), scope)
        source = parts.string(cst.Name("name"), scope[:1]) if len(scope) >= 2 else None
    return [Value.literal(f"{source}.{kind}") if source and kind else UNKNOWN]


def _values(parts: ClientParts, expr: cst.BaseExpression | None, scope: Scope) -> list[Value]:
    if expr is None:
        return []
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return [v for e in expr.elements for v in _values(parts, e.value, scope)]
    if isinstance(expr, cst.Call):  # `Queue("orders")`, `Exchange("events")`
        name = Args(expr.args).get(0, "name")
        return [parts.value(name, scope) or UNKNOWN] if name is not None else [UNKNOWN]
    return [parts.value(expr, scope) or UNKNOWN]


# -- publishes through wrapper functions of this module ---------------------------------------
def through_wrappers(
    builder: Sites, fact: BrokerFact, site: CallSite, depth: int = 0
) -> list[BrokerFact]:
    """`fact`, and one fact at each call site of its enclosing function that binds a
    parameter a destination depends on (recursively, a few levels out)."""
    owner = fact.scope
    if depth >= MAX_WRAPPER_DEPTH or not owner or not _depends_on(fact, owner):
        return [fact]
    func = builder._function(site.scope)
    if func is None:
        return [fact]
    method = len(site.scope) >= 2 and site.scope[:-1] in builder.records.symbols.classes
    fact = dataclasses.replace(fact, params=_param_names(func.node, method))
    callers = builder._callers_of(func)
    if not callers:
        return [fact]
    found = [dataclasses.replace(fact, forwarded=True)]

    def bind(values: tuple[Value, ...], caller: CallSite) -> tuple[Value, ...]:
        at = [(caller.node, caller.scope, caller.point)]
        return tuple(
            builder.values.substitute(v, owner, func.node, at, method=method) for v in values
        )

    for caller in callers:
        if caller.scope == site.scope:
            continue  # a wrapper calling itself passes on what its own callers give it
        derived = finish(
            dataclasses.replace(
                fact,
                span=builder.records.ctx.span(caller.node),
                targets=bind(fact.targets, caller),
                keys=bind(fact.keys, caller),
                scope=".".join(caller.scope),
                at_import=at_import(caller.frame),
                via=fact.via or site.scope[-1],
                forwarded=False,
                params=(),
            )
        )
        found.extend(through_wrappers(builder, derived, caller, depth + 1))
    return found


def _depends_on(fact: BrokerFact, owner: str) -> bool:
    """True when a parameter of function `owner` stands in a destination or routing key."""
    return any(
        part.kind == "param" and part.owner == owner
        for value in (*fact.targets, *fact.keys)
        for part in value.parts()
    )


def _param_names(node: cst.FunctionDef, method: bool) -> tuple[str, ...]:
    """Parameter names a caller binds by position (`self` of a method left out)."""
    params = node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if method and names:
        names = names[1:]
    return tuple(names + [p.name.value for p in params.kwonly_params])
