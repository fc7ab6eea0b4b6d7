"""Output formats: diagnostics as text or JSON, rule documentation as text."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable

from couplint_ast.model import Diagnostic
from couplint_ast.rules.base import FileRule


def format_text(diagnostics: Iterable[Diagnostic]) -> str:
    """flake8's layout: `path:line:col: CODE message`, one per line."""
    return "".join(d.text() + "\n" for d in diagnostics)


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    """design.md's JSON: a list of {path, line, col, code, message}, line and col 1-based."""
    rows = [
        {"path": d.path, "line": d.line, "col": d.col + 1, "code": d.code, "message": d.message}
        for d in diagnostics
    ]
    return json.dumps(rows, indent=2) + "\n"


def rule_doc(rule: type[FileRule]) -> str:
    """The rule's documentation as `couplint explain` prints it."""
    body = inspect.cleandoc(rule.__doc__ or "")
    return f"# {rule.code} {rule.__name__}\n\nMessage: {rule.message}\n\n{body}\n"


def rule_summary(rule: type[FileRule]) -> str:
    """One line: the first sentence of the rule's "What it does"."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    what = doc.split("## What it does", 1)[-1].strip().split("\n\n", 1)[0]
    sentence = " ".join(what.split()).split(". ", 1)[0].rstrip(".")
    return f"{rule.code}  {rule.__name__:<24} {sentence}"
