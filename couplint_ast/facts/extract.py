"""extract_facts(): ONE batched libcst traversal of a parsed module -> FileFacts."""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper

from couplint_ast.facts.calls import CallCollector
from couplint_ast.facts.context import ModuleContext
from couplint_ast.facts.databases import DatabaseCollector
from couplint_ast.facts.imports import ImportCollector
from couplint_ast.facts.migrations import MigrationCollector
from couplint_ast.facts.orm import OrmCollector
from couplint_ast.facts.routes import RouteCollector
from couplint_ast.facts.sql import SqlCollector
from couplint_ast.facts.startup import StartupCollector
from couplint_ast.facts.strings import AssignmentCollector
from couplint_ast.facts.types import FileFacts

# AssignmentCollector comes first: it keeps `ctx.scope`, which the others read while
# visiting. Facts are built after the traversal, when the alias table is complete.
COLLECTORS: tuple[Any, ...] = (
    AssignmentCollector,
    ImportCollector,
    MigrationCollector,
    SqlCollector,
    OrmCollector,
    DatabaseCollector,
    StartupCollector,
    RouteCollector,
    CallCollector,
)


def extract_facts(
    module: cst.Module, path: str, import_spans: tuple[tuple[int, int], ...] | None = None
) -> FileFacts:
    """All facts of one file, from one traversal; positions only for what was found.

    `import_spans` (from `parse.parse`) gives the import statements' positions for free;
    without them they are computed by libcst like every other position.
    """
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = ModuleContext(wrapper)
    ctx.import_spans = import_spans
    collectors = [collector(ctx) for collector in COLLECTORS]
    wrapper.visit_batched(collectors)
    fields: dict[str, Any] = {}
    for collector in collectors:
        fields.update(collector.facts())
    return FileFacts(path=path, **fields)


def _visitor_names(cls: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    # libcst finds a visitor's methods with inspect.getmembers on every instance, which
    # cost 18% of couplint's time in flake8; the names never change per class.
    names = _VISITOR_NAMES.get(cls)
    if names is None:
        names = _VISITOR_NAMES[cls] = tuple(
            name
            for name in dir(cls)
            if name.startswith(("visit_", "leave_"))
            and callable(getattr(cls, name))
            and not getattr(getattr(cls, name), "_is_no_op", False)
        )
    return names


def _cached_visitors(self: cst.BatchableCSTVisitor) -> dict[str, Any]:
    return {name: getattr(self, name) for name in _visitor_names(type(self))}


_VISITOR_NAMES: dict[type[cst.BatchableCSTVisitor], tuple[str, ...]] = {}
for _collector in COLLECTORS:
    _collector.get_visitors = _cached_visitors
