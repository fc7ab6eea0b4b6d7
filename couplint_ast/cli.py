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
from couplint_ast.baseline import Baseline, BaselineError
from couplint_ast.checking import (
    Checker,
    CheckError,
    Run,
    Selection,
    apply_baseline,
    involving_staged,
    plural,
    source_lines,
)
from couplint_ast.config import ConfigError, ConfigFinder, load_config
from couplint_ast.engine import (
    PARSE_PROBLEM,
    Linter,
    check_codes,
    silenced,
    unknown_selector,
)
from couplint_ast.files import shown
from couplint_ast.graph import WORKSPACE_RULES
from couplint_ast.graph.audit import audit as run_audit
from couplint_ast.model import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Diagnostic
from couplint_ast.report import (
    RuleInfo,
    format_github,
    format_json,
    format_sarif,
    format_statistics,
    format_text,
    rule_doc,
    rule_summary,
    rules_markdown,
)
from couplint_ast.rules import ALL_RULES
from couplint_ast.views import (
    audit_json,
    audit_markdown,
    audit_text,
    graph_dot,
    graph_json,
    graph_mermaid,
)
from couplint_ast.workspace import Plan, Workspace, facts_document

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


def _summary(workspace: Workspace, plan: Plan, extra: Sequence[str] = ()) -> None:
    """What was read, on stderr: files per service, outside every service, skipped."""
    per_service: dict[str, int] = {}
    outside = tests = shared = 0
    governing = {str(path): config for path, config in plan.files}
    for result in workspace.results:
        config = governing.get(result.path, plan.root)
        if result.problem is not None:
            continue  # said below, with its reason
        if result.service is not None:
            per_service[result.service] = per_service.get(result.service, 0) + 1
        elif result.path in workspace.charged:
            shared += 1
        elif config is not None and config.is_test_file(result.path):
            tests += 1
        else:
            outside += 1
    counts = ", ".join(f"{name} {n}" for name, n in sorted(per_service.items()))
    total = sum(per_service.values())
    line = f"couplint: {plural(total)} analysed" + (f" ({counts})" if counts else "")
    merged = len(workspace.files) - sum(1 for r in workspace.results if r.facts is not None)
    merged -= sum(len(services) for services in workspace.charged.values())
    if not workspace.results and merged:
        line = f"couplint: facts of {plural(merged)} read from facts files"
    if shared:
        line += f"; {plural(shared, 'file')} of shared code analysed for the services importing it"
    if outside:
        line += f"; {plural(outside)} outside every service's paths, not analysed"
    if tests:
        line += f"; {plural(tests, 'test file')} not analysed (include-tests = false)"
    if plan.outside:
        line += f"; {plural(len(plan.outside))} under no couplint config, not analysed"
    if plan.excluded:
        line += f"; {plural(plan.excluded)} excluded by config"
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
    for note in extra:
        click.echo(f"couplint: {note}", err=True)


def _codes(values: tuple[str, ...], option: str = "--select") -> list[str]:
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    for code in codes:
        problem = unknown_selector(code)
        if problem is not None:
            _fail(f"{option}: {problem}")
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


def _collect(config_path: str | None, paths: Sequence[Path], jobs: int | None) -> Run:
    """The facts of every file under `paths` (no per-file codes), for the graph."""
    try:
        return Checker(config_path, Selection(workspace_only=True)).run(
            paths, jobs or os.cpu_count() or 1, progress=_progress()
        )
    except CheckError as exc:
        _fail(str(exc))


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
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(path_type=Path),
    help="Report only findings this baseline does not know (default: the config's).",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path),
    help="Write the findings to this baseline; with a baseline in use, only those it "
    "already knows (it never grows silently).",
)
@click.option(
    "--staged",
    is_flag=True,
    help="Judge the whole workspace, report what involves the files staged in git "
    "(the pre-commit hook); everything when nothing is staged.",
)
@click.option("--no-cache", is_flag=True, help="Read every file again; write no cache.")
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
    baseline_path: Path | None,
    write_baseline: Path | None,
    staged: bool,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Report coupling in PATHS (source folders or files, and facts files: *.json)."""
    selection = Selection(
        tuple(_codes(select)) or None,
        tuple(_codes(extend_select, "--extend-select")),
        tuple(_codes(ignore, "--ignore")),
        workspace_only,
    )
    try:
        checker = Checker(config_path, selection)
        if paths == (Path("-"),):
            _check_stdin(checker, stdin_filename, fmt, exit_zero)
        run = checker.run(paths, jobs or os.cpu_count() or 1, not no_cache, _progress())
        lines = source_lines()
        apply_baseline(run, baseline_path, write_baseline, lines)
        if staged:  # after the baseline, whose entries cover the whole workspace
            involving_staged(run)
    except CheckError as exc:
        _fail(str(exc))
    output = _render(run.found, fmt, lines if show_source else None)
    if statistics and fmt == "text":
        output += format_statistics(run.found)
    _emit(output, output_file)
    _summary(run.workspace, run.plan, run.notes)
    sys.exit(EXIT_FINDINGS if run.found and not exit_zero else EXIT_CLEAN)


def _render(found: list[Diagnostic], fmt: str, lines: Callable[[str], list[str]] | None) -> str:
    if fmt == "json":
        return format_json(found)
    if fmt == "sarif":
        return format_sarif(found, EVERY_RULE)
    if fmt == "github":
        return format_github(found)
    return format_text(found, lines)


def _emit(output: str, output_file: Path | None) -> None:
    if output_file is None:
        click.echo(output, nl=False)
        return
    try:
        output_file.write_text(output, encoding="utf-8")
    except OSError as exc:
        _fail(f"{output_file}: cannot write: {exc.strerror or exc}")


def _check_stdin(
    checker: Checker, stdin_filename: str | None, fmt: str, exit_zero: bool
) -> NoReturn:
    """An editor's unsaved buffer: one file's findings, as flake8 gives them."""
    named = stdin_filename or "stdin"
    finder = ConfigFinder(checker.config_path)
    try:
        config = finder.config_for(named)
        if config is not None:
            check_codes(config)
    except ConfigError as exc:
        _fail(f"config error: {exc}")
    if config is None:
        _fail(f"no config found for '{named}': `couplint init` writes one")
    text = sys.stdin.read()
    lines = text.splitlines()
    found: list[Diagnostic] = []
    if not config.excluded(named):
        linter = Linter(config, checker.selector_for(config))
        found = [
            d
            for d in linter.lint_source(named, text)
            if not silenced(d, lines) and checker.still_selected(d, finder)
        ]
    if config.baseline is not None:
        try:
            found = Baseline.read(config.baseline).new_in_file(found, lines)
        except BaselineError as exc:
            _fail(str(exc))
    click.echo(_render(sorted(found), fmt, None), nl=False)
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
    workspace = _collect(config_path, paths, jobs).workspace
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
    run = _collect(config_path, paths, jobs)
    root = run.plan.root
    assert root is not None
    graph = run.workspace.graph(root)
    click.echo(AUDIT_FORMATS[fmt](run_audit(graph, root), graph.skipped), nl=False)


@main.command()
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(sorted(GRAPH_FORMATS)), default="mermaid")
@jobs_option
def graph(paths: tuple[Path, ...], config_path: str | None, fmt: str, jobs: int | None) -> None:
    """The service dependency graph: calls, shared tables, libraries, topics."""
    run = _collect(config_path, paths, jobs)
    assert run.plan.root is not None
    click.echo(GRAPH_FORMATS[fmt](run.workspace.graph(run.plan.root)), nl=False)


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
            click.echo(f"{shown(config.path)}: {line}")
        sys.exit(EXIT_FINDINGS if missing else EXIT_CLEAN)
    text = render(found)
    if not write:
        click.echo(text, nl=False)
        return
    try:
        target = write_config(root, text)
    except ValueError as exc:
        _fail(str(exc))
    click.echo(f"couplint: wrote [tool.couplint] to {shown(target)}", err=True)


@main.command()
@config_option
def server(config_path: str | None) -> None:
    """A Language Server over stdio: every diagnostic of open files, workspace ones too."""
    import importlib.util

    if importlib.util.find_spec("pygls") is None:
        _fail("couplint server needs pygls: pip install 'couplint[server]'")
    from couplint_ast.server import serve

    serve(config_path)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain rule CODE: what it finds, why it matters, how to fix it."""
    rule = next((r for r in EVERY_RULE if r.code == code.upper()), None)
    if rule is None:
        _fail(f"unknown rule code '{code}'; `couplint rules` lists them")
    click.echo(rule_doc(rule), nl=False)


@main.command("rules")
@click.option("--markdown", is_flag=True, help="Every rule's documentation (docs/rules.md).")
def list_rules(markdown: bool) -> None:
    """List every rule code."""
    if markdown:
        click.echo(rules_markdown(EVERY_RULE), nl=False)
        return
    for rule in EVERY_RULE:
        click.echo(rule_summary(rule))
