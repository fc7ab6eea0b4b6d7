"""Regressions found by adversarial review: each test shows one false positive, exactly."""

from __future__ import annotations

import dataclasses
from textwrap import dedent

from couplint_ast import testing
from couplint_ast.engine import Linter
from couplint_ast.model import code_selector
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH

ALEMBIC_PATH = "services/shipping/migrations/versions/0005_backfill.py"
DJANGO_PATH = "services/shipping/shipping/migrations/0002_label.py"

Found = tuple[int, int, str, str]


def lint(source: str, path: str = EXAMPLE_PATH) -> list[Found]:
    """(line, col, code, message) of every rule; the prefilter must not change the answer."""
    return testing.lint(source, ("CPL",), EXAMPLE_CONFIG, path)


def test_sentence_case_prose_with_a_comma_is_not_sql() -> None:
    # sqlglot reads "orders, permanently" as two tables; a UI label is not a statement.
    source = """
        CHOICES = [("purge", "Delete from orders, permanently")]
        CONFIRM = "Insert into orders (then ship)"
        QUERY = "DELETE FROM orders WHERE id = %s"
        LOWER = "delete from stock where sku = %s"
        MIXED = "Select * from stock"
    """
    assert lint(source) == [
        (4, 8, "CPL202", "SQL writes table 'orders' owned by service 'orders'"),
        (5, 8, "CPL202", "SQL writes table 'stock' owned by service 'inventory'"),
        (6, 8, "CPL201", "SQL reads table 'stock' owned by service 'inventory'"),
    ]


def test_table_created_by_the_same_alembic_upgrade_is_new() -> None:
    source = """
        from alembic import op
        import sqlalchemy as sa


        def upgrade():
            op.create_table("tmp_backfill", sa.Column("id", sa.Integer()))
            op.execute("INSERT INTO tmp_backfill SELECT id FROM shipments")
            op.drop_table("tmp_backfill")
            op.execute("CREATE TEMP TABLE tmp_ids AS SELECT id FROM shipments")
            op.execute("DROP TABLE tmp_ids")
            op.create_table("labels", sa.Column("id", sa.Integer(), primary_key=True))
            op.add_column("labels", sa.Column("code", sa.String(), nullable=False))
            op.alter_column("labels", "code", type_=sa.Text())
            op.drop_table("carriers")
            op.create_table("carriers", sa.Column("id", sa.Integer()))
    """
    assert lint(source, ALEMBIC_PATH) == [
        (15, 4, "CPL402", "migration drops table 'carriers' (not backward compatible)"),
    ]


def test_model_created_by_the_same_django_migration_is_new() -> None:
    source = """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            operations = [
                migrations.CreateModel("Label", fields=[("id", models.AutoField())]),
                migrations.AddField("label", "code", models.CharField(max_length=5)),
                migrations.AddField("shipment", "weight", models.IntegerField()),
            ]
    """
    assert lint(source, DJANGO_PATH) == [
        (
            9,
            8,
            "CPL402",
            "migration adds NOT NULL column 'weight' to model 'shipment' without a default"
            " (not backward compatible)",
        ),
    ]


def test_coroutine_scheduled_by_a_startup_handler_is_not_startup() -> None:
    # create_task does not wait: the service starts whether or not 'orders' answers.
    source = """
        import asyncio

        import httpx
        from fastapi import FastAPI

        app = FastAPI()
        client = httpx.AsyncClient(timeout=2)


        async def poll():
            await client.get("http://orders-api/prices")


        @app.on_event("startup")
        async def start():
            asyncio.create_task(poll())
            asyncio.get_running_loop().create_task(client.get("http://orders-api/warm"))
            await poll()
    """
    found = [f for f in lint(source) if f[2] == "CPL401"]
    assert found == [
        (
            12,
            10,
            "CPL401",
            "start-up call to service 'orders' in 'poll', called from startup handler 'start'",
        ),
    ]
    source = source.replace("            await poll()\n", "")
    assert [f for f in lint(source) if f[2] == "CPL401"] == []


def test_setting_or_deleting_a_database_env_var_is_not_a_read() -> None:
    source = """
        import os


        def configure():
            os.environ["ORDERS_DATABASE_URL"] = "sqlite://"
            del os.environ["ORDERS_DATABASE_URL"]
            return os.environ["ORDERS_DATABASE_URL"]
    """
    assert lint(source) == [
        (8, 11, "CPL204", "uses database 'ORDERS_DATABASE_URL' owned by service 'orders'"),
    ]


def test_a_false_default_is_a_default() -> None:
    # Found on Django's own migrations: BooleanField(db_default=False) has a default. A
    # Django `default=` is not one: Django drops it from the table once the column is added.
    source = """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            operations = [
                migrations.AddField("shipment", "fragile", models.BooleanField(default=False)),
                migrations.AddField("shipment", "insured", models.BooleanField(db_default=False)),
                migrations.AddField("shipment", "rush", models.BooleanField(default=None)),
            ]
    """
    assert lint(source, DJANGO_PATH) == [
        (
            7,
            8,
            "CPL402",
            "migration adds NOT NULL column 'fragile' to model 'shipment' with a Django default"
            " only (not in the database) (not backward compatible)",
        ),
        (
            9,
            8,
            "CPL402",
            "migration adds NOT NULL column 'rush' to model 'shipment' without a default"
            " (not backward compatible)",
        ),
    ]


def test_prose_passed_to_an_execute_method_is_not_read_as_sql() -> None:
    # Runners are known by method name only; text no dialect parses must look like SQL.
    source = """
        def nightly(task, cur):
            task.execute("update orders set by the nightly job")
            cur.execute("UPDATE orders SET paid = %s WHERE id = %s")
    """
    assert lint(source) == [
        (4, 4, "CPL202", "SQL writes table 'orders' owned by service 'orders'"),
    ]


def test_openers_urlretrieve_send_and_the_ignored_session_timeout() -> None:
    # Found on the benchmark corpus (django's templates.py, requests' own tests).
    source = """
        import requests
        from urllib.request import build_opener, urlretrieve

        s = requests.Session()
        s.timeout = 5  # requests ignores this attribute


        def fetch(url, prepared):
            opener = build_opener()
            opener.open(url, None, 10)
            urlretrieve("http://orders-api/export.csv", "/tmp/x")
            s.send(prepared)
    """
    # The opener and `send` go where `url` and `prepared` say: unresolved, so only the
    # opt-in CPL305 would name them; the facts still know `send` has no timeout.
    assert lint(source) == [
        (12, 4, "CPL301", "synchronous call to service 'orders' with urllib"),
        (12, 4, "CPL302", "urllib.request.urlretrieve() has no timeout"),
        (12, 4, "CPL303", "call to service 'orders' is not guarded by a circuit breaker"),
        (12, 16, "CPL304", "hard-coded endpoint 'orders-api' of service 'orders'"),
    ]
    facts = Linter.parse_facts(EXAMPLE_PATH, dedent(source))
    assert facts is not None
    assert [(c.span.line, c.api, c.timeout) for c in facts.calls] == [
        (11, "urllib.request.OpenerDirector.open", "call"),
        (12, "urllib.request.urlretrieve", "missing"),
        (13, "requests.Session.send", "missing"),
    ]


def test_a_meta_table_bound_to_a_lowercase_name_passes_the_prefilter() -> None:
    # The prefilter accepted only `table = True | "..." | UPPER_CONST`: CPL203 was lost in
    # flake8 and `check` while the ORM collector resolved any name.
    source = """
        from tortoise import fields
        from tortoise.models import Model

        stock_table = "stock"


        class Stock(Model):
            sku = fields.CharField(max_length=20)

            class Meta:
                table = stock_table
    """
    assert [f for f in lint(source) if f[2] == "CPL203"] == [
        (12, 8, "CPL203", "ORM model 'Stock' maps table 'stock' owned by service 'inventory'")
    ]


def test_the_graph_honours_report_aiohttp_default_timeout() -> None:
    # CPL302 reported the call while the audit said it had a timeout: one state now.
    from couplint_ast.graph import build_graph

    source = dedent(
        """
        import aiohttp

        async def order():
            async with aiohttp.ClientSession() as s:
                return await s.get("http://orders-api/orders")
        """
    )
    facts = Linter.parse_facts(EXAMPLE_PATH, source)
    assert facts is not None
    for strict, timeout in ((False, True), (True, False)):
        config = dataclasses.replace(EXAMPLE_CONFIG, report_aiohttp_default_timeout=strict)
        graph = build_graph([("shipping", facts)], config)
        assert [c.evidence.timeout for c in graph.calls] == [timeout]
        found = Linter(config, code_selector(("CPL302",))).lint_source(EXAMPLE_PATH, source)
        assert [d.code for d in found] == ([] if timeout else ["CPL302"])


def test_newer_syntax_is_read_whatever_python_runs_couplint() -> None:
    # Mailu's fetchmail.py: PEP 701 f-strings (Python 3.12) were "does not parse" on 3.11,
    # because CPython's own parser vets the text before libcst reads it.
    source = (
        "import os\nimport requests\n\n"
        'requests.get(f"{os.environ["ORDERS_API_URL"]}/orders", timeout=2)\n'
    )
    found = [(line, code) for line, _, code, _ in lint(source)]
    assert found == [(4, "CPL301"), (4, "CPL303"), (4, "CPL401")]
    # Text that no Python accepts is still no Python.
    assert lint("import requests\nrequests.get('http://orders-api/x'\n") == []


def test_an_identifier_this_python_does_not_know_is_no_python() -> None:
    # Found by hypothesis: CPython 3.11 rejects U+1342F as a name and libcst's own grammar
    # accepts it, then fails to build the node; the file is "does not parse", no crash.
    assert lint("\U0001342f") == []


def test_a_model_named_in_a_docstring_is_not_read_again_for_the_index() -> None:
    # SQLAlchemy's docstrings hold thousands of `session.query(User)`: `check` reparsed
    # 26 files (60k lines) of the corpus for them; only code counts now.
    from couplint_ast.parse import without_docstrings

    text = (
        'def f(session):\n    """session.query(User)\n\n    more"""\n'
        "    return session.query(Item)\n"
    )
    assert without_docstrings(text) == "def f(session):\n\n\n\n    return session.query(Item)\n"
    assert without_docstrings("def f(:\n") == "def f(:\n"  # not Python: as it is
