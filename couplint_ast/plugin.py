"""The flake8 adapter: load config once per process, lint one file per call, flake8 does noqa."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from typing import Any, ClassVar

from flake8.options.manager import OptionManager
from flake8.style_guide import Decision, DecisionEngine

from couplint_ast import __version__
from couplint_ast.config import ConfigError, load_config
from couplint_ast.engine import OPT_IN, Linter
from couplint_ast.rules import ALL_RULES

# Reported at 1:1 of each file when the config cannot be read.
CONFIG_ERROR = "CPL001"


class Plugin:
    """flake8 entry point `CPL`."""

    name = "couplint"
    version = __version__
    linter: ClassVar[Linter | None] = None
    # A config that cannot be read: said at 1:1 of every file (CPL001), never an exit.
    config_error: ClassVar[str | None] = None

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        # flake8 files a plugin that takes `tree` as a per-file AST plugin; the tree is
        # built for pyflakes anyway.
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
            help="couplint configuration file (default: nearest couplint.toml or "
            "pyproject.toml with [tool.couplint], searched upward from the working directory)",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Load the config once, only when a CPL code is enabled.

        A broken config never takes flake8 down: E/F/W still run, and each file gets one
        `CPL001 couplint config error: ...` at 1:1, which editors show.
        """
        decisions = DecisionEngine(options)
        named = {*(options.select or ()), *(options.extend_select or ())}

        def enabled(code: str) -> bool:
            if code in OPT_IN and code not in named:
                return False  # opt-in codes: only when named in full, as bugbear's B9
            return decisions.decision_for(code) is Decision.Selected

        cls.linter, cls.config_error = None, None
        if not any(enabled(rule.code) for rule in ALL_RULES) and not enabled(CONFIG_ERROR):
            return  # no CPL code: the config is not even read, and nothing is parsed
        try:
            config = load_config(options.couplint_config, linted=options.filenames or ())
        except ConfigError as exc:
            cls.config_error = str(exc) if enabled(CONFIG_ERROR) else None
            return
        cls.linter = Linter(config, enabled)

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """Yield flake8's (line, col, text, type) for each couplint diagnostic of the file."""
        if self.config_error is not None:
            yield 1, 0, f"{CONFIG_ERROR} couplint config error: {self.config_error}", type(self)
            return
        if self.linter is None:
            return
        # flake8's own tree vets the text for libcst and gives import positions for free.
        text = "".join(self.lines)
        for d in self.linter.lint_source(self.filename, text, self.tree):
            yield d.line, d.col, f"{d.code} {d.message}", type(self)
