"""Kubernetes manifests: Services (the host names others use) and the workloads behind them.

Read with the same safe composer as compose files; Helm templates (`{{ }}`) that are not
YAML are a note. A Deployment, StatefulSet, DaemonSet or Job gives its containers' images
and env vars; a Service gives its name, ports and the labels it selects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from couplint_ast.init.compose import MAX_BYTES, _pairs, _plain, _scalar

WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"})


@dataclass
class Workload:
    """A Deployment (or alike): its name, pod labels, images, env, and where it is written."""

    name: str
    file: str
    line: int
    labels: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    environment: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class KubeService:
    """A Service: the host name others reach, the ports, the pod labels it selects."""

    name: str
    file: str
    line: int
    selector: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)


def read_manifests(path: Path, shown: str) -> tuple[list[Workload], list[KubeService], str | None]:
    """The workloads and Services of one YAML file; a note when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return [], [], None
    if len(data) > MAX_BYTES or b"kind:" not in data:
        return [], [], None
    try:
        text = data.decode("utf-8")
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        template = b"{{" in data
        note = shown if template else None
        return [], [], note
    workloads, services = [], []
    for document in documents:
        top = dict(_pairs(document))
        kind = _scalar(top.get("kind"))
        meta = dict(_pairs(top.get("metadata")))
        name = _scalar(meta.get("name"))
        if kind is None or name is None or document is None:
            continue
        line = document.start_mark.line + 1
        spec = dict(_pairs(top.get("spec")))
        if kind == "Service":
            found = KubeService(name, shown, line)
            found.selector = _labels(spec.get("selector"))
            ports = spec.get("ports")
            for port in ports.value if isinstance(ports, yaml.SequenceNode) else []:
                number = _scalar(dict(_pairs(port)).get("port"))
                if number and number.isdigit():
                    found.ports.append(int(number))
            services.append(found)
        elif kind in WORKLOADS:
            workloads.append(_workload(name, shown, line, spec))
    return workloads, services, None


def _workload(name: str, shown: str, line: int, spec: dict[str, yaml.Node]) -> Workload:
    found = Workload(name, shown, line)
    template = dict(_pairs(spec.get("template")))
    if "jobTemplate" in spec:  # CronJob: spec.jobTemplate.spec.template
        job = dict(_pairs(dict(_pairs(spec["jobTemplate"])).get("spec")))
        template = dict(_pairs(job.get("template")))
    pod = template or {"spec": spec.get("spec") or yaml.MappingNode("", [])}
    found.labels = _labels(dict(_pairs(pod.get("metadata"))).get("labels"))
    containers = dict(_pairs(pod.get("spec"))).get("containers")
    for container in containers.value if isinstance(containers, yaml.SequenceNode) else []:
        fields = dict(_pairs(container))
        image = _scalar(fields.get("image"))
        if image:
            found.images.append(image)
        env = fields.get("env")
        for item in env.value if isinstance(env, yaml.SequenceNode) else []:
            entry = dict(_pairs(item))
            key, value = _scalar(entry.get("name")), _scalar(entry.get("value"))
            if key and value is not None:
                found.environment.append((key, _plain(value, {}), item.start_mark.line + 1))
    return found


def _labels(node: yaml.Node | None) -> dict[str, str]:
    return {k: v for k, n in _pairs(node) if (v := _scalar(n)) is not None}
