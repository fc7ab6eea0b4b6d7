"""The real flake8, run as users run it, with exact output lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import UNRESOLVED_CALL, make_repo

FILES = {
    "orders/orders/api.py": (
        "import billing.invoices\n"
        "from acme_domain import Order  # noqa: CPL101\n"
        "import acme_domain.events as ev\n"
    ),
    "billing/billing/invoices.py": "from billing import tax\nx = 1\n",
    "billing/billing/broken.py": "def f(:\n    import orders\n",
    "billing/tests/test_invoices.py": "import orders\n",
    "tools/script.py": "import orders\n",
}


def without_e999(lines: list[str]) -> list[str]:
    """The lines but the syntax error of broken.py, whose column each Python puts elsewhere."""
    syntax = [line for line in lines if " E999 " in line]
    assert [line.split(":")[:2] for line in syntax] == [["./billing/billing/broken.py", "1"]]
    return [line for line in lines if " E999 " not in line]


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_reports_exact_lines_with_noqa_and_skips(tmp_path: Path) -> None:
    make_repo(tmp_path, FILES)
    result = flake8(tmp_path, "--select=CPL,E999", "-j1", ".")
    assert without_e999(result.stdout.splitlines()) == [
        "./orders/orders/api.py:1:1: CPL102 imports 'billing.invoices' from package 'billing'"
        " of service 'billing'",
        "./orders/orders/api.py:3:1: CPL101 imports 'acme_domain.events' from shared domain"
        " package 'acme_domain'",
    ]
    assert result.returncode == 1
    assert result.stderr == ""


def test_parallel_jobs_give_the_same_output(tmp_path: Path) -> None:
    make_repo(tmp_path, FILES)
    one = flake8(tmp_path, "--select=CPL", "-j1", ".")
    two = flake8(tmp_path, "--select=CPL", "-j2", ".")
    assert sorted(two.stdout.splitlines()) == sorted(one.stdout.splitlines())
    assert len(one.stdout.splitlines()) == 2


def test_other_codes_selected_means_no_cpl(tmp_path: Path) -> None:
    make_repo(tmp_path, FILES)
    result = flake8(tmp_path, "--select=F401", ".")
    assert "CPL" not in result.stdout
    assert flake8(tmp_path, "--extend-ignore=CPL102", "--select=CPL", ".").stdout.count("CPL") == 1


def test_finds_the_config_of_the_linted_path(tmp_path: Path) -> None:
    make_repo(tmp_path / "repo", FILES)
    result = flake8(tmp_path, "--select=CPL", "repo/orders")
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()] == [
        "CPL102",
        "CPL101",
    ]


def test_explicit_config_option(tmp_path: Path) -> None:
    make_repo(tmp_path, FILES)
    (tmp_path / "alt.toml").write_text('service = "billing"\n')
    result = flake8(tmp_path, "--select=CPL", "--couplint-config=alt.toml", "orders")
    assert result.stdout == ""  # all code is billing's now, and nothing else is configured


def test_a_broken_config_never_takes_flake8_down(tmp_path: Path) -> None:
    make_repo(tmp_path, FILES, config="[tool.couplint]\nshared-domain = ['x']\n")
    error = (
        "CPL001 couplint config error: pyproject.toml: tool.couplint.shared-domain: unknown key"
        " (did you mean 'shared-domain-packages'?)"
    )
    result = flake8(tmp_path, "-j1", "--select=CPL,E999,F401", ".")
    assert without_e999(result.stdout.splitlines()) == [
        f"./billing/billing/invoices.py:1:1: {error}",
        "./billing/billing/invoices.py:1:1: F401 'billing.tax' imported but unused",
        f"./billing/tests/test_invoices.py:1:1: {error}",
        "./billing/tests/test_invoices.py:1:1: F401 'orders' imported but unused",
        f"./orders/orders/api.py:1:1: {error}",
        "./orders/orders/api.py:1:1: F401 'billing.invoices' imported but unused",
        "./orders/orders/api.py:2:1: F401 'acme_domain.Order' imported but unused",
        "./orders/orders/api.py:3:1: F401 'acme_domain.events as ev' imported but unused",
        f"./tools/script.py:1:1: {error}",
        "./tools/script.py:1:1: F401 'orders' imported but unused",
    ]
    assert (result.returncode, result.stderr) == (1, "")
    # With no CPL code enabled the config is not even read: E/F output is untouched.
    clean = flake8(tmp_path, "-j1", "--select=E999,F401", ".")
    assert "CPL" not in clean.stdout and clean.stdout.count("F401") == 6
    assert clean.stderr == ""


def test_version_lists_couplint(tmp_path: Path) -> None:
    assert "couplint: 0.1.0" in flake8(tmp_path, "--version").stdout


def test_cpl305_is_enabled_only_by_naming_it(tmp_path: Path) -> None:
    make_repo(tmp_path, UNRESOLVED_CALL)
    unresolved = (
        "./orders/orders/cart.py:4:1: CPL305 call target is not resolved: env var 'CART_URL'"
        " (add it to a service's hosts, or to ignore-hosts)"
    )
    assert flake8(tmp_path, "--select=CPL", "-j1", ".").stdout == ""
    assert flake8(tmp_path, "-j1", ".").stdout == ""
    for named in (["--extend-select=CPL305"], ["--select=CPL305"], ["--select=CPL1,CPL305"]):
        assert flake8(tmp_path, *named, "-j1", ".").stdout.splitlines() == [unresolved]
    ignored = ["--extend-select=CPL305", "--extend-ignore=CPL305"]
    assert flake8(tmp_path, *ignored, "-j1", ".").stdout == ""


def test_a_misspelt_tool_table_is_cpl001_in_flake8(tmp_path: Path) -> None:
    make_repo(tmp_path, {"orders/orders/api.py": "x = 1\n"}, config="[tool.coupling]\n")
    result = flake8(tmp_path, "-j1", "--select=CPL", ".")
    assert result.stdout == (
        "./orders/orders/api.py:1:1: CPL001 couplint config error: pyproject.toml:"
        " tool.coupling: not [tool.couplint]: a typo?\n"
    )


def test_ruff_keeps_couplint_noqa_with_lint_external(tmp_path: Path) -> None:
    pytest.importorskip("ruff")
    source = "import orders  # noqa: CPL102\n\nprint(orders)\n"
    kept = {}
    for external in ("", 'external = ["CPL"]\n'):
        (tmp_path / "ruff.toml").write_text(f"[lint]\nselect = ['RUF100', 'RUF102']\n{external}")
        (tmp_path / "app.py").write_text(source)
        subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--fix", "-q", "app.py"],
            cwd=tmp_path,
            capture_output=True,
            check=False,
        )
        kept[external] = (tmp_path / "app.py").read_text()
    assert kept[""] == "import orders\n\nprint(orders)\n"  # ruff --fix drops the noqa
    assert kept['external = ["CPL"]\n'] == source  # unless CPL is declared external
