"""The click adapter: choose files, load config, run the engine, print a format."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from couplint_ast import __version__
from couplint_ast.config import Config, ConfigError, load_config
from couplint_ast.engine import Linter, code_selector
from couplint_ast.model import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from couplint_ast.report import format_json, format_text, rule_doc, rule_summary
from couplint_ast.rules import ALL_RULES, RULES_BY_CODE
from couplint_ast.source import SourceError

FORMATS = {"text": format_text, "json": format_json}


def _fail(message: str) -> None:
    click.echo(f"couplint: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _load(config_path: str | None, paths: tuple[Path, ...] = ()) -> Config:
    try:
        return load_config(config_path, linted=[str(p) for p in paths])
    except ConfigError as exc:
        _fail(f"config error: {exc}")
        raise AssertionError("unreachable") from None


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="couplint")
def main() -> None:
    """couplint: find the coupling between your services."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(), help="Config file to use.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text")
@click.option("--select", multiple=True, help="Only these codes or prefixes (CPL1,CPL201).")
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes.")
def check(
    paths: tuple[Path, ...],
    config_path: str | None,
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> None:
    """Report coupling in PATHS (default: the working directory)."""
    config = _load(config_path, paths)
    linter = Linter(config, code_selector(_codes(select), _codes(ignore)))
    errors: list[str] = []
    try:
        found = list(linter.lint_paths(paths or (Path("."),), errors.append))
    except SourceError as exc:
        _fail(str(exc))
    for error in errors:
        click.echo(f"couplint: skipped {error}", err=True)
    click.echo(FORMATS[fmt](found), nl=False)
    sys.exit(EXIT_FINDINGS if found else EXIT_CLEAN)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain rule CODE: what it finds, why it matters, how to fix it."""
    rule = RULES_BY_CODE.get(code.upper())
    if rule is None:
        _fail(f"unknown rule code '{code}'; `couplint rules` lists them")
        return
    click.echo(rule_doc(rule), nl=False)


@main.command("rules")
def list_rules() -> None:
    """List every rule code."""
    for rule in ALL_RULES:
        click.echo(rule_summary(rule))
