"""Fact values: what a file's code does, independent of any config. No libcst here."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from couplint_ast.model import Span

FACTS_SCHEMA_VERSION = 1

T = TypeVar("T")


@dataclass(frozen=True)
class ImportFact:
    """One imported dotted name: `from a.b import c` gives `a.b.c`; relative ones keep `level`."""

    span: Span
    module: str
    level: int = 0


@dataclass(frozen=True)
class FileFacts:
    """Everything extracted from one file; plain data that survives a JSON round trip."""

    path: str
    imports: tuple[ImportFact, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Rebuild facts from `to_json` output; `ValueError` if it does not fit."""
        try:
            return _decode(cls, data)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not couplint facts: {exc}") from None


def _decode(kind: type[T], data: Any) -> T:
    """Build dataclass `kind` from nested dicts and lists, following its type hints."""
    hints = typing.get_type_hints(kind)
    values = {}
    for f in dataclasses.fields(kind):  # type: ignore[arg-type]
        if f.name in data:
            values[f.name] = _decode_value(hints[f.name], data[f.name])
    return kind(**values)


def _decode_value(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _decode(hint, value)  # type: ignore[arg-type]
    if origin is tuple:
        (item, *_rest) = typing.get_args(hint)
        return tuple(_decode_value(item, v) for v in value)
    if origin is typing.Union or origin is getattr(types, "UnionType", None):
        if value is None:
            return None
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode_value(args[0], value)
    if hint in (str, int, bool, float) and not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
    return value
