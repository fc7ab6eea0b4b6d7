"""CPL201-CPL204 end to end: every runner, string form, ORM style and connection, both ways.

Sources are linted as a file of service 'shipping' under EXAMPLE_CONFIG: orders owns
orders/order_items (databases orders_db, ORDERS_DATABASE_URL), inventory owns stock and
warehouse.* (inventory_db), shipping owns shipments (shipping_db).
"""

from __future__ import annotations

import pytest

from couplint_ast import testing
from couplint_ast.engine import Linter
from couplint_ast.facts import FileFacts
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH

Finding = tuple[int, int, str, str]

FOREIGN = '"SELECT qty FROM stock WHERE sku = %s"'
OWN = '"SELECT qty FROM shipments WHERE id = %s"'


def lint(source: str, select: str = "CPL2") -> list[Finding]:
    """Findings of `source`; the prefilter must never change them."""
    return testing.lint(source, (select,))


def at(source: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """Line (1-based) and column (0-based) of the `nth` occurrence of `needle` in `source`."""
    index = -1
    for _ in range(nth + 1):
        index = source.index(needle, index + 1)
    line = source.count("\n", 0, index) + 1
    return line, index - (source.rfind("\n", 0, index) + 1)


def reads(pos: tuple[int, int], table: str = "stock", owner: str = "inventory") -> Finding:
    return (*pos, "CPL201", f"SQL reads table '{table}' owned by service '{owner}'")


def writes(pos: tuple[int, int], table: str = "stock", owner: str = "inventory") -> Finding:
    return (*pos, "CPL202", f"SQL writes table '{table}' owned by service '{owner}'")


def maps(pos: tuple[int, int], mapping: str, table: str, owner: str = "inventory") -> Finding:
    return (*pos, "CPL203", f"ORM {mapping} table '{table}' owned by service '{owner}'")


def uses(pos: tuple[int, int], database: str, owner: str) -> Finding:
    return (*pos, "CPL204", f"uses database '{database}' owned by service '{owner}'")


# Each runner as `(source with {sql}, the text its finding starts with)`.
RUNNERS = [
    ("cur.execute({sql}, (sku,))\n", "cur.execute"),
    ("cur.executemany({sql}, rows)\n", "cur.executemany"),
    ("conn.executescript({sql})\n", "conn.executescript"),
    ("cur.mogrify({sql}, (sku,))\n", "cur.mogrify"),
    ("cur.copy_expert({sql}, handle)\n", "cur.copy_expert"),
    ("async def f(conn):\n    return await conn.fetch({sql}, 1)\n", "conn.fetch"),
    ("async def f(conn):\n    return await conn.fetchrow({sql}, 1)\n", "conn.fetchrow"),
    ("async def f(conn):\n    return await conn.fetchval({sql}, 1)\n", "conn.fetchval"),
    ("async def f(conn):\n    await conn.execute({sql}, 1)\n", "conn.execute"),
    ("async def f(conn):\n    await conn.executemany({sql}, rows)\n", "conn.executemany"),
    ("async def f(conn):\n    await conn.copy_from_query({sql}, output=fh)\n", "conn.copy_from"),
    ("from sqlalchemy import text\n\nQUERY = text({sql})\n", "text("),
    ("import sqlalchemy as sa\n\nQUERY = sa.text({sql})\n", "sa.text"),
    ("from sqlalchemy import text\n\nconn.execute(text({sql}), {{}})\n", "conn.execute"),
    ("conn.exec_driver_sql({sql}, (1,))\n", "conn.exec_driver_sql"),
    ("session.execute(statement=text({sql}))\n", "session.execute"),
    ("import pandas as pd\n\nframe = pd.read_sql({sql}, engine)\n", "pd.read_sql"),
    (
        "from pandas import read_sql_query\n\nf = read_sql_query(sql={sql}, con=c)\n",
        "read_sql_query(sql",
    ),
    ("rows = Stock.objects.raw({sql}, [sku])\n", "Stock.objects"),
    (
        "from django.db.models.expressions import RawSQL\n\nqs.annotate(n=RawSQL({sql}, ()))\n",
        "RawSQL(",
    ),
    (
        "from django.db import connection\n\n"
        "with connection.cursor() as cursor:\n    cursor.execute({sql}, [sku])\n",
        "cursor.execute",
    ),
    ("db.execute_sql({sql}, (sku,))\n", "db.execute_sql"),
    ("async def f(database):\n    return await database.fetch_all(query={sql})\n", "database."),
    ("async def f(database):\n    return await database.fetch_one(query={sql})\n", "database."),
    ("async def f(database):\n    await database.execute(query={sql}, values={{}})\n", "database."),
    ("from psycopg2 import sql\n\ncur.execute(sql.SQL({sql}))\n", "cur.execute"),
]


@pytest.mark.parametrize(("template", "start"), RUNNERS, ids=[r[1] for r in RUNNERS])
def test_every_runner_reports_foreign_tables(template: str, start: str) -> None:
    source = template.replace("{sql}", FOREIGN).replace("{{}}", "{}")
    assert lint(source) == [reads(at(source, start))]


@pytest.mark.parametrize(("template", "start"), RUNNERS, ids=[r[1] for r in RUNNERS])
def test_every_runner_is_silent_on_own_tables(template: str, start: str) -> None:
    assert lint(template.replace("{sql}", OWN).replace("{{}}", "{}")) == []


TABLE_RUNNERS = [
    ('frame = pd.read_sql_table("stock", engine)\n', reads, "stock"),
    ('frame = pd.read_sql_table("bins", engine, schema="warehouse")\n', reads, "warehouse.bins"),
    ('frame = pd.read_sql("stock", engine)  # a table name, not a query\n', reads, "stock"),
    ('frame.to_sql("stock", engine, if_exists="append")\n', writes, "stock"),
    ('frame.to_sql(name="bins", con=engine, schema="warehouse")\n', writes, "warehouse.bins"),
    ('await conn.copy_from_table("stock", output=fh)\n', reads, "stock"),
    ('await conn.copy_to_table("stock", source=fh)\n', writes, "stock"),
    ('await conn.copy_records_to_table("stock", records=rows)\n', writes, "stock"),
    ('cur.copy_from(handle, "stock", sep=",")\n', writes, "stock"),
    ('cur.copy_to(handle, "stock")\n', reads, "stock"),
]


@pytest.mark.parametrize(("source", "finding", "table"), TABLE_RUNNERS)
def test_runners_given_a_table_name(source: str, finding: object, table: str) -> None:
    source = f"async def f(conn, cur, frame, engine, fh, handle, rows):\n    {source}"
    start = source.split("\n")[1].split("= ")[-1].strip().removeprefix("await ").split("(")[0]
    assert lint(source) == [finding(at(source, start), table)]  # type: ignore[operator]
    assert lint(source.replace('"stock"', '"shipments"').replace('"warehouse"', '"s"')) == []


# String forms: (source, the text its finding starts at), all but the last through execute.
STRING_FORMS = [
    ('cur.execute("SELECT qty FROM stock")\n', "cur"),
    ("cur.execute('SELECT qty '\n            'FROM stock WHERE sku = %s', (sku,))\n", "cur"),
    ('cur.execute("SELECT qty FROM stock WHERE sku = \'" + sku + "\'")\n', "cur"),
    (
        'cur.execute("""\n    SELECT qty\n    FROM stock\n    WHERE sku = %(sku)s\n""", args)\n',
        "cur",
    ),
    ('cur.execute(f"SELECT qty FROM stock WHERE sku = {sku!r}")\n', "cur"),
    ('TABLE = "stock"\ncur.execute(f"SELECT qty FROM {TABLE} WHERE sku = %s", (sku,))\n', "cur"),
    ('cur.execute("SELECT qty FROM %s WHERE id = %d" % ("stock", 3))\n', "cur"),
    ('cur.execute("SELECT qty FROM {t} WHERE id = 1".format(t="stock"))\n', "cur"),
    ('cur.execute(b"SELECT qty FROM stock")\n', "cur"),
    ("cur.execute(b\"SELECT qty FROM stock WHERE note = '\\xff\\xfe'\")\n", "cur"),
    ('SQL = "SELECT qty FROM stock"\n\n\ndef f(cur):\n    cur.execute(SQL)\n', "cur."),
    ('def f(cur):\n    sql = "SELECT qty FROM stock"\n    cur.execute(sql)\n', "cur."),
    (
        'class Repo:\n    SQL = "SELECT qty FROM stock"\n\n'
        "    def get(self):\n        self.cur.execute(self.SQL)\n",
        "self.cur",
    ),
    (
        'def f(cur, sku):\n    q = "SELECT qty FROM stock WHERE sku = " + sku\n'
        "    cur.execute(q)\n",
        "cur.",
    ),
    # Assigned twice: the runner's text is unknown, the first literal is reported.
    (
        'sql = "SELECT qty FROM stock"\nif strict:\n    sql += " WHERE qty > 0"\n'
        "cur.execute(sql)\n",
        '"',
    ),
]


@pytest.mark.parametrize(("source", "start"), STRING_FORMS)
def test_every_string_form(source: str, start: str) -> None:
    assert lint(source) == [reads(at(source, start))]


@pytest.mark.parametrize(
    "source",
    [
        'cur.execute(f"SELECT qty FROM {table}")  # the table is not known\n',
        'cur.execute(f"SELECT qty FROM stock_{region}")\n',
        "from .queries import STOCK_SQL\n\ncur.execute(STOCK_SQL)  # another module: not seen\n",
        "def f(cur, query):\n    cur.execute(query)\n",
        'cur.execute(build("stock"))\n',
        'cur.execute("SELECT qty FROM shipments s JOIN carriers c ON c.id = s.carrier_id")\n',
    ],
)
def test_string_forms_that_name_no_foreign_table(source: str) -> None:
    assert lint(source) == []


@pytest.mark.parametrize(
    ("source", "start"),
    [
        ('LOW = "SELECT sku FROM stock WHERE qty < %s"\n', '"'),
        ('QUERIES = {\n    "low": "SELECT sku FROM stock WHERE qty < 3",\n}\n', '"SELECT'),
        ('QUERIES = [("low", """\nSELECT sku\nFROM stock\n""")]\n', '"""'),
        ('def low():\n    return "SELECT sku FROM stock"\n', '"'),
        ('rows = run_query("select sku from stock where qty = 0")\n', '"'),
        ('from sqlalchemy.sql import text as t\nQ = text("SELECT sku FROM stock")\n', '"'),
    ],
)
def test_sql_with_no_runner_in_sight_is_reported_at_the_literal(source: str, start: str) -> None:
    assert lint(source) == [reads(at(source, start))]


@pytest.mark.parametrize(
    "source",
    [
        '"""SELECT qty FROM stock: this module used to query inventory."""\n',
        'def f():\n    """SELECT qty FROM stock WHERE sku = %s"""\n',
        'class A:\n    """UPDATE stock SET qty = 0"""\n',
        '# cur.execute("SELECT qty FROM stock")\n',
        'log.info("SELECT qty FROM stock took %s ms", ms)\n',
        'logging.getLogger(__name__).warning("DELETE FROM stock failed: %s", err)\n',
        'print("SELECT qty FROM stock")\n',
        'raise RuntimeError(f"SELECT qty FROM stock failed for {sku}")\n',
        'raise ValueError("UPDATE stock SET qty = 0 was refused") from None\n',
        'assert ok, "SELECT qty FROM stock returned nothing"\n',
        'parser.add_argument("--low", help="SELECT sku FROM stock WHERE qty < N")\n',
        'warnings.warn("DELETE FROM stock is deprecated")\n',
        'TITLE = _("Delete from stock")\n',
        'NOTE = "select stock from the menu"\n',
        'HELP = "delete stock from the cart"\n',
        'MAPPING = {"SELECT qty FROM stock": 1}\n',
        'if query == "SELECT qty FROM stock":\n    pass\n',
        'def f():\n    "SELECT qty FROM stock"\n',
    ],
)
def test_prose_is_never_sql(source: str) -> None:
    assert lint(source) == []


def test_a_constant_its_runner_runs_is_reported_once_at_the_runner() -> None:
    source = 'LOW = "SELECT sku FROM stock"\n\n\ndef low(cur):\n    cur.execute(LOW)\n'
    assert lint(source) == [reads(at(source, "cur.execute"))]


def test_reads_and_writes_of_one_statement() -> None:
    source = (
        'cur.execute("INSERT INTO stock (sku) SELECT sku FROM order_items"\n'
        '            " JOIN stock ON true JOIN orders ON true")\n'
    )
    assert lint(source) == [
        reads((1, 0), "order_items", "orders"),
        reads((1, 0), "orders", "orders"),
        reads((1, 0)),
        writes((1, 0)),
    ]


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("SELECT * FROM STOCK", "STOCK"),
        ('SELECT * FROM "Stock"', "Stock"),
        ("SELECT * FROM public.stock", "public.stock"),
        ("SELECT * FROM warehouse.bins", "warehouse.bins"),
        ("SELECT * FROM WAREHOUSE.Bins b JOIN warehouse.bins c ON true", "WAREHOUSE.Bins"),
    ],
)
def test_table_matching(sql: str, table: str) -> None:
    assert lint(f"cur.execute({sql!r})\n") == [reads((1, 0), table)]


@pytest.mark.parametrize("sql", ["SELECT * FROM bins", "SELECT * FROM stock_levels"])
def test_table_matching_near_misses(sql: str) -> None:
    assert lint(f'cur.execute("{sql}")\n') == []


@pytest.mark.parametrize(
    ("source", "start", "mapping", "table", "owner"),
    [
        (
            'class Stock(Base):\n    __tablename__ = "stock"\n',
            "__",
            "model 'Stock' maps",
            "stock",
            "inventory",
        ),
        (
            'class Bin(Base):\n    __table_args__ = (Index("ix"), {"schema": "warehouse"})\n'
            '    __tablename__ = "bins"\n',
            "__tablename__",
            "model 'Bin' maps",
            "warehouse.bins",
            "inventory",
        ),
        (
            'TABLE = "order_items"\n\n\nclass Item(Base):\n    __tablename__ = TABLE\n',
            "__tablename__",
            "model 'Item' maps",
            "order_items",
            "orders",
        ),
        (
            "from sqlalchemy import Table\n\n\nclass Stock(Base):\n"
            '    __table__ = Table("stock", Base.metadata, autoload_with=engine)\n',
            "Table(",
            "Table() maps",
            "stock",
            "inventory",
        ),
        (
            'import sqlalchemy as sa\nbins = sa.Table("bins", meta, schema="warehouse")\n',
            "sa.Table",
            "Table() maps",
            "warehouse.bins",
            "inventory",
        ),
        (
            'items = db.Table("order_items", db.Column("id"))\n',
            "db.Table",
            "Table() maps",
            "order_items",
            "orders",
        ),
        (
            'from sqlalchemy import table\nt = table("stock")\n',
            "table(",
            "table() maps",
            "stock",
            "inventory",
        ),
        (
            'from sqlalchemy import ForeignKey\ncol = Column(ForeignKey("orders.id"))\n',
            "ForeignKey(",
            "foreign key references",
            "orders",
            "orders",
        ),
        (
            'col = db.Column(db.ForeignKey("warehouse.bins.id"))\n',
            "db.ForeignKey",
            "foreign key references",
            "warehouse.bins",
            "inventory",
        ),
        (
            'import sqlalchemy as sa\nfk = sa.ForeignKeyConstraint(["oid"], ["orders.id"])\n',
            "sa.Foreign",
            "foreign key references",
            "orders",
            "orders",
        ),
        (
            "from sqlalchemy.orm import relationship\n"
            'items = relationship("Item", secondary="order_items")\n',
            "relationship(",
            "relationship(secondary=) maps",
            "order_items",
            "orders",
        ),
        (
            "from sqlmodel import SQLModel\n\n\nclass Stock(SQLModel, table=True):\n    sku: str\n",
            "Stock(",
            "model 'Stock' maps",
            "stock",
            "inventory",
        ),
        (
            "from sqlmodel import SQLModel\n\n\nclass Level(SQLModel, table=True):\n"
            '    __tablename__ = "stock"\n',
            "__tablename__",
            "model 'Level' maps",
            "stock",
            "inventory",
        ),
        (
            "from sqlmodel import Field\n\n\nclass Shipment(SQLModel, table=True):\n"
            '    __tablename__ = "shipments"\n    order_id: int = Field(foreign_key="orders.id")\n',
            "Field(",
            "foreign key references",
            "orders",
            "orders",
        ),
        (
            "class Stock(models.Model):\n    class Meta:\n        db_table = 'stock'\n",
            "db_table",
            "model 'Stock' maps",
            "stock",
            "inventory",
        ),
        (
            "class Bin(models.Model):\n    class Meta:\n"
            '        db_table = \'"warehouse"."bins"\'\n',
            "db_table",
            "model 'Bin' maps",
            "warehouse.bins",
            "inventory",
        ),
        (
            "class Bin(peewee.Model):\n    class Meta:\n        schema = 'warehouse'\n"
            "        table_name = 'bins'\n",
            "table_name",
            "model 'Bin' maps",
            "warehouse.bins",
            "inventory",
        ),
        (
            "class Item(Model):\n    class Meta:\n        table = 'order_items'\n",
            "table =",
            "model 'Item' maps",
            "order_items",
            "orders",
        ),
    ],
)
def test_every_orm_style(source: str, start: str, mapping: str, table: str, owner: str) -> None:
    assert lint(source) == [maps(at(source, start), mapping, table, owner)]


@pytest.mark.parametrize(
    "source",
    [
        'class Shipment(Base):\n    __tablename__ = "shipments"\n',
        'class Carrier(Base):\n    __tablename__ = "carriers"\n',
        "from django.db import models\n\n\nclass S(models.Model):\n"
        '    stock = models.ForeignKey("inventory.Stock", on_delete=models.CASCADE)\n',
        'ref = ForeignKey("inventory.Stock")  # not imported from SQLAlchemy: unknown\n',
        "from rich.table import Table\n\nt = Table('stock')\n",
        "t = ui.Table('stock')  # no metadata, no columns: not an ORM table\n",
        "def table(name):\n    return name\n\n\nt = table('stock')\n",
        "from sqlmodel import SQLModel\n\n\n"
        "class Stock(SQLModel):  # no table=True: a schema\n    sku: str\n",
        "class Stock(Base):\n    @declared_attr\n"
        "    def __tablename__(cls):\n        return 'stock'\n",
        "class Report:\n    class Meta:\n        ordering = ['stock']\n"
        "        table = Stock.__table__\n",
        "def f():\n    class Meta:\n        db_table = 'stock'  # no model around it\n",
        "class Stock(Base):\n    __tablename__ = f'{PREFIX}stock'\n",
        "from sqlalchemy import ForeignKey\ncol = Column(ForeignKey(Stock.sku))\n",
    ],
)
def test_orm_near_misses(source: str) -> None:
    assert lint(source) == []


@pytest.mark.parametrize(
    ("source", "start", "database", "owner"),
    [
        (
            "import os\nfrom sqlalchemy import create_engine\n\n"
            'engine = create_engine(os.environ["ORDERS_DATABASE_URL"])\n',
            "os.environ[",
            "ORDERS_DATABASE_URL",
            "orders",
        ),
        (
            'import os\nURL = os.environ.get("ORDERS_DATABASE_URL", "")\n',
            "os.",
            "ORDERS_DATABASE_URL",
            "orders",
        ),
        (
            'from os import getenv\nURL = getenv("orders_database_url")\n',
            "getenv(",
            "orders_database_url",
            "orders",
        ),
        (
            'from os import environ\nURL = environ["ORDERS_DATABASE_URL"]\n',
            "environ[",
            "ORDERS_DATABASE_URL",
            "orders",
        ),
        (
            'import os\nKEY = "ORDERS_DATABASE_URL"\nURL = os.getenv(KEY)\n',
            "os.getenv",
            "ORDERS_DATABASE_URL",
            "orders",
        ),
        (
            'import sqlalchemy\nengine = sqlalchemy.create_engine("postgresql+psycopg2://u@db/orders_db")\n',
            "sqlalchemy.create",
            "orders_db",
            "orders",
        ),
        (
            'from sqlalchemy.ext.asyncio import create_async_engine\nDSN = "postgresql+asyncpg://u@db/orders_db"\n'
            "engine = create_async_engine(DSN)\n",
            "create_async_engine(",
            "orders_db",
            "orders",
        ),
        (
            'import psycopg2\nc = psycopg2.connect("dbname=inventory_db user=x")\n',
            "psycopg2.c",
            "inventory_db",
            "inventory",
        ),
        (
            'import psycopg2\nc = psycopg2.connect(dbname="inventory_db")\n',
            "psycopg2.c",
            "inventory_db",
            "inventory",
        ),
        (
            'import psycopg\nc = psycopg.connect(conninfo="host=db dbname=inventory_db")\n',
            "psycopg.c",
            "inventory_db",
            "inventory",
        ),
        (
            'import asyncpg\nc = asyncpg.connect(database="inventory_db")\n',
            "asyncpg.c",
            "inventory_db",
            "inventory",
        ),
        (
            'import asyncpg\np = asyncpg.create_pool("postgres://u@db/inventory_db")\n',
            "asyncpg.c",
            "inventory_db",
            "inventory",
        ),
        (
            'from databases import Database\nd = Database("postgresql://u@db/orders_db")\n',
            "Database(",
            "orders_db",
            "orders",
        ),
        (
            'import mysql.connector\nc = mysql.connector.connect(database="orders_db")\n',
            "mysql.connector.c",
            "orders_db",
            "orders",
        ),
        (
            'import pymysql\nc = pymysql.connect(host="db", db="orders_db")\n',
            "pymysql.",
            "orders_db",
            "orders",
        ),
        (
            'import peewee\ndb = peewee.PostgresqlDatabase("orders_db")\n',
            "peewee.",
            "orders_db",
            "orders",
        ),
        (
            'import dj_database_url\nDB = dj_database_url.config(env="ORDERS_DATABASE_URL")\n',
            "dj_database_url.c",
            "ORDERS_DATABASE_URL",
            "orders",
        ),
        ('REPORTS = "mysql://report@db:3306/orders_db?charset=utf8"\n', '"', "orders_db", "orders"),
        (
            'REPLICA = "postgresql://report@inventory_db:5432/replica"  # the host\n',
            '"',
            "inventory_db",
            "inventory",
        ),
        (
            'DATABASES = {"default": {"NAME": "shipping_db", "HOST": "db"},\n'
            '             "stock": {"HOST": "inventory_db", "NAME": "replica"}}\n',
            '"inventory_db"',
            "inventory_db",
            "inventory",
        ),
    ],
)
def test_every_connection(source: str, start: str, database: str, owner: str) -> None:
    assert lint(source) == [uses(at(source, start), database, owner)]


@pytest.mark.parametrize(
    "source",
    [
        'import os\nURL = os.environ["SHIPPING_DATABASE_URL"]\n',
        'import os\nSENTRY = os.getenv("SENTRY_DSN")\n',
        'environ = {}\nURL = environ["ORDERS_DATABASE_URL"]  # not os.environ\n',
        "import os\nURL = os.environ.get(name)\n",
        'HELP = "set ORDERS_DATABASE_URL before running"\n',
        'log.info("connecting to orders_db")\n',
        'URL = "https://orders_db.example/api"  # not a database URL\n',
        'import psycopg2\nc = psycopg2.connect(dbname="shipping_db")\n',
        'DSN = "postgresql://u@db/shipping_db"\n',
        'DATABASES = {"default": {"NAME": os.environ["SHIPPING_DB"]}}\n',
        'import psycopg2\nc = psycopg2.connect(f"dbname={name}")\n',
    ],
)
def test_connection_near_misses(source: str) -> None:
    assert lint(source) == []


def test_dsn_given_to_a_connection_is_reported_once_at_the_call() -> None:
    source = (
        "from sqlalchemy import create_engine\n\n"
        'DSN = "postgresql://u@db/orders_db"\nengine = create_engine(DSN)\n'
        'other = create_engine("postgresql://u@db/orders_db")\n'
    )
    assert lint(source) == [
        uses(at(source, "create_engine(DSN"), "orders_db", "orders"),
        uses(at(source, "create_engine(", 1), "orders_db", "orders"),
    ]


def test_all_four_codes_in_one_file() -> None:
    source = (
        "import os\n"
        'URL = os.environ["ORDERS_DATABASE_URL"]\n'
        "class Item(Base):\n"
        '    __tablename__ = "order_items"\n'
        'cur.execute("UPDATE stock SET qty = 0 WHERE sku IN (SELECT sku FROM orders)")\n'
    )
    assert [f[2] for f in lint(source, "CPL")] == ["CPL204", "CPL203", "CPL201", "CPL202"]


def test_the_prefilter_skips_files_that_name_nothing_foreign() -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    own = 'cur.execute("SELECT * FROM shipments")\n'
    assert linter.facts(EXAMPLE_PATH, own, "shipping") is None
    assert linter.facts(EXAMPLE_PATH, own.replace("shipments", "Stock"), "shipping") is not None
    assert linter.facts(EXAMPLE_PATH, "x = os.getenv('ORDERS_database_url')", "shipping")


@pytest.mark.parametrize(
    "source",
    [
        # SQL naming another service's table in a docstring or a comment never runs.
        'def restock():\n    """Runs SELECT * FROM stock nightly."""\n    cur.execute(q)\n',
        '"""Module.\n\n    cur.execute("UPDATE stock SET qty = 0")\n"""\n',
        '# cur.execute("SELECT * FROM stock")\nclass Base:\n    __tablename__ = "shipments"\n',
    ],
)
def test_the_prefilter_skips_sql_that_is_only_prose(source: str) -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    assert linter.is_candidate(source, "shipping") is False
    assert lint(source) == []  # and with the prefilter off, nothing either


@pytest.mark.parametrize(
    "source",
    [
        'def restock():\n    """Nightly."""\n    cur.execute("SELECT * FROM stock")\n',
        'Q = """\n    SELECT * FROM stock\n"""\ncur.execute(Q)\n',
        'cur.execute(b"SELECT qty FROM stock")\n',
        'TABLE = "stock"  # cur.execute\ncur.execute(f"SELECT * FROM {TABLE}")\n',
    ],
)
def test_the_prefilter_passes_sql_in_code(source: str) -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    assert linter.is_candidate(source, "shipping") is True
    assert lint(source) != []


def test_text_this_python_rejects_is_left_to_the_parser() -> None:
    # CPython's tree cannot confirm the SQL is code; parsing decides (here: not Python).
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    assert linter.is_candidate('cur.execute("SELECT * FROM stock"\n', "shipping") is True


def test_facts_survive_a_json_round_trip() -> None:
    source = (
        'import os\nURL = os.environ["ORDERS_DATABASE_URL"]\n'
        'class Item(Base):\n    __tablename__ = "order_items"\n'
        'cur.execute("UPDATE stock SET qty = 0")\n'
    )
    facts = Linter(EXAMPLE_CONFIG).facts(EXAMPLE_PATH, source, None)
    assert facts is not None and facts.sql and facts.table_mappings and facts.database_refs
    assert FileFacts.from_json(facts.to_json()) == facts


def test_ten_thousand_statements_in_one_file() -> None:
    lines = [
        f'cur.execute("UPDATE stock SET qty = {i % 10} WHERE id = %s", (i,))' for i in range(10_000)
    ]
    # One run, prefilter on: libcst alone takes seconds over 10,000 lines.
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    found = linter.lint_source(EXAMPLE_PATH, "\n".join(lines) + "\n")
    assert len(found) == 10_000
    assert (found[-1].line, found[-1].col, found[-1].code) == (10_000, 0, "CPL202")


def test_syntax_errors_and_odd_text_do_not_crash() -> None:
    assert lint('cur.execute("SELECT * FROM stock"\n') == []  # not Python: flake8 says E999
    assert lint("cur.execute(\"SELECT * FROM stock WHERE n = '\\udcff'\")\n") == [reads((1, 0))]
    assert lint("cur.execute('SELECT ' + '(' * 5000 + ' FROM stock')\n") == [reads((1, 0))]


@pytest.mark.parametrize(
    "source",
    [
        'cur.execute("SELECT * FROM shipments s,\\n  stock t WHERE s.sku = t.sku")\n',
        'cur.execute("SELECT * FROM [dbo].[stock]")\n',
        'cur.execute("SELECT * FROM erp.public.stock")\n',
        'cur.execute("ALTER TABLE stock_new RENAME TO stock")\n',
        'cur.execute(f"SELECT * FROM {schema}.stock")\n',
        'cur.execute("SELECT * FROM (stock s JOIN shipments p ON p.sku = s.sku)")\n',
        'cur.execute("""\n    SELECT *\n    FROM\n        stock\n""")\n',
        'T = "stock"\ncur.execute("SELECT * FROM %s" % T)\n',
        'cur.execute("SELECT * FROM shipments WHERE sku IN (SELECT sku FROM `stock`)")\n',
        'cur.execute("DROP TABLE IF EXISTS stock")\n',
        'cur.execute("CREATE INDEX ON stock (sku)")\n',
        "class Stock(SQLModel, table=True):\n    sku: str\n",
        'class Bin(Model):\n    class Meta:\n        db_table = \'"warehouse"."bins"\'\n',
    ],
)
def test_the_prefilter_sees_every_way_of_naming_a_table(source: str) -> None:
    assert lint(source) != []  # lint() also checks that the prefilter changes nothing


@pytest.mark.parametrize(
    ("source", "passes"),
    [
        ('cur.execute("select * from\\n\\tSTOCK")\n', True),  # escaped blanks, any case
        ('cur.execute("SELECT * FROM " + "stock")\n', True),  # a string that starts with it
        (
            "class Stock(Model):\n  class Meta:\n    table = stock_table\nstock_table = 'stock'\n",
            True,
        ),
        # `table` given what a call or a variable holds, in a function: not a model's table.
        ('def copy(rows):\n    table = stock_table\n    return "stock"\n', False),
        ('def copy(rows):\n    table = pick(rows)\n    return "stock"\n', False),
        ('def restock():\n    return stock.reserved("SELECT 1")\n', False),  # no name after FROM
        ('cur.execute("SELECT * FROM stocks")\n', False),  # another name that starts alike
    ],
)
def test_the_prefilter_reads_a_table_name_where_it_occurs(source: str, passes: bool) -> None:
    linter = Linter(EXAMPLE_CONFIG, lambda code: code.startswith("CPL2"))
    assert linter.is_candidate(source, "shipping") is passes
    assert bool(lint(source)) is passes  # lint() also checks the prefilter changes nothing


def test_a_table_every_service_has_is_its_own_first() -> None:
    from pathlib import Path

    from couplint_ast.config import Config, ServiceConfig

    def at(name: str) -> tuple[Path, ...]:
        return (Path(f"services/{name}").absolute(),)

    services = (
        ServiceConfig("shipping", at("shipping"), tables=("schema_migrations",)),
        ServiceConfig("orders", at("orders"), tables=("schema_migrations", "audit")),
        ServiceConfig("billing", at("billing"), tables=("audit",)),
        ServiceConfig("stock", at("stock"), tables=("bins",)),
    )
    config = Config(services=services)
    source = (
        'cur.execute("SELECT * FROM schema_migrations")\n'  # shipping's own: not coupling
        'cur.execute("SELECT * FROM audit")\n'  # orders' and billing's: ambiguous, silent
        'cur.execute("SELECT * FROM bins")\n'  # stock's alone: reported
    )
    assert testing.lint(source, ("CPL201",), config) == [
        (3, 0, "CPL201", "SQL reads table 'bins' owned by service 'stock'")
    ]


def test_table_globs_match_names_and_schemas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from couplint_ast.config import load_config
    from couplint_ast.testing import lint as lint_snippet

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "couplint.toml").write_text(
        '[services.a]\npaths = ["a"]\ntables = ["logger_*", "audit.ev?nt", "exact"]\n'
        '[services.b]\npaths = ["b"]\n'
    )
    config = load_config(tmp_path / "couplint.toml")
    owners = {
        t: config.table_owner(t, "b")
        for t in ("logger_xform", "public.logger_x", "audit.event", "event", "other.event", "log")
    }
    assert owners == {
        "logger_xform": "a",
        "public.logger_x": "a",
        "audit.event": "a",
        "event": "a",
        "other.event": None,
        "log": None,
    }
    source = 'def f(cur):\n    cur.execute("SELECT * FROM logger_xform")\n'
    found = lint_snippet(source, ("CPL201",), config, str(tmp_path / "b" / "q.py"))
    assert found == [(2, 4, "CPL201", "SQL reads table 'logger_xform' owned by service 'a'")]
