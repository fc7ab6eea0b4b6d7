"""CPL402 / CPL403: Alembic revisions, Django migrations and their raw SQL, exactly."""

from __future__ import annotations

from textwrap import dedent

import pytest

from couplint_ast import testing
from couplint_ast.config import Config, ServiceConfig
from couplint_ast.engine import Linter
from couplint_ast.facts import FileFacts
from couplint_ast.facts.extract import extract_facts
from couplint_ast.parse import parse_module
from couplint_ast.rules.base import EXAMPLE_CONFIG

ALEMBIC_PATH = "services/shipping/migrations/versions/0002_changes.py"
DJANGO_PATH = "services/shipping/shipping/migrations/0002_changes.py"
HEAD = "from alembic import op\nimport sqlalchemy as sa\n\n\n"
DJANGO_HEAD = (
    "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
)
NOT_COMPATIBLE = " (not backward compatible)"


def lint(
    code: str, source: str, path: str = ALEMBIC_PATH, config: Config = EXAMPLE_CONFIG
) -> list[tuple[int, int, str]]:
    """(line, col, message) of one code; the prefilter must not change the answer."""
    return [(line, col, m) for line, col, _, m in testing.lint(source, (code,), config, path)]


def upgrade(*lines: str) -> str:
    """An Alembic revision whose upgrade() runs `lines`."""
    return HEAD + "def upgrade():\n" + "".join(f"    {line}\n" for line in lines)


def django(*operations: str) -> str:
    """A Django migration whose operations list holds `operations`."""
    body = "".join(f"        {op},\n" for op in operations)
    return DJANGO_HEAD + f"    operations = [\n{body}    ]\n"


# -- CPL402, Alembic ----------------------------------------------------------------------

ALEMBIC_UNSAFE = [
    ('op.drop_column("shipments", "carrier")', "drops column 'carrier' of table 'shipments'"),
    (
        'op.drop_column(column_name="carrier", table_name="shipments")',
        "drops column 'carrier' of table 'shipments'",
    ),
    (
        'op.drop_column("bins", "carrier", schema="ops")',
        "drops column 'carrier' of table 'ops.bins'",
    ),
    ('op.drop_table("shipments")', "drops table 'shipments'"),
    (
        'op.rename_table("shipments", "deliveries")',
        "renames table 'shipments' to 'deliveries'",
    ),
    (
        'op.rename_table(new_table_name="deliveries", old_table_name="shipments")',
        "renames table 'shipments' to 'deliveries'",
    ),
    (
        'op.alter_column("shipments", "ref", new_column_name="reference")',
        "renames column 'ref' of table 'shipments' to 'reference'",
    ),
    (
        'op.alter_column("shipments", "ref", nullable=False)',
        "makes column 'ref' of table 'shipments' NOT NULL",
    ),
    (
        'op.alter_column("shipments", "ref", existing_type=sa.String(40),'
        " type_=sa.String(20), existing_nullable=False)",
        "changes the type of column 'ref' of table 'shipments'",
    ),
    (
        'op.alter_column("shipments", "weight", type_=sa.Numeric(10, 2))',
        "changes the type of column 'weight' of table 'shipments'",
    ),
    (
        'op.add_column("shipments", sa.Column("ref", sa.String(20), nullable=False))',
        "adds NOT NULL column 'ref' to table 'shipments' without a default",
    ),
    (
        'op.add_column(column=sa.Column("ref", sa.String(20), nullable=False), '
        'table_name="shipments")',
        "adds NOT NULL column 'ref' to table 'shipments' without a default",
    ),
    (
        'op.add_column("shipments", sa.Column("ref", sa.String(20), nullable=False, default="x"))',
        "adds NOT NULL column 'ref' to table 'shipments' without a default",
    ),
    ("op.drop_column(*COLUMNS)", "drops a column"),
    ("op.drop_column(**columns)", "drops a column"),
    (
        'op.execute("ALTER TABLE shipments DROP COLUMN carrier")',
        "drops column 'carrier' of table 'shipments'",
    ),
    ('op.execute("DROP TABLE IF EXISTS shipments")', "drops table 'shipments'"),
    ('op.execute(f"ALTER TABLE {name} DROP COLUMN {column}")', "drops a column"),
    ('op.execute(f"ALTER TABLE {name} DROP COLUMN carrier")', "drops column 'carrier'"),
    (
        'op.execute(sa.text("ALTER TABLE shipments RENAME COLUMN ref TO reference"))',
        "renames column 'ref' of table 'shipments' to 'reference'",
    ),
    (
        'op.execute(sqltext="ALTER TABLE shipments RENAME TO deliveries")',
        "renames table 'shipments' to 'deliveries'",
    ),
    (
        'op.execute("ALTER TABLE shipments ALTER COLUMN ref SET NOT NULL")',
        "makes column 'ref' of table 'shipments' NOT NULL",
    ),
    (
        'op.execute("ALTER TABLE shipments ALTER COLUMN weight TYPE numeric(10, 2)")',
        "changes the type of column 'weight' of table 'shipments'",
    ),
    (
        'op.execute("ALTER TABLE shipments ADD COLUMN ref text NOT NULL")',
        "adds NOT NULL column 'ref' to table 'shipments' without a default",
    ),
]


@pytest.mark.parametrize(("line", "change"), ALEMBIC_UNSAFE, ids=[c for _, c in ALEMBIC_UNSAFE])
def test_alembic_unsafe_operations(line: str, change: str) -> None:
    assert lint("CPL402", upgrade(line)) == [(6, 4, f"migration {change}{NOT_COMPATIBLE}")]


ALEMBIC_SAFE = [
    'op.add_column("shipments", sa.Column("note", sa.Text(), nullable=True))',
    'op.add_column("shipments", sa.Column("note", sa.Text()))',
    'op.add_column("shipments", sa.Column("tries", sa.Integer(), nullable=False,'
    ' server_default="0"))',
    'op.add_column("shipments", sa.Column("seq", sa.Integer(), sa.Identity(), nullable=False))',
    'op.add_column("shipments", sa.Column("id", sa.Integer(), primary_key=True))',
    'op.add_column("shipments", COLUMN)',
    'op.alter_column("shipments", "ref", nullable=True)',
    'op.alter_column("shipments", "ref", nullable=False, existing_nullable=False)',
    'op.alter_column("shipments", "ref", existing_type=sa.String(20), type_=sa.String( 20 ))',
    'op.alter_column("shipments", "ref", nullable=False, server_default="")',
    'op.alter_column("shipments", "ref", type_=None, comment="the carrier reference")',
    'op.alter_column("shipments", "ref", nullable=NULLABLE)',
    'op.create_table("parcels", sa.Column("id", sa.Integer(), primary_key=True))',
    'op.create_index("ix_shipments_ref", "shipments", ["ref"])',
    'op.drop_index("ix_shipments_ref", table_name="shipments")',
    'op.drop_constraint("uq_ref", "shipments", type_="unique")',
    'op.execute("ALTER TABLE shipments ADD COLUMN note text")',
    'op.execute("ALTER TABLE shipments ADD COLUMN tries int NOT NULL DEFAULT 0")',
    'op.execute("ALTER TABLE shipments ALTER COLUMN ref DROP NOT NULL")',
    'op.execute("CREATE INDEX ix_ref ON shipments (ref)")',
    'op.execute("UPDATE shipments SET tries = 0")',
    'op.execute("this is not SQL at all")',
    'op.execute("ALTER TABLE shipments DROP COLUMN")',
    'op.execute("ALTER TABLE ((( shipments")',
    "op.execute(build_sql())",
    'op.get_bind().execute("ALTER TABLE shipments DROP COLUMN carrier")',
    'op.f("ix_shipments_ref")',
]


@pytest.mark.parametrize("line", ALEMBIC_SAFE)
def test_alembic_safe_operations_are_silent(line: str) -> None:
    assert lint("CPL402", upgrade(line)) == []


def test_batch_operations_take_the_batch_table() -> None:
    source = upgrade(
        'with op.batch_alter_table("shipments", schema="ops") as batch_op:',
        '    batch_op.drop_column("carrier")',
        '    batch_op.alter_column("ref", nullable=False, type_=sa.String(40))',
        '    batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))',
    )
    assert lint("CPL402", source) == [
        (7, 8, f"migration drops column 'carrier' of table 'ops.shipments'{NOT_COMPATIBLE}"),
        (
            8,
            8,
            f"migration changes the type of column 'ref' of table 'ops.shipments'{NOT_COMPATIBLE}",
        ),
        (8, 8, f"migration makes column 'ref' of table 'ops.shipments' NOT NULL{NOT_COMPATIBLE}"),
    ]


def test_a_with_alias_that_is_not_a_batch_is_not_an_operation() -> None:
    source = upgrade('with open("notes") as batch_op:', '    batch_op.drop_column("carrier")')
    assert lint("CPL402", source) == []


def test_downgrade_is_silent_and_helpers_take_their_callers_phase() -> None:
    source = HEAD + dedent(
        """\
        TABLE = "shipments"


        def _drop_carrier():
            op.drop_column(TABLE, "carrier")


        def _restore_carrier():
            op.drop_table("shipments_tmp")


        def _never_called():
            op.drop_table("shipments")


        op.drop_table("at_import")


        def upgrade():
            _drop_carrier()


        def downgrade():
            op.drop_column("shipments", "note")
            _restore_carrier()
        """
    )
    assert lint("CPL402", source) == [
        (9, 4, f"migration drops column 'carrier' of table 'shipments'{NOT_COMPATIBLE}")
    ]


def test_multi_database_template_functions() -> None:
    source = HEAD + dedent(
        """\
        def upgrade(engine_name):
            globals()[f"upgrade_{engine_name}"]()


        def upgrade_engine1():
            op.drop_column("shipments", "carrier")


        def downgrade_engine1():
            op.drop_table("shipments")
        """
    )
    assert lint("CPL402", source) == [
        (10, 4, f"migration drops column 'carrier' of table 'shipments'{NOT_COMPATIBLE}")
    ]


def test_import_aliases_resolve_and_lookalikes_do_not() -> None:
    aliased = "from alembic import op as alembic_op\n\n\ndef upgrade():\n"
    aliased += '    alembic_op.drop_table("shipments")\n'
    assert lint("CPL402", aliased) == [(5, 4, f"migration drops table 'shipments'{NOT_COMPATIBLE}")]
    direct = "from alembic.op import drop_table\n\n\ndef upgrade():\n    drop_table('shipments')\n"
    assert lint("CPL402", direct) == [(5, 4, f"migration drops table 'shipments'{NOT_COMPATIBLE}")]
    own_op = "import alembic_utils\n\n\ndef upgrade(op):\n    op.drop_table('shipments')\n"
    assert lint("CPL402", own_op) == []


def test_multiple_statements_of_one_execute_each_report() -> None:
    source = upgrade(
        'op.execute("ALTER TABLE shipments DROP COLUMN a; ALTER TABLE shipments DROP COLUMN b")'
    )
    assert lint("CPL402", source) == [
        (6, 4, f"migration drops column 'a' of table 'shipments'{NOT_COMPATIBLE}"),
        (6, 4, f"migration drops column 'b' of table 'shipments'{NOT_COMPATIBLE}"),
    ]


# -- CPL402, Django -----------------------------------------------------------------------

DJANGO_UNSAFE = [
    (
        'migrations.RemoveField(model_name="shipment", name="carrier")',
        "drops column 'carrier' of model 'shipment'",
    ),
    ('migrations.RemoveField("shipment", "carrier")', "drops column 'carrier' of model 'shipment'"),
    ('migrations.DeleteModel(name="Parcel")', "drops the table of model 'parcel'"),
    ('migrations.RenameModel("Parcel", "Package")', "renames model 'parcel' to 'package'"),
    (
        'migrations.RenameField(model_name="shipment", old_name="ref", new_name="reference")',
        "renames column 'ref' of model 'shipment' to 'reference'",
    ),
    (
        'migrations.AlterModelTable(name="shipment", table="deliveries")',
        "renames the table of model 'shipment' to 'deliveries'",
    ),
    (
        'migrations.AlterField("shipment", "ref", models.CharField(max_length=20, null=False))',
        "makes column 'ref' of model 'shipment' NOT NULL",
    ),
    (
        'migrations.AddField(model_name="shipment", name="ref",'
        " field=models.CharField(max_length=20))",
        "adds NOT NULL column 'ref' to model 'shipment' without a default",
    ),
    (
        'migrations.AddField("shipment", "ref", models.CharField(default="", max_length=20), '
        "preserve_default=False)",
        "adds NOT NULL column 'ref' to model 'shipment' with a Django default only"
        " (not in the database)",
    ),
    (
        'migrations.AddField("shipment", "tries", models.IntegerField(default=0))',
        "adds NOT NULL column 'tries' to model 'shipment' with a Django default only"
        " (not in the database)",
    ),
    (
        'migrations.AddField("shipment", "order",'
        ' models.ForeignKey(on_delete=models.CASCADE, to="shop.order"))',
        "adds NOT NULL column 'order' to model 'shipment' without a default",
    ),
    (
        'migrations.RunSQL("ALTER TABLE shipments DROP COLUMN carrier")',
        "drops column 'carrier' of table 'shipments'",
    ),
    (
        'migrations.RunSQL(sql=[("ALTER TABLE shipments DROP COLUMN carrier", None)],'
        ' reverse_sql="")',
        "drops column 'carrier' of table 'shipments'",
    ),
]


@pytest.mark.parametrize(("op", "change"), DJANGO_UNSAFE, ids=[c for _, c in DJANGO_UNSAFE])
def test_django_unsafe_operations(op: str, change: str) -> None:
    assert lint("CPL402", django(op), DJANGO_PATH) == [
        (6, 8, f"migration {change}{NOT_COMPATIBLE}")
    ]


DJANGO_SAFE = [
    'migrations.AddField("shipment", "note", models.TextField(null=True))',
    'migrations.AddField("shipment", "tries", models.IntegerField(db_default=0))',
    'migrations.AddField("shipment", "tags", models.ManyToManyField(to="shipping.tag"))',
    'migrations.AddField("shipment", "seq", models.BigAutoField(primary_key=True))',
    'migrations.AddField("shipment", "ref", FIELD)',
    'migrations.AlterField("shipment", "ref", models.CharField(max_length=40))',
    'migrations.AlterField("shipment", "ref", models.CharField(max_length=40, null=True))',
    'migrations.CreateModel(name="Parcel", fields=[("id", models.BigAutoField(primary_key=True))])',
    'migrations.AddIndex("shipment", models.Index(fields=["ref"], name="ix_ref"))',
    'migrations.AlterModelOptions(name="shipment", options={"ordering": ["ref"]})',
    "migrations.RunPython(forwards, backwards)",
    'migrations.RunSQL("UPDATE shipments SET tries = 0",'
    ' reverse_sql="ALTER TABLE shipments DROP COLUMN tries")',
    'migrations.RunSQL("SELECT 1",'
    ' state_operations=[migrations.RemoveField("shipment", "carrier")])',
    'migrations.RunSQL("ALTER TABLE shipments DROP COLUMN")',
    "migrations.SeparateDatabaseAndState(state_operations=["
    'migrations.RemoveField("shipment", "carrier"), migrations.DeleteModel("Parcel")])',
]


@pytest.mark.parametrize("op", DJANGO_SAFE)
def test_django_safe_operations_are_silent(op: str) -> None:
    assert lint("CPL402", django(op), DJANGO_PATH) == []


def test_database_operations_of_separate_database_and_state_run() -> None:
    source = DJANGO_HEAD + (
        "    operations = [\n"
        "        migrations.SeparateDatabaseAndState(\n"
        '            database_operations=[migrations.RemoveField("shipment", "carrier")],\n'
        '            state_operations=[migrations.RemoveField("shipment", "ref")],\n'
        "        ),\n"
        "    ]\n"
    )
    assert lint("CPL402", source, DJANGO_PATH) == [
        (7, 33, f"migration drops column 'carrier' of model 'shipment'{NOT_COMPATIBLE}")
    ]


def test_django_unmanaged_models_run_no_sql() -> None:
    source = django(
        'migrations.CreateModel("Mirror", [], options={"managed": False, "db_table": "orders"})',
        'migrations.RemoveField("mirror", "total")',
        'migrations.RemoveField("shipment", "total")',
    )
    assert lint("CPL402", source, DJANGO_PATH) == [
        (8, 8, f"migration drops column 'total' of model 'shipment'{NOT_COMPATIBLE}")
    ]


def test_django_db_table_stated_in_the_file_names_the_table() -> None:
    # (A model created by the same migration is new, so CPL402 skips it: AlterModelTable.)
    source = django(
        'migrations.AlterModelTable("parcel", "parcels")',
        'migrations.RemoveField("parcel", "weight")',
    )
    assert lint("CPL402", source, DJANGO_PATH) == [
        (6, 8, f"migration renames the table of model 'parcel' to 'parcels'{NOT_COMPATIBLE}"),
        (7, 8, f"migration drops column 'weight' of table 'parcels'{NOT_COMPATIBLE}"),
    ]


def test_operations_outside_a_migration_class_are_not_read() -> None:
    source = "from django.db import migrations\n\nOPS = [migrations.RemoveField('a', 'b')]\n"
    source += "\n\nclass Migration:\n    operations = OPS\n"
    assert lint("CPL402", source, DJANGO_PATH) == []


def test_the_prefilter_reads_migrations_in_code_not_in_docstrings() -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code == "CPL402")
    prose = '"""Helpers; see alembic.op.drop_column and migrations.Migration."""\nX = 1\n'
    assert linter.is_candidate(prose, "shipping") is False
    assert linter.is_candidate(upgrade('op.drop_table("shipments")'), "shipping") is True
    assert linter.is_candidate(django('migrations.DeleteModel("Parcel")'), "shipping") is True
    direct = "from django.db.migrations import Migration\n\nclass M(Migration):\n    pass\n"
    assert linter.is_candidate(direct, "shipping") is True


# -- CPL403 -------------------------------------------------------------------------------


def test_alembic_operations_on_foreign_tables() -> None:
    source = upgrade(
        'op.add_column("orders", sa.Column("shipped_at", sa.DateTime()))',
        'op.create_index("ix_bins", "bins", ["code"], schema="warehouse")',
        'op.create_foreign_key("fk_stock", "shipments", "stock", ["sku"], ["sku"])',
        'op.create_table("parcels", sa.Column("order_id", sa.ForeignKey("orders.id")))',
        'op.execute("UPDATE stock SET reserved = 0 WHERE sku IN (SELECT sku FROM order_items)")',
        'op.drop_table("stock")',
        'op.bulk_insert(sa.table("orders", sa.column("id")), [{"id": 1}])',
        'op.add_column("shipments", sa.Column("note", sa.Text()))',
    )
    owned = "owned by service"
    assert lint("CPL403", source) == [
        (6, 4, f"migration alters table 'orders' {owned} 'orders'"),
        (7, 4, f"migration indexes table 'warehouse.bins' {owned} 'inventory'"),
        (8, 4, f"migration adds a foreign key to table 'stock' {owned} 'inventory'"),
        (9, 4, f"migration adds a foreign key to table 'orders' {owned} 'orders'"),
        (10, 4, f"migration reads table 'order_items' {owned} 'orders'"),
        (10, 4, f"migration writes to table 'stock' {owned} 'inventory'"),
        (11, 4, f"migration drops table 'stock' {owned} 'inventory'"),
        (12, 4, f"migration writes to table 'orders' {owned} 'orders'"),
    ]


def test_foreign_tables_in_batches_raw_ddl_and_downgrade() -> None:
    source = HEAD + dedent(
        """\
        def upgrade():
            with op.batch_alter_table("stock") as batch_op:
                batch_op.drop_column("reserved")
            op.execute("ALTER TABLE orders ADD COLUMN shipped boolean")


        def downgrade():
            op.drop_table("orders")
            op.execute("DELETE FROM stock")
        """
    )
    assert lint("CPL403", source) == [
        (7, 8, "migration alters table 'stock' owned by service 'inventory'"),
        (8, 4, "migration alters table 'orders' owned by service 'orders'"),
    ]


def test_django_operations_on_foreign_tables() -> None:
    config = Config(
        service="shipping",
        services=(
            ServiceConfig(name="orders", tables=("orders", "orders_order")),
            ServiceConfig(name="shipping", tables=("shipments",)),
        ),
    )
    path = "services/shipping/orders/migrations/0002_changes.py"  # an app labelled 'orders'
    source = django(
        'migrations.CreateModel("Archive", [], options={"db_table": "orders"})',
        'migrations.AddField("order", "shipped", models.BooleanField(null=True))',
        'migrations.RunSQL("UPDATE orders SET shipped = true",'
        ' "UPDATE orders SET shipped = false")',
        'migrations.AddField("shipment", "note", models.TextField(null=True))',
        'migrations.CreateModel("Mirror", [], options={"managed": False, "db_table": "orders"})',
    )
    assert lint("CPL403", source, path, config) == [
        (6, 8, "migration creates table 'orders' owned by service 'orders'"),
        (7, 8, "migration alters table 'orders_order' owned by service 'orders'"),
        (8, 8, "migration writes to table 'orders' owned by service 'orders'"),
    ]


def test_own_tables_and_unknown_tables_are_silent() -> None:
    source = upgrade(
        'op.drop_table("shipments")',
        "op.drop_table(TABLE)",
        'op.execute(f"UPDATE {table} SET x = 1")',
        'op.create_foreign_key("fk", "shipments", REFERENT, ["a"], ["b"])',
    )
    assert lint("CPL403", source) == []


def test_cpl403_needs_tables_owned_by_other_services() -> None:
    config = Config(service="shipping", services=(ServiceConfig(name="shipping", tables=("t",)),))
    assert lint("CPL403", upgrade('op.drop_table("orders")'), config=config) == []


# -- bad input and facts -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        HEAD + "def upgrade(:\n    op.drop_table('shipments')\n",
        upgrade("op.drop_column()", "op.alter_column()", "op.add_column('t')", "op.execute()"),
        upgrade("op.add_column('t', sa.Column())", "op.rename_table()", "op.bulk_insert(t, [])"),
        upgrade("op.execute('')", "op.execute(sa.text())", "op.execute(None)"),
        django("migrations.AddField()", "migrations.RunSQL()", "migrations.RenameModel()"),
        django("migrations.SeparateDatabaseAndState(database_operations=OPS)", "42"),
        DJANGO_HEAD + "    operations = migrations\n",
    ],
)
def test_bad_input_never_crashes_and_invents_nothing(source: str) -> None:
    for code in ("CPL402", "CPL403"):
        assert lint(code, source) == []
        assert lint(code, source, DJANGO_PATH) == []


def test_facts_are_recorded_with_phase_and_survive_json() -> None:
    source = upgrade('op.alter_column("t", "c", nullable=False, type_=sa.Text())')
    source += "\n\ndef downgrade():\n    op.drop_column('t', 'c')\n"
    module = parse_module(source)
    assert module is not None
    facts = extract_facts(module, ALEMBIC_PATH)
    assert [
        (m.kind, m.phase, m.table, m.column, m.nullable, m.type_change) for m in facts.migrations
    ] == [
        ("alter_column", "upgrade", "t", "c", False, True),
        ("drop_column", "downgrade", "t", "c", None, False),
    ]
    assert FileFacts.from_json(facts.to_json()) == facts


def test_raw_sql_is_read_when_the_fact_is_made() -> None:
    # No rule parses SQL: the changes and tables of `op.execute` are facts already.
    source = upgrade('op.execute("ALTER TABLE stock DROP COLUMN bin; UPDATE orders SET x = 1")')
    found = testing.facts(source, ALEMBIC_PATH).migrations
    assert [(m.kind, m.table, m.column, m.writes, m.from_sql) for m in found] == [
        ("sql", "", "", ("stock", "orders"), False),
        ("drop_column", "stock", "bin", (), True),
    ]


def test_the_prefilter_passes_a_migration_class_written_over_lines() -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code == "CPL402")
    source = (
        "from django.db import migrations\n\n\nclass Migration(\n    migrations.Migration\n):\n"
        "    operations = [migrations.RemoveField('parcel', 'weight')]\n"
    )
    assert linter.is_candidate(source, "shipping") is True
    framework = "from django.db.migrations import operations\n\n\nclass Autodetector:\n    pass\n"
    assert linter.is_candidate(framework, "shipping") is False


def test_a_migrations_foreign_keys_are_cpl403s_not_cpl203s() -> None:
    # Found on renku: each foreign key of a create_table was reported twice.
    source = upgrade(
        'op.create_table("parcels", sa.Column("sku", sa.String(), sa.ForeignKey("stock.sku")))'
    )
    assert lint("CPL203", source) == []
    assert lint("CPL403", source) == [
        (6, 4, "migration adds a foreign key to table 'stock' owned by service 'inventory'")
    ]
