"""State shared by the collectors of one traversal: import bindings and lazy positions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from couplint_ast.facts.spans import DeferredSpans
from couplint_ast.facts.types import ClientExport, FactFields
from couplint_ast.model import Span


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class ModuleContext:
    """One file's traversal: the import-alias table and positions computed only when needed.

    The alias table replaces libcst's QualifiedNameProvider, which costs 5-10x a parse
    (../shared/performance.md): a flow-insensitive map from local names to what they import.
    """

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.wrapper = wrapper
        self.bindings: dict[str, str] = {}
        # Enclosing class/function names of the node being visited (kept by the first
        # collector, AssignmentCollector), and every `name = value` seen, keyed by scope.
        self.scope: list[str] = []
        self.assignments: dict[tuple[tuple[str, ...], str], object] = {}
        # False when only this file's own findings are wanted (flake8): no workspace facts.
        self.workspace = True
        self.forwards = True  # calls of other modules' functions (`ForwardFact`)
        # The workspace's answer to "is this name, imported from the project, a client
        # object built in its module?" (`from .http import session`); None in flake8.
        self.clients: Callable[[str], ClientExport | None] | None = None
        # Positions of the import statements in source order, when the parser had them.
        self.import_spans: tuple[tuple[int, int], ...] | None = None
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        self.positions = True  # False: every span is 0:0 (history reads no positions)
        # flake8: spans are placeholders until a finding needs one (`DeferredSpans`).
        self.deferred: DeferredSpans | None = None
        self.path = ""  # the file's path as the facts name it (a Django app's folder)

    def bind(self, local: str, qualified: str) -> None:
        """Record that `local` names the imported `qualified` object."""
        self.bindings[local] = qualified

    def resolve(self, dotted: str) -> str | None:
        """The qualified name behind `rq.get` (`requests.get`), or None if not imported."""
        head, _, rest = dotted.partition(".")
        target = self.bindings.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def span(self, node: cst.CSTNode) -> Span:
        """Where a node starts; positions are computed on first use, once per file."""
        if not self.positions:
            return Span(0, 0)
        if self._positions is None and self.deferred is not None:
            return self.deferred.placeholder(node, self._start)
        start = self.position_map()[node].start
        return Span(start.line, start.column)

    def _start(self, node: object) -> tuple[int, int]:
        assert isinstance(node, cst.CSTNode)
        start = self.position_map()[node].start
        return start.line, start.column

    def position_map(self) -> Mapping[cst.CSTNode, CodeRange]:
        """libcst's positions of every node: a code-generation pass of the file, once."""
        if self._positions is None:
            self._positions = self.wrapper.resolve(PositionProvider)
        return self._positions


class FactCollector(cst.BatchableCSTVisitor):
    """A visitor of the one batched traversal that fills some FileFacts fields."""

    _VISITOR_NAMES: ClassVar[dict[type[FactCollector], tuple[str, ...]]] = {}

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__()
        self.ctx = ctx

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """The visit_/leave_ methods, found once per class.

        libcst finds them with `inspect.getmembers` on every instance, which cost 18% of
        couplint's time in flake8; the names never change per class.
        """
        cls = type(self)
        names = self._VISITOR_NAMES.get(cls)
        if names is None:
            names = self._VISITOR_NAMES[cls] = tuple(
                name
                for name in dir(cls)
                if name.startswith(("visit_", "leave_"))
                and callable(getattr(cls, name))
                and not getattr(getattr(cls, name), "_is_no_op", False)
            )
        return {name: getattr(self, name) for name in names}

    def facts(self) -> FactFields:
        """The fields it fills, once the whole module has been seen."""
        raise NotImplementedError
