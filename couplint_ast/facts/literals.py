"""Where a string literal can be a statement or a DSN, and where it is only prose.

The SQL and database collectors both need the strings a module binds to names, returns or
passes to calls, and both must skip what is prose: docstrings (expression statements, never
collected here), log and print messages, exception texts, `assert` messages, translations,
help texts. `SiteCollector` finds those sites during the traversal; its subclasses read
their values afterwards, when every assignment and import is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.types import FactFields

# Calls whose string arguments are messages for people, whatever the receiver.
PROSE_CALLS = frozenset(
    [
        "print",
        "_",
        "gettext",
        "gettext_lazy",
        "gettext_noop",
        "ngettext",
        "pgettext",
        "ugettext",
        "ugettext_lazy",
        "warn",
        "echo",
        "secho",
        "write",
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "critical",
        "fatal",
        "log",
        "format_html",
        "mark_safe",
    ]
)
PROSE_KEYWORDS = frozenset(
    [
        "help",
        "help_text",
        "description",
        "doc",
        "docstring",
        "message",
        "msg",
        "verbose_name",
        "label",
        "title",
        "summary",
        "comment",
    ]
)
MAX_NESTING = 3  # containers inside containers inside an assignment, e.g. a dict of lists


@dataclass(frozen=True)
class Site:
    """A string expression that can be code: where it is, and what binds or receives it."""

    node: cst.BaseExpression
    scope: tuple[str, ...]
    targets: tuple[str, ...] = ()  # last parts of the names an assignment binds it to
    call: cst.Call | None = None  # the call whose argument holds it


def call_name(node: cst.Call) -> str | None:
    """The called function's own name: `execute` in `conn.cursor().execute(...)`."""
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def is_stringish(node: cst.BaseExpression) -> bool:
    """True for a string literal, f-string, concatenation, `%` or `.format` of one."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        return is_stringish(node.left)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value == "format" and is_stringish(node.func.value)
    return False


def names_in(node: cst.CSTNode) -> Iterator[str]:
    """The last part of every name and attribute chain in `node` (`self.SQL` gives `SQL`)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current.value
        elif isinstance(current, cst.Attribute):
            yield current.attr.value
            stack.append(current.value)
        else:
            stack.extend(current.children)


def positional(node: cst.Call, index: int) -> cst.BaseExpression | None:
    """The `index`th positional argument of a call (before any `*args`), or None."""
    args = []
    for arg in node.args:
        if arg.star:
            break
        if arg.keyword is None:
            args.append(arg.value)
    return args[index] if index < len(args) else None


def keyword(node: cst.Call, *names: str) -> cst.BaseExpression | None:
    """The value of the first of the keyword arguments `names` that the call passes."""
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in names:
            return arg.value
    return None


class SiteCollector(FactCollector):
    """Collects every call and every string `Site`, skipping prose contexts."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.sites: list[Site] = []
        self.calls: list[tuple[cst.Call, tuple[str, ...]]] = []
        self._quiet = 0
        self._quiet_calls: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, tuple(self.ctx.scope)))
        if self._is_prose(node):
            self._quiet += 1
            self._quiet_calls.add(id(node))
            return
        if self._quiet:
            return
        for arg in node.args:
            if arg.star or (arg.keyword is not None and arg.keyword.value in PROSE_KEYWORDS):
                continue
            self._add(arg.value, (), node, 0)

    def leave_Call(self, original_node: cst.Call) -> None:
        if id(original_node) in self._quiet_calls:
            self._quiet -= 1

    def visit_Raise(self, node: cst.Raise) -> None:
        self._quiet += 1

    def leave_Raise(self, original_node: cst.Raise) -> None:
        self._quiet -= 1

    def visit_Assert(self, node: cst.Assert) -> None:
        self._quiet += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self._quiet -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        names = tuple(_last(t.target) for t in node.targets)
        self._add(node.value, tuple(n for n in names if n), None, 0)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            name = _last(node.target)
            self._add(node.value, (name,) if name else (), None, 0)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._add(node.value, (), None, 0)

    def _add(
        self, node: cst.BaseExpression, targets: tuple[str, ...], call: cst.Call | None, depth: int
    ) -> None:
        if self._quiet:
            return
        if is_stringish(node):
            self.sites.append(Site(node, tuple(self.ctx.scope), targets, call))
        elif depth < MAX_NESTING and isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            for element in node.elements:
                if isinstance(element, (cst.Element, cst.DictElement)):
                    self._add(element.value, targets, call, depth + 1)

    @staticmethod
    def _is_prose(node: cst.Call) -> bool:
        name = call_name(node)
        if name is None:
            return False
        return name in PROSE_CALLS or name.endswith(("Error", "Exception", "Warning"))

    def facts(self) -> FactFields:
        """Subclasses return their fields; the sites alone fill none."""
        return {}


def _last(node: cst.BaseExpression) -> str | None:
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1] if name else None
