"""The dependency audit: for each service and each dependency, three questions from evidence.

1. Can the service deploy without it?
2. Can the service run while it is down?
3. Does its contract control when the service can deploy?

Each answer is "yes", "no" or "partly", with the evidence that decided it; "unknown" for
calls whose target couplint cannot resolve (listed, never dropped).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from couplint_ast.config import Config
from couplint_ast.graph.model import Edge, Evidence, ServiceGraph, split_id
from couplint_ast.graph.rules import arrow

KIND_ORDER = {"service": 0, "database": 1, "library": 2, "topic": 3, "external": 4, "unknown": 5}
# Edge kinds into a database, strongest coupling first.
DATABASE_KINDS = ("writes", "reads", "maps", "connects", "migrates")


@dataclass(frozen=True)
class Answer:
    """yes / no / partly / unknown, and why."""

    verdict: str
    why: str

    def text(self) -> str:
        """`no: reads table 'orders' (3 places)`."""
        return f"{self.verdict}: {self.why}"


@dataclass(frozen=True)
class Dependency:
    """One external dependency of a service, its answers, and all its evidence."""

    kind: str
    name: str
    deploy_without: Answer
    run_while_down: Answer
    contract_controls: Answer
    evidence: tuple[tuple[str, Evidence], ...]

    @property
    def label(self) -> str:
        """`service 'orders'`, `database of 'orders'`, `library 'acme_domain'`."""
        if self.kind == "database":
            return f"database of '{self.name}'"
        if self.kind == "unknown":
            return "unknown targets"
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class ServiceAudit:
    """Everything one service depends on, with its chains and cycles."""

    service: str
    dependencies: tuple[Dependency, ...]
    chains: tuple[str, ...]
    cycles: tuple[str, ...]


def audit(graph: ServiceGraph, config: Config) -> list[ServiceAudit]:
    """The audit of every service in the graph, in name order."""
    chains = graph.find_chains(config.max_chain_hops)
    cycles = graph.find_cycles()
    result = []
    for service in graph.services():
        by_target: dict[str, list[Edge]] = {}
        for edge in graph.edges_from(service):
            by_target.setdefault(edge.target, []).append(edge)
        deps = [_dependency(target, edges) for target, edges in by_target.items()]
        deps.sort(key=lambda d: (KIND_ORDER.get(d.kind, 9), d.name))
        own_chains = sorted(
            {f"{arrow(c.services)} ({c.hops} hops)" for c in chains if c.first.caller == service}
        )
        own_cycles = sorted(
            {arrow(_rotate(c.services, service)) for c in cycles if service in c.services}
        )
        result.append(ServiceAudit(service, tuple(deps), tuple(own_chains), tuple(own_cycles)))
    return result


def _rotate(cycle: tuple[str, ...], start: str) -> tuple[str, ...]:
    ring = list(cycle[:-1])
    at = ring.index(start)
    ring = ring[at:] + ring[:at]
    return (*ring, ring[0])


def _dependency(target: str, edges: list[Edge]) -> Dependency:
    kind, name = split_id(target)
    by_kind: dict[str, list[Evidence]] = {}
    for edge in edges:
        by_kind.setdefault(edge.kind, []).extend(sorted(edge.evidence))
    answer = {
        "service": _service,
        "database": _database,
        "library": _library,
        "topic": _topic,
        "external": _service,  # a third party: called like a service, owned by nobody here
        "unknown": _unknown,
    }
    deploy, run, contract = answer[kind](name, by_kind)
    evidence = tuple((k, e) for k in sorted(by_kind) for e in by_kind[k])
    return Dependency(kind, name, deploy, run, contract, evidence)


def _places(items: Iterable[Evidence]) -> str:
    count = len(list(items))
    return f"{count} place" if count == 1 else f"{count} places"


def _at(evidence: Evidence) -> str:
    return f"{evidence.path}:{evidence.line}"


def _listed(items: Iterable[str], limit: int = 3) -> str:
    """`a, b, c and 2 more`: distinct items, sorted."""
    names = sorted(set(items))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _quoted(evidence: Iterable[Evidence]) -> str:
    """The quoted names in the evidence's details: `'orders', 'stock'`."""
    names = (e.detail.split("'")[1] for e in evidence if e.detail.count("'") >= 2)
    return _listed(f"'{name}'" for name in names)


def _service(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    calls, code = by_kind.get("call", []), by_kind.get("imports", [])
    if not calls and not code:
        return _messages(name, by_kind)
    at_start = [e for e in calls if e.startup]
    if at_start:
        deploy = Answer("no", f"called at start-up in {_at(at_start[0])}")
    elif code:
        deploy = Answer("no", f"imports its code {_quoted(code)} ({_places(code)})")
    else:
        deploy = Answer("yes", f"called only at run time ({_places(calls)})")
    if at_start:
        run = Answer("no", f"called at start-up in {_at(at_start[0])}")
    elif calls:
        timed = sum(1 for e in calls if e.timeout)
        guarded = sum(1 for e in calls if e.breaker)
        n = len(calls)
        plural = "s" if n != 1 else ""
        counts = f"{n} call{plural}, {timed} with timeout, {guarded} behind a circuit breaker"
        if timed == guarded == n:
            run = Answer("yes", counts)
        elif timed == guarded == 0:
            run = Answer("no", counts)
        else:
            run = Answer("partly", counts)
    else:
        run = Answer("yes", "no calls at run time; its imported code is bundled")
    if code:
        contract = Answer("yes", f"imports its code {_quoted(code)} ({_places(code)})")
    else:
        contract = Answer(
            "partly", f"its API: {_listed(e.detail.split(' via ')[0] for e in calls)}"
        )
    return deploy, run, contract


def _messages(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    """A service reached only through the broker destinations it owns (`topics`/`queues`)."""
    said = _roles(by_kind)
    deploy = Answer("yes", f"asynchronous: {said} what it owns")
    if by_kind.get("publishes"):
        run = Answer("partly", "the broker must be up; the owner need not be")
    else:
        run = Answer("yes", "nothing arrives while the owner is down, nothing fails")
    contract = Answer("partly", f"the message format of {_quoted(_broker(by_kind))}")
    return deploy, run, contract


def _broker(by_kind: dict[str, list[Evidence]]) -> list[Evidence]:
    return [*by_kind.get("publishes", []), *by_kind.get("consumes", [])]


def _roles(by_kind: dict[str, list[Evidence]]) -> str:
    """`publishes (2 places) and consumes (1 place)`."""
    published, consumed = by_kind.get("publishes", []), by_kind.get("consumes", [])
    roles = []
    if published:
        roles.append(f"publishes ({_places(published)})")
    if consumed:
        roles.append(f"consumes ({_places(consumed)})")
    return " and ".join(roles)


def _database(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    migrations = by_kind.get("migrates", [])
    every = [e for k in DATABASE_KINDS for e in by_kind.get(k, [])]
    if migrations:
        deploy = Answer("no", f"migrates its tables {_quoted(migrations)} in {_at(migrations[0])}")
    else:
        deploy = Answer("yes", f"uses its tables only at run time ({_places(every)})")
    strongest = next(k for k in DATABASE_KINDS if k in by_kind)  # the first is the strongest
    found = by_kind[strongest]
    if strongest == "connects":
        run = Answer("no", f"connects to it through {_quoted(found)} ({_places(found)})")
    else:
        run = Answer("no", f"{strongest} tables {_quoted(found)} ({_places(found)})")
    tables = [e for k in ("writes", "reads", "maps", "migrates") for e in by_kind.get(k, [])]
    what = f"the schema of {_quoted(tables)}" if tables else f"its connection {_quoted(every)}"
    contract = Answer("yes", f"{what} ({_places(every)})")
    return deploy, run, contract


def _library(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    found = by_kind.get("library", [])
    deploy = Answer("no", f"imports {_quoted(found)} ({_places(found)})")
    run = Answer("yes", "a library runs in-process: there is nothing to be down")
    contract = Answer("yes", f"each release of '{name}' must be adopted ({_places(found)})")
    return deploy, run, contract


def _topic(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    said = _roles(by_kind)
    deploy = Answer("yes", f"asynchronous: {said}")
    if by_kind.get("publishes"):
        run = Answer("partly", "the broker must be up; the consumers need not be")
    else:
        run = Answer("yes", "nothing arrives while the producers are down, nothing fails")
    contract = Answer("partly", f"the message format of '{name}'")
    return deploy, run, contract


def _unknown(name: str, by_kind: dict[str, list[Evidence]]) -> tuple[Answer, Answer, Answer]:
    calls = by_kind.get("call", [])
    reasons = []
    if calls:
        missing = _listed(_missing(e) for e in calls)
        count = f"{len(calls)} call" + ("s" if len(calls) != 1 else "")
        reasons.append(f"{count} to a target couplint cannot resolve ({missing}); see CPL305")
    messages = _broker(by_kind)
    if messages:  # publishes and consumes whose destination has no name here
        missing = _listed(_missing(e) for e in messages)
        count = f"{len(messages)} message destination" + ("s" if len(messages) != 1 else "")
        reasons.append(f"{count} couplint cannot name ({missing})")
    why = "; ".join(reasons)
    at_start = [e for e in calls if e.startup]
    deploy = Answer("no", f"called at start-up in {_at(at_start[0])}") if at_start else None
    return deploy or Answer("unknown", why), Answer("unknown", why), Answer("unknown", why)


def _missing(evidence: Evidence) -> str:
    """What the evidence of an unknown target says is missing: its last parenthesis."""
    return evidence.detail.rsplit(" (", 1)[-1].rstrip(")")
