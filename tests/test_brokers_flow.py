# ruff: noqa: E501  (source snippets read best one statement a line)
"""Brokers through the value flow: destinations through wrappers and env vars, owned
destinations (`topics`/`queues`) linking services, and request/reply as a synchronous call."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.config import Config, ConfigError, ServiceConfig, load_config
from couplint_ast.facts.types import FileFacts
from couplint_ast.testing import facts, lint
from tests.helpers import cli_runner, make_repo

SYSTEM = Config(
    services=(
        ServiceConfig("orders", paths=(), queues=("orders.rpc",), topics=("orders.*",)),
        ServiceConfig("shipping", queues=("SHIPPING_QUEUE_URL", "pickups")),
        ServiceConfig("web", hosts=("web",)),
    ),
    service="web",
)

WRAPPER = """
    import os
    import boto3
    import pika

    channel = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"])).channel()
    sqs = boto3.client("sqs")

    def publish(exchange, routing_key, body):
        channel.basic_publish(exchange=exchange, routing_key=routing_key, body=body)

    def placed(order):
        publish("orders.events", "orders.placed", order)

    def pickup(order):
        publish("", "pickups", order)

    def later(order):
        sqs.send_message(QueueUrl=os.environ["SHIPPING_QUEUE_URL"], MessageBody=order)

    def computed(kind, order):
        publish(kind.upper(), "", order)
"""


def _destinations(code: str) -> list[tuple[int, str, tuple[str, ...], str, bool]]:
    return [
        (b.span.line, b.via, b.destinations, " | ".join(t.shown() for t in b.targets), b.forwarded)
        for b in facts(code).brokers
    ]


def test_a_wrapper_publishes_to_what_each_caller_names() -> None:
    assert _destinations(WRAPPER) == [
        (10, "", (), "{exchange}", True),  # the wrapper's own: its callers choose
        (13, "publish", ("orders.events",), "orders.events", False),
        (16, "publish", ("pickups",), "pickups", False),  # default exchange: the routing key
        (22, "publish", (), "{?}", False),  # computed: unknown, never a guess
        (19, "", (), "${SHIPPING_QUEUE_URL}", False),  # an SQS QueueUrl from an env var
    ]


def test_broker_facts_survive_a_json_round_trip() -> None:
    found = facts(WRAPPER)
    assert found.brokers
    assert FileFacts.from_json(json.loads(json.dumps(found.to_json()))) == found


def test_a_publish_is_never_a_call() -> None:
    assert facts(WRAPPER).calls == ()
    assert lint(WRAPPER, ("CPL",), SYSTEM, "web/events.py") == []


RPC = """
    import uuid
    import pika
    from celery import Celery

    app = Celery("web")

    class Rpc:
        def __init__(self):
            self.connection = pika.BlockingConnection(pika.ConnectionParameters("rabbit"))
            self.channel = self.connection.channel()

        def call(self, n):
            self.response = None
            self.channel.basic_publish(exchange="", routing_key="orders.rpc", properties=pika.BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id=str(uuid.uuid4())), body=n)
            while self.response is None:
                self.connection.process_data_events(time_limit=None)
            return self.response

        def bounded(self, n):
            props = pika.BasicProperties(reply_to="amq.rabbitmq.reply-to")
            self.channel.basic_publish(exchange="", routing_key="orders.rpc", properties=props, body=n)
            self.connection.process_data_events(time_limit=3)
            return self.response

        def fire(self, n):
            props = pika.BasicProperties(reply_to="amq.rabbitmq.reply-to")
            self.channel.basic_publish(exchange="", routing_key="orders.rpc", properties=props, body=n)

        def plain(self, n):
            self.channel.basic_publish(exchange="", routing_key="orders.rpc", body=n)
            while self.response is None:
                self.connection.process_data_events()

    def total(order):
        return app.send_task("orders.tasks.total", args=[order]).get()

    def total_within(order):
        result = app.send_task("orders.tasks.total", args=[order])
        return result.get(timeout=5)

    def later(order):
        app.send_task("orders.tasks.total", args=[order])
"""
ORDERS_WITH_TASKS = Config(
    service="web",
    services=(
        ServiceConfig("orders", packages=("orders",), queues=("orders.rpc",)),
        ServiceConfig("web", hosts=("web",)),
    ),
)


def test_request_reply_is_a_synchronous_call_with_its_timeout() -> None:
    found = lint(RPC, ("CPL3",), ORDERS_WITH_TASKS, "web/rpc.py")
    assert found == [
        (15, 8, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with pika"),
        (15, 8, "CPL302", "pika.channel.basic_publish() has no timeout"),
        (
            15,
            8,
            "CPL303",
            "call to service 'orders' over 'orders.rpc' is not guarded by a circuit breaker",
        ),
        (22, 8, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with pika"),
        (
            22,
            8,
            "CPL303",
            "call to service 'orders' over 'orders.rpc' is not guarded by a circuit breaker",
        ),
        (
            36,
            11,
            "CPL301",
            "synchronous call to service 'orders' over 'orders.tasks.total' with celery",
        ),
        (36, 11, "CPL302", "celery.Celery.send_task() has no timeout"),
        (
            36,
            11,
            "CPL303",
            "call to service 'orders' over 'orders.tasks.total' is not guarded by a circuit breaker",
        ),
        (
            39,
            13,
            "CPL301",
            "synchronous call to service 'orders' over 'orders.tasks.total' with celery",
        ),
        (
            39,
            13,
            "CPL303",
            "call to service 'orders' over 'orders.tasks.total' is not guarded by a circuit breaker",
        ),
    ]
    # `fire` asks for a reply nobody here awaits, `plain` asks for none, `later` awaits
    # nothing: publishes, asynchronous.


def test_aio_pika_future_and_a_wrapped_request() -> None:
    code = """
        import asyncio
        import aio_pika

        async def ask(queue, n):
            channel = await (await aio_pika.connect_robust("amqp://rabbit/")).channel()
            future = asyncio.get_running_loop().create_future()
            message = aio_pika.Message(n, reply_to="amq.rabbitmq.reply-to", correlation_id="1")
            await channel.default_exchange.publish(message, routing_key=queue)
            return await future

        async def ask_within(n):
            channel = await (await aio_pika.connect_robust("amqp://rabbit/")).channel()
            future = asyncio.get_running_loop().create_future()
            message = aio_pika.Message(n, reply_to="amq.rabbitmq.reply-to")
            await channel.default_exchange.publish(message, routing_key="orders.rpc")
            return await asyncio.wait_for(future, timeout=2)

        async def order():
            return await ask("orders.rpc", b"1")
    """
    found = lint(code, ("CPL301", "CPL302"), ORDERS_WITH_TASKS, "web/rpc.py")
    assert found == [
        (9, 10, "CPL302", "aio_pika.Exchange.publish() has no timeout"),  # judged in the wrapper
        (16, 10, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with aio_pika"),
        (
            20,
            17,
            "CPL301",
            "synchronous call to service 'orders' over 'orders.rpc' through 'ask' with aio_pika",
        ),
    ]


def test_nats_request_waits_with_its_default_timeout() -> None:
    code = """
        import nats

        async def ask():
            nc = await nats.connect("nats://nats:4222")
            await nc.request("orders.rpc", b"", timeout=None)
            return await nc.request("orders.rpc", b"")
    """
    found = lint(code, ("CPL301", "CPL302"), ORDERS_WITH_TASKS, "web/rpc.py")
    assert found == [
        (6, 10, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with nats"),
        (6, 10, "CPL302", "nats.Client.request() has its timeout disabled (None)"),
        (7, 17, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with nats"),
    ]


def test_a_request_to_a_queue_nobody_owns_is_unresolved_not_a_guess() -> None:
    code = RPC.replace('"orders.rpc"', '"billing.rpc"')
    found = lint(code, ("CPL301", "CPL305"), ORDERS_WITH_TASKS, "web/rpc.py")
    assert found[:2] == [
        (
            15,
            8,
            "CPL305",
            "call target is not resolved: destination 'billing.rpc' (add it to a service's queues or topics)",
        ),
        (
            22,
            8,
            "CPL305",
            "call target is not resolved: destination 'billing.rpc' (add it to a service's queues or topics)",
        ),
    ]
    assert all(code != "CPL301" or "orders.tasks" in m for _, _, code, m in found)


# -- bad input: no crash, bounded time, unknown rather than a guess ---------------------------
BAD = {
    "recursive wrapper": "import pika\nch = pika.BlockingConnection(p).channel()\ndef pub(ex, key):\n    ch.basic_publish(exchange=ex, routing_key=key, body=b'')\n    pub(ex, key)\ndef f():\n    pub('a', 'b')\n",
    "mutually recursive wrappers": "import pika\nch = pika.BlockingConnection(p).channel()\ndef a(x):\n    b(x)\n    ch.basic_publish(exchange=x, routing_key='', body=b'')\ndef b(y):\n    a(y)\n",
    "computed exchange": "import pika\nch = pika.BlockingConnection(p).channel()\ndef pub(ex):\n    ch.basic_publish(exchange=ex, routing_key='', body=b'')\nfor i in range(3):\n    pub(str(i) * 2)\n",
    "starred arguments": "import pika\nch = pika.BlockingConnection(p).channel()\ndef pub(*args, **kw):\n    ch.basic_publish(*args, **kw)\npub('a', 'b', b'')\n",
    "reply words everywhere": "import pika\nch = pika.BlockingConnection(p).channel()\nx = y = None\nx = y\ny = x\ndef f():\n    ch.basic_publish('', 'q', b'', x)\n    while f():\n        ch.connection.process_data_events()\n",
}


@pytest.mark.parametrize("code", BAD.values(), ids=list(BAD))
def test_bad_input_names_no_destination_it_cannot_know(code: str) -> None:
    start = time.monotonic()
    found = facts(code)
    assert time.monotonic() - start < 5
    named = {d for b in found.brokers for d in b.destinations}
    assert named <= {"a", "q"}  # only what a caller literally names
    assert lint(code, ("CPL",), SYSTEM, "web/x.py") == []


def test_recursive_wrapper_binds_only_its_literal_caller() -> None:
    found = facts(BAD["recursive wrapper"]).brokers
    # The wrapper's own publish is its callers' to name; its call of itself adds nothing.
    assert [(b.span.line, b.destinations) for b in found if not b.forwarded] == [(7, ("a",))]


# -- config ------------------------------------------------------------------------------------
def test_topics_and_queues_are_config_keys(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "couplint.toml").write_text(
        '[services.s]\npaths = ["s"]\ntopics = ["s.*"]\nqueues = ["s.rpc", "S_QUEUE_URL"]\n'
    )
    svc = load_config(tmp_path / "couplint.toml").services[0]
    assert (svc.topics, svc.queues) == (("s.*",), ("s.rpc", "S_QUEUE_URL"))
    (tmp_path / "couplint.toml").write_text('[services.s]\npaths = ["s"]\ntopics = "s.*"\n')
    with pytest.raises(
        ConfigError, match=r"couplint.toml: services.s.topics: expected a list of strings, got str"
    ):
        load_config(tmp_path / "couplint.toml")
    (tmp_path / "couplint.toml").write_text('[services.s]\npaths = ["s"]\nqueue = ["s.rpc"]\n')
    with pytest.raises(
        ConfigError, match=r"services.s.queue: unknown key \(did you mean 'queues'\?\)"
    ):
        load_config(tmp_path / "couplint.toml")


def test_destination_owner_globs_env_vars_and_ambiguity() -> None:
    config = Config(
        services=(
            ServiceConfig("orders", topics=("orders.*",), queues=("ORDERS_QUEUE_URL",)),
            ServiceConfig("a", queues=("shared",)),
            ServiceConfig("b", queues=("shared",)),
        )
    )
    assert config.destination_owner("orders.placed") == "orders"
    assert config.destination_owner("Orders.placed") is None  # broker names keep their case
    assert config.destination_owner("ORDERS_QUEUE_URL") == "orders"
    assert config.destination_owner("shared") is None  # two others claim it
    assert config.destination_owner("shared", "a") == "a"  # the own service first


# -- the CLI, the graph and the audit -----------------------------------------------------------
CONFIG = """
[tool.couplint]
[tool.couplint.services.orders]
paths = ["orders"]
topics = ["orders.*"]
queues = ["orders.rpc"]
[tool.couplint.services.shipping]
paths = ["shipping"]
queues = ["pickups", "SHIPPING_QUEUE_URL"]
[tool.couplint.services.web]
paths = ["web"]
"""
FILES = {
    "web/web/events.py": textwrap.dedent(WRAPPER),
    "web/web/rpc.py": textwrap.dedent(
        """\
        import pika

        class Rpc:
            def __init__(self):
                self.connection = pika.BlockingConnection(pika.ConnectionParameters("rabbit"))
                self.channel = self.connection.channel()

            def order(self, n):
                props = pika.BasicProperties(reply_to="amq.rabbitmq.reply-to")
                self.channel.basic_publish(exchange="", routing_key="orders.rpc", properties=props, body=n)
                while self.response is None:
                    self.connection.process_data_events(time_limit=None)
                return self.response
        """
    ),
    "orders/orders/consumer.py": (
        "import pika\nch = pika.BlockingConnection(p).channel()\n\n\n"
        "def serve():\n    ch.basic_consume(queue='orders.rpc', on_message_callback=print)\n"
    ),
    "shipping/shipping/consumer.py": (
        "import pika\nch = pika.BlockingConnection(p).channel()\n\n\n"
        "def serve():\n    ch.basic_consume(queue='pickups', on_message_callback=print)\n"
        "    ch.basic_consume(queue='orders.placed', on_message_callback=print)\n"
    ),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path, FILES, CONFIG)


def test_check_reports_the_request_reply_and_nothing_for_publishes(repo: Path) -> None:
    result = cli_runner().invoke(main, ["check", "--no-cache"])
    assert result.stdout.splitlines() == [
        "web/web/rpc.py:10:9: CPL301 synchronous call to service 'orders' over 'orders.rpc' with pika",
        "web/web/rpc.py:10:9: CPL302 pika.channel.basic_publish() has no timeout",
        "web/web/rpc.py:10:9: CPL303 call to service 'orders' over 'orders.rpc' is not guarded by a circuit breaker",
    ]


def test_flake8_reports_the_request_reply(repo: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=CPL", "-j1", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(result.stdout.splitlines()) == [
        "./web/web/rpc.py:10:9: CPL301 synchronous call to service 'orders' over 'orders.rpc' with pika",
        "./web/web/rpc.py:10:9: CPL302 pika.channel.basic_publish() has no timeout",
        "./web/web/rpc.py:10:9: CPL303 call to service 'orders' over 'orders.rpc' is not guarded by a circuit breaker",
    ]


def test_graph_links_publishers_consumers_and_owners(repo: Path) -> None:
    graph = json.loads(cli_runner().invoke(main, ["graph", "--format", "json"]).stdout)
    edges = sorted(
        (e["source"], e["target"], e["kind"], ev["line"], ev["detail"])
        for e in graph["edges"]
        for ev in e["evidence"]
    )
    assert edges == [
        (
            "service:orders",
            "topic:orders.rpc",
            "consumes",
            6,
            "consumes 'orders.rpc' via pika.channel.basic_consume",
        ),
        (
            "service:shipping",
            "service:orders",
            "consumes",
            7,
            "consumes 'orders.placed' via pika.channel.basic_consume (owned by 'orders')",
        ),
        (
            "service:shipping",
            "topic:orders.placed",
            "consumes",
            7,
            "consumes 'orders.placed' via pika.channel.basic_consume",
        ),
        (
            "service:shipping",
            "topic:pickups",
            "consumes",
            6,
            "consumes 'pickups' via pika.channel.basic_consume",
        ),
        ("service:web", "service:orders", "call", 10, "orders.rpc via pika.channel.basic_publish"),
        (
            "service:web",
            "service:orders",
            "publishes",
            13,
            "publishes 'orders.events' via pika.channel.basic_publish through 'publish' (owned by 'orders')",
        ),
        (
            "service:web",
            "service:shipping",
            "publishes",
            16,
            "publishes 'pickups' via pika.channel.basic_publish through 'publish' (owned by 'shipping')",
        ),
        (
            "service:web",
            "service:shipping",
            "publishes",
            19,
            "publishes '${SHIPPING_QUEUE_URL}' via boto3.sqs.send_message (owned by 'shipping')",
        ),
        (
            "service:web",
            "topic:${SHIPPING_QUEUE_URL}",
            "publishes",
            19,
            "publishes '${SHIPPING_QUEUE_URL}' via boto3.sqs.send_message",
        ),
        (
            "service:web",
            "topic:orders.events",
            "publishes",
            13,
            "publishes 'orders.events' via pika.channel.basic_publish through 'publish'",
        ),
        (
            "service:web",
            "topic:pickups",
            "publishes",
            16,
            "publishes 'pickups' via pika.channel.basic_publish through 'publish'",
        ),
        (
            "service:web",
            "unknown:unresolved target",
            "publishes",
            22,
            "publishes via pika.channel.basic_publish through 'publish' (a value computed at run time)",
        ),
    ]


def test_audit_shows_owned_destinations_the_request_and_the_unknown(repo: Path) -> None:
    text = cli_runner().invoke(main, ["audit"]).stdout
    web = text.split("\nweb\n", 1)[1]
    assert "  service 'orders'\n" in web
    assert (
        "    can run while it is down?                          no: 1 call, 0 with timeout, 0 behind a circuit breaker\n"
        in web
    )
    assert (
        "    can deploy without it?                             yes: asynchronous: publishes (2 places) what it owns\n"
        in web
    )
    assert (
        "    its contract controls when this service deploys?   partly: the message format of '${SHIPPING_QUEUE_URL}', 'pickups'\n"
        in web
    )
    assert (
        "    can deploy without it?                             unknown: 1 message destination couplint cannot name (a value computed at run time)\n"
        in web
    )
    shipping = text.split("\nshipping\n", 1)[1].split("\nweb\n", 1)[0]
    assert (
        "    can deploy without it?                             yes: asynchronous: consumes (1 place) what it owns\n"
        in shipping
    )
    assert (
        "    can run while it is down?                          yes: nothing arrives while the owner is down, nothing fails\n"
        in shipping
    )


def test_a_server_answering_a_request_publishes_to_no_one() -> None:
    code = """
        import pika

        def on_request(ch, method, properties, body):
            ch.basic_publish(exchange="", routing_key=properties.reply_to, body=b"ok")

        channel = pika.BlockingConnection(pika.ConnectionParameters("rabbit")).channel()
        channel.basic_consume(queue="orders.rpc", on_message_callback=on_request)
    """
    found = facts(code).brokers
    assert [(b.operation, b.destinations, len(b.targets)) for b in found] == [
        ("consume", ("orders.rpc",), 1),
    ]


def test_a_client_class_bound_at_its_construction_asks_its_queue() -> None:
    # pika's own module path, `self.x` from the constructor, the wait in a loop.
    code = """
        import json
        from pika.adapters.blocking_connection import BlockingConnection
        from pika.connection import ConnectionParameters
        from pika.spec import BasicProperties

        class RpcClient:
            def __init__(self, exchange_name, routing_key):
                self._exchange_name = exchange_name
                self._routing_key = routing_key
                self._connection = BlockingConnection(ConnectionParameters("rabbit"))
                self._channel = self._connection.channel()

            def request(self, body):
                self._response = None
                properties = BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id="1")
                self._channel.basic_publish(self._exchange_name, self._routing_key, json.dumps(body), properties)
                while self._response is None:
                    self._connection.process_data_events(time_limit=None)
                return self._response

        orders = RpcClient("orders.rpc", "rpc")
    """
    assert lint(code, ("CPL301", "CPL302"), ORDERS_WITH_TASKS, "web/rpc.py") == [
        (17, 8, "CPL301", "synchronous call to service 'orders' over 'orders.rpc' with pika"),
        (17, 8, "CPL302", "pika.channel.basic_publish() has no timeout"),
    ]


ACROSS_MODULES = {
    "orders/orders/__init__.py": "",
    "billing/billing/__init__.py": "",
    "orders/orders/events.py": (
        "import pika\n\nchannel = pika.BlockingConnection(pika.ConnectionParameters('mq'))"
        ".channel()\n\n\ndef publish_event(exchange, routing_key, body):\n"
        "    channel.basic_publish(exchange=exchange, routing_key=routing_key, body=body)\n"
    ),
    "orders/orders/config.py": 'INVOICES = "billing.invoices"\n',
    "orders/orders/api.py": (
        "from .config import INVOICES\nfrom .events import publish_event\n\n\n"
        "def place(order):\n"
        '    publish_event("orders.events", "order.created", b"{}")\n'
        '    publish_event("", INVOICES, b"{}")\n'
    ),
}
ACROSS_CONFIG = """
[tool.couplint]
[tool.couplint.services.orders]
paths = ["orders"]
packages = ["orders"]
topics = ["orders.*"]
[tool.couplint.services.billing]
paths = ["billing"]
packages = ["billing"]
queues = ["billing.invoices"]
"""


def test_a_wrapper_of_another_module_publishes_to_what_each_caller_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wrapper's own publish is drawn at its callers, with the queue an imported
    # constant names; flake8, which sees one file, reports nothing (publishing is async).
    make_repo(tmp_path, ACROSS_MODULES, ACROSS_CONFIG)
    monkeypatch.chdir(tmp_path)
    result = cli_runner().invoke(main, ["graph", "--format", "json"])
    edges = {
        (e["source"], e["target"], x["path"], x["line"], x["detail"])
        for e in json.loads(result.stdout)["edges"]
        for x in e["evidence"]
    }
    via = "via pika.channel.basic_publish through 'publish_event'"
    assert edges == {
        (
            "service:orders",
            "topic:orders.events",
            "orders/orders/api.py",
            6,
            f"publishes 'orders.events' {via}",
        ),
        (
            "service:orders",
            "topic:billing.invoices",
            "orders/orders/api.py",
            7,
            f"publishes 'billing.invoices' {via}",
        ),
        (
            "service:orders",
            "service:billing",
            "orders/orders/api.py",
            7,
            f"publishes 'billing.invoices' {via} (owned by 'billing')",
        ),
    }
    assert cli_runner().invoke(main, ["check"]).stdout == ""


def test_a_request_to_a_queue_from_an_env_var_points_to_queues() -> None:
    code = RPC.replace('"orders.rpc"', 'os.environ["RPC_QUEUE"]').replace(
        "    import pika", "    import os\n    import pika", 1
    )
    message = (
        "call target is not resolved: env var 'RPC_QUEUE' (add it to a service's queues or topics)"
    )
    assert lint(code, ("CPL305",), ORDERS_WITH_TASKS, "web/rpc.py") == [
        (16, 8, "CPL305", message),
        (23, 8, "CPL305", message),
    ]
