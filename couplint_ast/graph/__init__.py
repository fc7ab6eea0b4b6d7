"""The workspace view: ServiceGraph, build_graph(), and the workspace rules (CPL5xx)."""

from __future__ import annotations

from couplint_ast.graph.build import build_graph
from couplint_ast.graph.cpl501_long_call_chain import LongCallChain
from couplint_ast.graph.cpl502_call_cycle import SynchronousCallCycle
from couplint_ast.graph.model import CallSite, Chain, Cycle, Edge, Evidence, ServiceGraph
from couplint_ast.graph.rules import WorkspaceRule

WORKSPACE_RULES: tuple[type[WorkspaceRule], ...] = (LongCallChain, SynchronousCallCycle)

__all__ = [
    "WORKSPACE_RULES",
    "CallSite",
    "Chain",
    "Cycle",
    "Edge",
    "Evidence",
    "ServiceGraph",
    "WorkspaceRule",
    "build_graph",
]
