"""CPL402: a migration operation that the previous release cannot survive."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.migrations import MIGRATION_NEEDLES, upgrade_operations
from couplint_ast.facts.types import MigrationFact
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule

_ALEMBIC = "from alembic import op\nimport sqlalchemy as sa\n\n\n"


class IncompatibleMigration(FileRule):
    """
    ## What it does
    Checks migrations for operations that the release still running during a deploy cannot
    survive. In Alembic revisions and Django migrations: dropping or renaming a column or
    table, adding a NOT NULL column without a default, making a column NOT NULL, changing a
    column's type.
    It reads `op.*` calls (batch operations too), Django operations, and the DDL of raw SQL
    run by `op.execute` / `migrations.RunSQL`. Operations in `downgrade()`, in
    `SeparateDatabaseAndState(state_operations=...)` and on unmanaged models are not reported,
    nor are operations on a table that the same upgrade created earlier (no running release
    uses it yet).

    ## Why is this bad?
    Migrations run before (or while) the new code rolls out, so for a while the old release
    runs against the new schema. A column it still selects is gone, an insert that does not
    know the new NOT NULL column fails: the deploy order becomes "stop everything, migrate,
    start the new release", and a rollback is no longer possible.

    ## Example
    ```python
    def upgrade():
        op.drop_column("shipments", "carrier_code")
    ```

    Use instead:
    ```python
    def upgrade():
        # release N stops reading carrier_code; release N+1 drops it
        op.alter_column("shipments", "carrier_code", nullable=True)
    ```
    Expand, then contract: add the new shape alongside the old one, deploy code that uses
    both, backfill, and remove the old shape in a later release. Add NOT NULL columns with a
    `server_default`.

    ## Options
    None: every migration of every service is checked.
    """

    code = "CPL402"
    message = "migration {change} (not backward compatible)"
    VALID = [
        Valid(
            _ALEMBIC + "def upgrade():\n"
            '    op.add_column("shipments", sa.Column("note", sa.Text(), nullable=True))\n'
            '    op.add_column("shipments", sa.Column("tries", sa.Integer(), nullable=False,'
            ' server_default="0"))\n'
            '    op.create_index("ix_shipments_ref", "shipments", ["ref"])\n'
        ),
        Valid(_ALEMBIC + 'def downgrade():\n    op.drop_column("shipments", "note")\n'),
        Valid(
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [\n        migrations.SeparateDatabaseAndState(\n"
            '            state_operations=[migrations.RemoveField("shipment", "carrier")],\n'
            "        ),\n    ]\n"
        ),
    ]
    INVALID = [
        Invalid(
            _ALEMBIC + 'def upgrade():\n    op.drop_column("shipments", "carrier_code")\n',
            line=6,
            col=4,
            message="migration drops column 'carrier_code' of table 'shipments'"
            " (not backward compatible)",
        ),
        Invalid(
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n    operations = [\n"
            '        migrations.AddField("shipment", "weight", models.IntegerField()),\n    ]\n',
            line=6,
            col=8,
            message="migration adds NOT NULL column 'weight' to model 'shipment' without a"
            " default (not backward compatible)",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts = found.facts
        # A table this upgrade created earlier is new: no running release uses it yet.
        created: set[str] = set()
        for op in upgrade_operations(facts):
            name = (op.table or op.model).lower()
            if op.kind == "create_table" and name:
                created.add(name)
            if name in created:
                continue
            for change in incompatible_changes(op):
                yield self.report(facts, op.span, change=change)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return MIGRATION_NEEDLES


def incompatible_changes(op: MigrationFact) -> Iterator[str]:
    """What an operation does that the previous release cannot run against, in words."""
    column = f"column '{op.column}'" if op.column else "a column"
    owner = f"table '{op.table}'" if op.table else f"model '{op.model}'" if op.model else ""
    of = f" of {owner}" if owner else ""
    if op.kind == "drop_column":
        yield f"drops {column}{of}"
    elif op.kind == "drop_table":
        yield f"drops {_table(op)}"
    elif op.kind == "rename_table":
        yield f"renames {_table(op)}" + (f" to '{op.new_name}'" if op.new_name else "")
    elif op.kind == "rename_model":
        yield f"renames model '{op.model}'" + (f" to '{op.new_name}'" if op.new_name else "")
    elif op.kind == "rename_column" or (op.kind == "alter_column" and op.new_name):
        yield f"renames {column}{of}" + (f" to '{op.new_name}'" if op.new_name else "")
    if op.kind == "add_column" and op.nullable is False and not op.has_default:
        to = f" to {owner}" if owner else ""
        yield f"adds NOT NULL {column}{to} without a default"
    elif op.kind == "alter_column":
        if op.nullable is False and not op.has_default:
            yield f"makes {column}{of} NOT NULL"
        if op.type_change:
            yield f"changes the type of {column}{of}"


def _table(op: MigrationFact) -> str:
    if op.table:
        return f"table '{op.table}'"
    return f"the table of model '{op.model}'" if op.model else "a table"
