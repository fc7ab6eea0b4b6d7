"""Couplings: facts + config -> whom each fact couples this service to, decided once.

Rules, the service graph and the audit all read one `Couplings` per file, so they cannot
disagree about where a call goes, whether it has a timeout, or who owns a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from couplint_ast.config import Config, PackageOwner
from couplint_ast.couplings.calls import ServiceCall, service_calls, service_for_host
from couplint_ast.couplings.history import Schema
from couplint_ast.couplings.imports import coupled_imports
from couplint_ast.facts.types import FileFacts, ImportFact, UrlLiteralFact
from couplint_ast.facts.values import Value, endpoint, url_path


@dataclass(frozen=True)
class EndpointLiteral:
    """A URL or address literal naming another service's host (CPL304)."""

    fact: UrlLiteralFact
    host: str
    owner: str


# Schemes of endpoints a service is called on; database and broker URLs are other rules'.
SCHEMES = ("http://", "https://", "ws://", "wss://", "grpc://", "grpcs://", "h2c://")


@dataclass
class Couplings:
    """The couplings of one file of `service`; each kind computed on first use, once."""

    facts: FileFacts
    config: Config
    service: str
    schema: Schema | None = None  # a migration's: what its folder's history built before it
    _calls: list[ServiceCall] | None = field(default=None, repr=False)
    _imports: list[tuple[ImportFact, PackageOwner]] | None = field(default=None, repr=False)

    @property
    def calls(self) -> list[ServiceCall]:
        """Every outbound call, resolved."""
        if self._calls is None:
            self._calls = service_calls(self.facts, self.config, self.service)
        return self._calls

    @property
    def imports(self) -> list[tuple[ImportFact, PackageOwner]]:
        """Imports of shared domain packages and of other services' packages."""
        if self._imports is None:
            self._imports = list(coupled_imports(self.facts, self.config, self.service))
        return self._imports

    def endpoints(self) -> list[EndpointLiteral]:
        """Literals naming another service's host; defaults of env var reads are not."""
        found = []
        for literal in self.facts.url_literals:
            if literal.default or not literal.value.alternatives:
                continue
            alternative = literal.value.alternatives[0]
            text = alternative.parts[0].text if alternative.parts else ""
            if not literal.address and not text.lower().startswith(SCHEMES):
                continue
            client = "grpc" if literal.address else ""
            host = endpoint(alternative, client).host
            path = url_path(Value((alternative,)), client) if self.config.host_prefixes else None
            owner = service_for_host(self.config, host, path) if host else None
            if host is not None and owner is not None and owner != self.service:
                found.append(EndpointLiteral(literal, host, owner))
        return found
