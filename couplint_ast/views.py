"""The workspace as people read it: the audit and the graph, in their formats."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence

from couplint_ast.graph.audit import Dependency, ServiceAudit
from couplint_ast.graph.model import Edge, ServiceGraph, split_id

QUESTIONS = (
    ("deploy_without", "can deploy without it?"),
    ("run_while_down", "can run while it is down?"),
    ("contract_controls", "its contract controls when this service deploys?"),
)

# Edge kinds as the graph pictures group them.
CATEGORY = {
    "call": "sync call",
    "imports": "imports code",
    "library": "shared library",
    "reads": "shared table",
    "writes": "shared table",
    "maps": "shared table",
    "migrates": "shared table",
    "connects": "shared table",
    "publishes": "publishes",
    "consumes": "consumes",
}


def audit_text(audits: Sequence[ServiceAudit], skipped: Sequence[str]) -> str:
    """The audit for a terminal."""
    out: list[str] = []
    for entry in audits:
        out.append(f"{entry.service}\n")
        if not entry.dependencies:
            out.append("  no external dependencies found\n")
        for dep in entry.dependencies:
            out.append(f"  {dep.label}\n")
            for field, question in QUESTIONS:
                out.append(f"    {question:<50} {getattr(dep, field).text()}\n")
        out.extend(f"  chain: {chain}\n" for chain in entry.chains)
        out.extend(f"  cycle: {cycle}\n" for cycle in entry.cycles)
        out.append("\n")
    out.extend(f"skipped {item}\n" for item in skipped)
    return "".join(out)


def audit_markdown(audits: Sequence[ServiceAudit], skipped: Sequence[str]) -> str:
    """The audit as GitHub-flavoured markdown, for a PR comment or a wiki page."""
    out = ["# Dependency audit\n"]
    for entry in audits:
        out.append(f"\n## {entry.service}\n\n")
        if not entry.dependencies:
            out.append("No external dependencies found.\n")
        else:
            header = " | ".join(q.capitalize() for _, q in QUESTIONS)
            out.append(f"| Dependency | {header} |\n|---|---|---|---|\n")
            for dep in entry.dependencies:
                cells = " | ".join(_md(getattr(dep, f).text()) for f, _ in QUESTIONS)
                out.append(f"| {_md(dep.label)} | {cells} |\n")
        if entry.chains or entry.cycles:
            out.append("\n")
            out.extend(f"- Chain: {_md(chain)}\n" for chain in entry.chains)
            out.extend(f"- Cycle: {_md(cycle)}\n" for cycle in entry.cycles)
    if skipped:
        out.append("\n## Skipped files\n\n")
        out.extend(f"- {_md(item)}\n" for item in skipped)
    return "".join(out)


def audit_json(audits: Sequence[ServiceAudit], skipped: Sequence[str]) -> str:
    """The audit as JSON: services, their dependencies with answers and evidence."""
    services = []
    for entry in audits:
        services.append(
            {
                "service": entry.service,
                "dependencies": [_dependency_json(d) for d in entry.dependencies],
                "chains": list(entry.chains),
                "cycles": list(entry.cycles),
            }
        )
    return json.dumps({"services": services, "skipped": list(skipped)}, indent=2) + "\n"


def _dependency_json(dep: Dependency) -> dict[str, object]:
    answers = {f: dataclasses.asdict(getattr(dep, f)) for f, _ in QUESTIONS}
    evidence = [{"kind": kind, **dataclasses.asdict(e)} for kind, e in dep.evidence]
    return {"kind": dep.kind, "name": dep.name, **answers, "evidence": evidence}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def graph_mermaid(graph: ServiceGraph) -> str:
    """A mermaid flowchart; sync calls without a circuit breaker are drawn red and thick."""
    out = ["flowchart LR\n"]
    ident = _idents(graph.nodes)
    for node in sorted(graph.nodes):
        kind, name = split_id(node)
        shape = {
            "service": '["{}"]',
            "database": '[("{} DB")]',
            "library": '{{{{"{}"}}}}',
            "topic": '>"{}"]',
            "external": '(["{}"])',
            "unknown": '{{"{}"}}',
        }[kind]
        out.append(f"  {ident[node]}{shape.format(_mermaid_text(name))}:::{kind}\n")
    red = []
    for index, (source, target, category, edges) in enumerate(_grouped(graph)):
        arrow = {"sync call": "-->", "shared library": "==>", "imports code": "==>"}
        line = arrow.get(category, "-.->")
        label = _mermaid_text(_label(category, edges))
        out.append(f'  {ident[source]} {line}|"{label}"| {ident[target]}\n')
        if category == "sync call" and _unguarded(edges) and target.startswith("service:"):
            red.append(index)
    if red:
        out.append(f"  linkStyle {','.join(map(str, red))} stroke:#d00,stroke-width:3px\n")
    out.append("  classDef service fill:#e8f0fe,stroke:#1a4d8f\n")
    out.append("  classDef database fill:#fff4e5,stroke:#b26a00\n")
    out.append("  classDef library fill:#f3e8fd,stroke:#6a1b9a\n")
    out.append("  classDef topic fill:#e6f4ea,stroke:#1e6b35\n")
    out.append("  classDef external fill:#f1f3f4,stroke:#5f6368\n")
    out.append("  classDef unknown fill:#fce8e6,stroke:#a50e0e,stroke-dasharray:4\n")
    return "".join(out)


def graph_dot(graph: ServiceGraph) -> str:
    """Graphviz DOT; sync calls without a circuit breaker in red."""
    shapes = {
        "service": "box",
        "database": "cylinder",
        "library": "component",
        "topic": "cds",
        "external": "ellipse",
        "unknown": "diamond",
    }
    out = ["digraph couplint {\n", "  rankdir=LR;\n", '  node [fontname="Helvetica"];\n']
    for node in sorted(graph.nodes):
        kind, name = split_id(node)
        label = f"{name} DB" if kind == "database" else name
        out.append(f"  {_quote(node)} [label={_quote(label)}, shape={shapes[kind]}];\n")
    for source, target, category, edges in _grouped(graph):
        style = {"sync call": "solid", "shared library": "bold", "imports code": "bold"}
        attrs = [
            f"label={_quote(_label(category, edges))}",
            f"style={style.get(category, 'dashed')}",
        ]
        if category == "sync call" and _unguarded(edges) and target.startswith("service:"):
            attrs.append("color=red")
        out.append(f"  {_quote(source)} -> {_quote(target)} [{', '.join(attrs)}];\n")
    out.append("}\n")
    return "".join(out)


def graph_json(graph: ServiceGraph) -> str:
    """Nodes and edges, each edge with all its evidence."""
    nodes = [{"id": n, "kind": k, "name": split_id(n)[1]} for n, k in sorted(graph.nodes.items())]
    edges = [
        {
            "source": e.source,
            "target": e.target,
            "kind": e.kind,
            "evidence": [dataclasses.asdict(x) for x in sorted(e.evidence)],
        }
        for e in sorted(graph.edges.values(), key=lambda e: (e.source, e.target, e.kind))
    ]
    return json.dumps({"nodes": nodes, "edges": edges}, indent=2) + "\n"


def _grouped(graph: ServiceGraph) -> list[tuple[str, str, str, list[Edge]]]:
    groups: dict[tuple[str, str, str], list[Edge]] = {}
    for edge in graph.edges.values():
        groups.setdefault((edge.source, edge.target, CATEGORY[edge.kind]), []).append(edge)
    return [(s, t, c, edges) for (s, t, c), edges in sorted(groups.items())]


def _label(category: str, edges: list[Edge]) -> str:
    count = sum(len(e.evidence) for e in edges)
    if category == "shared table":
        kinds = "/".join(sorted({e.kind for e in edges}))
        return f"shared table: {kinds} ({count})"
    if category == "sync call" and _unguarded(edges):
        return f"sync call ({count}), no breaker"
    return f"{category} ({count})"


def _unguarded(edges: list[Edge]) -> bool:
    return any(not e.breaker for edge in edges for e in edge.evidence)


def _idents(nodes: Iterable[str]) -> dict[str, str]:
    """Mermaid ids, distinct for distinct nodes: `order-service` and `order_service` would
    both be `service_order_service`, so the second gets a number."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in sorted(nodes):
        base = candidate = re.sub(r"\W", "_", node)
        number = 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        taken.add(candidate)
        ids[node] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    """Text inside a mermaid `"..."` label: a `"` would end it."""
    return text.replace('"', "#quot;")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
