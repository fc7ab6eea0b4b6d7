"""fixtures/shop marks every expected finding with a trailing `# CPLnnn`; they must agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from couplint_ast.config import load_config
from couplint_ast.engine import Linter
from couplint_ast.model import select_all
from couplint_ast.source import iter_python_files
from couplint_ast.workspace import collect, workspace_diagnostics
from tests.conftest import ROOT

MARKER = re.compile(r"#\s*((?:CPL\d{3}[ ,]*)+)\s*$")


# What only `couplint check` (and the server) can find, through the workspace index.
CHECK_MARKER = re.compile(r"#\s*((?:CPL\d{3}[ ,]*)+)\(couplint check\)\s*$")


def markers(root: Path, pattern: re.Pattern[str] = MARKER) -> set[tuple[str, int, str]]:
    found = set()
    for path in iter_python_files([root]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = pattern.search(line)
            if match:
                for code in re.findall(r"CPL\d{3}", match.group(1)):
                    found.add((str(path.relative_to(root)), number, code))
    return found


def diagnostics(root: Path, prefilter: bool) -> set[tuple[str, int, str]]:
    linter = Linter(load_config(root / "pyproject.toml"), prefilter=prefilter)
    return {
        (str(Path(d.path).resolve().relative_to(root)), d.line, d.code)
        for d in linter.lint_paths([root], on_error=pytest.fail)
    }


def workspace_findings(root: Path) -> set[tuple[str, int, str]]:
    config = load_config(root / "pyproject.toml")
    graph = collect([root], config, select_all).graph(config)
    return {
        (str(Path(d.path).resolve().relative_to(root)), d.line, d.code)
        for d in workspace_diagnostics(graph, config, select_all)
    }


def test_shop_markers_match_diagnostics(shop: Path) -> None:
    # Per-file rules (what flake8 shows) plus the workspace rules (what `couplint check` adds).
    assert diagnostics(shop, prefilter=True) | workspace_findings(shop) == markers(shop)


def test_couplint_check_adds_exactly_the_findings_marked_for_it(shop: Path) -> None:
    # Across modules: models and constants of other modules, shared code's calls.
    config = load_config(shop / "pyproject.toml")
    workspace = collect([shop], config, select_all)
    everything = {
        (str(Path(d.path).resolve().relative_to(shop)), d.line, d.code)
        for d in workspace.diagnostics()
    }
    assert everything - diagnostics(shop, prefilter=True) == markers(shop, CHECK_MARKER)


def test_prefilter_never_costs_a_finding(shop: Path) -> None:
    assert diagnostics(shop, prefilter=True) == diagnostics(shop, prefilter=False)


FAMILIES = {
    "CPL1": {"CPL101", "CPL102"},
    "CPL2": {"CPL201", "CPL202", "CPL203", "CPL204"},
    "CPL3": {"CPL301", "CPL302", "CPL303", "CPL304"},
    "CPL4": {"CPL401", "CPL402", "CPL403"},
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_real_flake8_prints_exactly_the_marked_findings(shop: Path, family: str) -> None:
    """Each issue's acceptance check: `flake8 --select=CPLn fixtures/shop`, real flake8."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this working tree's couplint
    result = subprocess.run(
        [sys.executable, "-m", "flake8", f"--select={family}", "-j1", "."],
        cwd=shop,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    printed = set()
    for line in result.stdout.splitlines():
        path, number, _col, rest = line.split(":", 3)
        printed.add((str(Path(path)), int(number), rest.split()[0]))
    marked = {m for m in markers(shop) if m[2].startswith(family)}
    assert printed == marked
    assert {code for _, _, code in marked} == FAMILIES[family]
    assert result.stderr == ""
