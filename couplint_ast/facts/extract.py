"""extract_facts(): ONE batched libcst traversal of a parsed module -> FileFacts."""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper

from couplint_ast.facts.context import ModuleContext
from couplint_ast.facts.imports import ImportCollector
from couplint_ast.facts.strings import AssignmentCollector
from couplint_ast.facts.types import FileFacts

# AssignmentCollector comes first: it keeps `ctx.scope`, which the others read while
# visiting. Facts are built after the traversal, when the alias table is complete.
COLLECTORS: tuple[Any, ...] = (AssignmentCollector, ImportCollector)


def extract_facts(module: cst.Module, path: str) -> FileFacts:
    """All facts of one file, from one traversal; positions only for what was found."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = ModuleContext(wrapper)
    collectors = [collector(ctx) for collector in COLLECTORS]
    wrapper.visit_batched(collectors)
    fields: dict[str, Any] = {}
    for collector in collectors:
        fields.update(collector.facts())
    return FileFacts(path=path, **fields)
