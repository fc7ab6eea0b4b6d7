"""Where an outbound call goes, for CPL301-CPL304, CPL401 and the service graph.

`call_target(call, config, service)` decides, from a `CallFact` and the config, whether a
call reaches another service, the file's own service, a third party (`ignore-hosts`), a
host no service claims, or a target that static analysis cannot resolve. Hosts are
matched case-insensitively; env var names (`ORDERS_API_URL`) exactly, or through a
settings attribute of the same name (`settings.orders_api_url`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from couplint_ast.config import Config
from couplint_ast.facts.catalog import CLIENT_MODULES
from couplint_ast.facts.markers import (
    ENV_CLOSE,
    ENV_OPEN,
    HOLE,
    NAME_CLOSE,
    NAME_OPEN,
    env_names,
    marker_names,
)
from couplint_ast.facts.types import CallFact

SERVICE = "service"  # another configured service
OWN = "own"  # the file's own service: not coupling
THIRD_PARTY = "third-party"  # a host (or env var) listed in `ignore-hosts`
UNKNOWN_HOST = "host"  # a literal host that no service claims and no ignore-hosts entry lists
UNRESOLVED = "unresolved"  # not knowable statically (a parameter, an unconfigured env var)

_ENV_LIKE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_K8S_SUFFIX = re.compile(r"^\.[a-z0-9-]+\.svc(?:\.cluster\.local)?$")
_GRPC_SCHEME = re.compile(r"^(?:dns:(?://[^/]*/)?|ipv4:|ipv6:)")
_LEADING_MARKER = re.compile(
    f"^(?:{ENV_OPEN}[^{ENV_CLOSE}]*{ENV_CLOSE}|{NAME_OPEN}[^{NAME_CLOSE}]*{NAME_CLOSE})"
)


@dataclass(frozen=True)
class Endpoint:
    """What a target's authority part names: a literal host, env vars, or unbound names."""

    host: str | None = None  # lowercased `host` or `host:port`
    env: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallTarget:
    """The decision for one call: its kind, the service it reaches, and what decided it."""

    kind: str
    service: str | None = None  # set for SERVICE and OWN
    host: str | None = None  # the literal host[:port], when the target has one
    via: str | None = None  # the env var or name that decided it (or left it unresolved)

    @property
    def couples(self) -> bool:
        """True when the call couples this service to another (or may: unresolved)."""
        return self.kind in (SERVICE, UNKNOWN_HOST, UNRESOLVED)

    def describe(self) -> str:
        """How messages name the target: "service 'orders'", "an unresolved target"."""
        if self.kind in (SERVICE, OWN):
            return f"service '{self.service}'"
        if self.kind == UNKNOWN_HOST:
            return f"host '{self.host}' (no configured service)"
        if self.kind == THIRD_PARTY:
            return f"third party '{self.host or self.via}'"
        if self.via:
            return f"an unresolved target ('{self.via}')"
        return "an unresolved target"


def call_target(call: CallFact, config: Config, service: str | None) -> CallTarget:
    """Decide where `call` goes, seen from a file of `service`."""
    return resolve_target(call.target, call.client, config, service)


def resolve_target(
    target: str | None, client: str, config: Config, service: str | None
) -> CallTarget:
    """Decide where a target string (with markers) of `client` goes, seen from `service`."""
    if target is None:
        return CallTarget(UNRESOLVED)
    point = endpoint(target, client)
    if point.host is not None:
        owner = service_for_host(config, point.host)
        if owner is not None:
            return CallTarget(OWN if owner == service else SERVICE, owner, point.host)
        if _ignored(config, point.host):
            return CallTarget(THIRD_PARTY, host=point.host)
        return CallTarget(UNKNOWN_HOST, host=point.host)
    for name in (*point.env, *point.names):
        owner = service_for_env(config, name, exact=name in point.env)
        if owner is not None:
            return CallTarget(OWN if owner == service else SERVICE, owner, via=name)
        if _ignored(config, name.rsplit(".", 1)[-1]):
            return CallTarget(THIRD_PARTY, via=name)
    via = (point.env or point.names or (None,))[0]
    return CallTarget(UNRESOLVED, via=via)


def endpoint(target: str, client: str = "") -> Endpoint:
    """The host, or the env vars and names, that the authority part of `target` holds."""
    if client == "grpc":
        target = _GRPC_SCHEME.sub("", target)
        authority = re.split(r"[/?#]", target, maxsplit=1)[0]
    elif "://" in target:
        authority = re.split(r"[/?#]", target.split("://", 1)[1], maxsplit=1)[0]
    elif target.startswith((ENV_OPEN, NAME_OPEN)):
        # The base URL comes from an env var or a setting: `f"{ORDERS_URL}/orders"`.
        match = _LEADING_MARKER.match(target)
        authority = match.group(0) if match else ""
    else:
        return Endpoint()
    authority = authority.rsplit("@", 1)[-1]
    env, names = tuple(env_names(authority)), tuple(marker_names(authority))
    if env or names:
        return Endpoint(env=env, names=names)
    if not authority or HOLE in authority:
        return Endpoint()
    return Endpoint(host=authority.lower().rstrip("."))


def service_for_host(config: Config, host: str) -> str | None:
    """The service whose `hosts` name this host (or host:port); None if none or ambiguous."""
    host = host.lower()
    name, port = _split_port(host)
    strong: set[str] = set()
    weak: set[str] = set()
    for svc in config.services:
        for entry in svc.hosts:
            if _ENV_LIKE.match(entry):
                continue
            e_name, e_port = _split_port(_host_entry(entry))
            same_name = name == e_name or (
                name.startswith(e_name + ".") and _K8S_SUFFIX.match(name[len(e_name) :])
            )
            if not same_name:
                continue
            if e_port is None or e_port == port:
                strong.add(svc.name)
            else:
                weak.add(svc.name)  # the right host on another port: still that service
    found = strong or weak
    return next(iter(found)) if len(found) == 1 else None


def service_for_env(config: Config, name: str, exact: bool = True) -> str | None:
    """The service whose `hosts` list env var `name`; settings names match case-insensitively."""
    last = name.rsplit(".", 1)[-1]
    found = set()
    for svc in config.services:
        for entry in svc.hosts:
            if not _ENV_LIKE.match(entry):
                continue
            if entry == last or (not exact and entry == last.upper()):
                found.add(svc.name)
    return next(iter(found)) if len(found) == 1 else None


def is_guarded(call: CallFact, config: Config) -> bool:
    """True when a library circuit breaker or a `circuit-breakers` name guards `call`."""
    return call.breaker or any(names_match(g, config.circuit_breakers) for g in call.guards)


def names_match(name: str, configured: Iterable[str]) -> bool:
    """True when dotted `name` is one of `configured`, or ends with one at a dot."""
    return any(name == c or name.endswith("." + c) for c in configured)


def client_needles() -> list[str]:
    """Prefilter regexes: an import of any client library of the catalog."""
    return [_import_needle(m) for m in CLIENT_MODULES]


def host_needles(config: Config, service: str) -> list[str]:
    """Prefilter regexes: the literal hosts of the other services (for CPL304)."""
    hosts = {
        _split_port(_host_entry(entry))[0]
        for svc in config.services
        if svc.name != service
        for entry in svc.hosts
        if not _ENV_LIKE.match(entry)
    }
    return [rf"(?<![\w.-])(?i:{re.escape(h)})(?![\w-])" for h in sorted(hosts) if h]


def _import_needle(module: str) -> str:
    # `import a.b`, `from a.b import x`, `from a import b` (or a parenthesised list).
    head, _, tail = module.partition(".")
    h = re.escape(head)
    full = re.escape(module)
    forms = [rf"from[ \t]+{full}\b", rf"import[ \t](?:[^\n#]*[ ,])?{full}\b"]
    if tail:
        forms.append(rf"from[ \t]+{h}[ \t]+import[ \t]+(?:\(|[^\n#]*\b{re.escape(tail)}\b)")
    return rf"(?:^|[;:])[ \t]*(?:{'|'.join(forms)})"


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
