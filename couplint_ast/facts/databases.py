"""Database references: environment variables read, connections made, DSNs written down.

Facts hold every name, whatever the config says: an environment variable read anywhere
(`os.environ[...]`, `os.environ.get`, `os.getenv`), the database names and hosts given to a
connection function (DSN URL, libpq `key=value` string, keyword arguments), DSN URL
literals outside any connection call, and Django's `DATABASES` `NAME`/`HOST`. Environment
variables are reported where they are read, so a connection's environment-variable
argument adds nothing more.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import libcst as cst

from couplint_ast.facts.context import ModuleContext, dotted_name
from couplint_ast.facts.folding import ENV_READERS
from couplint_ast.facts.literals import SiteCollector, keyword, names_in, positional
from couplint_ast.facts.strings import StringResolver
from couplint_ast.facts.types import DatabaseRefFact, FactFields

# Qualified connection functions -> the position of their DSN (or, for peewee's classes,
# database name) argument; None when they take keywords only.
CONNECTORS: dict[str, int | None] = {
    "sqlalchemy.create_engine": 0,
    "sqlalchemy.engine.create_engine": 0,
    "sqlalchemy.ext.asyncio.create_async_engine": 0,
    "sqlalchemy.engine.make_url": 0,
    "sqlalchemy.engine.url.make_url": 0,
    "psycopg2.connect": 0,
    "psycopg2.pool.SimpleConnectionPool": 2,
    "psycopg2.pool.ThreadedConnectionPool": 2,
    "psycopg.connect": 0,
    "psycopg.Connection.connect": 0,
    "psycopg.AsyncConnection.connect": 0,
    "psycopg_pool.ConnectionPool": 0,
    "psycopg_pool.AsyncConnectionPool": 0,
    "asyncpg.connect": 0,
    "asyncpg.create_pool": 0,
    "aiopg.connect": 0,
    "aiopg.create_pool": 0,
    "databases.Database": 0,
    "mysql.connector.connect": None,
    "pymysql.connect": None,
    "MySQLdb.connect": None,
    "aiomysql.connect": None,
    "aiomysql.create_pool": None,
    "peewee.PostgresqlDatabase": 0,
    "peewee.MySQLDatabase": 0,
    "playhouse.pool.PooledPostgresqlDatabase": 0,
    "playhouse.pool.PooledMySQLDatabase": 0,
    "playhouse.postgres_ext.PostgresqlExtDatabase": 0,
    "playhouse.db_url.connect": 0,
    "dj_database_url.parse": 0,
    "dj_database_url.config": None,
    "tortoise.Tortoise.init": None,
}
# peewee's database classes take the database name first; every other connector a DSN.
_NAMED_BY_POSITION = ("peewee.", "playhouse.pool.", "playhouse.postgres_ext.")
DSN_KEYWORDS = ("dsn", "url", "conninfo", "db_url", "default")
DATABASE_KEYWORDS = ("database", "dbname", "db")
_DSN = re.compile(
    r"^\s*(?:postgres|postgresql|pgsql|psql|mysql|mariadb|mssql|sqlserver|oracle|cockroachdb"
    r"|redshift|timescaledb)(?:\+\w+)?://",
    re.IGNORECASE,
)
_LIBPQ = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_PLAIN = re.compile(r"^[\w.-]+$")


class DatabaseCollector(SiteCollector):
    """Environment reads, connection calls, DSN literals -> `DatabaseRefFact`s."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.environ: list[tuple[cst.Subscript, tuple[str, ...]]] = []
        self.settings: list[tuple[cst.BaseExpression, str, tuple[str, ...]]] = []
        self.written: set[int] = set()  # `os.environ[...] = ...` and `del`: no read

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if id(node) in self.written:
            return
        name = dotted_name(node.value)
        if name is not None and name.endswith("environ") and len(node.slice) == 1:
            self.environ.append((node, tuple(self.ctx.scope)))

    def visit_Del(self, node: cst.Del) -> None:
        self.written.add(id(node.target))

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        targets = [t.target for t in node.targets]
        self.written.update(id(t) for t in targets)
        if not any(isinstance(t, cst.Name) and t.value == "DATABASES" for t in targets):
            return
        if not isinstance(node.value, cst.Dict):
            return
        for alias in node.value.elements:
            if isinstance(alias, cst.DictElement) and isinstance(alias.value, cst.Dict):
                for item in alias.value.elements:
                    key = item.key if isinstance(item, cst.DictElement) else None
                    if isinstance(key, cst.SimpleString) and key.evaluated_value in (
                        "NAME",
                        "HOST",
                    ):
                        kind = "database" if key.evaluated_value == "NAME" else "host"
                        self.settings.append((item.value, kind, tuple(self.ctx.scope)))

    def facts(self) -> FactFields:
        """The `database_refs` field of FileFacts."""
        resolver = StringResolver(self.ctx)
        found: list[DatabaseRefFact] = []
        connectors: set[int] = set()
        consumed: set[str] = set()
        for subscript, scope in self.environ:
            if self._resolve(subscript.value) == "os.environ":
                key = subscript.slice[0].slice
                if isinstance(key, cst.Index):
                    found.extend(self._env(subscript, key.value, scope, resolver))
        for node, scope in self.calls:
            qualified = self._resolve(node.func)
            first = positional(node, 0)
            if qualified in ENV_READERS and first is not None:
                found.extend(self._env(node, first, scope, resolver))
            elif qualified in CONNECTORS:
                connectors.add(id(node))
                found.extend(self._connection(node, qualified, scope, resolver, consumed))
        for value, kind, scope in self.settings:
            name = resolver.value(value, scope)
            if name is not None and _PLAIN.match(name):
                found.append(DatabaseRefFact(self.ctx.span(value), name, kind, "DATABASES"))
        for site in self.sites:
            in_connection = site.call is not None and id(site.call) in connectors
            if in_connection or consumed.intersection(site.targets):
                continue
            text = resolver.value(site.node, site.scope)
            names = dsn_names(text) if text is not None and _DSN.match(text) else []
            if names:
                span = self.ctx.span(site.node)
                found.extend(DatabaseRefFact(span, name, kind, "dsn") for kind, name in names)
        return {"database_refs": tuple(found)}

    def _resolve(self, func: cst.BaseExpression) -> str | None:
        dotted = dotted_name(func)
        return self.ctx.resolve(dotted) if dotted else None

    def _env(
        self,
        node: cst.CSTNode,
        key: cst.BaseExpression,
        scope: tuple[str, ...],
        resolver: StringResolver,
    ) -> list[DatabaseRefFact]:
        name = resolver.value(key, scope)
        if name is None or not _PLAIN.match(name):
            return []
        return [DatabaseRefFact(self.ctx.span(node), name, "env", "os.environ")]

    def _connection(
        self,
        node: cst.Call,
        qualified: str,
        scope: tuple[str, ...],
        resolver: StringResolver,
        consumed: set[str],
    ) -> list[DatabaseRefFact]:
        """Database names and hosts a connection call is given (env vars: see `_env`)."""
        names: list[tuple[str, str]] = []
        index = CONNECTORS[qualified]
        first = positional(node, index) if index is not None else None
        by_position = qualified.startswith(_NAMED_BY_POSITION)
        values: list[tuple[cst.BaseExpression | None, str]] = [
            (first, "database" if by_position else "dsn")
        ]
        values += [(keyword(node, k), "dsn") for k in DSN_KEYWORDS]
        values += [(keyword(node, k), "database") for k in DATABASE_KEYWORDS]
        values += [(keyword(node, "host"), "host"), (keyword(node, "env"), "env")]
        for value, kind in values:
            text = resolver.value(value, scope) if value is not None else None
            if value is None or text is None:
                continue
            consumed.update(names_in(value))
            if kind == "dsn":
                names.extend(dsn_names(text))
            elif _PLAIN.match(text):
                names.append((kind, text))
        if not names:
            return []
        span = self.ctx.span(node)
        return [DatabaseRefFact(span, name, kind, qualified) for kind, name in dict.fromkeys(names)]


def dsn_names(text: str) -> list[tuple[str, str]]:
    """("database", name) and ("host", name) pairs of a DSN URL or libpq `key=value` string."""
    found: list[tuple[str, str]] = []
    if "://" in text:
        try:
            parts = urlsplit(text.strip())
            host = parts.hostname
        except ValueError:  # a malformed netloc, e.g. an unclosed IPv6 bracket
            return []
        database = unquote(parts.path.lstrip("/"))
        if database and _PLAIN.match(database):
            found.append(("database", database))
        if host and _PLAIN.match(host):
            found.append(("host", host))
        return found
    for key, value in _LIBPQ.findall(text):
        value = value.strip("'")
        if key.lower() in ("dbname", "host") and _PLAIN.match(value):
            found.append(("database" if key.lower() == "dbname" else "host", value))
    return found
