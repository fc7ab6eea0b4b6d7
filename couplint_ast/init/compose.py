"""Compose files read as a user wrote them: services, with the line of every fact.

YAML is read with PyYAML's safe composer (`yaml.compose_all` with `SafeLoader`): nodes
carry their line numbers, nothing is constructed, no tag runs code. Merge keys (`<<`)
are followed a few levels deep. `${VAR}`, `$VAR` and `${VAR:-default}` are interpolated as
compose does, from the `.env` file beside the compose file (`project_variables`), else from
the default; a variable neither gives is empty. A pass-through entry (`environment: [VAR]`)
takes its value from there too. A file that is not YAML, not UTF-8 or too large is a note,
never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_BYTES = 2_000_000
_MERGE_DEPTH = 8
COMPOSE_NAME = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$")
# `$$` (a literal dollar), `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
# `${VAR:+alternative}`, `$VAR`.
_INTERPOLATED = re.compile(r"\$\$|\$\{(\w+)(?:(:?)([-?+])([^}]*))?\}|\$([A-Za-z_]\w*)")
Variables = Mapping[str, str]


@dataclass
class Service:
    """One compose service, every value with the line (1-based) it is written on."""

    name: str
    file: str  # as shown: relative to the root
    line: int
    build: tuple[str, int] | None = None  # context folder, relative to the compose file
    dockerfile: str | None = None
    image: tuple[str, int] | None = None
    names: list[tuple[str, int, str]] = field(default_factory=list)  # (host, line, what)
    ports: list[tuple[int, int]] = field(default_factory=list)  # (published port, line)
    environment: list[tuple[str, str, int]] = field(default_factory=list)  # (key, value, line)
    env_files: list[tuple[str, int]] = field(default_factory=list)
    volumes: list[tuple[str, int]] = field(default_factory=list)  # (host source, line)
    depends_on: list[str] = field(default_factory=list)


def read_compose(path: Path, shown: str) -> tuple[list[Service], list[str]]:
    """The services of one compose file, and notes on what could not be read (fully).
    Its `${VAR}` stand for what the `.env` file beside it says."""
    variables = project_variables(path.parent)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [f"{shown}: cannot read: {exc.strerror or exc}"]
    if len(data) > MAX_BYTES:
        return [], [f"{shown}: larger than {MAX_BYTES // 1_000_000} MB, not read"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], [f"{shown}: not UTF-8 text, not read"]
    notes = []
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        untemplated = _untemplated(text)
        if untemplated is None:
            template = " (a template?)" if "{%" in text or "{{" in text else ""
            return [], [f"{shown}: not valid YAML{where}, not read{template}"]
        documents = untemplated
        notes.append(
            f"{shown}: a Jinja template, read without its {{% %}} tags and {{{{ }}}} values"
        )
    except RecursionError:
        return [], [f"{shown}: nested too deeply, not read"]
    services = []
    for document in documents:
        top = dict(_pairs(document))
        body = top.get("services")
        if body is None and "version" not in top:
            # Compose v1: services at the top level.
            body = document if any(_is_service(v) for _, v in _pairs(document)) else None
        lines = _key_lines(body)
        for name, node in _pairs(body):
            if _is_service(node):
                services.append(_service(name, node, shown, lines.get(name), variables))
    unset = _unset(text, variables) if services else []
    if unset:
        more = f" and {len(unset) - 3} more" if len(unset) > 3 else ""
        named = ", ".join("${" + name + "}" for name in unset[:3])
        verb = "is" if len(unset) == 1 else "are"
        notes.append(f"{shown}: {named}{more} {verb} not set by a .env beside it: read as empty")
    return services, notes


def _unset(text: str, variables: Variables) -> list[str]:
    """The variables the file interpolates with no default that `variables` lacks."""
    unset: set[str] = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in _INTERPOLATED.finditer(line):
            name = match.group(1) or match.group(5)
            if name and match.group(3) not in ("-", "+") and name not in variables:
                unset.add(name)
    return sorted(unset)


_JINJA_LINE = re.compile(r"^[ \t]*\{%.*?%\}[ \t]*$\n?", re.MULTILINE)
_JINJA_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_JINJA_VALUE = re.compile(r"\{\{.*?\}\}")


def _untemplated(text: str) -> list[yaml.Node] | None:
    """A Jinja-templated compose file read as far as it can be: `{% %}` lines blanked (both
    branches of an `if` kept), `{{ }}` values emptied; None when it still is not YAML."""
    if "{%" not in text and "{{" not in text:
        return None

    # Each removed tag leaves its line breaks, so evidence keeps the file's line numbers.
    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group().count("\n")

    plain = _JINJA_VALUE.sub("", _JINJA_TAG.sub(blank, _JINJA_LINE.sub(blank, text)))
    try:
        return [d for d in yaml.compose_all(plain, Loader=yaml.SafeLoader) if d is not None]
    except (yaml.YAMLError, RecursionError):
        return None


def _is_service(node: yaml.Node) -> bool:
    keys = {k for k, _ in _pairs(node)}
    return bool(keys & {"image", "build", "environment", "ports", "command"})


def _service(
    name: str, node: yaml.Node, shown: str, line: int | None, variables: Variables
) -> Service:
    found = Service(name, shown, line or node.start_mark.line + 1)
    found.names.append((name, found.line, "compose service name"))
    for key, value in _pairs(node):
        line = value.start_mark.line + 1
        if key == "build":
            context = _scalar(value)
            if context is None:
                fields = dict(_pairs(value))
                context = _scalar(fields.get("context")) or "."
                dockerfile = _scalar(fields.get("dockerfile"))
                found.dockerfile = _plain(dockerfile, variables) if dockerfile else None
            found.build = (_plain(context, variables), line)
        elif key == "image" and _scalar(value):
            found.image = (_plain(_scalar(value) or "", variables), line)
        elif key in ("container_name", "hostname") and _scalar(value):
            found.names.append(
                (_plain(_scalar(value) or "", variables), line, key.replace("_", " "))
            )
        elif key == "networks":
            for _network, settings in _pairs(value):
                for alias_key, aliases in _pairs(settings):
                    if alias_key == "aliases" and isinstance(aliases, yaml.SequenceNode):
                        for alias in aliases.value:
                            text = _scalar(alias)
                            if text:
                                found.names.append((text, alias.start_mark.line + 1, "alias"))
        elif key == "ports" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                port = _published(item, variables)
                if port is not None:
                    found.ports.append((port, item.start_mark.line + 1))
        elif key == "environment":
            found.environment.extend(_environment(value, variables))
        elif key == "volumes" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                text = _scalar(item)
                source = text.split(":")[0] if text else _scalar(dict(_pairs(item)).get("source"))
                if source:
                    found.volumes.append((_plain(source, variables), item.start_mark.line + 1))
        elif key == "depends_on":
            items = value.value if isinstance(value, yaml.SequenceNode) else []
            found.depends_on.extend(t for t in (_scalar(i) for i in items) if t)
            found.depends_on.extend(name for name, _item in _pairs(value))
        elif key == "env_file":
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in items:
                text = _scalar(item) or _scalar(dict(_pairs(item)).get("path"))
                if text:
                    found.env_files.append((text, item.start_mark.line + 1))
    return found


def _environment(node: yaml.Node, variables: Variables) -> list[tuple[str, str, int]]:
    given: list[tuple[str, str | None, int]] = []  # (key, its value if written, line)
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            key, sep, value = (_scalar(item) or "").partition("=")
            given.append((key.strip(), value.strip() if sep else None, item.start_mark.line + 1))
    else:
        given = [(name, _scalar(item), item.start_mark.line + 1) for name, item in _pairs(node)]
    found = []
    for key, written, line in given:
        if key and written is not None:
            found.append((key, _plain(written, variables), line))
        elif key in variables:  # `- CART_ADDR` or `CART_ADDR:`: passed through from `.env`
            found.append((key, variables[key], line))
    return found


def _published(node: yaml.Node, variables: Variables) -> int | None:
    """The host port of a `ports` item: "8001:5000", "127.0.0.1:8001:5000", long form."""
    text = _scalar(node)
    if text is None:
        published = _scalar(dict(_pairs(node)).get("published"))
        return int(published) if published and published.isdigit() else None
    pieces = _plain(text, variables).split("/")[0].split(":")
    if len(pieces) < 2:
        return None  # a container port only: nothing published on the host
    host_port = pieces[-2].split("-")[0]
    return int(host_port) if host_port.isdigit() else None


def project_variables(folder: Path) -> dict[str, str]:
    """What compose interpolates a compose file of `folder` with: its `.env` file."""
    env = folder / ".env"
    return {key: value for key, value, _line in read_env_file(env)} if env.is_file() else {}


def read_env_file(path: Path) -> list[tuple[str, str, int]]:
    """`KEY=value` lines of a `.env` file (values stay here: only names are ever shown),
    each interpolated with the lines before it; single-quoted ones literal."""
    known: dict[str, str] = {}
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if len(data) > MAX_BYTES:
        return []
    found = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or key.startswith("#") or not re.match(r"^\w+$", key):
            continue
        value = value.strip()
        if value.startswith("'") and value.endswith("'") and len(value) > 1:
            value = value[1:-1]  # literal
        else:
            value = _plain(_unquoted(value), known)
        known[key] = value
        found.append((key, value, number))
    return found


def _unquoted(value: str) -> str:
    """A value without its double quotes, or without an inline ` # comment`."""
    if value.startswith('"'):
        end = value.find('"', 1)
        return value[1:end] if end > 0 else value[1:]
    return value.split(" #", 1)[0].rstrip()


def _pairs(node: yaml.Node | None, depth: int = 0) -> list[tuple[str, yaml.Node]]:
    """(key, value) of a mapping node, merge keys (`<<: *defaults`) followed."""
    if not isinstance(node, yaml.MappingNode) or depth > _MERGE_DEPTH:
        return []
    own: list[tuple[str, yaml.Node]] = []
    merged: list[tuple[str, yaml.Node]] = []
    for key, value in node.value:
        if key.tag == "tag:yaml.org,2002:merge":
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                merged.extend(_pairs(source, depth + 1))
        elif isinstance(key, yaml.ScalarNode):
            own.append((str(key.value), value))
    keys = {k for k, _ in own}
    return own + [(k, v) for k, v in merged if k not in keys]


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """The line each key of a mapping is written on (its value may start on the next)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }


def _scalar(node: yaml.Node | None) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return str(node.value)
    return None


def _plain(text: str, variables: Variables) -> str:
    """`text` interpolated as compose does; what `variables` lacks is its default or empty."""

    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(5)
        colon, operator, word = match.group(2), match.group(3), match.group(4) or ""
        current = variables.get(name)
        is_set = current is not None and (current != "" or not colon)
        if operator == "-":
            return current if is_set and current is not None else word
        if operator == "+":
            return word if is_set else ""
        return current or ""

    return _INTERPOLATED.sub(value, text)
