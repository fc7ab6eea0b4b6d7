"""The rule catalog: every module in this package that declares a FileRule is registered."""

from __future__ import annotations

import importlib
import pkgutil

from couplint_ast.rules.base import FileRule


def _discover() -> tuple[type[FileRule], ...]:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("cpl"):
            importlib.import_module(f"{__name__}.{info.name}")
    found = [rule for rule in _subclasses(FileRule) if "code" in vars(rule)]
    return tuple(sorted(found, key=lambda rule: rule.code))


def _subclasses(cls: type[FileRule]) -> list[type[FileRule]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


ALL_RULES: tuple[type[FileRule], ...] = _discover()
RULES_BY_CODE: dict[str, type[FileRule]] = {rule.code: rule for rule in ALL_RULES}
