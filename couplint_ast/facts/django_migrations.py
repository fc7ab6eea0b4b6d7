"""Django migrations: the `operations` of a `Migration` class, read in order.

`SeparateDatabaseAndState(state_operations=...)`, `RunSQL(state_operations=...)` and
operations on unmanaged models get phase "state" (Django runs no SQL for them);
`RunSQL.reverse_sql` gets "downgrade". A model's table is recorded only when the same file
states it (`CreateModel(options={"db_table": ...})`, `AlterModelTable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import libcst as cst

from couplint_ast.facts.arguments import (
    bind_arguments,
    last_name,
    literal,
    plain_strings,
    sets_value,
    string_dict,
    type_spelling,
)
from couplint_ast.facts.context import ModuleContext, dotted_name
from couplint_ast.facts.types import ColumnDef, MigrationFact, RevisionFact

Scope = tuple[str, ...]


class MigrationReader(Protocol):
    """What a Django migration class needs of the collector that found it."""

    ctx: ModuleContext

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a call's function, through imports."""

    def text(self, node: cst.BaseExpression | None, scope: Scope) -> str:
        """The string value of an argument ("" when unknown)."""

    def sql_text(self, node: cst.BaseExpression | None, scope: Scope) -> str | None:
        """SQL text of an argument, unknown parts as holes."""


# Positional parameters of each operation (Django 4-5); a trailing "?" marks an optional one.
DJANGO_PARAMS: Mapping[str, tuple[str, ...]] = {
    "CreateModel": ("name", "fields", "options?"),
    "DeleteModel": ("name",),
    "RenameModel": ("old_name", "new_name"),
    "AlterModelTable": ("name", "table"),
    "AlterModelTableComment": ("name", "table_comment"),
    "AddField": ("model_name", "name", "field", "preserve_default?"),
    "AlterField": ("model_name", "name", "field", "preserve_default?"),
    "RemoveField": ("model_name", "name"),
    "RenameField": ("model_name", "old_name", "new_name"),
    "AddIndex": ("model_name", "index"),
    "AddIndexConcurrently": ("model_name", "index"),
    "RemoveIndex": ("model_name", "name"),
    "RemoveIndexConcurrently": ("model_name", "name"),
    "RenameIndex": ("model_name", "new_name"),
    "AddConstraint": ("model_name", "constraint"),
    "RemoveConstraint": ("model_name", "name"),
    "AlterUniqueTogether": ("name", "unique_together"),
    "AlterIndexTogether": ("name", "index_together"),
    "RunSQL": ("sql", "reverse_sql?", "state_operations?"),
    "SeparateDatabaseAndState": ("database_operations?", "state_operations?"),
}
DJANGO_KINDS: Mapping[str, str] = {
    "CreateModel": "create_table",
    "DeleteModel": "drop_table",
    "RenameModel": "rename_model",
    "AlterModelTable": "rename_table",
    "AlterModelTableComment": "comment",
    "AddField": "add_column",
    "AlterField": "alter_column",
    "RemoveField": "drop_column",
    "RenameField": "rename_column",
    "AddIndex": "index",
    "AddIndexConcurrently": "index",
    "RemoveIndex": "index",
    "RemoveIndexConcurrently": "index",
    "RenameIndex": "index",
    "AddConstraint": "constraint",
    "RemoveConstraint": "constraint",
    "AlterUniqueTogether": "constraint",
    "AlterIndexTogether": "index",
}
DJANGO_MIGRATION = frozenset(
    {"django.db.migrations.Migration", "django.db.migrations.migration.Migration"}
)
DJANGO_OP_MODULES = ("django.db.migrations.", "django.contrib.postgres.operations.")
# Field classes that add no column to the model's own table (a join table, or nothing).
NO_COLUMN_FIELDS = frozenset({"ManyToManyField", "GenericRelation", "GenericForeignKey"})
# Field classes whose values the database itself supplies (a sequence, a generated column).
DB_VALUED_FIELDS = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "GeneratedField"})


class DjangoMigration:
    """Reads the `operations` list of one Django `Migration` class, in order."""

    def __init__(self, owner: MigrationReader, node: cst.ClassDef, scope: Scope) -> None:
        self.owner = owner
        self.node = node
        self.scope = (*scope, node.name.value)
        self.tables: dict[str, str] = {}  # model -> db_table stated earlier in this file
        self.unmanaged: set[str] = set()

    def operations(self) -> Iterator[MigrationFact]:
        """Every operation of the class's `operations = [...]`."""
        yield from self._list(self._assigned("operations"), "upgrade")

    def revision(self) -> RevisionFact:
        """The migrations this one depends on, as `label:name` (the file's name is its own
        id); not `known` when `dependencies` is not a list of literal pairs."""
        node = self._assigned("dependencies")
        if node is None:
            return RevisionFact("django", "")
        parents: list[str] = []
        known = isinstance(node, (cst.List, cst.Tuple))
        for element in node.elements if isinstance(node, (cst.List, cst.Tuple)) else ():
            pair = plain_strings(element.value)
            if pair is not None and len(pair) == 2:
                parents.append(f"{pair[0]}:{pair[1]}")
            elif not isinstance(element.value, cst.Call):  # swappable_dependency(...): another app
                known = False
        return RevisionFact("django", "", tuple(parents), known)

    def _assigned(self, name: str) -> cst.BaseExpression | None:
        """The value the class body assigns to `name`, if any."""
        body = self.node.body.body if isinstance(self.node.body, cst.IndentedBlock) else ()
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(
                    dotted_name(t.target) == name for t in small.targets
                ):
                    return small.value
        return None

    def _list(self, node: cst.BaseExpression | None, phase: str) -> Iterator[MigrationFact]:
        if isinstance(node, (cst.List, cst.Tuple)):
            for element in node.elements:
                if isinstance(element, cst.Element):
                    yield from self._operation(element.value, phase)

    def _operation(self, node: cst.BaseExpression, phase: str) -> Iterator[MigrationFact]:
        if not isinstance(node, cst.Call):
            return
        qualified = self.owner.qualified(node.func) or ""
        if not qualified.startswith(DJANGO_OP_MODULES):
            return
        name = qualified.rsplit(".", 1)[1]
        params = DJANGO_PARAMS.get(name)
        if params is None:  # RunPython, AlterModelOptions, ...: no SQL that can be read
            return
        args = bind_arguments(node, params)
        if args is None:
            return
        if name == "SeparateDatabaseAndState":
            yield from self._list(args.get("database_operations"), phase)
            yield from self._list(args.get("state_operations"), "state")
            return
        span = self.owner.ctx.span(node)
        if name == "RunSQL":
            back = "downgrade" if phase == "upgrade" else phase
            for key, when in (("sql", phase), ("reverse_sql", back)):
                for sql in self._statements(args.get(key)):
                    yield MigrationFact(span, "django", "sql", when, sql=sql)
            yield from self._list(args.get("state_operations"), "state")
            return
        text = self.owner.text
        model = text(args.get("model_name", args.get("name", args.get("old_name"))), self.scope)
        model = model.lower()
        fields: dict[str, Any] = {"model": model, "table": self.tables.get(model, "")}
        if name == "CreateModel":
            fields["defines"] = tuple(_defines(args.get("fields")))
            options = string_dict(args.get("options"))
            table = text(options.get("db_table"), self.scope)
            if table:
                self.tables[model] = fields["table"] = table
            if literal(options.get("managed")) is False:
                self.unmanaged.add(model)
        elif name == "AlterModelTable":
            fields["new_name"] = new = text(args.get("table"), self.scope)
            self.tables[model] = new
        elif name == "RenameModel":
            fields["new_name"] = new = text(args.get("new_name"), self.scope).lower()
            if model in self.tables:
                self.tables[new] = self.tables[model]
        elif name in ("AddField", "AlterField", "RemoveField", "RenameField"):
            fields["column"] = text(args.get("name", args.get("old_name")), self.scope)
            if name == "RenameField":
                fields["new_name"] = text(args.get("new_name"), self.scope)
            elif name != "RemoveField":
                fields.update(_django_field(args, added=name == "AddField"))
        elif name == "AddConstraint":
            constraint = args.get("constraint")
            if isinstance(constraint, cst.Call) and last_name(constraint) == "UniqueConstraint":
                given = {a.keyword.value: a.value for a in constraint.args if a.keyword}
                columns = plain_strings(given.get("fields")) or ()
                fields.update(unique=True, columns=columns)
        if model in self.unmanaged and phase == "upgrade":
            phase = "state"  # Django runs no SQL for a model it does not manage
        yield MigrationFact(span, "django", DJANGO_KINDS[name], phase, **fields)

    def _statements(self, node: cst.BaseExpression | None) -> Iterator[str]:
        """RunSQL's `sql`: a string, or a list of strings or `(sql, params)` pairs."""
        if node is None:
            return
        items: Iterable[cst.BaseExpression] = [node]
        if isinstance(node, (cst.List, cst.Tuple)):
            items = [e.value for e in node.elements]
        for item in items:
            if isinstance(item, (cst.List, cst.Tuple)) and item.elements:
                item = item.elements[0].value
            sql = self.owner.sql_text(item, self.scope)
            if sql is not None:
                yield sql


def _defines(node: cst.BaseExpression | None) -> Iterator[ColumnDef]:
    """The columns of CreateModel's `fields=[("name", models.XField(...)), ...]`."""
    for element in node.elements if isinstance(node, (cst.List, cst.Tuple)) else ():
        pair = element.value
        if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
            continue
        name = plain_strings(pair.elements[0].value)
        field = _django_field({"field": pair.elements[1].value}, added=True)
        if name and field:
            yield ColumnDef(name[0], field["column_type"], field["nullable"], field["has_default"])


def _django_field(args: Mapping[str, cst.BaseExpression], added: bool) -> dict[str, Any]:
    """Type, nullability and defaults of `models.XField(...)` in AddField / AlterField.

    `default=` is the ORM's: Django sets it on existing rows and drops it from the
    database, so only `db_default=` (or a value the database makes) is a database default.
    """
    field = args.get("field")
    if not isinstance(field, cst.Call) or last_name(field.func) in NO_COLUMN_FIELDS:
        return {}
    keywords = {a.keyword.value: a.value for a in field.args if a.keyword is not None}
    null = literal(keywords.get("null"))
    if "null" not in keywords:
        # Django's default is NOT NULL; AlterField restates every field, so only an
        # explicit `null=False` there says the migration makes the column NOT NULL.
        null = False if added else None
    return {
        "nullable": null if isinstance(null, bool) else None,
        "has_default": sets_value(keywords.get("db_default"), false_is_value=True)
        or last_name(field.func) in DB_VALUED_FIELDS
        or literal(keywords.get("primary_key")) is True,
        "orm_default": sets_value(keywords.get("default"), false_is_value=True),
        "column_type": type_spelling(field),
        "full": True,
        "unique": literal(keywords.get("unique")) is True
        or last_name(field.func) == "OneToOneField",
    }
