"""CPL203: an ORM mapping onto a table owned by another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.tables import foreign_table_owner, table_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule

PHRASES = {
    "Table": "Table() maps",
    "table": "table() maps",
    "foreign_key": "foreign key references",
    "secondary": "relationship(secondary=) maps",
}


class ForeignTableMapping(FileRule):
    """
    ## What it does
    Checks for ORM mappings onto a table owned by another service. They are SQLAlchemy
    `__tablename__` (with `__table_args__` schema), `Table("t", metadata)`,
    `sqlalchemy.table("t")`, `ForeignKey("t.col")`, `ForeignKeyConstraint`,
    `relationship(secondary="t")`; SQLModel `table=True` models (their table is the class
    name, lower-cased, unless `__tablename__` says otherwise) and `Field(foreign_key=)`;
    Django `class Meta: db_table`, peewee `Meta.table_name`, Tortoise `Meta.table`; without
    them, Django's default `<app>_<model>` and Tortoise's class name, lower-cased.
    Django's `ForeignKey("app.Model")` names a model, not a table, and is not reported.

    ## Why is this bad?
    A model on another service's table is a second copy of its schema: every column the
    owner renames or drops breaks this service at run time, and a foreign key into its
    table makes the owner unable to delete or move its own rows.

    ## Example
    ```python
    class StockLevel(Base):
        __tablename__ = "stock"
        sku = Column(String, primary_key=True)
    ```

    Use instead:
    ```python
    class StockSnapshot(Base):
        __tablename__ = "shipment_stock_snapshots"  # this service's own table, fed by events
        sku = Column(String, primary_key=True)
    ```
    Map only your own tables; hold copies of what you need from others, refreshed through
    their API or events, and keep cross-service references as plain ids without a foreign key.

    ## Options
    - `services.<name>.tables`: the tables each service owns (`t`, `schema.t`, `schema.*`).
    """

    code = "CPL203"
    message = "ORM {mapping} table '{table}' owned by service '{owner}'"
    VALID = [
        Valid('class Shipment(Base):\n    __tablename__ = "shipments"  # own table\n'),
        Valid(
            "from django.db import models\n\n\nclass Shipment(models.Model):\n"
            '    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT)'
            "  # a model, not a table\n"
        ),
        Valid("class Stock:\n    table = 'stock'  # no ORM: a plain class attribute\n"),
        Valid('class Carrier(Base):\n    __tablename__ = "carriers"  # nobody owns it\n'),
        Valid('class Report:\n    class Meta:\n        ordering = ["stock"]\n'),
    ]
    INVALID = [
        Invalid(
            'class StockLevel(Base):\n    __tablename__ = "stock"\n',
            line=2,
            col=4,
            message="ORM model 'StockLevel' maps table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            'class Bin(Base):\n    __tablename__ = "bins"\n'
            '    __table_args__ = {"schema": "warehouse"}\n',
            line=2,
            col=4,
            message="ORM model 'Bin' maps table 'warehouse.bins' owned by service 'inventory'",
        ),
        Invalid(
            "import sqlalchemy as sa\n\n"
            'order_items = sa.Table("order_items", metadata, autoload_with=engine)\n',
            line=3,
            col=14,
            message="ORM Table() maps table 'order_items' owned by service 'orders'",
        ),
        Invalid(
            "from sqlalchemy import Column, ForeignKey, Integer\n\n\n"
            'class Shipment(Base):\n    __tablename__ = "shipments"\n'
            '    order_id = Column(Integer, ForeignKey("orders.id"))\n',
            line=6,
            col=31,
            message="ORM foreign key references table 'orders' owned by service 'orders'",
        ),
        Invalid(
            "class Stock(models.Model):\n    class Meta:\n        managed = False\n"
            '        db_table = "stock"\n',
            line=4,
            col=8,
            message="ORM model 'Stock' maps table 'stock' owned by service 'inventory'",
        ),
        Invalid(
            "from sqlmodel import SQLModel\n\n\nclass Stock(SQLModel, table=True):\n    sku: str\n",
            line=4,
            col=6,
            message="ORM model 'Stock' maps table 'stock' owned by service 'inventory'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        if facts.migrations:
            return  # a migration's tables and foreign keys are CPL403's
        for fact in facts.table_mappings:
            owner = foreign_table_owner(config, fact.table, service)
            if owner is None:
                continue
            mapping = f"model '{fact.model}' maps" if fact.kind == "model" else PHRASES[fact.kind]
            yield self.report(facts, fact.span, mapping=mapping, table=fact.table, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return table_needles(config, service)
