"""What `couplint check`, its pre-commit hook and `couplint server` share: each file under
its own config, the selections of both front ends, the workspace rules, the baseline.

Problems a user must fix (a broken config, no config, a path that does not exist) are a
`CheckError`: one line, which the CLI prints before exiting 2 and the server shows.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from couplint_ast.baseline import Baseline, BaselineError
from couplint_ast.config import Config, ConfigError, ConfigFinder
from couplint_ast.engine import check_codes, display_path, known_codes
from couplint_ast.files import shown
from couplint_ast.flake8config import Flake8ConfigError, flake8_selection
from couplint_ast.graph import WORKSPACE_RULES
from couplint_ast.model import Diagnostic, Selector
from couplint_ast.source import SourceError, read_source
from couplint_ast.workspace import (
    FactsFileError,
    Plan,
    Workspace,
    collect_plan,
    plan_paths,
    workspace_findings,
)

Lines = Callable[[str], list[str]]


class CheckError(Exception):
    """Something the user must fix before anything can be checked (one line)."""


def _nothing(code: str) -> bool:
    return False


@dataclass(frozen=True)
class Selection:
    """The front end's own selection (command-line flags); each config adds its own."""

    select: tuple[str, ...] | None = None
    extend: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    workspace_only: bool = False


@dataclass
class Run:
    """One check of the workspace: what was found, and what was read."""

    found: list[Diagnostic]
    involved: dict[Diagnostic, frozenset[str]]
    workspace: Workspace
    plan: Plan
    finder: ConfigFinder
    notes: list[str] = field(default_factory=list)


class Checker:
    """Checks paths as `couplint check` does; reusable (the server checks again on save)."""

    def __init__(self, config_path: str | None = None, selection: Selection = Selection()):
        self.config_path = config_path
        self.selection = selection
        try:
            self.flake8 = flake8_selection(known_codes())
        except Flake8ConfigError as exc:
            raise CheckError(str(exc)) from None

    def selector_for(self, config: Config) -> Selector:
        """The codes reported for files under `config`."""
        named = self.flake8.named if self.flake8 is not None else frozenset()
        chosen = self.selection
        return config.selector(chosen.select, (*chosen.extend, *named), chosen.ignore)

    def plan(self, paths: Sequence[Path]) -> tuple[ConfigFinder, Plan]:
        """Each file named with the config that governs it."""
        finder = ConfigFinder(self.config_path)
        excluded = self.flake8.excludes if self.flake8 is not None else None
        try:
            plan = plan_paths(paths or [Path(".")], finder, excluded)
            configs = plan.configs()
            for config in configs:
                check_codes(config)
        except ConfigError as exc:
            raise CheckError(f"config error: {exc}") from None
        except SourceError as exc:
            raise CheckError(str(exc)) from None
        if plan.root is None:
            where = Path(os.path.abspath(paths[0] if paths else ".")).as_posix()
            raise CheckError(
                f"no config found: no couplint.toml, nor pyproject.toml with [tool.couplint], "
                f"in '{where}' or above; `couplint init` writes one"
            )
        for config in configs:
            if not config.services and config.service is None and config.path is not None:
                raise CheckError(
                    f"{shown(config.path)} defines no services "
                    "([tool.couplint.services.NAME]); `couplint init` infers them from the "
                    "repository"
                )
        return finder, plan

    def run(
        self,
        paths: Sequence[Path],
        jobs: int = 1,
        cache: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> Run:
        """Every finding under `paths`: per file, and of the workspace."""
        finder, plan = self.plan(paths)
        root = plan.root
        assert root is not None

        def per_file(config: Config) -> Selector:
            return _nothing if self.selection.workspace_only else self.selector_for(config)

        try:
            workspace = collect_plan(plan, per_file, jobs, progress, cache=cache)
        except (SourceError, FactsFileError) as exc:
            raise CheckError(str(exc)) from None
        found = workspace.diagnostics()
        involved: dict[Diagnostic, frozenset[str]] = {}
        enabled = self.selector_for(root)
        if any(enabled(rule.code) for rule in WORKSPACE_RULES):
            involved = workspace_findings(workspace.graph(root), root, enabled)
            found += involved
        found = sorted(d for d in found if self.still_selected(d, finder))
        return Run(found, involved, workspace, plan, finder, _lonely(plan))

    def still_selected(self, d: Diagnostic, finder: ConfigFinder) -> bool:
        """The per-file selections: the config's `per-file-ignores`, flake8's for the file."""
        try:
            config = finder.config_for(d.path)
        except ConfigError:
            config = None
        if config is not None and config.ignored_in(d.path, d.code):
            return False
        return self.flake8 is None or self.flake8.selects(d.path, d.code)


def _lonely(plan: Plan) -> list[str]:
    """A note for each config that names its own service and no other: nothing under it
    can be coupling (a per-service config without `catalog`)."""
    notes = []
    for config in plan.configs():
        if config.path is None or config.service is None:
            continue
        if not any(s.name != config.service for s in config.services):
            notes.append(
                f"{shown(config.path)} sets service '{config.service}' but names no other "
                "service (no [services.*], no catalog): nothing under it can be coupling"
            )
    return notes


def source_lines() -> Lines:
    """A file's lines, read once each ([] when unreadable)."""
    read: dict[str, list[str]] = {}

    def lines(path: str) -> list[str]:
        if path not in read:
            try:
                read[path] = read_source(Path(path)).splitlines()
            except SourceError:
                read[path] = []
        return read[path]

    return lines


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise CheckError(f"--staged: git cannot list the staged files: {detail.strip()}") from None


def staged_files() -> tuple[set[str], set[str]]:
    """(the files staged in git, those of them whose working copy differs from what is
    staged), as paths are shown in output. Deletions count: a commit that only deletes is
    not "nothing staged"."""
    top = _git("rev-parse", "--show-toplevel").strip()

    def shown_paths(names: str) -> set[str]:
        return {display_path(os.path.join(top, n)) for n in names.split("\0") if n}

    staged = shown_paths(_git("diff", "--cached", "--name-only", "-z"))
    unstaged = shown_paths(_git("diff", "--name-only", "-z")) if staged else set()
    return staged, staged & unstaged


def involving_staged(run: Run) -> None:
    """Keep the findings in staged files, and the workspace ones through them."""
    staged, differ = staged_files()
    if not staged:
        run.notes.append("nothing is staged: every finding of the workspace is reported")
        return
    if differ:
        # couplint reads files from disk; pre-commit stashes unstaged changes before a hook
        # runs, so there the working tree is what is staged.
        run.notes.append(
            f"{plural(len(differ), 'staged file')} also changed since staged "
            f"({', '.join(sorted(differ)[:3])}{', ...' if len(differ) > 3 else ''}): judged "
            "as they are on disk (pre-commit stashes unstaged changes first; stash them in "
            "other hooks)"
        )
    kept = [d for d in run.found if d.path in staged or run.involved.get(d, frozenset()) & staged]
    run.notes.append(
        f"{plural(len(staged), 'staged file')}: {len(kept)} of {len(run.found)} findings "
        "involve them"
    )
    run.found = kept


def apply_baseline(run: Run, explicit: Path | None, write: Path | None, lines: Lines) -> None:
    """Hide what the baseline in use knows; with `write`, write one that never grows
    silently: with a baseline in use, only the findings it already knows are written."""
    try:
        in_use = _baseline_in_use(explicit, run.plan)
        found, known, new = run.found, [], run.found
        if in_use is not None:
            new, matched = in_use.split(found, lines)
            fresh = set(new)
            known = [d for d in found if d not in fresh]
            stale = in_use.stale(matched)
            where = shown(in_use.path)
            if in_use.exists:
                run.notes.append(
                    f"baseline {where}: {len(known)} known findings hidden"
                    + (f", {stale} of its entries stale (fixed or changed)" if stale else "")
                )
            else:
                run.notes.append(f"baseline {where} does not exist yet: no findings hidden")
        run.found = new
        if write is None:
            return
        target = Baseline(write)
        ratchet = in_use is not None and in_use.exists
        target.write(target.entries_of(known if ratchet else found, lines))
        if ratchet:
            run.notes.append(
                f"wrote {plural(len(known), 'finding')} to {shown(target.path)}; "
                f"{len(new)} new ones not added (fix them, or write it without a baseline)"
            )
        else:
            run.notes.append(f"wrote {plural(len(found), 'finding')} to {shown(target.path)}")
            run.found = []
    except BaselineError as exc:
        raise CheckError(str(exc)) from None


def _baseline_in_use(explicit: Path | None, plan: Plan) -> Baseline | None:
    if explicit is not None:
        return Baseline.read(explicit, missing_ok=False)
    root = plan.root
    if root is not None and root.baseline is not None:
        return Baseline.read(root.baseline)
    return None


def plural(n: int, noun: str = "file") -> str:
    """`1 file`, `2 files`."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
