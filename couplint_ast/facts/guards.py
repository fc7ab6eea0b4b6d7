"""What guards a call site: circuit breakers, retries, and the names config may add.

A breaker guards a call when an enclosing function is decorated by one (pybreaker,
aiobreaker or circuitbreaker instances, `circuitbreaker.circuit`, a circuitbreaker
subclass instance, purgatory's `@factory("name")`), when the function is handed to
`breaker.call(fn)`/`call_async` or `breaker(fn)`, when a lambda holding the call is, or
inside `with breaker.calling():` or purgatory's `with`/`async with` breaker. Retries
(tenacity, backoff, stamina decorators, retry loops and wrappers) are found the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from couplint_ast.facts.catalog import (
    BREAKER_DECORATORS,
    BREAKER_WRAPPERS,
    RETRY_DECORATORS,
    TIMEOUT_BLOCKS,
)
from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.evaluate import Evaluator
from couplint_ast.facts.scopes import Func, Obj, Ref, Scope, Value

if TYPE_CHECKING:
    from couplint_ast.facts.callsites import CallSite, Frame

_BREAKERS = frozenset({"breaker", "breaker.context"})


@dataclass(frozen=True)
class Guard:
    """Whether a breaker or a retry is around a call, and the names of what is."""

    breaker: bool = False
    retry: bool = False
    names: tuple[str, ...] = ()
    bounded: bool = False  # inside `with eventlet.Timeout(5)`, `asyncio.timeout(5)` alike
    imported: tuple[str, ...] = ()  # decorators imported, by import name (`.breakers.b`)

    def __or__(self, other: Guard) -> Guard:
        names = self.names + tuple(n for n in other.names if n not in self.names)
        imported = self.imported + tuple(n for n in other.imported if n not in self.imported)
        return Guard(
            self.breaker or other.breaker,
            self.retry or other.retry,
            names,
            self.bounded or other.bounded,
            imported,
        )


NONE = Guard()


class Guards:
    """Answers `of(site)` for the call sites of one module; caches per function."""

    def __init__(self, evaluator: Evaluator, sites: Sequence[CallSite]) -> None:
        self.ev = evaluator
        self._sites = sites
        self._defs: dict[int, Guard] = {}
        self._wrapped: dict[int, Guard] | None = None

    def of(self, frame: Frame | None) -> Guard:
        """Everything that guards a call whose innermost block is `frame`."""
        guard = NONE
        same_function = True
        while frame is not None:
            kind, node, scope = frame.kind, frame.node, frame.scope
            if kind == "def" and isinstance(node, cst.FunctionDef):
                guard = guard | self._function(node, scope)
                same_function = False
            elif kind == "lambda":
                if isinstance(node, cst.Call):
                    guard = guard | self.wrapper(node, scope)
                same_function = False
            elif same_function and isinstance(node, cst.With):
                for item in node.items:
                    guard = guard | self._with(item.item, scope)
            elif same_function and isinstance(node, cst.For):
                value = self.ev.value(node.iter, scope)  # `for attempt in Retrying(...)`
                if isinstance(value, Obj) and value.kind == "retry":
                    guard = guard | Guard(retry=True)
            frame = frame.parent
        return guard

    def wrapper(self, call: cst.Call, scope: Scope) -> Guard:
        """What running a function through `call` adds: `breaker.call(fn)`, `retryer(fn)`."""
        func = call.func
        names = _names(func, self.ev.value(func, scope))
        breaker = retry = False
        if isinstance(func, cst.Attribute) and func.attr.value in BREAKER_WRAPPERS:
            base = self.ev.value(func.value, scope)
            breaker = isinstance(base, Obj) and base.kind == "breaker"
            retry = isinstance(base, Obj) and base.kind == "retry"
        value = self.ev.value(func, scope)
        if isinstance(value, Obj):  # `breaker(fn)`, `Retrying(...)(fn)`
            breaker = breaker or value.kind == "breaker"
            retry = retry or value.kind == "retry"
        return Guard(breaker, retry, names)

    def _function(self, node: cst.FunctionDef, scope: Scope) -> Guard:
        cached = self._defs.get(id(node))
        if cached is not None:
            return cached
        guard = NONE
        for decorator in node.decorators:
            guard = guard | self._decorator(decorator.decorator, scope[:-1])
        guard = guard | self._wrapped_defs().get(id(node), NONE)
        self._defs[id(node)] = guard
        return guard

    def _decorator(self, expr: cst.BaseExpression, scope: Scope) -> Guard:
        callee = expr.func if isinstance(expr, cst.Call) else expr
        value = self.ev.value(callee, scope)
        whole = self.ev.value(expr, scope) if isinstance(expr, cst.Call) else value
        breaker = retry = False
        for found in (value, whole):
            if isinstance(found, Ref):
                breaker = breaker or found.name in BREAKER_DECORATORS
                retry = retry or found.name in RETRY_DECORATORS
            elif isinstance(found, Obj):
                breaker = breaker or found.kind == "breaker"
                # purgatory: `@circuitbreaker("name")` on the factory
                breaker = breaker or (
                    found.kind == "breaker.factory" and found is value and expr is not callee
                )
                retry = retry or found.kind == "retry"
        names = _names(callee, value)
        if expr is not callee:
            names += tuple(n for n in _names(expr, whole) if n not in names)
        imported = () if breaker or retry else self._imported(callee, scope)
        return Guard(breaker, retry, names, imported=imported)

    def _imported(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, ...]:
        """The import name of a decorator imported from elsewhere (`.breakers.b` for
        `from .breakers import b`, `app.breakers.b`): the couplings stage tells the
        project's own code, which the workspace index reads, from libraries."""
        dotted = dotted_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if dotted is None:
            return ()
        head, _, rest = dotted.partition(".")
        found = self.ev.symbols.lookup(scope, head)
        bindings = found[1] if found is not None else []
        if len(bindings) != 1 or bindings[0].kind not in ("local", "import"):
            return ()
        return (f"{bindings[0].name}.{rest}" if rest else bindings[0].name,)

    def _with(self, expr: cst.BaseExpression, scope: Scope) -> Guard:
        if isinstance(expr, cst.Await):
            expr = expr.expression
        value = self.ev.value(expr, scope)
        callee = expr.func if isinstance(expr, cst.Call) else expr
        if isinstance(value, Obj) and value.kind not in _BREAKERS:
            return NONE  # `with httpx.Client() as client`: a client, not a guard
        breaker = isinstance(value, Obj)
        kind = self.ev.value(callee, scope)
        bounded = isinstance(kind, Ref) and kind.name in TIMEOUT_BLOCKS
        return Guard(breaker, False, _names(callee, kind), bounded)

    def _wrapped_defs(self) -> dict[int, Guard]:
        # Functions of this module handed to a wrapper: `breaker.call(fetch, 1)`.
        if self._wrapped is None:
            self._wrapped = {}
            for site in self._sites:
                call, scope = site.node, site.scope
                for arg in call.args[:2]:
                    if arg.keyword is not None or arg.star:
                        break
                    if not isinstance(arg.value, (cst.Name, cst.Attribute)):
                        continue
                    func = self.ev.value(arg.value, scope)
                    if isinstance(func, Func):
                        key = id(func.node)
                        self._wrapped[key] = self._wrapped.get(key, NONE) | self.wrapper(
                            call, scope
                        )
        return self._wrapped


def _names(node: cst.BaseExpression, value: Value | None) -> tuple[str, ...]:
    names = []
    text = dotted_name(node)
    if text:
        names.append(text)
    if isinstance(value, Ref) and value.name not in names:
        names.append(value.name)
    if isinstance(value, Obj) and value.origin and value.origin not in names:
        names.append(value.origin)
    return tuple(names)
