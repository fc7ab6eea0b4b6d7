"""CPL305: an outbound call whose target couplint cannot resolve (opt-in)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.facts.broker_catalog import REQUEST_LIBRARIES
from couplint_ast.facts.needles import client_needles
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule

# What fixes it, by what is missing: a name to list, or a parameter no caller binds.
HINTS = {
    "env": " (add it to a service's hosts, or to ignore-hosts)",
    "config": " (add it to a service's hosts, or to ignore-hosts)",
    "setting": " (add it to a service's hosts, or to ignore-hosts)",
    "name": " (add it to a service's hosts, or to ignore-hosts)",
    "param": " (no call of it here says where it goes)",
    "attr": " (set nowhere this code shows)",
    "text": "",
    "unknown": "",
}


class UnresolvedCallTarget(FileRule):
    """
    ## What it does
    Checks for outbound HTTP and RPC calls whose target couplint cannot tie to a service
    or a third party, and names what is missing: an env var or config key that no
    service's `hosts` lists, a parameter no caller in the module binds, a setting or a name
    imported from elsewhere. Off by default: enabled only by naming it
    (`--extend-select=CPL305`, or CPL305 in `--select`); `--select=CPL` does not enable it.

    ## Why is this bad?
    A call couplint cannot resolve is a dependency nobody can see in the audit or the
    graph (they show it as "unknown"). One `hosts` entry (or `ignore-hosts` for a third
    party) makes it visible, and every other rule then applies to it.

    ## Example
    ```python
    CART_URL = os.environ["CART_URL"]
    requests.get(f"{CART_URL}/carts/{cart_id}", timeout=2)  # no service lists CART_URL
    ```

    Use instead:
    ```toml
    [tool.couplint.services.cart]
    hosts = ["cart-api", "CART_URL"]
    ```

    ## Options
    - `services.<name>.hosts`: hosts and env var names that reach each service.
    - `ignore-hosts`: third-party hosts or env var names.
    """

    code = "CPL305"
    message = "call target is not resolved: {missing}{hint}"
    VALID = [
        Valid("import requests\n\nrequests.get('http://orders-api/orders', timeout=2)\n"),
        Valid(
            "import requests\n\ndef _get(url):\n    return requests.get(url, timeout=2)\n\n"
            "_get('http://orders-api/orders')  # the caller chooses: resolved there\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import os\nimport requests\n\nCART_URL = os.environ['CART_URL']\n"
            "requests.get(f'{CART_URL}/carts', timeout=2)\n",
            line=5,
            message="call target is not resolved: env var 'CART_URL' (add it to a service's"
            " hosts, or to ignore-hosts)",
        ),
        Invalid(
            "import requests\n\ndef fetch(session: requests.Session, url):\n"
            "    return session.get(url, timeout=3)\n",
            line=4,
            col=11,
            message="call target is not resolved: parameter 'url' of 'fetch' (no call of it"
            " here says where it goes)",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        for call in found.calls:
            if call.unresolved:
                part = call.target.missing
                kind = part.kind if part is not None else "unknown"
                span = call.fact.span
                hint = HINTS[kind]
                if call.fact.client in REQUEST_LIBRARIES and kind in ("env", "config", "name"):
                    hint = " (add it to a service's queues or topics)"  # a request's queue
                yield self.report(found.facts, span, missing=call.missing(), hint=hint)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        return client_needles()
