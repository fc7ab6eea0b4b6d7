"""Finding the Python files a user names, and reading them with the right encoding."""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
        "site-packages",
        ".eggs",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


class SourceError(Exception):
    """A file that cannot be read as Python text (one line, no traceback)."""


def iter_python_files(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Every `.py` file under the given paths, in a stable order; named files as given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")
                )
                for name in sorted(files):
                    if name.endswith(".py"):
                        yield Path(folder) / name
        elif path.exists():
            yield path
        else:
            raise SourceError(f"{path}: no such file or directory")


def decode_source(data: bytes, path: Path | str = "<source>") -> str:
    """Decode Python source bytes as the interpreter would (BOM, PEP 263 cookie, UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"{path}: cannot decode: {exc}") from None
    return text[1:] if text.startswith("\ufeff") else text


def read_source(path: Path | str) -> str:
    """The text of a Python file; `SourceError` when it cannot be read or decoded."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None
    return decode_source(data, path)
