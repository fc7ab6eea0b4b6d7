"""CPL301: an outbound synchronous call to another service, or to an unresolved target."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.model import Diagnostic
from couplint_ast.rules.base import FileRule, Invalid, Valid
from couplint_ast.rules.calls import call_target, client_needles


class SynchronousServiceCall(FileRule):
    """
    ## What it does
    Checks for outbound synchronous HTTP and RPC calls (requests, httpx, aiohttp, urllib,
    urllib3, http.client, grpc stubs, zeep) to another service, to a host that no service
    claims, or to a target that cannot be resolved statically. Clients are followed through
    import aliases, sessions bound to names or `self.x`, `with` blocks and same-module
    factory functions; targets through literals, f-strings, concatenation, `format`, `%`,
    `urljoin`, module constants, env vars and the client's `base_url` or channel address.
    Calls to the file's own service and to `ignore-hosts` are not reported; message-broker
    publishes are asynchronous and never are.

    ## Why is this bad?
    A synchronous call makes this service available only while the other one is: its
    outage, slowness or deploy becomes this service's. Every such call is a dependency the
    teams must know about, bound with a timeout (CPL302) and a circuit breaker (CPL303).

    ## Example
    ```python
    def reserve(sku):
        return requests.post(f"{INVENTORY_URL}/reservations", json={"sku": sku}, timeout=2)
    ```

    Use instead:
    ```python
    def on_order_placed(event):  # consume the inventory service's events instead
        ...
    ```
    Prefer asynchronous messages or data the service owns; where a call is needed, make it
    visible, bounded and guarded, and list third parties in `ignore-hosts`.

    ## Options
    - `services.<name>.hosts`: host names, `host:port` or env var names of each service.
    - `ignore-hosts`: third-party hosts (and subdomains) or env var names, never reported.
    """

    code = "CPL301"
    message = "synchronous call to {target} with {client}"
    VALID = [
        Valid(
            "import requests\n\nclass Cache:\n    def __init__(self):\n"
            "        self.existing_requests = {}\n\n    def lookup(self, uri):\n"
            "        return self.existing_requests.get(uri)  # a dict, not a client\n"
        ),
        Valid("import requests\n\nparams = {'q': 1}\nparams.get('q')\n"),
        Valid(
            "import requests\n\nrequests.get('http://shipping-api/labels', timeout=2)"
            "  # own service\n"
        ),
        Valid(
            "import requests\n\nrequests.post('https://api.stripe.com/v1/charges', timeout=5)"
            "  # ignore-hosts\n"
        ),
        Valid(
            "import requests\n\nrequests = FakeClient()  # rebound: no longer the library\n"
            "requests.get('http://orders-api/orders')\n"
        ),
        Valid(
            "from kafka import KafkaProducer\n\nproducer = KafkaProducer()\n"
            "producer.send('orders', b'{}')  # asynchronous: a broker, not a call\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import requests as rq\n\ndef order(order_id):\n"
            "    return rq.get(f'http://orders-api/orders/{order_id}', timeout=2)\n",
            line=4,
            col=11,
            message="synchronous call to service 'orders' with requests",
        ),
        Invalid(
            "import os\nimport httpx\n\nBASE = os.environ['INVENTORY_URL']\n\n"
            "async def stock(sku):\n    async with httpx.AsyncClient(base_url=BASE) as client:\n"
            "        return await client.get(f'/stock/{sku}')\n",
            line=8,
            col=21,
            message="synchronous call to service 'inventory' with httpx",
        ),
        Invalid(
            "import requests\n\ndef fetch(session: requests.Session, url):\n"
            "    return session.get(url, timeout=3)\n",
            line=4,
            col=11,
            message="synchronous call to an unresolved target ('url') with requests",
        ),
        Invalid(
            "import grpc\nfrom stock_pb2_grpc import StockStub\n\n"
            "stub = StockStub(grpc.insecure_channel('inventory-api:8080'))\n\n"
            "def reserve(request):\n    return stub.Reserve(request, timeout=1)\n",
            line=7,
            col=11,
            message="synchronous call to service 'inventory' with grpc",
        ),
    ]

    def check(self, facts: FileFacts, config: Config, service: str) -> Iterator[Diagnostic]:
        for call in facts.calls:
            target = call_target(call, config, service)
            if target.couples:
                yield self.report(facts, call.span, target=target.describe(), client=call.client)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[str]:
        return client_needles()
