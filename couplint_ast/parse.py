"""The only caller of libcst.parse_module, and the cheap text prefilter that runs before it."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst


class Prefilter:
    """Decides from the text alone whether a file can hold a finding, before any parse."""

    def __init__(self, needles: Iterable[str]) -> None:
        patterns = sorted(set(needles))
        self.pattern = re.compile("|".join(patterns), re.MULTILINE) if patterns else None

    def could_matter(self, text: str) -> bool:
        """False when no rule can fire on this text (then it is never parsed)."""
        return self.pattern is not None and self.pattern.search(text) is not None


@dataclass(frozen=True)
class Parsed:
    """A libcst module, and where its import statements start (line, column), in order.

    The positions come from CPython's `ast`, which is built anyway (by flake8, or here to
    vet the text): libcst's PositionProvider would cost a code-generation pass per file.
    """

    module: libcst.Module
    import_spans: tuple[tuple[int, int], ...] | None  # None: libcst computes them


def parse(text: str, tree: ast.AST | None = None) -> Parsed | None:
    """Parse once with libcst; `tree` is CPython's tree of the same text, if already built."""
    if tree is None:
        tree = _python_tree(text)
        if tree is None:
            if not _newer_syntax_candidate(text):
                return None
            # Valid for a newer Python (PEP 701 f-strings on 3.11): libcst reads it, and
            # computes the import positions itself.
            module = _libcst_module(text)
            return Parsed(module, None) if module is not None else None
    module = _libcst_module(text)
    if module is None:
        return None
    return Parsed(module, _import_spans(tree, text))


def parse_module(text: str, python_accepts: bool = False) -> libcst.Module | None:
    """The libcst tree of `text`, or None when it is not valid Python (flake8 says E999)."""
    if not python_accepts and _python_tree(text) is None and not _newer_syntax_candidate(text):
        return None
    return _libcst_module(text)


def _python_tree(text: str) -> ast.AST | None:
    # libcst's native parser crashes the process on input nested past CPython's own limits
    # (3,000 parentheses), so CPython's parser vets the text first, at a ninth of the cost.
    try:
        with warnings.catch_warnings():  # the user's flake8 or compiler reports those
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None


# Bounds under which libcst's native parser is safe on text this CPython rejects: it only
# crashes far past them (thousands of nested brackets, or of operators on one line).
_SAFE_DEPTH = 100
_SAFE_LINE = 10_000
_SAFE_SIZE = 2_000_000


def _newer_syntax_candidate(text: str) -> bool:
    """True when text this CPython rejects may be newer Python that libcst safely reads."""
    if len(text) > _SAFE_SIZE or any(len(line) > _SAFE_LINE for line in text.splitlines()):
        return False
    depth = deepest = 0
    for char in text:  # brackets inside strings only make this more cautious
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return deepest < _SAFE_DEPTH


def _libcst_module(text: str) -> libcst.Module | None:
    import libcst  # deferred: 0.2 s of start-up that files without candidates never pay

    try:
        return libcst.parse_module(text)
    except (
        libcst.ParserSyntaxError,
        libcst.CSTValidationError,  # text CPython rejects, read by libcst's newer grammar
        RecursionError,
        MemoryError,
        ValueError,
    ):
        return None


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _import_spans(tree: ast.AST, text: str) -> tuple[tuple[int, int], ...]:
    """(line, character column) of every import statement, in source order."""
    found = []
    stack = [tree]
    while stack:  # statements only: imports never sit inside expressions
        node = stack.pop()
        for name in _STATEMENT_LISTS:
            for child in getattr(node, name, ()):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    found.append((child.lineno, child.col_offset))
                elif isinstance(child, ast.AST):
                    stack.append(child)
    found.sort()
    lines = text.splitlines()
    spans = []
    for line, col in found:
        source = lines[line - 1] if line <= len(lines) else ""
        if not source.isascii():  # ast counts UTF-8 bytes, flake8 users read characters
            col = len(source.encode()[:col].decode("utf-8", "ignore"))
        spans.append((line, col))
    return tuple(spans)
