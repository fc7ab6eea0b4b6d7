"""The `couplint` pre-commit hook, through the real `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import SYNC_CALL, cycle_config, make_repo


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


CYCLE_CONFIG = cycle_config("orders", "shipping")


def git_repo(root: Path, files: dict[str, str], config: str, env: dict[str, str]) -> list[str]:
    make_repo(root, files, config)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True, env=env)
    return git


def test_the_hook_blocks_a_commit_that_closes_a_cycle(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit cannot be installed here")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_GLOBAL": ""}
    files = {"orders/app.py": SYNC_CALL.format("shipping-api"), "shipping/__init__.py": ""}
    git = git_repo(repo, files, CYCLE_CONFIG, env)
    # The hook as a team writes it for the installed couplint: the shipped hook's command.
    hook = (
        "repos:\n- repo: local\n  hooks:\n  - id: couplint\n    name: couplint\n"
        f"    entry: {sys.executable} -m couplint check --staged\n"
        "    language: system\n    types: [python]\n    pass_filenames: false\n"
        "    require_serial: true\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(hook)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*git, "commit", "-qm", message],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    subprocess.run([*git, "add", "."], cwd=repo, check=True, env=env)
    first = commit("orders calls shipping")
    assert first.returncode == 0, first.stdout + first.stderr
    # shipping -> orders closes the cycle: the whole system is judged, and what involves
    # the staged file is reported, in it and in the file at the other end of the cycle.
    (repo / "shipping/app.py").write_text(SYNC_CALL.format("orders-api"))
    subprocess.run([*git, "add", "shipping/app.py"], cwd=repo, check=True, env=env)
    blocked = commit("shipping calls orders")
    assert blocked.returncode == 1
    assert (
        "orders/app.py:5:12: CPL502 synchronous call cycle: orders -> shipping -> orders\n"
        "shipping/app.py:5:12: CPL502 synchronous call cycle: shipping -> orders -> shipping\n"
    ) in blocked.stdout + blocked.stderr
    # A commit of an unrelated file passes while the cycle waits in the working tree.
    (repo / "orders/util.py").write_text("X = 1\n")
    subprocess.run([*git, "reset", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*git, "add", "orders/util.py"], cwd=repo, check=True, env=env)
    other = commit("util")
    assert other.returncode == 0, other.stdout + other.stderr
