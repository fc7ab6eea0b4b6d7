"""CPL302: a call to another service with no timeout."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.facts.needles import client_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule

PROBLEMS = {
    "missing": "has no timeout",
    "none": "has its timeout disabled (None)",
    "default": "relies on aiohttp's default timeout of 300 s",
}


class CallWithoutTimeout(FileRule):
    """
    ## What it does
    Checks for calls to another service (those CPL301 reports, and the call inside a wrapper
    whose callers reach one) that can wait forever, with each library's real
    default: requests (module functions and `Session` methods alike), urllib, urllib3,
    http.client and grpc stub calls have no timeout unless one is given on the call or on
    the pool, connection or client; httpx has 5 s unless `timeout=None` disables it on the
    call or the client (`httpx.Timeout(None)` too). aiohttp's default (300 s total) counts
    as a timeout unless `report-aiohttp-default-timeout` is set. A block or wrapper that
    bounds the call counts too (`with eventlet.Timeout(5)`, `async with asyncio.timeout(5)`,
    `asyncio.wait_for`), and so does `socket.setdefaulttimeout()` in the module for urllib,
    urllib3 and http.client. Calls that forward `**kwargs`, and clients built elsewhere,
    customised (`session.mount(...)`) or subclassed here are unknown and not reported.
    Calls to third parties and unresolved targets are not reported: they are not coupling
    between services.

    ## Why is this bad?
    A call without a timeout holds a worker, a connection and the caller's own caller for as
    long as the other side hangs: one slow dependency exhausts the pool and takes this
    service down with it.

    ## Example
    ```python
    session = requests.Session()

    def order(order_id):
        return session.get(f"{ORDERS_API_URL}/orders/{order_id}")
    ```

    Use instead:
    ```python
    def order(order_id):
        return session.get(f"{ORDERS_API_URL}/orders/{order_id}", timeout=(1, 3))
    ```

    ## Options
    - `report-aiohttp-default-timeout` (default false): also report aiohttp calls that rely
      on aiohttp's 5-minute default.
    """

    code = "CPL302"
    message = "{api}() {problem}"
    VALID = [
        Valid("import httpx\n\nhttpx.get('http://orders-api/orders')  # httpx's 5 s default\n"),
        Valid(
            "import httpx\n\nclient = httpx.Client(timeout=5)\n\ndef stock(sku):\n"
            "    return client.get(f'http://inventory-api:8080/stock/{sku}')\n"
        ),
        Valid(
            "import requests\n\ndef get(url, **kwargs):\n"
            "    return requests.get(url, **kwargs)  # the caller may pass a timeout\n"
        ),
        Valid(
            "import aiohttp\n\nasync def ping():\n    async with aiohttp.ClientSession() as s:\n"
            "        return await s.get('http://orders-api/ping')  # 300 s default\n"
        ),
        Valid(
            "import requests\nfrom requests.adapters import HTTPAdapter\n\n"
            "session = requests.Session()\nsession.mount('http://', TimeoutAdapter(3))\n"
            "session.get('http://orders-api/orders')  # the adapter may set one\n"
        ),
        Valid("import requests\n\nrequests = Wrapper()\nrequests.get('http://orders-api/x')\n"),
        Valid(
            "import requests\n\nrequests.get('https://api.stripe.com/v1/charges')  # third party\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import requests\n\nsession = requests.Session()\n\ndef order(order_id):\n"
            "    return session.get(f'http://orders-api/orders/{order_id}')\n",
            line=6,
            col=11,
            message="requests.Session.get() has no timeout",
        ),
        Invalid(
            "import httpx\n\nclient = httpx.Client(timeout=None)\n"
            "client.post('http://orders-api/v1/charges')\n",
            line=4,
            message="httpx.Client.post() has its timeout disabled (None)",
        ),
        Invalid(
            "from urllib.request import Request, urlopen\n\n"
            "def fetch():\n    return urlopen(Request('http://orders-api/orders'))\n",
            line=4,
            col=11,
            message="urllib.request.urlopen() has no timeout",
        ),
        Invalid(
            "import grpc\nimport orders_pb2_grpc\n\n"
            "with grpc.insecure_channel('orders-api:50051') as channel:\n"
            "    orders_pb2_grpc.OrdersStub(channel).Get(request)\n",
            line=5,
            col=4,
            message="grpc.OrdersStub.Get() has no timeout",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for call in found.calls:
            # A wrapper's call is judged once, where it stands, not at each of its callers.
            if call.reaches_service and not call.fact.via and call.timeout in PROBLEMS:
                problem = PROBLEMS[call.timeout]
                yield self.report(found.facts, call.fact.span, api=call.fact.api, problem=problem)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return client_needles()
