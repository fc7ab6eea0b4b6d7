"""CPL304: a hard-coded endpoint of another service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.calls import host_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class HardCodedEndpoint(FileRule):
    """
    ## What it does
    Checks for string literals that name another service's host: URLs (`http`, `https`,
    `ws`, `wss`, `grpc` schemes, f-strings and implicit concatenations included) and bare
    `host:port` addresses given to a grpc channel, an http.client connection or a urllib3
    pool. Hosts match the services' `hosts` entries case-insensitively, Kubernetes forms
    (`orders-api.shop.svc.cluster.local`) included. Docstrings are not reported, nor is the
    default of an env var or config read (`os.getenv("ORDERS_URL", "http://orders-api")`):
    that is configuration, which a deploy overrides.

    ## Why is this bad?
    A hard-coded address ties this code to where the other service runs today: moving it,
    renaming it or putting a gateway in front needs a code change and a deploy here, and
    the same code cannot run against staging or a local stub.

    ## Example
    ```python
    ORDERS_URL = "http://orders-api:8000/v1"
    ```

    Use instead:
    ```python
    ORDERS_URL = os.environ["ORDERS_API_URL"]
    ```

    ## Options
    - `services.<name>.hosts`: the host names (or `host:port`) each service is reached by.
    """

    code = "CPL304"
    message = "hard-coded endpoint '{host}' of service '{owner}'"
    VALID = [
        Valid("import os\n\nORDERS_URL = os.environ['ORDERS_API_URL']\n"),
        Valid("LABELS_URL = 'http://shipping-api/labels'  # own service\n"),
        Valid('def f():\n    """Calls http://orders-api/orders, see the runbook."""\n'),
        Valid("STRIPE = 'https://api.stripe.com/v1'\nOTHER = 'http://orders-apix/'\n"),
        Valid("DATABASE_URL = 'postgresql://orders-api/orders'  # not an HTTP endpoint\n"),
        Valid("import os\n\nORDERS = os.getenv('ORDERS_API_URL', 'http://orders-api:8000')\n"),
    ]
    INVALID = [
        Invalid(
            "ORDERS_URL = 'http://orders-api/v1'\n",
            line=1,
            col=13,
            message="hard-coded endpoint 'orders-api' of service 'orders'",
        ),
        Invalid(
            "import grpc\n\nchannel = grpc.insecure_channel('inventory-api:8080')\n",
            line=3,
            col=32,
            message="hard-coded endpoint 'inventory-api:8080' of service 'inventory'",
        ),
        Invalid(
            "def url(sku):\n    return f'HTTPS://Inventory-API.shop.svc.cluster.local/{sku}'\n",
            line=2,
            col=11,
            message="hard-coded endpoint 'inventory-api.shop.svc.cluster.local' of service"
            " 'inventory'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for item in found.endpoints():
            yield self.report(found.facts, item.fact.span, host=item.host, owner=item.owner)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return host_needles(config, service)
