"""Facts: what code does. The values live here; `facts.extract` (libcst) builds them."""

from __future__ import annotations

from couplint_ast.facts.types import FACTS_SCHEMA_VERSION, FileFacts, ImportFact

__all__ = ["FACTS_SCHEMA_VERSION", "FileFacts", "ImportFact"]
