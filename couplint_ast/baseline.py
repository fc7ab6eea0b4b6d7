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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from couplint_ast import __version__
from couplint_ast.files import shown, write_atomically
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
    # No whitespace at all: a formatter's `a,b` -> `a, b` or re-indenting keeps it known.
    return "".join(line.split())


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


_FIELDS = {"path": str, "code": str, "message": str, "source": str, "occurrence": int}


def _entry(path: Path, index: int, raw: object) -> Entry:
    """One entry of a baseline file; `BaselineError` naming the entry and field."""
    where = f"{shown(path)}: corrupt couplint baseline: findings[{index}]"
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: expected an object, got {type(raw).__name__}")
    for name, kind in _FIELDS.items():
        value = raw.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BaselineError(f"{where}.{name}: expected {kind.__name__}, got {value!r}")
    occurrence = raw["occurrence"]
    if occurrence < 0:
        raise BaselineError(f"{where}.occurrence: expected 0 or more, got {occurrence}")
    return Entry(raw["path"], raw["code"], raw["message"], raw["source"], occurrence)


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
            raise BaselineError(f"{shown(path)}: no such baseline file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BaselineError(f"{shown(path)}: not a couplint baseline ({exc})") from None
        if isinstance(document, dict) and BASELINE_KEY in document:
            if document[BASELINE_KEY] != BASELINE_SCHEMA:
                raise BaselineError(
                    f"{shown(path)}: baseline format {document[BASELINE_KEY]!r} (this "
                    f"couplint reads {BASELINE_SCHEMA}): write it again with --write-baseline"
                )
        else:
            raise BaselineError(
                f"{shown(path)}: not a couplint baseline (no '{BASELINE_KEY}': "
                f"{BASELINE_SCHEMA} key); `couplint check --write-baseline` writes one"
            )
        findings = document.get("findings")
        if not isinstance(findings, list):
            raise BaselineError(f"{shown(path)}: corrupt couplint baseline: no 'findings' list")
        return cls(path, [_entry(path, i, e) for i, e in enumerate(findings)])

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
        unmatched: list[tuple[Diagnostic, Entry]] = []
        matched = []
        for d, entry in zip(ordered, self.entries_of(ordered, lines)):
            if left[entry] > 0:
                left[entry] -= 1
                matched.append(entry)
            else:
                unmatched.append((d, entry))
        # A file moved (`git mv`): an entry of a file that no longer exists matches the same
        # finding, on the same source line, in another file.
        gone: dict[tuple[str, str, str, int], list[Entry]] = {}
        for e, n in left.items():
            if n > 0 and not (self.path.parent / e.path).exists():
                gone.setdefault((e.code, e.message, e.source, e.occurrence), []).extend([e] * n)
        new = []
        for d, entry in unmatched:
            same = gone.get((entry.code, entry.message, entry.source, entry.occurrence))
            if same:
                matched.append(same.pop())
            else:
                new.append(d)
        return new, matched

    def new_in_file(
        self, diagnostics: Iterable[Diagnostic], lines: Sequence[str]
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
            write_atomically(self.path, text)
        except OSError as exc:
            raise BaselineError(
                f"{shown(self.path)}: cannot write: {exc.strerror or exc}"
            ) from None
