"""Scoped bindings of one module, and the values an expression can have.

The call collector records every binding during the one traversal (imports, assignments,
`with ... as`, parameters, defs, classes, `self.x` in methods); afterwards
`facts.evaluate.Evaluator` answers what a name or expression is: an imported name (`Ref`),
a client object built by a catalog constructor (`Obj`), a function or a class of this
module. Flow-insensitive, like the import table: a name bound to two different things is
unknown, so a module that rebinds `requests = Wrapper()` makes no `requests.get` call.
`x = None` binds nothing (the lazy-initialisation idiom `_session = None` ...
`_session = Session()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import libcst as cst

from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.types import ClientExport

Scope = tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Binding:
    """One way a name is bound: `kind` is import, local (a relative import of this
    project's own code), expr, def, class, param or opaque.

    `point` is where the binding is made (see `Point`), so that a use sees only the
    bindings that reach it.
    """

    kind: str
    node: cst.CSTNode | None = None  # the value, def, class or annotation
    scope: Scope = ()  # where the names inside `node` are looked up
    name: str = ""  # import: the qualified name
    point: Point | None = None


@dataclass(frozen=True)
class Point:
    """A place in the traversal: its order, and the conditional blocks around it.

    `blocks` are the ids of the branches (if/else, loop bodies, try/except parts, match
    cases) that enclose it, outermost first: a binding whose blocks are a prefix of a
    use's blocks runs whenever the use runs, so it hides every binding before it.
    """

    order: int
    blocks: tuple[int, ...] = ()

    def dominates(self, use: Point) -> bool:
        """True when code at `self` always runs before code at `use` (structured flow)."""
        return self.order < use.order and use.blocks[: len(self.blocks)] == self.blocks


@dataclass(frozen=True, eq=False)
class Ref:
    """A dotted name from an import: a module, function, class or constant."""

    name: str


@dataclass(frozen=True, eq=False)
class Obj:
    """An object of a catalog kind, and the call (or attribute) that built it."""

    kind: str
    node: cst.CSTNode | None  # None: built elsewhere, typed only, or built in several places
    scope: Scope = ()
    origin: str = ""  # the qualified constructor (or stub class) name
    parent: Obj | None = None  # the object it came from (a stub's channel)
    custom: bool = False  # a subclass defined in this module: its settings are unknown
    imported: ClientExport | None = None  # built in another module of the project


@dataclass(frozen=True, eq=False)
class Func:
    """A function defined in this module; `scope` is its body's scope."""

    node: cst.FunctionDef
    scope: Scope


@dataclass(frozen=True, eq=False)
class Method:
    """A method of an object, not yet called (`conn.channel`)."""

    obj: Obj
    name: str


@dataclass(frozen=True, eq=False)
class Cls:
    """A class defined in this module; `scope` is where its bases are looked up."""

    node: cst.ClassDef
    scope: Scope


@dataclass(frozen=True, eq=False)
class Inst:
    """An object of a class of this module that is no catalog kind (`ConnectServer()`):
    what its methods return may be (a factory of stubs or sessions)."""

    cls: Cls


Value = Union[Ref, Obj, Func, Method, Cls, Inst]


@dataclass
class Symbols:
    """Every binding of one module by (scope, name); `self.x` keyed as (class, "self.x")."""

    binds: dict[tuple[Scope, str], list[Binding]] = field(default_factory=dict)
    classes: dict[Scope, tuple[cst.ClassDef, Scope]] = field(default_factory=dict)
    globals: dict[Scope, set[str]] = field(default_factory=dict)
    returns: dict[Scope, list[cst.BaseExpression]] = field(default_factory=dict)
    none_names: set[tuple[Scope, str]] = field(default_factory=set)
    # `app.config["KEY"] = value` anywhere in the module (Flask `create_app()` does it).
    config_keys: dict[str, list[Binding]] = field(default_factory=dict)

    def reaching(
        self, key: tuple[Scope, str], bindings: list[Binding], scope: Scope, at: Point | None
    ) -> list[Binding]:
        """The bindings of a local name that can reach a use at `at` in `scope`.

        Only for names bound in the use's own function; a module name read in a function
        may have any of its values (the function runs later).
        """
        if at is None or key[0] != scope:
            return bindings
        found: list[Binding] = []
        for binding in reversed(bindings):
            point = binding.point
            if point is None or point.order >= at.order:
                continue
            found.append(binding)
            if point.dominates(at):
                break
        return list(reversed(found)) or bindings

    def bind(self, scope: Scope, name: str, binding: Binding) -> None:
        """Record a binding of `name` made in `scope` (`global` names go to the module)."""
        if name in self.globals.get(scope, ()):
            scope = ()
        self.binds.setdefault((scope, name), []).append(binding)

    def class_of(self, scope: Scope) -> Scope | None:
        """The class whose method (or a function nested in one) `scope` is."""
        for size in range(len(scope) - 1, 0, -1):
            if scope[:size] in self.classes:
                return scope[:size]
        return None

    def lookup(self, scope: Scope, name: str) -> tuple[tuple[Scope, str], list[Binding]] | None:
        """The innermost bindings of `name` seen from `scope`; class bodies do not enclose."""
        for size in range(len(scope), -1, -1):
            prefix = scope[:size]
            if size < len(scope) and prefix in self.classes:
                continue
            found = self.binds.get((prefix, name))
            if found:
                return (prefix, name), found
        return None

    def lookup_attr(self, cls: Scope, attr: str, depth: int = 0) -> list[Binding]:
        """Bindings of `self.attr` in class `cls`: methods, class body, then local bases."""
        found = self.binds.get((cls, "self." + attr), []) + self.binds.get((cls, attr), [])
        if found or depth > 4 or cls not in self.classes:
            return found
        node, outer = self.classes[cls]
        for base in node.bases:
            name = dotted_name(base.value)
            if name is None or "." in name:
                continue
            hit = self.lookup(outer, name)
            for binding in hit[1] if hit else []:
                base_scope = (*binding.scope, name)
                if binding.kind == "class" and base_scope in self.classes:
                    found = self.lookup_attr(base_scope, attr, depth + 1)
                    if found:
                        return found
        return []
