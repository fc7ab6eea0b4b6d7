"""Prefilter vocabulary generated from the collectors' own catalogs (no libcst here).

The prefilter (`parse.Prefilter`) lets a file reach libcst only when one of these regexes
occurs in its text, so each comes from the catalog the collector itself reads: a needle
list kept by hand misses what the collector knows (`exec_driver_sql`, `urllib.request`).
Each needle also names the words one of which any text it matches holds (`Needle.words`):
a substring test that spares most files the regex scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from couplint_ast.config import Config
from couplint_ast.facts.catalog import CLIENT_MODULES, PACKAGE_CLIENT
from couplint_ast.parse import Needle

# What a request/reply module imports, and says (`facts.replies`); `nats` requests always are.
REQUEST_IMPORTS = ("pika", "aio_pika", "kombu", "celery", "nats")
REQUEST_WORDS = ("reply_to", "correlation_id", "send_task")

# The ORM collector's catalog (`facts.orm`): Meta keys naming a table, mapping calls.
META_TABLE_KEYS = ("db_table", "table_name", "table")  # Django, peewee, Tortoise
META_SCHEMA_KEYS = ("schema", "db_schema")
# Call name -> the libraries it must come from; "?" also accepts an unresolved receiver
# (`db.Table`, `db.ForeignKey`: Flask-SQLAlchemy's `db` is an instance, not an import).
ORM_CALLS: dict[str, tuple[str, ...]] = {
    "Table": ("sqlalchemy.", "?"),
    "table": ("sqlalchemy.",),
    "ForeignKey": ("sqlalchemy.", "sqlmodel.", "?"),
    "ForeignKeyConstraint": ("sqlalchemy.", "?"),
    "relationship": ("sqlalchemy.", "?"),
    "Field": ("sqlmodel.",),
}
# Class attributes that map a model onto a table, whatever value they hold.
ORM_TABLE_ATTRIBUTES = ("__tablename__", *META_TABLE_KEYS)


def orm_needle() -> str:
    """Where an ORM mapping can be: a table attribute assigned, or a mapping call.

    `table` is also the name of countless variables: it counts only when it is given a
    string or a name (`table = "stock"`, `table = stock_table`, SQLModel's `table=True`),
    not what a call or an attribute returns.
    """
    distinct = [a for a in ORM_TABLE_ATTRIBUTES if a != "table"]
    attributes = "|".join(re.escape(a) for a in distinct)
    calls = "|".join(re.escape(c) for c in ORM_CALLS)
    named = r"""\btable[ \t]*(?::[^=\n]*)?=[ \t]*(?:[rRuUbBfF]{0,2}["']|[A-Za-z_]\w*(?![\w.(\[]))"""
    return (
        rf"\b(?:{attributes})\s*[:=]|{named}|\b(?:{calls})\s*\(|\bforeign_key\s*=|\bsecondary\s*="
    )


def client_needles(others: Iterable[str] = ()) -> list[Needle]:
    """An import of any client library of the catalog, or a generated OpenAPI client's
    `ApiClient` (its package is the project's own: no import names it); with `others`
    (the packages of the other services), a client class built from one of them."""
    needles = [
        *(Needle(_import_needle(m), (_last(m),)) for m in CLIENT_MODULES),
        Needle(r"\bApiClient\s*\(", ("ApiClient",), in_code=True),
        request_reply_needle(),
    ]
    imports = import_needle(others)
    if imports is not None:  # `from billing_client import BillingClient`, then `BillingClient(`
        built = rf"\b{PACKAGE_CLIENT.pattern}\s*\("
        pattern = rf"(?s)\A(?=.*?{imports.pattern}).*?{built}"
        needles.append(Needle(pattern, ("Client", "Api", "API", "Sdk", "SDK")))
    return needles


def other_packages(config: Config, service: str) -> list[str]:
    """The packages of every service but `service`."""
    return [p for s in config.services if s.name != service for p in s.packages]


def request_reply_needle() -> Needle:
    """A broker request/reply (`facts.replies`): a module of a broker library that asks
    for a reply (`reply_to`, `correlation_id`), sends a Celery task, or imports NATS."""
    libraries = "|".join(REQUEST_IMPORTS)
    words = "|".join(REQUEST_WORDS)
    # Read on the code's own text (`parse.code_text`): each import is a line, a call `f(`.
    asks = rf"\b(?:{words})\b|\brequest\("
    imports = rf"^[ \t]*(?:from|import)[ \t][^\n#]*?\b(?:{libraries})\b"
    pattern = rf"(?s)\A(?=.*?{imports}).*?(?:{asks})"
    return Needle(pattern, (*REQUEST_WORDS, "nats"), in_code=True)


def _last(module: str) -> str:
    # Every way of importing `a.b` spells `b` somewhere in the file.
    return module.rsplit(".", 1)[-1]


def _import_needle(module: str) -> str:
    # `import a.b`, `from a.b import x`, `from a import b` (or a parenthesised list).
    head, _, tail = module.partition(".")
    h = re.escape(head)
    full = re.escape(module)
    forms = [rf"from[ \t]+{full}\b", rf"import[ \t](?:[^\n#]*[ ,])?{full}\b"]
    if tail:
        forms.append(rf"from[ \t]+{h}[ \t]+import[ \t]+(?:\(|[^\n#]*\b{re.escape(tail)}\b)")
    return rf"(?:^|[;:])[ \t]*(?:{'|'.join(forms)})"


def import_needle(packages: Iterable[str], imports_only: bool = False) -> Needle | None:
    """A regex matching an import statement of any of `packages` or their submodules.

    With `imports_only`, the rule reads nothing but the file's imports (`Needle`).
    Dotted names are matched whole (`django.contrib.auth`, or `from django.contrib import
    auth`), so declaring a subpackage does not let every import of its root through.
    """
    forms = []
    chosen = sorted(set(packages))
    for package in chosen:
        full = re.escape(package)
        forms.append(rf"from[ \t]+{full}\b")
        forms.append(rf"import[ \t](?:[^\n#]|\\\n)*?(?<![\w.]){full}\b")
        if "." in package:
            parent, name = package.rsplit(".", 1)
            imported = rf"(?:\(|(?:[^\n#]|\\\n)*?\b{re.escape(name)}\b)"
            forms.append(rf"from[ \t]+{re.escape(parent)}[ \t]+import[ \t]+{imported}")
    if not forms:
        return None
    pattern = rf"(?:^|[;:])[ \t]*(?:{'|'.join(forms)})"
    words = tuple(sorted({_last(p) for p in chosen}))
    return Needle(pattern, words, imports_only=imports_only)
