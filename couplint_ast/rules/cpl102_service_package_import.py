"""CPL102: import of another service's package."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.imports import coupled_imports
from couplint_ast.facts.needles import import_needle
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class ServicePackageImport(FileRule):
    """
    ## What it does
    Checks for imports of a package that belongs to another service (its `packages` in the
    config). A name that the file's own service also declares resolves to the own service
    first, so two services may both call their package `app`.

    ## Why is this bad?
    Importing another service's code couples to its internals: the other team can no
    longer refactor, rename or redeploy without breaking this service, and this service
    silently runs the other's code at whatever version happens to be installed.

    ## Example
    ```python
    from orders.pricing import price_of

    def quote(item):
        return price_of(item)
    ```

    Use instead:
    ```python
    import httpx

    def quote(item):
        return httpx.get(f"{ORDERS_URL}/prices/{item}", timeout=2).json()
    ```
    Ask the owning service through its public API, or consume the events it publishes.

    ## Options
    - `services.<name>.packages`: the import roots that belong to each service.
    """

    code = "CPL102"
    message = "imports '{module}' from package '{package}' of service '{owner}'"
    VALID = [
        Valid("from shipping.labels import Label  # this service's own package\n"),
        Valid("import ordersx\nimport orders_client  # not the package 'orders'\n"),
        Valid("from .orders import Order  # a relative import stays in this package\n"),
    ]
    INVALID = [
        Invalid(
            "def restock():\n    from inventory.stock import reserve\n    return reserve\n",
            line=2,
            col=4,
            message="imports 'inventory.stock.reserve' from package 'inventory' of service"
            " 'inventory'",
        ),
        Invalid(
            "import os, orders.pricing as p\n",
            line=1,
            message="imports 'orders.pricing' from package 'orders' of service 'orders'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        for fact, owner in coupled_imports(facts, config, service):
            if owner.service is not None:
                yield self.report(
                    facts, fact.span, module=fact.module, package=owner.package, owner=owner.service
                )

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        others = [p for s in config.services if s.name != service for p in s.packages]
        needle = import_needle(others, imports_only=True)
        return [needle] if needle else []
