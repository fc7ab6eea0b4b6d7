"""The facts cache: `.couplint_cache/` beside the config, as ruff keeps `.ruff_cache/`.

An entry holds what reading one file gave (its facts, that the prefilter skipped it, or
that it does not parse), keyed by the file's text, its path and service, the config and
couplint's version: a re-run reads and hashes every file but parses only what changed.
Entries are written to a temporary file and renamed, so parallel runs never see half an
entry; an entry that cannot be read is a miss, never an error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from couplint_ast import __version__
from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.files import write_atomically

CACHE_DIR = ".couplint_cache"


@dataclass(frozen=True)
class Cached:
    """A cache entry: the facts (None: the prefilter skipped the file) or its problem."""

    facts: FileFacts | None = None
    problem: str | None = None


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """couplint's own code, by file size and time: a development build of the same version
    that reads code differently must not reuse what an older one found."""
    package = Path(__file__).parent
    stamps = []
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        stamps.append(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(stamps).encode("utf-8")).hexdigest()


class FactsCache:
    """One config's cache folder; picklable, so process pool workers share it."""

    def __init__(self, config: Config) -> None:
        self.root = config.root / CACHE_DIR
        self.folder = self.root / __version__
        self._config = hashlib.sha256(
            (repr(config) + _code_fingerprint()).encode("utf-8")
        ).hexdigest()
        self._ready = False

    def key(self, path: str, service: str, text: str, extra: str = "") -> str:
        """The entry name of a file's text read as `path` of `service`."""
        digest = hashlib.sha256()
        for part in (self._config, path, service, extra):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get(self, key: str) -> Cached | None:
        """The entry, or None when there is none (or it cannot be read)."""
        try:
            with open(self.folder / key[:2] / key, encoding="utf-8") as handle:
                entry = json.load(handle)
            facts = entry["facts"]
            return Cached(
                FileFacts.from_json(facts) if facts is not None else None, entry["problem"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, entry: Cached) -> None:
        """Store an entry atomically; a cache that cannot be written is no cache."""
        facts = entry.facts.to_json() if entry.facts is not None else None
        text = json.dumps({"facts": facts, "problem": entry.problem}, separators=(",", ":"))
        try:
            self._prepare()
            folder = self.folder / key[:2]
            folder.mkdir(exist_ok=True)
            write_atomically(folder / key, text)
        except OSError:
            return

    def _prepare(self) -> None:
        """Create the folder with its own `.gitignore`; drop other versions' entries."""
        if self._ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by couplint.\n*\n", encoding="utf-8")
        for other in self.root.iterdir():
            if other.is_dir() and other.name != __version__:
                shutil.rmtree(other, ignore_errors=True)
        self._ready = True
