"""Workspace rules (CPL5xx): they read the whole ServiceGraph, so only the CLI runs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from couplint_ast.config import Config
from couplint_ast.graph.model import CallSite, Evidence, ServiceGraph
from couplint_ast.model import Diagnostic, Invalid, Valid

EXAMPLE_FILE = "calls.txt"


class WorkspaceRule:
    """A rule over the service graph; examples are call lists, one `a -> b` per line."""

    code: ClassVar[str]
    message: ClassVar[str]
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def check(self, graph: ServiceGraph, config: Config) -> Iterator[Diagnostic]:
        """Diagnostics for the whole workspace."""
        raise NotImplementedError

    def involving(
        self, graph: ServiceGraph, config: Config
    ) -> Iterator[tuple[Diagnostic, frozenset[str]]]:
        """Each diagnostic with the files whose code it is about (a pre-commit run on some
        files reports the workspace findings that involve them)."""
        for found in self.check(graph, config):
            yield found, frozenset({found.path})

    def report(self, site: CallSite, **fields: Any) -> Diagnostic:
        """A diagnostic of this rule at a call site."""
        where = site.evidence
        return Diagnostic(
            where.path, where.line, where.col, self.code, self.message.format(**fields)
        )


def example_graph(calls: str) -> ServiceGraph:
    """A graph from an example: line N `a -> b` is a call at calls.txt:N."""
    graph = ServiceGraph()
    for number, line in enumerate(calls.splitlines(), 1):
        if "->" not in line:
            continue
        caller, callee = (part.split("#")[0].strip() for part in line.split("->", 1))
        evidence = Evidence(EXAMPLE_FILE, number, 0, f"{caller} calls {callee}")
        graph.add_call(CallSite(caller, callee, "", "", evidence))
    return graph


def along(graph: ServiceGraph, services: tuple[str, ...]) -> frozenset[str]:
    """The files of every call that makes one of the steps `services[i] -> services[i+1]`."""
    steps = set(zip(services, services[1:]))
    return frozenset(s.evidence.path for s in graph.calls if (s.caller, s.callee) in steps)


def arrow(services: tuple[str, ...]) -> str:
    """`a -> b -> c`."""
    return " -> ".join(services)
