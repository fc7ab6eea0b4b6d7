"""CPL202: SQL or an ORM write that changes a table owned by another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.tables import foreign_orm_tables, foreign_sql_tables, table_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class ForeignTableWrite(FileRule):
    """
    ## What it does
    Checks for SQL, or an ORM write, that changes a table owned by another service. Writes
    are the target of `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `TRUNCATE`, `COPY ... FROM`,
    `SELECT ... INTO`, and DDL (`CREATE`/`ALTER`/`DROP TABLE`, `CREATE INDEX ON`). Also
    pandas `to_sql`, asyncpg `copy_to_table`/`copy_records_to_table` and psycopg2
    `copy_from`, which name the table.
    SQL is found as for CPL201; a statement that reads and writes gives both codes.

    ORM writes through a model class whose table another service owns are writes too:
    SQLAlchemy `session.add(M(...))`, `add_all`, `merge`, `delete`, `bulk_save_objects` of
    its instances, `bulk_insert_mappings(M, ...)`, `insert(M)`/`update(M)`/`delete(M)`, a
    query ending in `.delete()` or `.update(...)`; Django `M.objects.create/update/delete/
    bulk_create`; peewee `M.insert()`, `M.create()`; `instance.save()`. An instance is known
    by the expression that makes it or a name of the same function bound only to one (or
    annotated with the class). Models are found as for CPL201.

    ## Why is this bad?
    Two services now change the same data, each with its own rules. The owner's invariants
    (stock never negative, an order's total matching its items) break without its code
    running, and no one can tell from the owner's side who changed a row or why.

    ## Example
    ```python
    def reserve(cur, sku):
        cur.execute("UPDATE stock SET qty = qty - 1 WHERE sku = %s", (sku,))
    ```

    Use instead:
    ```python
    def reserve(sku):
        inventory_client.reserve(sku, quantity=1)  # the owner changes its own data
    ```
    Ask the owning service to make the change through its API, or publish an event it
    consumes.

    ## Options
    - `services.<name>.tables`: the tables each service owns (`t`, `schema.t`, `schema.*`).
    """

    code = "CPL202"
    message = "{source} writes table '{table}' owned by service '{owner}'"
    VALID = [
        Valid('cur.execute("INSERT INTO shipments (order_id) VALUES (%s)", (oid,))\n'),
        Valid('cur.execute("SELECT qty FROM stock")  # a read is CPL201, not a write\n'),
        Valid(
            'cur.execute("CREATE TEMP TABLE stock_copy AS SELECT * FROM shipments")'
            "  # not 'stock'\n"
        ),
        Valid('cur.execute("DELETE FROM carriers WHERE id = ?", (cid,))  # unowned table\n'),
        Valid('log.warning("UPDATE stock SET qty = 0 was rejected")\n'),
        Valid(
            'class Shipment(Base):\n    __tablename__ = "shipments"\n\n\n'
            "def ship(session, oid):\n    session.add(Shipment(order_id=oid))  # own table\n"
        ),
        Valid(
            'class Stock(Base):\n    __tablename__ = "stock"\n\n\n'
            "def save(session, record):\n"
            "    session.merge(record)  # what `record` is, the module does not show\n"
        ),
    ]
    INVALID = [
        Invalid(
            'cur.execute("UPDATE stock SET qty = qty - 1 WHERE sku = %s", (sku,))\n',
            line=1,
            message="SQL writes table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            "from sqlalchemy import text\n\n"
            "def copy_items(session):\n"
            "    session.execute(\n"
            '        text("INSERT INTO order_items (order_id, sku) SELECT order_id, sku"\n'
            '             " FROM shipments")\n'
            "    )\n",
            line=4,
            col=4,
            message="SQL writes table 'order_items' owned by service 'orders'",
        ),
        Invalid(
            'frame.to_sql("bins", engine, schema="warehouse", if_exists="append")\n',
            line=1,
            message="SQL writes table 'warehouse.bins' owned by service 'inventory'",
        ),
        Invalid(
            'cur.executescript("CREATE TABLE IF NOT EXISTS shipments (id int);"\n'
            '                  " TRUNCATE stock;")\n',
            line=1,
            message="SQL writes table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            'class Stock(Base):\n    __tablename__ = "stock"\n\n\n'
            "def receive(session, sku):\n    session.add(Stock(sku=sku, qty=1))\n",
            line=6,
            col=4,
            message="ORM write on model 'Stock' writes table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            'class OrderItem(Base):\n    __tablename__ = "order_items"\n\n\n'
            "def purge(session, oid):\n"
            "    session.query(OrderItem).filter(OrderItem.order_id == oid).delete()\n",
            line=6,
            col=4,
            message="ORM write on model 'OrderItem' writes table 'order_items' owned by"
            " service 'orders'",
        ),
        Invalid(
            "class Order(models.Model):\n    class Meta:\n        db_table = 'orders'\n\n\n"
            "def close(oid):\n    Order.objects.filter(id=oid).update(status='shipped')\n",
            line=7,
            col=4,
            message="ORM write on model 'Order' writes table 'orders' owned by service 'orders'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        for span, table, owner in foreign_sql_tables(facts, config, service, "writes"):
            yield self.report(facts, span, source="SQL", table=table, owner=owner)
        for span, model, table, owner in foreign_orm_tables(facts, config, service, "write"):
            source = f"ORM write on model '{model}'"
            yield self.report(facts, span, source=source, table=table, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return table_needles(config, service)
