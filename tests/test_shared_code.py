"""Calls in code outside every service are charged to the services that import it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.sharedcode import module_name
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]

[tool.couplint.services.orders]
paths = ["orders"]
packages = ["orders"]

[tool.couplint.services.billing]
paths = ["billing"]
packages = ["billing"]

[tool.couplint.services.users]
paths = ["users"]
packages = ["users"]
hosts = ["users-api"]
"""
CLIENT = "libs/acme_clients/acme_clients/users.py"
FILES = {
    "libs/acme_clients/acme_clients/__init__.py": "",
    CLIENT: (
        "import requests\n\n\ndef current_user(token):\n"
        '    return requests.get("http://users-api/me", timeout=2, headers={"token": token})\n'
    ),
    "libs/acme_log/acme_log/__init__.py": "",
    "libs/acme_log/acme_log/setup.py": (
        "import logging\n\n\ndef configure():\n    logging.basicConfig(level='INFO')\n"
    ),
    "orders/orders/api.py": (
        "from acme_clients.users import current_user\nfrom acme_log.setup import configure\n"
        "\n\ndef place(token):\n    configure()\n    return current_user(token)\n"
    ),
    "billing/billing/api.py": (
        "from acme_clients import users\n\n\ndef bill(token):\n"
        "    return users.current_user(token)\n"
    ),
    # The users service imports the client of its own API: not coupled to itself.
    "users/users/api.py": (
        "from acme_clients.users import current_user\n\n\ndef me(token):\n"
        "    return current_user(token)\n"
    ),
}
CALL = f"{CLIENT}:5:12"
CHARGED = "(shared code: services 'billing', 'orders')"


@pytest.fixture
def inside(tmp_path: Path) -> Iterator[Path]:
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(here)


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_shared_calls_are_reported_at_the_call_naming_the_importers(inside: Path) -> None:
    make_repo(inside, FILES, CONFIG)
    assert run("check", "--no-cache") == (
        1,
        f"{CALL}: CPL301 synchronous call to service 'users' with requests {CHARGED}\n"
        f"{CALL}: CPL303 call to service 'users' is not guarded by a circuit breaker"
        f" {CHARGED}\n"
        f"{CLIENT}:5:25: CPL304 hard-coded endpoint 'users-api' of service 'users' {CHARGED}\n",
        "couplint: 3 files analysed (billing 1, orders 1, users 1); 1 file of shared code"
        " analysed for the services importing it; 3 files outside every service's paths,"
        " not analysed\n",
    )


def test_the_graph_and_the_audit_draw_the_edges_from_the_importers(inside: Path) -> None:
    make_repo(inside, FILES, CONFIG)
    _, out, _ = run("graph", "--format", "json")
    edges = {
        (e["source"], e["target"], e["kind"], e["evidence"][0]["path"])
        for e in json.loads(out)["edges"]
    }
    assert edges == {
        ("service:billing", "service:users", "call", CLIENT),
        ("service:orders", "service:users", "call", CLIENT),
    }
    _, audit, _ = run("audit")
    assert "billing\n  service 'users'\n" in audit
    assert "orders\n  service 'users'\n" in audit
    assert "users\n  no external dependencies found\n" in audit


def test_importers_are_found_through_shared_modules_and_relative_imports(inside: Path) -> None:
    files = {
        **FILES,
        "libs/acme_clients/acme_clients/__init__.py": "from .users import current_user\n",
        "libs/acme_facade/acme_facade/__init__.py": "from acme_clients import current_user\n",
        "orders/orders/api.py": "import acme_facade\n",
        "billing/billing/api.py": "x = 1\n",
    }
    make_repo(inside, files, CONFIG)
    code, out, _ = run("check", "--no-cache")
    assert (code, out.splitlines()[0]) == (
        1,
        f"{CALL}: CPL301 synchronous call to service 'users' with requests"
        " (shared code: service 'orders')",
    )


@pytest.mark.parametrize(
    "changes",
    [
        # Only the package is imported, not the module that calls.
        {"orders/orders/api.py": "import acme_clients\n", "billing/billing/api.py": ""},
        # A module of the service's own shadows the shared one of the same name.
        {
            "orders/orders/api.py": "from acme_clients.users import current_user\n",
            "orders/acme_clients/__init__.py": "",
            "orders/acme_clients/users.py": "def current_user(token):\n    return None\n",
            "billing/billing/api.py": "",
        },
        # The line says noqa.
        {CLIENT: FILES[CLIENT].replace("token})\n", "token})  # noqa: CPL3\n")},
    ],
    ids=["package only", "own module of that name", "noqa"],
)
def test_near_misses(inside: Path, changes: dict[str, str]) -> None:
    make_repo(inside, {**FILES, **changes}, CONFIG)
    assert run("check", "--no-cache")[:2] == (0, "")


def test_flake8_sees_one_file_and_says_nothing_of_shared_code(inside: Path) -> None:
    make_repo(inside, FILES, CONFIG)
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=CPL", "-j1", "."],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.stdout, result.stderr) == ("", "")


def test_the_cache_holds_shared_modules_too(inside: Path) -> None:
    make_repo(inside, FILES, CONFIG)
    first = run("check")
    assert run("check") == first
    (inside / "billing/billing/api.py").write_text("x = 1\n")  # billing stops importing it
    _, out, _ = run("check")
    assert "(shared code: service 'orders')" in out


@pytest.mark.parametrize(
    ("files", "path", "name"),
    [
        (["a/__init__.py", "a/b/__init__.py"], "a/b/c.py", "a.b.c"),
        (["a/__init__.py"], "a/__init__.py", "a"),
        ([], "tool.py", "tool"),
        (["my-lib/__init__.py"], "my-lib/x.py", ""),
    ],
)
def test_module_names_come_from_the_package_layout(
    tmp_path: Path, files: list[str], path: str, name: str
) -> None:
    for item in [*files, path]:
        (tmp_path / item).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / item).touch()
    assert module_name(tmp_path / path) == name
