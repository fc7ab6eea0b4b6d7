"""ORM queries and writes through models of another service's tables (CPL201, CPL202):
the real flake8 sees the models of the file itself, `couplint check` follows the imports
to other modules of the service and to shared packages of the workspace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.facts import FileFacts
from couplint_ast.facts.types import OrmUseFact
from couplint_ast.model import Span
from tests.conftest import ROOT
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]
[tool.couplint.services.orders]
paths = ["orders"]
tables = ["orders", "order_items"]
[tool.couplint.services.inventory]
paths = ["inventory"]
tables = ["stock"]
[tool.couplint.services.web]
paths = ["web"]
tables = ["sessions"]
"""

# Every query and write form, on models this file maps (two of other services', one own).
FORMS = """\
import sqlalchemy as sa
from django.db import models
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Order(Base):
    __tablename__ = "orders"


class WebSession(Base):
    __tablename__ = "sessions"


class Stock(models.Model):
    class Meta:
        db_table = "stock"


def reads(session, oid):
    session.query(Order).filter(Order.id == oid).all()
    session.query(Order.id, Order.total).one()
    session.execute(select(Order).where(Order.id == oid)).scalars().all()
    stmt = sa.select(Order)
    session.get(Order, oid)
    Order.query.filter_by(id=oid).first()
    Stock.objects.filter(sku="x").values("qty")
    Stock.objects.get(sku="x")
    Stock.objects.all()
    Stock.select().where(Stock.qty > 0)
    session.query(WebSession).all()
    return stmt


def writes(session, oid, rows, record: Order):
    session.add(Order(id=oid))
    session.add_all([Order(id=1), Order(id=2)])
    session.merge(record)
    found = session.get(Order, oid)
    session.delete(found)
    session.bulk_save_objects([Order(**row) for row in rows])
    session.bulk_insert_mappings(Order, rows)
    session.query(Order).filter(Order.id == oid).delete()
    session.execute(update(Order).values(total=0))
    session.execute(insert(Order).values(id=1))
    session.execute(delete(Order))
    Stock.objects.create(sku="x")
    Stock.objects.filter(sku="x").update(qty=0)
    Stock.objects.filter(sku="x").delete()
    Stock.objects.bulk_create([Stock(sku="y")])
    Stock.insert(sku="z").execute()
    Stock(sku="w").save()
    session.add(WebSession(id=1))
"""

READ = "CPL201 ORM query on model '{}' reads table '{}' owned by service '{}'"
WRITE = "CPL202 ORM write on model '{}' writes table '{}' owned by service '{}'"
ORDER_READ = READ.format("Order", "orders", "orders")
STOCK_READ = READ.format("Stock", "stock", "inventory")
ORDER_WRITE = WRITE.format("Order", "orders", "orders")
STOCK_WRITE = WRITE.format("Stock", "stock", "inventory")
FORMS_FOUND = [
    f"23:5: {ORDER_READ}",  # session.query(M).filter(...).all()
    f"24:5: {ORDER_READ}",  # columns of one model: once
    f"25:5: {ORDER_READ}",  # select(M), at the session.execute that runs it
    f"26:12: {ORDER_READ}",  # a statement built for later: where it is built
    f"27:5: {ORDER_READ}",  # session.get(M, pk)
    f"28:5: {ORDER_READ}",  # Flask-SQLAlchemy M.query
    f"29:5: {STOCK_READ}",  # Django M.objects.filter().values()
    f"30:5: {STOCK_READ}",
    f"31:5: {STOCK_READ}",
    f"32:5: {STOCK_READ}",  # peewee M.select()
    f"38:5: {ORDER_WRITE}",  # session.add(M(...))
    f"39:5: {ORDER_WRITE}",  # add_all: once per statement
    f"40:5: {ORDER_WRITE}",  # a parameter annotated with the class
    f"41:13: {ORDER_READ}",
    f"42:5: {ORDER_WRITE}",  # an instance a query of this function returned
    f"43:5: {ORDER_WRITE}",  # bulk_save_objects of a comprehension's instances
    f"44:5: {ORDER_WRITE}",  # bulk_insert_mappings(M, rows)
    f"45:5: {ORDER_WRITE}",  # a query ending in .delete(): a write, not a read
    f"46:5: {ORDER_WRITE}",  # update(M)
    f"47:5: {ORDER_WRITE}",  # insert(M)
    f"48:5: {ORDER_WRITE}",  # delete(M)
    f"49:5: {STOCK_WRITE}",  # Django create
    f"50:5: {STOCK_WRITE}",  # .filter().update()
    f"51:5: {STOCK_WRITE}",  # .filter().delete()
    f"52:5: {STOCK_WRITE}",  # bulk_create
    f"53:5: {STOCK_WRITE}",  # peewee M.insert()
    f"54:5: {STOCK_WRITE}",  # instance.save()
]

# Bad input and near misses: computed classes, a class defined twice, a parameter that
# shadows a model, a dict keyed by a class, instances the module does not show.
NEAR_MISSES = """\
from sqlalchemy.orm import declarative_base

Base = declarative_base()
Computed = type("Computed", (Base,), {"__tablename__": "orders"})
Model = registry["stock"]


class Twice(Base):
    __tablename__ = "orders"


class Twice(Base):  # noqa: F811
    __tablename__ = "stock"


class Order(Base):
    __tablename__ = "orders"


def near_misses(session, cache, record, rows):
    session.query(Computed).all()
    session.query(Model).all()
    session.query(Twice).all()
    cache.get(Order)
    session.merge(record)
    session.add_all(rows)
    for row in rows:
        session.add(row)


def shadowed(session, Order):
    return session.query(Order).all()
"""

# Models of other modules: of the same service (a relative import, a package that
# re-exports), of a shared package outside every service, and of nowhere in the workspace.
ACROSS = {
    "web/web/__init__.py": "",
    "web/web/models/__init__.py": "from .stock import StockLevel\n",
    "web/web/models/stock.py": (
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
        "class StockLevel(Base):\n    __tablename__ = 'stock'\n"
    ),
    "web/web/models/own.py": (
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
        "class Visit(Base):\n    __tablename__ = 'sessions'\n"
    ),
    "libs/acme_db/acme_db/__init__.py": "from acme_db.rows import OrderRow\n",
    "libs/acme_db/acme_db/rows.py": (
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
        "class OrderRow(Base):\n    __tablename__ = 'orders'\n"
    ),
    "web/web/jobs.py": (
        "from acme_db import OrderRow\n"
        "from vendor.models import Carrier\n\n"
        "from .models import StockLevel\n"
        "from .models.own import Visit\n"
        "from .models.stock import StockLevel as Level\n\n\n"
        "def run(session, oid):\n"
        "    session.query(OrderRow).filter(OrderRow.id == oid).update({'done': True})\n"
        "    session.merge(OrderRow(id=oid))\n"
        "    low = session.query(StockLevel).all()\n"
        "    session.query(Level).count()\n"
        "    session.query(Visit).all()\n"
        "    session.query(Carrier).all()\n"
        "    return low\n"
    ),
    "orders/app.py": "",
    "inventory/app.py": "",
}


def flake8(cwd: Path, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this working tree's couplint
    )
    assert result.stderr == ""
    return result.stdout.splitlines()


def check(*args: str) -> tuple[int, list[str]]:
    result = cli_runner().invoke(main, ["check", *args])
    return result.exit_code, result.stdout.splitlines()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    files = {"web/web/forms.py": FORMS, "web/web/near.py": NEAR_MISSES, **ACROSS}
    return make_repo(tmp_path, files, CONFIG)


def test_flake8_reports_each_form_on_a_model_of_the_file(repo: Path) -> None:
    lines = flake8(repo, "--select=CPL201,CPL202", "-j1", "web/web/forms.py", "web/web/near.py")
    assert lines == [f"web/web/forms.py:{line}" for line in FORMS_FOUND]


def test_check_reports_the_same_and_follows_models_across_modules(repo: Path) -> None:
    code, lines = check("--select", "CPL201,CPL202")
    assert code == 1
    order_row = "model 'OrderRow' {} table 'orders' owned by service 'orders'"
    level = "model '{}' reads table 'stock' owned by service 'inventory'"
    assert lines == [f"web/web/forms.py:{line}" for line in FORMS_FOUND] + [
        "web/web/jobs.py:10:5: CPL202 ORM write on " + order_row.format("writes"),
        "web/web/jobs.py:11:5: CPL202 ORM write on " + order_row.format("writes"),
        "web/web/jobs.py:12:11: CPL201 ORM query on " + level.format("StockLevel"),
        "web/web/jobs.py:13:5: CPL201 ORM query on " + level.format("StockLevel"),
    ]


def test_flake8_says_nothing_of_models_it_cannot_see(repo: Path) -> None:
    assert flake8(repo, "--select=CPL201,CPL202", "-j1", "web/web/jobs.py") == []


def test_a_model_defined_in_two_modules_is_unknown(repo: Path) -> None:
    (repo / "web/web/models/stock2.py").write_text(
        (repo / "web/web/models/stock.py").read_text().replace("'stock'", "'orders'")
    )
    (repo / "web/web/models/__init__.py").write_text(
        "from .stock import StockLevel\nfrom .stock2 import StockLevel\n"
    )
    code, lines = check("--select", "CPL201,CPL202")
    assert code == 1
    assert [line for line in lines if "jobs.py" in line] == [
        "web/web/jobs.py:10:5: CPL202 ORM write on model 'OrderRow' writes table 'orders'"
        " owned by service 'orders'",
        "web/web/jobs.py:11:5: CPL202 ORM write on model 'OrderRow' writes table 'orders'"
        " owned by service 'orders'",
        # `.models.stock.StockLevel` (line 13) still names one module: it is known.
        "web/web/jobs.py:13:5: CPL201 ORM query on model 'StockLevel' reads table 'stock'"
        " owned by service 'inventory'",
    ]


def test_no_cpl201_for_a_model_whose_table_nobody_owns(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "web/web/a.py": "class Carrier(Base):\n    __tablename__ = 'carriers'\n\n\n"
            "def f(session):\n    return session.query(Carrier).all()\n",
            "orders/app.py": "",
            "inventory/app.py": "",
        },
        CONFIG,
    )
    assert flake8(repo, "--select=CPL", "-j1", ".") == []


def test_joined_models_are_read_once_per_statement(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "web/web/report.py": "from sqlalchemy import func\n\n\n"
            "class Order(Base):\n    __tablename__ = 'orders'\n\n\n"
            "class Stock(Base):\n    __tablename__ = 'stock'\n\n\n"
            "def report(session):\n"
            "    session.query(func.count('*')).select_from(Order).outerjoin(Stock).scalar()\n"
            "    session.query(Order).join(Order).all()\n"
            "    return ','.join(Order)\n",
            "orders/app.py": "",
            "inventory/app.py": "",
        },
        CONFIG,
    )
    assert flake8(repo, "--select=CPL201", "-j1", ".") == [
        f"./web/web/report.py:13:5: {ORDER_READ}",
        f"./web/web/report.py:13:5: {STOCK_READ}",
        f"./web/web/report.py:14:5: {ORDER_READ}",
    ]


def test_orm_uses_survive_a_json_round_trip() -> None:
    facts = FileFacts(
        "a.py", orm_uses=(OrmUseFact(Span(3, 4), ".models.Stock", "read", "session.query"),)
    )
    assert FileFacts.from_json(facts.to_json()) == facts


CHECK_ONLY = re.compile(r"#\s*(CPL\d{3}) \(couplint check\)\s*$")


def test_shop_cross_module_markers_are_what_check_adds(shop: Path) -> None:
    """fixtures/shop marks what only `couplint check` sees with `# CPLnnn (couplint check)`."""
    marked = set()
    for path in sorted(shop.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = CHECK_ONLY.search(line)
            if match:
                marked.add((str(path.relative_to(shop)), number, match.group(1)))
    assert marked
    result = cli_runner().invoke(main, ["check", str(shop), "--select", "CPL201,CPL202"])
    found = set()
    for line in result.stdout.splitlines():
        path, number, _, rest = line.split(":", 3)
        found.add((str(Path(path).resolve().relative_to(shop)), int(number), rest.split()[0]))
    text = flake8(shop, "--select=CPL201,CPL202", "-j1", ".")
    per_file = set()
    for line in text:
        path, number, _, rest = line.split(":", 3)
        per_file.add((str(Path(path)), int(number), rest.split()[0]))
    assert found - per_file == marked


DJANGO_CONFIG = """
[tool.couplint]
[tool.couplint.services.kobocat]
paths = ["kobocat"]
packages = ["onadata"]
tables = ["logger_xform", "logger_instance"]
[tool.couplint.services.kpi]
paths = ["kpi"]
packages = ["kpi"]
"""


def test_django_default_tables_and_models_of_another_services_package(
    tmp_path: Path,
) -> None:
    # kpi queries KoboCAT's models through KoboCAT's package; XForm has no db_table, so it
    # maps Django's default `logger_xform`; an abstract model maps nothing.
    make_repo(
        tmp_path,
        {
            "kobocat/onadata/__init__.py": "",
            "kobocat/onadata/apps/__init__.py": "",
            "kobocat/onadata/apps/logger/__init__.py": "",
            "kobocat/onadata/apps/logger/models.py": (
                "from django.db import models\n\n\nclass Base(models.Model):\n"
                "    class Meta:\n        abstract = True\n\n\n"
                "class XForm(models.Model):\n    title = models.CharField(max_length=9)\n"
            ),
            "kpi/kpi/__init__.py": "",
            "kpi/kpi/deployment.py": (
                "from onadata.apps.logger.models import XForm\n\n\ndef count():\n"
                "    return XForm.objects.filter(title='x').count()\n"
            ),
        },
        DJANGO_CONFIG,
    )
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = cli_runner().invoke(main, ["check", "--no-cache", "--select", "CPL2"])
    finally:
        os.chdir(here)
    assert result.stdout == (
        "kpi/kpi/deployment.py:5:12: CPL201 ORM query on model 'XForm' reads table"
        " 'logger_xform' owned by service 'kobocat'\n"
    )


def test_django_default_table_names_in_the_file_itself(tmp_path: Path) -> None:
    from couplint_ast.config import load_config
    from couplint_ast.testing import lint

    make_repo(tmp_path, {"kobocat/x.py": "", "kpi/x.py": ""}, DJANGO_CONFIG)
    config = load_config(tmp_path / "pyproject.toml")
    source = (
        "from django.db import models\n\n\n"
        "class Abstract(models.Model):\n    class Meta:\n        abstract = True\n\n\n"
        "class XForm(models.Model):\n    pass\n\n\n"
        "class Instance(models.Model):\n    class Meta:\n        app_label = 'logger'\n\n\n"
        "def count():\n    return XForm.objects.count() + Instance.objects.count()\n"
    )
    path = str(tmp_path / "kpi/logger/models.py")
    assert lint(source, ("CPL201", "CPL203"), config, path) == [
        (9, 6, "CPL203", "ORM model 'XForm' maps table 'logger_xform' owned by service 'kobocat'"),
        (
            13,
            6,
            "CPL203",
            "ORM model 'Instance' maps table 'logger_instance' owned by service 'kobocat'",
        ),
        (
            19,
            11,
            "CPL201",
            "ORM query on model 'XForm' reads table 'logger_xform' owned by service 'kobocat'",
        ),
        (
            19,
            35,
            "CPL201",
            "ORM query on model 'Instance' reads table 'logger_instance' owned by service"
            " 'kobocat'",
        ),
    ]


def test_tortoise_models_map_their_class_name_lower_cased(tmp_path: Path) -> None:
    from couplint_ast.config import load_config
    from couplint_ast.testing import lint

    make_repo(tmp_path, {"orders/x.py": "", "inventory/x.py": "", "web/x.py": ""}, CONFIG)
    config = load_config(tmp_path / "pyproject.toml")
    source = (
        "from tortoise import models\nfrom tortoise.models import Model\n\n\n"
        "class Orders(models.Model):\n    pass\n\n\n"
        "class Stock(Model):\n    class Meta:\n        table = 'stock'\n\n\n"
        "class Base(Model):\n    class Meta:\n        abstract = True\n\n\n"
        "class Sessions(Model):  # the own service's\n    pass\n\n\n"
        "async def open_orders():\n    return await Orders.filter(open=True)\n"
    )
    path = str(tmp_path / "web/app/models.py")
    assert lint(source, ("CPL201", "CPL203"), config, path) == [
        (5, 6, "CPL203", "ORM model 'Orders' maps table 'orders' owned by service 'orders'"),
        (11, 8, "CPL203", "ORM model 'Stock' maps table 'stock' owned by service 'inventory'"),
        (
            24,
            17,
            "CPL201",
            "ORM query on model 'Orders' reads table 'orders' owned by service 'orders'",
        ),
    ]
