"""Spans that cost nothing until a finding needs one (flake8); no libcst here."""

from __future__ import annotations

from collections.abc import Callable

from couplint_ast.model import Span


class DeferredSpans:
    """Placeholder spans of one file, turned into positions only for its findings.

    A file's positions cost a code-generation pass of it, about half as much as its
    parse, and most files that reach libcst have no finding. Until a finding needs one,
    each node's span is a placeholder, `Span(0, -n)`: one per node, so facts compare and
    deduplicate as they would by position. Once positions are computed (start-up regions
    need them), `facts.context.ModuleContext.span` gives real spans from there on.
    """

    def __init__(self) -> None:
        self._spans: dict[object, Span] = {}
        self._nodes: list[object] = []
        self._start: Callable[[object], tuple[int, int]] | None = None

    @property
    def used(self) -> bool:
        """True when some span of the file is a placeholder."""
        return bool(self._nodes)

    def placeholder(self, node: object, start: Callable[[object], tuple[int, int]]) -> Span:
        """The stand-in span of `node`, the same at each call; `start` finds its position."""
        span = self._spans.get(node)
        if span is None:
            self._start = start
            self._nodes.append(node)
            span = self._spans[node] = Span(0, -len(self._nodes))
        return span

    def real(self, line: int, col: int) -> tuple[int, int]:
        """The (line, col) a placeholder stands for; any other pair unchanged."""
        if line != 0 or col >= 0 or self._start is None or -col > len(self._nodes):
            return line, col
        return self._start(self._nodes[-col - 1])
