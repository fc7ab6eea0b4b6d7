"""Prefilter vocabulary generated from the collectors' own catalogs (no libcst here).

The prefilter (`parse.Prefilter`) lets a file reach libcst only when one of these regexes
occurs in its text, so each comes from the catalog the collector itself reads: a needle
list kept by hand misses what the collector knows (`exec_driver_sql`, `urllib.request`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from couplint_ast.facts.catalog import CLIENT_MODULES


def client_needles() -> list[str]:
    """An import of any client library of the catalog."""
    return [_import_needle(m) for m in CLIENT_MODULES]


def _import_needle(module: str) -> str:
    # `import a.b`, `from a.b import x`, `from a import b` (or a parenthesised list).
    head, _, tail = module.partition(".")
    h = re.escape(head)
    full = re.escape(module)
    forms = [rf"from[ \t]+{full}\b", rf"import[ \t](?:[^\n#]*[ ,])?{full}\b"]
    if tail:
        forms.append(rf"from[ \t]+{h}[ \t]+import[ \t]+(?:\(|[^\n#]*\b{re.escape(tail)}\b)")
    return rf"(?:^|[;:])[ \t]*(?:{'|'.join(forms)})"


def import_needle(packages: Iterable[str]) -> str | None:
    """A regex matching an import statement of any of `packages` or their submodules.

    Dotted names are matched whole (`django.contrib.auth`, or `from django.contrib import
    auth`), so declaring a subpackage does not let every import of its root through.
    """
    forms = []
    for package in sorted(set(packages)):
        full = re.escape(package)
        forms.append(rf"from[ \t]+{full}\b")
        forms.append(rf"import[ \t](?:[^\n#]|\\\n)*?(?<![\w.]){full}\b")
        if "." in package:
            parent, name = package.rsplit(".", 1)
            imported = rf"(?:\(|(?:[^\n#]|\\\n)*?\b{re.escape(name)}\b)"
            forms.append(rf"from[ \t]+{re.escape(parent)}[ \t]+import[ \t]+{imported}")
    if not forms:
        return None
    return rf"(?:^|[;:])[ \t]*(?:{'|'.join(forms)})"
