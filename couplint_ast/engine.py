"""The pipeline, written once: text -> prefilter -> parse -> facts -> rules -> diagnostics."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.model import Diagnostic
from couplint_ast.parse import Prefilter, parse_module
from couplint_ast.rules import ALL_RULES
from couplint_ast.source import SourceError, iter_python_files, read_source

Selector = Callable[[str], bool]

# flake8's own inline noqa syntax, so the CLI silences exactly what flake8 would.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE_SEP = re.compile(r"[,\s]+")


def select_all(code: str) -> bool:
    """The default selector: every code is enabled."""
    return True


def code_selector(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Selector:
    """A selector from `--select`/`--ignore` code prefixes; the longer prefix wins a tie."""
    chosen, dropped = tuple(select), tuple(ignore)

    def enabled(code: str) -> bool:
        picked = max((len(p) for p in chosen if code.startswith(p)), default=-1 if chosen else 0)
        skipped = max((len(p) for p in dropped if code.startswith(p)), default=-1)
        return picked >= 0 and picked > skipped

    return enabled


class Linter:
    """Lints files under one config; rules are chosen once, prefilters built once per service."""

    def __init__(
        self, config: Config, enabled: Selector = select_all, prefilter: bool = True
    ) -> None:
        self.config = config
        self.rules = [rule() for rule in ALL_RULES if enabled(rule.code)]
        self.use_prefilter = prefilter
        self._prefilters: dict[str, Prefilter] = {}

    def service_of(self, path: str) -> str | None:
        """The service whose code this file is, or None when it is not reported at all."""
        if not self.rules or self.config.is_test_file(path):
            return None
        return self.config.service_for(path)

    def facts(
        self, path: str, text: str, service: str | None, python_accepts: bool = False
    ) -> FileFacts | None:
        """Facts of a file that passes the prefilter and parses; None otherwise."""
        prefilter = self._prefilter(service) if service and self.use_prefilter else None
        if prefilter is not None and not prefilter.could_matter(text):
            return None
        module = parse_module(text, python_accepts)
        if module is None:
            return None
        from couplint_ast.facts.extract import extract_facts  # libcst, only when parsing

        return extract_facts(module, path)

    def lint_source(self, path: str, text: str, python_accepts: bool = False) -> list[Diagnostic]:
        """The diagnostics of one file's text, as the flake8 plugin reports them."""
        service = self.service_of(path)
        if service is None:
            return []
        facts = self.facts(path, text, service, python_accepts)
        if facts is None:
            return []
        found = {d for rule in self.rules for d in rule.check(facts, self.config, service)}
        return sorted(found)

    def lint_file(self, path: Path, display: str) -> list[Diagnostic]:
        """Read and lint one file; noqa comments honoured as flake8 honours them."""
        if self.service_of(str(path)) is None:
            return []
        text = read_source(path)
        diagnostics = self.lint_source(str(path), text)
        if not diagnostics:
            return []
        lines = text.splitlines()
        return [
            Diagnostic(display, d.line, d.col, d.code, d.message)
            for d in diagnostics
            if not is_silenced(d.code, lines[d.line - 1] if d.line <= len(lines) else "")
        ]

    def lint_paths(
        self, paths: Iterable[Path | str], on_error: Callable[[str], None]
    ) -> Iterator[Diagnostic]:
        """Diagnostics of every Python file under `paths`; unreadable files go to `on_error`."""
        for path in iter_python_files(paths):
            try:
                yield from self.lint_file(path, display_path(path))
            except SourceError as exc:
                on_error(str(exc))

    def _prefilter(self, service: str) -> Prefilter:
        cached = self._prefilters.get(service)
        if cached is None:
            needles = [n for rule in self.rules for n in rule.needles(self.config, service)]
            cached = self._prefilters[service] = Prefilter(needles)
        return cached


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
