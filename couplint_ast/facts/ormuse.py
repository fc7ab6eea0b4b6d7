"""ORM usage: the queries and writes made through model classes -> `OrmUseFact`s.

Which table a model maps is not decided here (`couplings.tables` reads this file's
mappings, the workspace index another module's); this only says which class a statement
reads or writes through, qualified through the module's imports:

- queries: `session.query(M, M.col)`, `select(M)`, `session.get(M, pk)`, Flask-SQLAlchemy
  `M.query...`, Django `M.objects.filter/get/all/values/...`, peewee and Tortoise
  `M.select()`, `M.get(...)`, `M.filter(...)`;
- writes: `session.add(M(...))`, `add_all`, `merge`, `delete`, `bulk_save_objects` of
  instances, `bulk_insert_mappings(M, rows)`, SQLAlchemy `insert(M)`, `update(M)`,
  `delete(M)`, a query chain ending in `.delete()` or `.update(...)`, Django
  `M.objects.create/update/delete/bulk_create`, peewee `M.insert()`, `M.create()`, and
  `instance.save()` / `.delete()`.

An instance is known by the expression that makes it (`M(...)`, a query's `.first()`) or by
a name of the same function bound only to such expressions or annotated with the class.
Names must look like classes (CapWords) and be defined or imported in the module: a
computed class (`Model = registry[name]`) is unknown, never a guess. One fact per
statement, model and access; SQLAlchemy statements passed to `session.execute(...)` (and
`scalars`, `scalar`, SQLModel's `exec`) stand at that call, as SQL does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.types import FactFields, OrmUseFact

# Session methods and which positional arguments name what they use.
SESSION_CLASSES = {"query": "read", "get": "read", "get_one": "read"}  # classes
SESSION_INSTANCES = {  # instances, or iterables of them
    "add": "write",
    "add_all": "write",
    "merge": "write",
    "delete": "write",
    "bulk_save_objects": "write",
}
SESSION_MAPPINGS = {"bulk_insert_mappings": "write", "bulk_update_mappings": "write"}
# SQLAlchemy (and SQLModel) statement constructors.
STATEMENTS = {"select": "read", "insert": "write", "update": "write", "delete": "write"}
STATEMENT_MODULES = ("sqlalchemy.", "sqlmodel.")
# Methods that run a statement given to them: the statement is reported there.
RUNNERS = frozenset(
    {"execute", "scalars", "scalar", "exec", "stream", "stream_scalars", "execute_async"}
)
# Methods on a model class (peewee, Tortoise) or a Django manager (`M.objects`).
MODEL_READS = frozenset(
    {
        "select",
        "get",
        "get_or_none",
        "get_by_id",
        "filter",
        "exclude",
        "all",
        "values",
        "values_list",
        "first",
        "last",
        "count",
        "exists",
        "aggregate",
        "annotate",
        "order_by",
        "raw",
        "in_bulk",
        "iterator",
        "latest",
        "earliest",
        "distinct",
        "only",
        "defer",
        "select_related",
        "prefetch_related",
    }
)
MODEL_WRITES = frozenset(
    {
        "insert",
        "insert_many",
        "insert_from",
        "replace",
        "replace_many",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "delete_by_id",
    }
)
# Query methods whose model arguments are read too (`session.query(User).outerjoin(Usage)`).
JOINS = frozenset({"join", "outerjoin", "select_from", "join_from"})
# A query chain that ends in one of these changes rows instead of reading them.
CHAIN_WRITES = frozenset({"delete", "update", "bulk_update"})
# Instance methods that write the row.
INSTANCE_WRITES = frozenset({"save", "delete", "delete_instance"})
# The method names a call must end in to be read at all (the rest of a chain is reached
# from its last call); cheap to test on every call of a file.
VOCABULARY = frozenset(
    {
        *SESSION_CLASSES,
        *SESSION_INSTANCES,
        *SESSION_MAPPINGS,
        *STATEMENTS,
        *RUNNERS,
        *MODEL_READS,
        *MODEL_WRITES,
        *INSTANCE_WRITES,
        "filter_by",
        "one",
        "one_or_none",
        "scalar_one",
        "where",
        "values",
        *JOINS,
        "limit",
        "offset",
        "options",
        "group_by",
        "having",
        "with_for_update",
        "execute",
        "returning",
    }
)


@dataclass(frozen=True)
class _Use:
    node: cst.Call  # where it is reported
    model: str
    access: str
    via: str


class OrmUseCollector(FactCollector):
    """Calls that query or write through a model class -> `OrmUseFact`s."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.classes: set[str] = set()  # module-level classes
        self.local: dict[str, str] = {}  # relative imports: name -> `.models.Stock`
        self.names: dict[tuple[tuple[str, ...], str], list[cst.BaseExpression | None]] = {}
        self.annotations: dict[tuple[tuple[str, ...], str], cst.BaseExpression] = {}
        self.calls: list[tuple[cst.Call, tuple[str, ...], int, cst.Call | None]] = []
        self.stack: list[cst.Call] = []
        self.statement = 0

    # -- what names are ------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if len(self.ctx.scope) == 1:  # ctx.scope already holds this class
            self.classes.add(node.name.value)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not node.relative or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module) if node.module is not None else None
        dots = "." * len(node.relative)
        for alias in node.names:
            local = alias.asname.name if alias.asname is not None else alias.name
            name = dotted_name(alias.name)
            if isinstance(local, cst.Name) and name is not None:
                self.local[local.value] = f"{dots}{module}.{name}" if module else f"{dots}{name}"

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.names.setdefault((tuple(self.ctx.scope), target.value), []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            key = (tuple(self.ctx.scope), node.target.value)
            self.annotations[key] = node.annotation.annotation
            if node.value is not None:
                self._bind(node.target, node.value)

    def visit_Param(self, node: cst.Param) -> None:
        key = (tuple(self.ctx.scope), node.name.value)
        if node.annotation is not None:
            self.annotations[key] = node.annotation.annotation
        else:
            self.names.setdefault(key, []).append(None)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, None)

    # -- statements and calls ------------------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.statement += 1

    def visit_If(self, node: cst.If) -> None:
        self.statement += 1

    def visit_While(self, node: cst.While) -> None:
        self.statement += 1

    def visit_With(self, node: cst.With) -> None:
        self.statement += 1

    def visit_For_iter(self, node: cst.For) -> None:
        self.statement += 1

    def visit_Call(self, node: cst.Call) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(node)
        func = node.func
        if isinstance(func, cst.Attribute):
            receiver = func.value
            if func.attr.value in VOCABULARY or (
                isinstance(receiver, cst.Attribute) and receiver.attr.value in ("query", "objects")
            ):
                self.calls.append((node, tuple(self.ctx.scope), self.statement, parent))
        elif isinstance(func, cst.Name) and func.value in self.ctx.bindings:
            self.calls.append((node, tuple(self.ctx.scope), self.statement, parent))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.stack.pop()

    def facts(self) -> FactFields:
        """The `orm_uses` field of FileFacts."""
        seen: set[tuple[int, str, str]] = set()
        handled: set[int] = set()  # inner calls of a chain already read
        parents = {id(node): parent for node, _, _, parent in self.calls}
        found: list[OrmUseFact] = []
        for node, scope, statement, _ in self.calls:
            if id(node) in handled:
                continue
            for use in self._uses(node, scope, handled):
                key = (statement, use.model, use.access)
                if key in seen:
                    continue
                seen.add(key)
                where = self._runner(use.node, parents) or use.node
                found.append(OrmUseFact(self.ctx.span(where), use.model, use.access, use.via))
        return {"orm_uses": tuple(sorted(found, key=lambda f: (f.span, f.model, f.access)))}

    def _runner(self, node: cst.Call, parents: dict[int, cst.Call | None]) -> cst.Call | None:
        """The `session.execute(...)` call `node` (a statement) is given to, if any."""
        parent = parents.get(id(node))
        if parent is None or not isinstance(parent.func, cst.Attribute):
            return None
        if parent.func.attr.value in RUNNERS and any(a.value is node for a in parent.args):
            return parent
        return None

    # -- reading one call chain ------------------------------------------------------------
    def _uses(self, top: cst.Call, scope: tuple[str, ...], handled: set[int]) -> Iterator[_Use]:
        """The uses of the chain `top` ends (`session.query(M).filter(...).delete()`)."""
        methods: list[str] = []  # outer methods of the chain, innermost last
        joined: list[cst.BaseExpression] = []  # models a query joins (`.outerjoin(M)`)
        root = top
        while isinstance(root.func, cst.Attribute) and isinstance(root.func.value, cst.Call):
            methods.append(root.func.attr.value)
            if root.func.attr.value in JOINS:
                joined.extend(a.value for a in root.args if a.keyword is None and not a.star)
            root = root.func.value
            handled.add(id(root))
        written = next((m for m in methods if m in CHAIN_WRITES), None)
        found = False
        for model, access, via in self._root(root, scope):
            found = True
            if access == "read" and written is not None:
                yield _Use(top, model, "write", f"{via}.{written}")
            else:
                yield _Use(top, model, access, via)
        if joined and (found or _is_query(root)):
            for arg in joined:
                other = self._class(arg, scope)
                if other is not None:
                    yield _Use(top, other, "read", "join")
        # `instance.save()`: the receiver is an instance of a model.
        func = top.func
        if not found and isinstance(func, cst.Attribute) and func.attr.value in INSTANCE_WRITES:
            made = self._instance(func.value, scope, 0)
            if made is not None:
                yield _Use(top, made, "write", func.attr.value)

    def _root(self, root: cst.Call, scope: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
        """(model, access, via) of the innermost call of a chain."""
        func = root.func
        positional = [a.value for a in root.args if a.keyword is None and a.star == ""]
        if isinstance(func, cst.Name) or (
            isinstance(func, cst.Attribute) and func.attr.value in STATEMENTS
        ):
            qualified = self.ctx.resolve(dotted_name(func) or "") or ""
            name = qualified.rsplit(".", 1)[-1]
            if name in STATEMENTS and qualified.startswith(STATEMENT_MODULES):
                for arg in positional if name == "select" else positional[:1]:
                    model = self._class(arg, scope, column=name == "select")
                    if model is not None:
                        yield model, STATEMENTS[name], name
                return
        if not isinstance(func, cst.Attribute):
            return
        method, receiver = func.attr.value, func.value
        # A model class's own methods, its Django manager, its Flask-SQLAlchemy query.
        owner, kind = self._receiver(receiver, scope)
        if owner is not None:
            if kind == "query":
                access = "write" if method in CHAIN_WRITES else "read"
                yield owner, access, f"{_short(owner)}.query"
            elif method in MODEL_READS or method in MODEL_WRITES:
                access = "write" if method in MODEL_WRITES else "read"
                prefix = f"{_short(owner)}.objects" if kind == "objects" else _short(owner)
                yield owner, access, f"{prefix}.{method}"
            return
        if method in SESSION_CLASSES:
            if method != "query" and len(positional) < 2:
                return  # `session.get(M, pk)`; `cache.get(key)` is no query
            args = positional if method == "query" else positional[:1]
            for arg in args:
                model = self._class(arg, scope, column=method == "query")
                if model is not None:
                    yield model, "read", f"session.{method}"
        elif method in SESSION_MAPPINGS and positional:
            model = self._class(positional[0], scope)
            if model is not None:
                yield model, "write", f"session.{method}"
        elif method in SESSION_INSTANCES and positional:
            for item in _items(positional[0]) if method != "add" else [positional[0]]:
                model = self._instance(item, scope, 0)
                if model is not None:
                    yield model, "write", f"session.{method}"

    def _receiver(self, node: cst.BaseExpression, scope: tuple[str, ...]) -> tuple[str | None, str]:
        """(model, how) when `node` is a model class (`""`), `M.objects` or `M.query`."""
        if isinstance(node, cst.Attribute) and node.attr.value in ("objects", "query"):
            model = self._class(node.value, scope)
            if model is not None:
                return model, node.attr.value
        model = self._class(node, scope)
        return model, ""

    def _class(
        self, node: cst.BaseExpression, scope: tuple[str, ...], column: bool = False
    ) -> str | None:
        """The qualified name of a class `node` names (or of a column of one), if it looks
        like one: CapWords, defined or imported in this module, not bound in the function."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if any((s, head) in self.names or (s, head) in self.annotations for s in _inner(scope)):
            return None  # a local name or parameter of the function
        if head in self.local:
            qualified = f"{self.local[head]}.{rest}" if rest else self.local[head]
        elif head in self.ctx.bindings:
            qualified = self.ctx.resolve(dotted) or ""
        elif head in self.classes and ((), head) not in self.names:
            qualified = dotted
        else:
            return None
        names = qualified.split(".")
        if _upper(names[-1]):
            return qualified
        if column and len(names) > 1 and _upper(names[-2]):
            return qualified.rsplit(".", 1)[0]  # `Stock.sku`: a column of `Stock`
        return None

    def _instance(self, node: cst.BaseExpression, scope: tuple[str, ...], depth: int) -> str | None:
        """The model class of which `node` is an instance, when the module shows it."""
        if depth > 4:
            return None
        if isinstance(node, cst.Call):
            made = self._class(node.func, scope)
            if made is not None:
                return made
            root = node
            while isinstance(root.func, cst.Attribute) and isinstance(root.func.value, cst.Call):
                root = root.func.value
            reads = {m for m, access, _ in self._root(root, scope) if access == "read"}
            return reads.pop() if len(reads) == 1 else None
        if isinstance(node, cst.Await):
            return self._instance(node.expression, scope, depth + 1)
        if not isinstance(node, cst.Name):
            return None
        for where in _inner(scope):
            key = (where, node.value)
            if key in self.annotations and key not in self.names:
                return self._class(self.annotations[key], where)
            values = self.names.get(key)
            if values is not None:
                models = {self._instance(v, where, depth + 1) if v else None for v in values}
                return models.pop() if len(models) == 1 else None
        return None


def _is_query(root: cst.Call) -> bool:
    """`session.query(...)` or `select(...)`, whatever it selects (`func.count()`)."""
    func = root.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return name in ("query", "select")


def _inner(scope: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The scope a name is looked up in first, then the module's."""
    return [scope, ()] if scope else [()]


def _items(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The instances an iterable argument holds: list/tuple elements, a comprehension's."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements if isinstance(e, cst.Element)]
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return [node.elt]
    return [node]


def _upper(name: str) -> bool:
    return name[:1].isupper()


def _short(model: str) -> str:
    return model.rsplit(".", 1)[-1]
