"""extract_facts(): ONE batched libcst traversal of a parsed module -> FileFacts."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper

from couplint_ast.facts.calls import CallCollector
from couplint_ast.facts.context import FactCollector, ModuleContext
from couplint_ast.facts.databases import DatabaseCollector
from couplint_ast.facts.imports import ImportCollector
from couplint_ast.facts.migrations import MigrationCollector
from couplint_ast.facts.orm import OrmCollector
from couplint_ast.facts.ormuse import OrmUseCollector
from couplint_ast.facts.routes import RouteCollector
from couplint_ast.facts.spans import DeferredSpans
from couplint_ast.facts.sql import SqlCollector
from couplint_ast.facts.startup import StartupCollector
from couplint_ast.facts.strings import AssignmentCollector
from couplint_ast.facts.types import ClientExport, FactFields, FileFacts

# AssignmentCollector comes first: it keeps `ctx.scope`, which the others read while
# visiting. Facts are built after the traversal, when the alias table is complete.
COLLECTORS: tuple[type[FactCollector], ...] = (
    AssignmentCollector,
    ImportCollector,
    MigrationCollector,
    SqlCollector,
    OrmCollector,
    OrmUseCollector,
    DatabaseCollector,
    StartupCollector,
    RouteCollector,
    CallCollector,
)

HISTORY_COLLECTORS = (AssignmentCollector, ImportCollector, MigrationCollector)


def extract_facts(
    module: cst.Module,
    path: str,
    import_spans: tuple[tuple[int, int], ...] | None = None,
    workspace: bool = True,
    forwards: bool = True,
    clients: Callable[[str], ClientExport | None] | None = None,
    history: bool = False,
    deferred: DeferredSpans | None = None,
) -> FileFacts:
    """All facts of one file, from one traversal; positions only for what was found.

    `import_spans` (from `parse.parse`) gives the import statements' positions for free;
    without them they are computed by libcst like every other position. Without
    `workspace` (flake8, which sees one file), the facts only the workspace index reads
    (`exports`, `forwards`) are not computed; without `forwards`, calls of other modules'
    functions are not (their positions cost a code-generation pass of the file).
    `clients` tells which names imported from the project are client objects built in
    their module (the workspace knows; see `facts.types.ClientExport`).
    With `history`, only what a migration's history needs is read (its place and its
    operations, without positions): another file of its folder, read for its sake.
    With `deferred`, spans are placeholders it turns into positions (see `DeferredSpans`).
    """
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = ModuleContext(wrapper)
    ctx.path = path
    ctx.import_spans = import_spans
    ctx.workspace = workspace
    ctx.forwards = workspace and forwards
    ctx.clients = clients
    kinds = HISTORY_COLLECTORS if history else COLLECTORS
    ctx.positions = not history
    ctx.deferred = deferred
    collectors = [collector(ctx) for collector in kinds]
    wrapper.visit_batched(collectors)
    fields: FactFields = {}
    for collector in collectors:
        fields.update(collector.facts())
    return FileFacts(path=path, **fields)
