"""build_graph(): the couplings of every file of every service -> one ServiceGraph.

Every edge comes from the same `Couplings` the per-file rules read, so the graph, the
audit and `couplint check` never disagree about what couples to what. Calls to third
parties become `external` nodes and calls couplint cannot resolve one `unknown` node per
service: the audit lists them, it never drops them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.brokers import BrokerUse, broker_uses
from couplint_ast.couplings.calls import BOUNDED, SERVICE, THIRD_PARTY, UNRESOLVED, ServiceCall
from couplint_ast.couplings.migrations import touched_tables
from couplint_ast.couplings.tables import (
    foreign_database_owner,
    foreign_table_owner,
    orm_table_uses,
)
from couplint_ast.facts import FileFacts
from couplint_ast.facts.broker_catalog import REQUEST_LIBRARIES
from couplint_ast.facts.needles import import_needle
from couplint_ast.facts.types import CallFact, RouteFact
from couplint_ast.graph.model import CallSite, Evidence, ServiceGraph, node_id
from couplint_ast.parse import Needle

_PARAM = re.compile(r"^(?:\{[^}]*\}|<[^>]*>)$")


def build_graph(
    files: Iterable[tuple[str, FileFacts]],
    config: Config,
    config_of: Mapping[str, Config] | None = None,
) -> ServiceGraph:
    """The graph of `(service, facts)` pairs; every configured service is a node.

    `config_of` maps a file's path to the config that governs it (nested configs): each
    file's facts are judged by its own, as its per-file diagnostics are; `config` judges
    the rest (facts merged from facts files)."""
    graph = ServiceGraph()
    known = config_of or {}
    for each in (config, *{id(c): c for c in known.values()}.values()):
        for svc in each.services:
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
        _add_file(graph, known.get(facts.path, config), service, facts, routes)
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

    found = Couplings(facts, config, service)
    for fact, package in found.imports:
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
    for span, model, table, access in orm_table_uses(facts):
        verb = "reads" if access == "read" else "writes"
        detail = f"{verb} table '{table}' through model '{model}'"
        table_edge(span.line, span.col, table, verb, detail)
    for span, table, verb in touched_tables(facts):
        table_edge(span.line, span.col, table, "migrates", f"migration {verb} table '{table}'")
    for ref in facts.database_refs:
        db_owner = foreign_database_owner(config, ref.name, service)
        if db_owner is not None:
            target = graph.add_node("database", db_owner)
            detail = f"connects through '{ref.name}'"
            graph.add_edge(me, target, "connects", evidence(ref.span.line, ref.span.col, detail))
    # A publish whose reply is awaited is a call (`facts.replies`), drawn as one below.
    requests = {c.span for c in facts.calls if c.client in REQUEST_LIBRARIES}
    for use in broker_uses(facts, config, service):
        if use.fact.span not in requests:
            _add_broker(graph, me, use, evidence(use.fact.span.line, use.fact.span.col, ""))

    for call in found.calls:
        if not call.fact.forwarded:  # a wrapper's call is drawn at its callers
            _add_call(graph, service, facts.path, call, routes)


def _add_broker(graph: ServiceGraph, me: str, use: BrokerUse, where: Evidence) -> None:
    """A broker use: an edge to its topic (publishers and consumers of one name meet
    there), another to the service that owns it, or one to the unknown targets."""
    kind = "publishes" if use.fact.operation == "publish" else "consumes"
    found = use.destination
    evidence = dataclasses.replace(where, detail=use.describe())
    if found.name is None:
        missing = found.missing.describe() if found.missing else "a value computed at run time"
        evidence = dataclasses.replace(evidence, detail=f"{evidence.detail} ({missing})")
        graph.add_edge(me, graph.add_node("unknown", "unresolved target"), kind, evidence)
        return
    graph.add_edge(me, graph.add_node("topic", found.name), kind, evidence)
    if found.owner is not None:
        owned = dataclasses.replace(
            evidence, detail=f"{evidence.detail} (owned by '{found.owner}')"
        )
        graph.add_edge(me, graph.add_service(found.owner), kind, owned)


def _add_call(
    graph: ServiceGraph,
    service: str,
    path: str,
    found: ServiceCall,
    routes: dict[str, list[tuple[str, RouteFact]]],
) -> None:
    call = found.fact
    shown = call.path or ""
    via = f"via {call.api}" + (f" through '{call.via}'" if call.via else "")
    method = call.method
    if call.client in REQUEST_LIBRARIES:  # a request/reply: its queue, as its caller binds it
        method = call.target.shown() if call.target.known else ""
    detail = " ".join(part for part in (method, shown, via) if part)
    evidence = Evidence(
        path,
        call.span.line,
        call.span.col,
        detail,
        timeout=found.timeout == BOUNDED if found.timeout != "unknown" else None,
        breaker=found.guarded is True,
        retry=call.retry,
        startup=found.startup is not None,
    )
    me = node_id("service", service)
    kind = found.target.kind
    if kind == SERVICE:
        for callee in found.target.services:
            handler = route_handler(call, routes.get(callee, []))
            graph.add_call(CallSite(service, callee, call.scope, handler, evidence))
    elif kind == THIRD_PARTY:
        name = found.target.host or (found.target.missing.text if found.target.missing else "")
        graph.add_edge(me, graph.add_node("external", name), "call", evidence)
    elif kind == UNRESOLVED:
        missing = dataclasses.replace(evidence, detail=f"{detail} ({found.missing()})")
        graph.add_edge(me, graph.add_node("unknown", "unresolved target"), "call", missing)


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
    return all(a == b or "{" in a or _PARAM.match(b) for a, b in zip(call, route))


def graph_needles() -> list[Needle]:
    """Prefilter regexes for files whose facts only the graph uses: routes and brokers."""
    from couplint_ast.facts.broker_catalog import BROKER_CONSTRUCTORS, BROKER_FACTORIES

    libraries = {name.split(".")[0] for name in BROKER_CONSTRUCTORS}
    libraries |= {factory.split(".")[0] for factory, _ in BROKER_FACTORIES}
    needles = [Needle(r"@[\w.]+\.(?:get|post|put|patch|delete|route|api_route)\(", ("@",))]
    broker = import_needle(libraries)
    return [*needles, broker] if broker else needles
