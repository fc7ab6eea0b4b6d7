"""CPL502: a cycle of synchronous calls between services."""

from __future__ import annotations

from collections.abc import Iterator

from couplint_ast.config import Config
from couplint_ast.graph.model import ServiceGraph
from couplint_ast.graph.rules import WorkspaceRule, along, arrow
from couplint_ast.model import Diagnostic, Invalid, Valid


class SynchronousCallCycle(WorkspaceRule):
    """
    ## What it does
    Checks the whole workspace for cycles of synchronous calls between services and
    reports every call on a cycle, with the shortest cycle through it.

    ## Why is this bad?
    Services that call each other cannot be deployed, started or degraded independently:
    neither can come up while the other is down, a slow one stalls both, and retries can
    bounce around the cycle. Two services in a cycle are one service deployed twice.

    ## Example
    ```text
    orders -> inventory     # orders reserves stock
    inventory -> orders     # inventory asks orders for the order's lines
    ```

    Use instead:
    ```text
    orders -> inventory     # the request carries the order lines inventory needs
    ```
    Pass the data along with the request, or turn the back edge into an event that the
    other service consumes.

    ## Options
    None.
    """

    code = "CPL502"
    message = "synchronous call cycle: {cycle}"
    VALID = [Valid("orders -> inventory\ninventory -> warehouse\n")]
    INVALID = [  # a cycle reports each of its calls
        Invalid(
            "orders -> inventory\ninventory -> orders\n",
            line=1,
            message="synchronous call cycle: orders -> inventory -> orders",
        ),
        Invalid(
            "orders -> inventory\ninventory -> orders\n",
            line=2,
            message="synchronous call cycle: inventory -> orders -> inventory",
        ),
    ]

    def check(self, graph: ServiceGraph, config: Config) -> Iterator[Diagnostic]:
        return (found for found, _ in self.involving(graph, config))

    def involving(
        self, graph: ServiceGraph, config: Config
    ) -> Iterator[tuple[Diagnostic, frozenset[str]]]:
        for cycle in graph.find_cycles():
            found = self.report(cycle.site, cycle=arrow(cycle.services))
            yield found, along(graph, cycle.services)
