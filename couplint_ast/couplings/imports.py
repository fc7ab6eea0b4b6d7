"""What CPL101 and CPL102 share: the imports that couple, each statement once per package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath

from couplint_ast.config import Config, PackageOwner
from couplint_ast.facts import FileFacts, ImportFact


def coupled_imports(
    facts: FileFacts, config: Config, service: str
) -> Iterator[tuple[ImportFact, PackageOwner]]:
    """Absolute imports that belong to a shared domain package or another service."""
    seen: set[tuple[int, int, str]] = set()
    where = "/" + PurePath(facts.path).as_posix()
    for fact in facts.imports:
        if fact.level:  # relative imports stay inside their own package
            continue
        owner = config.package_owner(fact.module, service)
        if owner is None or f"/{owner.package.replace('.', '/')}/" in where:
            continue  # not coupled, or the package importing its own modules
        key = (fact.span.line, fact.span.col, owner.package)
        if key not in seen:
            seen.add(key)
            yield fact, owner
