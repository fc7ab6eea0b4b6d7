"""The pipeline on real and hostile input: aliases, encodings, bad files, the prefilter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from couplint_ast.engine import Linter, is_silenced
from couplint_ast.facts import FileFacts
from couplint_ast.facts.extract import extract_facts
from couplint_ast.model import code_selector
from couplint_ast.parse import parse_module
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH
from couplint_ast.source import SourceError, decode_source, read_source

LINTER = Linter(EXAMPLE_CONFIG)
SHARED = "imports '{}' from shared domain package 'acme_domain'"


def lint(source: str, path: str = EXAMPLE_PATH) -> list[str]:
    return [f"{d.line}:{d.col} {d.code} {d.message}" for d in LINTER.lint_source(path, source)]


def test_aliases_and_nested_imports() -> None:
    source = (
        "import acme_domain.orders as o\n"
        "from acme_domain import models\n"
        "from acme_domain.events import OrderPlaced as E\n"
        "def handler():\n"
        "    import orders.api\n"
        "    from inventory import stock as s, warehouse\n"
        "class C:\n"
        "    from acme_domain import *\n"
    )
    assert lint(source) == [
        "1:0 CPL101 " + SHARED.format("acme_domain.orders"),
        "2:0 CPL101 " + SHARED.format("acme_domain.models"),
        "3:0 CPL101 " + SHARED.format("acme_domain.events.OrderPlaced"),
        "5:4 CPL102 imports 'orders.api' from package 'orders' of service 'orders'",
        "6:4 CPL102 imports 'inventory.stock' from package 'inventory' of service 'inventory'",
        "8:4 CPL101 " + SHARED.format("acme_domain"),
    ]


def test_one_finding_per_statement_and_package() -> None:
    assert lint("from acme_domain import a, b, c\n") == [
        "1:0 CPL101 " + SHARED.format("acme_domain.a")
    ]


def test_multiline_and_semicolon_imports() -> None:
    source = (
        "x = 1; import os\nfrom acme_domain.events import (\n    A,\n    B,\n)\n"
        "import os, \\\n    orders\n"
    )
    assert lint(source) == [
        "2:0 CPL101 " + SHARED.format("acme_domain.events.A"),
        "6:0 CPL102 imports 'orders' from package 'orders' of service 'orders'",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "# only a comment\n# import acme_domain\n",
        '"""from acme_domain import x"""\n',
        "import acme_domain(\n",  # syntax error: flake8 says E999, couplint nothing
        "def f(:\n    import acme_domain\n",
        "import acme_domain.\n",
        "\x00import acme_domain\n",
    ],
)
def test_silent_on_empty_comments_strings_and_syntax_errors(source: str) -> None:
    assert lint(source) == []


def test_deeply_nested_expression_does_not_crash() -> None:
    source = "import acme_domain\nx = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n"
    assert lint(source) in ([], ["1:0 CPL101 " + SHARED.format("acme_domain")])


def test_five_megabyte_file() -> None:
    body = "value_{0} = {0}\n"
    source = "import acme_domain\n" + "".join(body.format(i) for i in range(300_000))
    assert len(source) > 5_000_000
    assert lint(source) == ["1:0 CPL101 " + SHARED.format("acme_domain")]


def test_non_ascii_identifiers() -> None:
    source = "from acme_domain import Bestellung as Größe\nπ = Größe\n"
    assert lint(source) == ["1:0 CPL101 " + SHARED.format("acme_domain.Bestellung")]


def test_a_shared_package_importing_itself_is_not_coupling() -> None:
    # A service that vendors the shared package: its own modules import each other.
    inside = "services/shipping/vendor/acme_domain/orders.py"
    assert lint("from acme_domain.money import Money\n", inside) == []
    assert lint("from acme_domain.money import Money\n", "services/shipping/acme_domainx.py") == [
        "1:0 CPL101 " + SHARED.format("acme_domain.money.Money")
    ]


def test_test_files_are_not_reported() -> None:
    assert lint("import orders\n", "services/shipping/tests/test_x.py") == []


def test_never_executes_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = f"import acme_domain\nopen({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
    assert lint(source) == ["1:0 CPL101 " + SHARED.format("acme_domain")]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfimport os\n", "import os\n"),
        (b"# -*- coding: latin-1 -*-\nx = '\xe9'\n", "# -*- coding: latin-1 -*-\nx = 'é'\n"),
        (b"import os\r\nimport sys\r\n", "import os\r\nimport sys\r\n"),
    ],
)
def test_decoding(data: bytes, text: str) -> None:
    assert decode_source(data) == text


@pytest.mark.parametrize(
    "data", [b"x = '\xff\xfe'\n", b"# coding: klingon\nx = 1\n", b"\xef\xbb\xbf# coding: latin-1\n"]
)
def test_undecodable_bytes_are_one_line_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(data)
    with pytest.raises(SourceError) as info:
        read_source(path)
    assert str(info.value).startswith(f"{path}: cannot decode: ")
    assert "\n" not in str(info.value)


def test_crlf_and_latin1_files_report_right_lines(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(b"# coding: latin-1\r\nx = '\xe9'\r\nimport orders\r\n")
    assert [(d.line, d.code) for d in LINTER.lint_file(path, "app.py")] == [(3, "CPL102")]


def test_noqa_in_the_cli_path(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(
        "import orders  # noqa: CPL102\nimport inventory  # noqa:CPL1\n"
        "import acme_domain  # noqa\nimport orders.x  # noqa: E501\n"
    )
    assert [(d.line, d.code) for d in LINTER.lint_file(path, "app.py")] == [(4, "CPL102")]


@pytest.mark.parametrize(
    ("line", "silenced"),
    [
        ("x  # noqa", True),
        ("x  # NOQA:CPL101", True),
        ("x  # noqa: E501,CPL101", True),
        ("x  # noqa: CPL1", True),
        ("x  # noqa: CPL102", False),
        ("x  # no qa", False),
    ],
)
def test_is_silenced(line: str, silenced: bool) -> None:
    assert is_silenced("CPL101", line) is silenced


@pytest.mark.parametrize(
    ("select", "ignore", "enabled"),
    [
        ((), (), {"CPL101", "CPL102", "CPL201"}),
        (("CPL1",), (), {"CPL101", "CPL102"}),
        (("CPL",), ("CPL102",), {"CPL101", "CPL201"}),
        (("CPL101",), ("CPL1",), {"CPL101"}),  # the more specific code wins
        (("E",), (), set()),
        ((), ("CPL",), set()),
    ],
)
def test_code_selector(select: tuple[str, ...], ignore: tuple[str, ...], enabled: set[str]) -> None:
    chosen = code_selector(select, ignore)
    assert {c for c in ("CPL101", "CPL102", "CPL201") if chosen(c)} == enabled


def test_no_enabled_code_parses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, tree: object = None) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr("couplint_ast.engine.parse", fail)
    assert (
        Linter(EXAMPLE_CONFIG, lambda code: False).lint_source(EXAMPLE_PATH, "import orders\n")
        == []
    )


def test_prefilter_skips_files_without_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, tree: object = None) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr("couplint_ast.engine.parse", fail)
    assert LINTER.facts(EXAMPLE_PATH, "import os\nprint('hello')\n", "shipping") is None


def test_a_file_only_import_rules_read_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr("couplint_ast.engine.parse", fail)
    source = "import os\n\n\ndef f():\n    from acme_domain.models import Order\n"
    assert [(d.line, d.col, d.code) for d in LINTER.lint_source(EXAMPLE_PATH, source)] == [
        (5, 4, "CPL101")
    ]


def test_a_file_other_rules_read_too_is_parsed() -> None:
    source = (
        "import acme_domain\nimport requests\n\n\ndef f():\n"
        '    return requests.get("http://orders-api/x", timeout=2)\n'
    )
    found = [(d.line, d.col, d.code) for d in LINTER.lint_source(EXAMPLE_PATH, source)]
    assert found == [(1, 0, "CPL101"), (6, 11, "CPL301"), (6, 11, "CPL303"), (6, 24, "CPL304")]


@pytest.mark.parametrize(
    "source",
    [
        "import a.b as c, d\nfrom .x import y\nfrom .. import z as w\nfrom m import *\n",
        "try:\n    import acme_domain\nexcept ImportError:\n    from . import *\n",
        "def f():\n    if x:\n        from p.q import (r,\n            s)\n",
        "é = 1; import acme_domain.x\nclass C:\n    from acme_domain import y\n",
    ],
)
def test_imports_read_from_cpython_match_libcst(source: str) -> None:
    import ast

    from couplint_ast.facts.pyimports import import_facts

    module = parse_module(source)
    assert module is not None
    assert import_facts("f.py", ast.parse(source), source).imports == (
        extract_facts(module, "f.py").imports
    )


def test_facts_survive_a_json_round_trip() -> None:
    module = parse_module("import a.b as c\nfrom .x import y\n")
    assert module is not None
    facts = extract_facts(module, "f.py")
    assert FileFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    with pytest.raises(ValueError, match="not couplint facts"):
        FileFacts.from_json({"path": "f.py", "imports": [{"span": 3}]})


def test_every_fixture_file_round_trips_through_facts_json() -> None:
    # The facts cache and facts files rely on it: a fact that does not come back (a
    # wrapper's forwarded arguments, once) is re-parsed on every run, or lost.
    from tests.conftest import ROOT

    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        facts = Linter.parse_facts(str(path), path.read_text(encoding="utf-8"), True, True)
        if facts is not None:
            assert FileFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts, path
