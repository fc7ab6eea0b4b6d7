"""The tables a service's code says it owns, read from CPython's tree (no libcst).

`couplint init` reads every model file of every service, so it reads only what names a
table outright: `__tablename__ = "t"`, a `Meta` with `db_table`/`table_name`/`table`,
SQLModel's `table=True` (the class name), Flask-SQLAlchemy's `db.Model` without a
`__tablename__` (the class name in snake case), Django's `models.Model` without
`db_table` (`<app>_<model>`), Tortoise's `Model` without `Meta.table` (the class name,
lower-cased), `Table("t", ...)`, Alembic's `create_table("t")` and
Django's `CreateModel(name="M")` (`<app>_<m>`). Files that mention none of these are
never parsed. `CREATE TABLE` in a service's `.sql` files is read with sqlglot.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from couplint_ast.parse import python_tree

GATE = re.compile(
    r"__tablename__|db_table|table_name|create_table|CreateModel|\bTable\(|table\s*=\s*True"
    r"|models\.Model\b|db\.Model\b|\btortoise\b"
)
_META_KEYS = ("db_table", "table_name", "table")


def tables(path: Path, text: str) -> Iterator[tuple[str, int, str]]:
    """(table, line, what says so) of one file."""
    if not GATE.search(text):
        return
    tree = python_tree(text)
    if tree is None:
        return
    app = _app(path)
    schema = _metadata_schema(tree)
    tortoise = any(
        (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "tortoise" for a in n.names))
        or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "tortoise")
        for n in ast.walk(tree)
    )
    for node in ast.walk(tree):
        found: Iterator[tuple[str, int, str]] = iter(())
        if isinstance(node, ast.ClassDef):
            found = _model(node, app, tortoise)
            own = _table_args_schema(node)
        elif isinstance(node, ast.Call):
            found = _call(node, app)
            own = next((_string(k.value) for k in node.keywords if k.arg == "schema"), None)
        else:
            continue
        for table, line, what in found:
            prefix = own or schema
            yield (f"{prefix}.{table}" if prefix and "." not in table else table), line, what


def _model(node: ast.ClassDef, app: str, tortoise: bool) -> Iterator[tuple[str, int, str]]:
    if _sqlalchemy_abstract(node):
        return  # `__abstract__ = True`: a base of models, no table of its own
    named = _assigned(node.body, "__tablename__")
    if named is not None:
        yield named[0], named[1], f"model {node.name}"
        return
    meta = next((n for n in node.body if isinstance(n, ast.ClassDef) and n.name == "Meta"), None)
    for key in _META_KEYS:
        value = _assigned(meta.body, key) if meta is not None else None
        if value is not None:
            yield value[0], value[1], f"model {node.name}, Meta.{key}"
            return
    bases = {_dotted(b) for b in node.bases}
    if any(k.arg == "table" and _true(k.value) for k in node.keywords):
        yield node.name.lower(), node.lineno, f"SQLModel {node.name} (table=True)"
    elif "db.Model" in bases:
        yield _snake(node.name), node.lineno, f"model {node.name} (Flask-SQLAlchemy's default)"
    elif tortoise:
        if bases & {"models.Model", "Model", "tortoise.models.Model"} and not _abstract(meta):
            yield node.name.lower(), node.lineno, f"model {node.name} (Tortoise's default)"
    elif "models.Model" in bases and app and not _abstract(meta):
        default = f"{app}_{node.name.lower()}"
        yield default, node.lineno, f"model {node.name} (Django's default)"


def _call(node: ast.Call, app: str) -> Iterator[tuple[str, int, str]]:
    name = _dotted(node.func).rsplit(".", 1)[-1]
    first = node.args[0] if node.args else None
    if name == "Table" and _string(first) and len(node.args) >= 2:
        yield str(_string(first)), node.lineno, "Table()"
    elif name == "create_table" and _string(first):
        yield str(_string(first)), node.lineno, "migration creates it"
    elif name == "CreateModel" and app:
        model = next((_string(k.value) for k in node.keywords if k.arg == "name"), None)
        model = model or _string(first)
        options = next((k.value for k in node.keywords if k.arg == "options"), None)
        table = _option(options, "db_table")
        if table:
            yield table, node.lineno, "migration creates it"
        elif model:
            yield f"{app}_{model.lower()}", node.lineno, "migration creates it (Django's default)"


def _metadata_schema(tree: ast.AST) -> str | None:
    """`MetaData(schema="billing")` in the file: the schema of its tables, if one."""
    schemas = {
        _string(k.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func).rsplit(".", 1)[-1] == "MetaData"
        for k in node.keywords
        if k.arg == "schema"
    }
    schemas.discard(None)
    return schemas.pop() if len(schemas) == 1 else None


def _table_args_schema(node: ast.ClassDef) -> str | None:
    """`__table_args__ = {"schema": "billing"}` (or a tuple ending with that dict)."""
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        if not any(isinstance(t, ast.Name) and t.id == "__table_args__" for t in statement.targets):
            continue
        value = statement.value
        if isinstance(value, ast.Tuple) and value.elts:
            value = value.elts[-1]
        return _option(value, "schema")
    return None


def _app(path: Path) -> str:
    """The Django app of a file: the folder holding `models.py` or `migrations/`."""
    if path.parent.name in ("migrations", "models"):
        return path.parent.parent.name
    return path.parent.name if path.name == "models.py" else ""


def _assigned(body: list[ast.stmt], key: str) -> tuple[str, int] | None:
    for statement in body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign) and statement.value is not None
            else []
        )
        value = getattr(statement, "value", None)
        text = _string(value)
        if any(isinstance(t, ast.Name) and t.id == key for t in targets) and text:
            return text, statement.lineno
    return None


def _sqlalchemy_abstract(node: ast.ClassDef) -> bool:
    return any(
        isinstance(s, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__abstract__" for t in s.targets)
        and _true(s.value)
        for s in node.body
    )


def _abstract(meta: ast.ClassDef | None) -> bool:
    if meta is None:
        return False
    for statement in meta.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("abstract", "proxy") for t in statement.targets
        ):
            return _true(statement.value)
    return False


def _option(node: ast.expr | None, key: str) -> str | None:
    if not isinstance(node, ast.Dict):
        return None
    for k, v in zip(node.keys, node.values):
        if _string(k) == key:
            return _string(v)
    return None


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _snake(name: str) -> str:
    """Flask-SQLAlchemy's default table name: `OrderItem` -> `order_item`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


_CREATE = re.compile(r"\bcreate\s+(?:or\s+replace\s+)?(?:\w+\s+){0,2}table\b", re.IGNORECASE)


def sql_tables(text: str) -> Iterator[tuple[str, int, str]]:
    """(table, line, what) of each `CREATE TABLE` of a `.sql` file, read by sqlglot."""
    if len(text) > 2_000_000 or not _CREATE.search(text):
        return
    from couplint_ast.sqlddl import ddl_changes  # sqlglot, only for a file with DDL

    for change in ddl_changes(text):
        if change.kind != "create_table" or not change.table:
            continue
        last = change.table.rsplit(".", 1)[-1]
        found = re.search(rf"{_CREATE.pattern}[^;]*?\b{re.escape(last)}\b", text, re.IGNORECASE)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        yield change.table, line, "CREATE TABLE"


def mounts(text: str) -> Iterator[tuple[str, list[str], int]]:
    """(prefix, modules the mounted object may come from, line) of each app or router
    mounted under a path prefix: `app.mount("/p", x)` (also `WSGIMiddleware(x)`),
    `register_blueprint(x, url_prefix="/p")`, `include_router(x, prefix="/p")`."""
    tree = python_tree(text)
    if tree is None:
        return
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                imported[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method == "mount" and len(node.args) >= 2:
            prefix, mounted = _string(node.args[0]), node.args[1]
        elif method in ("register_blueprint", "include_router") and node.args:
            key = "url_prefix" if method == "register_blueprint" else "prefix"
            prefix = next((_string(k.value) for k in node.keywords if k.arg == key), None)
            mounted = node.args[0]
        else:
            continue
        candidates = [mounted, *(mounted.args if isinstance(mounted, ast.Call) else [])]
        heads = [_dotted(c).split(".")[0] for c in candidates]
        modules = [imported[h] for h in heads if h in imported]
        if prefix and modules:
            yield prefix, modules, node.lineno
