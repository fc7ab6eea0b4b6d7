"""What CPL402 and CPL403 share: the operations an upgrade runs, raw SQL read into changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import PurePath

from couplint_ast.facts import FileFacts
from couplint_ast.facts.types import MigrationFact
from couplint_ast.sqlddl import ddl_changes

# Files that can hold a migration: an Alembic import, or a Django Migration class.
MIGRATION_NEEDLES = (r"\balembic\b", r"migrations\.Migration\b", r"django\.db\.migrations\b")


def upgrade_operations(facts: FileFacts) -> Iterator[MigrationFact]:
    """Operations the forward migration runs; each raw SQL fact becomes the changes it makes.

    `downgrade()`, Django state-only operations and code the file never shows running are
    left out: they do not run when the new release deploys.
    """
    for fact in facts.migrations:
        if fact.phase != "upgrade":
            continue
        if fact.kind != "sql":
            yield fact
            continue
        for change in ddl_changes(fact.sql):
            yield dataclasses.replace(fact, **dataclasses.asdict(change))


def table_of(fact: MigrationFact, path: str) -> str:
    """The table an operation works on: as stated, else Django's `<app_label>_<model>`."""
    if fact.table or not fact.model:
        return fact.table
    app = django_app_label(path)
    return f"{app}_{fact.model}" if app else ""


def django_app_label(path: str) -> str:
    """The app a Django migration belongs to: the folder that holds `migrations/`."""
    parts = PurePath(path).parts[:-1]
    for index in range(len(parts) - 1, 0, -1):
        if parts[index] == "migrations":
            return parts[index - 1]
    return ""
