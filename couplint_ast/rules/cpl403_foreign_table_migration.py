"""CPL403: a migration operation on a table owned by another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.model import Diagnostic, Span
from couplint_ast.rules.base import FileRule, Invalid, Valid
from couplint_ast.rules.migrations import MIGRATION_NEEDLES, table_of, upgrade_operations
from couplint_ast.sqltables import sql_access

VERBS = {
    "create_table": "creates",
    "drop_table": "drops",
    "rename_table": "renames",
    "rename_model": "renames",
    "index": "indexes",
    "insert": "writes to",
}


class ForeignTableMigration(FileRule):
    """
    ## What it does
    Checks migrations for operations on a table that another service owns. Alembic `op.*`,
    Django operations and raw SQL run by `op.execute` or `migrations.RunSQL` count: creating,
    altering, indexing, dropping, reading or writing it, or adding a foreign key to it.
    Django operations name models; their table is the model's `db_table` when the file
    states it, else Django's `<app_label>_<model>`. `downgrade()` is not reported.

    ## Why is this bad?
    The owner's schema now changes in two services' deploys. Neither team can release a
    schema change without knowing the other's migration history, and the two migrations can
    run in either order, or fight over the same table.

    ## Example
    ```python
    def upgrade():
        op.add_column("orders", sa.Column("shipped_at", sa.DateTime(), nullable=True))
    ```

    Use instead:
    ```python
    def upgrade():
        op.create_table("shipment_orders", sa.Column("order_id", sa.Integer()),
                        sa.Column("shipped_at", sa.DateTime()))
    ```
    Keep the data this service needs in its own tables, fed by the owner's API or events,
    or ask the owning service to make the change in its own migrations.

    ## Options
    - `services.<name>.tables`: the tables each service owns.
    """

    code = "CPL403"
    message = "migration {verb} table '{table}' owned by service '{owner}'"
    VALID = [
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n"
            '    op.add_column("shipments", sa.Column("note", sa.Text()))\n'
        ),
        Valid(
            "from alembic import op\n\n\ndef downgrade():\n"
            '    op.drop_column("orders", "shipped_at")\n'
        ),
    ]
    INVALID = [
        Invalid(
            "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n"
            '    op.add_column("orders", sa.Column("shipped_at", sa.DateTime()))\n',
            line=6,
            col=4,
            message="migration alters table 'orders' owned by service 'orders'",
        ),
        Invalid(
            "from alembic import op\n\n\ndef upgrade():\n"
            "    op.execute(\"UPDATE stock SET reserved = 0 WHERE sku LIKE 'SHIP-%'\")\n",
            line=5,
            col=4,
            message="migration writes to table 'stock' owned by service 'inventory'",
        ),
    ]

    def check(self, facts: FileFacts, config: Config, service: str) -> Iterator[Diagnostic]:
        seen: set[tuple[Span, str]] = set()
        for span, table, verb in touched_tables(facts):
            owner = config.table_owner(table)
            if owner is None or owner == service or (span, table.lower()) in seen:
                continue
            seen.add((span, table.lower()))
            yield self.report(facts, span, verb=verb, table=table, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[str]:
        if not any(s.tables for s in config.services if s.name != service):
            return []
        return MIGRATION_NEEDLES


def touched_tables(facts: FileFacts) -> Iterator[tuple[Span, str, str]]:
    """(where, table, verb) for every table the upgrade changes, references, reads or writes."""
    for op in upgrade_operations(facts):
        table = table_of(op, facts.path)
        if table:
            yield op.span, table, VERBS.get(op.kind, "alters")
        for reference in op.references:
            yield op.span, reference, "adds a foreign key to"
    for fact in facts.migrations:
        if fact.phase == "upgrade" and fact.kind == "sql":
            access = sql_access(fact.sql)
            if access is not None:
                yield from ((fact.span, t, "writes to") for t in access.writes)
                yield from ((fact.span, t, "reads") for t in access.reads)
