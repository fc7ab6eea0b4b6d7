"""CPL101: import of a shared domain package."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.imports import coupled_imports
from couplint_ast.facts.needles import import_needle
from couplint_ast.model import Diagnostic, Invalid, Valid
from couplint_ast.parse import Needle
from couplint_ast.rules.base import FileRule


class SharedDomainImport(FileRule):
    """
    ## What it does
    Checks for imports of a package listed in `shared-domain-packages`, or of any of its
    submodules, through any alias, inside functions and `try` blocks too.

    ## Why is this bad?
    A shared package that holds domain logic (entities, business rules, event definitions)
    is a release train: when its rules change, every service that imports it must adopt the
    new version together, so services stop deploying independently.

    ## Example
    ```python
    from acme_domain.orders import Order

    def total(order: Order) -> int:
        return order.total()
    ```

    Use instead:
    ```python
    from shipping.model import ShipmentRequest  # this service's own model of what it needs
    ```
    Keep domain types inside the service that owns them and exchange data through a
    versioned contract (an API schema or event payload) that each side maps on its own.

    ## Options
    - `shared-domain-packages`: the packages to report (submodules included).
    - `allowed-shared-packages`: infrastructure-only packages that are never reported.
    """

    code = "CPL101"
    message = "imports '{module}' from shared domain package '{package}'"
    VALID = [
        Valid("import acme_logging\nfrom acme_logging.json import JsonFormatter\n"),
        Valid("import acme_domainx  # another package that merely starts alike\n"),
        Valid("from . import acme_domain  # relative: this package's own module\n"),
        Valid("# import acme_domain\ntext = 'from acme_domain import Order'\n"),
    ]
    INVALID = [
        Invalid(
            "import acme_domain.orders as o\n",
            line=1,
            message="imports 'acme_domain.orders' from shared domain package 'acme_domain'",
        ),
        Invalid(
            "try:\n    from acme_domain.events import OrderPlaced as E\nexcept ImportError:\n"
            "    E = None\n",
            line=2,
            col=4,
            message="imports 'acme_domain.events.OrderPlaced' from shared domain package"
            " 'acme_domain'",
        ),
    ]

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        facts, config, service = found.facts, found.config, found.service
        for fact, owner in coupled_imports(facts, config, service):
            if owner.service is None:
                yield self.report(facts, fact.span, module=fact.module, package=owner.package)

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        needle = import_needle(config.shared_domain_packages, imports_only=True)
        return [needle] if needle else []
