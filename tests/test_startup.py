"""CPL401: each start-up context, its near misses, and what the start-up facts record."""

from __future__ import annotations

from textwrap import dedent

import pytest

from couplint_ast import testing
from couplint_ast.facts import FileFacts
from couplint_ast.facts.extract import extract_facts
from couplint_ast.facts.types import Region, StartupFact
from couplint_ast.model import Span
from couplint_ast.parse import parse_module
from couplint_ast.rules.base import EXAMPLE_PATH

HEAD = "import requests\n\nURL = 'http://orders-api/prices'\n\n\n"
TO_ORDERS = "start-up call to service 'orders'"


def lint(source: str) -> list[tuple[int, int, str]]:
    """(line, col, message) of CPL401; the prefilter must not change the answer."""
    return [(line, col, m) for line, col, _, m in testing.lint(source, ("CPL401",))]


def startup_facts(source: str) -> tuple[StartupFact, ...]:
    module = parse_module(source)
    assert module is not None
    return extract_facts(module, EXAMPLE_PATH).startup


def case(body: str) -> str:
    return HEAD + dedent(body)


CASES = [
    # (source after HEAD, expected (line, col, context) list); HEAD is 5 lines.
    ("PRICES = requests.get(URL, timeout=2)\n", [(6, 9, "at import time")]),
    (
        "class Prices:\n    TABLE = requests.get(URL, timeout=2).json()\n",
        [(7, 12, "at import time")],
    ),
    (
        'if __name__ == "__main__":\n    requests.get(URL, timeout=2)\n',
        [(7, 4, "at import time")],
    ),
    (
        """\
        def main():
            requests.get(URL, timeout=2)


        if __name__ == "__main__":
            main()
        """,
        [(7, 4, "in 'main', called from module-level code")],
    ),
    (
        """\
        @app.on_event("startup")
        async def warm():
            requests.get(URL, timeout=2)


        @app.on_event("shutdown")
        async def bye():
            requests.post(URL, timeout=2)
        """,
        [(8, 4, "in startup handler 'warm'")],
    ),
    (
        """\
        from contextlib import asynccontextmanager
        from fastapi import FastAPI


        def load():
            return requests.get(URL, timeout=2)


        def unload():
            requests.delete(URL, timeout=2)


        @asynccontextmanager
        async def lifespan(app):
            load()
            later = lambda: requests.get(URL, timeout=2)
            yield
            unload()
            requests.post(URL, timeout=2)


        app = FastAPI(lifespan=lifespan)
        """,
        [
            (11, 11, "in 'load', called from lifespan 'lifespan'"),
        ],
    ),
    (
        """\
        from starlette.applications import Starlette


        def warm():
            requests.get(URL, timeout=2)


        def bye():
            requests.post(URL, timeout=2)


        app = Starlette(on_startup=[warm], on_shutdown=[bye])
        """,
        [(10, 4, "in startup handler 'warm'")],
    ),
    (
        """\
        def warm():
            requests.get(URL, timeout=2)


        def bye():
            requests.post(URL, timeout=2)


        app.add_event_handler("startup", warm)
        app.add_event_handler("shutdown", bye)
        """,
        [(7, 4, "in startup handler 'warm'")],
    ),
    (
        """\
        @app.before_first_request
        def prime():
            requests.get(URL, timeout=2)


        @app.before_request
        def per_request():
            requests.get(URL, timeout=2)


        def also_prime():
            requests.put(URL, timeout=2)


        app.before_first_request(also_prime)
        """,
        [
            (8, 4, "in before_first_request handler 'prime'"),
            (17, 4, "in before_first_request handler 'also_prime'"),
        ],
    ),
    (
        """\
        @app.before_serving
        async def prime():
            requests.get(URL, timeout=2)


        @app.after_serving
        async def close():
            requests.post(URL, timeout=2)


        @app.while_serving
        async def around():
            requests.put(URL, timeout=2)
            yield
            requests.delete(URL, timeout=2)
        """,
        [
            (8, 4, "in before_serving handler 'prime'"),
            (18, 4, "in while_serving handler 'around'"),
        ],
    ),
    (
        """\
        from flask import Flask


        def _load_prices():
            return requests.get(URL, timeout=2).json()


        def create_app():
            app = Flask(__name__)
            app.config["PRICES"] = _load_prices()
            requests.post(URL, timeout=2)

            @app.route("/prices")
            def prices():
                return requests.get(URL, timeout=2).json()

            return app
        """,
        [
            (10, 11, "in '_load_prices', called from app factory 'create_app'"),
            (16, 4, "in app factory 'create_app'"),
        ],
    ),
    (
        """\
        from django.apps import AppConfig


        class OrdersClientConfig(AppConfig):
            name = "shipping"

            def ready(self):
                self._prime()

            def _prime(self):
                requests.get(URL, timeout=2)

            def other(self):
                requests.get(URL, timeout=2)


        class NotAnAppConfig:
            def ready(self):
                requests.get(URL, timeout=2)
        """,
        [
            (
                16,
                8,
                "in 'OrdersClientConfig._prime', called from"
                " Django AppConfig.ready of 'OrdersClientConfig'",
            )
        ],
    ),
    (
        """\
        from celery import signals
        from celery.signals import worker_init, worker_process_init, worker_shutdown
        from django.db.models.signals import post_save


        @worker_init.connect
        def on_init(**kwargs):
            requests.get(URL, timeout=2)


        @signals.worker_ready.connect(weak=False)
        def on_ready(**kwargs):
            requests.get(URL, timeout=2)


        def per_process(**kwargs):
            requests.get(URL, timeout=2)


        worker_process_init.connect(per_process)


        @worker_shutdown.connect
        def on_shutdown(**kwargs):
            requests.post(URL, timeout=2)


        @post_save.connect
        def on_save(**kwargs):
            requests.post(URL, timeout=2)
        """,
        [
            (13, 4, "in Celery worker_init handler 'on_init'"),
            (18, 4, "in Celery worker_ready handler 'on_ready'"),
            (22, 4, "in Celery worker_process_init handler 'per_process'"),
        ],
    ),
    (
        """\
        from aiohttp import web


        async def warm(app):
            requests.get(URL, timeout=2)


        async def context(app):
            requests.get(URL, timeout=2)
            yield
            requests.post(URL, timeout=2)


        app = web.Application()
        app.on_startup.append(warm)
        app.cleanup_ctx.append(context)
        app.on_shutdown.append(context)
        """,
        [
            (10, 4, "in aiohttp on_startup handler 'warm'"),
            (14, 4, "in aiohttp cleanup_ctx 'context'"),
        ],
    ),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[c[1][0][2] for c in CASES])
def test_each_startup_context(body: str, expected: list[tuple[int, int, str]]) -> None:
    want = [(line, col, f"{TO_ORDERS} {context}") for line, col, context in expected]
    assert lint(case(body)) == want


NEAR_MISSES = [
    # A request handler, a plain function, a lambda at module level, a function only
    # defined: none runs at start-up.
    "@app.get('/prices')\ndef prices():\n    return requests.get(URL, timeout=2).json()\n",
    "def refresh():\n    return requests.get(URL, timeout=2).json()\n",
    "fetch = lambda: requests.get(URL, timeout=2)\n",
    "@app.on_event('shutdown')\ndef bye():\n    requests.post(URL, timeout=2)\n",
    "import atexit\n\n\ndef bye():\n    requests.post(URL, timeout=2)\n\n\natexit.register(bye)\n",
    # At import time, but not another service: the own service, a third party, unknown.
    "requests.get('http://shipping-api/health', timeout=2)\n",
    "requests.get('https://api.stripe.com/v1/charges', timeout=2)\n",
    "requests.get(load_url(), timeout=2)\n",
    # A name that merely looks like a hook.
    "def create_application():\n    requests.get(URL, timeout=2)\n",
    "@app.on_event(EVENT)\ndef maybe():\n    requests.get(URL, timeout=2)\n",
]


@pytest.mark.parametrize("body", NEAR_MISSES)
def test_near_misses_are_silent(body: str) -> None:
    assert lint(case(body)) == []


def test_calls_are_followed_through_several_levels_and_constructors() -> None:
    source = case(
        """\
        class PriceCache:
            def __init__(self):
                self.prices = fetch()


        def fetch():
            return requests.get(URL, timeout=2).json()


        def build():
            return PriceCache()


        @app.on_event("startup")
        def warm():
            app.state.cache = build()
        """
    )
    assert lint(source) == [
        (12, 11, f"{TO_ORDERS} in 'fetch', called from startup handler 'warm'"),
    ]
    facts = {f.function: f.via for f in startup_facts(source)}
    assert facts == {
        "warm": "",
        "build": "warm",
        "PriceCache.__init__": "build",
        "fetch": "PriceCache.__init__",
    }


def test_lifespan_regions_are_recorded_and_survive_json() -> None:
    source = dedent(
        """\
        from fastapi import FastAPI


        async def lifespan(app):
            x = lambda: 1
            yield
            print("bye")


        app = FastAPI(lifespan=lifespan)
        """
    )
    assert startup_facts(source) == (
        StartupFact(
            "lifespan",
            "lifespan 'lifespan'",
            skip=(
                Region(Span(5, 8), Span(5, 17)),
                Region(Span(6, 9), Span(7, 16)),
            ),
        ),
    )
    module = parse_module(source)
    assert module is not None
    facts = extract_facts(module, "app.py")
    assert FileFacts.from_json(facts.to_json()) == facts


def test_files_without_hooks_record_nothing() -> None:
    assert startup_facts("def f():\n    g()\n\n\ndef g():\n    pass\n") == ()
    assert startup_facts("x = undefined()\n") == ()


@pytest.mark.parametrize(
    "source",
    [
        HEAD + "def create_app(:\n    requests.get(URL)\n",
        HEAD + "app.add_event_handler('startup')\napp.add_event_handler()\n",
        HEAD + "FastAPI(lifespan=make_lifespan())\nFastAPI(on_startup=HOOKS)\n",
        HEAD + "@app.on_event()\ndef f():\n    requests.get(URL)\n",
        HEAD + "def f():\n    f()\n\n\nf()\n",
    ],
)
def test_bad_input_never_crashes(source: str) -> None:
    assert lint(source) == []


def test_a_while_true_loop_run_from_main_is_the_services_work_not_its_start_up() -> None:
    # Mailu's fetchmail: `if __name__ == "__main__": while True: ... run()` polls the admin
    # service forever; that is its steady state, not a start-up dependency.
    source = (
        "import os\nimport time\nimport requests\n\n\n"
        "def run():\n    return requests.get('http://orders-api/fetch', timeout=2)\n\n\n"
        "if __name__ == '__main__':\n"
        "    requests.get('http://orders-api/hello', timeout=2)\n"
        "    while True:\n        time.sleep(60)\n        run()\n"
        "        requests.get('http://orders-api/ping', timeout=2)\n"
    )
    assert lint(source) == [(11, 4, "start-up call to service 'orders' at import time")]


def test_a_while_true_loop_that_breaks_waits_for_the_service_at_start_up() -> None:
    # Mailu's rspamd: "Admin may not be up just yet": start-up waits for it, then goes on.
    source = (
        "import time\nimport requests\n\n"
        "while True:\n    time.sleep(1)\n    try:\n"
        "        if requests.get('http://orders-api/health', timeout=2).ok:\n            break\n"
        "    except Exception:\n        pass\n"
    )
    assert lint(source) == [(7, 11, "start-up call to service 'orders' at import time")]
