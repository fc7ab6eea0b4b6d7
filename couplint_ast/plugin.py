"""The flake8 adapter: each file's config found once per folder, one Linter per config,
flake8 does noqa."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from flake8.options.manager import OptionManager
from flake8.style_guide import Decision, DecisionEngine

from couplint_ast import __version__
from couplint_ast.baseline import Baseline, BaselineError
from couplint_ast.config import Config, ConfigError, ConfigFinder
from couplint_ast.engine import CONFIG_ERROR, Linter, check_codes
from couplint_ast.model import OPT_IN, Selector
from couplint_ast.rules import ALL_RULES


class Plugin:
    """flake8 entry point `CPL`."""

    name = "couplint"
    version = __version__
    # What flake8's own options select (None: no CPL code, so no config is even read).
    flake8_selects: ClassVar[Selector | None] = None
    flake8_named: ClassVar[frozenset[str]] = frozenset()
    finder: ClassVar[ConfigFinder] = ConfigFinder()
    # Per config file: its Linter and baseline, or the one-line reason it cannot be read.
    linters: ClassVar[dict[Path, tuple[Linter, Baseline | None] | str]] = {}

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        # flake8 files a plugin that takes `tree` as a per-file AST plugin; the tree is
        # built for pyflakes anyway. `filename` is `--stdin-display-name` for stdin.
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @staticmethod
    def add_options(manager: OptionManager) -> None:
        """`--couplint-config PATH` (also `couplint-config =` in flake8's own config)."""
        manager.add_option(
            "--couplint-config",
            default=None,
            parse_from_config=True,
            help="couplint configuration file (default: for each file, the nearest "
            "couplint.toml or pyproject.toml with [tool.couplint] above it)",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Decide once whether any CPL code is enabled; configs are read when first needed.

        A broken config never takes flake8 down: E/F/W still run, and each file under it
        gets one `CPL001 couplint config error: ...` at 1:1, which editors show.
        """
        decisions = DecisionEngine(options)
        cls.flake8_named = frozenset({*(options.select or ()), *(options.extend_select or ())})
        cls.finder = ConfigFinder(options.couplint_config)
        cls.linters = {}

        def selected(code: str) -> bool:
            return decisions.decision_for(code) is Decision.Selected

        codes = [CONFIG_ERROR, *(rule.code for rule in ALL_RULES)]
        named = cls.flake8_named
        if not any(selected(c) and (c not in OPT_IN or c in named) for c in codes):
            cls.flake8_selects = None  # no CPL code: no config is read, nothing is parsed
            return
        cls.flake8_selects = selected

    @classmethod
    def _linter_for(cls, filename: str) -> tuple[Linter, Baseline | None] | str | None:
        """The Linter of the file's config (made once per config), or why there is none."""
        try:
            config = cls.finder.config_for(filename)
        except ConfigError as exc:
            return str(exc)
        if config is None or config.path is None:
            return None
        known = cls.linters.get(config.path)
        if known is None:
            known = cls.linters[config.path] = cls._make_linter(config)
        return known

    @classmethod
    def _make_linter(cls, config: Config) -> tuple[Linter, Baseline | None] | str:
        flake8 = cls.flake8_selects
        assert flake8 is not None
        try:
            check_codes(config)
            baseline = Baseline.read(config.baseline) if config.baseline is not None else None
        except (ConfigError, BaselineError) as exc:
            return str(exc)
        # An opt-in code is on when named in full, in flake8's options or in the config.
        ours = config.selector(extend=[c for c in cls.flake8_named if c in OPT_IN])

        def enabled(code: str) -> bool:
            return flake8(code) and ours(code)

        return Linter(config, enabled), baseline

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """Yield flake8's (line, col, text, type) for each couplint diagnostic of the file."""
        selects = type(self).flake8_selects  # a plain function, not a method
        if selects is None:
            return
        found = self._linter_for(self.filename)
        if found is None:
            return
        if isinstance(found, str):
            if selects(CONFIG_ERROR):
                yield 1, 0, f"{CONFIG_ERROR} couplint config error: {found}", type(self)
            return
        linter, baseline = found
        if linter.config.excluded(self.filename):
            return
        # flake8's own tree vets the text for libcst and gives import positions for free.
        text = "".join(self.lines)
        diagnostics = linter.lint_source(self.filename, text, self.tree)
        if baseline is not None:
            diagnostics = baseline.new_in_file(diagnostics, self.lines)
        for d in diagnostics:
            yield d.line, d.col, f"{d.code} {d.message}", type(self)
