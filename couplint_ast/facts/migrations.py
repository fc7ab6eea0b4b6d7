"""Migrations: every schema operation of Alembic revisions and Django migration modules.

Alembic: calls of `alembic.op.*` (through any alias) and of `batch_op.*` inside
`with op.batch_alter_table(...) as batch_op`. Each call's phase comes from the module-level
function it sits in: `upgrade*` and the module's functions they call (transitively) run on
upgrade, `downgrade*` and theirs on downgrade; anything else is not known to run.

Django: the `operations` list of a class deriving from `django.db.migrations.Migration`,
read by `facts.django_migrations`.

Raw SQL (`op.execute`, `RunSQL`) is read here, when the fact is made, through
`couplint_ast.sqlddl` and `sqltables` (this module never imports sqlglot itself), so no rule
parses SQL. Only what the file states literally is recorded:
an argument that is not a known string becomes "" and a flag that is not a literal stays
unknown (None), so nothing is invented.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

import libcst as cst

from couplint_ast.facts.arguments import (
    bind_arguments,
    last_name,
    literal,
    plain_strings,
    sets_value,
    type_spelling,
)
from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.django_migrations import DJANGO_MIGRATION, DjangoMigration
from couplint_ast.facts.strings import StringResolver
from couplint_ast.facts.types import ColumnDef, FactFields, MigrationFact, RevisionFact
from couplint_ast.sqlddl import ddl_changes
from couplint_ast.sqltables import sql_access

Scope = tuple[str, ...]
Batch = tuple[str, cst.Call]

# Positional parameters of each operation (Alembic 1.x `Operations` / `BatchOperations`);
# a trailing "?" marks an optional one. A call missing a required one cannot run: skipped.
ALEMBIC_PARAMS: Mapping[str, tuple[str, ...]] = {
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name?"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "create_exclude_constraint": ("constraint_name", "table_name"),
    "drop_constraint": ("constraint_name", "table_name", "type_?"),
    "create_table_comment": ("table_name", "comment"),
    "drop_table_comment": ("table_name",),
    "bulk_insert": ("table", "rows"),
    "execute": ("sqltext",),
}
# In batch mode the table comes from `batch_alter_table`, so these parameters are absent.
_BATCH_OMITS = frozenset({"table_name", "table_name?", "source_table"})
ALEMBIC_KINDS: Mapping[str, str] = {
    "add_column": "add_column",
    "drop_column": "drop_column",
    "alter_column": "alter_column",
    "create_table": "create_table",
    "drop_table": "drop_table",
    "rename_table": "rename_table",
    "create_index": "index",
    "drop_index": "index",
    "create_foreign_key": "constraint",
    "create_unique_constraint": "constraint",
    "create_check_constraint": "constraint",
    "create_primary_key": "constraint",
    "create_exclude_constraint": "constraint",
    "drop_constraint": "constraint",
    "create_table_comment": "comment",
    "drop_table_comment": "comment",
    "bulk_insert": "insert",
    "execute": "sql",
}
# facts.strings marks unknown parts of a string (holes, env vars) with private-use characters.
_MARKER = re.compile("[\ue000-\uf8ff]")


class MigrationCollector(FactCollector):
    """Records candidate calls, batch contexts, local call edges and Migration classes."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.strings = StringResolver(ctx)
        self.calls: list[tuple[cst.Call, Scope, tuple[Batch, ...]]] = []
        self.batches: list[Batch] = []
        self.with_sizes: list[int] = []
        self.functions: set[str] = set()
        self.edges: dict[str, set[str]] = {}
        self.classes: list[tuple[cst.ClassDef, Scope]] = []
        # Module-level `revision = ...` / `down_revision = ...` (Alembic).
        self.revision_assigns: dict[str, cst.BaseExpression] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.ctx.scope and len(node.targets) == 1:
            self._revision_assign(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self.ctx.scope and node.value is not None:
            self._revision_assign(node.target, node.value)

    def _revision_assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name) and target.value in ("revision", "down_revision"):
            self.revision_assigns[target.value] = value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.ctx.scope) == 1:  # the scope already holds this def: module level
            self.functions.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(last_name(arg.value) == "Migration" for arg in node.bases):
            self.classes.append((node, tuple(self.ctx.scope)))

    def visit_With(self, node: cst.With) -> None:
        size = 0
        for item in node.items:
            if isinstance(item.item, cst.Call) and item.asname is not None:
                alias = item.asname.name
                if isinstance(alias, cst.Name):
                    self.batches.append((alias.value, item.item))
                    size += 1
        self.with_sizes.append(size)

    def leave_With(self, original_node: cst.With) -> None:
        for _ in range(self.with_sizes.pop()):
            self.batches.pop()

    def visit_Call(self, node: cst.Call) -> None:
        scope = tuple(self.ctx.scope)
        if isinstance(node.func, cst.Name) and scope:
            self.edges.setdefault(scope[0], set()).add(node.func.value)
        if isinstance(node.func, (cst.Name, cst.Attribute)):
            self.calls.append((node, scope, tuple(self.batches) if self.batches else ()))

    def facts(self) -> FactFields:
        """The FileFacts fields this collector fills."""
        found: list[MigrationFact] = []
        revisions: list[RevisionFact] = []
        if any(q == "alembic" or q.startswith("alembic.") for q in self.ctx.bindings.values()):
            found.extend(self._alembic())
            if "revision" in self.revision_assigns:
                revisions.append(self._alembic_revision())
        for node, scope in self.classes:
            if any(self.qualified(b.value) in DJANGO_MIGRATION for b in node.bases):
                migration = DjangoMigration(self, node, scope)
                found.extend(migration.operations())
                revisions.append(migration.revision())
        groups = iter(range(1, len(found) + 1))
        migrations = tuple(fact for op in found for fact in _read_sql(op, groups))
        return {"migrations": migrations, "revisions": tuple(revisions[:1])}

    def _alembic_revision(self) -> RevisionFact:
        """The revision id and parents the module states; not `known` unless both are
        literal (a string, None, or a tuple of strings)."""
        revision = plain_strings(self.revision_assigns["revision"])
        down = self.revision_assigns.get("down_revision")
        parents = () if down is None or literal(down) is None else plain_strings(down)
        known = revision is not None and len(revision) == 1 and parents is not None
        return RevisionFact(
            "alembic", revision[0] if known and revision else "", parents or (), known
        )

    # -- Alembic ---------------------------------------------------------------------------

    def _alembic(self) -> Iterator[MigrationFact]:
        upgrade = self._reach("upgrade")
        downgrade = self._reach("downgrade")
        for call, scope, batches in self.calls:
            name = dotted_name(call.func)
            if name is None:
                continue
            head, _, method = name.rpartition(".")
            batch = _innermost(batches, head) if head and "." not in head else None
            table = ""
            if batch is not None:
                if self.qualified(batch.func) != "alembic.op.batch_alter_table":
                    continue
                table = self._table(
                    bind_arguments(batch, ("table_name",)) or {}, "table_name", scope
                )
            elif self.qualified(call.func) != f"alembic.op.{method}":
                continue
            params = ALEMBIC_PARAMS.get(method)
            if params is None:
                continue
            if batch is not None:
                params = tuple(p for p in params if p not in _BATCH_OMITS)
            args = bind_arguments(call, params)
            if args is None:
                continue
            where = scope[0] if scope and scope[0] in self.functions else None
            phase = "upgrade" if where in upgrade else "downgrade" if where in downgrade else ""
            yield from self._alembic_op(call, method, args, scope, phase, table, batch is not None)

    def _alembic_op(
        self,
        call: cst.Call,
        method: str,
        args: Mapping[str, cst.BaseExpression],
        scope: Scope,
        phase: str,
        batch_table: str,
        batched: bool,
    ) -> Iterator[MigrationFact]:
        kind = ALEMBIC_KINDS[method]
        fields: dict[str, Any] = {}
        if batched:
            table = batch_table
        elif method == "rename_table":
            table = self._table(args, "old_table_name", scope)
            fields["new_name"] = self._table(args, "new_table_name", scope)
        elif method == "create_foreign_key":
            table = self._table(args, "source_table", scope, "source_schema")
        elif method == "bulk_insert":
            table = self._table_object(args.get("table"), scope)
        else:
            table = self._table(args, "table_name", scope)
        if method in ("drop_column", "alter_column"):
            fields["column"] = self.text(args.get("column_name"), scope)
        if method == "add_column":
            column = args.get("column")
            fields.update(self._sa_column(column, scope) if column is not None else {})
        elif method == "alter_column":
            fields.update(self._alter(args, scope))
        elif method == "create_table":
            columns = [a.value for a in call.args if a.keyword is None and not a.star][1:]
            fields["references"] = tuple(r for c in columns for r in self._references(c, scope))
            defines = [self._sa_column(c, scope) for c in columns]
            fields["defines"] = tuple(
                ColumnDef(d["column"], d["column_type"], d["nullable"], d["has_default"])
                for d in defines
                if d.get("column")
            )
        elif method in ("create_index", "create_unique_constraint"):
            unique = method == "create_unique_constraint" or literal(args.get("unique")) is True
            fields["unique"] = unique
            fields["columns"] = plain_strings(args.get("columns")) or ()
        elif method == "create_foreign_key":
            ref = self._table(args, "referent_table", scope, "referent_schema")
            fields["references"] = (ref,) if ref else ()
        elif method == "execute":
            sql = self.sql_text(args.get("sqltext"), scope)
            if sql is None:
                return
            fields["sql"] = sql
        yield MigrationFact(self.ctx.span(call), "alembic", kind, phase, table, **fields)

    def _alter(self, args: Mapping[str, cst.BaseExpression], scope: Scope) -> dict[str, Any]:
        """What `alter_column` changes; `existing_*` arguments equal to the new value change
        nothing (autogenerate writes them for MySQL)."""
        nullable = literal(args.get("nullable"))
        if nullable is literal(args.get("existing_nullable")):
            nullable = None
        type_ = args.get("type_")
        existing = args.get("existing_type")
        same_type = type_ is not None and existing is not None and _code(type_) == _code(existing)
        existing_nullable = literal(args.get("existing_nullable"))
        return {
            "column_type": type_spelling(type_),
            "existing_type": type_spelling(existing),
            "existing_nullable": existing_nullable if isinstance(existing_nullable, bool) else None,
            # `server_default=None` drops the default (alembic's "no change" is False).
            "drops_default": "server_default" in args and literal(args["server_default"]) is None,
            "new_name": self.text(args.get("new_column_name"), scope),
            "nullable": nullable if isinstance(nullable, bool) else None,
            "type_change": type_ is not None and literal(type_) is not None and not same_type,
            "has_default": sets_value(args.get("server_default"))
            or sets_value(args.get("existing_server_default")),
        }

    def _sa_column(self, node: cst.BaseExpression, scope: Scope) -> dict[str, Any]:
        """What `sa.Column("name", Type, ..., nullable=..., server_default=...)` adds."""
        if not isinstance(node, cst.Call) or last_name(node.func) != "Column":
            return {}
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        name = self.text(positional[0], scope) if positional else ""
        nullable = literal(keywords.get("nullable"))
        if "nullable" not in keywords:
            # SQLAlchemy's default is nullable unless the column is part of the primary key.
            key = literal(keywords["primary_key"]) if "primary_key" in keywords else False
            nullable = None if key is not False else True  # a key may come from a sequence
        generated = any(last_name(p) in ("Identity", "Computed") for p in positional[1:])
        kind = positional[1] if len(positional) > 1 else keywords.get("type_")
        return {
            "column": name,
            "column_type": type_spelling(kind)
            if kind is not None
            and last_name(kind) not in ("ForeignKey", "Identity", "Computed", "Sequence")
            else "",
            "nullable": nullable if isinstance(nullable, bool) else None,
            "has_default": generated or sets_value(keywords.get("server_default")),
            "references": tuple(self._references(node, scope)),
        }

    def _references(self, node: cst.BaseExpression, scope: Scope) -> Iterator[str]:
        """Tables named by `ForeignKey("t.col")` or `ForeignKeyConstraint([...], ["t.col"])`."""
        if not isinstance(node, cst.Call):
            return
        kind = last_name(node.func)
        if kind == "Column":
            for arg in node.args:
                if arg.keyword is None and not arg.star:
                    yield from self._references(arg.value, scope)
            return
        targets: list[cst.BaseExpression] = []
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if kind == "ForeignKey" and positional:
            targets = [positional[0]]
        elif kind == "ForeignKeyConstraint" and len(positional) > 1:
            refs = positional[1]
            if isinstance(refs, (cst.List, cst.Tuple)):
                targets = [e.value for e in refs.elements]
        for target in targets:
            text = self.text(target, scope)
            if text.count(".") >= 1:  # "table.column" or "schema.table.column"
                yield text.rsplit(".", 1)[0]

    def _table_object(self, node: cst.BaseExpression | None, scope: Scope) -> str:
        """The name of `sa.table("t", ..., schema="s")` passed to `op.bulk_insert`."""
        if not isinstance(node, cst.Call) or last_name(node.func) not in ("table", "Table"):
            return ""
        args = bind_arguments(node, ("name",)) or {}
        return self._table(args, "name", scope)

    # -- shared ----------------------------------------------------------------------------

    def _reach(self, prefix: str) -> set[str]:
        """Module-level functions named `prefix*` and those they call, transitively."""
        todo = [f for f in self.functions if f == prefix or f.startswith(f"{prefix}_")]
        seen = set(todo)
        while todo:
            for callee in self.edges.get(todo.pop(), ()):
                if callee in self.functions and callee not in seen:
                    seen.add(callee)
                    todo.append(callee)
        return seen

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The imported name a Name/Attribute chain stands for, if any."""
        name = dotted_name(node)
        return self.ctx.resolve(name) if name else None

    def text(self, node: cst.BaseExpression | None, scope: Scope) -> str:
        """A string argument's value, or "" when any part of it is not known."""
        if node is None:
            return ""
        value = self.strings.value(node, scope)
        if value is None or _MARKER.search(value):
            return ""
        return value

    def _table(
        self,
        args: Mapping[str, cst.BaseExpression],
        key: str,
        scope: Scope,
        schema_key: str = "schema",
    ) -> str:
        name = self.text(args.get(key), scope)
        schema = self.text(args.get(schema_key), scope)
        return f"{schema}.{name}" if name and schema else name

    def sql_text(self, node: cst.BaseExpression | None, scope: Scope) -> str | None:
        """SQL text of `"..."` or `sa.text("...")`; unknown parts stay as HOLE markers."""
        if isinstance(node, cst.Call) and last_name(node.func) == "text" and node.args:
            node = node.args[0].value
        if node is None:
            return None
        value = self.strings.value(node, scope)
        return value if value and value.strip() else None


def _innermost(batches: tuple[Batch, ...], alias: str) -> cst.Call | None:
    for name, call in reversed(batches):
        if name == alias:
            return call
    return None


def _code(node: cst.CSTNode) -> str:
    """Source text of an expression, spaces dropped, to compare two written types."""
    return "".join(cst.Module([]).code_for_node(node).split())


def _read_sql(fact: MigrationFact, groups: Iterator[int]) -> Iterator[MigrationFact]:
    """A raw SQL operation with the tables it reads and writes, then each change it makes,
    all in one group (history judges the statements of one text together)."""
    if fact.kind != "sql" or not fact.sql:
        yield fact
        return
    access = sql_access(fact.sql)
    reads, writes = (access.reads, access.writes) if access is not None else ((), ())
    group = next(groups)
    yield dataclasses.replace(fact, reads=reads, writes=writes, group=group)
    for change in ddl_changes(fact.sql):
        fields = {f.name: getattr(change, f.name) for f in dataclasses.fields(change)}
        fields["defines"] = tuple(ColumnDef(**dataclasses.asdict(c)) for c in change.defines)
        yield dataclasses.replace(fact, **fields, sql="", from_sql=True, group=group)
