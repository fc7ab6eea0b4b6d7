"""What the call collector records in the one traversal, for the resolvers to read after it.

The collector (`facts.calls`) fills a `CallRecords`; the resolvers (`facts.callfacts`,
`facts.clientparts`, `facts.brokers`, `facts.flow`) take the records, never the collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from couplint_ast.facts.context import ModuleContext
from couplint_ast.facts.scopes import Point, Scope, Symbols


class Frame:
    """A block around a call site: a def body, a lambda body, a `with` or `for` body."""

    __slots__ = ("kind", "node", "parent", "scope")

    def __init__(self, parent: Frame | None, kind: str, node: cst.CSTNode | None, scope: Scope):
        self.parent = parent
        self.kind = kind  # "def", "lambda" (node: the call the lambda is an argument of)
        self.node = node  # "with", "for", "while", "forever" (a `while True:` body)
        self.scope = scope


class CallSite:
    """One call expression, where it is, the blocks around it, and the call it is inside."""

    __slots__ = ("frame", "node", "outer", "point", "scope")

    def __init__(
        self,
        node: cst.Call,
        scope: Scope,
        frame: Frame | None,
        outer: cst.Call | None,
        point: Point | None = None,
    ) -> None:
        self.node = node
        self.scope = scope
        self.frame = frame
        self.outer = outer  # `asyncio.wait_for(session.get(url), 5)`
        self.point = point


@dataclass
class CallRecords:
    """Everything the traversal saw that calls, brokers and URL literals are built from."""

    ctx: ModuleContext
    symbols: Symbols = field(default_factory=Symbols)
    sites: list[CallSite] = field(default_factory=list)
    # `x.attr = value` on something that is not `self`: a client customised after creation.
    attr_sets: list[tuple[cst.BaseExpression, str, cst.BaseExpression, Scope]] = field(
        default_factory=list
    )
    literals: list[tuple[cst.BaseExpression, Scope]] = field(default_factory=list)
    env_defaults: set[int] = field(default_factory=set)  # `os.getenv("URL", "http://...")`
    relevant: bool = False  # a package of the catalog is imported somewhere
    stars: list[str] = field(default_factory=list)  # `from .environment import *`: ".environment"


def at_import(frame: Frame | None) -> bool:
    """True when a call in `frame` runs on import: not inside any def or lambda body, nor in
    a `while True:` loop (a worker's steady state, which never ends to let start-up end)."""
    while frame is not None:
        if frame.kind in ("def", "lambda", "forever"):
            return False
        frame = frame.parent
    return True


def is_forever(node: cst.While) -> bool:
    """`while True:` (or `while 1:`) with no `break` of its own: a loop that never ends.
    One that breaks (`while True: if admin_is_up(): break`) waits, and then start-up goes on.
    """
    test = node.test
    endless = (isinstance(test, cst.Name) and test.value == "True") or (
        isinstance(test, cst.Integer) and test.value not in ("0", "0x0")
    )
    return endless and not _breaks(node.body)


def _breaks(node: cst.CSTNode, nested: bool = False) -> bool:
    """True when `node` holds a `return`, or a `break` of the loop around it (not of a
    loop nested in it), outside nested functions and classes."""
    for child in node.children:
        if isinstance(child, cst.Return) or (isinstance(child, cst.Break) and not nested):
            return True
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if _breaks(child, nested or isinstance(child, (cst.For, cst.While))):
            return True
    return False
