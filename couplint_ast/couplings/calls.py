"""Where an outbound call goes, decided once per call for every rule, the graph and the audit.

`service_calls(facts, config, service)` turns each `CallFact` into a `ServiceCall`: whether
its target reaches another service, the file's own service, a third party (a literal host
no service claims, or one in `ignore-hosts`), or cannot be resolved, and its timeout,
breaker and start-up state under the config. A target is a symbolic `Value`: each
alternative is resolved (env vars and config keys through `hosts`, settings names
case-insensitively, an env var's default URL when the env var is not configured) and one
alternative reaching another service makes it a service call.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from couplint_ast.config import Config
from couplint_ast.couplings.brokers import request_owner
from couplint_ast.facts.broker_catalog import REQUEST_LIBRARIES
from couplint_ast.facts.types import CallFact, FileFacts, StartupFact
from couplint_ast.facts.values import Alternative, Part, Value, endpoint, url_path
from couplint_ast.model import Span
from couplint_ast.parse import Needle

TargetKind = Literal["service", "own", "third-party", "unresolved"]
SERVICE: TargetKind = "service"  # another configured service
OWN: TargetKind = "own"  # the file's own service: not coupling
THIRD_PARTY: TargetKind = "third-party"  # a host no service claims, or in `ignore-hosts`
UNRESOLVED: TargetKind = "unresolved"  # not knowable statically (a parameter, an env var)

# A call's timeout under the config: bounded, unknown, or what CPL302 reports.
Timeout = Literal["bounded", "unknown", "missing", "none", "default"]
BOUNDED: Timeout = "bounded"
PROBLEMS: tuple[Timeout, ...] = ("missing", "none", "default")

_ENV_LIKE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
LOOPBACK = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})
_K8S_SUFFIX = re.compile(r"^\.[a-z0-9-]+\.svc(?:\.cluster\.local)?$")
_NAMED = ("env", "config", "setting", "name")


@dataclass(frozen=True)
class Target:
    """Where one alternative, or a whole call, goes."""

    kind: TargetKind
    services: tuple[str, ...] = ()  # set for SERVICE and OWN
    host: str | None = None  # the literal host[:port], when the target has one
    missing: Part | None = None  # what left it unresolved, or the part that decided it


@dataclass(frozen=True)
class ServiceCall:
    """One call's coupling: where it goes and how it is bounded, decided once."""

    fact: CallFact
    target: Target
    timeout: Timeout  # the config applied
    guarded: bool | None  # None: a decorator of the project's own code may be a breaker
    startup: str | None  # where it runs at start-up, in words; None when it does not
    chosen_by_callers: bool = False  # a wrapper's call whose callers' targets are known

    @property
    def reaches_service(self) -> bool:
        """True when the call reaches another service (CPL301/302/303/401 apply)."""
        return self.target.kind == SERVICE

    @property
    def unresolved(self) -> bool:
        """True when nothing tells where it goes: reported once, at the call itself (a
        wrapper's callers are not, and a wrapper's call is not when a caller resolves)."""
        return self.target.kind == UNRESOLVED and not self.fact.via and not self.chosen_by_callers

    def describe(self) -> str:
        """How messages name the target: "service 'orders'", "service 'a' or 'b'"."""
        names = " or ".join(f"'{s}'" for s in self.target.services)
        through = f" through '{self.fact.via}'" if self.fact.via else ""
        if self.fact.client in REQUEST_LIBRARIES and self.fact.target.known:
            through = f" over '{self.fact.target.shown()}'{through}"  # the request's queue
        return f"service {names}{through}"

    def missing(self) -> str:
        """What an unresolved call lacks, in words (CPL305)."""
        part = self.target.missing
        if part is not None and part.kind == "text" and self.fact.client in REQUEST_LIBRARIES:
            return f"destination '{part.text}' (add it to a service's queues or topics)"
        return part.describe() if part is not None else "a value computed at run time"


def service_calls(facts: FileFacts, config: Config, service: str | None) -> list[ServiceCall]:
    """The coupling of every call of a file of `service`."""
    startup = {fact.function: fact for fact in facts.startup}
    found = []
    for call in facts.calls:
        target = resolve(call.target, call.client, config, service)
        if call.client == "package" and target.kind != SERVICE:
            continue  # an object of the service's own code or of a library: no call known
        found.append(
            ServiceCall(
                call,
                target,
                timeout_state(call, config),
                is_guarded(call, config, service),
                startup_context(call, startup),
            )
        )
    # A wrapper's own call reaches what its callers reach: its timeout is theirs (CPL302).
    reached: dict[Span, set[str]] = {}
    resolved: set[Span] = set()
    for item in found:
        if item.fact.wrapped is not None and item.target.kind != UNRESOLVED:
            resolved.add(item.fact.wrapped)
            if item.reaches_service:
                reached.setdefault(item.fact.wrapped, set()).update(item.target.services)
    return [_chosen(c, reached, resolved) if c.fact.forwarded else c for c in found]


def _chosen(call: ServiceCall, reached: dict[Span, set[str]], resolved: set[Span]) -> ServiceCall:
    span = call.fact.span
    if span in reached:
        target = Target(SERVICE, tuple(sorted(reached[span])))
        return dataclasses.replace(call, target=target, chosen_by_callers=True)
    return dataclasses.replace(call, chosen_by_callers=span in resolved)


def timeout_state(call: CallFact, config: Config) -> Timeout:
    """BOUNDED, "unknown", or the problem CPL302 reports (config applied once, here)."""
    state = call.timeout
    if state == "default":
        report = call.client == "aiohttp" and config.report_aiohttp_default_timeout
        return "default" if report else BOUNDED
    if state in ("call", "client"):
        return BOUNDED
    return "unknown" if state == "unknown" else "none" if state == "none" else "missing"


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


def resolve(value: Value, client: str, config: Config, service: str | None) -> Target:
    """Decide where a target value of `client` goes, seen from `service`."""
    if client == "package":  # a client library: the service whose `packages` hold it
        return _package_target(value, config, service)
    if client in REQUEST_LIBRARIES:  # a request/reply over a broker: the queue's owner
        decided = [_request(a, client, config, service) for a in value.alternatives]
    else:
        decided = [_alternative(a, client, config, service) for a in value.alternatives]
    for kind in (SERVICE, OWN):
        chosen = [t for t in decided if t.kind == kind]
        if chosen:
            services = tuple(sorted({s for t in chosen for s in t.services}))
            return Target(kind, services, chosen[0].host, chosen[0].missing)
    # `os.environ.get("CART_URL") or "http://localhost:8002"`: the deploy sets the env var,
    # the literal is a developer's default; where the call goes is what the env var says.
    named = [t for t in decided if t.kind == UNRESOLVED and _names(t.missing)]
    third = [t for t in decided if t.kind == THIRD_PARTY]
    if third and not named:
        return Target(THIRD_PARTY, host=third[0].host, missing=third[0].missing)
    missing = next((t.missing for t in named or decided if t.missing is not None), None)
    return Target(UNRESOLVED, missing=missing)


def _package_target(value: Value, config: Config, service: str | None) -> Target:
    # A class of no service's package is a library of the world: not coupling.
    name = value.alternatives[0].text() if len(value.alternatives) == 1 else ""
    owner = config.package_owner(name.rpartition(".")[0], service) if name else None
    if owner is None or owner.service is None:
        return Target(THIRD_PARTY)
    return Target(OWN if owner.service == service else SERVICE, (owner.service,))


def _request(alt: Alternative, library: str, config: Config, service: str | None) -> Target:
    owner, missing = request_owner(alt, library, config, service)
    if owner is None:
        return Target(UNRESOLVED, missing=missing)
    return Target(OWN if owner == service else SERVICE, (owner,), missing=missing)


def _names(part: Part | None) -> bool:
    return part is not None and part.kind in _NAMED


def _alternative(alt: Alternative, client: str, config: Config, service: str | None) -> Target:
    point = endpoint(alt, client)
    path = url_path(Value((alt,)), client) if config.host_prefixes else None
    if point.host is not None:
        return _host_target(point.host, config, service, path)
    for part in point.parts:
        if part.kind not in _NAMED:
            continue
        exact = part.kind in ("env", "config")
        owner = service_for_env(config, part.text, exact=exact, path=path)
        if owner is not None:
            return Target(OWN if owner == service else SERVICE, (owner,), missing=part)
        if _ignored(config, part.text.rsplit(".", 1)[-1]):
            return Target(THIRD_PARTY, missing=part)
        if part.kind == "env" and part.default:
            default = endpoint(Value.literal(part.default).alternatives[0], client)
            decided = _host_target(default.host, config, service) if default.host else None
            if decided is not None and decided.kind != THIRD_PARTY:
                return decided  # the default names a service: that is where it goes
            return Target(UNRESOLVED, missing=part)
    missing = next(iter(point.parts), None)
    return Target(UNRESOLVED, missing=missing)


def _host_target(host: str, config: Config, service: str | None, path: str | None = None) -> Target:
    owner = service_for_host(config, host, path)
    if owner is not None:
        return Target(OWN if owner == service else SERVICE, (owner,), host)
    return Target(THIRD_PARTY, host=host)


def service_for_host(config: Config, host: str, path: str | None = None) -> str | None:
    """The service whose `hosts` name this host (or host:port); None if none or ambiguous.

    An entry with a path prefix (`gateway:8000/library`) matches only calls whose path
    starts with it, and the longest prefix wins: a gateway routing by path charges each
    call to the service behind it."""
    host = host.lower()
    name, port = _split_port(host)
    scored: dict[tuple[int, int], set[str]] = {}
    for svc in config.services:
        for entry in svc.hosts:
            base, prefix = _split_entry(entry)
            if _ENV_LIKE.match(base):
                continue
            e_name, e_port = _split_port(_host_entry(base))
            same_name = (
                name == e_name
                or (name.startswith(e_name + ".") and _K8S_SUFFIX.match(name[len(e_name) :]))
                # `localhost:5001` is `127.0.0.1:5001` and, from a container, the host's
                # `host.docker.internal:5001`: the port tells the services apart.
                or (name in LOOPBACK and e_name in LOOPBACK and e_port is not None)
            )
            if name in LOOPBACK and e_port != port:
                continue  # on the loopback only the port names a service
            length = _prefix_length(prefix, path)
            if not same_name or length is None:
                continue
            # The right host on another port is still that service, below the same port.
            strength = 1 if e_port is None or e_port == port else 0
            scored.setdefault((length, strength), set()).add(svc.name)
    found = scored[max(scored)] if scored else set()
    return next(iter(found)) if len(found) == 1 else None


def service_for_env(
    config: Config, name: str, exact: bool = True, path: str | None = None
) -> str | None:
    """The service whose `hosts` list env var `name`; settings names match case-insensitively;
    a path prefix after the name (`GATEWAY_URL/library`) as for hosts."""
    last = name.rsplit(".", 1)[-1]
    scored: dict[int, set[str]] = {}
    for svc in config.services:
        for entry in svc.hosts:
            base, prefix = _split_entry(entry)
            if not _ENV_LIKE.match(base):
                continue
            length = _prefix_length(prefix, path)
            if length is not None and (base == last or (not exact and base == last.upper())):
                scored.setdefault(length, set()).add(svc.name)
    found = scored[max(scored)] if scored else set()
    return next(iter(found)) if len(found) == 1 else None


def _split_entry(entry: str) -> tuple[str, str]:
    """`gateway:8000/library` -> (`gateway:8000`, `/library`); no path prefix: ""."""
    scheme = _SCHEME.match(entry.lower())
    bare = entry[scheme.end() :] if scheme else entry
    base, slash, rest = bare.partition("/")
    return base, "/" + rest.strip("/") if slash and rest.strip("/") else ""


def _prefix_length(prefix: str, path: str | None) -> int | None:
    """How long a prefix the call's path matches (0: no prefix); None: it does not."""
    if not prefix:
        return 0
    if path is None or not (path == prefix or path.startswith(prefix + "/")):
        return None
    return len(prefix)


def is_guarded(call: CallFact, config: Config, service: str | None = None) -> bool | None:
    """True when a library circuit breaker or a `circuit-breakers` name guards `call`;
    None (unknown) when a decorator or wrapper of the project's own code does, which may
    hold a breaker (`from .breakers import orders_breaker`, resolved only by the workspace
    index when that module builds it); False otherwise."""
    if call.breaker or any(names_match(g, config.circuit_breakers) for g in call.guards):
        return True
    if any(_own_code(name, config, service) for name in call.imported_guards):
        return None
    return False


def _own_code(name: str, config: Config, service: str | None) -> bool:
    """True for a dotted name imported from this service's own code."""
    if name.startswith("."):
        return True
    own = config.service_named(service) if service is not None else None
    return own is not None and any(name == p or name.startswith(p + ".") for p in own.packages)


def names_match(name: str, configured: Iterable[str]) -> bool:
    """True when dotted `name` is one of `configured`, or ends with one at a dot."""
    return any(name == c or name.endswith("." + c) for c in configured)


def host_needles(config: Config, service: str) -> list[Needle]:
    """Prefilter regexes: the literal hosts of the other services (for CPL304)."""
    hosts = {
        _split_port(_host_entry(entry))[0]
        for svc in config.services
        if svc.name != service
        for entry in svc.hosts
        if not _ENV_LIKE.match(entry)
    }
    return [
        Needle(rf"(?<![\w.-])(?i:{re.escape(h)})(?![\w-])", (h,), fold=True)
        for h in sorted(hosts)
        if h
    ]


def _ignored(config: Config, host: str) -> bool:
    host = host.lower()
    name, _ = _split_port(host)
    entries = [_host_entry(e) for e in config.ignore_hosts]
    return any(
        host == e or name == e or name.endswith("." + e) or host.endswith("." + e) for e in entries
    )


def _host_entry(entry: str) -> str:
    # Users may write a URL where a host is meant: `http://orders-api/` is `orders-api`.
    return _SCHEME.sub("", entry.lower()).split("/", 1)[0]


def _split_port(host: str) -> tuple[str, str | None]:
    if host.startswith("["):  # [ipv6]:port
        inside, _, rest = host[1:].partition("]")
        return inside, rest[1:] if rest.startswith(":") and rest[1:].isdigit() else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and name:
        return name, port
    return host, None
