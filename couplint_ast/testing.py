"""Helpers for tests of couplint and of rules written for it: lint a snippet, exactly.

`lint(code)` runs the real pipeline (prefilter, one parse, facts, couplings, rules) with
the prefilter on and off, asserts that both agree (the prefilter must never cost a
finding) and that the positions flake8 computes only for findings are those every span
would have (`facts.spans.DeferredSpans`), and returns `(line, col, code, message)` of
each diagnostic.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from couplint_ast.config import Config
from couplint_ast.engine import Linter
from couplint_ast.facts import FileFacts
from couplint_ast.model import code_selector
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH

Found = tuple[int, int, str, str]


def lint(
    code: str,
    select: Iterable[str] = ("CPL",),
    config: Config = EXAMPLE_CONFIG,
    path: str = EXAMPLE_PATH,
) -> list[Found]:
    """Every diagnostic of the selected codes (prefixes; opt-in codes only when named)."""
    source = textwrap.dedent(code)
    results = []
    for prefilter in (True, False):
        linter = Linter(config, code_selector(tuple(select)), prefilter=prefilter)
        found = linter.lint_source(path, source)
        results.append([(d.line, d.col, d.code, d.message) for d in found])
    assert results[0] == results[1], "the prefilter cost a finding"
    service = linter.service_of(path)
    eager = linter.facts(path, source, service) if service is not None else None
    placed = linter.check(eager, service) if eager is not None and service is not None else []
    positions = [(d.line, d.col, d.code, d.message) for d in placed]
    assert results[0] == positions, "deferred positions differ from the real ones"
    return results[0]


def facts(code: str, path: str = EXAMPLE_PATH) -> FileFacts:
    """The facts of a snippet (it must parse)."""
    found = Linter.parse_facts(path, textwrap.dedent(code))
    assert found is not None, "the snippet does not parse"
    return found
