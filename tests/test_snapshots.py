"""Whole outputs on fixtures/shop, compared with snapshots (update: pytest --snapshot-update).

fixtures/shop/AUDIT.md is the committed audit and graph; regenerate it with
`COUPLINT_UPDATE_AUDIT=1 python -m pytest tests/test_snapshots.py`.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from couplint_ast.cli import main
from tests.helpers import cli_runner


@pytest.fixture(autouse=True)
def in_shop(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop)  # paths in every output are relative to fixtures/shop


def run(*args: str) -> str:
    result = cli_runner().invoke(main, list(args))
    assert result.exit_code in (0, 1), result.output
    if args[0] == "check":  # what was read, said once: fixtures/shop's libs are no service
        assert result.stderr == SHOP_SUMMARY
    else:
        assert result.stderr == ""
    return result.stdout


SHOP_SUMMARY = (
    "couplint: 53 files analysed (inventory 8, orders 12, payments 14, shipping 19); 1 file of"
    " shared code analysed for the services importing it; 8 files outside every service's"
    " paths, not analysed; 2 test files not analysed (include-tests = false)\n"
)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check(fmt: str, snapshot) -> None:
    assert run("check", "--format", fmt) == snapshot


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_audit(fmt: str, snapshot) -> None:
    assert run("audit", "--format", fmt) == snapshot


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "json"])
def test_graph(fmt: str, snapshot) -> None:
    assert run("graph", "--format", fmt) == snapshot


def audit_document() -> str:
    return (
        "<!-- Made by couplint audit and graph; tests/test_snapshots.py keeps it current -->\n"
        + run("audit", "--format", "markdown")
        + "\n# Service graph\n\n```mermaid\n"
        + run("graph", "--format", "mermaid")
        + "```\n"
    )


def test_committed_audit_is_current(shop: Path) -> None:
    expected = audit_document()
    if os.environ.get("COUPLINT_UPDATE_AUDIT"):
        (shop / "AUDIT.md").write_text(expected)
    assert (shop / "AUDIT.md").read_text() == expected


def readme_sections(root: Path) -> dict[str, str]:
    runner = cli_runner()
    os.chdir(root)  # the README shows paths as a user in the repository root sees them
    audit = runner.invoke(main, ["audit", "fixtures/shop", "--format", "markdown"]).stdout
    graph = runner.invoke(main, ["graph", "fixtures/shop", "--format", "mermaid"]).stdout
    audit = audit.replace("\n# Dependency audit\n", "\n").replace("\n## ", "\n### ")
    return {"audit": audit.split("\n", 1)[1], "graph": f"```mermaid\n{graph}```\n"}


def test_readme_shows_the_real_audit_and_graph(shop: Path) -> None:
    readme = shop.parent.parent / "README.md"
    text = readme.read_text()
    updated = text
    for name, body in readme_sections(shop.parent.parent).items():
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        before, rest = updated.split(start, 1)
        updated = before + start + body + end + rest.split(end, 1)[1]
    if os.environ.get("COUPLINT_UPDATE_AUDIT"):
        readme.write_text(updated)
    assert text == updated


def test_readme_opening_example_is_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    block = readme.split("```console\n", 1)[1].split("```", 1)[0]
    command, *expected = block.splitlines()
    assert command.startswith("$ couplint ")
    monkeypatch.chdir(root)
    result = cli_runner().invoke(main, shlex.split(command[len("$ couplint ") :]))
    assert result.stdout.splitlines() == expected
