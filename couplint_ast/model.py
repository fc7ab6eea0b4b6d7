"""Plain values shared by every layer: positions, diagnostics, exit codes."""

from __future__ import annotations

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
