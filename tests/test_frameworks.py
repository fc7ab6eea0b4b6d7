"""Coupling that frameworks hide: nameko events link the dispatching and handling services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.testing import facts
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]
[tool.couplint.services.orders]
paths = ["orders"]
hosts = ["orders"]
[tool.couplint.services.products]
paths = ["products"]
hosts = ["products"]
"""
FILES = {
    "orders/service.py": (
        "from nameko.events import EventDispatcher\n"
        "from nameko.rpc import RpcProxy, rpc\n\n\n"
        "class OrdersService:\n"
        '    name = "orders"\n'
        "    dispatch = EventDispatcher()\n"
        '    products_rpc = RpcProxy("products")\n\n'
        "    @rpc\n"
        "    def create_order(self, details):\n"
        "        self.products_rpc.reserve.call_async(details)  # not awaited: asynchronous\n"
        '        self.dispatch("order_created", {"order": details})\n'
    ),
    "products/service.py": (
        "from nameko.events import event_handler\n\n\n"
        "class ProductsService:\n"
        '    name = "products"\n\n'
        '    @event_handler("orders", "order_created")\n'
        "    def handle_order_created(self, payload):\n"
        "        return payload\n"
    ),
}


def test_nameko_events_link_dispatcher_and_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, FILES, CONFIG)
    checked = cli_runner().invoke(main, ["check"])
    assert (checked.exit_code, checked.stdout) == (0, "")  # events and call_async: no sync call
    graph = json.loads(cli_runner().invoke(main, ["graph", "--format", "json"]).stdout)
    assert sorted((e["source"], e["target"], e["kind"]) for e in graph["edges"]) == [
        ("service:orders", "topic:orders.order_created", "publishes"),
        ("service:products", "topic:orders.order_created", "consumes"),
    ]


def test_an_event_whose_service_is_unknown_names_no_topic() -> None:
    # A dispatcher in a class with no `name` has no service to route by, and a computed
    # event type has no name: a publish all the same, with no destination guessed.
    found = facts(
        "from nameko.events import EventDispatcher\n\n"
        "class Helper:\n"
        "    dispatch = EventDispatcher()\n\n"
        "    def send(self, kind):\n"
        '        self.dispatch("order_created", {})\n'
        "        self.dispatch(kind, {})\n"
    )
    assert [(b.operation, b.destinations) for b in found.brokers] == [
        ("publish", ()),
        ("publish", ()),
    ]
