"""Migrations: the operations an upgrade runs (raw SQL read into changes), tables they touch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath

from couplint_ast.couplings.history import Schema
from couplint_ast.facts import FileFacts
from couplint_ast.facts.types import MigrationFact
from couplint_ast.model import Span
from couplint_ast.parse import Needle

VERBS = {
    "create_table": "creates",
    "drop_table": "drops",
    "rename_table": "renames",
    "rename_model": "renames",
    "index": "indexes",
    "insert": "writes to",
}
# Files that can hold a migration, in their code (libraries name Alembic in docstrings, and
# Django's own migration framework imports `django.db.migrations` without being one): an
# import of Alembic, or a class deriving from a `Migration`.
MIGRATION_NEEDLES = (
    Needle(
        r"^[ \t]*(?:from[ \t]+alembic\b|import[ \t][^\n]*\balembic\b)", ("alembic",), in_code=True
    ),
    Needle(r"^[ \t]*class[ \t]+\w+[ \t]*\([^)]*\bMigration\b", ("Migration",), in_code=True),
)


def upgrade_operations(facts: FileFacts) -> Iterator[MigrationFact]:
    """Operations the forward migration runs; each raw SQL fact becomes the changes it makes.

    `downgrade()`, Django state-only operations and code the file never shows running are
    left out: they do not run when the new release deploys.
    """
    for fact in facts.migrations:
        if fact.phase == "upgrade" and fact.kind != "sql":
            yield fact  # raw SQL's changes are facts of their own (read at fact time)


def table_of(fact: MigrationFact, path: str, schema: Schema | None = None) -> str:
    """The table an operation works on: as stated, else as the history names the model's
    (`db_table` set by an earlier migration), else Django's `<app_label>_<model>`."""
    if fact.table or not fact.model:
        return fact.table
    known = schema.tables.get(fact.model.lower()) if schema is not None else None
    if known is not None and known.name:
        return known.name
    app = django_app_label(path)
    return f"{app}_{fact.model}" if app else ""


def django_app_label(path: str) -> str:
    """The app a Django migration belongs to: the folder that holds `migrations/`."""
    parts = PurePath(path).parts[:-1]
    for index in range(len(parts) - 1, 0, -1):
        if parts[index] == "migrations":
            return parts[index - 1]
    return ""


def touched_tables(
    facts: FileFacts, schema: Schema | None = None
) -> Iterator[tuple[Span, str, str]]:
    """(where, table, verb) for every table the upgrade changes, references, reads or writes;
    `schema` is what the history built before it, if known."""
    for op in upgrade_operations(facts):
        table = table_of(op, facts.path, schema)
        if table:
            yield op.span, table, VERBS.get(op.kind, "alters")
        for reference in op.references:
            yield op.span, reference, "adds a foreign key to"
    for fact in facts.migrations:
        if fact.phase == "upgrade" and fact.kind == "sql":
            yield from ((fact.span, t, "writes to") for t in fact.writes)
            yield from ((fact.span, t, "reads") for t in fact.reads)
