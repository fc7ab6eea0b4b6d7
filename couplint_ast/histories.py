"""Migration folders read from disk, so one file's upgrade is judged against its history.

The flake8 plugin sees one file; the history of that file is its siblings. They are read,
never imported, and parsed only when they can matter: every sibling's place in the chain is
read from its text (`revision = "..."`, `down_revision = ...`, Django's `dependencies`,
literals only), and an ancestor is parsed only when its text names a table the judged file
changes (or one of those tables' earlier names). What one reader has read stays read for
its lifetime (a flake8 process, one `couplint check`), so a folder costs one pass.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from couplint_ast.couplings.history import Entry, History, Schema, op_key, upgrade_changes
from couplint_ast.facts import FileFacts
from couplint_ast.facts.types import RevisionFact
from couplint_ast.source import SourceError, read_source

_ALEMBIC = re.compile(r"^(?P<name>revision|down_revision)[ \t]*(?::[^=\n]*)?=[ \t]*", re.M)
_DJANGO = re.compile(r"^[ \t]+dependencies[ \t]*(?::[^=\n]*)?=[ \t]*", re.M)
_DJANGO_CLASS = re.compile(r"^class[ \t]+\w+[ \t]*\([^)]*\bMigration\b", re.M)
_STRING = re.compile(r"""(?P<q>['"])(?P<s>[^'"\\\n]*)(?P=q)""")
_PAIR = re.compile(r"""\(\s*(['"])(\w+)\1\s*,\s*(['"])(\w+)\3\s*,?\s*\)""")

ReadFacts = Callable[[str, str], "FileFacts | None"]


@dataclass
class _Sibling:
    """One file of a folder: its text, its place as the text says, what parsing it gave."""

    text: str
    revision: RevisionFact | None
    facts: FileFacts | None = None
    parsed: bool = False


@dataclass
class _Folder:
    """A folder's files, the table names whose files are all parsed, and its history."""

    files: dict[str, _Sibling]
    scanned: set[str] = field(default_factory=set)
    history: History | None = None


class FolderHistories:
    """The schema before a migration, from the other files of its folder."""

    def __init__(self, read: ReadFacts) -> None:
        self.read = read  # (path, text) -> the facts of a sibling, parsed (or cached)
        self.folders: dict[str, _Folder] = {}

    def before(self, facts: FileFacts) -> Schema | None:
        """The schema `facts`' upgrade runs against; None when its history is not known."""
        if not facts.revisions or not facts.revisions[0].known:
            return None
        here = PurePosixPath(facts.path)  # "./a/b.py" and "a/b.py" are one file
        folder = self._folder(here.parent.as_posix())
        path = here.as_posix()
        mine = folder.files.get(path)
        if mine is not None and not mine.parsed:  # what is at hand need not be read again
            mine.parsed, mine.facts, folder.history = True, facts, None
        # By the table's own name: an earlier file may name its schema apart (`schema="s"`).
        wanted = {
            op_key(op).rsplit(".", 1)[-1] for op in upgrade_changes(facts.migrations) if op_key(op)
        }
        while wanted - folder.scanned:
            fresh = wanted - folder.scanned
            for name, sibling in folder.files.items():
                if not sibling.parsed and _names_any(sibling.text, fresh):
                    sibling.parsed = True
                    sibling.facts = self.read(name, sibling.text)
                    folder.history = None
            folder.scanned |= fresh
            wanted |= _earlier_names(folder.files.values(), wanted)
        if folder.history is None:
            folder.history = History(list(self._entries(folder.files)))
        history = folder.history
        own = history.entries.get(history.ids.get(path, ""))
        if own is None or own.revision != facts.revisions[0]:
            # The file as linted states another place than the file on disk (an editor's
            # unsaved text): this once, a history with it.
            entries = [e for e in self._entries(folder.files) if e.path != path]
            history = History([*entries, Entry(path, facts.revisions[0], ())])
        return history.before(path)

    def _folder(self, folder: str) -> _Folder:
        found = self.folders.get(folder)
        if found is None:
            found = self.folders[folder] = _Folder({})
            try:
                names = sorted(os.listdir(folder or "."))
            except OSError:
                names = []
            for name in names:
                if not name.endswith(".py") or name == "__init__.py":
                    continue
                path = (PurePosixPath(folder) / name).as_posix()
                try:
                    text = read_source(Path(path))
                except SourceError:
                    continue
                found.files[path] = _Sibling(text, revision_of(text))
        return found

    @staticmethod
    def _entries(siblings: dict[str, _Sibling]) -> Iterable[Entry]:
        for path, sibling in siblings.items():
            facts = sibling.facts
            revision = facts.revisions[0] if facts is not None and facts.revisions else None
            revision = revision or sibling.revision
            if revision is not None:
                yield Entry(path, revision, facts.migrations if facts is not None else None)


def _names_any(text: str, names: set[str]) -> bool:
    lowered = text.lower()
    return any(name in lowered for name in names)


def _earlier_names(siblings: Iterable[_Sibling], wanted: set[str]) -> set[str]:
    """Names the wanted tables had before a rename, in the files parsed so far."""
    found = set()
    for sibling in siblings:
        for op in upgrade_changes(sibling.facts.migrations if sibling.facts else ()):
            new = op.new_name.lower().rsplit(".", 1)[-1]
            if op.kind in ("rename_table", "rename_model") and new in wanted:
                found.add(op_key(op).rsplit(".", 1)[-1])
    return found - wanted


def revision_of(text: str) -> RevisionFact | None:
    """A migration's place as its text states it, without parsing: Alembic's module-level
    `revision` / `down_revision`, or Django's `dependencies`; None for other files."""
    # An Alembic revision need not import alembic (a merge, a revision with no operation).
    if "revision" in text:
        values = {m.group("name"): _literal(text, m.end()) for m in _ALEMBIC.finditer(text)}
        if "revision" in values and "down_revision" in values:
            revision, parents = values["revision"], values.get("down_revision", ())
            if revision is None or len(revision) != 1 or parents is None:
                return RevisionFact("alembic", "", (), known=False)
            return RevisionFact("alembic", revision[0], parents)
    if _DJANGO_CLASS.search(text):
        match = _DJANGO.search(text)
        if match is None:
            return RevisionFact("django", "")
        region = _bracketed(text, match.end())
        if region is None:
            return RevisionFact("django", "", (), known=False)
        pairs = tuple(f"{m.group(2)}:{m.group(4)}" for m in _PAIR.finditer(region))
        return RevisionFact("django", "", pairs)
    return None


def _literal(text: str, start: int) -> tuple[str, ...] | None:
    """A string, None, or a tuple or list of strings at `start`, as a tuple; None else."""
    if text.startswith("None", start):
        return ()
    match = _STRING.match(text, start)
    if match is not None:
        return (match.group("s"),)
    region = _bracketed(text, start)
    if region is None:
        return None
    inner = region[1:-1]
    strings = [m.group("s") for m in _STRING.finditer(inner)]
    if re.sub(r"#[^\n]*", "", _STRING.sub("", inner)).replace(",", "").strip():
        return None  # something besides strings
    return tuple(strings)


def _bracketed(text: str, start: int) -> str | None:
    """The text of the bracketed expression that opens at `start` (strings skipped)."""
    if start >= len(text) or text[start] not in "([":
        return None
    depth, index, quote = 0, start, ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
        index += 1
    return None
