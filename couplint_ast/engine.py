"""The pipeline, written once: text -> prefilter -> parse -> facts -> rules -> diagnostics."""

from __future__ import annotations

import ast
import dataclasses
import functools
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from couplint_ast.cache import Cached, FactsCache
from couplint_ast.config import Config, ConfigError
from couplint_ast.couplings import Couplings
from couplint_ast.couplings.history import Schema
from couplint_ast.facts import FileFacts
from couplint_ast.facts.needles import import_needle
from couplint_ast.facts.pyimports import import_facts
from couplint_ast.facts.spans import DeferredSpans
from couplint_ast.facts.types import ClientExport
from couplint_ast.histories import FolderHistories
from couplint_ast.model import Diagnostic, Selector, select_all
from couplint_ast.parse import Prefilter, Text, Verdict, parse
from couplint_ast.rules import ALL_RULES
from couplint_ast.source import SourceError, iter_python_files, read_source

ClientResolver = Callable[[str], Optional[ClientExport]]

# flake8's own inline noqa syntax, so the CLI silences exactly what flake8 would.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE_SEP = re.compile(r"[,\s]+")


PARSE_PROBLEM = "does not parse"
# Reported at 1:1 of each file whose config cannot be read.
CONFIG_ERROR = "CPL001"


@functools.cache
def known_codes() -> tuple[str, ...]:
    """Every code couplint reports: the config error, the per-file and workspace rules."""
    from couplint_ast.graph import WORKSPACE_RULES

    return (CONFIG_ERROR, *(r.code for r in ALL_RULES), *(r.code for r in WORKSPACE_RULES))


def unknown_selector(code: str) -> str | None:
    """Why `code` selects nothing (it is a prefix of no couplint code), or None."""
    known = known_codes()
    if any(k.startswith(code) for k in known) or code.startswith(known):
        return None
    families = ", ".join(sorted({k[:4] + "xx" for k in known}))
    return f"unknown code '{code}' (couplint's codes are {families})"


def check_codes(config: Config) -> None:
    """`ConfigError` naming the key when a selection of the config names no couplint code."""
    assert config.path is not None
    prefix = "tool.couplint." if config.path.name == "pyproject.toml" else ""
    keys: list[tuple[str, tuple[str, ...]]] = [
        ("select", config.select or ()),
        ("extend-select", config.extend_select),
        ("ignore", config.ignore),
        *((f"per-file-ignores.{p}", codes) for p, codes in config.per_file_ignores),
    ]
    for key, codes in keys:
        for code in codes:
            problem = unknown_selector(code)
            if problem is not None:
                raise ConfigError(config.path, prefix + key, problem)


@dataclass(frozen=True)
class FileResult:
    """What linting one file gave: its diagnostics, its facts for the graph, or a problem."""

    path: str
    service: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    facts: FileFacts | None = None
    problem: str | None = None


class Linter:
    """Lints files under one config; rules are chosen once, prefilters built once per service.

    With `collect`, facts are kept for the service graph: every rule's vocabulary (and the
    graph's own) decides which files are parsed, whatever rules are enabled for reporting.
    """

    def __init__(
        self,
        config: Config,
        enabled: Selector = select_all,
        prefilter: bool = True,
        collect: bool = False,
        forwards: bool = True,
    ) -> None:
        self.config = config
        self.enabled = enabled
        self.rules = [rule() for rule in ALL_RULES if enabled(rule.code)]
        # With `collect`: what reading each file gave, kept between runs.
        self.cache: FactsCache | None = None
        self.use_prefilter = prefilter
        self.collect = collect
        self.forwards = forwards  # with `collect`: calls of other modules' functions too
        self._prefilters: dict[str, Prefilter] = {}
        # With `collect`: (service, path) -> which imported names are other modules'
        # client objects (the workspace index, in its second round).
        self.clients: Callable[[str, str], ClientResolver | None] | None = None
        # Migration folders read for history (CPL402), for this linter's lifetime.
        self.histories: FolderHistories | None = None
        # With `collect`: top-level names of the workspace's shared modules (code outside
        # every service), whose imports tell which services run them (see sharedcode).
        self.shared_roots: tuple[str, ...] = ()
        self.judges_history = any(rule.uses_history for rule in self.rules)

    def service_of(self, path: str) -> str | None:
        """The service whose code this file is, or None when it is not analysed at all."""
        if not (self.rules or self.collect) or self.config.is_test_file(path):
            return None
        return self.config.service_for(path)

    def facts(
        self,
        path: str,
        text: str,
        service: str | None,
        tree: ast.AST | None = None,
        deferred: DeferredSpans | None = None,
    ) -> FileFacts | None:
        """Facts of a file that passes the prefilter and parses; None otherwise.

        `tree` is CPython's tree of the text when the caller has it (flake8 does). With
        `deferred`, spans are placeholders that it turns into positions (`lint_source`).
        """
        source = Text(text, tree)
        return self._facts_of(path, source, self.verdict(source, service), deferred=deferred)

    def is_candidate(self, text: Text | str, service: str | None) -> bool:
        """False when the prefilter shows no rule can fire on this text."""
        return self.verdict(Text(text) if isinstance(text, str) else text, service) != "skip"

    def verdict(self, text: Text, service: str | None) -> Verdict:
        """What the prefilter says a file needs: nothing, its imports, or a parse."""
        if service is None or not self.use_prefilter:
            return "parse"
        return self._prefilter(service).verdict(text)[0]

    def prefilter_reason(self, text: str, service: str) -> str | None:
        """The text that lets a file of `service` through the prefilter; None if nothing."""
        verdict, reason = self._prefilter(service).verdict(Text(text))
        return reason if verdict != "skip" else None

    def _facts_of(
        self,
        path: str,
        text: Text,
        verdict: Verdict,
        clients: ClientResolver | None = None,
        deferred: DeferredSpans | None = None,
    ) -> FileFacts | None:
        if verdict == "skip":
            return None
        tree = text.tree
        if verdict == "imports" and tree is not None and clients is None:
            return import_facts(path, tree, text.text)  # no libcst parse: see facts.pyimports
        return self.parse_facts(path, text, self.collect, self.forwards, clients, deferred)

    @staticmethod
    def parse_facts(
        path: str,
        text: Text | str,
        workspace: bool = True,
        forwards: bool = True,
        clients: ClientResolver | None = None,
        deferred: DeferredSpans | None = None,
    ) -> FileFacts | None:
        """Parse once and extract every fact; None when the text is not valid Python.

        Without `workspace` the facts only the workspace index reads are left out.
        """
        parsed = parse(Text(text) if isinstance(text, str) else text)
        if parsed is None:
            return None
        from couplint_ast.facts.extract import extract_facts  # libcst, only when parsing

        return extract_facts(
            parsed.module,
            path,
            parsed.import_spans,
            workspace,
            forwards,
            clients,
            deferred=deferred,
        )

    def lint_source(self, path: str, text: str, tree: ast.AST | None = None) -> list[Diagnostic]:
        """The diagnostics of one file's text, as the flake8 plugin reports them."""
        service = self.service_of(path)
        if service is None:
            return []
        deferred = DeferredSpans()  # most files that are parsed have no finding
        facts = self.facts(path, text, service, tree, deferred)
        found = self.check(facts, service) if facts is not None else []
        if not deferred.used:
            return found
        return sorted({_placed(d, deferred) for d in found})

    def check(self, facts: FileFacts, service: str) -> list[Diagnostic]:
        """The enabled rules' diagnostics for one file's facts, sorted, each once."""
        schema = self.history(facts) if facts.revisions and self.judges_history else None
        found = Couplings(facts, self.config, service, schema)  # decided once, for every rule
        ignored = self.config.ignored_in
        return sorted(
            {d for rule in self.rules for d in rule.check(found) if not ignored(d.path, d.code)}
        )

    def history(self, facts: FileFacts) -> Schema | None:
        """The schema a migration's folder built before it; None when not known."""
        if self.histories is None:
            self.histories = FolderHistories(self._sibling)
        return self.histories.before(facts)

    def _sibling(self, path: str, text: str) -> FileFacts | None:
        """The facts of another file of a migration's folder (through the cache, if any)."""
        service = self.service_of(path)
        if service is None:
            return None
        cache = self.cache if self.collect else None
        if cache is None:  # flake8: what history needs, without positions
            parsed = parse(Text(text))
            if parsed is None:
                return None
            from couplint_ast.facts.extract import extract_facts

            return extract_facts(parsed.module, path, parsed.import_spans, False, history=True)
        key = cache.key(path, service, text)
        hit = cache.get(key)
        if hit is None:
            hit = self._read(path, text, service)
            cache.put(key, hit)
        return hit.facts

    def analyse_file(self, path: Path, display: str, key_extra: str = "") -> FileResult:
        """Read, parse and check one file; noqa honoured as flake8 honours it.

        With a cache, what reading the text gave is looked up first (`key_extra` names
        whatever else the facts depend on), and stored when it was not there."""
        service = self.service_of(str(path))
        if service is None:
            return FileResult(display, None)
        try:
            text = read_source(path)
        except SourceError as exc:
            return FileResult(display, service, problem=str(exc))
        cache = self.cache if self.collect else None
        if self.shared_roots:  # what the prefilter lets through depends on them
            key_extra += "shared:" + ",".join(self.shared_roots)
        key = cache.key(display, service, text, key_extra) if cache is not None else ""
        hit = cache.get(key) if cache is not None else None
        if hit is None:
            hit = self._read(display, text, service)
            if cache is not None:
                cache.put(key, hit)
        if hit.facts is None:
            return FileResult(display, service, problem=hit.problem)
        lines = text.splitlines()
        found = tuple(d for d in self.check(hit.facts, service) if not silenced(d, lines))
        if found and ignores_file(lines):
            found = ()  # a file-level flake8 noqa comment: flake8 skips the whole file
        return FileResult(display, service, found, hit.facts if self.collect else None)

    def _read(self, display: str, text: str, service: str) -> Cached:
        """The facts of one file's text, or why there are none."""
        source = Text(text)
        verdict = self.verdict(source, service)
        if verdict == "skip":
            # Nothing to find here, but a file that does not parse is said (Python 2).
            if self.collect and source.tree is None and parse(source) is None:
                return Cached(problem=PARSE_PROBLEM)
            return Cached()
        clients = self.clients(service, display) if self.clients is not None else None
        facts = self._facts_of(display, source, verdict, clients)
        return Cached(facts) if facts is not None else Cached(problem=PARSE_PROBLEM)

    def reparser(self) -> Linter:
        """This linter without its prefilter: for files the workspace index needs."""
        again = Linter(self.config, self.enabled, prefilter=False, collect=True)
        again.cache = self.cache
        return again

    def lint_file(self, path: Path, display: str) -> list[Diagnostic]:
        """Read and lint one file; `SourceError` when it cannot be read."""
        result = self.analyse_file(path, display)
        if result.problem is not None and result.problem != PARSE_PROBLEM:
            raise SourceError(result.problem)
        return list(result.diagnostics)

    def lint_paths(
        self, paths: Iterable[Path | str], on_error: Callable[[str], None]
    ) -> Iterator[Diagnostic]:
        """Diagnostics of every Python file under `paths`; unreadable files go to `on_error`."""
        for path in iter_python_files(paths):
            result = self.analyse_file(path, display_path(path))
            if result.problem is not None and result.problem != PARSE_PROBLEM:
                on_error(result.problem)
            yield from result.diagnostics

    def _prefilter(self, service: str) -> Prefilter:
        cached = self._prefilters.get(service)
        if cached is None:
            rules = ALL_RULES if self.collect else [type(rule) for rule in self.rules]
            needles = [n for rule in rules for n in rule.needles(self.config, service)]
            if self.collect:
                from couplint_ast.graph.build import graph_needles

                needles.extend(graph_needles())
                shared = import_needle(self.shared_roots, imports_only=True)
                needles.extend([shared] if shared is not None else [])
            cached = self._prefilters[service] = Prefilter(needles)
        return cached


# Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 64
_workers: list[Linter] = []


def _placed(d: Diagnostic, deferred: DeferredSpans) -> Diagnostic:
    line, col = deferred.real(d.line, d.col)
    return d if (line, col) == (d.line, d.col) else dataclasses.replace(d, line=line, col=col)


def run_paths(
    paths: Sequence[Path | str],
    linter: Linter,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileResult]:
    """Analyse every Python file under `paths`, on `jobs` processes when there are many."""
    return run_files([(path, linter) for path in iter_python_files(paths)], jobs, progress)


def run_files(
    files: Sequence[tuple[Path, Linter]],
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileResult]:
    """Analyse each file with its own linter (its config's), in the order given."""
    index: dict[int, int] = {}
    linters: list[Linter] = []
    for _, linter in files:
        if id(linter) not in index:
            index[id(linter)] = len(linters)
            linters.append(linter)
    work = [(path, index[id(linter)]) for path, linter in files]
    results: list[FileResult] = []
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with context.Pool(jobs, initializer=_init_workers, initargs=(linters,)) as pool:
            for result in pool.imap(_analyse, work, chunksize=8):
                results.append(result)
                if progress is not None:
                    progress(len(results), len(files))
        return results
    for path, linter in files:
        results.append(linter.analyse_file(path, display_path(path)))
        if progress is not None:
            progress(len(results), len(files))
    return results


def _init_workers(linters: list[Linter]) -> None:
    global _workers
    _workers = linters


def _analyse(work: tuple[Path, int]) -> FileResult:
    path, index = work
    return _workers[index].analyse_file(path, display_path(path))


def apply_noqa(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Drop diagnostics whose line says `# noqa` for them (files read once each)."""
    lines: dict[str, list[str]] = {}
    skipped: set[str] = set()  # files flake8 skips whole (file-level noqa)
    kept = []
    for d in diagnostics:
        if d.path not in lines:
            try:
                lines[d.path] = read_source(d.path).splitlines()
            except SourceError:
                lines[d.path] = []  # a file of another repository (merged facts)
            if ignores_file(lines[d.path]):
                skipped.add(d.path)
        if d.path not in skipped and not silenced(d, lines[d.path]):
            kept.append(d)
    return kept


# flake8's own test (`defaults.NOQA_FILE`, matched at a line's start): the file is skipped.
FILE_NOQA = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)


def ignores_file(lines: Sequence[str]) -> bool:
    """True when a line is flake8's file-level noqa comment, as flake8 reads it."""
    return any(FILE_NOQA.match(line) for line in lines)


def silenced(d: Diagnostic, lines: Sequence[str]) -> bool:
    """True when the diagnostic's own line (of `lines`, the file's) says `# noqa` for it."""
    return is_silenced(d.code, lines[d.line - 1] if 0 < d.line <= len(lines) else "")


def is_silenced(code: str, line: str) -> bool:
    """True when `line` carries a `# noqa` that covers `code` (bare `# noqa` covers all)."""
    match = NOQA.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    return any(code.startswith(c) for c in _CODE_SEP.split(codes.strip()) if c)


def display_path(path: Path | str) -> str:
    """A path as users see it in output: relative to the working directory when below it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel
