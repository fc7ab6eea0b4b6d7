"""ORM mappings: the tables that models, `Table(...)` objects and foreign keys name.

SQLAlchemy declarative `__tablename__` (schema from `__table_args__`), `Table("t", ...)`,
`table("t")`, `ForeignKey("t.c")`, `ForeignKeyConstraint`, `relationship(secondary="t")`;
SQLModel `table=True` models and `Field(foreign_key=)`; Django, peewee and Tortoise
`class Meta:` (`db_table`, `table_name`, `table`, with `schema`). Django's `ForeignKey`
takes a model (`"app.Model"`), never a table, so only SQLAlchemy's and SQLModel's count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.literals import call_name, keyword, positional
from couplint_ast.facts.needles import META_SCHEMA_KEYS, META_TABLE_KEYS
from couplint_ast.facts.needles import ORM_CALLS as _ORM_CALLS
from couplint_ast.facts.strings import StringResolver
from couplint_ast.facts.types import FactFields, TableMappingFact

DJANGO_MODEL = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
TORTOISE_MODEL = frozenset({"tortoise.models.Model", "tortoise.Model"})
_NAME = re.compile(r"^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)*$")


@dataclass
class _Frame:
    """A class being visited: its body's simple assignments, and its enclosing class."""

    node: cst.ClassDef
    scope: tuple[str, ...]
    outer: _Frame | None
    assigns: dict[str, tuple[cst.CSTNode, cst.BaseExpression]] = field(default_factory=dict)


class OrmCollector(FactCollector):
    """Model classes and mapping calls -> `TableMappingFact`s."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.stack: list[_Frame | None] = []  # None for a function between classes
        self.models: list[_Frame] = []
        self.calls: list[tuple[cst.Call, tuple[str, ...]]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        outer = self.stack[-1] if self.stack else None
        # ctx.scope already holds this class (AssignmentCollector runs first).
        self.stack.append(_Frame(node, tuple(self.ctx.scope), outer))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self.stack.pop()
        if frame is not None:
            self.models.append(frame)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is not None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    frame.assigns[target.target.value] = (target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is not None and node.value is not None and isinstance(node.target, cst.Name):
            frame.assigns[node.target.value] = (node.target, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if call_name(node) in _ORM_CALLS:
            self.calls.append((node, tuple(self.ctx.scope)))

    def facts(self) -> FactFields:
        """The `table_mappings` field of FileFacts."""
        resolver = StringResolver(self.ctx)
        found: list[TableMappingFact] = []
        metas = {
            id(f.outer): f
            for f in self.models
            if f.node.name.value == "Meta" and f.outer is not None
        }
        for frame in self.models:
            found.extend(self._model(frame, resolver))
            if frame.node.name.value != "Meta":
                found.extend(self._django_default(frame, metas.get(id(frame)), resolver))
        for node, scope in self.calls:
            found.extend(self._call(node, scope, resolver))
        return {"table_mappings": tuple(sorted(found, key=lambda f: f.span))}

    def _model(self, frame: _Frame, resolver: StringResolver) -> list[TableMappingFact]:
        name = frame.node.name.value
        if name == "Meta" and frame.outer is not None:
            for key in META_TABLE_KEYS:
                if key in frame.assigns:
                    target, value = frame.assigns[key]
                    schema = _first(frame, META_SCHEMA_KEYS)
                    table = self._table(value, schema, frame.scope, resolver)
                    if table is None:
                        return []
                    model = frame.outer.node.name.value
                    return [TableMappingFact(self.ctx.span(target), table, "model", model)]
            return []
        if "__tablename__" in frame.assigns:
            target, value = frame.assigns["__tablename__"]
            schema = _table_args_schema(frame)
            table = self._table(value, schema, frame.scope, resolver)
            return [TableMappingFact(self.ctx.span(target), table, "model", name)] if table else []
        if any(
            k.keyword is not None and k.keyword.value == "table" and _is_true(k.value)
            for k in frame.node.keywords
        ):  # SQLModel's `table=True` maps the class name, lower-cased
            return [TableMappingFact(self.ctx.span(frame.node.name), name.lower(), "model", name)]
        return []

    def _django_default(
        self, frame: _Frame, meta: _Frame | None, resolver: StringResolver
    ) -> list[TableMappingFact]:
        """A Django model without `db_table` maps `<app_label>_<model>`: the app is
        `Meta.app_label`, else the folder holding `models.py` (or the `models/` package).
        A Tortoise model without `Meta.table` maps its class name, lower-cased. Abstract
        and proxy models map no table of their own."""
        if meta is not None and any(k in meta.assigns for k in META_TABLE_KEYS):
            return []  # named by its Meta: that fact says it
        if meta is not None and any(
            key in meta.assigns and _is_true(meta.assigns[key][1]) for key in ("abstract", "proxy")
        ):
            return []
        name = frame.node.name.value
        if any(self._resolves(b.value, TORTOISE_MODEL) for b in frame.node.bases):
            # Tortoise names a table by its class, lower-cased, when `Meta.table` does not.
            span = self.ctx.span(frame.node.name)
            return [TableMappingFact(span, name.lower(), "model", name)]
        if not any(self._resolves(b.value, DJANGO_MODEL) for b in frame.node.bases):
            return []
        label = meta.assigns.get("app_label") if meta is not None else None
        app = _plain(resolver.value(label[1], meta.scope)) if label and meta else None
        app = app or django_app(self.ctx.path)
        if not app:
            return []
        table = f"{app}_{name}".lower()
        return [TableMappingFact(self.ctx.span(frame.node.name), table, "model", name)]

    def _resolves(self, node: cst.BaseExpression, wanted: frozenset[str]) -> bool:
        dotted = dotted_name(node)
        return dotted is not None and self.ctx.resolve(dotted) in wanted

    def _table(
        self,
        value: cst.BaseExpression,
        schema: cst.BaseExpression | None,
        scope: tuple[str, ...],
        resolver: StringResolver,
    ) -> str | None:
        table = _plain(resolver.value(value, scope))
        if table is None:
            return None
        prefix = _plain(resolver.value(schema, scope)) if schema is not None else None
        return f"{prefix}.{table}" if prefix and "." not in table else table

    def _call(
        self, node: cst.Call, scope: tuple[str, ...], resolver: StringResolver
    ) -> list[TableMappingFact]:
        name = call_name(node) or ""
        if not self._from_orm(node, name):
            return []
        kind = "foreign_key"
        if name in ("Table", "table"):
            kind, first = name, positional(node, 0) or keyword(node, "name")
            schema = keyword(node, "schema")
            table = self._table(first, schema, scope, resolver) if first is not None else None
            tables = {table}
        elif name == "relationship":
            kind, secondary = "secondary", keyword(node, "secondary")
            tables = {_plain(resolver.value(secondary, scope)) if secondary is not None else None}
        else:
            if name == "ForeignKeyConstraint":
                columns = keyword(node, "refcolumns") or positional(node, 1)
                items = columns.elements if isinstance(columns, (cst.List, cst.Tuple)) else ()
                refs = [e.value for e in items if isinstance(e, cst.Element)]
            else:
                ref = keyword(node, "foreign_key") if name == "Field" else positional(node, 0)
                refs = [ref] if ref is not None else []
            tables = {_referenced_table(resolver.value(ref, scope)) for ref in refs}
        found = sorted(t for t in tables if t)
        if not found:
            return []
        span = self.ctx.span(node)  # positions only for what is found
        return [TableMappingFact(span, table, kind) for table in found]

    def _from_orm(self, node: cst.Call, name: str) -> bool:
        """True when the call resolves to an ORM library (or, where allowed, to nothing)."""
        dotted = dotted_name(node.func)
        qualified = self.ctx.resolve(dotted) if dotted else None
        allowed = _ORM_CALLS[name]
        if qualified is not None:
            return qualified.startswith(tuple(a for a in allowed if a != "?"))
        if name == "Table" and positional(node, 1) is None:
            return False  # `ui.Table("stock")`: an ORM table also takes metadata or columns
        return "?" in allowed and isinstance(node.func, cst.Attribute)


def _first(frame: _Frame, keys: tuple[str, ...]) -> cst.BaseExpression | None:
    return next((frame.assigns[k][1] for k in keys if k in frame.assigns), None)


def _table_args_schema(frame: _Frame) -> cst.BaseExpression | None:
    """`schema` of `__table_args__ = {"schema": ...}` or of the dict ending its tuple."""
    if "__table_args__" not in frame.assigns:
        return None
    args = frame.assigns["__table_args__"][1]
    if isinstance(args, cst.Tuple) and args.elements:
        args = args.elements[-1].value
    if not isinstance(args, cst.Dict):
        return None
    for element in args.elements:
        key = element.key if isinstance(element, cst.DictElement) else None
        if isinstance(key, cst.SimpleString) and key.evaluated_value == "schema":
            return element.value
    return None


def _plain(value: str | None) -> str | None:
    """A fully known table name (Django's `'"schema"."table"'` unquoted), or None."""
    if value is None:
        return None
    value = value.replace('"', "").replace("`", "").strip()
    return value if _NAME.match(value) else None


def _referenced_table(value: str | None) -> str | None:
    """`orders` of `"orders.id"`, `billing.invoices` of `"billing.invoices.id"`."""
    plain = _plain(value)
    if plain is None or "." not in plain:
        return None
    return plain.rsplit(".", 1)[0]


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def django_app(path: str) -> str:
    """The Django app of a models file: the folder holding `models.py` or `models/`."""
    parts = PurePosixPath(path).parts
    if len(parts) >= 3 and parts[-2] == "models":
        return parts[-3]
    return parts[-2] if len(parts) >= 2 and parts[-1] == "models.py" else ""
