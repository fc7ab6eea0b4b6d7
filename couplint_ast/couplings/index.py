"""The workspace index: what one file cannot know, resolved from the other files of a service.

Two things cross modules (the CLI and the server only; flake8 sees one file):

- a name imported from another module of the same service (`from .config import
  ORDERS_URL`) takes the value that module gives it (its `ExportFact`), and a Django
  `settings.X` the value of `X` in the service's settings module (`settings.py`, or a
  module of a `settings/` package, when they agree);
- a call of a wrapper function defined in another module (`from .http import get_json`,
  then `get_json(USERS_URL, "/me")`) becomes a call fact at that call site, with the
  wrapper's parameters bound to its arguments, and the wrapper's own call names the
  targets its callers reach.

Modules are found by path: `.config` next to the importing file, `orders.config` as a file
of the same service ending in `orders/config.py` (or `orders/config/__init__.py`). Work is
bounded: names are followed `MAX_DEPTH` modules deep, and values keep their caps.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from couplint_ast.facts.broker_catalog import choose, literal
from couplint_ast.facts.types import (
    BrokerFact,
    CallFact,
    ClientExport,
    FileFacts,
    ForwardFact,
    OrmUseFact,
)
from couplint_ast.facts.values import Part, Value, substitute, url_path
from couplint_ast.parse import without_docstrings

# What a module that may hold a circuit breaker imports: a breaker library, or a name that
# says so (a project's own `circuit-breakers` helper is usually called that).
BREAKER_LIBRARIES = frozenset({"pybreaker", "aiobreaker", "circuitbreaker", "purgatory"})
HINTS = ("breaker", "circuit", "guard", "resilien")

MAX_DEPTH = 4


class WorkspaceIndex:
    """Exports and wrapper calls of every file, by service and module path."""

    def __init__(
        self, files: Iterable[tuple[str, FileFacts]], shared: Iterable[FileFacts] = ()
    ) -> None:
        self.files: dict[str, list[tuple[PurePosixPath, FileFacts]]] = {}
        for service, facts in files:
            self.files.setdefault(service, []).append((PurePosixPath(facts.path), facts))
        # Workspace code outside every service (shared libraries): its models only.
        self.shared = [(PurePosixPath(facts.path), facts) for facts in shared]
        self._absolute: dict[tuple[str, str], tuple[PurePosixPath, FileFacts] | None] = {}
        self._calls_of: dict[tuple[str, str, str], list[tuple[PurePosixPath, ForwardFact]]] = {}

    def resolve(self, service: str, facts: FileFacts) -> FileFacts:
        """`facts` with imported names, other modules' wrappers and models resolved."""
        here = PurePosixPath(facts.path)
        calls = [self._named(service, here, call) for call in facts.calls]
        calls = [self._callers_reach(service, facts, call) for call in calls]
        for forward in facts.forwards:
            calls.extend(self._through(service, here, forward))
        calls = [self._guarded(service, here, call) for call in calls]
        uses = [self._model_use(service, here, use) for use in facts.orm_uses]
        brokers = [self._broker_named(service, here, fact) for fact in facts.brokers]
        brokers = [self._broker_callers(service, facts, fact) for fact in brokers]
        for forward in facts.forwards:
            brokers.extend(self._through_brokers(service, here, forward))
        if (calls, uses, brokers) == (list(facts.calls), list(facts.orm_uses), list(facts.brokers)):
            return facts
        return dataclasses.replace(
            facts, calls=tuple(calls), orm_uses=tuple(uses), brokers=tuple(brokers)
        )

    # -- models of other modules --------------------------------------------------------
    def _model_use(self, service: str, here: PurePosixPath, use: OrmUseFact) -> OrmUseFact:
        if use.table or "." not in use.model:
            return use  # known already, or a class of the file itself
        table = self.model_table(service, here, use.model)
        return dataclasses.replace(use, table=table) if table else use

    def model_table(self, service: str, here: PurePosixPath, name: str, depth: int = 0) -> str:
        """The table the model class `name` (as imported from `here`: `.models.Stock`,
        `acme_db.models.Stock`) maps, found in a module of the service or of a shared
        package, through re-exports (`from .stock import Stock`); "" when unknown, or
        when the class is mapped twice onto different tables."""
        dots = len(name) - len(name.lstrip("."))
        module, _, cls = name.lstrip(".").rpartition(".")
        found = self._module(service, here, "." * dots + module)
        if found is None and self.shared:
            found = _find(self.shared, here, "." * dots + module)
        if found is None and not dots:  # another service's package (`inventory.models`)
            others = [
                (other, hit)
                for other, files in self.files.items()
                if other != service
                for hit in [_find(files, here, module)]
                if hit is not None
            ]
            if len(others) == 1:
                service, found = others[0]
        if found is None:
            return ""
        path, facts = found
        tables = {m.table for m in facts.table_mappings if m.kind == "model" and m.model == cls}
        if tables:
            return tables.pop() if len(tables) == 1 else ""
        if depth >= MAX_DEPTH:
            return ""
        found_tables = {  # a package that imports the class from its module(s)
            self.model_table(service, path, "." * fact.level + fact.module, depth + 1)
            for fact in facts.imports
            if fact.module.rpartition(".")[2] == cls and fact.module != name.lstrip(".")
        }
        return found_tables.pop() if len(found_tables) == 1 else ""

    # -- names imported from another module --------------------------------------------------
    def _named(self, service: str, here: PurePosixPath, call: CallFact) -> CallFact:
        target = self.value(service, here, call.target)
        if target == call.target:
            return call
        return dataclasses.replace(call, target=target, path=url_path(target, call.client))

    def value(self, service: str, here: PurePosixPath, value: Value, depth: int = 0) -> Value:
        """`value` with `name` parts of this project's modules replaced by their values."""
        wanted = any((p.kind == "name" and p.owner) or p.kind == "setting" for p in value.parts())
        if depth >= MAX_DEPTH or not wanted:
            return value

        def replace(part: Part) -> Value | None:
            if part.kind == "setting":
                return self._setting(service, part.text, depth)
            if part.kind != "name" or not part.owner:
                return None
            found = self._module(service, here, part.owner)
            if found is None:
                return None
            return self._exported(service, found[0], found[1], part.text, depth)

        return substitute(value, replace)

    def _exported(
        self, service: str, path: PurePosixPath, facts: FileFacts, name: str, depth: int
    ) -> Value | None:
        """The value module `path` gives `name`: its own, or one of a module it star-imports
        (`from .environment import *`), if one does."""
        for export in facts.exports:
            if export.name == name:
                return self.value(service, path, export.value, depth + 1)
        if depth >= MAX_DEPTH:
            return None
        for export in facts.exports:
            if export.name != "*":
                continue
            for part in export.value.parts():
                found = self._module(service, path, part.owner)
                value = None if found is None else self._exported(service, *found, name, depth + 1)
                if value is not None:
                    return value
        return None

    def _setting(self, service: str, name: str, depth: int) -> Value | None:
        """`settings.NAME`: the value a settings module of the service gives NAME, if one."""
        found = [
            (path, export.value)
            for path, facts in self.files.get(service, [])
            if path.name == "settings.py" or "settings" in path.parent.parts
            for export in facts.exports
            if export.name == name
        ]
        if len({value for _, value in found}) != 1:
            return None  # none, or several settings modules that disagree
        path, value = found[0]
        return self.value(service, path, value, depth + 1)

    def _module(
        self, service: str, here: PurePosixPath, module: str
    ) -> tuple[PurePosixPath, FileFacts] | None:
        """The file of `service` that `module` (as imported from `here`) is, if one."""
        if module.startswith("."):
            return _find(self.files.get(service, []), here, module)
        key = (service, module)  # an absolute module is the same file from anywhere
        if key not in self._absolute:
            self._absolute[key] = _find(self.files.get(service, []), here, module)
        return self._absolute[key]

    def _guarded(self, service: str, here: PurePosixPath, call: CallFact) -> CallFact:
        """`call` guarded when a decorator or wrapper of it is another module's breaker;
        known unguarded when each such module is at hand and cannot hold one (it imports no
        breaker, nor any module that does)."""
        if call.breaker or not call.imported_guards:
            return call
        unknown = []
        for name in call.imported_guards:
            found = self.client(service, here, name)
            if found is not None and found.kind == "breaker":
                return dataclasses.replace(call, breaker=True)
            module = self._module(service, here, name.rpartition(".")[0])
            if module is None or self._may_hold_breaker(service, *module, depth=0):
                unknown.append(name)
        if len(unknown) == len(call.imported_guards):
            return call
        return dataclasses.replace(call, imported_guards=tuple(unknown))

    def _may_hold_breaker(
        self, service: str, path: PurePosixPath, facts: FileFacts, depth: int
    ) -> bool:
        """True unless the module imports no breaker library and no name that looks like one
        (`acme_http.guarded_call` from a `circuit-breakers` entry, `.breakers`), and every
        module of the workspace it imports is the same (two levels deep; further: maybe)."""
        for fact in facts.imports:
            name = fact.module.lower()
            if name.split(".", 1)[0] in BREAKER_LIBRARIES or any(w in name for w in HINTS):
                return True
            if depth >= 2:
                return True
            module = self._module(service, path, "." * fact.level + fact.module)
            if module is not None and self._may_hold_breaker(service, *module, depth + 1):
                return True
        return False

    # -- client objects of other modules ---------------------------------------------------
    def client(self, service: str, here: PurePosixPath, name: str) -> ClientExport | None:
        """The client object `name` (as imported from `here`: `.http.session`) is, if the
        module it comes from builds one at module level."""
        module, _, attr = name.rpartition(".")
        splits = [(module, attr)]
        if name.endswith("()"):  # what a factory returns: `.grpc.make_stub()`, or a
            dotted, _, method = name[:-2].rpartition(".")  # method's: `.grpc.Conn.stub()`
            owner, _, cls = dotted.rpartition(".")
            splits.insert(0, (owner, f"{cls}.{method}()"))
        for module, attr in splits:
            found = self._module(service, here, module) if module.strip(".") else None
            for export in found[1].exports if found is not None else ():
                if export.name == attr and export.client is not None:
                    return export.client
        return None

    def clients_for(self, service: str, path: str) -> Callable[[str], ClientExport | None]:
        """`client` for the file at `path` of `service`, as the fact extraction asks it."""
        here = PurePosixPath(path)
        return lambda name: self.client(service, here, name)

    # -- wrappers of other modules ------------------------------------------------------------
    def _wrapper(
        self, service: str, here: PurePosixPath, callee: str
    ) -> tuple[PurePosixPath, FileFacts, str] | None:
        module, _, function = callee.rpartition(".")
        if not module:
            return None
        found = self._module(service, here, module)
        if found is not None:
            return found[0], found[1], function
        # `from . import http` then `http.get_json(...)`: the module is the last name but one.
        parent, _, name = module.rpartition(".")
        found = self._module(service, here, f"{parent}.{name}" if parent else name)
        return (found[0], found[1], function) if found is not None else None

    def _through(self, service: str, here: PurePosixPath, forward: ForwardFact) -> list[CallFact]:
        """Call facts at `forward`'s call site for each call its wrapper makes."""
        found = self._wrapper(service, here, forward.callee)
        if found is None:
            return []
        path, facts, function = found
        made = []
        for call in facts.calls:
            if call.scope != function or call.via or not call.params:
                continue
            target = self.value(service, here, _bind(call, forward))
            target = self.value(service, path, target)
            made.append(
                dataclasses.replace(
                    call,
                    span=forward.span,
                    target=target,
                    path=url_path(target, call.client) if call.client != "grpc" else call.path,
                    breaker=call.breaker or forward.breaker,
                    guards=(*forward.guards, *call.guards),
                    imported_guards=(*forward.imported_guards, *call.imported_guards),
                    scope=forward.scope,
                    at_import=forward.at_import,
                    via=function,
                    wrapped=None,
                    forwarded=False,
                    params=(),
                )
            )
        return made

    # -- brokers: destinations through imported names and other modules' wrappers ----------
    def _broker_named(self, service: str, here: PurePosixPath, fact: BrokerFact) -> BrokerFact:
        targets = tuple(self.value(service, here, v) for v in fact.targets)
        keys = tuple(self.value(service, here, v) for v in fact.keys)
        if (targets, keys) == (fact.targets, fact.keys):
            return fact
        return dataclasses.replace(
            fact, targets=targets, keys=keys, destinations=_literals(choose(targets, keys))
        )

    def _through_brokers(
        self, service: str, here: PurePosixPath, forward: ForwardFact
    ) -> list[BrokerFact]:
        """Broker facts at `forward`'s call site for each publish or consume its wrapper
        (a function of another module) makes with destinations its parameters choose."""
        found = self._wrapper(service, here, forward.callee)
        if found is None:
            return []
        path, facts, function = found
        made = []
        for fact in facts.brokers:
            if fact.scope != function or fact.via or not fact.params:
                continue

            def bound(values: tuple[Value, ...], fact: BrokerFact = fact) -> tuple[Value, ...]:
                return tuple(
                    self.value(
                        service,
                        path,
                        self.value(service, here, _bind_value(v, fact.scope, fact.params, forward)),
                    )
                    for v in values
                )

            targets, keys = bound(fact.targets), bound(fact.keys)
            made.append(
                dataclasses.replace(
                    fact,
                    span=forward.span,
                    targets=targets,
                    keys=keys,
                    destinations=_literals(choose(targets, keys)),
                    scope=forward.scope,
                    at_import=forward.at_import,
                    via=function,
                    forwarded=False,
                    params=(),
                )
            )
        return made

    def _broker_callers(self, service: str, facts: FileFacts, fact: BrokerFact) -> BrokerFact:
        """A wrapper's own publish or consume is drawn at its callers when modules of the
        service call it (`_through_brokers`), not also where it stands."""
        if fact.forwarded or not fact.params or fact.via or not fact.scope or "." in fact.scope:
            return fact
        if not self._callers(service, PurePosixPath(facts.path), fact.scope):
            return fact
        return dataclasses.replace(fact, forwarded=True)

    def _callers_reach(self, service: str, facts: FileFacts, call: CallFact) -> CallFact:
        """A wrapper's own call, with the targets its callers in other modules give it."""
        if not call.params or call.via or not call.scope or "." in call.scope:
            return call
        callers = self._callers(service, PurePosixPath(facts.path), call.scope)
        if not callers:
            return call
        targets = [self.value(service, path, _bind(call, forward)) for path, forward in callers]
        return dataclasses.replace(call, target=Value.either(targets), forwarded=True)

    def _callers(
        self, service: str, here: PurePosixPath, function: str
    ) -> list[tuple[PurePosixPath, ForwardFact]]:
        """The calls, in the service's modules, of `function` of the module at `here`
        (worked out once per wrapper, however many facts it holds)."""
        key = (service, here.as_posix(), function)
        found = self._calls_of.get(key)
        if found is None:
            found = self._calls_of[key] = [
                (path, forward)
                for path, other in self.files.get(service, [])
                for forward in other.forwards
                for wrapper in [self._wrapper(service, path, forward.callee)]
                if wrapper is not None and wrapper[0] == here and wrapper[2] == function
            ]
        return found


class Needs:
    """Which files the index still needs, that the prefilter let pass unparsed: modules
    whose names calls use, settings modules, files that may call a wrapper, files that
    may call a method of a client object another module exports, files that name a model
    class another module maps (of the service, or of a shared package: `shared`), and the
    modules such uses import their models from.

    `couplint check` parses them in a second round, so that what crosses modules costs
    only where a call needs it (the prefilter stays as tight as flake8's).
    """

    def __init__(
        self,
        files: Iterable[tuple[str, FileFacts]],
        shared: Iterable[FileFacts] = (),
        foreign: Iterable[tuple[str, str, str]] = (),
        owned_elsewhere: Callable[[str, str, str], bool] | None = None,
    ) -> None:
        # (service, path, module) of imports of another service's package: the importing
        # file is read whole (its queries of that service's models); the module a query's
        # model comes from is read in the next round (`models_from`).
        self.importers = {path for _, path, _ in foreign}
        self.modules: dict[str, set[tuple[PurePosixPath, str]]] = {}
        self.settings: set[str] = set()
        self.functions: dict[str, set[str]] = {}
        # Per service: the absolute modules its model uses import from (maybe another's).
        self.models_from: dict[str, set[tuple[PurePosixPath, str]]] = {}
        clients: dict[str, set[str]] = {}
        models: dict[str, set[str]] = {}
        common = {m.model for facts in shared for m in facts.table_mappings if m.kind == "model"}
        for service, facts in files:
            here = PurePosixPath(facts.path)
            for mapping in facts.table_mappings:
                # Only a model of another service's table makes its queries findings
                # (`owned_elsewhere(service, path, table)`, when the caller knows).
                if (
                    mapping.kind == "model"
                    and mapping.model
                    and (
                        owned_elsewhere is None
                        or owned_elsewhere(service, facts.path, mapping.table)
                    )
                ):
                    models.setdefault(service, set()).add(mapping.model)
            for use in facts.orm_uses:  # the module an imported model comes from
                if "." in use.model and not use.table:
                    self.modules.setdefault(service, set()).add((here, _module_of(use.model)))
                    if not use.model.startswith("."):
                        self.models_from.setdefault(service, set()).add(
                            (here, _module_of(use.model))
                        )
            for export in facts.exports:
                if export.name == "*":  # a module it star-imports may hold what is imported
                    for part in export.value.parts():
                        self.modules.setdefault(service, set()).add((here, part.owner))
                if export.client is not None and export.name.endswith("()"):
                    # A factory: `Connector().auth_stub()`, `make_stub()` is what is called.
                    factory = export.name[:-2].rsplit(".", 1)[-1]
                    self.functions.setdefault(service, set()).add(factory)
                elif export.client is not None:
                    clients.setdefault(service, set()).add(export.name)
            values = [call.target for call in facts.calls]
            values += [v for fact in facts.brokers for v in (*fact.targets, *fact.keys)]
            values += [value for forward in facts.forwards for _, value in forward.args]
            for call in facts.calls:  # guards imported from another module: `.breakers.b`
                for name in call.imported_guards:
                    module = name.rpartition(".")[0]
                    if module.strip("."):
                        self.modules.setdefault(service, set()).add((here, module))
            for value in values:
                for part in value.parts():
                    if part.kind == "name" and part.owner:
                        self.modules.setdefault(service, set()).add((here, part.owner))
                    elif part.kind == "setting":
                        self.settings.add(service)
            made: list[CallFact | BrokerFact] = [*facts.calls, *facts.brokers]
            for fact in made:  # a wrapper other modules may call
                if fact.params and fact.scope and "." not in fact.scope and not fact.via:
                    self.functions.setdefault(service, set()).add(fact.scope)
        self._words = {
            service: re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(names)))})\s*\(")
            for service, names in self.functions.items()
        }
        # A method called on a client object another module exports: `session.get(`.
        self._clients = {
            service: re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(names)))})\s*\.\s*\w+\s*\(")
            for service, names in clients.items()
        }
        # A model class another module maps, used as a query uses it: `session.query(Stock)`.
        self._models = {service: _queried(names) for service, names in models.items() if names}
        self._common = _queried(common) if common else None
        # The files those module names are, as sets of paths: one lookup per file.
        self._modules = {s: _Files(m) for s, m in self.modules.items()}
        self._any_module = _Files(m for ms in self.modules.values() for m in ms)
        self._models_from = {s: _Files(m) for s, m in self.models_from.items()}

    def __bool__(self) -> bool:
        return bool(
            self.importers
            or self.modules
            or self.settings
            or self.functions
            or self._clients
            or self._models
            or self._common
        )

    def wants_shared(self, path: str) -> bool:
        """True when the file at `path`, outside every service, is a module that a model
        use imports its class from (a shared package's `__init__` re-exporting it)."""
        return self._any_module.holds(PurePosixPath(path))

    def wants(self, service: str, path: str, text: str) -> bool:
        """True when the file at `path` of `service` may hold what a call needs."""
        where = PurePosixPath(path)
        if path in self.importers:
            return True
        if any(  # a model module another service imports by its package (`inventory.models`)
            files.holds(where) for other, files in self._models_from.items() if other != service
        ):
            return True
        if service in self.settings and (
            where.name == "settings.py" or "settings" in where.parent.parts
        ):
            return True
        files = self._modules.get(service)
        if files is not None and files.holds(where):
            return True
        words = self._words.get(service)
        if words is not None and words.search(text) is not None:
            return True
        used = self._clients.get(service)
        if used is not None and used.search(text) is not None:
            return True
        models = [m for m in (self._models.get(service), self._common) if m is not None]
        if not any(named.search(text) for named in models):
            return False
        code = without_docstrings(text)  # a model named in prose is no use of it
        return any(named.search(code) for named in models)


def _queried(names: Iterable[str]) -> re.Pattern[str]:
    """Any of `names` where a query or a write takes a model: `query(M`, `select(M`,
    `add(M(`, `M.objects`, `M.query`, `M.select(`, `M(` (an instance), `: M` (annotated)."""
    words = "|".join(map(re.escape, sorted(names)))
    return re.compile(
        rf"\b(?:{words})\b\s*(?:\(|\.\s*(?:objects|query|select|insert|create|get)\b)"
        rf"|[(,:]\s*(?:{words})\b"
    )


def _module_of(model: str) -> str:
    """The module a model is imported from: `.models` of `.models.Stock`, `.` of `.Stock`."""
    dots = len(model) - len(model.lstrip("."))
    return "." * dots + model.lstrip(".").rpartition(".")[0]


def _find(
    files: list[tuple[PurePosixPath, FileFacts]], here: PurePosixPath, module: str
) -> tuple[PurePosixPath, FileFacts] | None:
    """The one file of `files` that `module` (as imported from `here`) is, if one."""
    level = len(module) - len(module.lstrip("."))
    names = [n for n in module.lstrip(".").split(".") if n]
    if level:
        base = here.parent
        for _ in range(level - 1):
            base = base.parent
        wanted = [base.joinpath(*names)] if names else [base]
        paths = {w / "__init__.py" for w in wanted}
        paths.update(w.with_suffix(".py") for w in wanted if w.name)  # not `.` itself
        candidates = [(p, f) for p, f in files if p in paths]
    else:
        tail = "/".join(names)
        candidates = [
            (p, f)
            for p, f in files
            if p.as_posix().endswith((f"/{tail}.py", f"/{tail}/__init__.py"))
            or p.as_posix() in (f"{tail}.py", f"{tail}/__init__.py")
        ]
    return candidates[0] if len(candidates) == 1 else None


class _Files:
    """The files that modules (as imported from a file) can be: exact paths for relative
    imports, path tails for absolute ones (`a/b` is `.../a/b.py` or `.../a/b/__init__.py`)."""

    def __init__(self, modules: Iterable[tuple[PurePosixPath, str]]) -> None:
        self.paths: set[str] = set()
        self.tails: set[str] = set()
        for here, module in modules:
            level = len(module) - len(module.lstrip("."))
            names = [n for n in module.lstrip(".").split(".") if n]
            if level:
                base = here.parent
                for _ in range(level - 1):
                    base = base.parent
                wanted = base.joinpath(*names) if names else base
                self.paths.update(
                    {wanted.with_suffix(".py").as_posix(), (wanted / "__init__.py").as_posix()}
                )
            elif names:
                self.tails.add("/".join(names))

    def holds(self, where: PurePosixPath) -> bool:
        if where.as_posix() in self.paths:
            return True
        if not self.tails:
            return False
        parts = list(where.parts[:-1]) + ([] if where.name == "__init__.py" else [where.stem])
        return any("/".join(parts[i:]) in self.tails for i in range(len(parts)))


def _bind(call: CallFact, forward: ForwardFact) -> Value:
    """The wrapper call's target with its parameters replaced by the call site's arguments."""
    return _bind_value(call.target, call.scope, call.params, forward)


def _bind_value(value: Value, scope: str, params: tuple[str, ...], forward: ForwardFact) -> Value:
    """`value` of function `scope` with its parameters replaced by `forward`'s arguments."""
    given = dict(forward.args)
    for index, name in enumerate(params):
        if str(index) in given and name not in given:
            given[name] = given[str(index)]

    def replace(part: Part) -> Value | None:
        if part.kind == "param" and part.owner == scope:
            return given.get(part.text)
        return None

    return substitute(value, replace)


def _literals(values: Iterable[Value]) -> tuple[str, ...]:
    """The destinations among `values` that are one literal name."""
    return tuple(name for name in (literal(v) for v in values) if name)
