"""SQL: the statements a module runs, or writes down, with the tables they read and write.

A runner is recognised by its method name whatever the receiver (`cursor.execute`,
`conn.fetch`, `session.execute`, `database.fetch_all`...): the receiver's type is not
known statically, and the argument must be SQL anyway. SQL reaches a runner as a literal,
a concatenation, an f-string or a name bound in the module (see `facts.strings`), possibly
wrapped in `text()`, `RawSQL()` or `psycopg2.sql.SQL()`. A string with no runner in sight
counts only when it is unmistakably a complete statement (see `_unmistakable`).
"""

from __future__ import annotations

import re

import libcst as cst

from couplint_ast.facts.context import dotted_name
from couplint_ast.facts.literals import SiteCollector, call_name, keyword, names_in, positional
from couplint_ast.facts.strings import HOLE, StringResolver
from couplint_ast.facts.types import FactFields, SqlFact
from couplint_ast.model import Span
from couplint_ast.sqltables import SqlAccess, looks_like_sql, sql_access

# DB-API, asyncpg, SQLAlchemy, pandas, Django, peewee, `databases`: methods whose first
# argument (or one of SQL_KEYWORDS) is SQL text.
SQL_RUNNERS = frozenset(
    [
        "execute",
        "executemany",
        "executescript",
        "mogrify",
        "copy_expert",
        "fetch",
        "fetchrow",
        "fetchval",
        "exec_driver_sql",
        "raw",
        "execute_sql",
        "fetch_all",
        "fetch_one",
        "fetch_val",
        "iterate",
        "execute_many",
        "copy_from_query",
        "read_sql",
        "read_sql_query",
    ]
)
SQL_KEYWORDS = ("sql", "query", "statement", "operation", "stmt", "raw_query")
# Methods given a table name: (positional index, keyword, writes?).
TABLE_RUNNERS: dict[str, tuple[int, str, bool]] = {
    "read_sql_table": (0, "table_name", False),  # pandas
    "to_sql": (0, "name", True),  # pandas DataFrame.to_sql
    "copy_from_table": (0, "table_name", False),  # asyncpg
    "copy_to_table": (0, "table_name", True),
    "copy_records_to_table": (0, "table_name", True),
    "copy_from": (1, "table", True),  # psycopg2 cursor.copy_from(file, table)
    "copy_to": (1, "table", False),
}
SCHEMA_KEYWORDS = ("schema", "schema_name")
# Calls that wrap SQL text for a runner; on their own they count where they resolve here.
WRAPPERS: dict[str, tuple[str, ...]] = {
    "text": ("sqlalchemy.",),
    "RawSQL": ("",),  # the name is Django's alone
    "SQL": ("psycopg2.sql.", "psycopg.sql."),
}
# What `_runner` returns for a runner whose SQL names no table (its arguments are its own).
RAN_NOTHING = SqlFact(Span(0, 0), "")
_TABLE_NAME = re.compile(r'^"?[A-Za-z_][\w$]*"?(?:\."?[A-Za-z_][\w$]*"?)*$')
# Something only SQL has: an operator, a placeholder, a parenthesis, a line break.
_SQL_SIGN = re.compile(r"[*=(),;?\n]|%\(|%s|\$\d|:\w")
# What prose has too (commas, parentheses, line breaks) left out: for sentence case.
_STRONG_SQL_SIGN = re.compile(r"[*=]|%\(|%s|\$\d|:\w")


class SqlCollector(SiteCollector):
    """Runner calls and bare SQL strings -> `SqlFact`s (positions only for what is found)."""

    def facts(self) -> FactFields:
        """The `sql` field of FileFacts."""
        resolver = StringResolver(self.ctx)
        found: list[SqlFact] = []
        consumed: set[str] = set()  # names whose strings a runner ran
        handled: set[int] = set()  # calls whose SQL another runner reported
        runners: set[int] = set()
        for node, scope in self.calls:
            if id(node) in handled:
                continue
            fact = self._runner(node, scope, resolver, consumed, handled)
            if fact is not None:
                runners.add(id(node))
                if fact is not RAN_NOTHING:
                    found.append(fact)
        for site in self.sites:
            if site.call is not None and (id(site.call) in runners or id(site.call) in handled):
                continue
            if consumed.intersection(site.targets):
                continue
            text = resolve(resolver, site.node, site.scope)
            access = _read(text) if text is not None and _unmistakable(text) else None
            if access is not None and access.certain and (access.reads or access.writes):
                found.append(_fact(self.ctx.span(site.node), "", access))
        return {"sql": tuple(found)}

    def _runner(
        self,
        node: cst.Call,
        scope: tuple[str, ...],
        resolver: StringResolver,
        consumed: set[str],
        handled: set[int],
    ) -> SqlFact | None:
        """The SQL a call runs; a fact with no tables when it runs nothing known."""
        name = call_name(node)
        if name in TABLE_RUNNERS:
            return self._table_runner(node, name, scope, resolver)
        if name in WRAPPERS and not self._is_wrapper(node, name):
            return None
        if name not in SQL_RUNNERS and name not in WRAPPERS:
            return None
        argument = keyword(node, *SQL_KEYWORDS) or positional(node, 0)
        if argument is None:
            return None
        inner = _unwrap(argument)
        if inner is not argument:
            handled.add(id(argument))
            argument = inner
        text = resolve(resolver, argument, scope)
        if text is None:
            return None
        consumed.update(names_in(argument))
        if name == "read_sql" and _TABLE_NAME.match(text):  # pandas reads a whole table too
            return SqlFact(self.ctx.span(node), name, reads=(text.replace('"', ""),))
        access = _read(text)
        if access is None or not (access.reads or access.writes):
            return RAN_NOTHING  # positions are computed only for what is found
        return _fact(self.ctx.span(node), name, access)

    def _table_runner(
        self, node: cst.Call, name: str, scope: tuple[str, ...], resolver: StringResolver
    ) -> SqlFact | None:
        index, key, writes = TABLE_RUNNERS[name]
        argument = keyword(node, key) or positional(node, index)
        table = resolver.value(argument, scope) if argument is not None else None
        if table is None or not _TABLE_NAME.match(table):
            return None
        schema_node = keyword(node, *SCHEMA_KEYWORDS)
        schema = resolver.value(schema_node, scope) if schema_node is not None else None
        if schema is not None and _TABLE_NAME.match(schema):
            table = f"{schema}.{table}"
        table = table.replace('"', "")
        span = self.ctx.span(node)
        return SqlFact(span, name, writes=(table,)) if writes else SqlFact(span, name, (table,))

    def _is_wrapper(self, node: cst.Call, name: str) -> bool:
        """True when `text(...)`/`SQL(...)` is the SQL library's (RawSQL: any of that name)."""
        prefixes = WRAPPERS[name]
        if "" in prefixes:
            return True
        dotted = dotted_name(node.func)
        qualified = self.ctx.resolve(dotted) if dotted else None
        return qualified is not None and qualified.startswith(prefixes)


def resolve(
    resolver: StringResolver, node: cst.BaseExpression, scope: tuple[str, ...], depth: int = 0
) -> str | None:
    """`resolver.value`, but a `+` with an unknown side keeps the known side, the other a HOLE.

    SQL is often glued to a parameter (`"... WHERE id = " + sku`), which the resolver
    rightly calls unknown as a whole; the table is still in the known part.
    """
    value = resolver.value(node, scope)
    if value is not None or depth > 8:
        return value
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = resolve(resolver, node.left, scope, depth + 1)
        right = resolve(resolver, node.right, scope, depth + 1)
        if left is None and right is None:
            return None
        return (HOLE if left is None else left) + (HOLE if right is None else right)
    if isinstance(node, cst.Name):
        for size in range(len(scope), -1, -1):
            bound = resolver.ctx.assignments.get((scope[:size], node.value))
            if isinstance(bound, cst.BinaryOperation):
                return resolve(resolver, bound, scope[:size], depth + 1)
            if bound is not None:
                return None
    return None


def _unwrap(node: cst.BaseExpression) -> cst.BaseExpression:
    """The SQL argument of `text(...)`, `RawSQL(...)` or `sql.SQL(...)`; else `node` itself."""
    if isinstance(node, cst.Call) and call_name(node) in WRAPPERS:
        inner = keyword(node, "text", "sql") or positional(node, 0)
        if inner is not None:
            return inner
    return node


def _read(text: str) -> SqlAccess | None:
    """sqltables' reading of a resolved string (it reads the resolver's HOLEs as unknown names)."""
    if not text or text.isspace():
        return None
    return sql_access(text)


def _unmistakable(text: str) -> bool:
    """A statement with no runner in sight: a keyword first, and a sign that is only SQL's.

    "Delete orders from the cart" parses as SQL; "DELETE FROM orders" or a statement with an
    operator, a placeholder or a line break is not prose. A sentence-case keyword ("Delete
    from orders, permanently?") starts a sentence: only an operator or placeholder makes it SQL.
    """
    if not looks_like_sql(text):
        return False
    stripped = text.lstrip(" \t\r\n(")
    first = re.match(r"\w+", stripped)
    word = first.group(0) if first is not None else ""
    if word.isupper():
        return True
    sign = _STRONG_SQL_SIGN if word[:1].isupper() else _SQL_SIGN
    return sign.search(text) is not None


def _fact(span: Span, runner: str, access: SqlAccess) -> SqlFact:
    return SqlFact(span, runner, access.reads, access.writes, access.certain)
