"""Start-up: which functions of a module run when the service starts, and why.

Hooks: FastAPI/Starlette `@app.on_event("startup")`, `add_event_handler("startup", f)`,
`on_startup=[f]` and `lifespan=f`; Flask `before_first_request`, Quart `before_serving` and
`while_serving`; aiohttp `on_startup.append(f)` and `cleanup_ctx.append(f)`; the
`create_app()`/`make_app()` factory; Django `AppConfig.ready()`; Celery `worker_init`,
`worker_ready`, `worker_process_init`, `celeryd_init`, `celeryd_after_setup` and
`beat_init` handlers (`@signal.connect` or `signal.connect(f)`). Functions of the module
called from a hook, or from module-level code (`if __name__ == "__main__":` included),
run at start-up too, transitively. Shutdown hooks are none of these.

For a context-style hook (lifespan, `while_serving`, `cleanup_ctx`) only the code before
its first `yield` is start-up; what follows is shutdown. Lambdas are not followed: when
they run is not known; nor is a coroutine handed to `asyncio.create_task` (or
`ensure_future`, `run_coroutine_threadsafe`): start-up does not wait for it. Calls
themselves are the call collector's facts; this module only says where start-up code is,
so a rule can join the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from couplint_ast.facts.callsites import is_forever
from couplint_ast.facts.context import FactCollector, ModuleContext, dotted_name
from couplint_ast.facts.literals import call_name
from couplint_ast.facts.strings import StringResolver
from couplint_ast.facts.types import FactFields, Region, StartupFact
from couplint_ast.model import Span

Scope = tuple[str, ...]
CELERY_SIGNALS = frozenset(
    {
        "worker_init",
        "worker_ready",
        "worker_process_init",
        "celeryd_init",
        "celeryd_after_setup",
        "beat_init",
    }
)
APP_CLASSES = frozenset({"FastAPI", "Starlette", "APIRouter", "Router"})
FACTORIES = frozenset({"create_app", "make_app"})
APP_CONFIGS = frozenset({"django.apps.AppConfig", "django.apps.config.AppConfig"})
# Decorator or registration method -> (hook name, only the code before `yield` counts).
METHOD_HOOKS = {
    "before_first_request": ("before_first_request handler", False),
    "before_serving": ("before_serving handler", False),
    "while_serving": ("while_serving handler", True),
}
MODULE_CODE = "module-level code"
# Calls that schedule their argument in the background: start-up goes on without it.
BACKGROUND = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe"})


@dataclass(frozen=True)
class _Call:
    """A call by name from some scope: a possible edge to a function of this module."""

    scope: Scope
    classes: Scope  # the enclosing class path, for `self.f()`
    name: str
    in_lambda: bool
    after_yield: bool
    at_import: bool


@dataclass(frozen=True)
class _Hook:
    """A reference to a function registered as a start-up hook, resolved after the visit."""

    ref: str
    scope: Scope
    classes: Scope
    kind: str
    cut: bool


class StartupCollector(FactCollector):
    """Records defs, hook registrations, calls by name, lambdas and first yields."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.strings = StringResolver(ctx)
        self.kinds: list[str] = []  # "class" or "def", parallel to ctx.scope
        self.lambdas = 0
        self.defs: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.first_yield: dict[str, cst.Yield] = {}
        self.lambda_nodes: dict[str, list[cst.CSTNode]] = {}  # lambdas, background calls
        self.background: set[int] = set()
        self.calls: dict[str, list[_Call]] = {}
        self.hooks: list[_Hook] = []
        self.decorated: list[tuple[str, Scope, cst.Decorator]] = []
        self.forever: list[bool] = []  # enclosing `while` loops: True for `while True:`

    # -- the visit -------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.kinds.append("class")
        self.classes[".".join(self.ctx.scope)] = node

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.kinds.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.kinds.append("def")
        name = ".".join(self.ctx.scope)
        self.defs[name] = node
        for decorator in node.decorators:
            self.decorated.append((name, tuple(self.ctx.scope[:-1]), decorator))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.kinds.pop()

    def visit_Lambda(self, node: cst.Lambda | cst.Call) -> None:
        if self.lambdas == 0 and "def" in self.kinds:
            self.lambda_nodes.setdefault(".".join(self.ctx.scope), []).append(node)
        self.lambdas += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.lambdas -= 1

    def leave_Yield(self, original_node: cst.Yield) -> None:
        if self.kinds and self.kinds[-1] == "def" and not self.lambdas:
            self.first_yield.setdefault(".".join(self.ctx.scope), original_node)

    def visit_While(self, node: cst.While) -> None:
        self.forever.append(is_forever(node))

    def leave_While(self, original_node: cst.While) -> None:
        self.forever.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if call_name(node) in BACKGROUND:  # its argument runs like a lambda's body
            self.visit_Lambda(node)
            self.background.add(id(node))
        name = dotted_name(node.func)
        if name is None:
            return
        scope = tuple(self.ctx.scope)
        classes = self._class_path(len(self.kinds))
        here = ".".join(scope)
        self.calls.setdefault(here, []).append(
            _Call(
                scope,
                classes,
                name,
                self.lambdas > 0,
                here in self.first_yield,
                # A module's `while True:` loop is the service's work, not its start-up.
                "def" not in self.kinds and not any(self.forever),
            )
        )
        for ref, kind, cut in self._registrations(node, scope):
            target = dotted_name(ref)
            if target is not None:
                self.hooks.append(_Hook(target, scope, classes, kind, cut))

    def leave_Call(self, original_node: cst.Call) -> None:
        if id(original_node) in self.background:
            self.lambdas -= 1

    def _registrations(
        self, node: cst.Call, scope: Scope
    ) -> list[tuple[cst.BaseExpression, str, bool]]:
        """`add_event_handler("startup", f)`, `app.before_serving(f)`, `FastAPI(lifespan=f)`."""
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        refs: list[tuple[cst.BaseExpression, str, bool]] = []
        if _last(node.func) in APP_CLASSES:
            if "lifespan" in keywords:
                refs.append((keywords["lifespan"], "lifespan", True))
            handlers = keywords.get("on_startup")
            if isinstance(handlers, (cst.List, cst.Tuple)):
                refs.extend((e.value, "startup handler", False) for e in handlers.elements)
        func = node.func
        if not isinstance(func, cst.Attribute):
            return refs
        method = func.attr.value
        if method == "add_event_handler" and len(positional) == 2:
            if self.strings.value(positional[0], scope) == "startup":
                refs.append((positional[1], "startup handler", False))
        elif method in METHOD_HOOKS and len(positional) == 1:
            refs.append((positional[0], *METHOD_HOOKS[method]))
        elif method == "connect" and positional:
            refs.append((positional[0], f"signal:{dotted_name(func.value) or ''}", False))
        elif method == "append" and len(positional) == 1:
            owner = dotted_name(func.value) or ""
            if owner.endswith(".on_startup"):
                refs.append((positional[0], "aiohttp on_startup handler", False))
            elif owner.endswith(".cleanup_ctx"):
                refs.append((positional[0], "aiohttp cleanup_ctx", True))
        return refs

    def _class_path(self, depth: int) -> Scope:
        """The scope up to and including the innermost class among the first `depth`."""
        for index in range(depth - 1, -1, -1):
            if self.kinds[index] == "class":
                return tuple(self.ctx.scope[: index + 1])
        return ()

    # -- after the visit -------------------------------------------------------------------

    def facts(self) -> FactFields:
        """The FileFacts fields this collector fills."""
        roots = list(self._roots())
        if not roots:
            return {"startup": ()}
        found: dict[str, tuple[str, str, bool]] = {}
        queue: list[str] = []
        for function, hook, cut in roots:
            if function not in found:
                found[function] = (hook, "<module>" if hook == MODULE_CODE else "", cut)
                queue.append(function)
        while queue:
            caller = queue.pop(0)
            hook, _, cut = found[caller]
            for call in self.calls.get(caller, ()):
                if call.in_lambda or (cut and call.after_yield):
                    continue
                callee = self._function(call.name, call.scope, call.classes)
                if callee is not None and callee not in found:
                    found[callee] = (hook, caller, False)
                    queue.append(callee)
        return {
            "startup": tuple(
                StartupFact(name, hook, via, self._skipped(name, cut))
                for name, (hook, via, cut) in found.items()
            )
        }

    def _roots(self) -> Iterator[tuple[str, str, bool]]:
        """(function, hook in words, only before `yield`) for every start-up hook."""
        for name, scope, decorator in self.decorated:
            hook = self._decorator_hook(decorator.decorator, scope)
            if hook is not None:
                yield name, f"{hook[0]} '{name}'", hook[1]
        for registered in self.hooks:
            function = self._function(registered.ref, registered.scope, registered.classes)
            kind = registered.kind
            if kind.startswith("signal:"):
                kind = self._celery_signal(kind[len("signal:") :]) or ""
            if function is not None and kind:
                yield function, f"{kind} '{function}'", registered.cut
        for name in self.defs:
            if name in FACTORIES:
                yield name, f"app factory '{name}'", False
        for name, node in self.classes.items():
            if f"{name}.ready" in self.defs and self._is_app_config(node):
                yield f"{name}.ready", f"Django AppConfig.ready of '{name}'", False
        for calls in self.calls.values():
            for call in calls:
                if call.at_import and not call.in_lambda:
                    function = self._function(call.name, call.scope, call.classes)
                    if function is not None:
                        yield function, MODULE_CODE, False

    def _decorator_hook(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, bool] | None:
        func = node.func if isinstance(node, cst.Call) else node
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if method == "on_event" and isinstance(node, cst.Call) and node.args:
            if self.strings.value(node.args[0].value, scope) == "startup":
                return "startup handler", False
        elif method in METHOD_HOOKS:
            return METHOD_HOOKS[method]
        elif method == "connect":
            signal = self._celery_signal(dotted_name(func.value) or "")
            if signal is not None:
                return signal, False
        return None

    def _celery_signal(self, name: str) -> str | None:
        """`Celery worker_init handler` when `name` is one of celery's start-up signals."""
        qualified = self.ctx.resolve(name) if name else None
        if qualified is None:
            return None
        module, _, signal = qualified.rpartition(".")
        if module == "celery.signals" and signal in CELERY_SIGNALS:
            return f"Celery {signal} handler"
        return None

    def _is_app_config(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            name = dotted_name(base.value)
            if name is None:
                continue
            qualified = self.ctx.resolve(name)
            if qualified in APP_CONFIGS or (qualified is None and name == "AppConfig"):
                return True
        return False

    def _function(self, name: str, scope: Scope, classes: Scope) -> str | None:
        """The dotted name of the function of this module that `name` calls from `scope`."""
        head, _, rest = name.partition(".")
        candidates: list[str] = []
        if head in ("self", "cls") and rest and classes:
            candidates.append(".".join((*classes, rest)))
        else:
            candidates.extend(".".join((*scope[:size], name)) for size in range(len(scope), -1, -1))
        for candidate in candidates:
            if candidate in self.defs:
                return candidate
            if candidate in self.classes and f"{candidate}.__init__" in self.defs:
                return f"{candidate}.__init__"  # `Client()` runs its `__init__`
        return None

    def _skipped(self, function: str, cut: bool) -> tuple[Region, ...]:
        """Lambdas in `function`, and for a context-style hook what follows its `yield`."""
        nodes: list[tuple[cst.CSTNode, cst.CSTNode]] = [
            (node, node) for node in self.lambda_nodes.get(function, ())
        ]
        yielded = self.first_yield.get(function)
        if cut and yielded is not None:
            nodes.append((yielded, self.defs[function]))
        if not nodes:
            return ()
        positions = self.ctx.position_map()
        regions = []
        for first, last in nodes:
            # After a `yield`: from its end; a lambda: from its start. Both to the end.
            start = positions[first].end if first is not last else positions[first].start
            end = positions[last].end
            regions.append(Region(Span(start.line, start.column), Span(end.line, end.column)))
        return tuple(regions)


def _last(node: cst.BaseExpression) -> str:
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1] if name else ""
