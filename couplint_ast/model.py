"""Plain values shared by every layer: positions, diagnostics, exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


@dataclass(frozen=True, order=True)
class Span:
    """A position in a file: 1-based line, 0-based column (flake8's convention)."""

    line: int
    col: int


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding, as a user sees it: where, which code, what message."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def text(self) -> str:
        """`path:line:col: CODE message`, columns 1-based as flake8 prints them."""
        return f"{self.path}:{self.line}:{self.col + 1}: {self.code} {self.message}"


@dataclass(frozen=True)
class Valid:
    """Example code on which the rule must stay silent (it is also documentation)."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Example code on which the rule reports exactly `line`:`col` `message` once."""

    code: str
    line: int
    message: str
    col: int = 0


Selector = Callable[[str], bool]

# Codes enabled only by naming them in full (`--extend-select=CPL305`), as flake8-bugbear
# does for its B9 codes: `--select=CPL` does not enable them.
OPT_IN = frozenset({"CPL305"})


def select_all(code: str) -> bool:
    """The default selector: every code but the opt-in ones is enabled."""
    return code not in OPT_IN


def code_selector(
    select: Iterable[str] | None = (), ignore: Iterable[str] = (), extend: Iterable[str] = ()
) -> Selector:
    """A selector from select/extend-select/ignore code prefixes, with ruff's and flake8's
    meaning: the longer prefix wins a tie, an opt-in code is on only when named in full,
    and an empty or absent `select` means every code.
    """
    chosen, dropped = tuple(select or ()), tuple(ignore)
    named = frozenset((*chosen, *extend))
    extended = tuple(extend)

    def enabled(code: str) -> bool:
        if code in OPT_IN and code not in named:
            return False
        picked = max((len(p) for p in chosen if code.startswith(p)), default=-1 if chosen else 0)
        picked = max(picked, max((len(p) for p in extended if code.startswith(p)), default=-1))
        picked = len(code) if code in named else picked
        skipped = max((len(p) for p in dropped if code.startswith(p)), default=-1)
        return picked >= 0 and picked > skipped

    return enabled
