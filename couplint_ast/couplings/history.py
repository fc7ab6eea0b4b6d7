"""Schema history: a migration folder read as a chain, and the schema before each revision.

Alembic revisions name their parents (`down_revision`, several for a merge); Django
migrations name theirs in `dependencies` (by app label and name; only those of the same
folder count). Replaying the upgrade operations of every ancestor, parents first, gives
the tables, with their columns' type, nullability and database default, that the previous
release runs against. A missing parent, a cycle or a file that does not state its place
leaves the history unknown (None): rules then judge the file alone.

Work is bounded: the schema after a revision is built from the nearest one kept, so
judging every file of a folder replays each chain about once, in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from couplint_ast.facts.types import MigrationFact, RevisionFact


@dataclass(frozen=True)
class Column:
    """What a column is, as far as the history says: "" or None when it does not."""

    type: str = ""
    nullable: bool | None = None
    default: bool = False


@dataclass(frozen=True)
class Table:
    """A table's real name ("" when the migrations never say it) and its columns."""

    name: str = ""
    columns: dict[str, Column] = field(default_factory=dict)


@dataclass
class Schema:
    """Tables by key: a Django model's name, else the table's name (lowercased).
    `apply` changes it in place; `copy` first what must stay as it was."""

    tables: dict[str, Table] = field(default_factory=dict)

    def copy(self) -> Schema:
        return Schema({k: Table(t.name, dict(t.columns)) for k, t in self.tables.items()})

    def column(self, key: str, name: str) -> Column | None:
        table = self.tables.get(key)
        return table.columns.get(name.lower()) if table is not None else None

    def apply(self, op: MigrationFact) -> None:
        """Change the schema as `op` does (an upgrade operation, raw SQL's changes included)."""
        key = op_key(op)
        table = self.tables.get(key)
        if op.kind == "create_table":
            columns = {
                c.name.lower(): Column(c.type, c.nullable, c.has_default) for c in op.defines
            }
            self.tables[key] = Table(op.table if op.model else "", columns)
        elif op.kind == "drop_table":
            self.tables.pop(key, None)
        elif op.kind in ("rename_table", "rename_model") and op.new_name:
            if op.model and op.kind == "rename_table":  # Django AlterModelTable: same model
                if table is not None:
                    self.tables[key] = Table(op.new_name, table.columns)
            elif table is not None:
                del self.tables[key]
                self.tables[op.new_name.lower()] = table
        elif table is not None and op.column:
            _change_column(table.columns, op)


def _change_column(columns: dict[str, Column], op: MigrationFact) -> None:
    name = op.column.lower()
    if op.kind == "add_column":
        nullable = op.nullable if op.nullable is not None or op.full else True
        columns[name] = Column(op.column_type, nullable, op.has_default)
    elif op.kind == "drop_column":
        columns.pop(name, None)
    elif op.kind == "rename_column" and op.new_name:
        if name in columns:
            columns[op.new_name.lower()] = columns.pop(name)
    elif op.kind == "alter_column":
        columns[name] = after_alter(columns.get(name, Column()), op)
        if op.new_name:
            columns[op.new_name.lower()] = columns.pop(name)


def after_alter(old: Column, op: MigrationFact) -> Column:
    """The column once `alter_column` ran: what it states replaces what was (a Django
    AlterField states the whole column, so what it leaves out takes Django's default)."""
    if op.full:
        stated = op.nullable if op.nullable is not None else False
        return Column(op.column_type or old.type, stated, op.has_default)
    default = old.default
    if op.has_default:
        default = True
    elif op.drops_default:
        default = False
    nullable = op.nullable if op.nullable is not None else old.nullable
    return Column(op.column_type or old.type, nullable, default)


def op_key(op: MigrationFact) -> str:
    """The schema key of the table an operation works on."""
    return (op.model or op.table).lower()


def upgrade_changes(ops: Iterable[MigrationFact]) -> Iterator[MigrationFact]:
    """The operations that change the schema on upgrade (raw SQL through its changes)."""
    return (op for op in ops if op.phase == "upgrade" and op.kind != "sql")


@dataclass(frozen=True)
class Entry:
    """One file of a migration folder: its place, and its operations (None: not read)."""

    path: str
    revision: RevisionFact
    ops: tuple[MigrationFact, ...] | None


class History:
    """The revisions of one folder; `before(path)` is the schema that file's upgrade meets.

    Revisions are sorted once (parents first); one whose parents are all known and which
    is on no cycle is known. The schema after a revision is rebuilt from the nearest one
    kept (the last `KEEP` asked for), so judging a whole folder replays each chain about
    once, in bounded memory.
    """

    KEEP = 32

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.ids: dict[str, str] = {}  # path -> revision id
        self.entries: dict[str, Entry] = {}  # revision id -> entry
        self.parents: dict[str, tuple[str, ...] | None] = {}
        clashes: set[str] = set()
        django_names = {PurePosixPath(e.path).stem for e in entries}
        label = _own_label(entries, django_names)
        for entry in entries:
            node = _node(entry)
            if not node:
                continue
            if node in self.entries:
                clashes.add(node)  # two files claim one revision id: neither is known
            self.ids[entry.path] = node
            self.entries[node] = entry
            self.parents[node] = _parents(entry, label, django_names)
        for node in clashes:
            self.parents[node] = None
        self.order = self._sort()  # the known revisions, parents first
        self.rank = {node: i for i, node in enumerate(self.order)}
        self._kept: dict[str, Schema] = {}

    def _sort(self) -> list[str]:
        """Known revisions in an order where parents come first (Kahn's algorithm)."""
        children: dict[str, list[str]] = {}
        waiting: dict[str, int] = {}
        ready = []
        for node, parents in self.parents.items():
            if parents is None or any(p not in self.parents for p in parents):
                continue  # unknown: neither it nor anything after it is known
            waiting[node] = len(set(parents))
            for parent in set(parents):
                children.setdefault(parent, []).append(node)
            if not parents:
                ready.append(node)
        order = []
        while ready:
            node = ready.pop()
            order.append(node)
            for child in children.get(node, ()):
                if child in waiting:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        ready.append(child)
        return order  # a revision on a cycle, or after an unknown one, never gets here

    def ancestors(self, path: str) -> list[str] | None:
        """The revisions that run before `path`'s, parents first; None when unknown."""
        node = self.ids.get(path)
        if node is None or node not in self.rank:
            return None
        seen: set[str] = set()
        todo = list(self.parents[node] or ())
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(self.parents[parent] or ())
        return sorted(seen, key=self.rank.__getitem__)

    def before(self, path: str) -> Schema | None:
        """The schema the upgrade of `path` runs against (do not change it: copy it);
        None when the history is unknown."""
        node = self.ids.get(path)
        if node is None or node not in self.rank:
            return None
        parents = self.parents[node] or ()
        if len(parents) == 1:
            return self._after(parents[0])
        schema = Schema()
        for ancestor in self.ancestors(path) or ():
            _replay(schema, self.entries[ancestor].ops)
        return schema

    def _after(self, node: str) -> Schema:
        """The schema once `node` ran: from the nearest kept one up its chain (or from
        nothing at a root or a merge), replayed down to it."""
        chain = []
        current = node
        while current not in self._kept:
            chain.append(current)
            parents = self.parents[current] or ()
            if len(parents) != 1:
                break
            current = parents[0]
        if current in self._kept:
            schema = self._kept[current].copy()
        else:
            schema = self.before(self.entries[chain[-1]].path) or Schema()
            schema = schema.copy()
        for step in reversed(chain):
            _replay(schema, self.entries[step].ops)
        if len(self._kept) >= self.KEEP:
            del self._kept[next(iter(self._kept))]
        self._kept[node] = schema
        return schema


def _replay(schema: Schema, ops: Sequence[MigrationFact] | None) -> None:
    for op in upgrade_changes(ops or ()):
        schema.apply(op)


def _node(entry: Entry) -> str:
    if entry.revision.framework == "django":
        return PurePosixPath(entry.path).stem
    return entry.revision.revision


def _parents(entry: Entry, label: str, names: set[str]) -> tuple[str, ...] | None:
    revision = entry.revision
    if not revision.known:
        return None
    if revision.framework != "django":
        return revision.parents
    found = []
    for parent in revision.parents:
        app, _, name = parent.partition(":")
        if app == label and name in names:
            found.append(name)
    return tuple(found)


def _own_label(entries: Sequence[Entry], names: set[str]) -> str:
    """The app label a Django folder's migrations use for each other: the one their
    dependencies name most often with a migration of this folder."""
    counts: dict[str, int] = {}
    for entry in entries:
        if entry.revision.framework == "django":
            for parent in entry.revision.parents:
                app, _, name = parent.partition(":")
                if name in names:
                    counts[app] = counts.get(app, 0) + 1
    return max(sorted(counts), key=counts.__getitem__) if counts else ""
