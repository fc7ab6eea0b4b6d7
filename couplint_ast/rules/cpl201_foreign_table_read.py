"""CPL201: SQL or an ORM query that reads a table owned by another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.tables import foreign_orm_tables, foreign_sql_tables, table_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class ForeignTableRead(FileRule):
    """
    ## What it does
    Checks for SQL, or an ORM query, that reads a table owned by another service. Reads
    are `FROM`, `JOIN`, subqueries, `EXISTS`, `IN (SELECT ...)`, the source of `INSERT ...
    SELECT` and `USING`. SQL is found where it runs: DB-API `execute`/`executemany`/
    `executescript`/`mogrify`/`copy_expert`, asyncpg `fetch*`, SQLAlchemy `text()`/
    `exec_driver_sql`, pandas `read_sql*`, Django `raw`/`RawSQL`, peewee `execute_sql`,
    `databases` `fetch_all`/`fetch_one`, given as a literal, an f-string, a concatenation or
    a name bound in the module. A complete statement with no runner in sight (a module of query
    constants) is reported where it is written. CTE names, aliases, docstrings, comments
    and log messages are not tables.

    ORM queries through a model class whose table another service owns are reads too:
    SQLAlchemy `session.query(M)`, `select(M)` (at the `session.execute(...)` that runs it),
    `session.get(M, pk)`, Flask-SQLAlchemy `M.query`, Django `M.objects.filter/get/all/
    values/...`, peewee and Tortoise `M.select()`, `M.get(...)`; a model a query joins
    (`.join(M)`, `.outerjoin(M)`, `.select_from(M)`) is read too. The model is found in the
    same module by flake8; `couplint check` also follows it to another module of the
    service or to a shared package of the workspace. A class defined twice, or computed at
    run time, is unknown and not reported.

    ## Why is this bad?
    The owner can no longer change its schema without breaking this service, and cannot
    even see that it would: the dependency is invisible in its code, its API and its tests.
    Both services now deploy together, which is what splitting them was meant to end.

    ## Example
    ```python
    def available(cur, sku):
        cur.execute("SELECT qty FROM stock WHERE sku = %s", (sku,))
        return cur.fetchone()[0]
    ```

    Use instead:
    ```python
    def available(sku):
        return inventory_client.get_stock(sku).quantity  # the owner's API
    ```
    Ask the owning service through its API, or keep a read model of your own fed by the
    events it publishes.

    ## Options
    - `services.<name>.tables`: the tables each service owns (`t`, `schema.t`, `schema.*`).
    """

    code = "CPL201"
    message = "{source} reads table '{table}' owned by service '{owner}'"
    VALID = [
        Valid('cur.execute("SELECT * FROM shipments WHERE id = %s", (sid,))  # own table\n'),
        Valid('cur.execute("SELECT name FROM carriers")  # a table nobody owns\n'),
        Valid(
            "cur.execute(\n"
            '    "WITH stock AS (SELECT sku, count(*) AS n FROM shipments GROUP BY sku)"\n'
            '    " SELECT * FROM stock"  # the CTE, not inventory\'s table\n'
            ")\n"
        ),
        Valid('def restock():\n    """Used to run SELECT * FROM stock; now asks the API."""\n'),
        Valid('log.info("select * from orders took %s ms", elapsed)\n'),
        Valid(
            '# cur.execute("SELECT * FROM stock")\nraise ValueError("SELECT FROM stock failed")\n'
        ),
        Valid('TITLE = "Select stock from the list below"  # prose, not a query\n'),
        Valid("def run(cur, query):\n    cur.execute(query)  # built elsewhere: not seen\n"),
        Valid(
            'class Shipment(Base):\n    __tablename__ = "shipments"\n\n\n'
            "def late(session):\n    return session.query(Shipment).all()  # own table\n"
        ),
        Valid(
            "def stock(session, sku):\n"
            "    return session.query(Stock).get(sku)  # a model this file does not map\n"
        ),
        Valid(
            "Stock = registry.model('stock')  # computed: unknown\n\n\n"
            "def levels(session):\n    return session.query(Stock).all()\n"
        ),
    ]
    INVALID = [
        Invalid(
            'cur.execute("SELECT qty FROM stock WHERE sku = %s", (sku,))\n',
            line=1,
            message="SQL reads table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            'BINS_SQL = """\n    SELECT b.id, s.tracking\n    FROM warehouse.bins b\n'
            '    JOIN shipments s ON s.bin_id = b.id\n"""\n\n\n'
            "async def bins(conn):\n    return await conn.fetch(BINS_SQL)\n",
            line=9,
            col=17,
            message="SQL reads table 'warehouse.bins' owned by service 'inventory'",
        ),
        Invalid(
            "def order_of(db, oid):\n"
            '    return db.execute(f"SELECT * FROM orders WHERE id = {oid}").one()\n',
            line=2,
            col=11,
            message="SQL reads table 'orders' owned by service 'orders'",
        ),
        Invalid(
            'ORDERS_PER_DAY = "SELECT day, count(*) FROM orders GROUP BY day"  # no runner here\n',
            line=1,
            col=17,
            message="SQL reads table 'orders' owned by service 'orders'",
        ),
        Invalid(
            'class StockLevel(Base):\n    __tablename__ = "stock"\n\n\n'
            "def low(session):\n"
            "    return session.query(StockLevel).filter(StockLevel.qty < 5).all()\n",
            line=6,
            col=11,
            message="ORM query on model 'StockLevel' reads table 'stock' owned by service"
            " 'inventory'",
        ),
        Invalid(
            "from sqlalchemy import select\n\n\n"
            'class Order(Base):\n    __tablename__ = "orders"\n\n\n'
            "def open_orders(session):\n"
            "    return session.scalars(select(Order).where(Order.open)).all()\n",
            line=9,
            col=11,
            message="ORM query on model 'Order' reads table 'orders' owned by service 'orders'",
        ),
        Invalid(
            "class Stock(models.Model):\n    class Meta:\n        db_table = 'stock'\n\n\n"
            "in_stock = Stock.objects.filter(qty__gt=0).values('sku')\n",
            line=6,
            col=11,
            message="ORM query on model 'Stock' reads table 'stock' owned by service 'inventory'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        for span, table, owner in foreign_sql_tables(facts, config, service, "reads"):
            yield self.report(facts, span, source="SQL", table=table, owner=owner)
        for span, model, table, owner in foreign_orm_tables(facts, config, service, "read"):
            source = f"ORM query on model '{model}'"
            yield self.report(facts, span, source=source, table=table, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return table_needles(config, service)
