"""The markers resolved strings carry for what static analysis cannot know; no libcst here.

Rules read facts that hold these markers, so they live apart from `strings.py` (which
imports libcst, a start-up cost that files without candidates never pay).
"""

from __future__ import annotations

import re

HOLE = "\ue000"
ENV_OPEN = "\ue001"
ENV_CLOSE = "\ue002"
ENV_MARKER = re.compile(f"{ENV_OPEN}([^{ENV_CLOSE}]*){ENV_CLOSE}")
NAME_OPEN = "\ue003"
NAME_CLOSE = "\ue004"
NAME_MARKER = re.compile(f"{NAME_OPEN}([^{NAME_CLOSE}]*){NAME_CLOSE}")


def env_marker(name: str) -> str:
    """The marker that stands for the value of environment variable `name`."""
    return f"{ENV_OPEN}{name}{ENV_CLOSE}"


def env_names(value: str) -> list[str]:
    """The environment variables whose values make up part of `value`."""
    return ENV_MARKER.findall(value)


def name_marker(name: str) -> str:
    """The marker for the unknown value of a name bound nowhere in the file (`settings.X`)."""
    return f"{NAME_OPEN}{name}{NAME_CLOSE}"


def marker_names(value: str) -> list[str]:
    """The dotted names whose unknown values make up part of `value` (see `name_marker`)."""
    return NAME_MARKER.findall(value)


def display(value: str) -> str:
    """`value` as users read it: `${NAME}` for env vars, `{name}` for names, `{?}` for holes."""
    value = ENV_MARKER.sub(lambda m: "${" + m.group(1) + "}", value)
    value = NAME_MARKER.sub(lambda m: "{" + m.group(1) + "}", value)
    return value.replace(HOLE, "{?}")
