"""Request/reply over a broker: a publish whose caller waits for the answer is a call.

A publish is a request when it asks for a reply (`reply_to` or `correlation_id`, on the
call or on the properties or message it sends) and the function that makes it then waits
for that reply: `await future`, `future.result(...)`, `event.wait(...)`, a loop of
`connection.process_data_events()` / `drain_events()`. A Celery `send_task(...)` whose
result is awaited with `.get()` is one too, and a NATS `request` always is (the library
waits). Anything else is a publish: asynchronous, never a call. The wait decides the
timeout state (`CallFact.timeout`): a loop that runs until the reply arrives has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from couplint_ast.facts.callsites import CallSite, Frame, at_import
from couplint_ast.facts.catalog import TIMEOUT_WRAPPERS
from couplint_ast.facts.clientparts import Args
from couplint_ast.facts.scopes import Ref, Scope
from couplint_ast.facts.types import BrokerFact, CallFact, TimeoutState
from couplint_ast.facts.values import Value

if TYPE_CHECKING:
    from couplint_ast.facts.brokers import Sites as _Builder

REPLY_WORDS = ("reply_to", "correlation_id")
# Calls that wait for a reply, and the keyword that bounds them.
WAITS = {"result": "timeout", "wait": "timeout"}
PUMPS = {"process_data_events": "time_limit", "drain_events": "timeout"}
MAX_DEPTH = 3  # how far into a call's arguments and names the reply words are looked for


def request_call(builder: _Builder, site: CallSite, fact: BrokerFact) -> CallFact | None:
    """The synchronous call a request/reply publish is, or None for a plain publish."""
    if fact.operation == "request":  # `nc.request(subject, data, timeout=...)`
        timeout = _timeout(builder, Args(site.node.args).get(2, "timeout"), site.scope, "default")
    elif fact.operation != "publish":
        return None
    else:
        body = _body(site.frame)
        if body is None:
            return None
        if fact.library == "celery":
            found = _result_wait(builder, body, site)
        elif _asks_reply(builder, site.node, site.scope, 0):
            found = _reply_wait(builder, body, site)
        else:
            found = None
        if found is None:
            return None  # nobody waits for a reply here: a publish, asynchronous
        timeout = found
    guard = builder.guards.of(site.frame)
    if timeout in ("missing", "none") and guard.bounded:
        timeout = "call"  # `async with asyncio.timeout(5)` around it
    target = Value.either(fact.targets) if fact.targets else Value()
    return CallFact(
        span=fact.span,
        client=fact.library,
        api=fact.api,
        method=target.shown() if target.known else "",
        target=target,
        path=None,
        timeout=timeout,
        breaker=guard.breaker,
        retry=guard.retry,
        guards=guard.names,
        imported_guards=guard.imported,
        scope=fact.scope,
        at_import=at_import(site.frame),
    )


def _body(frame: Frame | None) -> cst.FunctionDef | None:
    """The function a call stands in (module-level code waits in no function we read)."""
    while frame is not None:
        if frame.kind == "def" and isinstance(frame.node, cst.FunctionDef):
            return frame.node
        if frame.kind == "lambda":
            return None
        frame = frame.parent
    return None


def _timeout(
    builder: _Builder, expr: cst.BaseExpression | None, scope: Scope, absent: TimeoutState
) -> TimeoutState:
    if expr is None:
        return absent
    return "none" if builder.parts.disabled(expr, scope) else "call"


def _asks_reply(builder: _Builder, node: cst.CSTNode, scope: Scope, depth: int) -> bool:
    """True when `reply_to` or `correlation_id` is given in the call, in the properties or
    message built in it, or in what a name passed to it is bound to."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, cst.Call):
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in REPLY_WORDS:
                return True
            if _asks_reply(builder, arg.value, scope, depth + 1):
                return True
        return False
    if isinstance(node, cst.Name):
        found = builder.records.symbols.lookup(scope, node.value)
        for binding in found[1] if found else []:
            value = binding.node
            if (
                binding.kind == "expr"
                and isinstance(value, cst.Call)
                and _asks_reply(builder, value, binding.scope, depth + 1)
            ):
                return True
    return False


def _after(
    body: cst.FunctionDef, start: cst.CSTNode
) -> Iterator[tuple[cst.CSTNode, cst.While | None]]:
    """The nodes of `body` that follow `start`, in source order, each with the innermost
    `while` loop around it; nested functions, classes and lambdas left out."""
    seen = False
    stack: list[tuple[cst.CSTNode, cst.While | None, bool]] = [(body.body, None, False)]
    while stack:
        node, loop, after = stack.pop()
        if node is start:
            seen = True
            continue
        if after or seen:
            yield node, loop
        inner = node if isinstance(node, cst.While) else loop
        children = [
            c
            for c in node.children
            if not isinstance(c, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
        ]
        stack.extend((c, inner, False) for c in reversed(children))


def _reply_wait(builder: _Builder, body: cst.FunctionDef, site: CallSite) -> TimeoutState | None:
    """How the function waits for the reply after publishing, or None when it does not."""
    for node, loop in _after(body, site.node):
        if isinstance(node, cst.Await):
            awaited = node.expression
            if isinstance(awaited, (cst.Name, cst.Attribute, cst.Subscript)):
                return "missing"  # `await future`: until the reply comes
            if isinstance(awaited, cst.Call) and _wait_for(builder, awaited, site.scope):
                return _timeout(
                    builder, Args(awaited.args).get(1, "timeout"), site.scope, "missing"
                )
            continue
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            continue
        method = node.func.attr.value
        if method in WAITS:
            return _timeout(builder, Args(node.args).get(0, WAITS[method]), site.scope, "missing")
        if method in PUMPS:
            if loop is not None:
                return "missing" if _until_reply(loop.test) else "unknown"
            given = Args(node.args).get(0, PUMPS[method])
            absent: TimeoutState = "missing" if method == "drain_events" else "call"
            return _timeout(builder, given, site.scope, absent)
    return None


def _result_wait(builder: _Builder, body: cst.FunctionDef, site: CallSite) -> TimeoutState | None:
    """`app.send_task(...).get()`, or its result bound to a name and `.get()` later."""
    names: set[str] = set()
    for node in _walk(body.body):
        if isinstance(node, cst.Assign) and node.value is site.node:
            names.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            continue
        receiver, method = node.func.value, node.func.attr.value
        if method not in ("get", "wait"):
            continue
        if receiver is site.node or (isinstance(receiver, cst.Name) and receiver.value in names):
            return _timeout(builder, Args(node.args).get(0, "timeout"), site.scope, "missing")
    return None


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under `node` in source order, outside nested functions and classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = [
            c
            for c in current.children
            if not isinstance(c, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
        ]
        stack.extend(reversed(children))


def _wait_for(builder: _Builder, call: cst.Call, scope: Scope) -> bool:
    value = builder.ev.value(call.func, scope)
    return isinstance(value, Ref) and value.name in TIMEOUT_WRAPPERS


def _until_reply(test: cst.BaseExpression) -> bool:
    """`while self.response is None:` / `while not self.response:`: until the reply."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        none = isinstance(target.comparator, cst.Name) and target.comparator.value == "None"
        return none and isinstance(target.operator, cst.Is) and _plain(test.left)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _plain(test.expression)
    return False


def _plain(node: cst.BaseExpression) -> bool:
    """A name or attribute chain: nothing in it can end the wait but the reply."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)
