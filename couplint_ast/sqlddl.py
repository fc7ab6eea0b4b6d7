"""DDL text -> the schema changes it makes (drop, rename, add, alter), for migration rules.

Statements come from `sqltables.parse_statements` (dialect fallback, placeholders, cache),
so a statement is parsed once however many rules read it. sqlglot is imported only when a
statement is classified. What sqlglot cannot parse, or a name that is not fully known,
yields nothing rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

from couplint_ast.coltypes import column_type
from couplint_ast.sqltables import HOLE_NAME, parse_statements

# MySQL's `RENAME TABLE a TO b[, c TO d]`, which sqlglot keeps as an opaque Command.
_RENAME_TABLE = re.compile(r"^\s*TABLE\s+(.+)$", re.IGNORECASE | re.DOTALL)
_RENAME_PAIR = re.compile(r"^\s*([\w.`\"]+)\s+TO\s+([\w.`\"]+)\s*$", re.IGNORECASE)
# What `parse_statements` makes of a part of the text that is not known (an f-string hole).
_UNKNOWN = re.compile(re.escape(HOLE_NAME), re.IGNORECASE)


@dataclass(frozen=True)
class DdlColumn:
    """A column a statement defines (`CREATE TABLE`): as `facts.types.ColumnDef`."""

    name: str
    type: str = ""
    nullable: Optional[bool] = None  # noqa: UP045 - keeps the module importable on 3.9
    has_default: bool = False


@dataclass(frozen=True)
class DdlChange:
    """One schema change of one statement; `kind` uses `MigrationFact.kind`'s vocabulary,
    and the other fields mean what `MigrationFact`'s do."""

    kind: str
    table: str
    column: str = ""
    new_name: str = ""
    nullable: Optional[bool] = None  # noqa: UP045 - keeps the module importable on 3.9
    has_default: bool = False
    type_change: bool = False
    references: tuple[str, ...] = ()
    column_type: str = ""
    drops_default: bool = False
    unique: bool = False
    columns: tuple[str, ...] = ()
    defines: tuple[DdlColumn, ...] = ()
    full: bool = False  # MySQL MODIFY restates the whole column


def ddl_changes(text: str) -> list[DdlChange]:
    """The schema changes of every statement in `text`; [] when it does not parse."""
    statements = parse_statements(text)
    if not statements:
        return []
    changes: list[DdlChange] = []
    for statement in statements:
        try:
            changes.extend(statement_changes(statement))
        except (AttributeError, TypeError, ValueError):  # an unusual tree shape: skip it
            continue
    return changes


def statement_changes(statement: Any) -> Iterator[DdlChange]:
    """The changes of one parsed sqlglot statement (DML and queries make none)."""
    from sqlglot import exp

    if isinstance(statement, exp.Alter) and str(statement.args.get("kind", "")).upper() == "TABLE":
        table = table_name(statement.this)
        for action in statement.args.get("actions") or ():
            yield from _alter_action(table, action)
    elif isinstance(statement, exp.Drop):
        kind = str(statement.args.get("kind", "")).upper()
        if kind == "TABLE":
            for target in statement.args.get("tables") or [statement.this]:
                yield DdlChange("drop_table", table_name(target))
        elif kind == "INDEX":
            yield DdlChange("index", "")
    elif isinstance(statement, exp.Create):
        kind = str(statement.args.get("kind", "")).upper()
        target = statement.this
        if kind == "TABLE":
            refs = tuple(_references(target))
            defines = tuple(
                DdlColumn(_name(c.this), _type(c), *_column_def(c))
                for c in (target.expressions if isinstance(target, exp.Schema) else ())
                if isinstance(c, exp.ColumnDef)
            )
            yield DdlChange("create_table", table_name(target), references=refs, defines=defines)
        elif kind == "INDEX" and isinstance(target, exp.Index):
            params = target.args.get("params")
            ordered = params.args.get("columns") or () if params is not None else ()
            columns = tuple(_name(o.this) for o in ordered)
            yield DdlChange(
                "index",
                table_name(target.args.get("table")),
                unique=bool(statement.args.get("unique")),
                columns=columns,
            )
    elif isinstance(statement, exp.Command) and str(statement.this).upper() == "RENAME":
        rest = statement.expression
        yield from _rename_tables(rest.name if isinstance(rest, exp.Expression) else str(rest))


def table_name(node: Any) -> str:
    """`schema.table` (or `table`) of a sqlglot Table/Schema; "" when not fully known."""
    from sqlglot import exp

    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table) or not node.name:
        return ""
    name = f"{node.db}.{node.name}" if node.db else node.name
    return "" if _UNKNOWN.search(name) else name


def _alter_action(table: str, action: Any) -> Iterator[DdlChange]:
    from sqlglot import exp

    # sqlglot accepts `DROP COLUMN` with no column: a change without its column is no change.
    column_actions = (exp.RenameColumn, exp.AlterColumn, exp.ColumnDef, exp.ModifyColumn)
    if isinstance(action, column_actions) and _missing(action.this):
        return
    if isinstance(action, exp.Drop):
        if str(action.args.get("kind", "")).upper() == "COLUMN":
            for column in action.args.get("tables") or [action.this]:
                if not _missing(column):
                    yield DdlChange("drop_column", table, _name(column))
        else:
            yield DdlChange("constraint", table)
    elif isinstance(action, exp.RenameColumn):
        if _missing(action.args.get("to")):
            return
        yield DdlChange("rename_column", table, _name(action.this), _name(action.args.get("to")))
    elif isinstance(action, exp.AlterRename):
        yield DdlChange("rename_table", table, new_name=table_name(action.this))
    elif isinstance(action, exp.AlterColumn):
        allow_null = action.args.get("allow_null")
        dtype = action.args.get("dtype")
        yield DdlChange(
            "alter_column",
            table,
            _name(action.this),
            nullable=None if allow_null is None else bool(allow_null),
            has_default=action.args.get("default") is not None,
            type_change=dtype is not None,
            column_type=_spelling(dtype),
            drops_default=bool(action.args.get("drop")) and allow_null is None,
        )
    elif isinstance(action, exp.ColumnDef):
        nullable, has_default = _column_def(action)
        refs = tuple(_references(action))
        yield DdlChange(
            "add_column",
            table,
            _name(action.this),
            "",
            nullable,
            has_default,
            False,
            refs,
            column_type=_type(action),
        )
    elif isinstance(action, exp.ModifyColumn):  # MySQL MODIFY / CHANGE: restates the column
        definition = action.this
        renamed = action.args.get("rename_from")
        if renamed is not None:
            yield DdlChange("rename_column", table, _name(renamed), _name(definition))
        nullable, has_default = _column_def(definition)
        yield DdlChange(
            "alter_column",
            table,
            _name(definition),
            nullable=nullable,
            has_default=has_default,
            type_change=renamed is None,
            column_type=_type(definition),
            full=True,
        )
    elif isinstance(action, exp.AddConstraint):
        unique = [u for u in action.find_all(exp.UniqueColumnConstraint)]
        columns = tuple(
            _name(c) for u in unique if isinstance(u.this, exp.Schema) for c in u.this.expressions
        )
        yield DdlChange(
            "constraint",
            table,
            references=tuple(_references(action)),
            unique=bool(unique),
            columns=columns,
        )
    else:
        yield DdlChange("alter_table", table)


def _type(node: Any) -> str:
    """The `coltypes` spelling of a column definition's type."""
    return _spelling(node.args.get("kind"))


def _spelling(dtype: Any) -> str:
    from sqlglot import exp

    if not isinstance(dtype, exp.DataType):
        return ""
    name = str(dtype.this.value) if hasattr(dtype.this, "value") else str(dtype.this)
    params = []
    for param in dtype.expressions:
        text = param.this.name if isinstance(param.this, exp.Literal) else ""
        params.append(int(text) if text.isdigit() else text)
    return column_type(name.replace("_", " ") if name == "DOUBLE_PRECISION" else name, params)


def _column_def(node: Any) -> tuple[bool | None, bool]:
    """(nullable, has a database default) of a column definition."""
    from sqlglot import exp

    if not isinstance(node, exp.ColumnDef):
        return None, False
    nullable: bool | None = True
    has_default = False
    for constraint in node.args.get("constraints") or ():
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            nullable = False
        elif isinstance(
            kind,
            (
                exp.DefaultColumnConstraint,
                exp.GeneratedAsIdentityColumnConstraint,
                exp.ComputedColumnConstraint,
                exp.AutoIncrementColumnConstraint,
            ),
        ):
            has_default = True
    kind_type = node.args.get("kind")
    if isinstance(kind_type, exp.DataType) and "SERIAL" in str(kind_type.this).upper():
        has_default = True
    return nullable, has_default


def _references(node: Any) -> Iterator[str]:
    """Tables that `REFERENCES t (...)` clauses below `node` point to."""
    from sqlglot import exp

    for reference in node.find_all(exp.Reference):
        name = table_name(reference.this)
        if name:
            yield name


def _rename_tables(text: str) -> Iterator[DdlChange]:
    match = _RENAME_TABLE.match(text)
    if match is None:
        return
    for pair in match.group(1).split(","):
        names = _RENAME_PAIR.match(pair)
        if names is not None:
            old, new = (n.replace("`", "").replace('"', "") for n in names.groups())
            if not _UNKNOWN.search(old + new):
                yield DdlChange("rename_table", old, new_name=new)


def _missing(node: Any) -> bool:
    """True when a part the statement needs is absent (not merely unknown)."""
    return node is None or not getattr(node, "name", "")


def _name(node: Any) -> str:
    name = str(getattr(node, "name", "") or "")
    return "" if _UNKNOWN.search(name) else name
