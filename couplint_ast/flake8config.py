"""flake8's own selection, read by `couplint check` so that both front ends agree.

When a `.flake8`, `setup.cfg` or `tox.ini` with a `[flake8]` section is found from the
working directory (as flake8 finds it), flake8's `select`, `extend-select`, `ignore`,
`extend-ignore`, `per-file-ignores`, `exclude` and `extend-exclude` decide CPL codes in the
CLI exactly as in flake8: flake8's own code decides them.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from couplint_ast.files import shown
from couplint_ast.model import OPT_IN

LOG = logging.getLogger(__name__)


class Flake8ConfigError(Exception):
    """flake8's config cannot be read (flake8 itself would stop on it)."""


@dataclass(frozen=True)
class Flake8Selection:
    """What flake8's config says of a CPL code in a file, and which files it excludes."""

    source: str  # the config file, as shown to the user
    selects: Callable[[str, str], bool]  # (path, code)
    excludes: Callable[[Path], bool]
    named: frozenset[str]  # codes named in full in select/extend-select (opt-in codes)


def _config_file() -> str | None:
    try:
        from flake8.options.config import _find_config_file
    except ImportError:  # pragma: no cover - a flake8 that moved it: always read
        return "flake8"
    found: str | None = _find_config_file(os.path.abspath("."))
    return found


def flake8_selection(known: tuple[str, ...]) -> Flake8Selection | None:
    """flake8's selection when its config exists and selects some CPL code; None when there
    is no flake8 config, or when its `select` names no CPL code (then `couplint check` still
    reports them: it was run for them)."""
    found = _config_file()
    if found is None:
        return None
    try:
        from flake8.api import legacy
        from flake8.style_guide import Decision
        from flake8.utils import matches_filename

        style = legacy.get_style_guide()
    except (ValueError, OSError, SystemExit) as exc:
        raise Flake8ConfigError(f"{found}: flake8 cannot read it: {exc}") from None
    except Exception as exc:  # configparser errors and flake8's own
        raise Flake8ConfigError(f"{found}: flake8 cannot read it: {exc}") from None
    options = style.options
    chosen = [*(options.select or ()), *(options.extend_select or ())]
    if options.select and not any(
        code.startswith(entry) or entry.startswith("CPL") for entry in chosen for code in known
    ):
        return None
    guide = style._application.guide
    assert guide is not None

    def selects(path: str, code: str) -> bool:
        return guide.style_guide_for(path).should_report_error(code) is Decision.Selected

    patterns = [*options.exclude, *options.extend_exclude]  # normalised by flake8
    cwd = os.path.abspath(".")

    def matches(path: str) -> bool:
        return bool(patterns) and matches_filename(path, patterns, "%(path)s", LOG)

    @functools.cache
    def folder_excluded(folder: str) -> bool:
        # flake8 tests each folder it walks into (below the working directory) by name and
        # by path, then each file.
        parent = os.path.dirname(folder)
        inside = folder == cwd or folder.startswith(cwd.rstrip(os.sep) + os.sep)
        if not inside:
            return False
        return matches(folder) or (parent != folder and folder_excluded(parent))

    def excludes(path: Path) -> bool:
        here = os.path.abspath(path)
        return matches(here) or folder_excluded(os.path.dirname(here))

    named = frozenset(code for code in chosen if code in OPT_IN)
    return Flake8Selection(shown(found), selects, excludes, named)
