"""Output formats: diagnostics as text or JSON, rule documentation as text."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePath
from typing import Union

from couplint_ast import __version__
from couplint_ast.graph import WorkspaceRule
from couplint_ast.model import Diagnostic
from couplint_ast.rules.base import FileRule

RuleInfo = Union[type[FileRule], type[WorkspaceRule]]


def format_text(
    diagnostics: Iterable[Diagnostic], source: Callable[[str], list[str]] | None = None
) -> str:
    """flake8's layout: `path:line:col: CODE message`, one per line; with `source` (a
    file's lines), the line and a caret under the column, as flake8's `--show-source`."""
    out = []
    for d in diagnostics:
        out.append(d.text() + "\n")
        lines = source(d.path) if source is not None else []
        if 0 < d.line <= len(lines):
            text = lines[d.line - 1]
            out.append(text + "\n")
            indent = "".join(c if c == "\t" else " " for c in text[: d.col])
            out.append(indent + "^\n")
    return "".join(out)


def format_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """flake8's `--statistics`: per code, the count and the first message."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for d in diagnostics:
        first.setdefault(d.code, d.message)
        counts[d.code] = counts.get(d.code, 0) + 1
    return "".join(f"{counts[c]:<5} {c} {first[c]}\n" for c in sorted(counts))


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    """design.md's JSON: a list of {path, line, col, code, message}, line and col 1-based."""
    rows = [
        {"path": d.path, "line": d.line, "col": d.col + 1, "code": d.code, "message": d.message}
        for d in diagnostics
    ]
    return json.dumps(rows, indent=2) + "\n"


def rule_doc(rule: RuleInfo) -> str:
    """The rule's documentation as `couplint explain` prints it."""
    body = inspect.cleandoc(rule.__doc__ or "")
    return f"# {rule.code} {rule.__name__}\n\nMessage: {rule.message}\n\n{body}\n"


# Where each rule's documentation lives (docs/rules.md, written by `couplint rules --markdown`).
RULES_DOC_URL = "https://github.com/couplint/couplint/blob/main/docs/rules.md"


def help_uri(rule: RuleInfo) -> str:
    """The rule's section of docs/rules.md, by GitHub's heading anchor."""
    return f"{RULES_DOC_URL}#{rule.code.lower()}-{rule.__name__.lower()}"


def rules_markdown(rules: Sequence[RuleInfo]) -> str:
    """docs/rules.md: every rule's `couplint explain` text, one section per rule."""
    parts = [
        "# couplint rules\n\n"
        "Written by `couplint rules --markdown`; `couplint explain CODE` prints one.\n"
    ]
    for rule in rules:
        doc = rule_doc(rule)
        demoted = "\n".join(
            ("#" + line if line.startswith("#") and not _in_fence(doc, i) else line)
            for i, line in enumerate(doc.splitlines())
        )
        parts.append(demoted + "\n")
    return "\n".join(parts)


def _in_fence(doc: str, number: int) -> bool:
    """True when line `number` of `doc` is inside a ``` code block."""
    fences = sum(1 for line in doc.splitlines()[:number] if line.startswith("```"))
    return fences % 2 == 1


def rule_sentence(rule: RuleInfo) -> str:
    """The first sentence of the rule's "What it does"."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    what = doc.split("## What it does", 1)[-1].strip().split("\n\n", 1)[0]
    return " ".join(what.split()).split(". ", 1)[0].rstrip(".")


def rule_summary(rule: RuleInfo) -> str:
    """One line for `couplint rules`: code, name, what it finds."""
    sentence = rule_sentence(rule).removeprefix("Checks for ").removeprefix("Checks ")
    return f"{rule.code}  {rule.__name__:<28} {sentence}"


def format_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one `::warning` annotation per diagnostic (the
    level SARIF gives them too), then a summary line: GitHub shows only the first ten
    annotations of a step on the pull request, the log has them all."""
    out = []
    for d in diagnostics:
        props = f"file={_gh(d.path, True)},line={d.line},col={d.col + 1},title={d.code}"
        out.append(f"::warning {props}::{_gh(f'{d.code} {d.message}', False)}\n")
    if out:
        count = f"{len(out)} finding" + ("" if len(out) == 1 else "s")
        out.append(f"couplint: {count} (all of them in this log)\n")
    return "".join(out)


def _gh(value: str, is_property: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if is_property else value


def format_sarif(diagnostics: Iterable[Diagnostic], rules: Sequence[RuleInfo]) -> str:
    """SARIF 2.1.0, as GitHub code scanning accepts it."""
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver = {
        "name": "couplint",
        "version": __version__,
        "informationUri": "https://pypi.org/project/couplint/",
        "rules": [
            {
                "id": rule.code,
                "name": rule.__name__,
                "shortDescription": {"text": rule_sentence(rule)},
                "fullDescription": {"text": rule_sentence(rule)},
                "helpUri": help_uri(rule),
                "help": {"text": rule_doc(rule), "markdown": rule_doc(rule)},
                "defaultConfiguration": {"level": "warning"},
            }
            for rule in rules
        ],
    }
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "warning",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": PurePath(d.path).as_posix(),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": d.line, "startColumn": d.col + 1},
                    }
                }
            ],
        }
        for d in diagnostics
        if d.code in index
    ]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(document, indent=2) + "\n"
