"""`couplint init`: the service map a repository already states, each entry with evidence.

What is read, in order: compose files (services, build folders, names, aliases, published
ports, environment and env files), folders with a Dockerfile and Python code that no
compose service builds, then each service's own code: its import roots (`packages`), its
ORM models and migrations (`tables`, see `init.models`), and
the code outside every service that two or more services import (shared packages).

Secrets stay where they are: only env var *names*, service names and ports are ever
printed, never an env value. Nothing is written without `--write`, and links out of the
root are never followed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from couplint_ast.config import Config, ServiceConfig
from couplint_ast.facts.values import Value
from couplint_ast.init.compose import COMPOSE_NAME, Service, read_compose, read_env_file
from couplint_ast.init.kubernetes import KubeService, Workload, read_manifests
from couplint_ast.init.models import mounts, sql_tables
from couplint_ast.init.models import tables as model_tables

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        "node_modules",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".tox",
        ".nox",
        "site-packages",
        "dist",
        "build",
        ".mypy_cache",
        ".pytest_cache",
        ".couplint_cache",
    }
)
MAX_FILES = 50_000  # files looked at under the root: beyond, the rest is a note
DATABASE_IMAGES = ("postgres", "postgis", "mysql", "mariadb", "mongo", "timescale", "cockroach")
INFRA_IMAGES = (
    "rabbitmq",
    "redis",
    "kafka",
    "zookeeper",
    "localstack",
    "jaeger",
    "otel",
    "prometheus",
    "grafana",
    "elasticsearch",
    "opensearch",
    "kibana",
    "memcached",
    "nats",
    "minio",
    "mailhog",
    "consul",
    "vault",
    "zipkin",
    "logstash",
    "fluent",
    "loki",
    "tempo",
    "adminer",
    "pgadmin",
    "mongo-express",
    "flower",
    "selenium",
    "sentry",
    "statsd",
    "etcd",
    "pulsar",
    "activemq",
    "mosquitto",
    "emqx",
    "keycloak",
    "mailpit",
    "smtp4dev",
    "clickhouse",
)
DOMAIN_MARKERS = (
    (
        re.compile(
            r"__tablename__|\(\s*(?:db\.)?Model\s*\)|models\.Model\b|declarative_base|"
            r"DeclarativeBase|SQLModel"
        ),
        "ORM models",
    ),
    (re.compile(r"\bBaseModel\b"), "pydantic models"),
    (re.compile(r"@dataclass|@dataclasses\.dataclass"), "dataclasses"),
    (re.compile(r"class \w*Event\b"), "event classes"),
)
_TEST_NAMES = re.compile(r"^(?:test_.*|.*_test|conftest|setup|manage|wsgi|asgi)\.py$")


@dataclass
class Entry:
    """One value of the config and why: `docker-compose.yml:14: compose service name`."""

    value: str
    evidence: str


@dataclass
class Inferred:
    """A service as the repository shows it."""

    name: str
    paths: list[Entry] = field(default_factory=list)
    packages: list[Entry] = field(default_factory=list)
    tables: list[Entry] = field(default_factory=list)
    hosts: list[Entry] = field(default_factory=list)
    databases: list[Entry] = field(default_factory=list)
    topics: list[Entry] = field(default_factory=list)
    queues: list[Entry] = field(default_factory=list)


@dataclass
class Inference:
    """What `couplint init` found under one root, and what it could not read."""

    root: Path
    services: dict[str, Inferred] = field(default_factory=dict)
    shared_domain: list[Entry] = field(default_factory=list)
    allowed_shared: list[Entry] = field(default_factory=list)
    ignore_hosts: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def infer(root: Path) -> Inference:
    """Read the repository under `root` and say what its config should hold."""
    _TEXTS.clear()  # each file is read once per run, whichever passes look at it
    try:
        return _infer(Path(os.path.realpath(root)))
    finally:
        _TEXTS.clear()


def _infer(root: Path) -> Inference:
    found = Inference(root)
    files = list(_files(root, found))
    composed: list[tuple[Path, Service]] = []
    for path in files:
        if COMPOSE_NAME.match(path.name):
            services, notes = read_compose(path, _rel(path, root))
            composed.extend((path, s) for s in services)
            found.notes.extend(notes)
    names = _host_index(composed)
    databases: dict[str, str] = {}  # compose name -> its image
    for path, service in composed:
        image = service.image[0].lower() if service.image else _built_from(path, service, root)
        kind = _kind(image)
        folder = _python_folder(path, service, root)
        if kind == "database" and folder is None:
            databases[service.name] = image
            continue
        if kind == "infra" and folder is None:
            for host, line, what in service.names:
                evidence = f"{service.file}:{line}: {what}, image {image.split(':')[0]}"
                _add(found.ignore_hosts, host, evidence)
            continue
        inferred = found.services.setdefault(service.name, Inferred(service.name))
        if folder == root:
            found.notes.append(
                f"{service.file}:{service.line}: {service.name} builds the whole repository:"
                " give it the paths of its own code by hand"
            )
            folder = None
        if folder is None:
            folder, line = _mounted_folder(path, service, root)
            if folder is not None:
                _add(inferred.paths, _rel(folder, root), f"{service.file}:{line}: code mounted")
                folder = None
        if folder is not None:
            _add(
                inferred.paths,
                _rel(folder, root) or ".",
                f"{service.file}:{service.build[1] if service.build else service.line}: build",
            )
        for host, line, what in service.names:
            _add(inferred.hosts, host, f"{service.file}:{line}: {what}")
        for port, line in service.ports:
            _add(inferred.hosts, f"localhost:{port}", f"{service.file}:{line}: published port")
    owners = _env_hosts(found, composed, names, databases, root)
    _database_scripts(found, composed, databases, owners, root)
    _gateway_routes(found, composed, names, files, root)
    images_of = {
        s.name: {_image_name(s.image[0])}
        for _path, s in composed
        if s.image and s.name in found.services
    }
    _dockerfile_services(found, files, root, images_of)
    _kubernetes(found, files, root)
    for inferred in found.services.values():
        _code_of(found, inferred, root)
    _own_copies(found, root)
    _shared(found, files, root)
    _mounted_routes(found, root)
    _third_parties(found, root)
    _consumed_queues(found, root)
    _unique_hosts(found)
    _unique_tables(found)
    if not found.services:
        found.notes.append(
            "found no service: no compose file, Kubernetes manifest or Dockerfile beside Python"
            " code; write [tool.couplint.services.NAME] with its paths by hand (README:"
            " Configure it)"
        )
    return found


# -- files ---------------------------------------------------------------------------------
def _files(root: Path, found: Inference) -> Iterator[Path]:
    """Every file under `root`, links and tool folders left out, bounded."""
    count = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink():
                continue
            count += 1
            if count > MAX_FILES:
                found.notes.append(f"more than {MAX_FILES} files: the rest were not read")
                return
            yield path


def _rel(path: Path, root: Path) -> str:
    rel = Path(os.path.relpath(path, root)).as_posix()
    return "" if rel == "." else rel


def _inside(path: Path, root: Path) -> bool:
    real = os.path.realpath(path)
    return real == str(root) or real.startswith(str(root) + os.sep)


def _has_python(folder: Path) -> bool:
    for _dirpath, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        if any(n.endswith(".py") for n in names):
            return True
    return False


def _python_files(folder: Path) -> Iterator[Path]:
    for dirpath, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and d not in ("tests", "test"))
        for name in sorted(names):
            if name.endswith(".py") and not _TEST_NAMES.match(name):
                yield Path(dirpath) / name


def _sql_files(folder: Path) -> Iterator[Path]:
    for dirpath, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and d not in ("tests", "test"))
        for name in sorted(names):
            if name.endswith(".sql"):
                yield Path(dirpath) / name


_TEXTS: dict[Path, str] = {}


def _read(path: Path) -> str:
    cached = _TEXTS.get(path)
    if cached is not None:
        return cached
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace") if len(data) < 2_000_000 else ""
    _TEXTS[path] = text
    return text


# -- compose -------------------------------------------------------------------------------
def _image_name(image: str) -> str:
    """`registry/org/nginx:1.2` -> `nginx`."""
    return image.lower().split("@")[0].rsplit("/", 1)[-1].split(":")[0]


def _known_name(name: str) -> str:
    return name.lower().replace("_", "-")


def _kind(image: str) -> str:
    name = image.split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
    if any(name.startswith(d) for d in DATABASE_IMAGES):
        return "database"
    if any(name.startswith(i) for i in INFRA_IMAGES):
        return "infra"
    return ""


def _host_index(composed: list[tuple[Path, Service]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for _path, service in composed:
        for host, _line, _what in service.names:
            index.setdefault(host.lower(), service.name)
    return index


def _python_folder(compose: Path, service: Service, root: Path) -> Path | None:
    """The folder of the Python code a compose service builds, if inside the root."""
    if service.build is None:
        return None
    context = (compose.parent / service.build[0]).resolve()
    if not _inside(context, root) or not context.is_dir():
        return None
    if service.dockerfile:
        dockerfile = (context / service.dockerfile).resolve()
        inner = dockerfile.parent != context and _inside(dockerfile, root)
        if inner and _has_python(dockerfile.parent):
            return dockerfile.parent  # `build: {context: ., dockerfile: users/Dockerfile}`
        if inner and context == root and dockerfile.is_file():
            # `dockerfile: src/cart/Dockerfile` with no Python beside it: the Python folder
            # it copies; the whole repository if it copies that; else no Python code (Go).
            copied = _copied_folder(dockerfile, root)
            if copied is not None or not _copies_root(dockerfile, root):
                return copied
    if context == root:
        copied = _copied_folder(context / (service.dockerfile or "Dockerfile"), root)
        if copied is not None:
            return copied
    return context if _has_python(context) else None


def _mounted_folder(compose: Path, service: Service, root: Path) -> tuple[Path | None, int]:
    """A folder of Python code a service mounts (`./web:/srv/web`), when it builds none."""
    for source, line in service.volumes:
        if not source.startswith((".", "/")):
            continue  # a named volume
        folder = (compose.parent / source).resolve()
        if folder != root and _inside(folder, root) and folder.is_dir() and _has_python(folder):
            return folder, line
    return None, 0


def _built_from(compose: Path, service: Service, root: Path) -> str:
    """The image a service's own Dockerfile starts from (`FROM postgres:16`), lower-cased."""
    if service.build is None:
        return ""
    context = (compose.parent / service.build[0]).resolve()
    dockerfile = context / (service.dockerfile or "Dockerfile")
    if not _inside(dockerfile, root):
        return ""
    for line in _read(dockerfile).splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "FROM":
            return words[1].lower()
    return ""


def _copied_folder(dockerfile: Path, root: Path) -> Path | None:
    """The one folder of Python code a Dockerfile at the root copies (`COPY users /app`)."""
    folders = set()
    for source in _copied(dockerfile, root):
        if source != root and source.is_dir() and _inside(source, root) and _has_python(source):
            folders.add(source)
    return folders.pop() if len(folders) == 1 else None


def _copies_root(dockerfile: Path, root: Path) -> bool:
    """True when a Dockerfile built from the root copies all of it (`COPY . /app`)."""
    return any(source == root for source in _copied(dockerfile, root))


def _copied(dockerfile: Path, root: Path) -> Iterator[Path]:
    """The sources of a Dockerfile's `COPY`/`ADD` lines (not `--from` stages), resolved."""
    for line in _read(dockerfile).splitlines():
        words = line.split()
        if (
            len(words) >= 3
            and words[0].upper() in ("COPY", "ADD")
            and not words[1].startswith("--")
        ):
            yield (root / words[1]).resolve()


def _host_of(value: str) -> str | None:
    """The host a URL-like env value names (`http://users:5000/x` -> `users`)."""
    value = value.strip()
    if "://" in value:
        try:
            return urlsplit(value).hostname
        except ValueError:
            return None
    match = re.match(r"^([A-Za-z][\w.-]*)(?::\d+)?(?:/.*)?$", value)
    return match.group(1).lower() if match and ":" in value else None


_HOSTISH = re.compile(r"HOST|ADDR|URL|URI|NAME|SERVICE|ENDPOINT|SERVER|PATH", re.IGNORECASE)


def _env_hosts(
    found: Inference,
    composed: list[tuple[Path, Service]],
    names: dict[str, str],
    databases: dict[str, str],
    root: Path,
) -> dict[str, str]:
    """Env vars whose value names another service: that env var reaches it. Returns the
    database containers that only one service reaches, with that service."""
    reaches: dict[str, set[str]] = {}
    evidence: dict[str, str] = {}
    db_users: dict[str, dict[str, list[tuple[str, str]]]] = {}
    setters: dict[str, set[str]] = {}  # env var -> the services whose env sets it
    missing: set[Path] = set()  # env files compose names that are not here
    sharing: dict[Path, int] = {}  # env file -> how many services read it
    for path, service in composed:
        for target in {(path.parent / f).resolve() for f, _line in service.env_files}:
            sharing[target] = sharing.get(target, 0) + 1
    for path, service in composed:
        if service.name in databases:
            continue  # a database container reaches nothing
        env = [(k, v, f"{service.file}:{line}", False) for k, v, line in service.environment]
        for env_file, line in service.env_files:
            target = (path.parent / env_file).resolve()
            if _inside(target, root) and not target.is_file() and target not in missing:
                missing.add(target)
                found.notes.append(
                    f"{service.file}:{line}: env_file '{env_file}' is not in the repository:"
                    " the env vars it sets are unknown"
                )
            if _inside(target, root):
                shown = _rel(target, root)
                shared = sharing.get(target, 0) > 1
                env += [(k, v, f"{shown}:{n}", shared) for k, v, n in read_env_file(target)]
        for key, value, where, shared in env:
            host = _host_of(value)
            if host is None and value.lower() in names and _HOSTISH.search(key):
                host = value.lower()  # `AUTH_HOST=auth`: a bare service name
            owner = names.get(host or "")
            if not shared:  # one shared file gives every service the same value
                setters.setdefault(key, set()).add(service.name)
            if owner is None or owner == service.name:
                continue
            if owner in databases:
                # An env file every service reads says nothing of who uses the database:
                # then only a service that depends on it does.
                if not shared or owner in service.depends_on:
                    users = db_users.setdefault(owner, {})
                    users.setdefault(service.name, []).append((key, where))
            elif owner in found.services:
                reaches.setdefault(key, set()).add(owner)
                whose = "a shared env file" if shared else f"{service.name}'s environment"
                evidence.setdefault(key, f"{where}: {whose} names {owner}")
    _env_vars_reach(found, reaches, evidence)
    db_owners: dict[str, str] = {}
    for db, users in sorted(db_users.items()):
        if len(users) == 1:
            user, refs = next(iter(users.items()))
            if user in found.services:
                db_owners[db] = user
                owned = found.services[user].databases
                _add(
                    owned,
                    db,
                    f"{refs[0][1]}: {databases[db].split(':')[0]} container only {user} reaches",
                )
                for key, where in refs:
                    _add(owned, key, f"{where}: {user}'s environment names {db}")
        else:
            found.notes.append(
                f"database container '{db}' is reached by {', '.join(sorted(users))}: a shared "
                "database; list it under the databases of the service that owns it"
            )
    # `POSTGRES_HOST` that another service sets too, to a database it is not given, would
    # make that service's own reads look foreign: such a name is left out.
    for key, services in sorted(setters.items()):
        given = {
            s
            for s in services
            if any(e.value == key for e in found.services.get(s, Inferred(s)).databases)
        }
        if given and services - given:
            for name in given:
                _drop(found.services[name].databases, key)
            found.notes.append(f"env var {key} names several databases: left out of databases")
    return db_owners


def _database_scripts(
    found: Inference,
    composed: list[tuple[Path, Service]],
    databases: dict[str, str],
    owners: dict[str, str],
    root: Path,
) -> None:
    """`CREATE TABLE` in the SQL a database container runs at start-up (a mounted
    `init.sql`): the tables of the one service that reaches it, else a note."""
    for path, service in composed:
        if service.name not in databases:
            continue
        created = []
        for source, _line in service.volumes:
            target = (path.parent / source).resolve()
            if not _inside(target, root):
                continue
            scripts = (
                [target]
                if target.suffix == ".sql"
                else list(_sql_files(target))
                if target.is_dir()
                else []
            )
            for script in scripts:
                shown = _rel(script, root)
                created += [(t, f"{shown}:{n}: {w}") for t, n, w in sql_tables(_read(script))]
        owner = owners.get(service.name)
        if owner is not None:
            for table, evidence in created:
                _add(found.services[owner].tables, table.lower(), evidence)
        elif created:
            names = ", ".join(sorted({t for t, _ in created}))
            found.notes.append(
                f"database container '{service.name}' creates {names}, and no one service's env"
                " reaches it: list each table under the service that owns it"
            )


def _env_vars_reach(
    found: Inference, reaches: dict[str, set[str]], evidence: dict[str, str]
) -> None:
    """Each env var that names one service becomes a host of it; one naming several, a note."""
    for key, owners in sorted(reaches.items()):
        if len(owners) == 1:
            _add(found.services[next(iter(owners))].hosts, key, evidence[key])
        else:
            found.notes.append(f"env var {key} names {' and '.join(sorted(owners))}: left out")


_UPSTREAM = re.compile(r"upstream\s+([\w.-]+)\s*\{([^}]*)\}")
_SERVER = re.compile(r"server\s+([\w.-]+)")
_LOCATION = re.compile(
    r"location\s+(?:\^~\s+|=\s+)?(/[^\s{]*)\s*\{[^{}]*?proxy_pass\s+https?://([\w.-]+)"
)


def _gateway_routes(
    found: Inference,
    composed: list[tuple[Path, Service]],
    names: dict[str, str],
    files: list[Path],
    root: Path,
) -> None:
    """nginx `location /x { proxy_pass http://users:5000; }`: calls to the gateway under
    `/x` reach `users`, so `users` gets the gateway's hosts with that path prefix."""
    gateways = [
        (path, s) for path, s in composed if s.image and s.image[0].lower().startswith("nginx")
    ]
    for conf in files:
        if not (conf.suffix in (".conf", ".template") or conf.name.startswith("nginx")):
            continue
        text = _read(conf)
        if "proxy_pass" not in text:
            continue
        shown = _rel(conf, root)
        owner = _gateway_of(conf, gateways, composed, root)
        if owner is None:
            continue
        upstreams = {
            name: servers[0]
            for name, body in _UPSTREAM.findall(text)
            if (servers := _SERVER.findall(body))
        }
        for match in _LOCATION.finditer(text):
            prefix, target = match.group(1).rstrip("/"), match.group(2).lower()
            service = names.get(upstreams.get(target, target).lower())
            if not prefix or service is None or service == owner.name:
                continue
            line = text.count("\n", 0, match.start()) + 1
            hosts = [h for h, _line, _what in owner.names]
            hosts += [f"localhost:{port}" for port, _line in owner.ports]
            for host in hosts:
                _add(
                    found.services[service].hosts,
                    f"{host}{prefix}",
                    f"{shown}:{line}: {owner.name} routes {prefix} to {service}",
                )


def _gateway_of(
    conf: Path,
    gateways: list[tuple[Path, Service]],
    composed: list[tuple[Path, Service]],
    root: Path,
) -> Service | None:
    """The compose service an nginx config belongs to: the one whose build folder holds
    it, or the only nginx service of the repository."""
    for path, service in composed:
        if service.build is not None:
            context = (path.parent / service.build[0]).resolve()
            if context != root and context in conf.resolve().parents:
                return service
    return gateways[0][1] if len(gateways) == 1 else None


# -- services without compose --------------------------------------------------------------
def _dockerfile_services(
    found: Inference, files: list[Path], root: Path, images_of: dict[str, set[str]]
) -> None:
    """A folder with a Dockerfile and Python code that no service covers is one."""
    covered = [root / e.value for s in found.services.values() for e in s.paths]
    # `FROM base`: an image built here (untagged, no registry), not a public `nginx:1.27`;
    # `nginx/Dockerfile` saying `FROM nginx` builds on the public image, not on itself.
    bases = {
        words[1].lower()
        for path in files
        if path.name == "Dockerfile"
        for line in _read(path).splitlines()
        if len(words := line.split()) >= 2
        and words[0].upper() == "FROM"
        and not any(c in words[1] for c in ":@/$")
        and words[1].lower() != _known_name(path.parent.name)
    }
    for path in files:
        if path.name != "Dockerfile" or path.parent == root:
            continue
        folder = path.parent
        if _known_name(folder.name) in bases:
            found.notes.append(
                f"{_rel(folder, root)}: a base image other Dockerfiles build FROM, not a service"
            )
            continue
        if any(folder == c or c in folder.parents or folder in c.parents for c in covered):
            continue
        if not _has_python(folder):
            continue
        name = folder.name.lower().replace("_", "-")
        # An image-only compose service whose name or image is this folder's (`image:
        # mailu/nginx` built from `core/nginx`) is the one this folder builds.
        joined = next(
            (
                s
                for s, images in images_of.items()
                if not found.services[s].paths and (_known_name(s) == name or name in images)
            ),
            None,
        )
        if joined is None and name in found.services:
            name = f"{folder.parent.name.lower()}-{name}"  # a clash: say which folder
        inferred = found.services.setdefault(joined or name, Inferred(joined or name))
        _add(
            inferred.paths, _rel(folder, root), f"{_rel(path, root)}: Dockerfile beside Python code"
        )
        covered.append(folder)


# -- Kubernetes ----------------------------------------------------------------------------
_CLUSTER_SUFFIX = re.compile(r"\.[a-z0-9-]+(?:\.svc(?:\.cluster\.local)?)?$")


def _kubernetes(found: Inference, files: list[Path], root: Path) -> None:
    """Services' names are the hosts others use; workloads' env vars that name a Service
    reach it. A Service is tied to a service of the repository by its name, its
    workload's name or image (`.../cartservice:v1` -> the `cartservice` folder)."""
    workloads: list[Workload] = []
    kube: list[KubeService] = []
    templates: dict[str, int] = {}
    for path in files:
        if path.suffix not in (".yaml", ".yml") or COMPOSE_NAME.match(path.name):
            continue
        more, services, note = read_manifests(path, _rel(path, root))
        workloads += more
        kube += services
        if note:
            folder = _rel(path.parent, root) or "."
            templates[folder] = templates.get(folder, 0) + 1
    for folder, count in sorted(templates.items()):
        what = "a Helm template" if count == 1 else f"{count} Helm templates"
        found.notes.append(f"{folder}: {what}, not read (render them to read them)")
    owner_of: dict[str, str] = {}  # Kubernetes Service name -> service of the config
    service_of: dict[str, str] = {}  # workload name -> service of the config
    for svc in kube:
        selected = [
            w for w in workloads if svc.selector and svc.selector.items() <= w.labels.items()
        ]
        names = [svc.name] + [w.name for w in selected]
        names += [
            i.rsplit("/", 1)[-1].split(":")[0].split("@")[0] for w in selected for i in w.images
        ]
        chosen = next((n for n in (_known(found, n) for n in names) if n), None)
        kinds = {_kind(i.lower()) for w in selected for i in w.images}
        if chosen is None and kinds & {"infra", "database"}:
            image = next(i for w in selected for i in w.images if _kind(i.lower()))
            what = "a broker, cache or tool" if "infra" in kinds else "a database"
            why = f"{svc.file}:{svc.line}: Kubernetes Service of {image.split(':')[0]} ({what})"
            if "infra" in kinds:
                _add(found.ignore_hosts, svc.name, why)
            continue
        if chosen is None:
            chosen = svc.name
            found.services.setdefault(chosen, Inferred(chosen))
        owner_of[svc.name.lower()] = chosen
        for w in selected:
            service_of[w.name] = chosen
        _add(found.services[chosen].hosts, svc.name, f"{svc.file}:{svc.line}: Kubernetes Service")
    reaches: dict[str, set[str]] = {}
    evidence: dict[str, str] = {}
    for w in workloads:
        for key, value, line in w.environment:
            host = _host_of(value)
            if host is None and value.lower() in owner_of and _HOSTISH.search(key):
                host = value.lower()  # `AUTH_PATH: auth-microservice`: a bare Service name
            target = owner_of.get(_CLUSTER_SUFFIX.sub("", host)) if host else None
            if host and target is None:
                target = owner_of.get(host)
            if target is None or target == service_of.get(w.name):
                continue
            reaches.setdefault(key, set()).add(target)
            evidence.setdefault(key, f"{w.file}:{line}: {w.name}'s env names {target}")
    _env_vars_reach(found, reaches, evidence)


def _known(found: Inference, name: str) -> str | None:
    """The service of the config `name` is (`cart_service` is `cart-service`), if one."""
    wanted = name.lower().replace("_", "-")
    for key in found.services:
        if key.lower().replace("_", "-") == wanted:
            return key
    return None


# -- each service's code -------------------------------------------------------------------
def _code_of(found: Inference, inferred: Inferred, root: Path) -> None:
    for entry in list(inferred.paths):
        folder = root / entry.value
        if (folder / "__init__.py").is_file() and folder.name.isidentifier():
            # The service folder is itself the package: its modules are not import roots
            # (a `grpc.py` inside is not the grpc library). `tech-skills/` cannot be
            # imported by its name: its modules are the roots.
            _add(inferred.packages, folder.name, f"{_rel(folder, root)}/__init__.py")
        else:
            for child in sorted(folder.iterdir()) if folder.is_dir() else []:
                _import_root(inferred, child, root)
        for path in _python_files(folder):
            shown = _rel(path, root)
            for table, line, what in model_tables(path, _read(path)):
                _add_table(inferred.tables, table.lower(), f"{shown}:{line}: {what}")
        for path in _sql_files(folder):
            shown = _rel(path, root)
            for table, line, what in sql_tables(_read(path)):
                _add_table(inferred.tables, table.lower(), f"{shown}:{line}: {what}")


def _own_copies(found: Inference, root: Path) -> None:
    """A service folder that is itself a package (`usuarios/__init__.py`) gets no import
    roots of its children; but one named like another service's package (`src`) is its
    own copy when its code runs from that folder: listed, it stays the service's own
    (`from src.config import X` is no import of the other's `src`)."""
    claimed = {e.value for s in found.services.values() for e in s.packages}
    for inferred in found.services.values():
        own = {e.value for e in inferred.packages}
        for entry in inferred.paths:
            folder = root / entry.value
            if not (folder / "__init__.py").is_file():
                continue
            children = Inferred(inferred.name)
            for child in sorted(folder.iterdir()) if folder.is_dir() else []:
                _import_root(children, child, root)
            for child_entry in children.packages:
                if child_entry.value in claimed - own:
                    inferred.packages.append(child_entry)


def _import_root(inferred: Inferred, child: Path, root: Path) -> None:
    """A package (with or without `__init__.py`) or a module directly under a path."""
    if not child.name.isidentifier() and not child.stem.isidentifier():
        return
    if child.is_dir():
        if child.name in ("tests", "test") or child.name in SKIP_DIRS:
            return
        if (child / "env.py").is_file() and (child / "versions").is_dir():
            return  # an Alembic environment: run by `alembic`, never imported
        init = child / "__init__.py"
        if init.is_file():
            _add(inferred.packages, child.name, _rel(init, root))
        elif _holds_python(child) or any(
            sub.is_dir() and sub.name.isidentifier() and _holds_python(sub)
            for sub in child.iterdir()
        ):  # `src/opamp.py`, or a namespace package of packages: `src/agents/llm.py`
            _add(
                inferred.packages, child.name, f"{_rel(child, root)}/: Python code, no __init__.py"
            )
    elif (
        child.suffix == ".py"
        and child.stem.isidentifier()
        and child.stem != "__init__"
        and not _TEST_NAMES.match(child.name)
    ):
        _add(inferred.packages, child.stem, _rel(child, root))


def _holds_python(folder: Path) -> bool:
    """True when a folder holds a Python module directly."""
    return any(p.suffix == ".py" and p.is_file() for p in folder.iterdir())


def _shared(found: Inference, files: list[Path], root: Path) -> None:
    """Packages outside every service that two or more services import."""
    covered = [root / e.value for s in found.services.values() for e in s.paths]
    own = {e.value for s in found.services.values() for e in s.packages}
    candidates: dict[str, Path] = {}
    for path in files:
        if path.name != "__init__.py":
            continue
        package = path.parent
        distribution = any((package.parent / n).is_file() for n in ("setup.py", "pyproject.toml"))
        if package.parent != root and package.parent.parent != root and not distribution:
            continue  # a top-level package, one level down (libs/common), or installable
        if (package.parent / "__init__.py").is_file():
            continue
        if any(package == c or c in package.parents for c in covered):
            continue
        if package.name in own:
            continue  # each service imports its own `project` first: not this one
        candidates.setdefault(package.name, package)
    for name, package in sorted(candidates.items()):
        pattern = re.compile(rf"^\s*(?:from|import)\s+{re.escape(name)}\b", re.MULTILINE)
        users = sorted(
            s.name
            for s in found.services.values()
            for e in s.paths
            if any(pattern.search(_read(p)) for p in _python_files(root / e.value))
        )
        if len(users) < 2:
            continue
        holds = sorted(
            {
                what
                for p in _python_files(package)
                for rx, what in DOMAIN_MARKERS
                if rx.search(_read(p))
            }
        )
        shown = _rel(package, root)
        if holds:
            _add(
                found.shared_domain,
                name,
                f"{shown}: imported by {', '.join(users)}; holds {', '.join(holds)}",
            )
        else:
            _add(
                found.allowed_shared,
                name,
                f"{shown}: imported by {', '.join(users)}; no models or events: infrastructure",
            )


_MOUNT_WORDS = re.compile(r"\.mount\(|register_blueprint\(|include_router\(")


def _mounted_routes(found: Inference, root: Path) -> None:
    """A Python gateway that mounts another service's app under a prefix (Starlette/FastAPI
    `app.mount("/library", library_app)`, Flask `register_blueprint(bp, url_prefix=...)`,
    FastAPI `include_router(router, prefix=...)`): calls to the gateway under that prefix
    reach the service whose package the mounted object is imported from."""
    owners = {e.value: s.name for s in found.services.values() for e in s.packages}
    for gateway in list(found.services.values()):
        hosts = [e.value for e in gateway.hosts if not e.value.isupper() and "/" not in e.value]
        if not hosts:
            continue
        for entry in gateway.paths:
            for path in _python_files(root / entry.value):
                text = _read(path)
                if not _MOUNT_WORDS.search(text):
                    continue
                for prefix, modules, line in mounts(text):
                    owner = next(
                        (owners[m.split(".")[0]] for m in modules if m.split(".")[0] in owners),
                        None,
                    )
                    if owner is None or owner == gateway.name or not prefix.strip("/"):
                        continue
                    prefix = "/" + prefix.strip("/")
                    shown = _rel(path, root)
                    why = f"{shown}:{line}: {gateway.name} mounts {owner}'s app at {prefix}"
                    for host in hosts:
                        _add(found.services[owner].hosts, f"{host}{prefix}", why)


_THIRD_PARTY = re.compile(
    r"(?:^[ \t]*[A-Za-z_]\w*[ \t]*=[ \t]*|\b(?:get|post|put|patch|delete|head|request|urlopen)"
    r"\([ \t]*)f?[\"']https?://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w.-])",
    re.MULTILINE,
)
_NOT_THIRD = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|localhost|local|internal|svc|test)$")


def _third_parties(found: Inference, root: Path) -> None:
    """A public host a service's code calls or names in a constant (`STRIPE =
    "https://api.stripe.com"`), that no service of the repository is: a third party."""
    ours = {e.value.lower().split("/")[0] for s in found.services.values() for e in s.hosts}
    for service in found.services.values():
        for entry in service.paths:
            for path in _python_files(root / entry.value):
                text = _read(path)
                if "://" not in text:
                    continue
                for match in _THIRD_PARTY.finditer(text):
                    host = match.group(1).lower()
                    if host in ours or _NOT_THIRD.search(host) or host.split(".")[0] in ours:
                        continue
                    line = text.count("\n", 0, match.start(1)) + 1
                    _add(found.ignore_hosts, host, f"{_rel(path, root)}:{line}: a third party")


# Files that may consume from a broker: the word says so (kept loose; the facts decide).
_CONSUMES = re.compile(r"consume|Consumer|subscribe|event_handler")


def _consumed_queues(found: Inference, root: Path) -> None:
    """The queues and topics a service's code consumes (a literal name, or the env var it
    is read from): its `queues`. One that two services consume is left out, with a note.
    A nameko event (`@event_handler("orders", "order_created")`) is the dispatching
    service's: a topic of the service the handler names."""
    from couplint_ast.engine import Linter  # libcst: only for the files that may consume

    consumers: dict[str, set[str]] = {}
    for service in found.services.values():
        for entry in service.paths:
            for path in _python_files(root / entry.value):
                text = _read(path)
                if not _CONSUMES.search(text):
                    continue
                facts = Linter.parse_facts(_rel(path, root), text, workspace=False)
                for fact in facts.brokers if facts is not None else ():
                    if fact.operation != "consume":
                        continue
                    for name in _queue_names(fact.targets):
                        where = f"{_rel(path, root)}:{fact.span.line}"
                        if fact.library == "nameko":
                            _nameko_event(found, name, where)
                            continue
                        _add(service.queues, name, f"{where}: consumes")
                        consumers.setdefault(name, set()).add(service.name)
    for name, services in sorted(consumers.items()):
        if len(services) > 1:
            found.notes.append(
                f"queue '{name}' is consumed by {', '.join(sorted(services))}: left out"
                " (a topic each reads: list it under the service that publishes it, if one)"
            )
            for owner in services:
                _drop(found.services[owner].queues, name)


def _nameko_event(found: Inference, name: str, where: str) -> None:
    """`orders.order_created`: a topic of the service nameko calls `orders`, if exactly one
    service is (by its name or a host); left out with a note otherwise."""
    source = name.split(".", 1)[0].lower()
    owners = [
        service
        for service in found.services.values()
        if service.name.lower() == source or any(e.value.lower() == source for e in service.hosts)
    ]
    if len(owners) == 1:
        _add(owners[0].topics, name, f"{where}: handles this service's nameko event")
    else:
        found.notes.append(
            f"nameko event '{name}' ({where}): no one service is '{source}': left out"
        )


def _queue_names(targets: Iterable[Value]) -> Iterator[str]:
    """Literal destination names, and env var names a destination is read from whole."""
    for value in targets:
        for alternative in value.alternatives:
            parts = alternative.parts
            if alternative.is_text() and alternative.text():
                yield alternative.text()
            elif len(parts) == 1 and parts[0].kind == "env":
                yield parts[0].text


def _unique_hosts(found: Inference) -> None:
    """A host two services would claim is left out: the config would reject it."""
    owners: dict[str, set[str]] = {}
    for service in found.services.values():
        for entry in service.hosts:
            owners.setdefault(entry.value.lower(), set()).add(service.name)
    for host, claimed in sorted(owners.items()):
        if len(claimed) > 1:
            found.notes.append(f"host '{host}' is named by {', '.join(sorted(claimed))}: left out")
            for name in claimed:
                _drop(found.services[name].hosts, host, fold=True)


def _unique_tables(found: Inference) -> None:
    """A table the code of two services maps: the one service whose migrations or SQL
    create it owns it (the others' models are what CPL203 reports); when none or several
    do, the repository does not say, and it is left out of all, with a note naming them."""
    owners: dict[str, set[str]] = {}
    creators: dict[str, set[str]] = {}
    for service in found.services.values():
        for entry in service.tables:
            owners.setdefault(entry.value, set()).add(service.name)
            if _creates(entry.evidence):
                creators.setdefault(entry.value, set()).add(service.name)
    for table, claimed in sorted(owners.items()):
        if len(claimed) < 2:
            continue
        owner = creators.get(table, set())
        if len(owner) != 1:
            owner = set()
            found.notes.append(
                f"table '{table}' is mapped by {', '.join(sorted(claimed))}: a shared table;"
                " list it under the service that owns it"
            )
        for name in claimed - owner:
            _drop(found.services[name].tables, table)


def _creates(evidence: str) -> bool:
    """True when the evidence is a migration or SQL creating the table."""
    return "creates it" in evidence or evidence.endswith("CREATE TABLE")


def _add_table(entries: list[Entry], value: str, evidence: str) -> None:
    """`_add`, where a migration's or SQL's `CREATE TABLE` wins over a model as evidence."""
    for i, entry in enumerate(entries):
        if entry.value == value:
            if _creates(evidence) and not _creates(entry.evidence):
                entries[i] = Entry(value, evidence)
            return
    entries.append(Entry(value, evidence))


def _drop(entries: list[Entry], value: str, fold: bool = False) -> None:
    """Remove `value` from `entries`, in place (`fold`: compared lower-cased)."""
    entries[:] = [e for e in entries if (e.value.lower() if fold else e.value) != value]


def _add(entries: list[Entry], value: str, evidence: str) -> None:
    if value and all(e.value != value for e in entries):
        entries.append(Entry(value, evidence))


# -- output --------------------------------------------------------------------------------
def render(found: Inference) -> str:
    """The `[tool.couplint]` table, every entry commented with its evidence."""
    lines = [
        "# Written by `couplint init` from what this repository says: each entry names",
        "# its evidence. Read them, fix what is wrong, then `couplint check`.",
        "[tool.couplint]",
    ]
    for key, entries in (
        ("shared-domain-packages", found.shared_domain),
        ("allowed-shared-packages", found.allowed_shared),
        ("ignore-hosts", found.ignore_hosts),
    ):
        lines.extend(_array(key, entries))
    for name, service in sorted(found.services.items()):
        lines.append("")
        lines.append(f"[tool.couplint.services.{_key(name)}]")
        if not service.paths:
            lines.append("# no Python code of its own here: others reach it through its hosts")
        for key, entries in (
            ("paths", service.paths),
            ("packages", service.packages),
            ("hosts", service.hosts),
            ("tables", service.tables),
            ("databases", service.databases),
            ("topics", service.topics),
            ("queues", service.queues),
        ):
            lines.extend(_array(key, entries))
    return "\n".join(lines) + "\n"


def _array(key: str, entries: list[Entry]) -> list[str]:
    if not entries:
        return []
    return [f"{key} = [", *(f"    {json.dumps(e.value)},  # {e.evidence}" for e in entries), "]"]


def _key(name: str) -> str:
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else json.dumps(name)


def write_config(root: Path, text: str) -> Path:
    """Add `text` to ROOT/pyproject.toml; ValueError when a config is already there."""
    if (root / "couplint.toml").is_file():
        raise ValueError(
            f"{_rel(root / 'couplint.toml', Path.cwd())}: a config is already here; not replaced"
        )
    target = root / "pyproject.toml"
    existing = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
    if re.search(r"^\[tool\.couplint[\].]", existing, re.MULTILINE):
        raise ValueError(f"{target}: already has [tool.couplint]; not replaced")
    glue = (
        ""
        if not existing or existing.endswith("\n\n")
        else "\n"
        if existing.endswith("\n")
        else "\n\n"
    )
    with target.open("a", encoding="utf-8") as out:
        out.write(glue + text)
    return target


def lacking(found: Inference, config: Config) -> list[str]:
    """What the repository shows that `config` does not say, one line each."""
    missing = []
    for name, service in sorted(found.services.items()):
        have = config.service_named(name) or _by_path(config, service, found.root)
        if have is None:
            evidence = (service.paths or service.hosts or [Entry("", "")])[0].evidence
            missing.append(f"no service '{name}' ({evidence})")
            continue
        hosts = {h.lower() for s in config.services for h in s.hosts}
        for entry in service.hosts:
            if entry.value.lower() not in hosts:
                missing.append(
                    f"service '{have.name}' lacks host '{entry.value}' ({entry.evidence})"
                )
        for entry in service.tables:
            if config.table_owner(entry.value, have.name) is None:
                missing.append(
                    f"service '{have.name}' lacks table '{entry.value}' ({entry.evidence})"
                )
    return missing


def _by_path(config: Config, service: Inferred, root: Path) -> ServiceConfig | None:
    """The configured service that has one of `service`'s paths, under another name."""
    wanted = {Path(os.path.realpath(root / e.value)) for e in service.paths}
    return next(
        (s for s in config.services if wanted & {Path(os.path.realpath(p)) for p in s.paths}), None
    )
