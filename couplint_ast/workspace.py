"""The whole system at once: facts of every file (from sources or facts files) -> graph.

Facts files let an organisation with one repository per service merge them centrally:
`couplint facts --output orders.json` in each repository, then `couplint audit *.json`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from couplint_ast import __version__
from couplint_ast.cache import Cached, FactsCache
from couplint_ast.config import Config, ConfigFinder
from couplint_ast.couplings.imports import coupled_imports
from couplint_ast.couplings.index import Needs, WorkspaceIndex
from couplint_ast.couplings.tables import foreign_table_owner, table_needles
from couplint_ast.engine import FileResult, Linter, apply_noqa, run_files
from couplint_ast.facts import FACTS_SCHEMA_VERSION, FileFacts
from couplint_ast.graph import WORKSPACE_RULES, ServiceGraph, build_graph
from couplint_ast.model import Diagnostic, Selector
from couplint_ast.parse import Prefilter, Text
from couplint_ast.sharedcode import importers, shared_diagnostics, shared_modules
from couplint_ast.source import SourceError, iter_python_files, read_source

FACTS_KEY = "couplint-facts"


class FactsFileError(Exception):
    """A facts file that cannot be used (one line: the file and what is wrong)."""


@dataclass
class Workspace:
    """Per-file results of the sources plus facts merged from facts files."""

    results: list[FileResult] = field(default_factory=list)
    files: list[tuple[str, FileFacts]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # The config of each source file (display path), when not the one the graph is given.
    configs: dict[str, Config] = field(default_factory=dict)
    # Facts of code outside every service that maps models (a shared package's): the
    # index resolves the services' queries through them.
    shared: list[FileFacts] = field(default_factory=list)
    # Shared code services import (see `sharedcode`): path -> the services charged with it.
    charged: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def diagnostics(self) -> list[Diagnostic]:
        """The per-file diagnostics of the sources."""
        return [d for r in self.results for d in r.diagnostics]

    def graph(self, config: Config) -> ServiceGraph:
        """The service graph of everything collected."""
        graph = build_graph(self.files, config, self.configs)
        graph.skipped = list(self.skipped)
        return graph


def is_facts_file(path: Path | str) -> bool:
    """Paths ending in `.json` are facts files; everything else is source."""
    return str(path).endswith(".json")


@dataclass
class Plan:
    """Which config governs each file named: nearest above it, as ruff finds it."""

    files: list[tuple[Path, Config]] = field(default_factory=list)
    # The config the whole system is judged by (graph, workspace rules): the one that
    # governs the first path named, else the first file's.
    root: Config | None = None
    outside: list[str] = field(default_factory=list)  # files no config governs
    excluded: int = 0  # files an `exclude` (couplint's or flake8's) names
    facts_files: list[Path] = field(default_factory=list)

    def configs(self) -> list[Config]:
        """Each config in use once, the root's first."""
        found: dict[Path | None, Config] = {}
        if self.root is not None:
            found[self.root.path] = self.root
        for _, config in self.files:
            found.setdefault(config.path, config)
        return list(found.values())


def plan_paths(
    paths: Sequence[Path | str],
    finder: ConfigFinder,
    also_excluded: Callable[[Path], bool] | None = None,
) -> Plan:
    """The files under `paths` with their configs; `ConfigError` or `SourceError` else."""
    plan = Plan()
    sources = []
    for raw in paths:
        if is_facts_file(raw):
            plan.facts_files.append(Path(raw))
        else:
            sources.append(Path(raw))
    first = sources[0] if sources else Path(".")
    plan.root = finder.config_for(first)
    for path in iter_python_files(sources):
        config = finder.config_for(path)
        if config is None:
            plan.outside.append(str(path))
        elif config.excluded(path) or (also_excluded is not None and also_excluded(path)):
            plan.excluded += 1
        else:
            plan.files.append((path, config))
    if plan.root is None and plan.files:
        plan.root = plan.files[0][1]
    return plan


def collect(
    paths: Sequence[Path | str],
    config: Config,
    enabled: Selector,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Workspace:
    """Lint the sources among `paths` under one config, with facts kept for the graph;
    merge facts files."""
    sources = [p for p in paths if not is_facts_file(p)]
    plan = Plan(
        files=[(path, config) for path in iter_python_files(sources)],
        root=config,
        facts_files=[Path(p) for p in paths if is_facts_file(p)],
    )
    return collect_plan(plan, lambda _: enabled, jobs, progress)


def collect_plan(
    plan: Plan,
    selector_for: Callable[[Config], Selector],
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cache: bool = False,
) -> Workspace:
    """Lint each file of the plan under its config, facts kept for the graph (and, with
    `cache`, kept between runs); merge the facts files."""
    workspace = Workspace()
    linters: dict[Path | None, Linter] = {}
    modules = shared_modules(plan.files)
    roots = tuple(sorted({name.split(".")[0] for name in modules.values()}))
    for config in plan.configs():
        # Calls of other modules' functions are read in the second round, where needed.
        linter = Linter(config, selector_for(config), collect=True, forwards=False)
        linter.cache = FactsCache(config) if cache and config.path is not None else None
        linter.shared_roots = roots
        linters[config.path] = linter
    if plan.files:
        work = [(path, linters[config.path]) for path, config in plan.files]
        workspace.results = run_files(work, jobs, progress)
        linter_of = {r.path: linter for r, (_, linter) in zip(workspace.results, work)}
        workspace.configs = {path: linter.config for path, linter in linter_of.items()}
        for result in workspace.results:
            if result.problem is not None:
                workspace.skipped.append(f"{result.path}: {result.problem}")
            if result.facts is not None and result.service is not None:
                workspace.files.append((result.service, result.facts))
        workspace.shared = _shared_models(workspace.results, linter_of)
        _charge_shared_code(workspace, modules, linter_of)
        _parse_what_the_index_needs(workspace, linter_of)
        _resolve_across_modules(workspace, linter_of)
        _report_shared_code(workspace, linter_of)
    for path in plan.facts_files:
        files, skipped = read_facts_file(path)
        workspace.files.extend(files)
        workspace.skipped.extend(skipped)
    return workspace


def _charge_shared_code(
    workspace: Workspace, modules: Mapping[str, str], linter_of: Mapping[str, Linter]
) -> None:
    """Read the shared modules services import, and count each once for every importer."""
    facts: dict[str, FileFacts] = {}
    sources = [(r.service, r.path) for r in workspace.results if r.service is not None]
    while True:
        charged = importers(modules, workspace.files, facts, sources)
        fresh = [path for path in charged if path not in facts]
        if not fresh:
            break
        for path in fresh:
            found = _shared_facts(path, linter_of[path])
            facts[path] = found if found is not None else FileFacts(path)
    roots = {name.split(".")[0] for name in modules.values()}
    workspace.charged = {
        path: services
        for path, services in charged.items()
        if facts[path].calls  # or a call of another shared module's wrapper
        or any(f.callee.split(".")[0] in roots for f in facts[path].forwards)
    }
    for path, services in workspace.charged.items():
        workspace.files.extend((service, facts[path]) for service in services)


def _shared_facts(path: str, linter: Linter) -> FileFacts | None:
    """The facts of a shared module (through the cache, if any); None if it does not parse."""
    try:
        text = read_source(path)
    except SourceError:
        return None
    cache = linter.cache
    key = cache.key(path, "", text, "shared") if cache is not None else ""
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        hit = Cached(Linter.parse_facts(path, text))
        if cache is not None:
            cache.put(key, hit)
    return hit.facts


def _report_shared_code(workspace: Workspace, linter_of: Mapping[str, Linter]) -> None:
    """The call findings of each shared module, at its call sites, naming its importers."""
    if not workspace.charged:
        return
    charged: dict[str, list[tuple[str, FileFacts]]] = {}
    for service, facts in workspace.files:
        if facts.path in workspace.charged:
            charged.setdefault(facts.path, []).append((service, facts))
    results = []
    for result in workspace.results:
        if result.path in charged:
            found = shared_diagnostics(result.path, charged[result.path], linter_of[result.path])
            result = dataclasses.replace(result, diagnostics=tuple(apply_noqa(found)))
        results.append(result)
    workspace.results = results


# Rounds of parsing what calls need from other modules (a constant that names another, a
# package that star-imports the module holding it).
NEEDS_ROUNDS = 3


def _parse_what_the_index_needs(workspace: Workspace, linter_of: Mapping[str, Linter]) -> None:
    """Parse the files the prefilter let pass that a call needs (see `Needs`)."""
    done: set[str] = set()
    reparsers: dict[int, Linter] = {}
    foreign = [
        (service, facts.path, fact.module)
        for service, facts in workspace.files
        if facts.path in linter_of
        for fact, owner in coupled_imports(facts, linter_of[facts.path].config, service)
        if owner.service is not None
    ]

    def owned_elsewhere(service: str, path: str, table: str) -> bool:
        linter = linter_of.get(path)
        return linter is None or foreign_table_owner(linter.config, table, service) is not None

    for _ in range(NEEDS_ROUNDS):
        needs = Needs(workspace.files, workspace.shared, foreign, owned_elsewhere)
        foreign = []  # asked once
        if not needs:
            return
        index = WorkspaceIndex(workspace.files, workspace.shared)
        exports = _client_exports(workspace.files)
        again_facts: dict[str, tuple[str, FileFacts]] = {}
        shared = {facts.path for facts in workspace.shared}
        for i, result in enumerate(workspace.results):
            if result.path in done or result.problem is not None:
                continue
            if result.service is None:  # a shared package's module a model comes through
                if result.path not in shared and needs.wants_shared(result.path):
                    done.add(result.path)
                    workspace.shared.extend(_parse_shared(result.path))
                continue
            try:
                text = read_source(result.path)
            except SourceError:
                continue
            if not needs.wants(result.service, result.path, text):
                continue
            done.add(result.path)
            first = linter_of[result.path]
            linter = reparsers.get(id(first))
            if linter is None:
                linter = reparsers[id(first)] = first.reparser()
            linter.clients = index.clients_for
            again = linter.analyse_file(
                Path(result.path), result.path, "needs:" + exports.get(result.service, "")
            )
            workspace.results[i] = again
            if again.facts is not None:
                again_facts[result.path] = (result.service, again.facts)
        if not again_facts:
            return
        kept = [(s, f) for s, f in workspace.files if f.path not in again_facts]
        workspace.files = [*kept, *again_facts.values()]


def _shared_models(
    results: Sequence[FileResult], linter_of: Mapping[str, Linter]
) -> list[FileFacts]:
    """Facts of the files outside every service (not test code) that may map a model onto
    a service's table: what a service imports from a shared package of the workspace."""
    found: list[FileFacts] = []
    prefilters: dict[int, Prefilter] = {}
    for result in results:
        if result.service is not None or result.problem is not None:
            continue
        config = linter_of[result.path].config
        if config.is_test_file(result.path):
            continue
        prefilter = prefilters.get(id(config))
        if prefilter is None:
            prefilter = prefilters[id(config)] = Prefilter(table_needles(config, ""))
        try:
            text = read_source(result.path)
        except SourceError:
            continue
        if prefilter.verdict(Text(text))[0] != "skip":
            found.extend(_parse_shared(result.path, text))
    return found


def _parse_shared(path: str, text: str | None = None) -> list[FileFacts]:
    """The facts of one file outside every service, if it reads and parses."""
    try:
        facts = Linter.parse_facts(path, text if text is not None else read_source(path), False)
    except SourceError:
        return []
    return [facts] if facts is not None else []


def _client_exports(files: Sequence[tuple[str, FileFacts]]) -> dict[str, str]:
    """Per service, a digest of the client objects its modules export: what a file parsed
    for the index also depends on (its cache key names it)."""
    found: dict[str, list[str]] = {}
    for service, facts in files:
        for export in facts.exports:
            if export.client is not None:
                found.setdefault(service, []).append(
                    f"{facts.path}:{export.name}:{export.client!r}"
                )
    return {
        service: hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()
        for service, items in found.items()
    }


def _resolve_across_modules(workspace: Workspace, linter_of: Mapping[str, Linter]) -> None:
    """Bind what one file cannot know (imported constants, other modules' wrappers) and
    check again the files whose facts that changes; noqa is honoured as for any file."""
    index = WorkspaceIndex(workspace.files, workspace.shared)
    resolved = [(service, index.resolve(service, facts)) for service, facts in workspace.files]
    changed = {
        new.path: new for (_, old), (_, new) in zip(workspace.files, resolved) if new is not old
    }
    workspace.files = resolved
    if not changed:
        return
    results = []
    for result in workspace.results:
        facts = changed.get(result.path)
        if facts is not None and result.service is not None:
            found = apply_noqa(linter_of[result.path].check(facts, result.service))
            result = dataclasses.replace(result, diagnostics=tuple(found), facts=facts)
        results.append(result)
    workspace.results = results


def workspace_diagnostics(
    graph: ServiceGraph, config: Config, enabled: Selector
) -> list[Diagnostic]:
    """CPL5xx diagnostics of the graph, `# noqa` honoured where the file is at hand."""
    return sorted(workspace_findings(graph, config, enabled))


def workspace_findings(
    graph: ServiceGraph, config: Config, enabled: Selector
) -> dict[Diagnostic, frozenset[str]]:
    """CPL5xx diagnostics of the graph, each with the files it involves (see
    `WorkspaceRule.involving`); `# noqa` honoured where the file is at hand."""
    found: dict[Diagnostic, frozenset[str]] = {}
    for rule in WORKSPACE_RULES:
        if enabled(rule.code):
            for d, paths in rule().involving(graph, config):
                found[d] = found.get(d, frozenset()) | paths
    kept = set(apply_noqa(found))
    return {d: paths for d, paths in found.items() if d in kept}


def facts_document(workspace: Workspace) -> dict[str, Any]:
    """The facts file: schema version, couplint version, each file's service and facts."""
    return {
        FACTS_KEY: FACTS_SCHEMA_VERSION,
        "couplint": __version__,
        "files": [{"service": s, "facts": f.to_json()} for s, f in workspace.files],
        "skipped": workspace.skipped,
    }


def read_facts_file(path: Path) -> tuple[list[tuple[str, FileFacts]], list[str]]:
    """The (service, facts) pairs and skipped files of a facts file; `FactsFileError` else."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FactsFileError(f"{path}: no such facts file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactsFileError(f"{path}: not a couplint facts file ({exc})") from None
    if not isinstance(document, dict) or FACTS_KEY not in document:
        raise FactsFileError(f"{path}: not a couplint facts file (no '{FACTS_KEY}' key)")
    schema = document[FACTS_KEY]
    if schema != FACTS_SCHEMA_VERSION:
        made_by = document.get("couplint", "an unknown version")
        raise FactsFileError(
            f"{path}: facts schema {schema} (written by couplint {made_by}); this couplint "
            f"{__version__} reads schema {FACTS_SCHEMA_VERSION}: run `couplint facts` again"
        )
    try:
        files = [(str(e["service"]), FileFacts.from_json(e["facts"])) for e in document["files"]]
        skipped = [str(item) for item in document.get("skipped", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise FactsFileError(f"{path}: corrupt couplint facts file ({exc})") from None
    return files, skipped
