"""CPL403: a migration operation on a table owned by another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.migrations import MIGRATION_NEEDLES, touched_tables
from couplint_ast.model import Diagnostic, Invalid, Span, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


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
    uses_history = True  # a model's table may have been named by an earlier migration
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

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        seen: set[tuple[Span, str]] = set()
        for span, table, verb in touched_tables(facts, found.schema):
            owner = config.table_owner(table, service)
            if owner is None or owner == service or (span, table.lower()) in seen:
                continue
            seen.add((span, table.lower()))
            yield self.report(facts, span, verb=verb, table=table, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        if not any(s.tables for s in config.services if s.name != service):
            return []
        return MIGRATION_NEEDLES
