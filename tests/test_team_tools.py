"""couplint in a team's tools: config per file, flake8 and the CLI agreeing, the baseline,
the facts cache. Each test drives the real flake8 or the real `couplint` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.engine import Linter
from tests.helpers import CONFIG, cli_runner, make_repo

MONO = {
    "couplint.toml": (
        'shared-domain-packages = ["acme_domain"]\n\n'
        '[services.orders]\npaths = ["services/orders"]\npackages = ["orders"]\n\n'
        '[services.billing]\npaths = ["services/billing"]\npackages = ["billing"]\n'
    ),
    # A per-service config inside the monorepo: the root's catalog, its own settings.
    "services/billing/couplint.toml": (
        'service = "billing"\ncatalog = ["../../couplint.toml"]\n'
        'allowed-shared-packages = ["acme_domain"]\n'
    ),
    "services/orders/orders/api.py": "import billing.api\nimport acme_domain\n",
    "services/billing/billing/api.py": "import orders.models\nimport acme_domain\n",
}
BILLING_CPL102 = (
    "services/billing/billing/api.py:1:1: CPL102 imports 'orders.models' from package 'orders'"
    " of service 'orders'"
)
ORDERS_CPL102 = (
    "services/orders/orders/api.py:1:1: CPL102 imports 'billing.api' from package 'billing'"
    " of service 'billing'"
)
ORDERS_CPL101 = (
    "services/orders/orders/api.py:2:1: CPL101 imports 'acme_domain' from shared domain"
    " package 'acme_domain'"
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def flake8(cwd: Path, *args: str, stdin: str | None = None) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "-j1", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )
    assert result.stderr == ""
    return [line.removeprefix("./") for line in result.stdout.splitlines() if " CPL" in line]


def couplint(cwd: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "couplint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


# -- config per file ---------------------------------------------------------------------


def test_a_nested_config_wins_for_its_subtree(tmp_path: Path) -> None:
    mono = write(tmp_path / "mono", MONO)
    # billing's own config allows acme_domain; orders is judged by the root config.
    expected = [BILLING_CPL102, ORDERS_CPL102, ORDERS_CPL101]
    assert flake8(mono, ".") == expected
    code, out, _ = couplint(mono, "check")
    assert (code, out.splitlines()) == (1, expected)
    # An editor whose workspace root is above every config finds each file's own.
    assert flake8(tmp_path, "mono") == [f"mono/{line}" for line in expected]
    assert couplint(tmp_path, "check", "mono")[1].splitlines() == [
        f"mono/{line}" for line in expected
    ]


def test_stdin_is_judged_by_the_config_above_its_display_name(tmp_path: Path) -> None:
    write(tmp_path / "mono", MONO)
    text = "import orders.models\nimport acme_domain\n"
    shown = "mono/services/billing/billing/api.py"
    assert flake8(tmp_path, f"--stdin-display-name={shown}", "-", stdin=text) == [
        f"mono/{BILLING_CPL102}"
    ]
    code, out, _ = couplint(tmp_path, "check", "--stdin-filename", shown, "-", stdin=text)
    assert (code, out) == (1, f"mono/{BILLING_CPL102}\n")


def test_config_option_still_overrides_the_nearest(tmp_path: Path) -> None:
    mono = write(tmp_path / "mono", MONO)
    # With the root config for every file, billing's acme_domain import is reported too.
    billing_cpl101 = (
        "services/billing/billing/api.py:2:1: CPL101 imports 'acme_domain' from shared domain"
        " package 'acme_domain'"
    )
    expected = [BILLING_CPL102, billing_cpl101, ORDERS_CPL102, ORDERS_CPL101]
    assert flake8(mono, "--couplint-config=couplint.toml", ".") == expected
    assert couplint(mono, "check", "--config", "couplint.toml")[1].splitlines() == expected


# -- one selection for both front ends ---------------------------------------------------

# The repository of tests.helpers with couplint's own per-file selection.
AGREE_CONFIG = CONFIG.replace(
    'shared-domain-packages = ["acme_domain"]\n',
    'shared-domain-packages = ["acme_domain"]\n'
    'per-file-ignores = { "orders/orders/scripts/*" = ["CPL1"] }\n'
    'extend-exclude = ["orders/orders/generated"]\n'
    'ignore = ["CPL204"]\n',
)
AGREE_FILES = {
    ".flake8": (
        "[flake8]\nper-file-ignores =\n    orders/orders/legacy.py: CPL102\n"
        "extend-exclude = vendor\n"
    ),
    "orders/orders/api.py": "import billing.api\nimport acme_domain\n",
    "orders/orders/legacy.py": "import billing.api\nimport acme_domain\n",
    "orders/orders/scripts/fix.py": "import billing.api\n",
    "orders/orders/generated/client.py": "import billing.api\n",
    "orders/vendor/lib.py": "import billing.api\n",
    "billing/billing/__init__.py": "",
}


def test_flake8_and_check_agree_on_a_tree_with_per_file_ignores(tmp_path: Path) -> None:
    make_repo(tmp_path, AGREE_FILES, AGREE_CONFIG)
    expected = [
        "orders/orders/api.py:1:1: CPL102 imports 'billing.api' from package 'billing' of"
        " service 'billing'",
        "orders/orders/api.py:2:1: CPL101 imports 'acme_domain' from shared domain package"
        " 'acme_domain'",
        "orders/orders/legacy.py:2:1: CPL101 imports 'acme_domain' from shared domain package"
        " 'acme_domain'",
    ]
    assert sorted(flake8(tmp_path, ".")) == expected
    code, out, err = couplint(tmp_path, "check")
    assert (code, out.splitlines()) == (1, expected)
    assert err == ("couplint: 4 files analysed (billing 1, orders 3); 2 files excluded by config\n")


def test_an_unknown_code_in_the_config_names_the_key(tmp_path: Path) -> None:
    config = AGREE_CONFIG.replace('ignore = ["CPL204"]', 'ignore = ["CPL204", "CPL9"]')
    make_repo(tmp_path, {"orders/orders/api.py": "x = 1\n", "billing/b.py": ""}, config)
    problem = (
        "pyproject.toml: tool.couplint.ignore: unknown code 'CPL9' (couplint's codes are"
        " CPL0xx, CPL1xx, CPL2xx, CPL3xx, CPL4xx, CPL5xx)"
    )
    assert couplint(tmp_path, "check") == (2, "", f"couplint: config error: {problem}\n")
    assert flake8(tmp_path, ".") == [
        f"billing/b.py:1:1: CPL001 couplint config error: {problem}",
        f"orders/orders/api.py:1:1: CPL001 couplint config error: {problem}",
    ]


def test_config_select_and_extend_select(tmp_path: Path) -> None:
    config = AGREE_CONFIG.replace('ignore = ["CPL204"]', 'select = ["CPL101"]')
    files = {"orders/orders/api.py": "import billing.api\nimport acme_domain\n", "billing/b.py": ""}
    make_repo(tmp_path, files, config)
    only = [
        "orders/orders/api.py:2:1: CPL101 imports 'acme_domain' from shared domain package"
        " 'acme_domain'"
    ]
    assert flake8(tmp_path, ".") == only
    assert couplint(tmp_path, "check")[1].splitlines() == only
    # The command line's --select replaces the config's, as in ruff.
    assert couplint(tmp_path, "check", "--select", "CPL102")[1].count("CPL102") == 1


# -- baseline ------------------------------------------------------------------------------

BASE_FILES = {
    "orders/orders/api.py": "import billing.api\nimport acme_domain\n",
    "billing/billing/api.py": "x = 1\n",
}


def test_a_baselined_repository_passes_until_a_new_finding(tmp_path: Path) -> None:
    make_repo(tmp_path, BASE_FILES, AGREE_CONFIG)
    code, out, err = couplint(tmp_path, "check", "--write-baseline", "couplint-baseline.json")
    assert (code, out) == (0, "")
    assert "couplint: wrote 2 findings to couplint-baseline.json\n" in err
    document = json.loads((tmp_path / "couplint-baseline.json").read_text())
    assert [(e["path"], e["code"], e["occurrence"]) for e in document["findings"]] == [
        ("orders/orders/api.py", "CPL101", 0),
        ("orders/orders/api.py", "CPL102", 0),
    ]
    base = ("check", "--baseline", "couplint-baseline.json")
    code, out, err = couplint(tmp_path, *base)
    assert (code, out) == (0, "")
    assert "couplint: baseline couplint-baseline.json: 2 known findings hidden\n" in err
    # Lines moving above a finding, and edits elsewhere, keep it known.
    api = tmp_path / "orders/orders/api.py"
    api.write_text('"""Orders."""\n\nimport os\n' + api.read_text() + "print(os)\n")
    assert couplint(tmp_path, *base)[:2] == (0, "")
    # A new finding, and only it, is reported.
    (tmp_path / "orders/orders/more.py").write_text("import billing.models\n")
    new = (
        "orders/orders/more.py:1:1: CPL102 imports 'billing.models' from package 'billing' of"
        " service 'billing'\n"
    )
    assert couplint(tmp_path, *base)[:2] == (1, new)
    # A second identical import in the same file is a second occurrence: new.
    api.write_text(api.read_text() + "import billing.api\n")
    code, out, _ = couplint(tmp_path, *base)
    assert out.splitlines()[0] == (
        "orders/orders/api.py:7:1: CPL102 imports 'billing.api' from package 'billing' of"
        " service 'billing'"
    )


def test_stale_entries_are_counted_and_the_ratchet_never_grows(tmp_path: Path) -> None:
    make_repo(tmp_path, BASE_FILES, AGREE_CONFIG)
    couplint(tmp_path, "check", "--write-baseline", "b.json")
    (tmp_path / "orders/orders/api.py").write_text("import acme_domain\n")  # CPL102 fixed
    (tmp_path / "orders/orders/more.py").write_text("import billing.models\n")
    args = ("check", "--baseline", "b.json", "--write-baseline", "b.json")
    code, out, err = couplint(tmp_path, *args)
    assert code == 1 and out.count("\n") == 1 and "more.py:1:1: CPL102" in out
    assert "baseline b.json: 1 known findings hidden, 1 of its entries stale" in err
    assert "wrote 1 finding to b.json; 1 new ones not added" in err
    codes = [e["code"] for e in json.loads((tmp_path / "b.json").read_text())["findings"]]
    assert codes == ["CPL101"]  # the fixed one is gone, the new one was not added


def test_the_config_baseline_is_honoured_by_flake8(tmp_path: Path) -> None:
    config = AGREE_CONFIG.replace("[tool.couplint]\n", '[tool.couplint]\nbaseline = "b.json"\n')
    make_repo(tmp_path, {**BASE_FILES, "billing/billing/api.py": "import orders\n"}, config)
    code, _, err = couplint(tmp_path, "check", "--write-baseline", "b.json")
    assert code == 0 and "baseline b.json does not exist yet" in err
    assert flake8(tmp_path, ".") == []
    assert couplint(tmp_path, "check")[:2] == (0, "")
    (tmp_path / "billing/billing/api.py").write_text("import orders\nimport orders.db\n")
    new = (
        "billing/billing/api.py:2:1: CPL102 imports 'orders.db' from package 'orders' of service"
        " 'orders'"
    )
    assert flake8(tmp_path, ".") == [new]
    assert couplint(tmp_path, "check")[:2] == (1, new + "\n")


def test_a_broken_baseline_is_one_line(tmp_path: Path) -> None:
    make_repo(tmp_path, BASE_FILES, AGREE_CONFIG)
    (tmp_path / "b.json").write_text("{}")
    code, out, err = couplint(tmp_path, "check", "--baseline", "b.json")
    assert (code, out) == (2, "")
    assert err == (
        "couplint: b.json: not a couplint baseline (no 'couplint-baseline': 1 key);"
        " `couplint check --write-baseline` writes one\n"
    )
    assert couplint(tmp_path, "check", "--baseline", "nothing.json")[2] == (
        "couplint: nothing.json: no such baseline file\n"
    )


# -- facts cache ---------------------------------------------------------------------------


def test_a_rerun_reads_only_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, {**BASE_FILES, "orders/orders/util.py": "y = 2\n"}, AGREE_CONFIG)
    read: list[str] = []
    real = Linter._read

    def counting(self: Linter, display: str, text: str, service: str):  # type: ignore[no-untyped-def]
        read.append(display)
        return real(self, display, text, service)

    monkeypatch.setattr(Linter, "_read", counting)
    first = cli_runner().invoke(main, ["check"])
    # A file importing another service's package is read whole a second time (its queries
    # of that service's models; see couplings.index.Needs).
    assert sorted(read) == [
        "billing/billing/api.py",
        "orders/orders/api.py",
        "orders/orders/api.py",
        "orders/orders/util.py",
    ]
    assert (tmp_path / ".couplint_cache/.gitignore").read_text().endswith("*\n")
    read.clear()
    again = cli_runner().invoke(main, ["check"])
    assert (read, again.stdout, again.exit_code) == ([], first.stdout, 1)
    (tmp_path / "orders/orders/util.py").write_text("import billing\n")
    changed = cli_runner().invoke(main, ["check"])
    assert read == ["orders/orders/util.py", "orders/orders/util.py"]
    assert "orders/orders/util.py:1:1: CPL102" in changed.stdout
    # A damaged entry is a miss, never an error.
    for entry in (tmp_path / ".couplint_cache").rglob("*"):
        if entry.is_file() and entry.name != ".gitignore":
            entry.write_text("{not json")
    read.clear()
    assert cli_runner().invoke(main, ["check"]).stdout == changed.stdout
    assert len(read) == 5


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, BASE_FILES, AGREE_CONFIG)
    result = cli_runner().invoke(main, ["check", "--no-cache"])
    assert result.exit_code == 1
    assert not (tmp_path / ".couplint_cache").exists()


# -- found by the real-world trial ----------------------------------------------------------


def test_each_repository_graph_uses_its_own_config(tmp_path: Path) -> None:
    # The same address means another service in each repository: each call is charged by
    # the config of its own file, whichever path is named first.
    call = 'import requests\nrequests.get("http://{}/v", timeout=1)\n'
    write(
        tmp_path,
        {
            "r1/couplint.toml": (
                '[services.x]\npaths = ["x"]\nhosts = ["localhost:5003"]\n'
                '[services.y]\npaths = ["y"]\nhosts = ["y-api"]\n'
            ),
            "r1/x/app.py": call.format("y-api"),
            "r1/y/__init__.py": "",
            "r2/couplint.toml": (
                '[services.p]\npaths = ["p"]\n[services.q]\npaths = ["q"]\n'
                'hosts = ["127.0.0.1:5003"]\n'
            ),
            "r2/p/app.py": call.format("127.0.0.1:5003"),
            "r2/q/__init__.py": "",
        },
    )
    for order in (("r1", "r2"), ("r2", "r1")):
        graph = json.loads(couplint(tmp_path, "graph", *order, "--format", "json")[1])
        calls = sorted((e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "call")
        assert calls == [("service:p", "service:q"), ("service:x", "service:y")], order


def test_baseline_survives_a_formatter_and_a_rename(tmp_path: Path) -> None:
    files = {"orders/orders/api.py": "import billing.api,billing.models\n", **BASE_FILES}
    files["orders/orders/api.py"] = "from billing import api,models\n"
    make_repo(tmp_path, files, AGREE_CONFIG)
    couplint(tmp_path, "check", "--write-baseline", "b.json")
    api = tmp_path / "orders/orders/api.py"
    api.write_text("from billing import api, models\n")  # what black does
    assert couplint(tmp_path, "check", "--baseline", "b.json")[:2] == (0, "")
    api.rename(tmp_path / "orders/orders/views.py")  # git mv
    code, out, err = couplint(tmp_path, "check", "--baseline", "b.json")
    assert (code, out) == (0, "")
    assert "1 known findings hidden" in err and "stale" not in err


def test_a_per_service_config_without_others_is_said(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"couplint.toml": 'service = "orders"\n', "orders/api.py": "import billing\n"},
    )
    code, _, err = couplint(tmp_path, "check")
    assert code == 0
    assert (
        "couplint: couplint.toml sets service 'orders' but names no other service (no"
        " [services.*], no catalog): nothing under it can be coupling\n"
    ) in err


def test_a_corrupt_baseline_entry_is_named(tmp_path: Path) -> None:
    make_repo(tmp_path, BASE_FILES, AGREE_CONFIG)
    (tmp_path / "b.json").write_text('{"couplint-baseline": 1, "findings": [{"path": 3}]}')
    assert couplint(tmp_path, "check", "--baseline", "b.json")[2] == (
        "couplint: b.json: corrupt couplint baseline: findings[0].path: expected str, got 3\n"
    )
    (tmp_path / "b.json").write_text('{"couplint-baseline": 99, "findings": []}')
    assert couplint(tmp_path, "check", "--baseline", "b.json")[2] == (
        "couplint: b.json: baseline format 99 (this couplint reads 1): write it again with"
        " --write-baseline\n"
    )


def test_staged_judges_the_whole_workspace_with_its_baseline(tmp_path: Path) -> None:
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    make_repo(tmp_path, {**BASE_FILES, "orders/orders/__init__.py": ""}, AGREE_CONFIG)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    couplint(tmp_path, "check", "--write-baseline", "b.json")
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=tmp_path, check=True)
    (tmp_path / "billing/billing/api.py").write_text("x = 2\n")
    subprocess.run([*git, "add", "billing/billing/api.py"], cwd=tmp_path, check=True)
    (tmp_path / "billing/billing/api.py").write_text("x = 3\n")  # changed again, unstaged
    code, out, err = couplint(tmp_path, "check", "--staged", "--baseline", "b.json")
    assert (code, out) == (0, "")
    assert err.splitlines()[1:] == [
        "couplint: baseline b.json: 2 known findings hidden",
        "couplint: 1 staged file also changed since staged (billing/billing/api.py): judged as"
        " they are on disk (pre-commit stashes unstaged changes first; stash them in other"
        " hooks)",
        "couplint: 1 staged file: 0 of 0 findings involve them",
    ]
    # A commit that only deletes is not "nothing staged" (which would report everything).
    subprocess.run([*git, "reset", "-q", "--hard"], cwd=tmp_path, check=True)
    subprocess.run([*git, "rm", "-q", "orders/orders/api.py"], cwd=tmp_path, check=True)
    assert couplint(tmp_path, "check", "--staged")[0] == 0
