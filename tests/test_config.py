"""Config: found upward, catalogs merged, every error one line naming file and key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from couplint_ast.config import Config, ConfigError, ServiceConfig, find_config, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "services" / "orders").mkdir(parents=True)
    (tmp_path / "services" / "orders" / "api").mkdir()
    (tmp_path / "services" / "billing").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


GOOD = """
[tool.couplint]
shared-domain-packages = ["acme_domain"]
allowed-shared-packages = ["acme_logging"]
ignore-hosts = ["API.Stripe.com"]
max-chain-hops = 3

[tool.couplint.services.orders]
paths = ["services/orders"]
packages = ["orders"]
tables = ["Orders", "billing.invoices"]

[tool.couplint.services.orders_api]
paths = ["services/orders/api"]
packages = ["orders_api"]

[tool.couplint.services.billing]
paths = ["services/billing"]
tables = ["payments.*"]
"""


def test_found_upward_from_the_working_directory(repo: Path) -> None:
    write(repo / "pyproject.toml", GOOD)
    os.chdir(repo / "services" / "orders")
    config = load_config()
    assert config.path == repo / "pyproject.toml"
    assert config.max_chain_hops == 3
    assert config.ignore_hosts == ("api.stripe.com",)


def test_pyproject_without_the_table_is_passed_over(repo: Path) -> None:
    write(repo / "pyproject.toml", GOOD)
    write(repo / "services" / "orders" / "pyproject.toml", "[project]\nname = 'orders'\n")
    assert find_config(repo / "services" / "orders") == repo / "pyproject.toml"


def test_couplint_toml_uses_the_top_level(repo: Path) -> None:
    write(repo / "couplint.toml", 'shared-domain-packages = ["dom"]\n')
    assert load_config().shared_domain_packages == ("dom",)


def test_no_config_means_defaults(repo: Path) -> None:
    assert load_config() == Config()


def test_falls_back_to_the_linted_path(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    write(other / "couplint.toml", "service = 'x'\n")
    assert load_config(linted=[str(other / "app.py")]).service == "x"


def test_longest_path_wins_and_service_overrides(repo: Path) -> None:
    write(repo / "pyproject.toml", GOOD)
    config = load_config()
    assert config.service_for("services/orders/app.py") == "orders"
    assert config.service_for("services/orders/api/v1.py") == "orders_api"
    assert config.service_for("services/ordersx/app.py") is None
    assert config.service_for("scripts/tool.py") is None
    assert Config(service="solo").service_for("anything.py") == "solo"


@pytest.mark.parametrize(
    ("ref", "owner"),
    [
        ("orders", "orders"),
        ("ORDERS", "orders"),
        ("public.orders", "orders"),  # qualified reference matches an unqualified entry
        ("invoices", "orders"),  # unqualified reference matches `s.t`
        ("billing.invoices", "orders"),
        ("other.invoices", None),
        ("payments.refunds", "billing"),  # `s.*`
        ("refunds", None),
        ("db.payments.refunds", "billing"),
        ('"payments"."refunds"', "billing"),
        ("information_schema.invoices", None),  # a catalog view, not the service's table
        ("pg_catalog.orders", None),
    ],
)
def test_table_matching(repo: Path, ref: str, owner: str | None) -> None:
    write(repo / "pyproject.toml", GOOD)
    assert load_config().table_owner(ref) == owner


def test_catalog_services_are_merged_and_may_live_elsewhere(repo: Path) -> None:
    write(
        repo / "platform" / "services.toml",
        '[services.billing]\npaths = ["../../billing-repo"]\ntables = ["invoices"]\n'
        '[services.search]\npackages = ["search"]\n',
    )
    write(
        repo / "pyproject.toml",
        '[tool.couplint]\nservice = "orders"\ncatalog = ["platform/services.toml"]\n'
        '[tool.couplint.services.billing]\ntables = ["payments"]\n',
    )
    config = load_config()
    billing = config.service_named("billing")
    assert billing == ServiceConfig(name="billing", tables=("payments",))  # local replaces
    search = config.service_named("search")
    assert search is not None and search.from_catalog and search.packages == ("search",)


def error_of(repo: Path, text: str, name: str = "pyproject.toml") -> str:
    write(repo / name, text)
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[tool.couplint]\nshared-domain = ['x']\n", "tool.couplint.shared-domain: unknown key"),
        (
            "[tool.couplint]\nmax-chain-hops = 'two'\n",
            "tool.couplint.max-chain-hops: expected an integer, got str",
        ),
        (
            "[tool.couplint]\nmax-chain-hops = true\n",
            "tool.couplint.max-chain-hops: expected an integer, got bool",
        ),
        (
            "[tool.couplint]\nmax-chain-hops = 0\n",
            "tool.couplint.max-chain-hops: must be at least 1",
        ),
        (
            "[tool.couplint]\nignore-hosts = ['a', 1]\n",
            "tool.couplint.ignore-hosts: expected a list of strings, got list",
        ),
        (
            "[tool.couplint]\nservice = ['x']\n",
            "tool.couplint.service: expected a string, got list",
        ),
        (
            "[tool.couplint.services.orders]\ntabels = ['x']\n",
            "tool.couplint.services.orders.tabels: unknown key",
        ),
        (
            "[tool.couplint.services.orders]\npaths = ['services/nope']\n",
            "tool.couplint.services.orders.paths: 'services/nope' does not exist",
        ),
        (
            "[tool.couplint.services.a]\nhosts = ['api:80']\n[tool.couplint.services.b]\n"
            "hosts = ['API:80']\n",
            "tool.couplint.services.b.hosts: host 'API:80' is also claimed by service 'a'",
        ),
        ("[tool.couplint\nservice = 'x'\n", "(syntax): invalid TOML: "),
        ("[tool.couplint]\nservices = 3\n", "tool.couplint.services: expected a table, got int"),
    ],
)
def test_errors_name_file_and_key(repo: Path, text: str, expected: str) -> None:
    message = error_of(repo, text)
    assert message.startswith("pyproject.toml: ")
    assert expected in message


def test_toml_syntax_error_gives_its_line(repo: Path) -> None:
    message = error_of(repo, "[tool.couplint]\nservice = \n")
    assert "line 2" in message


def test_catalog_errors_name_the_catalog(repo: Path) -> None:
    write(repo / "cat.toml", "[services.x]\nhosts = 'h'\n")
    message = error_of(repo, "[tool.couplint]\ncatalog = ['cat.toml']\n")
    assert message == "cat.toml: services.x.hosts: expected a list of strings, got str"
    write(repo / "cat.toml", "owner = 'me'\n")
    message = error_of(repo, "[tool.couplint]\ncatalog = ['cat.toml']\n")
    assert message == "cat.toml: owner: unknown key (a catalog holds [services.*])"
    message = error_of(repo, "[tool.couplint]\ncatalog = ['missing.toml']\n")
    assert message == "pyproject.toml: tool.couplint.catalog: 'missing.toml' is not a file"


def test_explicit_pyproject_without_table(repo: Path) -> None:
    path = write(repo / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"tool.couplint: no \[tool.couplint\] table"):
        load_config(path)


def test_couplint_toml_keys_have_no_prefix(repo: Path) -> None:
    assert error_of(repo, "colour = 1\n", "couplint.toml") == "couplint.toml: colour: unknown key"


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("services/orders/tests/helpers.py", True),
        ("services/orders/test/x.py", False),  # design.md: `tests/`; django.test is code
        ("services/orders/test_api.py", True),
        ("services/orders/api_test.py", True),
        ("services/orders/conftest.py", True),
        ("services/orders/orders/tests.py", True),  # a Django app's tests (found on kpi)
        ("services/orders/orders/tests_helper.py", False),
        ("services/orders/testing.py", False),
        ("services/orders/contest.py", False),
        ("services/latest/app.py", False),
    ],
)
def test_test_files(path: str, is_test: bool) -> None:
    assert Config().is_test_file(path) is is_test
    assert Config(include_tests=True).is_test_file(path) is False


@pytest.mark.parametrize(
    ("module", "own", "expected"),
    [
        ("acme_domain", "shipping", ("acme_domain", None)),
        ("acme_domain.events.X", "shipping", ("acme_domain", None)),
        ("acme_domainx", "shipping", None),
        ("acme_logging.json", "shipping", None),
        ("acme.inventory.stock", "shipping", ("acme.inventory", "inventory")),
        ("acme.core", "shipping", ("acme", None)),
        ("app.settings", "shipping", None),  # own `app` first
        ("app.settings", "orders", None),  # claimed by two other services: ambiguous
        ("orders.models", "shipping", ("orders", "orders")),
        ("orders.models", "orders", None),
    ],
)
def test_package_owner(module: str, own: str, expected: tuple[str, str | None] | None) -> None:
    config = Config(
        shared_domain_packages=("acme_domain", "acme"),
        allowed_shared_packages=("acme_logging",),
        services=(
            ServiceConfig("inventory", packages=("acme.inventory", "app")),
            ServiceConfig("shipping", packages=("app",)),
            ServiceConfig("payments", packages=("app",)),
            ServiceConfig("orders", packages=("orders",)),
        ),
    )
    owner = config.package_owner(module, own)
    assert (None if owner is None else (owner.package, owner.service)) == expected
