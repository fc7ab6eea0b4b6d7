"""Code outside every service that services import: its calls couple its importers.

A shared library of the workspace (`libs/acme_http/acme_http/client.py`, module
`acme_http.client`) is nobody's service, but a service that imports it runs its calls.
Its module name comes from its package layout (the folders above it that hold an
`__init__.py`). A service imports it when one of its files imports that module, a name in
it or a submodule of it (`acme_http` for `acme_http/__init__.py`), directly or through
other shared modules; a module of the service's own that has the same name wins.

The facts of a shared file then count once for each importer: the workspace index,
the graph and the audit see them as that service's code, and the call rules report at the
shared call site, naming the importers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from couplint_ast.config import Config
from couplint_ast.engine import Linter, display_path
from couplint_ast.facts import FileFacts
from couplint_ast.model import Diagnostic

# The codes reported at a shared call site: the call rules (the others judge a service's
# own code: its imports, tables and migrations).
SHARED_FAMILIES = ("CPL3", "CPL401")


def shared_modules(files: Iterable[tuple[Path, Config]]) -> dict[str, str]:
    """Display path -> module name of each file outside every service (tests left out)."""
    found = {}
    packages: dict[Path, bool] = {}
    for path, config in files:
        display = display_path(path)  # as the results name it
        if config.service_for(str(path)) is not None or config.is_test_file(str(path)):
            continue
        name = module_name(path, packages)
        if name:
            found[display] = name
    return found


def module_name(path: Path, packages: dict[Path, bool] | None = None) -> str:
    """`a.b.c` for `.../a/b/c.py` when `a/` and `a/b/` hold an `__init__.py`."""
    packages = {} if packages is None else packages
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while True:
        known = packages.get(folder)
        if known is None:
            known = packages[folder] = (folder / "__init__.py").is_file()
        if not known or folder.parent == folder:
            break
        parts.append(folder.name)
        folder = folder.parent
    names = list(reversed(parts))
    return ".".join(names) if names and all(n.isidentifier() for n in names) else ""


def importers(
    modules: Mapping[str, str],
    service_files: Sequence[tuple[str, FileFacts]],
    shared_facts: Mapping[str, FileFacts],
    sources: Iterable[tuple[str, str]],
) -> dict[str, tuple[str, ...]]:
    """Shared path -> the services that import it (directly or through shared modules).
    `sources` are (service, path) of every file of the services, read or not."""
    own: dict[str, set[str]] = {}  # service -> the module paths its own files can be
    for service, path in sources:
        own.setdefault(service, set()).update(_tails(path))
    found: dict[str, set[str]] = {}
    for service, facts in service_files:
        for imported in (i.module for i in facts.imports if not i.level):
            for path, name in modules.items():
                if _imports(imported, name) and name.replace(".", "/") not in own.get(service, ()):
                    found.setdefault(path, set()).add(service)
    # Through shared modules: whoever imports A also runs what A imports.
    changed = True
    while changed:
        changed = False
        for path, services in list(found.items()):
            read = shared_facts.get(path)
            if read is None:
                continue
            for imported in _absolute_imports(read, modules[path]):
                for other, name in modules.items():
                    if other != path and _imports(imported, name):
                        before = found.setdefault(other, set())
                        if not services <= before:
                            before |= services
                            changed = True
    return {path: tuple(sorted(services)) for path, services in found.items()}


def _imports(imported: str, module: str) -> bool:
    return imported == module or imported.startswith(module + ".")


def _tails(path: str) -> set[str]:
    """The module paths a file of a service can be imported as (`a/b/c` for a/b/c.py)."""
    pure = PurePosixPath(path)
    parts = list(pure.parent.parts) + ([] if pure.name == "__init__.py" else [pure.stem])
    return {"/".join(parts[i:]) for i in range(len(parts))}


def _absolute_imports(facts: FileFacts, module: str) -> Iterable[str]:
    package = module if facts.path.endswith("__init__.py") else module.rpartition(".")[0]
    for fact in facts.imports:
        if not fact.level:
            yield fact.module
            continue
        base = package.split(".") if package else []
        base = base[: len(base) - (fact.level - 1)] if fact.level > 1 else base
        yield ".".join([*base, fact.module] if fact.module else base)


def shared_diagnostics(
    path: str,
    charged: Sequence[tuple[str, FileFacts]],
    linter: Linter,
) -> tuple[Diagnostic, ...]:
    """The call findings of a shared file, once per site, naming the services it couples."""
    by_site: dict[Diagnostic, list[str]] = {}
    for service, facts in charged:
        for d in linter.check(facts, service):
            if d.code.startswith(SHARED_FAMILIES):
                by_site.setdefault(d, []).append(service)
    found = []
    for d, services in by_site.items():
        names = ", ".join(f"'{s}'" for s in sorted(set(services)))
        word = "service" if len(set(services)) == 1 else "services"
        found.append(replace(d, path=path, message=f"{d.message} (shared code: {word} {names})"))
    return tuple(sorted(found))
