# ruff: noqa: E501  (tables of cases: one case a line reads best)
"""Where a call goes: value flow inside a module, each idiom seen in real code, exactly."""

from __future__ import annotations

from couplint_ast.config import Config, ServiceConfig
from couplint_ast.testing import facts, lint

SYSTEM = Config(
    service="web",
    ignore_hosts=("oauth2.googleapis.com",),
    services=(
        ServiceConfig("users", hosts=("users:5000", "USERS_SERVICE_URL", "USERSERVICE_API_ADDR")),
        ServiceConfig("exercises", hosts=("EXERCISES_SERVICE_URL",)),
        ServiceConfig("cast", hosts=("cast_service:8000", "CAST_SERVICE_HOST_URL")),
        ServiceConfig("details", hosts=("details:9080", "DETAILS_HOSTNAME")),
        ServiceConfig("admin", hosts=("ADMIN_ADDRESS",)),
        ServiceConfig("catalog", hosts=("PRODUCT_CATALOG_SERVICE_ADDR",)),
        ServiceConfig("agent", hosts=("AGENT_BASE_URL",)),
        ServiceConfig("web", hosts=("web",)),
    ),
)
PATH = "web/app.py"


def calls(code: str, select: tuple[str, ...] = ("CPL301", "CPL302", "CPL305")) -> list[str]:
    return [f"{line}:{col} {c} {m}" for line, col, c, m in lint(code, select, SYSTEM, PATH)]


def call(service: str, line: int, col: int, client: str = "requests") -> str:
    return f"{line}:{col} CPL301 synchronous call to service '{service}' with {client}"


def test_flask_config_key_read_in_a_view() -> None:
    code = """
        import requests
        from flask import current_app

        def status():
            url = '{0}/auth/status'.format(current_app.config['USERS_SERVICE_URL'])
            return requests.get(url, timeout=2)
    """
    assert calls(code) == [call("users", 7, 11)]


def test_flask_config_key_assigned_in_create_app() -> None:
    code = """
        import os
        import requests
        from flask import Flask

        app = Flask(__name__)

        def create_app():
            app.config["LOGIN_URI"] = 'http://{}/login'.format(os.environ.get('USERSERVICE_API_ADDR'))
            return app

        @app.route("/login")
        def login():
            return requests.get(url=app.config["LOGIN_URI"], timeout=2)
    """
    assert calls(code) == [call("users", 14, 11)]


def test_a_name_reassigned_in_one_function_gives_each_call_its_own_value() -> None:
    code = """
        import os
        import requests

        def sync():
            url = '{0}/exercises'.format(os.environ.get('EXERCISES_SERVICE_URL'))
            requests.get(url, timeout=2)
            url = '{0}/users'.format(os.environ.get('USERS_SERVICE_URL'))
            requests.get(url, timeout=2)
    """
    assert calls(code) == [call("exercises", 7, 4), call("users", 9, 4)]


def test_or_fallback_and_conditional_expression_are_alternatives() -> None:
    code = """
        import os
        import requests

        DEFAULT_CAST_URL = 'http://localhost:8002/api/v1/casts/'
        CAST_URL = os.environ.get('CAST_SERVICE_HOST_URL') or DEFAULT_CAST_URL
        host = "details" if os.environ.get("DETAILS_HOSTNAME") is None else os.environ.get("DETAILS_HOSTNAME")

        def cast(i):
            return requests.get(f'{CAST_URL}{i}', timeout=2)

        def details():
            return requests.get("http://" + host + ":9080/details", timeout=2)
    """
    assert calls(code) == [call("cast", 10, 11), call("details", 13, 11)]


def test_if_none_fallback_in_one_function() -> None:
    code = """
        import os
        import requests

        def details():
            host = os.environ.get("DETAILS_HOSTNAME")
            if host is None:
                host = "localhost"
            return requests.get(f"http://{host}:9080/details", timeout=2)
    """
    assert calls(code) == [call("details", 9, 11)]
    assert [c.target.shown() for c in facts(code).calls] == [
        "http://${DETAILS_HOSTNAME}:9080/details | http://localhost:9080/details"
    ]


def test_module_dict_and_its_subscripts() -> None:
    code = """
        import requests

        details = {"name": "http://details:9080", "endpoint": "details"}

        def get():
            url = details["name"] + "/" + details["endpoint"]
            return requests.get(url, timeout=2)
    """
    assert calls(code) == [call("details", 8, 11)]


def test_a_string_key_of_a_config_like_mapping_that_names_a_configured_env_var() -> None:
    code = """
        import requests
        from mailu import system

        def vault():
            env = system.set_env()
            return requests.get(f"http://{env['ADMIN_ADDRESS']}/internal/rspamd/vault", timeout=2)

        def other():
            env = system.set_env()
            return requests.get(f"http://{env['host']}/x", timeout=2)  # not a config key
    """
    assert calls(code) == [
        call("admin", 7, 11),
        "11:11 CPL305 call target is not resolved: a value computed at run time",
    ]


def test_grpc_stub_held_by_a_global_set_in_serve() -> None:
    code = """
        import os
        import grpc
        import demo_pb2_grpc

        def serve():
            global product_catalog_stub
            channel = grpc.insecure_channel(os.environ.get('PRODUCT_CATALOG_SERVICE_ADDR', ''))
            product_catalog_stub = demo_pb2_grpc.ProductCatalogServiceStub(channel)

        def recommend(request):
            return product_catalog_stub.ListProducts(request, timeout=2)
    """
    assert calls(code) == [call("catalog", 12, 11, "grpc")]


def test_dataclass_config_built_from_env() -> None:
    code = """
        import os
        import requests
        from dataclasses import dataclass

        @dataclass
        class Config:
            agentBaseUrl: str

            @classmethod
            def from_env(cls):
                return cls(agentBaseUrl=os.environ["AGENT_BASE_URL"])

        class Bot:
            def __init__(self):
                self.config = Config.from_env()

            def ask(self):
                return requests.post(self.config.agentBaseUrl + "/prompt", timeout=2)
    """
    assert calls(code) == [call("agent", 19, 15)]


def test_pydantic_settings_fields_read_env_vars() -> None:
    code = """
        import requests
        from pydantic_settings import BaseSettings
        from pydantic import Field

        class Settings(BaseSettings):
            users_service_url: str = "http://localhost:5000"
            agent: str = Field("", alias="AGENT_BASE_URL")

        settings = Settings()

        def me():
            return requests.get(settings.users_service_url + "/me", timeout=2)

        def ask():
            return requests.get(settings.agent + "/ask", timeout=2)
    """
    assert calls(code) == [call("users", 13, 11), call("agent", 16, 11)]


def test_self_base_url_bound_at_the_construction_site() -> None:
    code = """
        import os
        import requests

        class UsersClient:
            def __init__(self, base_url, timeout=2):
                self.base_url = base_url
                self.timeout = timeout

            def get(self, user_id):
                return requests.get(f"{self.base_url}/users/{user_id}", timeout=self.timeout)

        users = UsersClient(os.environ["USERS_SERVICE_URL"])
    """
    assert calls(code) == [call("users", 11, 15)]


def test_a_call_through_a_wrapper_is_reported_where_the_service_is_chosen() -> None:
    code = """
        import os
        import requests
        from flask import request

        USER_SERVICE_URL = os.environ["USERS_SERVICE_URL"]
        EXERCISES = os.environ["EXERCISES_SERVICE_URL"]

        def _proxy(base_url, path):
            return requests.request(request.method, f"{base_url}/{path}")

        @app.route("/users/<path:path>")
        def users(path):
            return _proxy(USER_SERVICE_URL, path)

        @app.route("/exercises/<path:path>")
        def exercises(path):
            return _proxy(base_url=EXERCISES, path=path)

        def google(path):
            return _proxy("https://oauth2.googleapis.com", path)  # a third party
    """
    assert calls(code, ("CPL3",)) == [
        "10:11 CPL302 requests.request() has no timeout",
        "14:11 CPL301 synchronous call to service 'users' through '_proxy' with requests",
        "14:11 CPL303 call to service 'users' through '_proxy' is not guarded by a circuit breaker",
        "18:11 CPL301 synchronous call to service 'exercises' through '_proxy' with requests",
        "18:11 CPL303 call to service 'exercises' through '_proxy' is not guarded by a circuit breaker",
    ]


def test_a_wrapper_called_only_with_third_parties_is_not_coupling() -> None:
    code = """
        import requests

        def _fetch(url):
            return requests.get(url)

        def token():
            return _fetch("https://oauth2.googleapis.com/token")
    """
    assert calls(code, ("CPL3", "CPL305")) == []


def test_a_wrapper_nobody_here_calls_is_unresolved_and_says_which_parameter() -> None:
    code = """
        import requests

        def get_json(base_url, path):
            return requests.get(f"{base_url}/{path}", timeout=2).json()
    """
    assert calls(code) == [
        "5:11 CPL305 call target is not resolved: parameter 'base_url' of 'get_json' (no call of it here says where it goes)"
    ]


def test_a_name_set_in_one_branch_may_be_either() -> None:
    code = """
        import os
        import requests

        def pick(fast):
            url = os.environ["USERS_SERVICE_URL"]
            if fast:
                url = os.environ["EXERCISES_SERVICE_URL"]
            return requests.get(url, timeout=2)
    """
    assert calls(code) == [
        "9:11 CPL301 synchronous call to service 'exercises' or 'users' with requests"
    ]


def test_env_var_defaults_decide_only_when_the_env_var_is_not_configured() -> None:
    code = """
        import os
        import requests

        URL = os.getenv("PROFILE_URL", "http://users:5000")
        PARTNER = os.getenv("PARTNER_URL", "https://oauth2.googleapis.com")

        def me():
            return requests.get(URL + "/me", timeout=2)

        def partner():
            return requests.get(PARTNER, timeout=2)
    """
    # The default is configuration, not a hard-coded endpoint (no CPL304).
    assert calls(code, ("CPL3",)) == [
        call("users", 9, 11),
        "9:11 CPL303 call to service 'users' is not guarded by a circuit breaker",
    ]


def test_unresolved_calls_are_silent_by_default() -> None:
    code = """
        import os
        import requests

        requests.get(os.environ["CART_URL"] + "/carts", timeout=2)
    """
    assert calls(code, ("CPL",)) == []
    assert calls(code, ("CPL", "CPL305")) == [
        "5:0 CPL305 call target is not resolved: env var 'CART_URL' (add it to a service's hosts, or to ignore-hosts)"
    ]


# -- bad input: bounded work, unknown rather than a guess ------------------------------------
def test_recursive_functions_and_self_bound_parameters_end() -> None:
    code = """
        import requests

        def a(url):
            return b(url)

        def b(url):
            if url:
                return a(url)
            return requests.get(url, timeout=2)

        def c(url=None):
            url = url or c(url)
            return requests.get(url, timeout=2)
    """
    assert calls(code) == [
        "10:11 CPL305 call target is not resolved: parameter 'url' of 'b' (no call of it here says where it goes)",
        "14:11 CPL305 call target is not resolved: parameter 'url' of 'c' (no call of it here says where it goes)",
    ]


def test_a_name_assigned_in_a_loop_and_a_class_cycle_end() -> None:
    code = """
        import requests

        def crawl(urls):
            url = "http://users:5000"
            for nxt in urls:
                requests.get(url, timeout=2)
                url = url + "/" + nxt

        class A(B):
            def __init__(self, base):
                self.base = base
                super().__init__(self.base)

        class B(A):
            def __init__(self, base):
                A.__init__(self, base)
                requests.get(self.base, timeout=2)
    """
    found = calls(code)
    assert found[0] == call("users", 7, 8)
    assert all("CPL301" not in f for f in found[1:])


def test_a_thousand_alternatives_are_unknown_not_a_guess() -> None:
    branches = "\n".join(f"    if x == {i}:\n        url = 'http://h{i}/'" for i in range(1000))
    code = f"import requests\ndef f(x):\n    url = 'http://users:5000'\n{branches}\n    requests.get(url, timeout=2)\n"
    assert calls(code) == [
        "2004:4 CPL305 call target is not resolved: a value computed at run time"
    ]


# -- found on real code (the trial of this round) ----------------------------------------------
def test_a_parameter_only_in_the_path_leaves_the_call_where_it_is() -> None:
    # bookinfo's productpage: the host is fixed inside the function, the callers only
    # choose the product: the call is reported where it is made.
    code = """
        import requests

        def product_details(product_id, headers):
            url = "http://details:9080/details/" + str(product_id)
            return requests.get(url, headers=headers, timeout=2)

        def page(product_id):
            return product_details(product_id, {})
    """
    assert calls(code) == [call("details", 6, 11)]


def test_a_third_party_default_does_not_hide_an_unlisted_env_var() -> None:
    code = """
        import os
        import requests

        CAST = os.environ.get("CAST_URL") or "http://localhost:8002/api/v1/casts/"
        MOVIES = os.getenv("MOVIES_URL", "http://localhost:8001")
        USERS = os.getenv("PROFILE_URL", "http://users:5000")

        def f():
            requests.get(CAST, timeout=2)
            requests.get(MOVIES, timeout=2)
            requests.get(USERS, timeout=2)
    """
    assert calls(code) == [
        "10:4 CPL305 call target is not resolved: env var 'CAST_URL' (add it to a service's hosts, or to ignore-hosts)",
        "11:4 CPL305 call target is not resolved: env var 'MOVIES_URL' (add it to a service's hosts, or to ignore-hosts)",
        call("users", 12, 4),
    ]


def test_an_item_of_a_split_env_var_names_the_env_var() -> None:
    code = """
        import os
        import requests

        def renew():
            host = os.environ["HOSTNAMES"].split(",")[0]
            return requests.get(f"https://{host}/.well-known/acme", timeout=2)
    """
    assert calls(code) == [
        "7:11 CPL305 call target is not resolved: env var 'HOSTNAMES' (add it to a service's hosts, or to ignore-hosts)"
    ]


def test_paths_of_urls_built_around_an_env_var_keep_their_path() -> None:
    code = """
        import os
        import requests

        H = os.environ["DETAILS_HOSTNAME"]

        def f(user_id):
            requests.get("http://" + H + ":9080/details/" + str(user_id), timeout=2)
            requests.get(f"http://{H}/reviews?x=1", timeout=2)
            requests.get(f"{os.environ['USERS_SERVICE_URL']}/users/{user_id}", timeout=2)
    """
    assert [c.path for c in facts(code).calls] == [
        "/details/{user_id}",
        "/reviews",
        "/users/{user_id}",
    ]


def test_what_a_helper_returns_is_read_with_the_arguments_of_each_call() -> None:
    # `must_map_env(key)` returns `os.environ.get(key)`: each call names its own env var;
    # a key from a module constant too. A helper that returns nothing known stays silent.
    code = """
        import os
        import grpc
        import requests
        import demo_pb2_grpc

        USERS = "USERS_SERVICE_URL"

        def must_map_env(key):
            value = os.environ.get(key)
            if value is None:
                raise Exception(f"{key} environment variable must be set")
            return value

        def users(path):
            return os.environ[USERS] + path

        def computed(key):
            return lookup(key)

        def main():
            channel = grpc.insecure_channel(must_map_env("PRODUCT_CATALOG_SERVICE_ADDR"))
            demo_pb2_grpc.ProductCatalogServiceStub(channel).ListProducts(None, timeout=2)
            requests.get(users("/me"), timeout=2)
            requests.get(must_map_env("EXERCISES_SERVICE_URL") + "/x", timeout=2)
            requests.get(computed("ADMIN_ADDRESS"), timeout=2)
    """
    assert calls(code) == [
        call("catalog", 23, 4, "grpc"),
        call("users", 24, 4),
        call("exercises", 25, 4),
        "26:4 CPL305 call target is not resolved: a value computed at run time",
    ]


def test_a_base_url_stripped_of_its_slash_keeps_its_host() -> None:
    code = """
        import os
        import requests

        class Proxy:
            def __init__(self, base_url):
                self.base_url = base_url.rstrip("/")

            def get(self, path):
                return requests.get(f"{self.base_url}/{path.lstrip('/')}", timeout=2)

        users = Proxy(os.environ["USERS_SERVICE_URL"])
    """
    assert calls(code) == [call("users", 10, 15)]
