"""ServiceGraph queries on hand-built graphs, and the workspace rules' own examples."""

from __future__ import annotations

import random

import pytest

from couplint_ast.config import Config
from couplint_ast.graph import WORKSPACE_RULES, CallSite, Evidence, ServiceGraph, WorkspaceRule
from couplint_ast.graph.rules import example_graph
from couplint_ast.rules.base import DOC_SECTIONS
from tests.conftest import ROOT


def graph(*calls: tuple[str, ...], handlers: dict[str, set[str]] | None = None) -> ServiceGraph:
    """Calls as (caller, callee[, caller function, callee handler]); files are `<service>.py`.

    `handlers` names each service's route handlers (functions of `<service>.py`).
    """
    built = ServiceGraph()
    for service, names in (handlers or {}).items():
        built.handlers[service] = {f"{service}.py::{name}" for name in names}
    for number, (caller, callee, *rest) in enumerate(calls, 1):
        scope = rest[0] if rest else ""
        handler = f"{callee}.py::{rest[1]}" if len(rest) > 1 and rest[1] else ""
        evidence = Evidence(f"{caller}.py", number, 0, f"{caller} calls {callee}")
        built.add_call(CallSite(caller, callee, scope, handler, evidence))
    return built


def chains(g: ServiceGraph, hops: int = 2) -> list[tuple[str, ...]]:
    return [c.services for c in g.find_chains(hops)]


def test_two_hops_are_not_a_chain_three_are() -> None:
    assert chains(graph(("a", "b"), ("b", "c"))) == []
    assert chains(graph(("a", "b"), ("b", "c"), ("c", "d"))) == [("a", "b", "c", "d")]
    assert chains(graph(("a", "b"), ("b", "c"), ("c", "d")), hops=3) == []


def test_chain_witness_is_extended_and_simple() -> None:
    g = graph(("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "b"))
    assert chains(g) == [
        ("a", "b", "c", "d", "e"),
        ("b", "c", "d", "e"),
        ("c", "d", "e", "b"),
        ("d", "e", "b", "c"),
        ("e", "b", "c", "d"),
    ]


def test_endpoint_level_edges_drop_chains_no_request_takes() -> None:
    b_routes = {"b": {"x", "y"}}
    # a calls b's /x (handled by `x`); only b's other handler `y` calls c: no chain.
    calls = [("a", "b", "", "x"), ("b", "c", "y", ""), ("c", "d")]
    assert chains(graph(*calls, handlers=b_routes)) == []
    # When a reaches `y` itself, the chain is real.
    calls = [("a", "b", "", "y"), ("b", "c", "y", ""), ("c", "d")]
    assert chains(graph(*calls, handlers=b_routes)) == [("a", "b", "c", "d")]
    # A call in a function nested in the handler continues the chain too.
    calls = [("a", "b", "", "y"), ("b", "c", "y.inner", ""), ("c", "d")]
    assert chains(graph(*calls, handlers=b_routes)) == [("a", "b", "c", "d")]
    # A helper that is not a route handler may be what `x` calls: the chain goes on.
    calls = [("a", "b", "", "x"), ("b", "c", "fetch_stock", ""), ("c", "d")]
    assert chains(graph(*calls, handlers=b_routes)) == [("a", "b", "c", "d")]
    # Unknown handler: the whole service continues the chain.
    calls = [("a", "b"), ("b", "c", "y", ""), ("c", "d")]
    assert chains(graph(*calls, handlers=b_routes)) == [("a", "b", "c", "d")]


def test_cycles_report_each_call_with_its_shortest_cycle() -> None:
    g = graph(("a", "b"), ("b", "c"), ("c", "a"), ("b", "a"), ("c", "d"))
    found = sorted((c.site.evidence.line, c.services) for c in g.find_cycles())
    assert found == [
        (1, ("a", "b", "a")),
        (2, ("b", "c", "a", "b")),
        (3, ("c", "a", "b", "c")),
        (4, ("b", "a", "b")),
    ]
    assert graph(("a", "b"), ("b", "c")).find_cycles() == []


def test_a_cycle_through_fifty_services() -> None:
    g = graph(*((f"s{i}", f"s{(i + 1) % 50}") for i in range(50)))
    cycles = g.find_cycles()
    assert len(cycles) == 50
    assert all(len(c.services) == 51 and c.services[0] == c.services[-1] for c in cycles)


def test_a_large_dense_graph_is_searched_within_bounds() -> None:
    # 500 services, 10,000 calls: chain and cycle queries stay polynomial and bounded
    # (timed by benchmarks/graph.py, not here).
    rng = random.Random(7)
    calls = {(f"s{rng.randrange(500)}", f"s{rng.randrange(500)}") for _ in range(12_000)}
    g = graph(*sorted((a, b) for a, b in calls if a != b)[:10_000])
    assert len(g.calls) == 10_000
    found = g.find_chains(2)
    assert found and all(c.hops >= 3 and len(set(c.services)) == len(c.services) for c in found)
    assert len(g.find_cycles()) > 0


def test_edges_keep_their_evidence() -> None:
    g = ServiceGraph()
    orders, db = g.add_service("orders"), g.add_node("database", "inventory")
    g.add_edge(orders, db, "reads", Evidence("a.py", 3, 4, "reads table 'stock'"))
    g.add_edge(orders, db, "reads", Evidence("b.py", 1, 0, "reads table 'stock'"))
    (edge,) = g.edges_from("orders")
    assert (edge.target, edge.kind, [e.path for e in edge.evidence]) == (
        "database:inventory",
        "reads",
        ["a.py", "b.py"],
    )


EXAMPLES = [(rule, text) for rule in WORKSPACE_RULES for text in {e.code for e in rule.INVALID}]


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=lambda x: getattr(x, "code", "")[:30])
def test_workspace_rule_invalid_examples(rule: type[WorkspaceRule], text: str) -> None:
    expected = sorted((e.line, e.message) for e in rule.INVALID if e.code == text)
    found = sorted((d.line, d.message) for d in rule().check(example_graph(text), Config()))
    assert found == expected


@pytest.mark.parametrize("rule", WORKSPACE_RULES, ids=lambda r: r.code)
def test_workspace_rule_valid_examples_and_docs(rule: type[WorkspaceRule]) -> None:
    for example in rule.VALID:
        assert list(rule().check(example_graph(example.code), Config())) == []
    assert [s for s in DOC_SECTIONS if s not in (rule.__doc__ or "")] == []
    assert rule.VALID and rule.INVALID
    assert rule.code in (ROOT / "CHANGELOG.md").read_text()
    assert rule.code in (ROOT / "README.md").read_text()


def test_max_chain_hops_is_honoured() -> None:
    (rule,) = [r for r in WORKSPACE_RULES if r.code == "CPL501"]
    g = example_graph("a -> b\nb -> c\nc -> d\n")
    assert list(rule().check(g, Config(max_chain_hops=3))) == []


def test_mermaid_keeps_lookalike_names_apart_and_quotes_safe() -> None:
    from couplint_ast.views import graph_mermaid

    g = ServiceGraph()
    dash, under = g.add_service("order-service"), g.add_service("order_service")
    quoted = g.add_node("topic", 'say "hi"')
    g.add_edge(dash, under, "call", Evidence("a.py", 1, 0, "GET /x"))
    g.add_edge(under, quoted, "publishes", Evidence("b.py", 2, 0, "publishes"))
    lines = graph_mermaid(g).splitlines()
    assert '  service_order_service["order-service"]:::service' in lines
    assert '  service_order_service_2["order_service"]:::service' in lines
    assert '  topic_say__hi_>"say #quot;hi#quot;"]:::topic' in lines
    assert any(line.startswith("  service_order_service -->") for line in lines)
    assert any(line.endswith("| service_order_service_2") for line in lines)
