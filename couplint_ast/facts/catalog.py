"""The client catalog: which imported names make outbound calls, as plain data (no libcst).

Rules read it for their prefilter needles, the call collector for what to recognise. A
name is the qualified name an import gives it (`requests.get`, `httpx.AsyncClient`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Api:
    """How one call of a client API reads: where its verb, URL and timeout are."""

    client: str
    label: str
    verb: str = ""  # fixed HTTP verb, or "" when `verb_arg` gives it (or it is RPC)
    verb_arg: int = -1  # positional index of the HTTP verb (`request(method, url)`)
    url_arg: int = 0  # positional index of the URL; -1: the client alone gives the target
    timeout_arg: int = -1  # positional index of the timeout; -1: keyword only
    default: Literal["missing", "default"] = "missing"  # the timeout state when none is given
    timeout_keyword: str = "timeout"  # the keyword that gives the timeout


_VERBS = ("get", "options", "head", "post", "put", "patch", "delete")


def _verbs(client: str, prefix: str, default: Literal["missing", "default"]) -> dict[str, Api]:
    apis = {v: Api(client, f"{prefix}.{v}", verb=v.upper(), default=default) for v in _VERBS}
    apis["request"] = Api(client, f"{prefix}.request", verb_arg=0, url_arg=1, default=default)
    return apis


def _module(prefix: str, apis: dict[str, Api]) -> dict[str, Api]:
    return {f"{prefix}.{name}": api for name, api in apis.items()}


# Functions of a module that make a call themselves.
MODULE_FUNCTIONS: dict[str, Api] = {
    **_module("requests", _verbs("requests", "requests", "missing")),
    **_module("requests.api", _verbs("requests", "requests", "missing")),
    **_module("httpx", _verbs("httpx", "httpx", "default")),
    "httpx.stream": Api("httpx", "httpx.stream", verb_arg=0, url_arg=1, default="default"),
    "aiohttp.request": Api("aiohttp", "aiohttp.request", verb_arg=0, url_arg=1, default="default"),
    "urllib.request.urlopen": Api("urllib", "urllib.request.urlopen", timeout_arg=2),
    # urlretrieve takes no timeout at all: only socket.setdefaulttimeout() can bound it.
    "urllib.request.urlretrieve": Api("urllib", "urllib.request.urlretrieve"),
    "urllib3.request": Api("urllib3", "urllib3.request", verb_arg=0, url_arg=1),
}

# Constructors (and factory functions) of client objects -> the kind of object.
CONSTRUCTORS: dict[str, str] = {
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "requests_toolbelt.sessions.BaseUrlSession": "requests.Session",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "urllib3.ProxyManager": "urllib3.PoolManager",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "http.client.HTTPSConnection": "http.client.HTTPSConnection",
    "grpc.insecure_channel": "grpc.Channel",
    "grpc.secure_channel": "grpc.Channel",
    "grpc.aio.insecure_channel": "grpc.Channel",
    "grpc.aio.secure_channel": "grpc.Channel",
    "grpc.intercept_channel": "grpc.Channel",
    # nameko: a dependency provider whose attribute calls go to the named service over AMQP.
    "nameko.rpc.RpcProxy": "nameko.RpcProxy",
    "nameko.rpc.ServiceRpc": "nameko.RpcProxy",
    "nameko.standalone.rpc.ServiceRpcProxy": "nameko.RpcProxy",
    "nameko.standalone.rpc.ClusterRpcProxy": "nameko.Cluster",
    "nameko.standalone.rpc.ClusterRpcClient": "nameko.Cluster",
    "xmlrpc.client.ServerProxy": "xmlrpc.ServerProxy",
    "smtplib.SMTP": "smtplib.SMTP",
    "smtplib.SMTP_SSL": "smtplib.SMTP",
    "smtplib.LMTP": "smtplib.SMTP",
    "zeep.Client": "zeep.Client",
    "zeep.AsyncClient": "zeep.Client",
    "zeep.CachingClient": "zeep.Client",
    "zeep.client.Client": "zeep.Client",
    "urllib.request.Request": "urllib.Request",
    "urllib.request.build_opener": "urllib.OpenerDirector",
}

# Classes whose annotation on a parameter or attribute makes it a client of that kind.
ANNOTATIONS: dict[str, str] = {
    name: kind
    for name, kind in CONSTRUCTORS.items()
    if name.rsplit(".", 1)[1][:1].isupper() and kind != "urllib.Request"
}
ANNOTATIONS.update({"grpc.Channel": "grpc.Channel", "grpc.aio.Channel": "grpc.Channel"})


def _pool(client: str, prefix: str) -> dict[str, Api]:
    names = ("request", "urlopen", "request_encode_url", "request_encode_body")
    return {n: Api(client, f"{prefix}.{n}", verb_arg=0, url_arg=1) for n in names}


# Methods of each kind of client object that make a call.
KIND_METHODS: dict[str, dict[str, Api]] = {
    "requests.Session": {
        **_verbs("requests", "requests.Session", "missing"),
        # send(prepared_request): the target is in the prepared request, unknown here.
        "send": Api("requests", "requests.Session.send", url_arg=-1),
    },
    "urllib.OpenerDirector": {
        "open": Api("urllib", "urllib.request.OpenerDirector.open", timeout_arg=2),
    },
    "httpx.Client": {
        **_verbs("httpx", "httpx.Client", "default"),
        "stream": Api("httpx", "httpx.Client.stream", verb_arg=0, url_arg=1, default="default"),
    },
    "httpx.AsyncClient": {
        **_verbs("httpx", "httpx.AsyncClient", "default"),
        "stream": Api(
            "httpx", "httpx.AsyncClient.stream", verb_arg=0, url_arg=1, default="default"
        ),
    },
    "aiohttp.ClientSession": {
        **_verbs("aiohttp", "aiohttp.ClientSession", "default"),
        "ws_connect": Api(
            "aiohttp", "aiohttp.ClientSession.ws_connect", verb="GET", default="default"
        ),
    },
    "urllib3.PoolManager": _pool("urllib3", "urllib3.PoolManager"),
    "urllib3.HTTPConnectionPool": _pool("urllib3", "urllib3.HTTPConnectionPool"),
    "urllib3.HTTPSConnectionPool": _pool("urllib3", "urllib3.HTTPSConnectionPool"),
    "http.client.HTTPConnection": {
        "request": Api("http.client", "http.client.HTTPConnection.request", verb_arg=0, url_arg=1)
    },
    "http.client.HTTPSConnection": {
        "request": Api("http.client", "http.client.HTTPSConnection.request", verb_arg=0, url_arg=1)
    },
    # Mail handed to another container's SMTP/LMTP server, waiting for its answer.
    "smtplib.SMTP": {
        "sendmail": Api("smtplib", "smtplib.SMTP.sendmail", url_arg=-1),
        "send_message": Api("smtplib", "smtplib.SMTP.send_message", url_arg=-1),
    },
}

# grpc stub methods take (request, timeout=None, ...); `.future` and `.with_call` alike.
GRPC_STUB_CALL = Api("grpc", "grpc", url_arg=-1, timeout_arg=1)
GRPC_CALL_VARIANTS = frozenset({"future", "with_call"})
ZEEP_OPERATION = Api("zeep", "zeep.Client.service", url_arg=-1)
# `self.orders_rpc.get_order(...)`: waits for the reply with no time limit unless the proxy
# was built with one (`ServiceRpcProxy(..., timeout=)`); `.call_async` does not wait.
NAMEKO_RPC_CALL = Api("nameko", "nameko", url_arg=-1)
# OpenAPI Generator (and swagger-codegen) clients: `Configuration(host=...)` flows through
# `ApiClient(configuration)` into every `SomethingApi(api_client).operation(...)`, which
# takes `_request_timeout` and has none by default.
OPENAPI_CALL = Api("openapi", "openapi", url_arg=-1, timeout_keyword="_request_timeout")
# A client object of a package that is no catalog library (`BillingClient(...).charge()`):
# a call to the service whose `packages` hold it (its own client library), if one does.
PACKAGE_CLIENT_CALL = Api("package", "package", url_arg=-1)
PACKAGE_CLIENT = re.compile(r"[A-Z]\w*(?:Client|Api|API|Sdk|SDK)")
# `ServerProxy(url).method(...)`: XML-RPC over HTTP, bounded only by the socket default.
XMLRPC_CALL = Api("xmlrpc", "xmlrpc.client.ServerProxy", url_arg=-1)

# Where a constructor's own settings are: (keyword, positional index) of each.
CTOR_TIMEOUT: dict[str, int] = {  # kind -> positional index of `timeout` (-1 keyword only)
    "httpx.Client": -1,
    "httpx.AsyncClient": -1,
    "aiohttp.ClientSession": -1,
    "urllib3.PoolManager": -1,
    "urllib3.HTTPConnectionPool": 2,
    "urllib3.HTTPSConnectionPool": 2,
    "http.client.HTTPConnection": 2,
    "http.client.HTTPSConnection": -1,
    "smtplib.SMTP": 3,  # SMTP(host, port, local_hostname, timeout)
}
# Values of these constructors passed as `timeout` disable it when all their args are None.
TIMEOUT_CLASSES = frozenset({"httpx.Timeout", "aiohttp.ClientTimeout", "urllib3.Timeout"})
# `aiohttp.ClientTimeout()` with no argument at all has no limit either.
EMPTY_IS_NO_TIMEOUT = frozenset({"aiohttp.ClientTimeout"})
ZEEP_TRANSPORTS = frozenset({"zeep.Transport", "zeep.transports.Transport", "zeep.AsyncTransport"})
# Library-wide timeouts: after `socket.setdefaulttimeout(x)` "missing" becomes "unknown".
SOCKET_DEFAULT = "socket.setdefaulttimeout"
SOCKET_CLIENTS = frozenset({"urllib", "urllib3", "http.client", "smtplib", "xmlrpc"})

# Methods on a client object that customise how it sends (a timeout may hide there).
CUSTOMISERS = frozenset({"mount", "request", "send", "timeout"})

# Calls that run their first argument (a function) with the arguments after it.
FORWARDERS: dict[str, int] = {  # last name segment -> index of the function argument
    "call": 0,
    "call_async": 0,
    "submit": 0,
    "to_thread": 0,
    "run_sync": 0,
    "run_in_threadpool": 0,
    "run_in_executor": 1,
    "partial": 0,
}

# Blocks and wrappers that bound whatever runs inside them: a timeout all the same.
TIMEOUT_BLOCKS = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "async_timeout.timeout",
        "anyio.fail_after",
        "anyio.move_on_after",
        "trio.fail_after",
        "trio.move_on_after",
        "eventlet.Timeout",
        "eventlet.timeout.Timeout",
        "gevent.Timeout",
        "gevent.timeout.Timeout",
    }
)
TIMEOUT_WRAPPERS = frozenset({"asyncio.wait_for"})

# Circuit breakers.
BREAKER_CLASSES: dict[str, str] = {
    "pybreaker.CircuitBreaker": "breaker",
    "aiobreaker.CircuitBreaker": "breaker",
    "circuitbreaker.CircuitBreaker": "breaker",
    "purgatory.AsyncCircuitBreakerFactory": "breaker.factory",
    "purgatory.SyncCircuitBreakerFactory": "breaker.factory",
    "purgatory.CircuitBreakerFactory": "breaker.factory",
}
BREAKER_DECORATORS = frozenset({"circuitbreaker.circuit"})
BREAKER_WRAPPERS = frozenset({"call", "call_async"})  # methods of a breaker: run fn guarded
BREAKER_SUBCLASSABLE = frozenset({"circuitbreaker.CircuitBreaker"})

# Retries: decorators, loop iterators and wrapper objects.
RETRY_DECORATORS = frozenset(
    {
        "tenacity.retry",
        "backoff.on_exception",
        "backoff.on_predicate",
        "stamina.retry",
        "retrying.retry",
    }
)
# `for attempt in Retrying(...)`, `retryer(fn, ...)`: objects that retry what they run.
RETRY_OBJECTS = frozenset({"tenacity.Retrying", "tenacity.AsyncRetrying", "stamina.retry_context"})

# Object kinds a method of another kind returns.
FACTORIES: dict[tuple[str, str], str] = {
    ("breaker", "calling"): "breaker.context",
    ("breaker.factory", "get_breaker"): "breaker.context",
}
# Object kinds an attribute of another kind is.
ATTRIBUTE_FACTORIES: dict[tuple[str, str], str] = {
    ("zeep.Client", "service"): "zeep.Service",
    ("aio_pika.Channel", "default_exchange"): "aio_pika.Exchange",
}


# Top-level packages of everything above: a file that imports none of them has no calls.
CLIENT_MODULES = (
    "requests",
    "requests_toolbelt",
    "httpx",
    "aiohttp",
    "urllib.request",
    "urllib3",
    "http.client",
    "grpc",
    "zeep",
    "nameko",
    "smtplib",
    "xmlrpc.client",
)
BROKER_MODULES = (
    "confluent_kafka",
    "kafka",
    "aiokafka",
    "pika",
    "aio_pika",
    "kombu",
    "celery",
    "nats",
    "redis",
    "boto3",
)
# A file that imports none of these packages makes no call and no broker operation.
CATALOG_ROOTS = frozenset(m.split(".", 1)[0] for m in (*CLIENT_MODULES, *BROKER_MODULES))
