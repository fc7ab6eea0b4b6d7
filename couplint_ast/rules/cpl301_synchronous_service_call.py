"""CPL301: an outbound synchronous call to another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.facts.needles import client_needles, other_packages
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class SynchronousServiceCall(FileRule):
    """
    ## What it does
    Checks for outbound synchronous HTTP and RPC calls (requests, httpx, aiohttp, urllib,
    urllib3, http.client, grpc stubs, zeep) to another service. Clients are followed through
    import aliases, sessions bound to names or `self.x`, `with` blocks and same-module
    factory functions, and the stubs or sessions a factory returns (`make_stub()`,
    `Connector().auth_stub()`; of another module in `couplint check`). A client class of
    another service's `packages` (its own client library: a `*Client`, `*Api` or `*Sdk`
    class built from it) is a call to that service. Targets are followed through the
    values that reach the call (literals,
    f-strings, `+`, `format`, `%`, `urljoin`, `or` and conditional fallbacks, constants,
    env vars, Flask config keys, settings, dict items, `self.x` bound at construction, the
    client's `base_url` or channel address). A call made through a wrapper function of the
    same module (`_proxy(USERS_URL, path)`) is reported where the wrapper is called, the
    place that chooses the service. Calls to the file's own service, to third parties (a
    host no service claims, or `ignore-hosts`) and to targets that cannot be resolved
    (CPL305, opt-in) are not reported; broker publishes are asynchronous and never are,
    unless the publisher waits for the reply: a request/reply (`reply_to` or
    `correlation_id` and a wait in the same function, Celery `send_task(...).get()`, NATS
    `request`) is a call to the service whose `queues` or `topics` own its destination.

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
    - `services.<name>.queues` / `topics`: the broker destinations each service owns.
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
            "import requests\n\ndef fetch(session: requests.Session, url):\n"
            "    return session.get(url, timeout=3)  # unresolved: CPL305 (opt-in)\n"
        ),
        Valid("import requests\n\nrequests.get('https://oauth.example.com/token', timeout=2)\n"),
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
            "import os\nimport requests\n\ndef _proxy(base_url, path):\n"
            "    return requests.get(f'{base_url}/{path}', timeout=3)\n\n"
            "def order(i):\n    return _proxy(os.environ['ORDERS_API_URL'], f'orders/{i}')\n",
            line=8,
            col=11,
            message="synchronous call to service 'orders' through '_proxy' with requests",
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

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for call in found.calls:
            if call.reaches_service and not call.fact.forwarded:
                span = call.fact.span
                client = call.fact.client
                if client == "package":  # its own client library: `billing.client.Billing`
                    client = call.fact.api.rsplit(".", 1)[0]
                yield self.report(found.facts, span, target=call.describe(), client=client)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return client_needles(other_packages(config, service))
