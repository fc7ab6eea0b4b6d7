"""CPL204: a connection to another service's database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.tables import database_needles, foreign_database_owner
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class ForeignDatabase(FileRule):
    """
    ## What it does
    Checks for uses of another service's database (one its `databases` lists). They are an
    environment variable of that list read with `os.environ[...]`, `os.environ.get` or
    `os.getenv` (reported where it is read; setting or deleting it is not a use), a database
    name or host given to
    `create_engine`, `psycopg2.connect`, `psycopg.connect`, `asyncpg.connect`/`create_pool`,
    `databases.Database`, `mysql.connector.connect`, `pymysql.connect`, peewee's database
    classes or `dj_database_url`, a DSN URL literal naming that database or host, and Django
    `DATABASES` `NAME`/`HOST` entries.

    ## Why is this bad?
    A connection to another service's database bypasses its API entirely: this service now
    depends on the other's schema, credentials, capacity and availability, and the owner
    cannot move, split or migrate its database without breaking it.

    ## Example
    ```python
    engine = create_engine(os.environ["ORDERS_DATABASE_URL"])
    ```

    Use instead:
    ```python
    orders = OrdersClient(os.environ["ORDERS_API_URL"], timeout=2)  # the owner's API
    ```
    Each service connects only to its own database; what it needs from another service
    comes through that service's API or events.

    ## Options
    - `services.<name>.databases`: each service's database names, hosts and environment
      variables.
    """

    code = "CPL204"
    message = "uses database '{database}' owned by service '{owner}'"
    VALID = [
        Valid('import os\n\nengine = create_engine(os.environ["SHIPPING_DB_URL"])\n'),
        Valid('DSN = "postgresql://shipping@db:5432/shipping_db"  # own database\n'),
        Valid('import os\n\nSENTRY = os.getenv("SENTRY_DSN")\n'),
        Valid('log.info("set ORDERS_DATABASE_URL to run the report")\n'),
        Valid('environ = {"ORDERS_DATABASE_URL": "x"}\nprint(environ["ORDERS_DATABASE_URL"])\n'),
    ]
    INVALID = [
        Invalid(
            "import os\nfrom sqlalchemy import create_engine\n\n"
            'engine = create_engine(os.environ["ORDERS_DATABASE_URL"])\n',
            line=4,
            col=23,
            message="uses database 'ORDERS_DATABASE_URL' owned by service 'orders'",
        ),
        Invalid(
            "import psycopg2\n\n\ndef connect():\n"
            '    return psycopg2.connect(dbname="inventory_db", user="shipping")\n',
            line=5,
            col=11,
            message="uses database 'inventory_db' owned by service 'inventory'",
        ),
        Invalid(
            'REPORTING_DSN = "postgresql://report:secret@db:5432/orders_db"\n',
            line=1,
            col=16,
            message="uses database 'orders_db' owned by service 'orders'",
        ),
        Invalid(
            "DATABASES = {\n"
            '    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shipping_db"},\n'
            '    "stock": {"ENGINE": "django.db.backends.postgresql", "NAME": "inventory_db"},\n'
            "}\n",
            line=3,
            col=65,
            message="uses database 'inventory_db' owned by service 'inventory'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        seen: set[tuple[int, int, str]] = set()
        for fact in facts.database_refs:
            owner = foreign_database_owner(config, fact.name, service)
            key = (fact.span.line, fact.span.col, fact.name.lower())
            if owner is not None and key not in seen:
                seen.add(key)
                yield self.report(facts, fact.span, database=fact.name, owner=owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return database_needles(config, service)
