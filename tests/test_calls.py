# ruff: noqa: E501  (tables of cases: one case a line reads best)
"""CPL301-CPL304: each client, receiver form, target form, timeout rule and breaker style."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from couplint_ast import testing
from couplint_ast.config import Config, ServiceConfig
from couplint_ast.engine import Linter
from couplint_ast.facts import FileFacts
from couplint_ast.facts.extract import extract_facts
from couplint_ast.facts.types import CallFact
from couplint_ast.model import code_selector
from couplint_ast.parse import parse_module
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH

Found = tuple[int, int, str, str]


def lint(code: str, config: Config = EXAMPLE_CONFIG, prefix: str = "CPL3") -> list[Found]:
    """(line, col, code, message) of every CPL3 diagnostic, prefilter on and off agreeing."""
    return testing.lint(code, (prefix,), config)


def facts(code: str) -> FileFacts:
    module = parse_module(textwrap.dedent(code))
    assert module is not None
    return extract_facts(module, EXAMPLE_PATH)


def calls(code: str) -> list[CallFact]:
    return list(facts(code).calls)


def call(code: str) -> CallFact:
    (only,) = calls(code)
    return only


def codes(code: str, config: Config = EXAMPLE_CONFIG) -> list[tuple[int, str]]:
    return [(line, c) for line, _, c, _ in lint(code, config)]


ORDERS = "synchronous call to service 'orders' with {}"
UNGUARDED = "call to service 'orders' is not guarded by a circuit breaker"


# -- each client --------------------------------------------------------------------------
CLIENTS = [
    ("import requests\nrequests.get('http://orders-api/o')\n", "requests", "requests.get"),
    ("import requests\nrequests.request('PUT', 'http://orders-api/o')\n", "requests", "requests.request"),
    ("from requests import post\npost('http://orders-api/o')\n", "requests", "requests.post"),
    ("import requests\nrequests.Session().get('http://orders-api/o')\n", "requests", "requests.Session.get"),
    ("import requests\ns = requests.session()\ns.patch('http://orders-api/o')\n", "requests", "requests.Session.patch"),
    ("import httpx\nhttpx.delete('http://orders-api/o', timeout=None)\n", "httpx", "httpx.delete"),
    ("import httpx\nhttpx.stream('GET', 'http://orders-api/o', timeout=None)\n", "httpx", "httpx.stream"),
    ("import httpx\nhttpx.Client(timeout=None).head('http://orders-api/o')\n", "httpx", "httpx.Client.head"),
    ("import httpx\nhttpx.AsyncClient(timeout=None).options('http://orders-api/o')\n", "httpx", "httpx.AsyncClient.options"),
    ("import aiohttp\naiohttp.ClientSession().post('http://orders-api/o', timeout=None)\n", "aiohttp", "aiohttp.ClientSession.post"),
    ("import aiohttp\naiohttp.request('GET', 'http://orders-api/o', timeout=None)\n", "aiohttp", "aiohttp.request"),
    ("from urllib.request import urlopen\nurlopen('http://orders-api/o')\n", "urllib", "urllib.request.urlopen"),
    ("import urllib.request\nurllib.request.urlopen(urllib.request.Request('http://orders-api/o'))\n", "urllib", "urllib.request.urlopen"),
    ("import urllib3\nurllib3.PoolManager().request('GET', 'http://orders-api/o')\n", "urllib3", "urllib3.PoolManager.request"),
    ("import urllib3\nurllib3.request('GET', 'http://orders-api/o')\n", "urllib3", "urllib3.request"),
    ("import urllib3\nurllib3.HTTPConnectionPool('orders-api').urlopen('GET', '/o')\n", "urllib3", "urllib3.HTTPConnectionPool.urlopen"),
    ("import urllib3\nurllib3.connection_from_url('http://orders-api').request('GET', '/o')\n", "urllib3", "urllib3.HTTPConnectionPool.request"),
    ("import http.client\nhttp.client.HTTPConnection('orders-api').request('GET', '/o')\n", "http.client", "http.client.HTTPConnection.request"),
    ("from http import client\nclient.HTTPSConnection('orders-api').request('GET', '/o')\n", "http.client", "http.client.HTTPSConnection.request"),
    ("import grpc, o_pb2_grpc\no_pb2_grpc.OStub(grpc.insecure_channel('orders-api:1')).Get(r)\n", "grpc", "grpc.OStub.Get"),
    ("import grpc, o_pb2_grpc\no_pb2_grpc.OStub(grpc.secure_channel('orders-api:1', c)).Get.future(r)\n", "grpc", "grpc.OStub.Get"),
    ("import grpc, o_pb2_grpc\no_pb2_grpc.OStub(grpc.aio.insecure_channel('orders-api:1')).Get.with_call(r)\n", "grpc", "grpc.OStub.Get"),
    ("import zeep\nzeep.Client('http://orders-api/?wsdl').service.Place(1)\n", "zeep", "zeep.Client.service.Place"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "client", "api"), CLIENTS, ids=[c[2] for c in CLIENTS])
def test_each_client_is_a_call_to_its_service_with_no_timeout(
    code: str, client: str, api: str
) -> None:
    found = call(code)
    assert (found.client, found.api) == (client, api)
    problem = "has its timeout disabled (None)" if "timeout=None" in code else "has no timeout"
    line = code.count("\n")
    assert [d for d in lint(code) if d[2] != "CPL304"] == [
        (line, 0, "CPL301", ORDERS.format(client)),
        (line, 0, "CPL302", f"{api}() {problem}"),
        (line, 0, "CPL303", UNGUARDED),
    ]


def test_verb_target_and_path_of_each_kind() -> None:
    found = calls(
        """
        import requests, grpc, o_pb2_grpc, http.client
        requests.request("post", "http://orders-api/a/b?x=1")
        http.client.HTTPConnection("orders-api", 8080).request("DELETE", "/c")
        o_pb2_grpc.OrdersStub(grpc.insecure_channel("dns:///orders-api:50051")).Get(r)
        """
    )
    assert [(c.method, c.target.shown(), c.path) for c in found] == [
        ("POST", "http://orders-api/a/b?x=1", "/a/b"),
        ("DELETE", "http://orders-api:8080/c", "/c"),
        ("Get", "dns:///orders-api:50051", "/Orders/Get"),
    ]


# -- receivers ---------------------------------------------------------------------------
RECEIVERS = {
    "module name": "import requests\ns = requests.Session()\ndef f():\n    s.get(URL)\n",
    "local name": "import requests\ndef f():\n    s = requests.Session()\n    s.get(URL)\n",
    "self.x in __init__": (
        "import httpx\nclass C:\n    def __init__(self):\n        self.c = httpx.Client()\n"
        "    def f(self):\n        self.c.get(URL)\n"
    ),
    "self.x in a base class": (
        "import httpx\nclass B:\n    def __init__(self):\n        self.c = httpx.Client()\n"
        "class C(B):\n    def f(self):\n        self.c.get(URL)\n"
    ),
    "class attribute": "import httpx\nclass C:\n    c = httpx.Client()\n    def f(self):\n        self.c.get(URL)\n",
    "property": (
        "import httpx\nclass C:\n    @property\n    def c(self):\n        return httpx.Client()\n"
        "    def f(self):\n        self.c.get(URL)\n"
    ),
    "with": "import httpx\nwith httpx.Client() as c:\n    c.get(URL)\n",
    "async with": "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n        await s.get(URL)\n",
    "returned by a function": "import httpx\ndef make():\n    return httpx.Client()\ndef f():\n    make().get(URL)\n",
    "returned through a name": "import httpx\ndef make():\n    c = httpx.Client()\n    return c\nc = make()\nc.get(URL)\n",
    "lazy global": (
        "import requests\n_s = None\ndef s():\n    global _s\n    if _s is None:\n"
        "        _s = requests.Session()\n    return _s\ndef f():\n    s().get(URL)\n"
    ),
    "annotated parameter": "import requests\ndef f(s: requests.Session | None):\n    s.get(URL)\n",
    "dataclass field": "import httpx\nclass C:\n    c: httpx.Client\n    def f(self):\n        self.c.get(URL)\n",
    "walrus": "import httpx\nif (c := httpx.Client()):\n    c.get(URL)\n",
    "subclass of ours": "import requests\nclass S(requests.Session):\n    pass\nS().get(URL)\n",
}  # fmt: skip


@pytest.mark.parametrize("code", RECEIVERS.values(), ids=list(RECEIVERS))
def test_receiver_forms(code: str) -> None:
    found = call("URL = 'http://orders-api/o'\n" + code)
    assert found.target.shown() == "http://orders-api/o"


NOT_RECEIVERS = {
    "a dict's get": "import requests\nd = {}\nd.get(URL)\n",
    "an attribute ending in requests": (
        "import requests\nclass C:\n    def __init__(self):\n        self.existing_requests = {}\n"
        "    def f(self, uri):\n        return self.existing_requests.get(uri)\n"
    ),
    "rebound module": "import requests\nrequests = Wrapper()\nrequests.get(URL)\n",
    "rebound by import": "import requests\nfrom .compat import requests\nrequests.get(URL)\n",
    "local rebinding": "import requests\ndef f():\n    requests = {}\n    requests.get(URL)\n",
    "a parameter named requests": "import requests\ndef f(requests):\n    requests.get(URL)\n",
    "an unannotated parameter": "import requests\ndef f(session):\n    session.get(URL)\n",
    "a loop variable": "import httpx\nfor c in clients:\n    c.get(URL)\n",
    "a comprehension variable": "import httpx\nc = httpx.Client()\n[c.get(URL) for c in clients]\n",
    "a lambda parameter": "import httpx\nc = httpx.Client()\nf = lambda c: c.get(URL)\n",
    "two kinds of value": "import httpx\nc = httpx.Client()\nc = {}\nc.get(URL)\n",
    "an unknown stub class": "import grpc\nFooStub(make_channel()).Get(r)\n",
    "private stub attribute": "import grpc, o_pb2_grpc\no_pb2_grpc.OStub(ch)._channel(r)\n",
}  # fmt: skip


@pytest.mark.parametrize("code", NOT_RECEIVERS.values(), ids=list(NOT_RECEIVERS))
def test_near_misses_are_no_calls(code: str) -> None:
    source = "URL = 'http://orders-api/o'\n" + code
    assert calls(source) == []
    assert codes(source) == [(1, "CPL304")]  # only the literal itself


def test_a_response_is_not_a_client() -> None:
    code = "import httpx\nwith httpx.stream('GET', URL, timeout=1) as r:\n    r.get('x')\n"
    assert [c.api for c in calls(code)] == ["httpx.stream"]


# -- targets -----------------------------------------------------------------------------
TARGETS = [
    ("'http://orders-api/o'", "service 'orders'"),
    ("f'http://orders-api/o/{oid}'", "service 'orders'"),
    ("'http://' + 'orders-api' + '/o'", "service 'orders'"),
    ("'http://{}/o'.format('orders-api')", "service 'orders'"),
    ("'http://%s/o' % 'orders-api'", "service 'orders'"),
    ("urljoin('http://orders-api/', 'o')", "service 'orders'"),
    ("BASE + '/o'", "service 'orders'"),
    ("Settings.BASE", "service 'orders'"),
    ("os.environ['ORDERS_API_URL'] + '/o'", "service 'orders'"),
    ("f\"{os.environ.get('INVENTORY_URL', 'http://x')}/s\"", "service 'inventory'"),
    ("os.getenv('INVENTORY_URL')", "service 'inventory'"),
    ("f'{settings.ORDERS_API_URL}/o'", "service 'orders'"),
    ("settings.orders_api_url + '/o'", "service 'orders'"),
    ("'http://INVENTORY-API:8080/s'", "service 'inventory'"),
    ("'http://inventory-api/s'", "service 'inventory'"),
    ("'http://inventory-api.shop.svc.cluster.local:8080/s'", "service 'inventory'"),
    ("'https://user:pw@orders-api/o'", "service 'orders'"),
    ("os.getenv('PARTNER_URL', 'http://orders-api')", "service 'orders'"),  # the default
    ("os.getenv('PARTNER_URL') or BASE", "service 'orders'"),
    ("BASE if os.getenv('X') is None else os.getenv('X')", "service 'orders'"),
    ("'/'.join([BASE, 'o'])", "service 'orders'"),
    ("DETAILS['name'] + '/' + DETAILS['endpoint']", "service 'inventory'"),
    ("app.config['ORDERS_API_URL'] + '/o'", "service 'orders'"),
    ("current_app.config.get('INVENTORY_URL') + '/s'", "service 'inventory'"),
    ("env['ORDERS_API_URL'] + '/o'", "service 'orders'"),
]
LIST_IT = " (add it to a service's hosts, or to ignore-hosts)"
NO_CALLER = " (no call of it here says where it goes)"
UNRESOLVED = [
    ("oid", "parameter 'oid' of 'f'" + NO_CALLER),
    ("f'http://{host}/o'", "parameter 'host' of 'f'" + NO_CALLER),
    ("f'http://{make()}/o'", "a value computed at run time"),
    ("os.environ['PARTNER_URL']", "env var 'PARTNER_URL'" + LIST_IT),
    ("app.config['PARTNER_URL']", "config key 'PARTNER_URL'" + LIST_IT),
    ("'/relative'", "a value computed at run time"),
]
THIRD_PARTY = ["'http://api.github.com/x'", "'http://orders-api.example.com/x'"]
TARGET_HEAD = (
    "import os\nimport requests\nfrom urllib.parse import urljoin\nfrom flask import current_app\n"
    "BASE = 'http://orders-api'\nDETAILS = {'name': 'http://inventory-api:8080', 'endpoint': 's'}\n"
    "class Settings:\n    BASE = 'http://orders-api/o'\n"
    "def f(oid, host):\n    env = load_env()\n    requests.get(EXPR, timeout=1)\n"
)


@pytest.mark.parametrize(("expr", "target"), TARGETS, ids=[t[0] for t in TARGETS])
def test_target_forms(expr: str, target: str) -> None:
    found = [m for _, _, c, m in lint(TARGET_HEAD.replace("EXPR", expr)) if c == "CPL301"]
    assert found == [f"synchronous call to {target} with requests"]


@pytest.mark.parametrize(("expr", "missing"), UNRESOLVED, ids=[t[0] for t in UNRESOLVED])
def test_unresolved_targets_are_cpl305_only_when_named(expr: str, missing: str) -> None:
    code = TARGET_HEAD.replace("EXPR", expr)
    assert [c for _, _, c, _ in lint(code) if c != "CPL304"] == []  # CPL3 leaves CPL305 off
    assert [(line, m) for line, _, c, m in lint(code, prefix="CPL305")] == [
        (
            11,
            f"call target is not resolved: {missing}",
        )
    ]


@pytest.mark.parametrize("expr", THIRD_PARTY)
def test_third_party_hosts_are_not_coupling(expr: str) -> None:
    found = lint(TARGET_HEAD.replace("EXPR", expr).replace(", timeout=1", ""))
    assert [c for _, _, c, _ in found if c != "CPL304"] == []
    assert lint(TARGET_HEAD.replace("EXPR", expr), prefix="CPL305") == []


NOT_COUPLING = [
    "'http://shipping-api/labels'",  # own service
    "'https://api.stripe.com/v1'",  # ignore-hosts
    "'https://uploads.api.stripe.com/v1'",  # a subdomain of an ignored host
]


@pytest.mark.parametrize("expr", NOT_COUPLING)
def test_own_service_and_third_parties_are_not_coupling(expr: str) -> None:
    assert lint(f"import requests\nrequests.get({expr}, timeout=1)\n") == []
    assert codes(f"import requests\nrequests.get({expr})\n") == []  # not a service: no CPL302


def test_base_url_and_channel_address_are_joined() -> None:
    found = calls(
        """
        import httpx, aiohttp, grpc, o_pb2_grpc
        c = httpx.Client(base_url="http://inventory-api:8080/v1")
        c.get("/stock")
        c.get("http://orders-api/absolute")
        aiohttp.ClientSession("http://orders-api").get("/o")
        ch = grpc.intercept_channel(grpc.insecure_channel("orders-api:50051"), interceptor)
        o_pb2_grpc.OrdersStub(ch).Get(r)
        """
    )
    assert [c.target.shown() for c in found] == [
        "http://inventory-api:8080/v1/stock",
        "http://orders-api/absolute",
        "http://orders-api/o",
        "orders-api:50051",
    ]
    assert [c.timeout for c in found] == ["default", "default", "default", "unknown"]


def test_symbolic_targets_read_well() -> None:
    found = call("import os, requests\nrequests.get(f\"{os.environ['ORDERS_API_URL']}/o/{x}\")\n")
    assert found.target.shown() == "${ORDERS_API_URL}/o/{x}"
    assert found.path == "/o/{x}"


# -- timeouts ----------------------------------------------------------------------------
TIMEOUTS = [
    # (code, timeout state, CPL302 reported)
    ("import requests\nrequests.get(U, timeout=3)\n", "call", False),
    ("import requests\nrequests.get(U, timeout=None)\n", "none", True),
    ("import requests\nrequests.get(U)\n", "missing", True),
    ("import requests\ndef f(**kw):\n    requests.get(U, **kw)\n", "unknown", False),
    ("import requests\ndef f(*a):\n    requests.get(*a)\n", "missing", False),  # no target
    ("import requests\ns = requests.Session()\ns.timeout = 5  # requests ignores it\ns.get(U)\n", "missing", True),
    ("import requests\ns = requests.Session()\ns.mount('http://', A(timeout=3))\ns.get(U)\n", "unknown", False),
    ("import requests\nclass S(requests.Session):\n    pass\nS().get(U)\n", "unknown", False),
    ("import requests\ndef f(s: requests.Session):\n    s.get(U)\n", "unknown", False),
    ("import httpx\nhttpx.get(U)\n", "default", False),
    ("import httpx\nhttpx.Client(timeout=10).get(U)\n", "client", False),
    ("import httpx\nhttpx.Client(timeout=None).get(U)\n", "none", True),
    ("import httpx\nhttpx.Client(timeout=httpx.Timeout(None)).get(U)\n", "none", True),
    ("import httpx\nhttpx.Client(timeout=httpx.Timeout(None, connect=2)).get(U)\n", "client", False),
    ("import httpx\nhttpx.Client(timeout=None).get(U, timeout=2)\n", "call", False),
    ("import httpx\nc = httpx.Client()\nc.timeout = None\nc.get(U)\n", "none", True),
    ("import httpx\nNO_LIMIT = None\nhttpx.get(U, timeout=NO_LIMIT)\n", "none", True),
    ("import aiohttp\naiohttp.ClientSession().get(U)\n", "default", False),
    ("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout()).get(U)\n", "none", True),
    ("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)).get(U)\n", "none", True),
    ("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=9)).get(U)\n", "client", False),
    ("from urllib.request import urlopen\nurlopen(U, None, 5)\n", "call", False),
    ("import socket\nfrom urllib.request import urlopen\nsocket.setdefaulttimeout(5)\nurlopen(U)\n", "unknown", False),
    ("import urllib3\nurllib3.PoolManager(timeout=3).request('GET', U)\n", "client", False),
    ("import urllib3\nurllib3.HTTPConnectionPool('orders-api', 80, 3).request('GET', '/')\n", "client", False),
    ("import urllib3\nurllib3.PoolManager(**opts).request('GET', U)\n", "unknown", False),
    ("import http.client\nhttp.client.HTTPConnection('orders-api', 80, 3).request('GET', '/')\n", "client", False),
    ("import http.client\nc = http.client.HTTPConnection('orders-api')\nc.timeout = 3\nc.request('GET', '/')\n", "client", False),
    ("import grpc, o_pb2_grpc\no_pb2_grpc.OStub(grpc.insecure_channel(A)).Get(r, 2)\n", "call", False),
    ("import grpc, o_pb2_grpc\no_pb2_grpc.OStub(grpc.insecure_channel(A)).Get(r)\n", "missing", True),
    ("import zeep\nzeep.Client(W).service.Op(1)\n", "missing", True),
    ("import zeep\nfrom zeep import Transport\nzeep.Client(W, transport=Transport(operation_timeout=5)).service.Op(1)\n", "client", False),
    ("import zeep\nzeep.Client(W, transport=make_transport()).service.Op(1)\n", "unknown", False),
]  # fmt: skip


@pytest.mark.parametrize(("code", "state", "reported"), TIMEOUTS, ids=[t[0] for t in TIMEOUTS])
def test_timeout_rules(code: str, state: str, reported: bool) -> None:
    source = "U = 'http://orders-api/o'\nA = 'orders-api:50051'\nW = 'http://orders-api/w'\n" + code
    assert [c.timeout for c in calls(source)] == [state]
    assert [c for _, c in codes(source) if c == "CPL302"] == (["CPL302"] if reported else [])


def test_aiohttp_default_is_reported_when_configured() -> None:
    code = "import aiohttp\nasync def f(s: aiohttp.ClientSession):\n    pass\nasync def g():\n"
    code += "    async with aiohttp.ClientSession() as s:\n        await s.get(U)\n"
    code = "U = 'http://orders-api/o'\n" + code
    assert [m for _, _, c, m in lint(code) if c == "CPL302"] == []
    strict = dataclasses.replace(EXAMPLE_CONFIG, report_aiohttp_default_timeout=True)
    assert [(line, col, m) for line, col, c, m in lint(code, strict) if c == "CPL302"] == [
        (7, 14, "aiohttp.ClientSession.get() relies on aiohttp's default timeout of 300 s")
    ]


def test_httpx_default_is_never_reported() -> None:
    strict = dataclasses.replace(EXAMPLE_CONFIG, report_aiohttp_default_timeout=True)
    assert codes("import httpx\nhttpx.get('https://api.stripe.com/x')\n", strict) == []


# -- breakers ----------------------------------------------------------------------------
HEAD = (
    "import pybreaker, aiobreaker, requests\nimport circuitbreaker\n"
    "from circuitbreaker import circuit, CircuitBreaker\n"
    "from purgatory import AsyncCircuitBreakerFactory, SyncCircuitBreakerFactory\n"
    "from acme_http import guarded\nimport tenacity, backoff, stamina\n"
    "pb = pybreaker.CircuitBreaker()\nab = aiobreaker.CircuitBreaker()\n"
    "cb = circuitbreaker.CircuitBreaker()\nsync = SyncCircuitBreakerFactory()\n"
    "breakers = AsyncCircuitBreakerFactory()\nclass Mine(CircuitBreaker):\n    pass\n"
    "U = 'http://orders-api/o'\n"
)
GUARDED = {
    "pybreaker decorator": "@pb\ndef f():\n    requests.get(U, timeout=1)\n",
    "aiobreaker decorator": "@ab\nasync def f():\n    requests.get(U, timeout=1)\n",
    "aiobreaker decorator called": "@ab()\nasync def f():\n    requests.get(U, timeout=1)\n",
    "circuitbreaker instance": "@cb\ndef f():\n    requests.get(U, timeout=1)\n",
    "circuit": "@circuit\ndef f():\n    requests.get(U, timeout=1)\n",
    "circuit()": "@circuitbreaker.circuit(failure_threshold=2)\ndef f():\n    requests.get(U, timeout=1)\n",
    "subclass instance": "@Mine()\ndef f():\n    requests.get(U, timeout=1)\n",
    "purgatory decorator": "@breakers('orders')\nasync def f():\n    requests.get(U, timeout=1)\n",
    "purgatory async with": "async def f():\n    async with await breakers.get_breaker('o'):\n        requests.get(U, timeout=1)\n",
    "purgatory with": "def f():\n    with sync.get_breaker('o'):\n        requests.get(U, timeout=1)\n",
    "calling()": "with pb.calling():\n    requests.get(U, timeout=1)\n",
    "call(client fn)": "pb.call(requests.get, U, timeout=1)\n",
    "call_async(fn)": "async def g():\n    requests.get(U, timeout=1)\nab.call_async(g)\n",
    "call(lambda)": "pb.call(lambda: requests.get(U, timeout=1))\n",
    "breaker(fn)": "def g():\n    requests.get(U, timeout=1)\nsafe_g = pb(g)\n",
    "enclosing def": "@pb\ndef f():\n    def g():\n        requests.get(U, timeout=1)\n    return g()\n",
    "config decorator": "@guarded('orders')\ndef f():\n    requests.get(U, timeout=1)\n",
    "config with": "def f():\n    with guarded('orders'):\n        requests.get(U, timeout=1)\n",
    "config wrapper": "guarded(requests.get, U, timeout=1)\n",
    "config wrapper of a function": "def g():\n    requests.get(U, timeout=1)\nguarded(g)\n",
}  # fmt: skip


@pytest.mark.parametrize("code", GUARDED.values(), ids=list(GUARDED))
def test_breaker_styles_guard(code: str) -> None:
    assert [c for _, c in codes(HEAD + code) if c != "CPL304"] == ["CPL301"]


UNGUARDED_CODE = {
    "tenacity": "@tenacity.retry\ndef f():\n    requests.get(U, timeout=1)\n",
    "backoff": "@backoff.on_exception(backoff.expo, Exception)\ndef f():\n    requests.get(U, timeout=1)\n",
    "stamina loop": "for a in stamina.retry_context(on=Exception):\n    with a:\n        requests.get(U, timeout=1)\n",
    "after the with block": "with pb.calling():\n    pass\nrequests.get(U, timeout=1)\n",
    "another function": "@pb\ndef f():\n    pass\ndef g():\n    requests.get(U, timeout=1)\n",
    "def inside a with": "with pb.calling():\n    def g():\n        requests.get(U, timeout=1)\n",
    "breaker not applied": "def f():\n    pb\n    requests.get(U, timeout=1)\n",
    "unlisted decorator": "@functools.cache\ndef f():\n    requests.get(U, timeout=1)\n",
}  # fmt: skip


@pytest.mark.parametrize("code", UNGUARDED_CODE.values(), ids=list(UNGUARDED_CODE))
def test_no_breaker_is_reported(code: str) -> None:
    found = [c for _, c in codes(HEAD + code) if c != "CPL304"]
    assert found == ["CPL301", "CPL303"]


def test_retries_are_recorded() -> None:
    found = calls(
        HEAD
        + "@tenacity.retry(stop=tenacity.stop_after_attempt(3))\ndef a():\n    requests.get(U)\n"
        + "@backoff.on_predicate(backoff.fibo)\ndef b():\n    requests.get(U)\n"
        + "@stamina.retry(on=Exception)\ndef c():\n    requests.get(U)\n"
        + "for t in tenacity.Retrying():\n    with t:\n        requests.get(U)\n"
        + "tenacity.Retrying()(requests.get, U)\n"
        + "requests.get(U)\n"
    )
    assert [(c.retry, c.breaker) for c in found] == [(True, False)] * 5 + [(False, False)]


def test_guards_name_what_surrounds_the_call() -> None:
    found = call(HEAD + "@guarded('o')\n@pb\ndef f():\n    with lock:\n        requests.get(U)\n")
    # Innermost first: the `with` item, then the decorators, as written and import-resolved.
    assert found.guards == (
        "lock",
        "guarded",
        "acme_http.guarded",
        "pb",
        "pybreaker.CircuitBreaker",
    )
    assert found.breaker


# -- brokers: facts, never calls --------------------------------------------------------------
BROKERS = {
    "confluent_kafka": ("from confluent_kafka import Producer\nProducer({}).produce('orders.placed', b'')\n", ("confluent_kafka", "publish", ("orders.placed",))),
    "confluent consume": ("from confluent_kafka import Consumer\nc = Consumer({})\nc.subscribe(['a', 'b'])\n", ("confluent_kafka", "consume", ("a", "b"))),
    "kafka-python": ("from kafka import KafkaProducer\nKafkaProducer().send(topic='t', value=b'')\n", ("kafka", "publish", ("t",))),
    "kafka consumer": ("import kafka\nkafka.KafkaConsumer('stock', 'prices', group_id='g')\n", ("kafka", "consume", ("stock", "prices"))),
    "aiokafka": ("from aiokafka import AIOKafkaProducer\nasync def f():\n    p = AIOKafkaProducer()\n    await p.send_and_wait('ak', b'')\n", ("aiokafka", "publish", ("ak",))),
    "pika default exchange": ("import pika\nch = pika.BlockingConnection(p).channel()\nch.basic_publish(exchange='', routing_key='q1', body=b'')\n", ("pika", "publish", ("q1",))),
    "pika exchange": ("import pika\nch = pika.BlockingConnection(p).channel()\nch.basic_publish('events', 'rk', b'')\n", ("pika", "publish", ("events",))),
    "pika consume": ("import pika\nwith pika.BlockingConnection(p) as c:\n    c.channel().basic_consume(queue='q2', on_message_callback=cb)\n", ("pika", "consume", ("q2",))),
    "aio-pika": ("import aio_pika\nasync def f():\n    c = await aio_pika.connect_robust(u)\n    ch = await c.channel()\n    await ch.default_exchange.publish(m, routing_key='q3')\n", ("aio_pika", "publish", ("q3",))),
    "aio-pika queue": ("import aio_pika\nasync def f():\n    ch = await (await aio_pika.connect(u)).channel()\n    q = await ch.declare_queue('q4')\n    await q.consume(cb)\n", ("aio_pika", "consume", ("q4",))),
    "kombu": ("from kombu import Connection\nwith Connection(u) as c:\n    c.Producer().publish({}, routing_key='rk')\n", ("kombu", "publish", ("rk",))),
    "kombu consumer": ("from kombu import Connection, Queue\nwith Connection(u) as c:\n    c.Consumer(queues=[Queue('q5')], callbacks=[cb])\n", ("kombu", "consume", ("q5",))),
    "celery": ("from celery import Celery\napp = Celery('x')\napp.send_task('orders.tasks.place', args=[1])\n", ("celery", "publish", ("orders.tasks.place",))),
    "celery current_app": ("from celery import current_app\ncurrent_app.send_task('t')\n", ("celery", "publish", ("t",))),
    "nats": ("import nats\nasync def f():\n    nc = await nats.connect(u)\n    await nc.publish('subj', b'')\n", ("nats", "publish", ("subj",))),
    "nats jetstream": ("import nats\nasync def f():\n    js = (await nats.connect(u)).jetstream()\n    await js.subscribe('js')\n", ("nats", "consume", ("js",))),
    "redis publish": ("import redis\nredis.Redis().publish('chan', 'm')\n", ("redis", "publish", ("chan",))),
    "redis xadd": ("import redis\nr = redis.from_url(u)\nr.xadd('stream', {'a': 1})\n", ("redis", "publish", ("stream",))),
    "redis subscribe": ("import redis\np = redis.Redis().pubsub()\np.subscribe('c1', 'c2')\n", ("redis", "consume", ("c1", "c2"))),
    "redis xreadgroup": ("import redis.asyncio\nredis.asyncio.Redis().xreadgroup('g', 'c', {'s1': '>'})\n", ("redis", "consume", ("s1",))),
    "sqs": ("import os, boto3\nboto3.client('sqs').send_message(QueueUrl=os.environ['Q'], MessageBody='')\n", ("boto3.sqs", "publish", ())),
    "sqs receive": ("import boto3\nboto3.Session().client('sqs').receive_message(QueueUrl='https://q')\n", ("boto3.sqs", "consume", ("https://q",))),
    "sns": ("import boto3\nsns = boto3.client(service_name='sns')\nsns.publish(TopicArn='arn:t', Message='m')\n", ("boto3.sns", "publish", ("arn:t",))),
}  # fmt: skip


@pytest.mark.parametrize(("code", "expected"), BROKERS.values(), ids=list(BROKERS))
def test_brokers_are_facts_and_never_calls(code: str, expected: tuple[str, str, tuple]) -> None:
    found = facts(code)
    assert [(b.library, b.operation, b.destinations) for b in found.brokers] == [expected]
    assert found.calls == ()
    assert lint(code) == []


def test_broker_fact_records_scope_and_start_up() -> None:
    found = facts(
        "import redis\nr = redis.Redis()\nr.publish('a', 1)\nclass C:\n    def f(self):\n"
        "        r.publish(self.topic, 1)\n"
    ).brokers
    assert [(b.api, b.scope, b.at_import, b.destinations) for b in found] == [
        ("redis.Redis.publish", "", True, ("a",)),
        ("redis.Redis.publish", "C.f", False, ()),
    ]


# -- the fields other rules build on -----------------------------------------------------------
def test_scope_and_at_import() -> None:
    found = calls(
        """
        import requests
        U = 'http://orders-api/o'
        requests.get(U)
        class Client:
            data = requests.get(U)
            def fetch(self):
                return requests.get(U)
        def deco(x=requests.get(U)):
            pass
        handler = lambda: requests.get(U)
        if __name__ == "__main__":
            requests.get(U)
        """
    )
    assert [(c.span.line, c.scope, c.at_import) for c in found] == [
        (4, "", True),
        (6, "Client", True),
        (8, "Client.fetch", False),
        (9, "deco", True),  # a default value runs when the def runs
        (11, "", False),
        (13, "", True),
    ]


def test_call_facts_survive_a_json_round_trip() -> None:
    import json

    found = facts(
        "import os, requests, redis\nrequests.get(os.environ['ORDERS_API_URL'] + '/x')\n"
        "redis.Redis().publish('c', 1)\nU = 'http://orders-api/'\n"
    )
    assert found.calls and found.brokers and found.url_literals
    assert FileFacts.from_json(json.loads(json.dumps(found.to_json()))) == found


# -- CPL304 ------------------------------------------------------------------------------------
def test_hard_coded_endpoints() -> None:
    code = """
        import grpc, http.client, urllib3
        A = "http://orders-api/v1"
        B = f"https://inventory-api:8080/stock/{sku}"
        C = "http://" "orders-api" "/implicit"
        D = "postgresql://orders-api/db"
        E = "http://shipping-api/own"
        F = "http://orders-api.example.com/"
        grpc.insecure_channel("inventory-api:8080")
        http.client.HTTPConnection("orders-api", timeout=2)
        urllib3.HTTPConnectionPool(HOST, timeout=2)
        HOST = "orders-api"

        def f():
            "See http://orders-api/docs"
        """
    assert [(line, col, m) for line, col, c, m in lint(code) if c == "CPL304"] == [
        (3, 4, "hard-coded endpoint 'orders-api' of service 'orders'"),
        (4, 4, "hard-coded endpoint 'inventory-api:8080' of service 'inventory'"),
        (5, 4, "hard-coded endpoint 'orders-api' of service 'orders'"),
        (9, 22, "hard-coded endpoint 'inventory-api:8080' of service 'inventory'"),
        (10, 27, "hard-coded endpoint 'orders-api' of service 'orders'"),
        (12, 7, "hard-coded endpoint 'orders-api' of service 'orders'"),
    ]


# -- bad input: no crash, no call invented -------------------------------------------------
BAD = {  # source, and the calls it makes
    "no arguments": ("import requests\nrequests.get()\nrequests.Session().post()\n", []),
    "starred only": ("import requests\nrequests.get(*[])\n", ["requests.get"]),
    "recursive constants": ("import requests\nA = B\nB = A\nrequests.get(A, timeout=1)\n", ["requests.get"]),
    "self-recursive factory": ("import httpx\ndef f():\n    return f()\nf().get('http://orders-api/x')\n", []),
    "mutually recursive names": ("import httpx\na = b\nb = a\na.get('http://orders-api/x')\n", []),
    "recursive base classes": ("import requests\nclass A(B):\n    pass\nclass B(A):\n    pass\nA().get('http://orders-api/x')\nclass C(C):\n    def f(self):\n        self.x.get(1)\n", []),
    "rebound requests": ("import requests\nrequests = object()\nrequests.get('http://orders-api/x')\n", []),
    "calls on literals": ("import requests\n'abc'.get('x')\n(1).real\n[requests][0].get('x')\n", []),
    "broker without args": ("import redis\nredis.Redis().publish()\nimport boto3\nboto3.client().send_message()\n", []),
}  # fmt: skip


@pytest.mark.parametrize(("code", "apis"), BAD.values(), ids=list(BAD))
def test_bad_input(code: str, apis: list[str]) -> None:
    assert [c.api for c in calls(code)] == apis
    lint(code)  # and every rule runs on it


def test_starred_and_unresolvable_calls_are_still_calls() -> None:
    starred = calls(BAD["starred only"][0])
    assert [(c.target.known, c.timeout) for c in starred] == [(False, "missing")]
    recursive = calls(BAD["recursive constants"][0])
    assert [(c.target.shown(), c.timeout) for c in recursive] == [("{?}", "call")]
    assert calls(BAD["no arguments"][0]) == []
    assert calls(BAD["rebound requests"][0]) == []


def test_fifty_concatenations_resolve() -> None:
    parts = " + ".join(f"'/p{i}'" for i in range(50))
    found = call(f"import requests\nrequests.get('http://orders-api' + {parts}, timeout=1)\n")
    assert found.target.shown() == "http://orders-api" + "".join(f"/p{i}" for i in range(50))


def test_deeply_nested_expressions_do_not_crash() -> None:
    deep = "(" * 40 + "'http://orders-api/'" + ")" * 40
    chain = "s" + "".join(f".a{i}" for i in range(200))
    code = f"import requests\ns = requests.Session()\nrequests.get({deep}, timeout=1)\n{chain}.get('x')\n"
    assert [c.target.shown() for c in calls(code)] == ["http://orders-api/"]


# -- prefilter, config, API ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("import requests\n", True),
        ("import os, httpx as h\n", True),
        ("from urllib.request import urlopen\n", True),
        ("from urllib import request\n", True),
        ("import urllib.request\n", True),
        ("from http import client\n", True),
        ("from http import (\n    client,\n)\n", True),
        ("import grpc.aio\n", True),
        ("    from zeep import Client\n", True),
        ("from http import HTTPStatus\n", False),
        ("from urllib.parse import urljoin\n", False),
        ("import requests_oauthlib\n", False),
        ("# import requests\n", False),
        ("x = 'requests'\n", False),
        ("url = 'http://Orders-Api/x'\n", True),
        ("url = 'http://orders-apix/x'\n", False),
        ("url = 'http://shipping-api/x'\n", False),
    ],
)
def test_prefilter_needles(text: str, passes: bool) -> None:
    linter = Linter(EXAMPLE_CONFIG, code_selector(("CPL3",)))
    assert linter.is_candidate(text, "shipping") is passes


def test_aiohttp_option_is_type_checked(tmp_path) -> None:
    from couplint_ast.config import ConfigError, load_config

    config = tmp_path / "couplint.toml"
    config.write_text("report-aiohttp-default-timeout = true\n")
    assert load_config(config).report_aiohttp_default_timeout is True
    config.write_text('report-aiohttp-default-timeout = "yes"\n')
    with pytest.raises(ConfigError, match="report-aiohttp-default-timeout: expected true or false"):
        load_config(config)


def test_call_target_api() -> None:
    from couplint_ast.couplings.calls import (
        OWN,
        SERVICE,
        THIRD_PARTY,
        UNRESOLVED,
        Target,
        resolve,
        service_for_host,
    )
    from couplint_ast.facts.values import UNKNOWN_PART, Part, Value

    def where(target: Value, client: str = "requests") -> Target:
        return resolve(target, client, EXAMPLE_CONFIG, "shipping")

    env = Part("env", "ORDERS_API_URL")
    assert where(Value.literal("http://orders-api/x")) == Target(SERVICE, ("orders",), "orders-api")
    assert where(Value.literal("http://shipping-api/x")).kind == OWN
    assert where(Value.of(env, Part("text", "/x"))) == Target(SERVICE, ("orders",), missing=env)
    assert where(Value.literal("inventory-api:8080"), "grpc").services == ("inventory",)
    assert where(Value.literal("https://API.Stripe.com/v1")).kind == THIRD_PARTY
    assert where(Value.literal("http://10.0.0.1:80/")).kind == THIRD_PARTY
    assert where(Value()) == Target(UNRESOLVED)
    assert where(Value.of(UNKNOWN_PART, Part("text", "/x"))).kind == UNRESOLVED
    url = Part("param", "url", "fetch")
    assert where(Value.of(url)) == Target(UNRESOLVED, missing=url)
    both = Value.either(
        [Value.literal("http://orders-api/"), Value.literal("http://inventory-api/")]
    )
    assert where(both).services == ("inventory", "orders")
    # A host two services claim is nobody's: precision first.
    twice = dataclasses.replace(
        EXAMPLE_CONFIG,
        services=(
            *EXAMPLE_CONFIG.services,
            dataclasses.replace(EXAMPLE_CONFIG.services[0], name="dup"),
        ),
    )
    assert service_for_host(twice, "orders-api") is None
    assert service_for_host(EXAMPLE_CONFIG, "[::1]:8080") is None


def test_ignore_hosts_take_env_var_names() -> None:
    config = dataclasses.replace(EXAMPLE_CONFIG, ignore_hosts=("partner_url",))
    code = "import os, requests\nrequests.get(os.environ['PARTNER_URL'], timeout=1)\n"
    unresolved = "call target is not resolved: env var 'PARTNER_URL' (add it to a service's hosts, or to ignore-hosts)"
    assert lint(code, prefix="CPL305") == [(2, 0, "CPL305", unresolved)]
    assert lint(code, config, prefix="CPL305") == []


@pytest.mark.parametrize(
    "code",
    [
        "from eventlet import Timeout\nwith Timeout(5, False):\n    requests.get(U)\n",
        "import asyncio\nasync def f(s: aiohttp.ClientSession):\n    async with asyncio.timeout(2):\n        await s.get(U, timeout=None)\n",
        "import asyncio\nasync def f():\n    await asyncio.wait_for(stub.Get(r), timeout=2)\n",
    ],
)
def test_timeout_blocks_and_wrappers_bound_the_call(code: str) -> None:
    head = "import requests, aiohttp, grpc, o_pb2_grpc\nU = 'http://orders-api/o'\n"
    head += "stub = o_pb2_grpc.OStub(grpc.insecure_channel('orders-api:1'))\n"
    assert [c.timeout for c in calls(head + code)] == ["call"]


def test_a_timeout_block_in_another_function_does_not_bound() -> None:
    code = "import requests\nfrom eventlet import Timeout\nwith Timeout(5):\n    def f():\n"
    code += "        requests.get('http://orders-api/o')\n"
    assert [c.timeout for c in calls(code)] == ["missing"]


def test_host_entries_written_as_urls_still_match() -> None:
    from couplint_ast.config import ServiceConfig
    from couplint_ast.couplings.calls import service_for_host

    config = Config(services=(ServiceConfig("orders", hosts=("http://Orders-API:8000/",)),))
    assert service_for_host(config, "orders-api:8000") == "orders"
    config = dataclasses.replace(EXAMPLE_CONFIG, ignore_hosts=("https://partner.example/",))
    assert (
        lint("import requests\nrequests.get('https://partner.example/x', timeout=1)\n", config)
        == []
    )


def at(name: str, *hosts: str) -> ServiceConfig:
    """A service of `services/<name>` reached through `hosts`."""
    return ServiceConfig(name, (Path(f"services/{name}").absolute(),), hosts=hosts)


def test_a_gateway_that_routes_by_path_charges_the_service_behind_it() -> None:
    config = Config(
        services=(
            at("shipping"),
            at("gateway", "gateway:8000", "GATEWAY_URL"),
            at("library", "gateway:8000/library", "GATEWAY_URL/library"),
            at("books", "gateway:8000/library/books"),
        )
    )
    source = (
        "import os\nimport requests\n\nGW = os.environ['GATEWAY_URL']\n\n\ndef f():\n"
        "    requests.get('http://gateway:8000/library/shelves', timeout=2)\n"
        "    requests.get('http://gateway:8000/library/books/1', timeout=2)\n"
        "    requests.get('http://gateway:8000/libraryx', timeout=2)\n"
        "    requests.get(GW + '/library/shelves', timeout=2)\n"
        "    requests.get(GW + '/health', timeout=2)\n"
    )
    found = testing.lint(source, ("CPL301",), config)
    assert [(line, message.split("'")[1]) for line, _, _, message in found] == [
        (8, "library"),
        (9, "books"),  # the longest prefix wins
        (10, "gateway"),  # a prefix matches whole path segments
        (11, "library"),
        (12, "gateway"),
    ]


def test_the_loopback_is_one_host_whose_port_names_the_service() -> None:
    config = Config(
        services=(at("shipping"), at("users", "localhost:5001"), at("orders", "localhost:5002"))
    )
    source = (
        "import requests\n\n\ndef f():\n"
        "    requests.get('http://127.0.0.1:5001/u', timeout=2)\n"
        "    requests.get('http://host.docker.internal:5002/o', timeout=2)\n"
        "    requests.get('http://localhost:5003/x', timeout=2)\n"
    )
    found = testing.lint(source, ("CPL301",), config)
    assert [(line, message.split("'")[1]) for line, _, _, message in found] == [
        (5, "users"),
        (6, "orders"),
    ]


# -- nameko RPC ------------------------------------------------------------------------------

NAMEKO_CONFIG = dataclasses.replace(
    EXAMPLE_CONFIG,
    services=(
        *EXAMPLE_CONFIG.services,
        ServiceConfig(name="products", hosts=("products",)),
    ),
)
NAMEKO_GATEWAY = """\
from nameko.rpc import RpcProxy


class GatewayService:
    name = "gateway"
    products_rpc = RpcProxy("products")

    def product(self, product_id):
        return self.products_rpc.get(product_id)

    def warm(self):
        return self.products_rpc.list.call_async()
"""


def test_a_nameko_rpc_proxy_calls_the_service_it_names() -> None:
    assert lint(NAMEKO_GATEWAY, config=NAMEKO_CONFIG) == [
        (9, 15, "CPL301", "synchronous call to service 'products' with nameko"),
        (9, 15, "CPL302", "RpcProxy('products').get() has no timeout"),
        (9, 15, "CPL303", "call to service 'products' is not guarded by a circuit breaker"),
    ]


def test_nameko_near_misses() -> None:
    # `.call_async` does not wait; a proxy with a timeout is bounded; the own service and a
    # name no service claims are not coupling.
    source = (
        "from nameko.standalone.rpc import ServiceRpcProxy\n"
        "from nameko.rpc import RpcProxy\n\n"
        "class S:\n"
        "    own = RpcProxy('shipping-api')\n"
        "    other = RpcProxy('mailer')\n\n"
        "    def run(self):\n"
        "        self.own.ping()\n"
        "        self.other.ping()\n"
        "        with ServiceRpcProxy('products', {}, timeout=5) as rpc:\n"
        "            return rpc.get(1)\n"
    )
    assert [f for f in lint(source, config=NAMEKO_CONFIG) if f[2] in ("CPL301", "CPL302")] == [
        (12, 19, "CPL301", "synchronous call to service 'products' with nameko"),
    ]


def test_a_nameko_cluster_proxy_calls_the_service_its_attribute_names() -> None:
    source = (
        "from nameko.standalone.rpc import ClusterRpcProxy\n\n"
        "def report(config):\n"
        "    with ClusterRpcProxy(config) as rpc:\n"
        "        rpc.products.list()\n\n"
        "def bounded(config):\n"
        "    with ClusterRpcProxy(config, timeout=3) as rpc:\n"
        "        return rpc.products.get(1), rpc.mailer.send()\n"
    )
    assert [f for f in lint(source, config=NAMEKO_CONFIG) if f[2] in ("CPL301", "CPL302")] == [
        (5, 8, "CPL301", "synchronous call to service 'products' with nameko"),
        (5, 8, "CPL302", "ClusterRpcProxy.products.list() has no timeout"),
        (9, 15, "CPL301", "synchronous call to service 'products' with nameko"),
    ]


def test_a_nameko_proxy_named_by_a_setting_is_shown_as_such() -> None:
    # The target comes from an env var `hosts` matches: the message cannot name it literally.
    source = (
        "import os\n"
        "from nameko.rpc import ServiceRpc\n\n"
        "class S:\n"
        "    products = ServiceRpc(os.environ.get('PRODUCTS', 'products'))\n\n"
        "    def run(self):\n"
        "        return self.products.get(1)\n"
    )
    assert [f for f in lint(source, config=NAMEKO_CONFIG) if f[2] == "CPL302"] == [
        (8, 15, "CPL302", "ServiceRpc(...).get() has no timeout"),
    ]


MAIL_CONFIG = dataclasses.replace(
    EXAMPLE_CONFIG,
    services=(
        *EXAMPLE_CONFIG.services,
        ServiceConfig(name="mail", hosts=("smtp",)),
        ServiceConfig(name="legacy", hosts=("legacy-api",)),
    ),
)


def test_smtp_lmtp_and_xmlrpc_to_another_service() -> None:
    source = (
        "import smtplib\nimport xmlrpc.client\n\n"
        "def notify(msg):\n"
        "    with smtplib.SMTP('smtp', 25) as s:\n"
        "        s.send_message(msg)\n\n"
        "def bounded(msg):\n"
        "    server = smtplib.LMTP('smtp:2525', timeout=5)\n"
        "    server.sendmail('a', ['b'], msg)\n\n"
        "def legacy():\n"
        "    proxy = xmlrpc.client.ServerProxy('http://legacy-api:8000/RPC2')\n"
        "    return proxy.get_stock(3)\n\n"
        "def third_party():\n"
        "    return xmlrpc.client.ServerProxy('https://pypi.org/pypi').list_packages()\n"
    )
    assert [f for f in lint(source, config=MAIL_CONFIG) if f[2] in ("CPL301", "CPL302")] == [
        (6, 8, "CPL301", "synchronous call to service 'mail' with smtplib"),
        (6, 8, "CPL302", "smtplib.SMTP.send_message() has no timeout"),
        (10, 4, "CPL301", "synchronous call to service 'mail' with smtplib"),
        (14, 11, "CPL301", "synchronous call to service 'legacy' with xmlrpc"),
        (14, 11, "CPL302", "xmlrpc.client.ServerProxy.get_stock() has no timeout"),
    ]


OPENAPI_CLIENT = """\
import os
import orders_client
from orders_client.api.orders_api import OrdersApi

CONFIG = orders_client.Configuration(host=os.environ["ORDERS_API_URL"])


def order(order_id):
    with orders_client.ApiClient(CONFIG) as api_client:
        return OrdersApi(api_client).get_order(order_id)


def bounded(order_id):
    api = OrdersApi(orders_client.ApiClient(CONFIG))
    return api.get_order(order_id, _request_timeout=3)
"""


def test_a_generated_openapi_client_calls_the_host_of_its_configuration() -> None:
    assert [f for f in lint(OPENAPI_CLIENT) if f[2] in ("CPL301", "CPL302")] == [
        (10, 15, "CPL301", "synchronous call to service 'orders' with openapi"),
        (10, 15, "CPL302", "openapi.get_order() has no timeout"),
        (15, 11, "CPL301", "synchronous call to service 'orders' with openapi"),
    ]


def test_other_configurations_and_apis_are_no_generated_client() -> None:
    # Each link needs the one before: a `Configuration` that no `ApiClient` takes, or an
    # `*Api` built from something else, is another library's class.
    source = (
        "import os\nfrom kubernetes_client import Configuration, CoreApi\n"
        "from thing_client import ApiClient\n\n"
        "cfg = Configuration(host=os.environ['ORDERS_API_URL'])\n"
        "core = CoreApi(cfg)\n"
        "core.list_pods()\n"
        "plain = ApiClient(object())\n"
        "CoreApi(plain).list_pods()\n"
    )
    assert lint(source) == []


def test_a_stub_a_method_of_the_module_returns_is_called() -> None:
    # `Connector().stub()` returns a stub on the class's channel: flake8 sees it in one file.
    source = """
        import grpc
        from orders_pb2_grpc import OrdersStub


        class Connector:
            channel = grpc.insecure_channel("orders-api:50051")

            def stub(self):
                return OrdersStub(self.channel)

            def label(self):
                return "orders"


        def get(req):
            return Connector().stub().Get(req, timeout=2)


        def shout():
            return Connector().label().upper()  # a string's method: no call
    """
    assert testing.lint(source, ("CPL301", "CPL302")) == [
        (17, 11, "CPL301", "synchronous call to service 'orders' with grpc")
    ]


def test_a_client_class_of_another_services_package_is_a_call_to_it() -> None:
    # The example file is shipping's; `inventory` is another service's package.
    source = """
        import os

        from inventory.client import InventoryClient
        from shipping.api import LabelsApi
        from stripe_sdk import StripeClient

        stock = InventoryClient(os.environ["STOCK_URL"])


        def ship(sku):
            StripeClient("key").pay(1)  # a third party's SDK: nothing is known
            LabelsApi().make(sku)  # the service's own class
            stock._cache.clear()  # a private attribute: not an operation
            return stock.reserve(sku)
    """
    assert testing.lint(source, ("CPL301", "CPL302", "CPL303")) == [
        (
            15,
            11,
            "CPL301",
            "synchronous call to service 'inventory' with inventory.client.InventoryClient",
        ),
        (15, 11, "CPL303", "call to service 'inventory' is not guarded by a circuit breaker"),
    ]


def test_a_class_of_another_services_package_that_is_no_client_is_not_a_call() -> None:
    source = """
        from inventory.models import Stock

        def reserve(sku):
            return Stock(sku).reserve()  # a model, not a client: CPL102 says the import
    """
    assert testing.lint(source, ("CPL301", "CPL303")) == []
