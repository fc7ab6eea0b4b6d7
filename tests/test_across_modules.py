"""What one file cannot show: constants and wrappers of other modules, bound by `check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from couplint_ast.cli import main
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]
[tool.couplint.services.web]
paths = ["web"]
[tool.couplint.services.users]
paths = ["users"]
hosts = ["users:5000", "USERS_ADDR"]
[tool.couplint.services.exercises]
paths = ["exercises"]
hosts = ["EXERCISES_ADDR"]
"""

FILES = {
    "users/app.py": "",
    "exercises/app.py": "",
    "web/app/__init__.py": "",
    # The constants' names say nothing of the service: only their module does.
    "web/app/config.py": (
        "import os\n\nPROFILE_BASE = os.environ['USERS_ADDR']\n"
        "SCORES = os.getenv('EXERCISES_ADDR')\nTIMEOUT = 2\n"
    ),
    "web/app/http.py": (
        "import requests\n\n\ndef get_json(base_url, path):\n"
        "    return requests.get(f'{base_url}/{path}').json()\n"
    ),
    "web/app/views.py": (
        "import requests\n\nfrom .config import PROFILE_BASE\nfrom .http import get_json\n"
        "from app import config\n\n\n"
        "def profile(user_id):\n"
        "    return requests.get(f'{PROFILE_BASE}/users/{user_id}', timeout=2)\n\n\n"
        "def scores(user_id):\n    return get_json(config.SCORES, f'scores/{user_id}')\n\n\n"
        "def weather():\n    return get_json('https://api.weather.example', 'today')\n"
    ),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path, FILES, CONFIG)


def run(*args: str) -> tuple[int, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout


def flake8(*args: str) -> str:
    """What the real flake8 prints, run from the current folder."""
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args], capture_output=True, text=True, check=False
    ).stdout


def test_check_binds_imported_constants_and_other_modules_wrappers(repo: Path) -> None:
    assert run("check", "--select", "CPL3") == (
        1,
        "web/app/http.py:5:12: CPL302 requests.get() has no timeout\n"
        "web/app/views.py:9:12: CPL301 synchronous call to service 'users' with requests\n"
        "web/app/views.py:9:12: CPL303 call to service 'users' is not guarded by a circuit"
        " breaker\n"
        "web/app/views.py:13:12: CPL301 synchronous call to service 'exercises' through"
        " 'get_json' with requests\n"
        "web/app/views.py:13:12: CPL303 call to service 'exercises' through 'get_json' is not"
        " guarded by a circuit breaker\n",
    )


def test_flake8_sees_one_file_and_says_nothing_it_cannot_know(repo: Path) -> None:
    assert flake8("--select=CPL", "web") == ""


def test_unresolved_names_across_modules_are_cpl305_when_named(repo: Path) -> None:
    (repo / "web/app/views.py").write_text(
        "import requests\n\nfrom .missing import SOMEWHERE\n\n\n"
        "def f():\n    return requests.get(SOMEWHERE, timeout=2)\n"
    )
    assert run("check", "--select", "CPL305") == (
        1,
        "web/app/http.py:5:12: CPL305 call target is not resolved: parameter 'base_url' of"
        " 'get_json' (no call of it here says where it goes)\n"
        "web/app/views.py:7:12: CPL305 call target is not resolved: 'SOMEWHERE' of module"
        " '.missing' (add it to a service's hosts, or to ignore-hosts)\n",
    )


def test_the_graph_draws_calls_through_other_modules(repo: Path) -> None:
    code, out = run("graph", ".", "--format", "mermaid")
    assert code == 0
    assert [line.strip() for line in out.splitlines() if "-->" in line] == [
        'service_web -->|"sync call (1), no breaker"| external_api_weather_example',
        'service_web -->|"sync call (1), no breaker"| service_exercises',
        'service_web -->|"sync call (1), no breaker"| service_users',
    ]


def test_django_settings_come_from_the_services_settings_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(
        tmp_path,
        {
            "users/app.py": "",
            "exercises/app.py": "",
            "web/shop/settings.py": "import os\n\nPROFILES = os.environ.get('USERS_ADDR')\n",
            "web/shop/views.py": (
                "import requests\nfrom django.conf import settings\n\n\n"
                "def me():\n    return requests.get(settings.PROFILES + '/me', timeout=2)\n"
            ),
        },
        CONFIG,
    )
    assert run("check", "--select", "CPL301") == (
        1,
        "web/shop/views.py:6:12: CPL301 synchronous call to service 'users' with requests\n",
    )


CLIENT_FILES = {
    "users/app.py": "",
    "exercises/app.py": "",
    "web/app/__init__.py": "",
    # Client objects built once, at module level, used by other modules.
    "web/app/clients.py": (
        "import os\n\nimport httpx\nimport requests\n\n"
        "session = requests.Session()\n"
        "users = httpx.Client(base_url=os.environ['USERS_ADDR'], timeout=3)\n"
        "scores = httpx.Client(base_url=os.environ['EXERCISES_ADDR'])\n"
        "counter = 0\n"
    ),
    "web/app/views.py": (
        "from .clients import session, users\nfrom app import clients\n\n\n"
        "def profile(user_id):\n    return users.get(f'/users/{user_id}')\n\n\n"
        "def best(user_id):\n    return clients.scores.get(f'/scores/{user_id}')\n\n\n"
        "def legacy():\n    return session.get('http://users:5000/legacy')\n\n\n"
        "def local(session):\n    return session.get('http://users:5000/x')\n"
    ),
}


def test_client_objects_imported_from_another_module_are_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, CLIENT_FILES, CONFIG)
    # `users` sets a timeout in its module; `scores` does not (httpx's default bounds it);
    # requests' Session sets none. `local`'s `session` is a parameter: unknown, not reported.
    assert run("check", "--select", "CPL301,CPL302") == (
        1,
        "web/app/views.py:6:12: CPL301 synchronous call to service 'users' with httpx\n"
        "web/app/views.py:10:12: CPL301 synchronous call to service 'exercises' with httpx\n"
        "web/app/views.py:14:12: CPL301 synchronous call to service 'users' with requests\n"
        "web/app/views.py:14:12: CPL302 requests.Session.get() has no timeout\n",
    )
    # One file cannot say what `users` is.
    assert flake8("--select=CPL301,CPL302,CPL303", "web") == ""


def test_stubs_and_wrappers_of_a_module_imported_with_from_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = {
        **FILES,
        "web/app/rpc.py": (
            "import os\n\nimport grpc\nimport users_pb2_grpc\n\n"
            "channel = grpc.insecure_channel(os.environ['USERS_ADDR'])\n"
            "stub = users_pb2_grpc.UsersStub(channel)\n"
        ),
        "web/app/views.py": (
            "from . import config, http, rpc\n\n\n"
            "def get(req):\n    return rpc.stub.GetUser(req, timeout=2)\n\n\n"
            "def scores(user_id):\n    return http.get_json(config.SCORES, 'scores')\n"
        ),
    }
    make_repo(tmp_path, files, CONFIG)
    assert run("check", "--select", "CPL301") == (
        1,
        "web/app/views.py:5:12: CPL301 synchronous call to service 'users' with grpc\n"
        "web/app/views.py:9:12: CPL301 synchronous call to service 'exercises' through"
        " 'get_json' with requests\n",
    )


FACTORY_FILES = {
    **FILES,
    # Stubs made by a method of a class, or by a function, of another module.
    "web/app/connector.py": (
        "import os\n\nimport grpc\nfrom users_pb2_grpc import UsersStub\n\n\n"
        "class Connector:\n    channel = grpc.insecure_channel(os.environ['USERS_ADDR'])\n\n"
        "    def users(self):\n        return UsersStub(self.channel)\n\n"
        "    def name(self):\n        return 'users'\n\n\n"
        "def make_stub():\n    return UsersStub(grpc.insecure_channel('users:5000'))\n"
    ),
    "web/app/views.py": (
        "from .connector import Connector, make_stub\n\nclient = Connector().users()\n\n\n"
        "def get(req):\n    return client.GetUser(req, timeout=2)\n\n\n"
        "def listed(req):\n    return Connector().users().List(req)\n\n\n"
        "def made(req):\n    return make_stub().GetUser(req, timeout=2)\n\n\n"
        "def named():\n    return Connector().name().upper()\n"  # a string, not a stub
    ),
}


def test_stubs_a_factory_of_another_module_returns_are_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_repo(tmp_path, FACTORY_FILES, CONFIG)
    assert run("check", "--select", "CPL301,CPL302") == (
        1,
        "web/app/views.py:7:12: CPL301 synchronous call to service 'users' with grpc\n"
        "web/app/views.py:11:12: CPL301 synchronous call to service 'users' with grpc\n"
        "web/app/views.py:11:12: CPL302 grpc.UsersStub.List() has no timeout\n"
        "web/app/views.py:15:12: CPL301 synchronous call to service 'users' with grpc\n",
    )
    # One file cannot say what the factories return.
    assert flake8("--select=CPL301,CPL302", "web/app/views.py") == ""


BREAKER_FILES = {
    "users/app.py": "",
    "exercises/app.py": "",
    "web/app/__init__.py": "",
    "web/app/breakers.py": (
        "import pybreaker\n\nusers_breaker = pybreaker.CircuitBreaker(fail_max=5)\n"
    ),
    "web/app/decorators.py": "def logged(f):\n    return f\n",
    # A decorator of a module that imports the breakers may well apply one: unknown.
    "web/app/resilience.py": "from .breakers import users_breaker\n\ndef kept(f):\n    return f\n",
    "web/app/views.py": (
        "import os\n\nimport requests\n\nfrom app.breakers import users_breaker\n"
        "from .decorators import logged\n\nUSERS = os.environ['USERS_ADDR']\n\n\n"
        "@users_breaker\ndef guarded():\n    return requests.get(USERS + '/a', timeout=2)\n\n\n"
        "@logged\ndef unknown():\n    return requests.get(USERS + '/b', timeout=2)\n\n\n"
        "def bare():\n    return requests.get(USERS + '/c', timeout=2)\n\n\n"
        "from .resilience import kept\n\n\n"
        "@kept\ndef maybe():\n    return requests.get(USERS + '/d', timeout=2)\n"
    ),
}


def test_breakers_imported_from_another_module_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = CONFIG.replace('paths = ["web"]', 'paths = ["web"]\npackages = ["app"]')
    make_repo(tmp_path, BREAKER_FILES, config)
    # `users_breaker` is a breaker (check reads its module); `logged` comes from a module
    # that imports no breaker, so check knows it guards nothing; `kept` comes from one that
    # imports the breakers: unknown, not reported; `bare` has none.
    unguarded = "CPL303 call to service 'users' is not guarded by a circuit breaker\n"
    expected = f"web/app/views.py:22:12: {unguarded}"
    assert run("check", "--select", "CPL303") == (
        1,
        f"web/app/views.py:18:12: {unguarded}{expected}",
    )
    # One file cannot tell what `users_breaker` or `logged` is: own code, so unknown.
    assert flake8("--select=CPL303", "web") == expected


def test_a_path_after_a_base_without_its_slash_is_kept() -> None:
    from couplint_ast.facts.values import Part, Value, url_path

    # `current_app.config['B_URL'] + "users/42"`: the base is written with its slash.
    config = Value.of(Part("config", "B_URL"), Part("text", "users/42"))
    assert url_path(config, "requests") == "/users/42"
    port = Value.of(Part("env", "B_HOST"), Part("text", ":8080/x"))
    assert url_path(port, "requests") is None


def test_a_constant_a_package_re_exports_with_a_star_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `src/config/__init__.py` star-imports the module that reads the env var; a name no
    # module gives stays unresolved (CPL305, opt-in), never guessed.
    monkeypatch.chdir(tmp_path)
    make_repo(
        tmp_path,
        {
            "users/app.py": "",
            "exercises/app.py": "",
            "web/src/__init__.py": "",
            "web/src/config/__init__.py": "from .environment import *\nfrom .limits import *\n",
            # A cycle of star imports ends: the name is looked for a few modules deep.
            "web/src/config/limits.py": "from .environment import *\n\nRETRIES = 3\n",
            "web/src/config/environment.py": (
                "import os\n\nfrom .limits import *\n\nUSERS = os.environ['USERS_ADDR']\n"
            ),
            "web/src/views.py": (
                "import requests\n\nfrom src.config import USERS, ELSEWHERE\n\n\n"
                "def me():\n    return requests.get(USERS + '/me', timeout=2)\n\n\n"
                "def other():\n    return requests.get(ELSEWHERE + '/x', timeout=2)\n"
            ),
        },
        CONFIG,
    )
    assert run("check", "--select", "CPL301,CPL305") == (
        1,
        "web/src/views.py:7:12: CPL301 synchronous call to service 'users' with requests\n"
        "web/src/views.py:11:12: CPL305 call target is not resolved: 'ELSEWHERE' of module"
        " 'src.config' (add it to a service's hosts, or to ignore-hosts)\n",
    )
