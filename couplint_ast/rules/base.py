"""What a rule is: a code, a message template, documentation, examples, and a pure check."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from couplint_ast.config import Config, ServiceConfig
from couplint_ast.couplings import Couplings
from couplint_ast.facts import FileFacts
from couplint_ast.model import Diagnostic, Invalid, Span, Valid
from couplint_ast.parse import Needle

# The path examples are linted under; EXAMPLE_CONFIG makes it a file of service 'shipping'.
EXAMPLE_PATH = "services/shipping/shipping/app.py"
EXAMPLE_CONFIG = Config(
    service="shipping",
    shared_domain_packages=("acme_domain",),
    allowed_shared_packages=("acme_logging",),
    ignore_hosts=("api.stripe.com",),
    circuit_breakers=("acme_http.guarded",),
    services=(
        ServiceConfig(
            name="orders",
            packages=("orders",),
            tables=("orders", "order_items"),
            hosts=("orders-api", "ORDERS_API_URL"),
            databases=("orders_db", "ORDERS_DATABASE_URL"),
        ),
        ServiceConfig(
            name="inventory",
            packages=("inventory",),
            tables=("stock", "warehouse.*"),
            hosts=("inventory-api:8080", "INVENTORY_URL"),
            databases=("inventory_db",),
        ),
        ServiceConfig(
            name="shipping",
            packages=("shipping",),
            tables=("shipments",),
            hosts=("shipping-api",),
            databases=("shipping_db",),
        ),
    ),
)


DOC_SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "Use instead:",
    "## Options",
)


class FileRule:
    """A per-file rule: subclasses set `code`, `message`, a documented docstring and examples."""

    code: ClassVar[str]
    message: ClassVar[str]
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []
    # True for a rule that judges a migration against its folder's earlier revisions.
    uses_history: ClassVar[bool] = False

    def check(self, found: Couplings) -> Iterator[Diagnostic]:
        """Diagnostics for one file's couplings; never parses source or SQL."""
        raise NotImplementedError

    @classmethod
    def needles(cls, config: Config, service: str) -> Iterable[Needle]:
        """Regexes of which at least one occurs in any file this rule can report on."""
        raise NotImplementedError

    def report(self, facts: FileFacts, span: Span, **fields: Any) -> Diagnostic:
        """A diagnostic of this rule at `span`, its message filled from `fields`."""
        message = self.message.format(**fields)
        return Diagnostic(facts.path, span.line, span.col, self.code, message)
