"""Message-broker producers and consumers as facts, with their topics and queues."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from couplint_ast.facts.broker_catalog import (
    BROKER_CTOR_OPS,
    BROKER_FACTORY_OPS,
    BROKER_OPS,
    BrokerOp,
)
from couplint_ast.facts.callsites import CallSite, at_import
from couplint_ast.facts.clientparts import Args
from couplint_ast.facts.scopes import Obj, Scope
from couplint_ast.facts.types import BrokerFact

if TYPE_CHECKING:
    from couplint_ast.facts.clientparts import ClientParts


def broker_fact(
    parts: ClientParts, site: CallSite, callee: tuple[Obj, str] | str | None
) -> BrokerFact | None:
    """The BrokerFact of a call site whose callee is a broker operation, else None."""
    obj: Obj | None = None
    if isinstance(callee, str):
        op = BROKER_CTOR_OPS.get(callee)  # `KafkaConsumer("orders")` consumes already
    elif callee is not None:
        obj, method = callee
        op = BROKER_OPS.get(obj.kind, {}).get(method) or BROKER_FACTORY_OPS.get((obj.kind, method))
    else:
        op = None
    if op is None:
        return None
    found = _destinations(parts, op, obj, Args(site.node.args), site.scope)
    return BrokerFact(
        span=parts.records.ctx.span(site.node),
        library=op.library,
        operation=op.operation,
        api=op.label,
        destinations=tuple(d for d in found if d),
        scope=".".join(site.scope),
        at_import=at_import(site.frame),
    )


def _destinations(
    parts: ClientParts, op: BrokerOp, obj: Obj | None, args: Args, scope: Scope
) -> list[str | None]:
    shape = op.shape
    if shape == "nameko_event":
        return [_nameko_event(parts, op, args, scope)]
    if shape == "pika":  # the default exchange "" routes by queue name
        exchange = parts.string(args.get(0, "exchange"), scope)
        if exchange:
            return [exchange]
        return [parts.string(args.get(1, "routing_key"), scope)]
    if shape == "kombu":
        key = parts.string(args.get(-1, "routing_key"), scope)
        return [key] if key else _strings(parts, args.get(-1, "exchange"), scope)
    if shape in ("ctor", "exchange"):
        built = obj.node if obj is not None else None
        if isinstance(built, cst.Call):  # `channel.declare_queue("orders")`
            name = parts.string(Args(built.args).get(0, "name"), obj.scope if obj else scope)
            if name or shape == "ctor":
                return [name]
        return [parts.string(args.get(op.arg, op.keyword), scope)] if shape == "exchange" else []
    if shape == "all":
        return [parts.string(arg, scope) for arg in args.positional]
    expr = args.get(op.arg, op.keyword)
    if shape == "keys":
        if not isinstance(expr, cst.Dict):
            return []
        return [parts.string(e.key, scope) for e in expr.elements if isinstance(e, cst.DictElement)]
    return _strings(parts, expr, scope)


def _nameko_event(parts: ClientParts, op: BrokerOp, args: Args, scope: Scope) -> str | None:
    """`orders.order_created`: a handler names the source service and the event type; a
    dispatcher names the type, and its service is the `name` of the class it sits in."""
    if op.operation == "consume":
        source = parts.string(args.get(0, "source_service"), scope)
        kind = parts.string(args.get(1, "event_type"), scope)
    else:
        kind = parts.string(args.get(op.arg, op.keyword), scope)
        source = parts.string(cst.Name("name"), scope[:1]) if len(scope) >= 2 else None
    return f"{source}.{kind}" if source and kind else None


def _strings(parts: ClientParts, expr: cst.BaseExpression | None, scope: Scope) -> list[str | None]:
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return [s for e in expr.elements for s in _strings(parts, e.value, scope)]
    if isinstance(expr, cst.Call):  # `Queue("orders")`, `Exchange("events")`
        return [parts.string(Args(expr.args).get(0, "name"), scope)]
    return [parts.string(expr, scope)]
