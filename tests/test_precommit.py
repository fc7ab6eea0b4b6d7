"""The `couplint` pre-commit hook, through the real `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import make_repo


def test_hook_reports_through_pre_commit(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit cannot be installed here")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = make_repo(
        tmp_path / "repo",
        {"orders/orders/api.py": "import billing.invoices\n", "billing/billing/__init__.py": ""},
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_GLOBAL": ""}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*git, "add", "."], cwd=repo, check=True, env=env)
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "couplint", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "orders/orders/api.py:1:1: CPL102 imports 'billing.invoices' from package 'billing'"
        " of service 'billing'" in result.stdout
    )
