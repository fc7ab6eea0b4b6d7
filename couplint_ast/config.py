"""The only reader of TOML: `[tool.couplint]` or `couplint.toml` -> a frozen `Config`."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from couplint_ast.model import Selector, code_selector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on old Pythons only
    import tomli as tomllib

T = TypeVar("T")
TEST_DIRS = frozenset({"tests"})
# Catalog schemas of the database engines: `information_schema.tables` is nobody's `tables`.
SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "sys", "mysql", "performance_schema"}
)


class ConfigError(Exception):
    """A configuration problem, rendered as one line naming the file and the key."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        super().__init__(f"{_display(path)}: {key}: {problem}")


@dataclass(frozen=True)
class ServiceConfig:
    """One service: where its code lives and what it owns."""

    name: str
    paths: tuple[Path, ...] = ()
    packages: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # broker exchanges and topics it owns (globs)
    queues: tuple[str, ...] = ()  # broker queues it consumes (globs)
    from_catalog: bool = False


@dataclass(frozen=True)
class PackageOwner:
    """What an import couples to: a shared domain package (service None) or a service's."""

    package: str
    service: str | None


@dataclass(frozen=True)
class Config:
    """Everything the rules need to know about the user's system; built once, passed down."""

    path: Path | None = None
    service: str | None = None
    shared_domain_packages: tuple[str, ...] = ()
    allowed_shared_packages: tuple[str, ...] = ()
    ignore_hosts: tuple[str, ...] = ()
    circuit_breakers: tuple[str, ...] = ()
    max_chain_hops: int = 2
    include_tests: bool = False
    # CPL302: aiohttp's default (300 s total) counts as a timeout unless this is set.
    report_aiohttp_default_timeout: bool = False
    services: tuple[ServiceConfig, ...] = ()
    # Which codes are reported, with ruff's meanings (None: every code but the opt-in ones).
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # (glob relative to the config's folder, codes ignored in the files it matches)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Globs of files and folders never read (beside the folders couplint always skips).
    exclude: tuple[str, ...] = ()
    baseline: Path | None = None
    _tables: _TableIndex = field(init=False, repr=False, compare=False)
    # True when a `hosts` entry carries a path prefix (`gateway:8000/library`).
    host_prefixes: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", _TableIndex(self.services))
        prefixed = any(
            "/" in re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", h).rstrip("/")
            for s in self.services
            for h in s.hosts
        )
        object.__setattr__(self, "host_prefixes", prefixed)

    @property
    def root(self) -> Path:
        """The folder that holds the config: paths in it are relative to this."""
        return self.path.parent if self.path is not None else Path(os.path.abspath("."))

    def selector(
        self,
        select: Iterable[str] | None = None,
        extend: Iterable[str] = (),
        ignore: Iterable[str] = (),
    ) -> Selector:
        """The codes this config reports; a front end's `select` replaces the config's, its
        `extend` and `ignore` add to the config's."""
        chosen = tuple(select) if select is not None else self.select
        return code_selector(chosen, (*self.ignore, *ignore), (*self.extend_select, *extend))

    def ignored_in(self, path: Path | str, code: str) -> bool:
        """True when a `per-file-ignores` entry matching `path` names `code` (a prefix)."""
        if not self.per_file_ignores:
            return False
        rel = self._relative(path)
        return any(
            code.startswith(prefix)
            for pattern, codes in self.per_file_ignores
            if rel is not None and _glob_matches(pattern, rel)
            for prefix in codes
        )

    def excluded(self, path: Path | str) -> bool:
        """True when `exclude`/`extend-exclude` names the file or a folder above it."""
        if not self.exclude:
            return False
        rel = self._relative(path)
        if rel is None:
            return False
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(
            _glob_matches(pattern, prefix) for pattern in self.exclude for prefix in prefixes
        )

    def _relative(self, path: Path | str) -> str | None:
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return None if rel.startswith("..") else Path(rel).as_posix()

    def service_named(self, name: str) -> ServiceConfig | None:
        """The service called `name`, if configured."""
        return next((s for s in self.services if s.name == name), None)

    def service_for(self, path: Path | str) -> str | None:
        """The service a file belongs to: `service` if set, else the longest matching path."""
        if self.service is not None:
            return self.service
        resolved = os.path.abspath(path)
        best: tuple[int, str] | None = None
        for svc in self.services:
            for root in svc.paths:
                text = str(root)
                if resolved == text or resolved.startswith(text.rstrip(os.sep) + os.sep):
                    depth = len(root.parts)
                    if best is None or depth > best[0]:
                        best = (depth, svc.name)
        return best[1] if best else None

    def table_owner(self, table: str, own_service: str | None = None) -> str | None:
        """The service owning a table reference (`t` or `schema.t`), case-insensitively.

        The file's own service first: a table it claims is its own, whoever else does too
        (every service has its own `schema_migrations`); one that several other services
        claim is ambiguous (None)."""
        owners = self._tables.owners(table)
        if own_service in owners:
            return own_service
        return next(iter(owners)) if len(owners) == 1 else None

    def destination_owner(self, name: str, own_service: str | None = None) -> str | None:
        """The service whose `topics` or `queues` name a broker destination (globs, case
        kept: brokers tell `Orders` from `orders`); an entry that is exactly `name` also
        matches an env var of that name. The file's own service first; one that several
        other services claim is ambiguous (None)."""
        owners = {
            svc.name
            for svc in self.services
            for entry in (*svc.topics, *svc.queues)
            if entry == name or fnmatch.fnmatchcase(name, entry)
        }
        if own_service in owners:
            return own_service
        return next(iter(owners)) if len(owners) == 1 else None

    def package_owner(self, module: str, own_service: str | None) -> PackageOwner | None:
        """Who a dotted import belongs to; the longest configured name wins.

        At equal length the file's own service comes first, then allowed packages, then
        shared domain packages; a name claimed by several other services is ambiguous (None).
        """
        parts = module.split(".")
        for size in range(len(parts), 0, -1):
            prefix = ".".join(parts[:size])
            owners = [s.name for s in self.services if prefix in s.packages]
            if own_service in owners or prefix in self.allowed_shared_packages:
                return None
            if prefix in self.shared_domain_packages:
                return PackageOwner(prefix, None)
            if owners:
                return PackageOwner(prefix, owners[0]) if len(owners) == 1 else None
        return None

    def is_test_file(self, path: Path | str) -> bool:
        """Test code is not reported unless `include-tests` is set."""
        if self.include_tests:
            return False
        p = Path(path)
        name = p.name
        if (
            name in ("conftest.py", "tests.py")
            or name.startswith("test_")
            or name.endswith("_test.py")
        ):  # `tests.py`: a Django app's tests
            return True
        return any(part in TEST_DIRS for part in p.parts[:-1])


class _TableIndex:
    """Owned-table lookup implementing design.md's matching rules."""

    def __init__(self, services: Iterable[ServiceConfig]) -> None:
        self.exact: dict[str, set[str]] = {}
        self.by_last: dict[str, set[str]] = {}
        self.schemas: dict[str, set[str]] = {}
        self.globs: list[tuple[str, str]] = []  # (`logger_*`, service): after exact names
        for svc in services:
            for entry in svc.tables:
                entry = entry.lower()
                if entry.endswith(".*") and not any(c in entry[:-2] for c in "*?["):
                    self.schemas.setdefault(entry[:-2], set()).add(svc.name)
                    continue
                if any(c in entry for c in "*?["):
                    self.globs.append((entry, svc.name))
                    continue
                self.exact.setdefault(entry, set()).add(svc.name)
                if "." in entry:
                    self.by_last.setdefault(entry.rsplit(".", 1)[1], set()).add(svc.name)

    def owners(self, table: str) -> set[str]:
        """The services claiming a table reference, by the first rule that matches."""
        parts = table.lower().replace('"', "").split(".")
        name = parts[-1]
        if len(parts) == 1:
            return self.exact.get(name) or self.by_last.get(name) or self._globbed(None, name)
        qualified = f"{parts[-2]}.{name}"
        if parts[-2] in SYSTEM_SCHEMAS:
            return self.exact.get(qualified, set())
        return (
            self.exact.get(qualified)
            or self.schemas.get(parts[-2])
            or self.exact.get(name)
            or self._globbed(parts[-2], name)
        )

    def _globbed(self, schema: str | None, name: str) -> set[str]:
        """Services whose glob entries match: `t*` any table so named, `s.t*` one of schema
        `s` (or an unqualified reference so named)."""
        found = set()
        for pattern, service in self.globs:
            if "." in pattern:
                wanted_schema, wanted = pattern.rsplit(".", 1)
                if schema is not None and not fnmatch.fnmatchcase(schema, wanted_schema):
                    continue
            else:
                wanted = pattern
            if fnmatch.fnmatchcase(name, wanted):
                found.add(service)
        return found


_TOP_KEYS: Mapping[str, type] = {
    "service": str,
    "shared-domain-packages": list,
    "allowed-shared-packages": list,
    "ignore-hosts": list,
    "circuit-breakers": list,
    "max-chain-hops": int,
    "catalog": list,
    "include-tests": bool,
    "report-aiohttp-default-timeout": bool,
    "services": dict,
    "select": list,
    "extend-select": list,
    "ignore": list,
    "per-file-ignores": dict,
    "exclude": list,
    "extend-exclude": list,
    "baseline": str,
}
_TYPE_NAMES: Mapping[type, str] = {
    str: "a string",
    list: "a list of strings",
    int: "an integer",
    bool: "true or false",
    dict: "a table",
}
_SERVICE_KEYS = ("paths", "packages", "tables", "hosts", "databases", "topics", "queues")
_CONFIG_NAMES = ("couplint.toml", "pyproject.toml")


def _glob_matches(pattern: str, rel: str) -> bool:
    """A ruff-style glob against a path relative to the config's folder: `dir/` or `dir`
    names a folder, a pattern without `/` also matches any single name (`*_pb2.py`)."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest `couplint.toml`, or `pyproject.toml` holding `[tool.couplint]`, upward."""
    return _upward(Path(os.path.abspath(start or Path.cwd())), _config_in, {})


def _upward(folder: Path, look: Callable[[Path], T | None], memo: dict[Path, T | None]) -> T | None:
    """What `look` finds in `folder` or the nearest folder above it; with a `memo` kept
    between calls, each folder is looked at once."""
    seen = []
    found: T | None = None
    for here in (folder, *folder.parents):
        if here in memo:
            found = memo[here]
            break
        seen.append(here)
        found = look(here)
        if found is not None:
            break
    for here in seen:
        memo[here] = found
    return found


def _config_in(folder: Path) -> Path | None:
    for name in _CONFIG_NAMES:
        candidate = folder / name
        if not candidate.is_file():
            continue
        if name == "couplint.toml":
            return candidate
        try:
            if b"[tool.couplint" in candidate.read_bytes():
                return candidate
        except OSError:
            continue
    return None


class ConfigFinder:
    """Each file's config, as ruff finds it: the nearest one above the file wins for its
    subtree, unless one was given explicitly. Looked up once per folder, read once per file;
    a config that cannot be read raises its `ConfigError` for every file under it."""

    def __init__(self, explicit: Path | str | None = None) -> None:
        self.explicit = Path(os.path.abspath(explicit)) if explicit is not None else None
        self._nearest: dict[Path, Path | None] = {}
        self._typos: dict[Path, tuple[Path, str] | None] = {}
        self._loaded: dict[Path, Config | ConfigError] = {}

    def path_for(self, file: Path | str) -> Path | None:
        """The config file that governs `file` (a file or a folder), or None."""
        if self.explicit is not None:
            return self.explicit
        start = Path(os.path.abspath(file))
        folder = start if start.is_dir() else start.parent
        return _upward(folder, _config_in, self._nearest)

    def config_for(self, file: Path | str) -> Config | None:
        """The config of `file`; None when there is none; `ConfigError` when it is broken
        (or when a pyproject.toml above holds a misspelt `[tool.couplint]`)."""
        path = self.path_for(file)
        if path is None:
            start = Path(os.path.abspath(file))
            typo = _upward(start if start.is_dir() else start.parent, _misspelt_in, self._typos)
            if typo is not None:
                where, name = typo
                raise ConfigError(where, f"tool.{name}", "not [tool.couplint]: a typo?")
            return None
        loaded = self._loaded.get(path)
        if loaded is None:
            try:
                loaded = _load_file(path)
            except ConfigError as exc:
                loaded = exc
            self._loaded[path] = loaded
        if isinstance(loaded, ConfigError):
            raise loaded
        return loaded


_TOOL_TABLE = re.compile(rb"^\[\[?tool\.([\w.-]+?)[\].]", re.MULTILINE)


def _misspelt_table(start: Path | None) -> tuple[Path, str] | None:
    """The nearest pyproject.toml upward with a `[tool.X]` table whose name is close to
    `couplint` (`[tool.coupling]`, `[tool.couplit]`), if any."""
    return _upward(Path(os.path.abspath(start or Path.cwd())), _misspelt_in, {})


def _misspelt_in(folder: Path) -> tuple[Path, str] | None:
    import difflib

    candidate = folder / "pyproject.toml"
    try:
        data = candidate.read_bytes() if candidate.is_file() else b""
    except OSError:
        return None
    for match in _TOOL_TABLE.finditer(data):
        name = match.group(1).decode("utf-8", "replace")
        if name != "couplint" and difflib.SequenceMatcher(None, name, "couplint").ratio() >= 0.8:
            return candidate, name
    return None


def load_config(
    path: Path | str | None = None, start: Path | None = None, linted: Iterable[str] = ()
) -> Config:
    """Load the config at `path`, or the nearest one upward; defaults if there is none.

    The search starts at `start` (the working directory); when nothing is found there, it
    starts again from the first linted path, so `flake8 fixtures/shop` finds that repo's.
    """
    found = Path(path) if path is not None else find_config(start)
    first = next((p for p in linted if p != "-"), None)
    if found is None:
        found = find_config(Path(first)) if first is not None else None
    if found is None:
        for folder in (start, Path(first) if first is not None else None):
            typo = _misspelt_table(folder)
            if typo is not None:
                file, name = typo
                raise ConfigError(file, f"tool.{name}", "not [tool.couplint]: a typo?")
        return Config()
    return _load_file(found)


def _load_file(found: Path) -> Config:
    table = _read_toml(found)
    if found.name == "pyproject.toml":
        tool = table.get("tool", {})
        if not isinstance(tool, dict) or "couplint" not in tool:
            raise ConfigError(found, "tool.couplint", "no [tool.couplint] table in this file")
        table = tool["couplint"]
        _check_type(found, "tool.couplint", table, dict)
    return _build(found, table)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "no such file") from None
    except OSError as exc:
        raise ConfigError(path, "(file)", exc.strerror or str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "(syntax)", "invalid TOML: not UTF-8") from None


def _build(path: Path, table: Mapping[str, Any]) -> Config:
    prefix = "tool.couplint." if path.name == "pyproject.toml" else ""
    for key, value in table.items():
        expected = _TOP_KEYS.get(key)
        if expected is None:
            raise ConfigError(path, prefix + key, _unknown(key, _TOP_KEYS))
        if key == "service" and isinstance(value, dict):
            raise ConfigError(
                path, prefix + key, "expected a string; services are [services.NAME] tables"
            )
        _check_type(path, prefix + key, value, expected)
    base = path.parent
    services: dict[str, ServiceConfig] = {}
    for entry in table.get("catalog", []):
        catalog_path = base / entry
        if not catalog_path.is_file():
            raise ConfigError(path, prefix + "catalog", f"'{entry}' is not a file")
        catalog = _catalog_table(catalog_path)
        for name, svc in _services(catalog_path, "", catalog, True).items():
            if name in services:
                raise ConfigError(catalog_path, f"services.{name}", "service defined twice")
            services[name] = svc
    # A service defined here replaces a catalog entry of the same name.
    services.update(_services(path, prefix, table.get("services", {}), False))
    _check_host_claims(path, prefix, services.values())
    per_file = []
    for pattern, codes in table.get("per-file-ignores", {}).items():
        _check_type(path, f"{prefix}per-file-ignores.{pattern}", codes, list)
        per_file.append((pattern, tuple(c.strip().upper() for c in codes)))
    baseline = table.get("baseline")
    hops = table.get("max-chain-hops", 2)
    if hops < 1:
        raise ConfigError(path, prefix + "max-chain-hops", "must be at least 1")
    return Config(
        path=path,
        service=table.get("service"),
        shared_domain_packages=tuple(table.get("shared-domain-packages", ())),
        allowed_shared_packages=tuple(table.get("allowed-shared-packages", ())),
        ignore_hosts=tuple(h.lower() for h in table.get("ignore-hosts", ())),
        circuit_breakers=tuple(table.get("circuit-breakers", ())),
        max_chain_hops=hops,
        include_tests=table.get("include-tests", False),
        report_aiohttp_default_timeout=table.get("report-aiohttp-default-timeout", False),
        services=tuple(services.values()),
        select=_codes(table["select"]) if "select" in table else None,
        extend_select=_codes(table.get("extend-select", ())),
        ignore=_codes(table.get("ignore", ())),
        per_file_ignores=tuple(per_file),
        exclude=(*table.get("exclude", ()), *table.get("extend-exclude", ())),
        baseline=Path(os.path.abspath(base / baseline)) if baseline is not None else None,
    )


def _unknown(key: str, known: Iterable[str]) -> str:
    """`unknown key`, with the nearest known key when one is close (a typo)."""
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"unknown key (did you mean '{close[0]}'?)" if close else "unknown key"


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in values if v.strip())


def _catalog_table(path: Path) -> Mapping[str, Any]:
    """The `[services.*]` of a catalog file: a file of services only, or another couplint
    config (a monorepo's root config, named from a per-service one)."""
    table: Mapping[str, Any] = _read_toml(path)
    prefix = ""
    if path.name == "pyproject.toml":
        tool = table.get("tool", {})
        table = tool.get("couplint", {}) if isinstance(tool, dict) else {}
        prefix = "tool.couplint."
    for key in table:
        if key not in _TOP_KEYS:
            raise ConfigError(path, prefix + key, "unknown key (a catalog holds [services.*])")
    services: Mapping[str, Any] = table.get("services", {})
    _check_type(path, prefix + "services", services, dict)
    return services


def _services(
    path: Path, prefix: str, table: Mapping[str, Any], from_catalog: bool
) -> dict[str, ServiceConfig]:
    result = {}
    for name, body in table.items():
        key = f"{prefix}services.{name}"
        _check_type(path, key, body, dict)
        for item, value in body.items():
            if item not in _SERVICE_KEYS:
                raise ConfigError(path, f"{key}.{item}", _unknown(item, _SERVICE_KEYS))
            _check_type(path, f"{key}.{item}", value, list)
        roots = []
        for entry in body.get("paths", []):
            root = Path(os.path.abspath(path.parent / entry))
            if not from_catalog and not root.exists():
                raise ConfigError(path, f"{key}.paths", f"'{entry}' does not exist")
            roots.append(root)
        result[name] = ServiceConfig(
            name=name,
            paths=tuple(roots),
            packages=tuple(body.get("packages", ())),
            tables=tuple(t.lower() for t in body.get("tables", ())),
            hosts=tuple(body.get("hosts", ())),
            databases=tuple(body.get("databases", ())),
            topics=tuple(body.get("topics", ())),
            queues=tuple(body.get("queues", ())),
            from_catalog=from_catalog,
        )
    return result


def _check_host_claims(path: Path, prefix: str, services: Iterable[ServiceConfig]) -> None:
    """A host (or env var) that two services claim would charge its calls to either."""
    claimed: dict[str, str] = {}
    for svc in services:
        for host in svc.hosts:
            other = claimed.setdefault(host.lower(), svc.name)
            if other != svc.name:
                raise ConfigError(
                    path,
                    f"{prefix}services.{svc.name}.hosts",
                    f"host '{host}' is also claimed by service '{other}'",
                )


def _check_type(path: Path, key: str, value: Any, expected: type) -> None:
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if ok and expected is list:
        ok = all(isinstance(item, str) for item in value)
    if not ok:
        wanted = _TYPE_NAMES[expected]
        raise ConfigError(path, key, f"expected {wanted}, got {type(value).__name__}")


def _display(path: Path | str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
