"""build_graph(): the facts of every file of every service -> one ServiceGraph.

Every edge is decided by the same helpers the per-file rules use, so the graph, the
audit and `couplint check` never disagree about what couples to what.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.facts.markers import HOLE, display
from couplint_ast.facts.types import CallFact, RouteFact, StartupFact
from couplint_ast.graph.model import CallSite, Evidence, ServiceGraph, node_id
from couplint_ast.rules.calls import SERVICE, call_target, is_guarded
from couplint_ast.rules.cpl401_startup_call import startup_context
from couplint_ast.rules.cpl403_foreign_table_migration import touched_tables
from couplint_ast.rules.imports import coupled_imports
from couplint_ast.rules.tables import foreign_database_owner, foreign_table_owner

# Timeout states of CallFact that bound the call.
_BOUNDED = frozenset({"call", "client", "default"})
_PARAM = re.compile(r"^(?:\{[^}]*\}|<[^>]*>)$")


def build_graph(files: Iterable[tuple[str, FileFacts]], config: Config) -> ServiceGraph:
    """The graph of `(service, facts)` pairs; every configured service is a node."""
    graph = ServiceGraph()
    for svc in config.services:
        graph.add_service(svc.name)
    files = list(files)
    routes: dict[str, list[tuple[str, RouteFact]]] = {}
    for service, facts in files:
        graph.add_service(service)
        routes.setdefault(service, []).extend((facts.path, route) for route in facts.routes)
        graph.handlers.setdefault(service, set()).update(
            f"{facts.path}::{route.function}" for route in facts.routes
        )
    for service, facts in files:
        _add_file(graph, config, service, facts, routes)
    return graph


def _add_file(
    graph: ServiceGraph,
    config: Config,
    service: str,
    facts: FileFacts,
    routes: dict[str, list[tuple[str, RouteFact]]],
) -> None:
    me = node_id("service", service)

    def evidence(line: int, col: int, detail: str) -> Evidence:
        return Evidence(facts.path, line, col, detail)

    for fact, package in coupled_imports(facts, config, service):
        if package.service is not None:
            target, label = graph.add_node("service", package.service), "imports"
        else:
            target, label = graph.add_node("library", package.package), "library"
        detail = f"imports '{fact.module}'"
        graph.add_edge(me, target, label, evidence(fact.span.line, fact.span.col, detail))

    def table_edge(line: int, col: int, table: str, kind: str, detail: str) -> None:
        owner = foreign_table_owner(config, table, service)
        if owner is not None:
            target = graph.add_node("database", owner)
            graph.add_edge(me, target, kind, evidence(line, col, detail))

    for sql in facts.sql:
        for table in sql.reads:
            table_edge(sql.span.line, sql.span.col, table, "reads", f"reads table '{table}'")
        for table in sql.writes:
            table_edge(sql.span.line, sql.span.col, table, "writes", f"writes table '{table}'")
    for mapping in facts.table_mappings:
        detail = f"maps table '{mapping.table}'"
        table_edge(mapping.span.line, mapping.span.col, mapping.table, "maps", detail)
    for span, table, verb in touched_tables(facts):
        table_edge(span.line, span.col, table, "migrates", f"migration {verb} table '{table}'")
    for ref in facts.database_refs:
        db_owner = foreign_database_owner(config, ref.name, service)
        if db_owner is not None:
            target = graph.add_node("database", db_owner)
            detail = f"connects through '{ref.name}'"
            graph.add_edge(me, target, "connects", evidence(ref.span.line, ref.span.col, detail))
    for broker in facts.brokers:
        for destination in broker.destinations:
            if HOLE in destination or not destination.isprintable():
                continue
            target = graph.add_node("topic", destination)
            kind = "publishes" if broker.operation == "publish" else "consumes"
            detail = f"{kind} '{destination}' via {broker.api}"
            graph.add_edge(me, target, kind, evidence(broker.span.line, broker.span.col, detail))

    startup = {fact.function: fact for fact in facts.startup}
    for call in facts.calls:
        _add_call(graph, config, service, facts.path, call, startup, routes)


def _add_call(
    graph: ServiceGraph,
    config: Config,
    service: str,
    path: str,
    call: CallFact,
    startup: dict[str, StartupFact],
    routes: dict[str, list[tuple[str, RouteFact]]],
) -> None:
    target = call_target(call, config, service)
    if target.kind != SERVICE or target.service is None:
        return
    shown = display(call.path or "")
    detail = " ".join(part for part in (call.method, shown, f"via {call.api}") if part)
    evidence = Evidence(
        path,
        call.span.line,
        call.span.col,
        detail,
        timeout=call.timeout in _BOUNDED if call.timeout != "unknown" else None,
        breaker=is_guarded(call, config),
        retry=call.retry,
        startup=startup_context(call, startup) is not None,
    )
    handler = route_handler(call, routes.get(target.service, []))
    graph.add_call(CallSite(service, target.service, call.scope, handler, evidence))


def route_handler(call: CallFact, routes: list[tuple[str, RouteFact]]) -> str:
    """`path::function` of the callee's handler serving this call, "" when none matches."""
    if not call.path or not call.path.startswith("/"):
        return ""
    wanted = _segments(call.path)
    handlers = {
        f"{path}::{route.function}"
        for path, route in routes
        if (not call.method or route.method == call.method.upper())
        and _same_shape(wanted, _segments(route.path))
    }
    # A path two handlers could serve says nothing certain: fall back to the service.
    return handlers.pop() if len(handlers) == 1 else ""


def _segments(path: str) -> list[str]:
    return [s for s in path.split("?", 1)[0].split("/") if s]


def _same_shape(call: list[str], route: list[str]) -> bool:
    if len(call) != len(route):
        return False
    return all(a == b or HOLE in a or _PARAM.match(b) for a, b in zip(call, route))


def graph_needles() -> list[str]:
    """Prefilter regexes for files whose facts only the graph uses: routes and brokers."""
    from couplint_ast.facts.broker_catalog import BROKER_CONSTRUCTORS, BROKER_FACTORIES
    from couplint_ast.rules.base import import_needle

    libraries = {name.split(".")[0] for name in BROKER_CONSTRUCTORS}
    libraries |= {factory.split(".")[0] for factory, _ in BROKER_FACTORIES}
    needles = [r"@[\w.]+\.(?:get|post|put|patch|delete|route|api_route)\("]
    broker = import_needle(libraries)
    return [*needles, broker] if broker else needles
