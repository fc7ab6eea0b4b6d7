"""The click CLI: same diagnostics as the plugin, formats, exit codes, explain, rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from couplint_ast.cli import EVERY_RULE, main
from tests.helpers import UNRESOLVED_CALL, cli_runner, make_repo

FILES = {
    "orders/orders/api.py": "import billing.invoices\nimport acme_domain  # noqa: CPL101\n",
    "orders/orders/ok.py": "import orders.models\n",
    "billing/billing/__init__.py": "",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path, FILES)


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_text(repo: Path) -> None:
    assert run("check") == (
        1,
        "orders/orders/api.py:1:1: CPL102 imports 'billing.invoices' from package 'billing'"
        " of service 'billing'\n",
        "couplint: 3 files analysed (billing 1, orders 2)\n",
    )


def test_check_json(repo: Path) -> None:
    code, out, _ = run("check", "orders", "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {
            "path": "orders/orders/api.py",
            "line": 1,
            "col": 1,
            "code": "CPL102",
            "message": "imports 'billing.invoices' from package 'billing' of service 'billing'",
        }
    ]


def test_clean_exit_0(repo: Path) -> None:
    analysed = "couplint: 1 file analysed (orders 1)\n"
    assert run("check", "orders/orders/ok.py") == (0, "", analysed)
    assert run("check", "--format", "json", "orders/orders/ok.py") == (0, "[]\n", analysed)


def test_select_and_ignore(repo: Path) -> None:
    assert run("check", "--select", "CPL101")[0] == 0
    assert run("check", "--ignore", "CPL1")[0] == 0
    assert run("check", "--select", "CPL1", "--ignore", "CPL101")[0] == 1


def test_usage_and_config_errors_exit_2(repo: Path) -> None:
    code, _, err = run("check", "missing/")
    assert (code, err) == (2, "couplint: missing: no such file or directory\n")
    (repo / "pyproject.toml").write_text("[tool.couplint]\nmax-chain-hops = 'x'\n")
    code, _, err = run("check")
    assert code == 2
    assert err == (
        "couplint: config error: pyproject.toml: tool.couplint.max-chain-hops:"
        " expected an integer, got str\n"
    )
    assert run("check", "--format", "xml")[0] == 2


def test_undecodable_file_is_skipped_with_one_line(repo: Path) -> None:
    (repo / "orders" / "orders" / "bad.py").write_bytes(b"import billing\nx = '\xff'\n")
    code, out, err = run("check", "orders")
    assert code == 1 and out.count("CPL102") == 1
    first, second = err.splitlines()
    assert first == "couplint: 2 files analysed (orders 2); 1 skipped"
    assert second.startswith("couplint: skipped orders/orders/bad.py: cannot decode: ")


def test_explain_every_rule() -> None:
    for rule in EVERY_RULE:
        code, out, _ = run("explain", rule.code.lower())
        assert code == 0
        assert out.startswith(f"# {rule.code} {rule.__name__}\n")
        assert "## Why is this bad?" in out and "Use instead:" in out
    assert run("explain", "CPL999") == (
        2,
        "",
        "couplint: unknown rule code 'CPL999'; `couplint rules` lists them\n",
    )


def test_rules_lists_codes() -> None:
    code, out, _ = run("rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [r.code for r in EVERY_RULE]


def test_module_entry_point(repo: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "couplint_ast", "check", "orders"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "CPL102" in result.stdout


def test_cpl305_only_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, UNRESOLVED_CALL)
    line = (
        "orders/orders/cart.py:4:1: CPL305 call target is not resolved: env var 'CART_URL'"
        " (add it to a service's hosts, or to ignore-hosts)\n"
    )
    assert run("check")[:2] == (0, "")
    assert run("check", "--select", "CPL")[:2] == (0, "")
    assert run("check", "--extend-select", "CPL305")[:2] == (1, line)
    assert run("check", "--select", "CPL305")[:2] == (1, line)
    # As in flake8, the longer prefix wins: naming CPL305 beats ignoring CPL3.
    assert run("check", "--extend-select", "CPL305", "--ignore", "CPL3")[:2] == (1, line)
    assert run("check", "--extend-select", "CPL305", "--ignore", "CPL305")[:2] == (0, "")


def test_an_unknown_selector_is_exit_2_naming_the_families(repo: Path) -> None:
    code, out, err = run("check", "--select", "FOO")
    assert (code, out) == (2, "")
    assert err == (
        "couplint: --select: unknown code 'FOO' (couplint's codes are CPL0xx, CPL1xx, CPL2xx,"
        " CPL3xx, CPL4xx, CPL5xx)\n"
    )
    assert run("check", "--ignore", "CPL9")[0] == 2
    assert run("check", "--select", "cpl1")[0] == 1  # case does not matter


def test_exit_zero_and_output_file(repo: Path) -> None:
    code, out, _ = run("check", "--exit-zero")
    assert code == 0 and out.count("CPL102") == 1
    code, out, _ = run("check", "--output-file", "report.txt")
    assert (code, out) == (1, "")
    assert (repo / "report.txt").read_text().count("CPL102") == 1


def test_a_misspelt_tool_table_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, FILES, config="[tool.coupling]\n[tool.coupling.services.orders]\n")
    code, _, err = run("check")
    assert (code, err) == (
        2,
        "couplint: config error: pyproject.toml: tool.coupling: not [tool.couplint]: a typo?\n",
    )


def test_python_dash_m_couplint_runs_the_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    found = subprocess.run(
        [sys.executable, "-m", "couplint", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (found.returncode, found.stdout) == (0, "couplint, version 0.1.0\n")


def test_show_source_and_statistics(repo: Path) -> None:
    code, out, _ = run("check", "--show-source", "--statistics")
    assert code == 1
    assert out == (
        "orders/orders/api.py:1:1: CPL102 imports 'billing.invoices' from package 'billing'"
        " of service 'billing'\n"
        "import billing.invoices\n"
        "^\n"
        "1     CPL102 imports 'billing.invoices' from package 'billing' of service 'billing'\n"
    )


def test_stdin_is_linted_as_the_file_it_names(repo: Path) -> None:
    result = cli_runner().invoke(
        main,
        ["check", "-", "--stdin-filename", "orders/orders/new.py"],
        input="import billing.invoices\nimport billing.tax  # noqa: CPL102\n",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "orders/orders/new.py:1:1: CPL102 imports 'billing.invoices' from package 'billing'"
        " of service 'billing'\n",
        "",
    )
