"""Fact values: what a file's code does, independent of any config. No libcst here."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Optional, TypedDict, TypeVar

from couplint_ast.facts.values import Value
from couplint_ast.model import Span

FACTS_SCHEMA_VERSION = 3

T = TypeVar("T")

# How a call's timeout is set (see `CallFact.timeout`).
TimeoutState = Literal["call", "client", "default", "missing", "none", "unknown"]
# What a broker operation does.
BrokerOperation = Literal["publish", "consume", "request"]


@dataclass(frozen=True)
class ImportFact:
    """One imported dotted name: `from a.b import c` gives `a.b.c`; relative ones keep `level`."""

    span: Span
    module: str
    level: int = 0


@dataclass(frozen=True)
class ColumnDef:
    """A column as a migration defines it: `type` is `coltypes.column_type`'s spelling ("" when
    not known), `nullable` None when not known, `has_default` a database-side default."""

    name: str
    type: str = ""
    nullable: Optional[bool] = None  # noqa: UP045 - evaluated at runtime by from_json
    has_default: bool = False


@dataclass(frozen=True)
class RevisionFact:
    """Where a migration file sits in its folder's history.

    Alembic: `revision` and `down_revision` (several for a merge, none for a root).
    Django: the file's own name and the same app's `dependencies` (by migration name).
    `known` is False when the file states its place in a way that is not a literal.
    """

    framework: str
    revision: str
    parents: tuple[str, ...] = ()
    known: bool = True


@dataclass(frozen=True)
class MigrationFact:
    """One schema operation of an Alembic revision or Django migration, as the file states it.

    `kind` is one of add_column, drop_column, alter_column, rename_column, create_table,
    drop_table, rename_table, rename_model, index, constraint, comment, insert, sql.
    `phase` is "upgrade", "downgrade", "state" (Django state only, no SQL runs) or ""
    (the file does not show that upgrade or downgrade runs it). Unknown names are "".

    Raw SQL (`kind` "sql") is read when the fact is made: `reads` and `writes` are the
    tables its statements read and write, and each schema change it makes follows it as a
    fact of its own kind with `from_sql` set (so no rule parses SQL).
    """

    span: Span
    framework: str
    kind: str
    phase: str
    table: str = ""
    model: str = ""
    column: str = ""
    new_name: str = ""
    nullable: Optional[bool] = None  # noqa: UP045 - evaluated at runtime by from_json
    has_default: bool = False
    type_change: bool = False
    references: tuple[str, ...] = ()
    sql: str = ""
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    from_sql: bool = False
    # What history needs (see `couplings.history`): the new type, the type and nullability
    # the operation says the column had, the columns a table, index or constraint has.
    column_type: str = ""
    existing_type: str = ""
    existing_nullable: Optional[bool] = None  # noqa: UP045 - evaluated at runtime by from_json
    drops_default: bool = False
    orm_default: bool = False  # a default the ORM fills in, not the database (Django default=)
    full: bool = False  # states the whole column (Django AlterField): unstated means default
    unique: bool = False
    columns: tuple[str, ...] = ()
    defines: tuple[ColumnDef, ...] = ()
    group: int = 0  # operations of one raw SQL text share a group number (>0)


@dataclass(frozen=True)
class Region:
    """A stretch of a file, from `start` up to (not including) `end`."""

    start: Span
    end: Span


@dataclass(frozen=True)
class StartupFact:
    """A function of this module that runs when the service starts, and why.

    - `function`: dotted class/def names, as `CallFact.scope` spells them ("create_app",
      "OrdersConfig.ready").
    - `hook`: the start-up hook it runs from, in words: "FastAPI startup handler 'warm'",
      "lifespan 'lifespan'", "Flask factory 'create_app'", "module-level code", ...
    - `via`: the function of this module that calls it ("" for the hook itself, "<module>"
      when module-level code calls it).
    - `skip`: parts of its body that do not run at start-up: lambdas, and what follows the
      first `yield` of a lifespan-style context (that is shutdown).
    """

    function: str
    hook: str
    via: str = ""
    skip: tuple[Region, ...] = ()


@dataclass(frozen=True)
class CallFact:
    """One outbound synchronous HTTP or RPC call, resolved as far as the file shows it.

    - `client`: the library: requests, httpx, aiohttp, urllib, urllib3, http.client, grpc, zeep.
    - `api`: what the code calls, as its docs name it: `requests.get`,
      `httpx.AsyncClient.post`, `grpc.OrdersStub.GetOrder`, `zeep.Client.service.GetStock`.
    - `method`: the HTTP verb upper-case (`GET`), or the RPC operation; "" when not static.
    - `target`: the URL (HTTP) or channel address (grpc, `host:port`), a client's `base_url`
      joined in, as a symbolic `Value` (alternatives of literal text, env vars, config
      keys, settings, parameters...); no alternatives when nothing is known.
    - `path`: the URL path when the target has one ("/orders/{?}"), grpc `/Stub/Method`.
    - `timeout`: "call" (given on the call, or bounded by a block or wrapper around it:
      `with eventlet.Timeout(5)`, `async with asyncio.timeout(5)`, `asyncio.wait_for`),
      "client" (on the session, client, connection or channel), "default" (the library's
      own default applies: httpx 5 s, aiohttp 300 s),
      "missing" (none given and the library has none), "none" (disabled with None),
      "unknown" (`**kwargs` forwarded, a client built elsewhere or customised).
    - `breaker`: a circuit breaker from pybreaker, circuitbreaker, aiobreaker or purgatory
      guards it (decorator of an enclosing function, `breaker.call(fn)`, `with` block).
    - `retry`: tenacity, backoff or stamina retries it (decorator, retry loop or wrapper).
    - `guards`: dotted names of what surrounds the call, innermost first: `with` items,
      wrapper calls, decorators of enclosing functions, each as written and import-resolved
      (`guarded`, `acme_http.guarded`), so that config (`circuit-breakers`) can add breakers.
    - `imported_guards`: the decorators of enclosing functions that are imported, by import
      name (`.breakers.orders_breaker`, `app.breakers.orders_breaker`): one of the
      project's own may be a breaker that only the workspace index can see.
    - `scope`: enclosing class and function names, dotted ("OrdersClient.fetch"); "" at
      module level.
    - `at_import`: the call runs when the module is imported or run: module level, a class
      body, a decorator or default value, `if __name__ == "__main__":`; not in a def or lambda.
    - `via`: for a call made through a wrapper function of this module (`_proxy(URL, p)`),
      the wrapper's name; the fact stands at the wrapper's call site, which chooses the
      target, and `timeout` is the wrapped call's (`wrapped` is where that call stands).
      "" for a direct call.
    - `forwarded`: the target holds a parameter of the enclosing function that the module's
      own calls of that function bind (their `via` facts say where it goes).
    - `params`: when the target holds a parameter of the enclosing function, that function's
      parameter names in order (the workspace binds other modules' calls of it).
    """

    span: Span
    client: str
    api: str
    method: str
    target: Value
    path: Optional[str]  # noqa: UP045 - evaluated at runtime by from_json
    timeout: TimeoutState
    breaker: bool = False
    retry: bool = False
    guards: tuple[str, ...] = ()
    imported_guards: tuple[str, ...] = ()  # decorators by import name (`.breakers.b`)
    scope: str = ""
    at_import: bool = False
    via: str = ""
    wrapped: Optional[Span] = None  # noqa: UP045 - evaluated at runtime by from_json
    forwarded: bool = False
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrokerFact:
    """One message-broker publish or consume: asynchronous, so never a synchronous call.

    - `library`: confluent_kafka, kafka, aiokafka, pika, aio_pika, kombu, celery, nats,
      redis, boto3.sqs, boto3.sns.
    - `operation`: "publish", "consume" or "request" (NATS request/reply).
    - `api`: what the code calls (`kafka.KafkaProducer.send`, `pika.channel.basic_publish`).
    - `destinations`: topics, queues, subjects, exchanges, streams or task names whose
      names are literal (constants included); empty when none is static.
    - `targets`: every destination as a symbolic `Value` (env vars, settings, parameters of
      a wrapper...), one per destination the call names; unknown ones have no alternatives.
      On AMQP's default exchange (`exchange=""`) the destination is the routing key.
    - `keys`: the routing keys given beside an exchange (pika, kombu, aio-pika), so that a
      wrapper's caller binding `exchange=""` still names the queue.
    - `scope` and `at_import`: as in `CallFact`.
    - `via`, `forwarded`, `params`: as in `CallFact`, for a publish or consume made
      through a wrapper function whose parameters choose the destination.
    """

    span: Span
    library: str
    operation: str
    api: str
    destinations: tuple[str, ...] = ()
    scope: str = ""
    at_import: bool = False
    targets: tuple[Value, ...] = ()
    keys: tuple[Value, ...] = ()
    via: str = ""
    forwarded: bool = False
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class UrlLiteralFact:
    """A string literal naming a network endpoint: a URL (`http://orders-api/x`, f-strings
    with their expressions resolved as far as the module shows) or, with `address` true, a
    bare `host:port` given to a grpc channel, an http.client connection or a urllib3 pool.
    Docstrings excluded. `default` is true for the default of an env var or config read
    (`os.getenv("ORDERS_URL", "http://orders-api")`): configuration, not a hard-coded call.
    """

    span: Span
    value: Value
    address: bool = False
    default: bool = False


@dataclass(frozen=True)
class SqlFact:
    """SQL that runs at `span`, through `runner` (`execute`, `text`, `read_sql_table`...), or
    with `runner` "" a SQL statement written down where no runner is visible (a constant).

    Tables are as written, schema kept, each once. `certain` is False when part of the text
    was read conservatively because no SQL dialect parsed it.
    """

    span: Span
    runner: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    certain: bool = True


@dataclass(frozen=True)
class TableMappingFact:
    """An ORM mapping onto a table, as written (schema kept).

    `kind`: "model" (a class mapped by `__tablename__`, Django `Meta.db_table`, peewee
    `Meta.table_name`, Tortoise `Meta.table`, SQLModel `table=True`; `model` is the class),
    "Table" (`sqlalchemy.Table(...)`), "table" (`sqlalchemy.table(...)`), "foreign_key"
    (`ForeignKey("t.c")`, SQLModel `foreign_key=`), "secondary" (`relationship(secondary=)`).
    """

    span: Span
    table: str
    kind: str
    model: str = ""


@dataclass(frozen=True)
class DatabaseRefFact:
    """A name through which code reaches a database, whatever the config says of it.

    `kind`: "env" (any environment variable read with `os.environ[...]`, `os.environ.get`,
    `os.getenv`), "database" (a database name in a connection call, a DSN or Django
    `DATABASES`), "host" (a host in the same places). `via`: the connection function's
    qualified name, "os.environ", "dsn" or "DATABASES".
    """

    span: Span
    name: str
    kind: str
    via: str = ""


@dataclass(frozen=True)
class RouteFact:
    """An HTTP route this module serves: `@app.get("/orders/{id}")` on `function`."""

    span: Span
    method: str
    path: str
    function: str


@dataclass(frozen=True)
class ClientExport:
    """A client object built at module level (`session = requests.Session()`,
    `stub = OrdersStub(channel)`): its catalog kind, constructor, the base it gives its
    calls' URLs, and the timeout it sets (None: it sets none). A circuit breaker built at
    module level (`orders_breaker = pybreaker.CircuitBreaker()`) is one too, of kind
    `breaker`, so that the modules decorating their functions with it are known guarded."""

    kind: str
    origin: str
    base: Value
    timeout: Optional[TimeoutState] = None  # noqa: UP045 - evaluated at runtime by from_json


@dataclass(frozen=True)
class ExportFact:
    """A module-level name other modules can import, and the value it holds: a constant
    (`ORDERS_URL = os.environ["ORDERS_API_URL"]`) or a settings value. Only names whose value
    says something about an endpoint (a URL, an env var, a config key, a setting, a name
    imported from elsewhere) are kept, and client objects (`client`, then `value` is empty).
    """

    name: str
    value: Value
    client: Optional[ClientExport] = None  # noqa: UP045 - evaluated at runtime by from_json


@dataclass(frozen=True)
class ForwardFact:
    """A call of a function imported from this project's own code (`from .http import
    get_json`), with the values of the arguments that can choose a target.

    `callee` is the imported dotted name as written (`.http.get_json`, `app.http.get_json`);
    `args` are (parameter position or keyword, value) pairs. The workspace binds them to the
    callee's parameters (`facts.types.CallFact.target` holds `param` parts) across modules.
    """

    span: Span
    callee: str
    args: tuple[tuple[str, Value], ...]
    scope: str = ""
    at_import: bool = False
    guards: tuple[str, ...] = ()
    breaker: bool = False
    imported_guards: tuple[str, ...] = ()  # decorators by import name (`.breakers.b`)


@dataclass(frozen=True)
class OrmUseFact:
    """A query (`access` "read") or a write ("write") through an ORM model class.

    - `model`: the class as the module names it, qualified through its imports: `Stock`
      for a class of this module, `inventory_db.models.Stock` or `.models.Stock` (relative
      imports keep their dots) for an imported one.
    - `via`: what the code calls, as written: `session.query`, `select`, `Stock.query`,
      `Stock.objects.filter`, `Stock.select`, `session.add`, `save`...
    - `table`: the table the model maps when another module of the workspace defines it,
      filled by the workspace index (`couplings.index`); "" in the file's own facts (its
      own models are read from `FileFacts.table_mappings`).
    """

    span: Span
    model: str
    access: str
    via: str = ""
    table: str = ""


@dataclass(frozen=True)
class FileFacts:
    """Everything extracted from one file; plain data that survives a JSON round trip."""

    path: str
    imports: tuple[ImportFact, ...] = ()
    migrations: tuple[MigrationFact, ...] = ()
    revisions: tuple[RevisionFact, ...] = ()
    startup: tuple[StartupFact, ...] = ()
    calls: tuple[CallFact, ...] = ()
    brokers: tuple[BrokerFact, ...] = ()
    url_literals: tuple[UrlLiteralFact, ...] = ()
    sql: tuple[SqlFact, ...] = ()
    table_mappings: tuple[TableMappingFact, ...] = ()
    database_refs: tuple[DatabaseRefFact, ...] = ()
    routes: tuple[RouteFact, ...] = ()
    exports: tuple[ExportFact, ...] = ()
    forwards: tuple[ForwardFact, ...] = ()
    orm_uses: tuple[OrmUseFact, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Rebuild facts from `to_json` output; `ValueError` if it does not fit."""
        try:
            return _decode(cls, data)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not couplint facts: {exc}") from None


@functools.cache
def _fields(kind: type) -> tuple[tuple[str, Any], ...]:
    """Each field of dataclass `kind` with its resolved type hint (resolved once per class:
    a warm cache decodes thousands of facts)."""
    hints = typing.get_type_hints(kind)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))


def _decode(kind: type[T], data: Any) -> T:
    """Build dataclass `kind` from nested dicts and lists, following its type hints."""
    fields: tuple[tuple[str, Any], ...] = _fields(typing.cast(type, kind))
    values = {name: _decode_value(hint, data[name]) for name, hint in fields if name in data}
    return kind(**values)


def _decode_value(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _decode(hint, value)  # type: ignore[arg-type]
    if origin is tuple:
        items = typing.get_args(hint)
        if len(items) == 2 and items[1] is Ellipsis:  # tuple[X, ...]
            return tuple(_decode_value(items[0], v) for v in value)
        if len(items) != len(value):
            raise TypeError(f"expected {len(items)} items, got {len(value)}")
        return tuple(_decode_value(item, v) for item, v in zip(items, value))
    # `types.UnionType` (`X | None`) exists from Python 3.10; on 3.9 only `typing.Union`.
    union_type = getattr(types, "UnionType", typing.Union)
    if origin is not None and (origin is typing.Union or origin is union_type):
        if value is None:
            return None
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode_value(args[0], value)
    if hint in (str, int, bool, float) and not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
    return value


class FactFields(TypedDict, total=False):
    """The FileFacts fields one collector fills (`facts.context.FactCollector.facts`)."""

    imports: tuple[ImportFact, ...]
    migrations: tuple[MigrationFact, ...]
    revisions: tuple[RevisionFact, ...]
    startup: tuple[StartupFact, ...]
    calls: tuple[CallFact, ...]
    brokers: tuple[BrokerFact, ...]
    url_literals: tuple[UrlLiteralFact, ...]
    sql: tuple[SqlFact, ...]
    table_mappings: tuple[TableMappingFact, ...]
    database_refs: tuple[DatabaseRefFact, ...]
    routes: tuple[RouteFact, ...]
    exports: tuple[ExportFact, ...]
    forwards: tuple[ForwardFact, ...]
    orm_uses: tuple[OrmUseFact, ...]
