"""CPL402: a migration operation that the previous release cannot survive."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from couplint_ast.coltypes import widens
from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.history import Column, Schema, Table, after_alter, op_key
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
    survive: dropping or renaming a column or table, adding a NOT NULL column without a
    database default, making a nullable column NOT NULL, narrowing a column's type or
    changing its family, and adding a unique constraint or unique index on existing columns.
    Each operation is judged against the schema that the earlier migrations of the same
    folder built (Alembic `down_revision`, merges included; Django `dependencies`): restating
    a column, widening it (`Integer` to `BigInteger`, `String(n)` to a longer string or
    `Text`, more `Numeric` precision) and relaxing it (NOT NULL to NULL) are compatible. The
    operations of one upgrade are judged together, in order: a column added nullable and
    then made NOT NULL, or given a default that is dropped again, is reported; a SQLite-style
    table rebuild is judged by what it changes. Django's `default=` is not a database
    default (`db_default=` is). When the history is not known (a missing parent, a cycle), each
    operation is judged by what it says itself.
    It reads `op.*` calls (batch operations too), Django operations, and the DDL of raw SQL
    run by `op.execute` / `migrations.RunSQL`. Operations in `downgrade()`, in
    `SeparateDatabaseAndState(state_operations=...)` and on unmanaged models are not reported,
    nor are operations on a table that the same upgrade created earlier (no running release
    uses it yet). The flake8 plugin reads the folder's other files from disk, never imports
    them, and parses only those that name a table the checked file changes.

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
    `server_default` (Django: `db_default`).

    ## Options
    None: every migration of every service is checked.
    """

    code = "CPL402"
    uses_history = True  # the engine reads the folder's other revisions for it
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
        for op, change in judged(list(upgrade_operations(facts)), found.schema):
            yield self.report(facts, op.span, change=change)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return MIGRATION_NEEDLES


def judged(
    ops: Sequence[MigrationFact], before: Schema | None
) -> Iterator[tuple[MigrationFact, str]]:
    """Each operation of one upgrade that the previous release cannot survive, in words.

    Operations are judged in order against the schema as it stands when they run: the
    history's (`before`, None when it is not known), changed by the operations before them.
    A table created by this upgrade is new (no running release uses it yet); a column added
    by it is judged as a whole (added nullable, then made NOT NULL: the running release
    still inserts rows without it). Without history, what the operation itself says decides.
    """
    state = before.copy() if before is not None else Schema()
    created: set[str] = set()
    added: set[tuple[str, str]] = set()
    rebuilds = _rebuilds(ops)
    dropped: dict[str, Table | None] = {}
    for op in ops:
        key = op_key(op)
        if op.kind == "create_table" and key:
            created.add(key)
        if id(op) in rebuilds:  # the end of a table rebuild: compare the table before, after
            old = dropped.get(rebuilds[id(op)])
            new = state.tables.get(key)
            if old is not None and new is not None:
                yield from ((op, c) for c in _rebuild_changes(op.new_name, old, new))
        elif op.kind == "drop_table" and key in rebuilds.values():
            dropped[key] = state.tables.get(key)
        elif key not in created:
            yield from ((op, c) for c in _changes(op, state, added))
        if op.kind == "add_column" and op.column:
            added.add((key, op.column.lower()))
        state.apply(op)


def _changes(op: MigrationFact, state: Schema, added: set[tuple[str, str]]) -> Iterator[str]:
    column = f"column '{op.column}'" if op.column else "a column"
    owner = f"table '{op.table}'" if op.table else f"model '{op.model}'" if op.model else ""
    of = f" of {owner}" if owner else ""
    new_column = (op_key(op), op.column.lower()) in added
    if op.kind == "drop_column" and not new_column:
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
        if op.orm_default:
            yield f"adds NOT NULL {column}{to} with a Django default only (not in the database)"
        else:
            yield f"adds NOT NULL {column}{to} without a default"
    elif op.kind == "alter_column":
        yield from _alter_changes(op, state.column(op_key(op), op.column), new_column, column, of)
    elif op.unique and op.columns and not any((op_key(op), c.lower()) in added for c in op.columns):
        # With a column of its own upgrade in it, the running release's rows (NULL there)
        # never collide.
        names = ", ".join(f"'{c}'" for c in op.columns)
        target = f"column {names}" if len(op.columns) == 1 else f"columns {names}"
        yield f"adds a unique constraint on {target}{of}"


def _alter_changes(
    op: MigrationFact, before: Column | None, new_column: bool, column: str, of: str
) -> Iterator[str]:
    """What an `alter_column` changes that the running release cannot take; `before` is the
    column as the history (or this upgrade) left it, None when not known."""
    after = after_alter(before or Column(), op)
    nullable = op.nullable if before is None else after.nullable
    was_nullable = before.nullable if before is not None else op.existing_nullable
    if nullable is False and was_nullable is not False and not after.default:
        yield f"makes {column}{of} NOT NULL"
    elif op.drops_default and new_column and after.nullable is False:
        yield f"leaves new NOT NULL {column}{of} without a default"
    if new_column:
        return  # its type is this upgrade's own: the running release never wrote it
    old_type = before.type if before is not None and before.type else op.existing_type
    wider = widens(old_type, op.column_type)
    if wider is False or (wider is None and op.type_change):
        yield f"changes the type of {column}{of}"


def _rebuilds(ops: Sequence[MigrationFact]) -> dict[int, str]:
    """Table rebuilds (SQLite's way to alter a table): a table created by this upgrade, the
    old one dropped, the new one renamed to the old name. Maps each closing rename to the
    key of the table it replaces."""
    found: dict[int, str] = {}
    created: set[str] = set()
    dropped: set[str] = set()
    for op in ops:
        key = op_key(op)
        if op.kind == "create_table":
            created.add(key)
        elif op.kind == "drop_table":
            dropped.add(key)
        elif op.kind == "rename_table" and key in created and op.new_name.lower() in dropped:
            found[id(op)] = op.new_name.lower()
    return found


def _rebuild_changes(name: str, old: Table, new: Table) -> Iterator[str]:
    """What rebuilding table `name` from `old` to `new` changes for the running release."""
    of = f" of table '{name}'"
    for column, was in old.columns.items():
        now = new.columns.get(column)
        if now is None:
            yield f"drops column '{column}'{of}"
            continue
        if now.nullable is False and was.nullable is not False and not now.default:
            yield f"makes column '{column}'{of} NOT NULL"
        if widens(was.type, now.type) is False:
            yield f"changes the type of column '{column}'{of}"
    for column, now in new.columns.items():
        if column not in old.columns and now.nullable is False and not now.default:
            yield f"adds NOT NULL column '{column}' to table '{name}' without a default"


def _table(op: MigrationFact) -> str:
    if op.table:
        return f"table '{op.table}'"
    return f"the table of model '{op.model}'" if op.model else "a table"
