"""The whole system at once: facts of every file (from sources or facts files) -> graph.

Facts files let an organisation with one repository per service merge them centrally:
`couplint facts --output orders.json` in each repository, then `couplint audit *.json`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from couplint_ast import __version__
from couplint_ast.config import Config
from couplint_ast.couplings.index import Needs, WorkspaceIndex
from couplint_ast.engine import FileResult, Linter, Selector, apply_noqa, run_paths
from couplint_ast.facts import FACTS_SCHEMA_VERSION, FileFacts
from couplint_ast.graph import WORKSPACE_RULES, ServiceGraph, build_graph
from couplint_ast.model import Diagnostic
from couplint_ast.source import SourceError, read_source

FACTS_KEY = "couplint-facts"


class FactsFileError(Exception):
    """A facts file that cannot be used (one line: the file and what is wrong)."""


@dataclass
class Workspace:
    """Per-file results of the sources plus facts merged from facts files."""

    results: list[FileResult] = field(default_factory=list)
    files: list[tuple[str, FileFacts]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def diagnostics(self) -> list[Diagnostic]:
        """The per-file diagnostics of the sources."""
        return [d for r in self.results for d in r.diagnostics]

    def graph(self, config: Config) -> ServiceGraph:
        """The service graph of everything collected."""
        graph = build_graph(self.files, config)
        graph.skipped = list(self.skipped)
        return graph


def is_facts_file(path: Path | str) -> bool:
    """Paths ending in `.json` are facts files; everything else is source."""
    return str(path).endswith(".json")


def collect(
    paths: Sequence[Path | str],
    config: Config,
    enabled: Selector,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Workspace:
    """Lint the sources among `paths` with facts kept for the graph; merge facts files."""
    workspace = Workspace()
    sources = [p for p in paths if not is_facts_file(p)]
    if sources:
        # Calls of other modules' functions are read in the second round, where needed.
        linter = Linter(config, enabled, collect=True, forwards=False)
        workspace.results = run_paths(sources, linter, jobs, progress)
        for result in workspace.results:
            if result.problem is not None:
                workspace.skipped.append(f"{result.path}: {result.problem}")
            if result.facts is not None and result.service is not None:
                workspace.files.append((result.service, result.facts))
        _parse_what_the_index_needs(
            workspace, Linter(config, enabled, prefilter=False, collect=True)
        )
        _resolve_across_modules(workspace, linter)
    for path in paths:
        if is_facts_file(path):
            files, skipped = read_facts_file(Path(path))
            workspace.files.extend(files)
            workspace.skipped.extend(skipped)
    return workspace


# Rounds of parsing what calls need from other modules (a constant that names another).
NEEDS_ROUNDS = 2


def _parse_what_the_index_needs(workspace: Workspace, linter: Linter) -> None:
    """Parse the files the prefilter let pass that a call needs (see `Needs`)."""
    done: set[str] = set()
    for _ in range(NEEDS_ROUNDS):
        needs = Needs(workspace.files)
        if not needs:
            return
        linter.clients = WorkspaceIndex(workspace.files).clients_for
        again_facts: dict[str, tuple[str, FileFacts]] = {}
        for i, result in enumerate(workspace.results):
            if result.path in done or result.problem is not None or result.service is None:
                continue
            try:
                text = read_source(result.path)
            except SourceError:
                continue
            if not needs.wants(result.service, result.path, text):
                continue
            done.add(result.path)
            again = linter.analyse_file(Path(result.path), result.path)
            workspace.results[i] = again
            if again.facts is not None:
                again_facts[result.path] = (result.service, again.facts)
        if not again_facts:
            return
        kept = [(s, f) for s, f in workspace.files if f.path not in again_facts]
        workspace.files = [*kept, *again_facts.values()]


def _resolve_across_modules(workspace: Workspace, linter: Linter) -> None:
    """Bind what one file cannot know (imported constants, other modules' wrappers) and
    check again the files whose facts that changes; noqa is honoured as for any file."""
    index = WorkspaceIndex(workspace.files)
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
            found = apply_noqa(linter.check(facts, result.service))
            result = dataclasses.replace(result, diagnostics=tuple(found), facts=facts)
        results.append(result)
    workspace.results = results


def workspace_diagnostics(
    graph: ServiceGraph, config: Config, enabled: Selector
) -> list[Diagnostic]:
    """CPL5xx diagnostics of the graph, `# noqa` honoured where the file is at hand."""
    found = {
        d for rule in WORKSPACE_RULES if enabled(rule.code) for d in rule().check(graph, config)
    }
    return apply_noqa(sorted(found))


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
