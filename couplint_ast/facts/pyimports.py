"""Imports read from CPython's tree: the facts of a file where only its imports can matter.

The prefilter (`parse.Prefilter`) sends here a file that only the import rules' needles
let through (a shared-domain or another service's package imported, nothing else a rule
reads): CPython's tree, which flake8 builds anyway, holds every import with its position,
so libcst's parse (9x the cost) is skipped. The facts are those `facts.imports` gives.
"""

from __future__ import annotations

import ast

from couplint_ast.facts.types import FileFacts, ImportFact
from couplint_ast.model import Span
from couplint_ast.parse import import_statements


def import_facts(path: str, tree: ast.AST, text: str) -> FileFacts:
    """The FileFacts of `path` holding its imports only, in source order."""
    found: list[ImportFact] = []
    for line, col, node in import_statements(tree, text):
        span = Span(line, col)
        if isinstance(node, ast.Import):
            found.extend(ImportFact(span, alias.name) for alias in node.names)
            continue
        module, level = node.module, node.level
        if len(node.names) == 1 and node.names[0].name == "*":
            if module is not None:
                found.append(ImportFact(span, module, level))
            continue
        for alias in node.names:
            full = f"{module}.{alias.name}" if module else alias.name
            found.append(ImportFact(span, full, level))
    return FileFacts(path=path, imports=tuple(found))
