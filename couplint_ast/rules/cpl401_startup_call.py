"""CPL401: an outbound call to another service that runs at import time or start-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.facts.types import CallFact, StartupFact
from couplint_ast.model import Diagnostic
from couplint_ast.rules.base import FileRule, Invalid, Valid
from couplint_ast.rules.calls import SERVICE, call_target, client_needles


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

    def check(self, facts: FileFacts, config: Config, service: str) -> Iterator[Diagnostic]:
        startup = {fact.function: fact for fact in facts.startup}
        for call in facts.calls:
            context = startup_context(call, startup)
            if context is None:
                continue
            target = call_target(call, config, service)
            if target.kind == SERVICE:
                yield self.report(facts, call.span, target=target.describe(), context=context)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[str]:
        # Only where CPL301 can fire: a file importing an HTTP or RPC client.
        return client_needles()


def startup_context(call: CallFact, startup: dict[str, StartupFact]) -> str | None:
    """Where a call runs at start-up, in words; None when it does not."""
    if call.at_import:
        return "at import time"
    fact = startup.get(call.scope)
    if fact is None or any(r.start <= call.span < r.end for r in fact.skip):
        return None
    if fact.via:
        return f"in '{fact.function}', called from {fact.hook}"
    return f"in {fact.hook}"
