"""Imports: every imported dotted name, and the alias table the other collectors use."""

from __future__ import annotations

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.types import FactFields, ImportFact
from couplint_ast.model import Span


class ImportCollector(FactCollector):
    """Records `import` and `from ... import` anywhere (functions, try/except included)."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.found: list[tuple[cst.CSTNode, str, int]] = []

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            self.found.append((node, name, 0))
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.ctx.bind(alias.asname.name.value, name)
            else:
                head = name.split(".", 1)[0]
                self.ctx.bind(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        level = len(node.relative)
        module = dotted_name(node.module) if node.module is not None else None
        if isinstance(node.names, cst.ImportStar):
            if module is not None:
                self.found.append((node, module, level))
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            full = f"{module}.{name}" if module else name
            self.found.append((node, full, level))
            if level == 0:
                local = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(local, cst.Name):
                    self.ctx.bind(local.value, full)

    def facts(self) -> FactFields:
        """The FileFacts fields this collector fills."""
        statements = list(dict.fromkeys(node for node, _, _ in self.found))
        spans = self.ctx.import_spans
        if spans is not None and len(spans) == len(statements):
            where = {node: Span(*span) for node, span in zip(statements, spans)}
        else:  # no parser positions (or, never seen, a disagreement): libcst's own
            where = {node: self.ctx.span(node) for node in statements}
        return {
            "imports": tuple(
                ImportFact(where[node], name, level) for node, name, level in self.found
            )
        }
