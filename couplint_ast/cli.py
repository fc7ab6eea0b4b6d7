"""The click adapter: choose files, load config, run the engine, print a format."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import click

from couplint_ast import __version__
from couplint_ast.config import Config, ConfigError, load_config
from couplint_ast.engine import PARSE_PROBLEM, Linter, Selector, code_selector, is_silenced
from couplint_ast.graph import WORKSPACE_RULES
from couplint_ast.graph.audit import audit as run_audit
from couplint_ast.model import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from couplint_ast.report import (
    RuleInfo,
    format_github,
    format_json,
    format_sarif,
    format_statistics,
    format_text,
    rule_doc,
    rule_summary,
)
from couplint_ast.rules import ALL_RULES
from couplint_ast.source import SourceError, read_source
from couplint_ast.views import (
    audit_json,
    audit_markdown,
    audit_text,
    graph_dot,
    graph_json,
    graph_mermaid,
)
from couplint_ast.workspace import FactsFileError, Workspace, collect, facts_document
from couplint_ast.workspace import workspace_diagnostics as run_workspace_rules

EVERY_RULE: tuple[RuleInfo, ...] = (*ALL_RULES, *WORKSPACE_RULES)
CHECK_FORMATS = ("text", "json", "sarif", "github")
AUDIT_FORMATS = {"text": audit_text, "markdown": audit_markdown, "json": audit_json}
GRAPH_FORMATS = {"mermaid": graph_mermaid, "dot": graph_dot, "json": graph_json}

paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
config_option = click.option("--config", "config_path", type=click.Path(), help="Config file.")
jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to use (default: one per CPU when there are many files).",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"couplint: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _load(config_path: str | None, paths: Sequence[Path]) -> Config:
    try:
        config = load_config(config_path, linted=[str(p) for p in paths])
    except ConfigError as exc:
        _fail(f"config error: {exc}")
    if config.path is None:
        where = Path(os.path.abspath(paths[0] if paths else ".")).as_posix()
        _fail(
            f"no config found: no couplint.toml, nor pyproject.toml with [tool.couplint], in "
            f"the working directory or '{where}' or above; `couplint init` writes one"
        )
    if not config.services and config.service is None:
        _fail(
            f"{_shown(config.path)} defines no services ([tool.couplint.services.NAME]); "
            "`couplint init` infers them from the repository"
        )
    return config


def _source_lines() -> Callable[[str], list[str]]:
    """A file's lines, read once each, for `--show-source` ([] when unreadable)."""
    read: dict[str, list[str]] = {}

    def lines(path: str) -> list[str]:
        if path not in read:
            try:
                read[path] = read_source(Path(path)).splitlines()
            except SourceError:
                read[path] = []
        return read[path]

    return lines


def _files(n: int, noun: str = "file") -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else Path(rel).as_posix()


def _summary(workspace: Workspace, config: Config) -> None:
    """What was read, on stderr: files per service, outside every service, skipped."""
    per_service: dict[str, int] = {}
    outside = tests = 0
    for result in workspace.results:
        if result.service is not None:
            per_service[result.service] = per_service.get(result.service, 0) + 1
        elif config.is_test_file(result.path):
            tests += 1
        else:
            outside += 1
    counts = ", ".join(f"{name} {n}" for name, n in sorted(per_service.items()))
    total = sum(per_service.values())
    line = f"couplint: {_files(total)} analysed" + (f" ({counts})" if counts else "")
    merged = len(workspace.files) - sum(1 for r in workspace.results if r.facts is not None)
    if not workspace.results and merged:
        line = f"couplint: facts of {_files(merged)} read from facts files"
    if outside:
        line += f"; {_files(outside)} outside every service's paths, not analysed"
    if tests:
        line += f"; {_files(tests, 'test file')} not analysed (include-tests = false)"
    skipped = [r for r in workspace.results if r.problem is not None]
    if skipped:
        line += f"; {len(skipped)} skipped"
    click.echo(line, err=True)
    for result in skipped:
        # A parse problem is said with its path; an unreadable file's message holds it.
        problem = (
            f"{result.path}: {result.problem}"
            if result.problem == PARSE_PROBLEM
            else result.problem
        )
        click.echo(f"couplint: skipped {problem}", err=True)


def _codes(values: tuple[str, ...], option: str = "--select") -> list[str]:
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    known = [rule.code for rule in EVERY_RULE] + ["CPL001"]
    for code in codes:
        if not any(k.startswith(code) for k in known):
            families = ", ".join(sorted({k[:4] + "xx" for k in known}))
            _fail(f"{option}: unknown code '{code}' (couplint's codes are {families})")
    return codes


def _progress() -> Callable[[int, int], None] | None:
    """A files-done counter on a terminal; nothing in CI logs or pipes."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\rcouplint: {done}/{total} files", err=True, nl=False)
        click.echo(end, err=True, nl=False)

    return show


def _collect(
    paths: Sequence[Path], config: Config, enabled: Selector, jobs: int | None
) -> Workspace:
    try:
        return collect(
            paths or [Path(".")], config, enabled, jobs or os.cpu_count() or 1, _progress()
        )
    except (SourceError, FactsFileError) as exc:
        _fail(str(exc))


def _nothing(code: str) -> bool:
    return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="couplint")
def main() -> None:
    """couplint: find the coupling between your services."""


@main.command()
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS), default="text")
@click.option("--select", multiple=True, help="Only these codes or prefixes (CPL1,CPL201).")
@click.option(
    "--extend-select",
    multiple=True,
    help="Also these codes; opt-in codes (CPL305) are enabled only by naming them.",
)
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes.")
@click.option("--workspace-only", is_flag=True, help="Only the workspace rules (CPL5xx).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when something is reported.")
@click.option(
    "--stdin-filename",
    default=None,
    help="With `-` as the path: the file the text on stdin is (its service, its config).",
)
@click.option("--statistics", is_flag=True, help="After the report, a count per code.")
@click.option("--show-source", is_flag=True, help="Show each finding's line (text format).")
@click.option(
    "--output-file", type=click.Path(path_type=Path), help="Write the report here, not stdout."
)
@jobs_option
def check(
    paths: tuple[Path, ...],
    config_path: str | None,
    fmt: str,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    workspace_only: bool,
    exit_zero: bool,
    stdin_filename: str | None,
    statistics: bool,
    show_source: bool,
    output_file: Path | None,
    jobs: int | None,
) -> None:
    """Report coupling in PATHS (source folders or files, and facts files: *.json)."""
    enabled = code_selector(
        _codes(select), _codes(ignore, "--ignore"), _codes(extend_select, "--extend-select")
    )
    if paths == (Path("-"),):
        # An editor's unsaved buffer: one file's findings, as flake8 gives them.
        shown = stdin_filename or "stdin"
        config = _load(config_path, [Path(shown)])
        text = sys.stdin.read()
        lines = text.splitlines()
        found = [
            d
            for d in Linter(config, enabled).lint_source(shown, text)
            if not is_silenced(d.code, lines[d.line - 1] if d.line <= len(lines) else "")
        ]
        workspace = Workspace()
    else:
        config = _load(config_path, paths)
        per_file = _nothing if workspace_only else enabled
        workspace = _collect(paths, config, per_file, jobs)
        found = workspace.diagnostics()
        if any(enabled(rule.code) for rule in WORKSPACE_RULES):
            found += run_workspace_rules(workspace.graph(config), config, enabled)
    found.sort()
    if fmt == "json":
        output = format_json(found)
    elif fmt == "sarif":
        output = format_sarif(found, EVERY_RULE)
    elif fmt == "github":
        output = format_github(found)
    else:
        output = format_text(found, _source_lines() if show_source else None)
    if statistics and fmt == "text":
        output += format_statistics(found)
    if output_file is None:
        click.echo(output, nl=False)
    else:
        try:
            output_file.write_text(output, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write: {exc.strerror or exc}")
    if paths != (Path("-"),):
        _summary(workspace, config)
    sys.exit(EXIT_FINDINGS if found and not exit_zero else EXIT_CLEAN)


@main.command()
@paths_argument
@config_option
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write here, not stdout.")
@jobs_option
def facts(
    paths: tuple[Path, ...], config_path: str | None, output: Path | None, jobs: int | None
) -> None:
    """Write the facts of PATHS as JSON, for `audit`, `graph` and `check` elsewhere."""
    config = _load(config_path, paths)
    workspace = _collect(paths, config, _nothing, jobs)
    text = json.dumps(facts_document(workspace), indent=1) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@main.command()
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(sorted(AUDIT_FORMATS)), default="text")
@jobs_option
def audit(paths: tuple[Path, ...], config_path: str | None, fmt: str, jobs: int | None) -> None:
    """For each service, every dependency and the three audit questions, with evidence."""
    config = _load(config_path, paths)
    graph = _collect(paths, config, _nothing, jobs).graph(config)
    click.echo(AUDIT_FORMATS[fmt](run_audit(graph, config), graph.skipped), nl=False)


@main.command()
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(sorted(GRAPH_FORMATS)), default="mermaid")
@jobs_option
def graph(paths: tuple[Path, ...], config_path: str | None, fmt: str, jobs: int | None) -> None:
    """The service dependency graph: calls, shared tables, libraries, topics."""
    config = _load(config_path, paths)
    click.echo(GRAPH_FORMATS[fmt](_collect(paths, config, _nothing, jobs).graph(config)), nl=False)


@main.command()
@click.argument("root", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option("--write", is_flag=True, help="Add the table to ROOT/pyproject.toml.")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Exit 1 when the config lacks a service, host or table that the repository shows.",
)
def init(root: Path, write: bool, check_only: bool) -> None:
    """Infer the config from what ROOT says: compose files, Dockerfiles, code, models."""
    from couplint_ast.init import infer, lacking, render, write_config

    if not root.is_dir():
        _fail(f"{root}: not a folder")
    found = infer(root)
    for note in found.notes:
        click.echo(f"couplint: {note}", err=True)
    if check_only:
        try:
            config = load_config(None, start=root)
        except ConfigError as exc:
            _fail(f"config error: {exc}")
        if config.path is None:
            _fail(f"no config found in '{root}' or above; `couplint init --write` writes one")
        missing = lacking(found, config)
        for line in missing:
            click.echo(f"{_shown(config.path)}: {line}")
        sys.exit(EXIT_FINDINGS if missing else EXIT_CLEAN)
    text = render(found)
    if not write:
        click.echo(text, nl=False)
        return
    try:
        target = write_config(root, text)
    except ValueError as exc:
        _fail(str(exc))
    click.echo(f"couplint: wrote [tool.couplint] to {_shown(target)}", err=True)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain rule CODE: what it finds, why it matters, how to fix it."""
    rule = next((r for r in EVERY_RULE if r.code == code.upper()), None)
    if rule is None:
        _fail(f"unknown rule code '{code}'; `couplint rules` lists them")
    click.echo(rule_doc(rule), nl=False)


@main.command("rules")
def list_rules() -> None:
    """List every rule code."""
    for rule in EVERY_RULE:
        click.echo(rule_summary(rule))
