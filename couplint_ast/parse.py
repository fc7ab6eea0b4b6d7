"""The only caller of libcst.parse_module, and the cheap text prefilter that runs before it."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable
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


def parse_module(text: str, python_accepts: bool = False) -> libcst.Module | None:
    """The libcst tree of `text`, or None when it is not valid Python (flake8 says E999).

    libcst's native parser crashes the process on input nested past CPython's own limits
    (3,000 parentheses), so CPython's parser vets the text first, at a ninth of the cost,
    unless the caller already knows CPython accepts it (flake8 built its `ast` tree).
    """
    if not python_accepts:
        try:
            with warnings.catch_warnings():  # the user's flake8 or compiler reports those
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
    import libcst  # deferred: 0.2 s of start-up that files without candidates never pay

    try:
        return libcst.parse_module(text)
    except (libcst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None
