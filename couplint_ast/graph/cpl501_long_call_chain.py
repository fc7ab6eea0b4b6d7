"""CPL501: a synchronous call chain longer than `max-chain-hops`."""

from __future__ import annotations

from collections.abc import Iterator

from couplint_ast.config import Config
from couplint_ast.graph.model import ServiceGraph
from couplint_ast.graph.rules import WorkspaceRule, along, arrow
from couplint_ast.model import Diagnostic, Invalid, Valid


class LongCallChain(WorkspaceRule):
    """
    ## What it does
    Checks the whole workspace for chains of synchronous calls between services that are
    longer than `max-chain-hops`, and reports the first call of each such chain in the
    calling service. When a call's URL path matches a route of the service it calls, the
    chain continues only from that route's handler, so chains that no request can take
    are not reported.

    ## Why is this bad?
    A request that crosses A -> B -> C -> D is up only when all four services are up; their
    availabilities multiply and their latencies add. Each extra hop also widens the blast
    radius of a slow deploy.

    ## Example
    ```text
    orders -> payments      # orders calls payments synchronously
    payments -> fraud
    fraud -> ledger          # 3 hops: orders -> payments -> fraud -> ledger
    ```

    Use instead:
    ```text
    orders -> payments
    payments publishes PaymentRequested; fraud consumes it and replies by event
    ```
    Replace a hop by an asynchronous message, or let the caller hold a local copy of the
    data it keeps asking for.

    ## Options
    - `max-chain-hops` (default 2): the longest chain that is not reported.
    """

    code = "CPL501"
    message = "synchronous call chain of {hops} hops (max-chain-hops is {limit}): {chain}"
    VALID = [
        Valid("orders -> payments\npayments -> fraud\n"),
        Valid("orders -> payments\nledger -> fraud\nfraud -> audit\n"),
    ]
    INVALID = [
        Invalid(
            "orders -> payments\npayments -> fraud\nfraud -> ledger\n",
            line=1,
            message="synchronous call chain of 3 hops (max-chain-hops is 2):"
            " orders -> payments -> fraud -> ledger",
        ),
    ]

    def check(self, graph: ServiceGraph, config: Config) -> Iterator[Diagnostic]:
        return (found for found, _ in self.involving(graph, config))

    def involving(
        self, graph: ServiceGraph, config: Config
    ) -> Iterator[tuple[Diagnostic, frozenset[str]]]:
        for chain in graph.find_chains(config.max_chain_hops):
            found = self.report(
                chain.first,
                hops=chain.hops,
                limit=config.max_chain_hops,
                chain=arrow(chain.services),
            )
            yield found, along(graph, chain.services)
