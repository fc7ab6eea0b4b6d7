"""docs/rules.md is what `couplint rules --markdown` writes, and SARIF links into it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from couplint_ast.cli import EVERY_RULE
from couplint_ast.report import RULES_DOC_URL, format_sarif, help_uri, rules_markdown
from tests.conftest import ROOT


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, spaces to dashes, punctuation out."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_rules_doc_is_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(EVERY_RULE), "run: couplint rules --markdown > docs/rules.md"


def test_each_help_uri_names_a_section_of_the_rules_doc() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = {github_anchor(line[3:]) for line in text.splitlines() if line.startswith("## ")}
    driver = json.loads(format_sarif([], EVERY_RULE))["runs"][0]["tool"]["driver"]
    uris = [rule["helpUri"] for rule in driver["rules"]]
    assert uris == [help_uri(rule) for rule in EVERY_RULE]
    assert uris[0] == f"{RULES_DOC_URL}#cpl101-shareddomainimport"
    assert {uri.split("#", 1)[1] for uri in uris} <= anchors
    assert len(uris) == len(anchors) == 16


def test_the_sdist_ships_no_tests(tmp_path: Path) -> None:
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 61:  # no [project] table before 61
        pytest.skip(f"setuptools {setuptools.__version__} cannot build this project")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    tree = tmp_path / "tree"
    for name in tracked.stdout.split("\0"):
        if name and (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    (tree / "MANIFEST.in").write_text((ROOT / "MANIFEST.in").read_text())
    build = "from setuptools import build_meta as b; print(b.build_sdist('dist'))"
    made = subprocess.run(
        [sys.executable, "-c", build], cwd=tree, capture_output=True, text=True, check=True
    )
    archive = tree / "dist" / made.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as sdist:
        names = sdist.getnames()
    assert any(n.endswith("couplint_ast/cli.py") for n in names)
    assert not [n for n in names if "/tests/" in n or "/fixtures/" in n]
