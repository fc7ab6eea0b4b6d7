"""CPL303: a call to another service that no circuit breaker guards."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.facts.needles import client_needles, other_packages
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class UnguardedServiceCall(FileRule):
    """
    ## What it does
    Checks for calls that CPL301 reports (calls to another service) that no circuit breaker
    guards, around the call or around the wrapper call that makes it. A breaker guards a
    call when an enclosing
    function is decorated by a pybreaker, aiobreaker or circuitbreaker breaker,
    `circuitbreaker.circuit`, a `CircuitBreaker` subclass instance or purgatory's
    `@breakers("name")`; when the call runs through `breaker.call(fn, ...)` or
    `call_async`; inside `with breaker.calling():` or purgatory's `with`/`async with`
    breaker; or when any of these is a name listed in `circuit-breakers`. Retries (tenacity,
    backoff, stamina) are not breakers: they call a failing service more often, not less.

    ## Why is this bad?
    Without a breaker, every request keeps calling a service that is down, waits for each
    timeout, and piles load on it while it tries to recover: one outage cascades through
    every caller.

    ## Example
    ```python
    def order(order_id):
        return requests.get(f"{ORDERS_API_URL}/orders/{order_id}", timeout=2)
    ```

    Use instead:
    ```python
    orders_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)

    @orders_breaker
    def order(order_id):
        return requests.get(f"{ORDERS_API_URL}/orders/{order_id}", timeout=2)
    ```

    ## Options
    - `circuit-breakers`: more decorators, context managers or wrapper functions that count
      as a breaker, by dotted name (`acme_http.guarded`).
    """

    code = "CPL303"
    message = "call to {target} is not guarded by a circuit breaker"
    VALID = [
        Valid(
            "import pybreaker\nimport requests\n\n"
            "breaker = pybreaker.CircuitBreaker(fail_max=5)\n\n@breaker\ndef order(order_id):\n"
            "    return requests.get(f'http://orders-api/orders/{order_id}', timeout=2)\n"
        ),
        Valid(
            "import requests\nfrom circuitbreaker import circuit\n\n@circuit(failure_threshold=3)\n"
            "def stock():\n    return requests.get('http://inventory-api:8080/stock', timeout=2)\n"
        ),
        Valid(
            "import pybreaker\nimport requests\n\nbreaker = pybreaker.CircuitBreaker()\n"
            "breaker.call(requests.get, 'http://orders-api/orders', timeout=2)\n"
        ),
        Valid(
            "import httpx\nfrom purgatory import AsyncCircuitBreakerFactory\n\n"
            "breakers = AsyncCircuitBreakerFactory()\n\n"
            "async def stock(client: httpx.AsyncClient):\n"
            "    async with await breakers.get_breaker('inventory'):\n"
            "        return await client.get('http://inventory-api:8080/stock')\n"
        ),
        Valid(
            "import requests\nfrom acme_http import guarded\n\n@guarded('orders')\ndef order():\n"
            "    return requests.get('http://orders-api/orders', timeout=2)  # circuit-breakers\n"
        ),
        Valid(
            "import requests\n\nrequests.get('http://shipping-api/labels', timeout=2)"
            "  # own service\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import requests\nfrom tenacity import retry\n\n@retry\ndef order(order_id):\n"
            "    return requests.get(f'http://orders-api/orders/{order_id}', timeout=2)\n",
            line=6,
            col=11,
            message="call to service 'orders' is not guarded by a circuit breaker",
        ),
        Invalid(
            "import pybreaker\nimport requests\n\nbreaker = pybreaker.CircuitBreaker()\n\n"
            "with breaker.calling():\n    requests.get('http://orders-api/orders', timeout=2)\n"
            "requests.get('http://inventory-api:8080/stock', timeout=2)  # after the block\n",
            line=8,
            message="call to service 'inventory' is not guarded by a circuit breaker",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for call in found.calls:
            if call.reaches_service and not call.fact.forwarded and call.guarded is False:
                yield self.report(found.facts, call.fact.span, target=call.describe())

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return client_needles(other_packages(config, service))
