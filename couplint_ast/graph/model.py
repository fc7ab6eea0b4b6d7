"""ServiceGraph: services and what they depend on, each edge with its evidence.

Nodes are `kind:name` ids: `service:orders`, `database:orders` (the database a service
owns), `library:acme_domain`, `topic:order-events`, `external:api.stripe.com` (a third
party), `unknown:unresolved target` (calls couplint cannot resolve). Edges go from a
service to a node and carry every place in the code that creates them.

Synchronous calls are also kept per call site (`CallSite`), with the handler they reach
when the call's URL path matches a route of the target, so chain queries can follow a
request through the endpoint it hits instead of through the whole service.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

NODE_KINDS = ("service", "database", "library", "topic", "external", "unknown")
MAX_SHOWN_HOPS = 8  # a witness chain is extended up to this many calls, no further


@dataclass(frozen=True, order=True)
class Evidence:
    """One place in the code behind an edge."""

    path: str
    line: int
    col: int
    detail: str
    timeout: bool | None = None
    breaker: bool | None = None
    retry: bool | None = None
    startup: bool = False


@dataclass
class Edge:
    """A dependency of `source` (a service) on `target` (a node id), of one `kind`."""

    source: str
    target: str
    kind: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class CallSite:
    """A synchronous call from `caller` (in function `scope`) to `callee`.

    `handler` is the callee's function serving the called path, as `path::function`,
    "" when unknown.
    """

    caller: str
    callee: str
    scope: str
    handler: str
    evidence: Evidence

    @property
    def where(self) -> str:
        """`path::function` of the calling code, as handlers are keyed."""
        return f"{self.evidence.path}::{self.scope}"


@dataclass(frozen=True)
class Chain:
    """A chain of synchronous calls; `calls[0]` is where it starts."""

    services: tuple[str, ...]
    first: CallSite

    @property
    def hops(self) -> int:
        """How many calls the chain makes."""
        return len(self.services) - 1


@dataclass(frozen=True)
class Cycle:
    """A cycle of synchronous calls through `site` (services[0] == services[-1])."""

    services: tuple[str, ...]
    site: CallSite


def node_id(kind: str, name: str) -> str:
    """`service:orders`-style id."""
    return f"{kind}:{name}"


def split_id(node: str) -> tuple[str, str]:
    """(kind, name) of a node id."""
    kind, _, name = node.partition(":")
    return kind, name


class ServiceGraph:
    """The workspace's dependency graph, built with `add_*` and read with `find_*`."""

    # Budget of DFS steps per chain start: bounds the worst case of dense graphs.
    CHAIN_SEARCH_BUDGET = 5_000

    def __init__(self) -> None:
        self.nodes: dict[str, str] = {}  # id -> kind
        self.edges: dict[tuple[str, str, str], Edge] = {}
        self.calls: list[CallSite] = []
        self.handlers: dict[str, set[str]] = {}  # service -> its route handlers (path::function)
        self.skipped: list[str] = []  # files that could not be read or parsed

    def add_service(self, name: str) -> str:
        """Add a service node; its id."""
        return self.add_node("service", name)

    def add_node(self, kind: str, name: str) -> str:
        """Add a node of `kind`; its id."""
        ident = node_id(kind, name)
        self.nodes.setdefault(ident, kind)
        return ident

    def add_edge(self, source: str, target: str, kind: str, evidence: Evidence) -> Edge:
        """Add evidence to the edge `source -kind-> target` (both node ids)."""
        edge = self.edges.get((source, target, kind))
        if edge is None:
            edge = self.edges[(source, target, kind)] = Edge(source, target, kind)
        edge.evidence.append(evidence)
        return edge

    def add_call(self, site: CallSite) -> None:
        """Add a synchronous call between two services (also as a `call` edge)."""
        self.calls.append(site)
        caller, callee = self.add_service(site.caller), self.add_service(site.callee)
        self.add_edge(caller, callee, "call", site.evidence)

    def services(self) -> list[str]:
        """Service names, sorted."""
        return sorted(split_id(n)[1] for n, kind in self.nodes.items() if kind == "service")

    def edges_from(self, service: str) -> list[Edge]:
        """The edges leaving a service, sorted by target and kind."""
        source = node_id("service", service)
        return sorted(
            (e for e in self.edges.values() if e.source == source),
            key=lambda e: (e.target, e.kind),
        )

    def find_cycles(self) -> list[Cycle]:
        """For each call on a cycle, the shortest cycle through it.

        A call u -> v lies on a cycle exactly when u and v share a strongly connected
        component; the shortest path v ~> u closes it. One BFS per callee: no
        enumeration of all cycles, which can be exponential.
        """
        adjacency = self._service_adjacency()
        component = _components(adjacency)
        shortest: dict[str, dict[str, str | None]] = {}
        found = []
        for site in sorted(self.calls):
            u, v = site.caller, site.callee
            if component.get(u) != component.get(v):
                continue
            if v not in shortest:
                shortest[v] = _bfs_parents(adjacency, v)
            path = _unwind(shortest[v], u)
            found.append(Cycle((u, *path, u) if path else (u, u), site))
        return found

    def find_chains(self, max_hops: int) -> list[Chain]:
        """Each call that starts a chain of more than `max_hops` calls, with one witness.

        Chains are simple (no service twice; cycles are `find_cycles`' business) and
        follow the endpoint a call reaches when its path matched a route. The search is
        pruned by the longest walk from each state and bounded per start.
        """
        successors = self._successors()
        reach = _walk_lengths(successors, max_hops)
        chains = []
        for site in sorted(self.calls):
            start = (site.callee, site.handler)
            if reach.get(start, 0) < max_hops:
                continue
            budget = self.CHAIN_SEARCH_BUDGET
            path = _simple_path(successors, reach, start, site.caller, max_hops, budget)
            if path is not None:
                chains.append(Chain((site.caller, *path), site))
        return chains

    def _service_adjacency(self) -> dict[str, set[str]]:
        adjacency: dict[str, set[str]] = {}
        for site in self.calls:
            adjacency.setdefault(site.caller, set()).add(site.callee)
            adjacency.setdefault(site.callee, set())
        return adjacency

    def _successors(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Chain states (service, handler) and where a request there can call next.

        From a known handler a request goes on through calls made in that handler, or in
        any function of the service that is not itself a route handler (helpers it may
        call); calls made directly in other handlers are pruned. Unknown: every call.
        """
        by_caller: dict[str, list[CallSite]] = {}
        for site in self.calls:
            by_caller.setdefault(site.caller, []).append(site)
        states = {(s.callee, s.handler) for s in self.calls}
        states |= {(s.caller, "") for s in self.calls}
        successors: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for service, handler in states:
            endpoints = self.handlers.get(service, set())
            onward = {
                (s.callee, s.handler)
                for s in by_caller.get(service, [])
                if not handler
                or _within(s.where, handler)
                or not any(_within(s.where, h) for h in endpoints)
            }
            successors[(service, handler)] = sorted(onward)
        return successors


def _within(function: str, handler: str) -> bool:
    return function == handler or function.startswith(handler + ".")


def _walk_lengths(
    successors: dict[tuple[str, str], list[tuple[str, str]]], cap: int
) -> dict[tuple[str, str], int]:
    """Longest walk (capped at `cap`) from each state; an upper bound on simple paths."""
    length = dict.fromkeys(successors, 0)
    for _ in range(cap):
        length = {
            state: min(cap, max((length[n] + 1 for n in onward), default=0))
            for state, onward in successors.items()
        }
    return length


def _simple_path(
    successors: dict[tuple[str, str], list[tuple[str, str]]],
    reach: dict[tuple[str, str], int],
    start: tuple[str, str],
    caller: str,
    need: int,
    budget: int,
) -> tuple[str, ...] | None:
    """Services of a simple path from `start` making at least `need` more calls.

    Depth-first in sorted order, pruned by walk lengths; once the minimum is met the
    witness is extended greedily so the message shows a longer chain where there is one.
    """
    steps = 0
    stack: list[tuple[tuple[str, str], Iterator[tuple[str, str]]]] = [
        (start, iter(successors.get(start, ())))
    ]
    seen = {caller, start[0]}
    while stack:
        state, onward = stack[-1]
        if len(stack) - 1 >= need:
            return _extend(successors, [s for s, _ in stack], seen)
        steps += 1
        if steps > budget:
            return None
        nxt = next(onward, None)
        if nxt is None:
            stack.pop()
            seen.discard(state[0])
            continue
        if nxt[0] in seen or reach.get(nxt, 0) < need - len(stack):
            continue
        seen.add(nxt[0])
        stack.append((nxt, iter(successors.get(nxt, ()))))
    return None


def _extend(
    successors: dict[tuple[str, str], list[tuple[str, str]]],
    path: list[tuple[str, str]],
    seen: set[str],
) -> tuple[str, ...]:
    visited = set(seen)
    while len(path) < MAX_SHOWN_HOPS:
        onward = [n for n in successors.get(path[-1], ()) if n[0] not in visited]
        if not onward:
            return tuple(state[0] for state in path)
        path.append(onward[0])
        visited.add(onward[0][0])
    return tuple(state[0] for state in path)


def _components(adjacency: dict[str, set[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan, iterative: a 50-service cycle is no risk)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    for root in sorted(adjacency):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(adjacency[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adjacency[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
    return component


def _bfs_parents(adjacency: dict[str, set[str]], start: str) -> dict[str, str | None]:
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(adjacency.get(node, ())):
            if child not in parents:
                parents[child] = node
                queue.append(child)
    return parents


def _unwind(parents: dict[str, str | None], end: str) -> tuple[str, ...]:
    """The BFS path start ... to the node before `end` (end itself excluded)."""
    path: list[str] = []
    node = parents.get(end)
    while node is not None:
        path.append(node)
        node = parents.get(node)
    return tuple(reversed(path))


def iter_evidence(edges: Iterable[Edge]) -> Iterator[tuple[Edge, Evidence]]:
    """Every (edge, evidence) pair, in order."""
    for edge in edges:
        for evidence in edge.evidence:
            yield edge, evidence
