"""Known findings, hidden until they change: how a team adopts couplint on a real system.

A finding's fingerprint is its code, its file (relative to the baseline's folder), its
message, its source line with whitespace normalised, and which occurrence of all that it is
in the file. Line numbers are not in it, so a finding survives lines moving above it and
edits elsewhere in the file; editing the line itself, or the message changing (another
target, another table), makes it new.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from couplint_ast import __version__
from couplint_ast.model import Diagnostic

BASELINE_KEY = "couplint-baseline"
BASELINE_SCHEMA = 1
Lines = Callable[[str], Sequence[str]]


class BaselineError(Exception):
    """A baseline file that cannot be read or written (one line: the file and why)."""


@dataclass(frozen=True, order=True)
class Entry:
    """One known finding, without its line number."""

    path: str
    code: str
    message: str
    source: str
    occurrence: int


def _normalised(line: str) -> str:
    return " ".join(line.split())


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


class Baseline:
    """The entries of one baseline file; paths in it are relative to its folder."""

    def __init__(self, path: Path, entries: Iterable[Entry] = (), exists: bool = True) -> None:
        self.path = Path(os.path.abspath(path))
        self.entries = Counter(entries)
        self.exists = exists

    @classmethod
    def read(cls, path: Path, missing_ok: bool = True) -> Baseline:
        """The baseline at `path`; an empty one when it does not exist yet and `missing_ok`."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            if missing_ok:
                return cls(path, exists=False)
            raise BaselineError(f"{_shown(path)}: no such baseline file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BaselineError(f"{_shown(path)}: not a couplint baseline ({exc})") from None
        if not isinstance(document, dict) or document.get(BASELINE_KEY) != BASELINE_SCHEMA:
            raise BaselineError(
                f"{_shown(path)}: not a couplint baseline (no '{BASELINE_KEY}': "
                f"{BASELINE_SCHEMA} key); `couplint check --write-baseline` writes one"
            )
        try:
            entries = [
                Entry(
                    str(e["path"]),
                    str(e["code"]),
                    str(e["message"]),
                    str(e["source"]),
                    int(e["occurrence"]),
                )
                for e in document["findings"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{_shown(path)}: corrupt couplint baseline ({exc!r})") from None
        return cls(path, entries)

    def entries_of(self, diagnostics: Iterable[Diagnostic], lines: Lines) -> list[Entry]:
        """The fingerprint of each diagnostic, in the order given (sorted by line within a
        file, so the occurrence index counts from the top of the file)."""
        seen: Counter[tuple[str, str, str, str]] = Counter()
        result = []
        for d in sorted(diagnostics):
            rel = Path(os.path.relpath(os.path.abspath(d.path), self.path.parent)).as_posix()
            key = (rel, d.code, d.message, _normalised(_line(lines(d.path), d.line)))
            result.append(Entry(*key, seen[key]))
            seen[key] += 1
        return result

    def split(
        self, diagnostics: Iterable[Diagnostic], lines: Lines
    ) -> tuple[list[Diagnostic], list[Entry]]:
        """(the diagnostics the baseline does not know, the entries that matched one)."""
        ordered = sorted(diagnostics)
        left = Counter(self.entries)
        new, matched = [], []
        for d, entry in zip(ordered, self.entries_of(ordered, lines)):
            if left[entry] > 0:
                left[entry] -= 1
                matched.append(entry)
            else:
                new.append(d)
        return new, matched

    def new_in_file(
        self, path: str, diagnostics: Iterable[Diagnostic], lines: Sequence[str]
    ) -> list[Diagnostic]:
        """One file's diagnostics that the baseline does not know (the flake8 plugin)."""
        return self.split(diagnostics, lambda _: lines)[0]

    def stale(self, matched: Iterable[Entry]) -> int:
        """How many entries matched nothing: fixed, or changed into a new finding."""
        return sum(self.entries.values()) - sum(1 for _ in matched)

    def write(self, entries: Iterable[Entry]) -> None:
        """Write `entries` atomically (a temporary file renamed over the old one)."""
        findings = [
            {
                "path": e.path,
                "code": e.code,
                "message": e.message,
                "source": e.source,
                "occurrence": e.occurrence,
            }
            for e in sorted(entries)
        ]
        document = {BASELINE_KEY: BASELINE_SCHEMA, "couplint": __version__, "findings": findings}
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".couplint-", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except OSError as exc:
            raise BaselineError(
                f"{_shown(self.path)}: cannot write: {exc.strerror or exc}"
            ) from None


def _shown(path: Path | str) -> str:
    rel = os.path.relpath(path)
    return Path(path).as_posix() if rel.startswith("..") else Path(rel).as_posix()
