"""`couplint init`: the config inferred from repositories that have none, with evidence."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from couplint_ast.cli import main
from tests.helpers import cli_runner
from tests.test_fixtures import markers

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "init"
KEYS = ("paths", "packages", "hosts", "tables", "databases")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", root)
    (root / "expected.toml").unlink()  # a repository without a couplint config
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def inferred(text: str) -> dict[str, object]:
    table = tomllib.loads(text)["tool"]["couplint"]
    assert isinstance(table, dict)
    return table


REPOSITORIES = ("compose-shop", "k8s-shop", "libs-shop")
# What init says on stderr of each, and the Python 2 file check lists as skipped.
NOTES = {"libs-shop": "couplint: base: a base image other Dockerfiles build FROM, not a service\n"}
PYTHON_2 = {
    "compose-shop": "services/orders/orders/old_report.py",
    "libs-shop": "services/ledger/ledger/legacy.py",
}


@pytest.fixture(params=REPOSITORIES)
def repository(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    root = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, root)
    (root / "expected.toml").unlink()  # a repository without a couplint config
    monkeypatch.chdir(root)
    return root


def test_init_finds_what_a_careful_person_writes(repository: Path) -> None:
    code, out, err = run("init")
    assert (code, err) == (0, NOTES.get(repository.name, ""))
    found = inferred(out)
    expected = tomllib.loads((FIXTURES / repository.name / "expected.toml").read_text())
    for key in ("shared-domain-packages", "ignore-hosts"):
        assert set(expected.get(key, [])) <= set(found.get(key, []))  # type: ignore[call-overload, attr-defined]
    services = found["services"]
    assert isinstance(services, dict)
    assert sorted(services) == sorted(expected["services"])
    for name, want in expected["services"].items():
        for key in KEYS:
            assert set(want.get(key, [])) <= set(services[name].get(key, [])), (name, key)
    # Every entry says where it comes from.
    entries = [line for line in out.splitlines() if line.startswith('    "')]
    assert entries and all("  # " in line for line in entries)


def test_init_never_prints_a_secret(shop: Path) -> None:
    _, out, err = run("init")
    for secret in ("hunter2", "secret", "do-not-print-me", "guest", "api.payments.example"):
        assert secret not in out + err


def test_check_with_the_inferred_config_gives_the_marked_findings(repository: Path) -> None:
    assert run("init", "--write")[0] == 0
    code, out, err = run("check")
    assert code == 1
    found = {
        (line.split(":")[0], int(line.split(":")[1]), line.split(": ")[1].split()[0])
        for line in out.splitlines()
    }
    assert found == markers(repository)
    if repository.name in PYTHON_2:  # a Python 2 file is said, not dropped
        assert err.splitlines()[-1] == (
            f"couplint: skipped {PYTHON_2[repository.name]}: does not parse"
        )


def test_write_adds_the_table_once_and_never_replaces_one(shop: Path) -> None:
    (shop / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    code, _, err = run("init", "--write")
    assert (code, err) == (0, "couplint: wrote [tool.couplint] to pyproject.toml\n")
    text = (shop / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "shop"\n\n# Written by `couplint init`')
    code, _, err = run("init", "--write")
    assert code == 2
    assert err.endswith("pyproject.toml: already has [tool.couplint]; not replaced\n")
    assert (shop / "pyproject.toml").read_text() == text


def test_init_check_lists_what_the_config_lacks(shop: Path) -> None:
    assert run("init", "--write")[0] == 0
    assert run("init", "--check") == (0, "", "")
    config = (shop / "pyproject.toml").read_text()
    config = config.replace('    "USERS_SERVICE_URL",', "    # removed").replace(
        '    "users",  # services/users/users/models.py', '    # "users" removed'
    )
    (shop / "pyproject.toml").write_text(config)
    code, out, _ = run("init", "--check")
    assert code == 1
    assert out == (
        "pyproject.toml: service 'users' lacks host 'USERS_SERVICE_URL' (docker-compose.yml:30:"
        " orders's environment names users)\n"
        "pyproject.toml: service 'users' lacks table 'users' (services/users/users/models.py:8:"
        " model User)\n"
    )


def test_no_config_is_said_and_points_to_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("import requests\n")
    for command in ("check", "audit", "graph"):
        code, out, err = run(command)
        assert (code, out) == (2, "")
        assert err.startswith("couplint: no config found: no couplint.toml, nor pyproject.toml")
        assert err.endswith("`couplint init` writes one\n")
    (tmp_path / "pyproject.toml").write_text("[tool.couplint]\n")
    code, _, err = run("check")
    assert (code, err) == (
        2,
        "couplint: pyproject.toml defines no services ([tool.couplint.services.NAME]);"
        " `couplint init` infers them from the repository\n",
    )


@pytest.mark.parametrize(
    ("name", "text", "note"),
    [
        ("docker-compose.yml", "services: [unclosed\n", "not valid YAML (line 2), not read"),
        (
            "compose.yaml",
            "services:\n  web:\n    image: [x\n{% endif %}\n",
            "not valid YAML (line 4), not read (a template?)",
        ),
        ("docker-compose.yml", "\xff\xfe binary", "not UTF-8 text, not read"),
        ("compose.yml", "a: &a [*a]\nservices: *a\n", ""),
    ],
)
def test_bad_compose_files_are_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, note: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(text.encode("latin-1"))
    code, out, err = run("init")
    assert code == 0 and out.startswith("# Written by `couplint init`")
    nothing = (
        "couplint: found no service: no compose file, Kubernetes manifest or Dockerfile beside"
        " Python code; write [tool.couplint.services.NAME] with its paths by hand (README:"
        " Configure it)\n"
    )
    assert err == (f"couplint: {name}: {note}\n" if note else "") + nothing


def build(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def services_of(root: Path) -> dict[str, dict[str, list[str]]]:
    code, out, _ = run("init", str(root))
    assert code == 0
    found = inferred(out)["services"]
    assert isinstance(found, dict)
    return found


def test_folders_join_the_image_only_service_they_build(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  front:\n    image: acme/nginx:1\n"
            "  admin:\n    image: acme/admin:1\n",
            "core/nginx/Dockerfile": "FROM python:3.12\n",
            "core/nginx/start.py": "",
            "core/admin/Dockerfile": "FROM python:3.12\n",
            "core/admin/mailu/__init__.py": "",
        },
    )
    found = services_of(tmp_path)
    assert found["front"]["paths"] == ["core/nginx"]  # by its image's name
    assert found["admin"]["paths"] == ["core/admin"]  # by its own name
    assert found["admin"]["packages"] == ["mailu"]


def test_code_a_service_mounts_and_bare_names_in_env(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  web:\n    image: acme/web\n    volumes:\n      - ./web:/srv/web\n"
                "    environment:\n      AUTH_HOST: auth\n      API_TOKEN: auth\n"
                "  auth:\n    build: ./auth\n"
            ),
            "web/views.py": "",
            "web/forms/login.py": "",
            "auth/main.py": "",
        },
    )
    found = services_of(tmp_path)
    assert found["web"]["paths"] == ["web"]
    assert found["web"]["packages"] == ["forms", "views"]  # a folder without __init__ too
    assert found["auth"]["hosts"] == ["auth", "AUTH_HOST"]  # a token's value is no host


def test_a_service_that_builds_the_whole_repository_gets_no_paths(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  back:\n    build: .\n",
            "Dockerfile": "FROM python:3.12\nCOPY . /app\n",
            "api/main.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    assert code == 0
    assert "paths" not in inferred(out)["services"]["back"]  # type: ignore[index, operator]
    assert err == (
        "couplint: docker-compose.yml:2: back builds the whole repository: give it the paths"
        " of its own code by hand\n"
    )


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("a/models.py", "class Order(Base):\n    __tablename__ = 'orders'\n", [("orders", 2)]),
        ("a/models.py", "class OrderItem(db.Model):\n    id = 1\n", [("order_item", 1)]),
        ("a/m.py", "class Hero(SQLModel, table=True):\n    id: int\n", [("hero", 1)]),
        ("shop/models.py", "class Parcel(models.Model):\n    pass\n", [("shop_parcel", 1)]),
        (
            "shop/models.py",
            "class Base(models.Model):\n    class Meta:\n        abstract = True\n",
            [],
        ),
        (
            "shop/models.py",
            "class Bin(models.Model):\n    class Meta:\n        db_table = 'bins'\n",
            [("bins", 3)],
        ),
        ("a/t.py", "stock = Table('stock', metadata)\n", [("stock", 1)]),
        ("a/v/1.py", "def upgrade():\n    op.create_table('carts')\n", [("carts", 2)]),
        (
            "shop/migrations/0001.py",
            "ops = [migrations.CreateModel(name='Box', fields=[]),\n"
            "       migrations.CreateModel('Lid', [], options={'db_table': 'lids'})]\n",
            [("shop_box", 1), ("lids", 2)],
        ),
        ("a/x.py", "# __tablename__ = 'nope'\nx = Table\n", []),
        (
            "a/m.py",
            "metadata = MetaData(schema='billing')\n"
            "class I(Base):\n    __tablename__ = 'invoices'\n"
            "class P(Base):\n    __tablename__ = 'pay'\n"
            "    __table_args__ = ({'schema': 'ops'},)\n",
            [("billing.invoices", 3), ("ops.pay", 5)],
        ),
        ("a/t.py", "t = Table('stock', metadata, schema='erp')\n", [("erp.stock", 1)]),
        (
            "shop/models.py",
            "from tortoise import models\nclass Orders(models.Model):\n    pass\n"
            "class Base(models.Model):\n    class Meta:\n        abstract = True\n",
            [("orders", 2)],
        ),
        (
            "a/m.py",
            "from tortoise.models import Model\nclass Usuario(Model):\n    pass\n",
            [("usuario", 2)],
        ),
        (
            "a/m.py",
            "class BaseModel(db.Model):\n    __abstract__ = True\n"
            "class User(BaseModel):\n    __tablename__ = 'users'\n",
            [("users", 4)],
        ),
    ],
)
def test_init_reads_the_tables_models_name(
    path: str, source: str, expected: list[tuple[str, int]]
) -> None:
    from couplint_ast.init.models import tables

    assert [(t, line) for t, line, _ in tables(Path(path), source)] == expected


def test_a_jinja_compose_file_is_read_as_far_as_it_can_be(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  api:\n    build: ./api\n{% if admin %}\n  admin:\n"
                "    image: {{ registry }}/admin\n    environment:\n"
                "      API_URL: http://api:8000\n{% endif %}\n"
            ),
            "api/main.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    assert code == 0
    assert err == (
        "couplint: compose.yaml: a Jinja template, read without its {% %} tags and {{ }} values\n"
    )
    services = inferred(out)["services"]
    assert isinstance(services, dict)
    assert services["api"]["hosts"] == ["api", "API_URL"]
    # Evidence keeps the file's own line numbers: the removed tags leave their lines.
    assert '"API_URL",  # compose.yaml:8: admin\'s environment names api' in out


def test_a_python_gateway_that_mounts_other_services_apps(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  gateway:\n    build: ./gateway\n    ports: ['8000:8000']\n"
                "  library:\n    build: ./library\n  books:\n    build: ./books\n"
            ),
            "library/library/__init__.py": "",
            "books/books/__init__.py": "",
            "gateway/main.py": (
                "from fastapi import FastAPI\n"
                "from starlette.middleware.wsgi import WSGIMiddleware\n"
                "from library.app import app as library_app\n"
                "from books.api import router as books\n\n"
                "app = FastAPI()\n"
                "app.mount('/library', WSGIMiddleware(library_app))\n"
                "app.include_router(books, prefix='/books/')\n"
            ),
        },
    )
    found = services_of(tmp_path)
    assert found["library"]["hosts"] == [
        "library",
        "gateway/library",
        "localhost:8000/library",
    ]
    assert found["books"]["hosts"] == ["books", "gateway/books", "localhost:8000/books"]


def test_an_alembic_environment_is_no_import_root(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  orders:\n    build: ./orders\n",
            "orders/orders/__init__.py": "",
            "orders/alembic/env.py": "from alembic import context\n",
            "orders/alembic/versions/001_initial.py": "revision = '001'\n",
        },
    )
    services = inferred(run("init", str(tmp_path))[1])["services"]
    assert isinstance(services, dict)
    assert services["orders"]["packages"] == ["orders"]


def test_init_lists_the_queues_a_service_consumes(tmp_path: Path) -> None:
    consumer = (
        "import os\n\nimport pika\n\nchannel = pika.BlockingConnection("
        "pika.ConnectionParameters('mq')).channel()\n"
        "channel.basic_consume(queue=os.environ['VIDEO_QUEUE'], on_message_callback=print)\n"
        "channel.basic_consume(queue='thumbnails', on_message_callback=print)\n"
        "channel.basic_consume(queue='audit', on_message_callback=print)\n"
    )
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  converter:\n    build: ./converter\n"
                "  archive:\n    build: ./archive\n"
            ),
            "converter/worker.py": consumer,
            # It consumes what converter does, and publishes (which makes no queue its own).
            "archive/worker.py": (
                "import pika\n\nch = pika.BlockingConnection(pika.ConnectionParameters('mq'))"
                ".channel()\nch.basic_consume(queue='audit', on_message_callback=print)\n"
                "ch.basic_publish(exchange='', routing_key='thumbnails', body=b'')\n"
            ),
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and isinstance(services, dict)
    assert services["converter"]["queues"] == ["VIDEO_QUEUE", "thumbnails"]
    assert "queues" not in services["archive"]
    assert "converter/worker.py:6: consumes" in out
    assert "queue 'audit' is consumed by archive, converter: left out" in err


def test_a_nameko_event_is_a_topic_of_the_service_that_dispatches_it(tmp_path: Path) -> None:
    handler = (
        "from nameko.events import event_handler\n\n\nclass Products:\n"
        "    name = 'products'\n\n"
        "    @event_handler('orders', 'order_created')\n"
        "    def created(self, payload):\n        pass\n\n"
        "    @event_handler('billing', 'paid')  # no service is 'billing' here\n"
        "    def paid(self, payload):\n        pass\n"
    )
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  orders:\n    build: ./orders\n  products:\n    build: ./products\n"
            ),
            "orders/service.py": "class Orders:\n    name = 'orders'\n",
            "products/service.py": handler,
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and isinstance(services, dict)
    assert services["orders"]["topics"] == ["orders.order_created"]
    assert "queues" not in services["products"] and "topics" not in services["products"]
    assert "products/service.py:7: handles this service's nameko event" in out
    left_out = "nameko event 'billing.paid' (products/service.py:11): no one service is 'billing'"
    assert left_out in err


def test_the_env_file_beside_compose_fills_its_variables(tmp_path: Path) -> None:
    # As compose does: `${VAR}` and `$VAR` from `.env` (its own lines interpolated in
    # order), a pass-through `- VAR` too; what `.env` lacks takes its default or nothing.
    build(
        tmp_path,
        {
            ".env": (
                "CART_PORT=7070\nCART_ADDR=cart:${CART_PORT}\n"
                "CART_DOCKERFILE=./src/cart/Dockerfile\nPAY_NAME='pay$ments'\n"
                "EMPTY=\nTOKEN=cart:1 # a comment\n"
            ),
            "docker-compose.yml": (
                "services:\n"
                "  cart:\n    build:\n      context: ./\n      dockerfile: ${CART_DOCKERFILE}\n"
                "  checkout:\n    build: ./checkout\n    environment:\n"
                "      - CART_ADDR\n      - PAY_URL=http://${EMPTY:-payments}:80\n"
                "      - MAIL_URL=http://${EMPTY-nomail}mail:25\n      - AUTH_URL=http://$AUTH/x\n"
                "      - UNSET\n"
                "  payments:\n    build: ./payments\n    container_name: $${PAY_NAME}\n"
                "    hostname: ${PAY_NAME}\n"
                "  mail:\n    build: ./mail\n"
            ),
            "src/cart/Dockerfile": "FROM python:3.12\nCOPY ./src/cart/app /app\n",
            "src/cart/app/main.py": "",
            "checkout/main.py": "",
            "payments/main.py": "",
            "mail/main.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and isinstance(services, dict)
    assert err == (
        "couplint: docker-compose.yml: ${AUTH} is not set by a .env beside it: read as empty\n"
    )
    assert services["cart"]["paths"] == ["src/cart"]  # its Dockerfile's folder
    assert services["cart"]["hosts"] == ["cart", "CART_ADDR"]
    assert "checkout's environment names cart" in out
    assert services["payments"]["hosts"] == ["payments", "${PAY_NAME}", "pay$ments", "PAY_URL"]
    assert services["mail"]["hosts"] == ["mail", "MAIL_URL"]  # `-`: set (empty) is kept


def test_a_service_whose_dockerfile_has_no_python_has_no_paths_and_no_note(
    tmp_path: Path,
) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  catalog:\n    build:\n      context: .\n"
                "      dockerfile: src/catalog/Dockerfile\n"
                "  whole:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n"
            ),
            "src/catalog/Dockerfile": "FROM golang:1.22\nCOPY ./src/catalog/main.go main.go\n",
            "src/catalog/main.go": "package main\n",
            "docker/Dockerfile": "FROM python:3.12\nCOPY . /app\n",
            "tools/run.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and isinstance(services, dict)
    assert "paths" not in services["catalog"] and "paths" not in services["whole"]
    assert err == (
        "couplint: docker-compose.yml:6: whole builds the whole repository: give it the paths"
        " of its own code by hand\n"
    )


def test_a_namespace_folder_of_packages_is_an_import_root(tmp_path: Path) -> None:
    # Each service's `src` is its own: `from src.agents import x` in one is not the other's.
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  agent:\n    build: ./agent\n  chatbot:\n    build: ./chatbot\n"
            ),
            "agent/run.py": "from src.agents.llm import Chat\n",
            "agent/src/agents/llm.py": "class Chat:\n    pass\n",
            "agent/fixtures/cassette.yaml": "a: 1\n",
            "chatbot/src/opamp.py": "",
        },
    )
    found = services_of(tmp_path)
    assert found["agent"]["packages"] == ["run", "src"]
    assert found["chatbot"]["packages"] == ["src"]
    assert run("check", "--no-cache", str(tmp_path))[1] == ""


def test_an_env_file_compose_names_that_is_not_here_is_said_once(tmp_path: Path) -> None:
    # Repositories keep `.env` out of git: what it would set is unknown, and init says so.
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  users:\n    build: ./users\n    env_file: .env\n"
                "    ports:\n      - ${USERS_PORT}:8000\n      - ${A}:1\n      - ${B}:2\n"
                "      - ${C:-3}:3\n      - ${D:?needed}:4\n"
                "  orders:\n    build: ./orders\n    env_file:\n      - .env\n"
                "    # ${COMMENTED}\n"
            ),
            "users/main.py": "",
            "orders/main.py": "",
        },
    )
    code, _out, err = run("init", str(tmp_path))
    assert code == 0
    assert err == (
        "couplint: docker-compose.yml: ${A}, ${B}, ${D} and 1 more are not set by a .env"
        " beside it: read as empty\n"
        "couplint: docker-compose.yml:4: env_file '.env' is not in the repository: the env vars"
        " it sets are unknown\n"
    )


def test_a_shared_env_file_gives_each_service_only_the_database_it_depends_on(
    tmp_path: Path,
) -> None:
    # One `.env` for every container: it says nothing of who uses which database, so
    # `depends_on` decides; a database container's own env reaches nothing.
    service = "    build: ./{0}\n    env_file: .env\n    depends_on:\n      - db-{0}\n"
    build(
        tmp_path,
        {
            ".env": (
                "ORDERS_DB_HOST=db-orders\nUSERS_DB_HOST=db-users\nUSERS_URL=http://users:8000\n"
            ),
            "docker-compose.yml": (
                "services:\n"
                f"  orders:\n{service.format('orders')}"
                f"  users:\n{service.format('users')}"
                "  db-orders:\n    image: postgres:16\n    env_file: .env\n"
                "  db-users:\n    image: postgres:16\n    env_file: .env\n"
            ),
            "orders/main.py": "",
            "users/main.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and err == "" and isinstance(services, dict)
    assert services["orders"]["databases"] == ["db-orders", "ORDERS_DB_HOST"]
    assert services["users"]["databases"] == ["db-users", "USERS_DB_HOST"]
    assert '"USERS_URL",  # .env:3: a shared env file names users' in out


def test_a_folder_built_on_the_public_image_of_its_name_is_no_base_image(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "nginx/Dockerfile": "FROM nginx\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
            "api/Dockerfile": "FROM python:3.12\n",
            "api/main.py": "",
        },
    )
    code, out, err = run("init", str(tmp_path))
    assert code == 0 and err == ""
    assert sorted(inferred(out)["services"]) == ["api"]  # type: ignore[call-overload]


def test_a_table_two_services_map_belongs_to_the_one_whose_migration_creates_it(
    tmp_path: Path,
) -> None:
    model = "from tortoise.models import Model\n\n\nclass {0}(Model):\n    pass\n"
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  users:\n    build: ./users\n  tests:\n    build: ./tests-svc\n"
                "  jobs:\n    build: ./jobs\n"
            ),
            "users/models.py": model.format("Usuario") + "\n\nclass Empresa(Model):\n    pass\n",
            "users/migrations/env.py": "from alembic import context\n",
            "users/migrations/versions/001.py": "def upgrade():\n    op.create_table('usuario')\n",
            "tests-svc/models.py": model.format("Usuario"),
            "jobs/models.py": model.format("Empresa"),
        },
    )
    code, out, err = run("init", str(tmp_path))
    services = inferred(out)["services"]
    assert code == 0 and isinstance(services, dict)
    assert services["users"]["tables"] == ["usuario"]
    assert "tables" not in services["tests"] and "tables" not in services["jobs"]
    assert err == (
        "couplint: table 'empresa' is mapped by jobs, users: a shared table; list it under the"
        " service that owns it\n"
    )
    # With that config, the other service's model of the table is reported.
    run("init", "--write", str(tmp_path))
    code, out, _ = run("check", "--no-cache", "--select", "CPL203", str(tmp_path))
    assert out.endswith(
        "tests-svc/models.py:4:7: CPL203 ORM model 'Usuario' maps table 'usuario' owned by"
        " service 'users'\n"
    )


def test_an_env_value_that_is_a_bare_service_name_reaches_it(tmp_path: Path) -> None:
    # `AUTH_PATH: auth` in a workload names the Kubernetes Service `auth`; a value that is
    # no Service's name, or under a key that names no address, says nothing.
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {0}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: {0}\n          image: acme/{0}\n"
        "          env:\n{1}"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {0}\nspec:\n"
        "  selector:\n    app: {0}\n"
    )
    env = (
        "            - name: AUTH_PATH\n              value: auth\n"
        "            - name: MODE\n              value: auth\n"
        "            - name: OTHER_PATH\n              value: nowhere\n"
    )
    build(
        tmp_path,
        {
            "deploy/web.yaml": deployment.format("web", env),
            "deploy/auth.yaml": deployment.format(
                "auth", "            - name: X\n              value: y\n"
            ),
        },
    )
    found = services_of(tmp_path)
    assert found["auth"]["hosts"] == ["auth", "AUTH_PATH"]
    assert found["web"]["hosts"] == ["web"]


def test_a_service_folder_whose_name_is_no_identifier_is_no_package(tmp_path: Path) -> None:
    build(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  skills:\n    build: ./tech-skills\n",
            "tech-skills/__init__.py": "",
            "tech-skills/main.py": "",
            "tech-skills/src/config/environment.py": "",
        },
    )
    assert services_of(tmp_path)["skills"]["packages"] == ["main", "src"]


def test_a_package_folder_keeps_its_own_copy_of_a_name_another_service_has(
    tmp_path: Path,
) -> None:
    # `users/` is itself a package, yet its code runs from it: `from src.config import X`
    # is its own `src`, as `jobs`'s is jobs's. Listed under both, neither is the other's.
    build(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  users:\n    build: ./users\n  jobs:\n    build: ./jobs\n"
            ),
            "users/__init__.py": "",
            "users/main.py": "from src.config import URL\n",
            "users/src/config.py": "URL = 'x'\n",
            "users/grpc.py": "",  # no other service has it: not a root of users
            "jobs/main.py": "from src.config import URL\n",
            "jobs/src/config.py": "URL = 'y'\n",
        },
    )
    found = services_of(tmp_path)
    assert found["users"]["packages"] == ["users", "main", "src"]  # names jobs has too
    assert found["jobs"]["packages"] == ["main", "src"]
    run("init", "--write", str(tmp_path))
    assert run("check", "--no-cache", str(tmp_path))[1] == ""
