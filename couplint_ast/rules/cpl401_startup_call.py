"""CPL401: an outbound call to another service that runs at import time or start-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.facts.needles import client_needles, other_packages
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class StartupCall(FileRule):
    """
    ## What it does
    Checks for outbound calls to another service that run at import time or while the
    service starts. Calls are those CPL301 finds; start-up code is module level, a class
    body, `if __name__ == "__main__":`, FastAPI/Starlette startup handlers and the code of
    a `lifespan` before its `yield`, Flask `before_first_request`, Quart `before_serving`,
    aiohttp `on_startup`, the `create_app()` factory, Django `AppConfig.ready()`, Celery
    `worker_init` / `worker_ready` handlers, and functions of the same module called from
    those places. Shutdown hooks, request handlers and lambdas are not start-up, nor are
    coroutines handed to `asyncio.create_task`, `ensure_future` or
    `run_coroutine_threadsafe` (start-up does not wait for them).

    ## Why is this bad?
    A service that needs another one to be up before it can start imposes a deploy order
    ("deploy orders before shipping") and turns the other's outage into a crash loop here:
    a restart during an incident does not come back until the dependency does.

    ## Example
    ```python
    @app.on_event("startup")
    async def load_prices():
        app.state.prices = httpx.get(f"{ORDERS_API_URL}/prices", timeout=2).json()
    ```

    Use instead:
    ```python
    @functools.cache
    def prices():
        return httpx.get(f"{ORDERS_API_URL}/prices", timeout=2).json()  # on first use
    ```
    Fetch lazily on first use (with a fallback), or receive the data as events, so the
    service starts whatever the state of its dependencies.

    ## Options
    - `services.<name>.hosts`: the hosts and env vars that reach each service.
    - `ignore-hosts`: third-party hosts, never service coupling.
    """

    code = "CPL401"
    message = "start-up call to {target} {context}"
    VALID = [
        Valid(
            "import requests\n\n\n@app.get('/prices')\ndef prices():\n"
            "    return requests.get('http://orders-api/prices', timeout=2).json()\n"
        ),
        Valid(
            "import requests\n\n\n@app.on_event('shutdown')\ndef bye():\n"
            "    requests.post('http://orders-api/bye', timeout=2)\n"
        ),
        Valid("import requests\n\nSTATUS = requests.get('https://api.stripe.com/v1', timeout=2)\n"),
    ]
    INVALID = [
        Invalid(
            "import requests\n\nPRICES = requests.get('http://orders-api/prices', timeout=2)\n",
            line=3,
            col=9,
            message="start-up call to service 'orders' at import time",
        ),
        Invalid(
            "import requests\n\n\n@app.on_event('startup')\ndef warm():\n"
            "    requests.get('http://orders-api/prices', timeout=2)\n",
            line=6,
            col=4,
            message="start-up call to service 'orders' in startup handler 'warm'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for call in found.calls:
            if call.reaches_service and not call.fact.forwarded and call.startup is not None:
                span = call.fact.span
                yield self.report(found.facts, span, target=call.describe(), context=call.startup)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        # Only where CPL301 can fire: a file importing an HTTP or RPC client.
        return client_needles(other_packages(config, service))
