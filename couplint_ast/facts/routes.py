"""HTTP routes a module serves (Flask, FastAPI, Starlette-style decorators).

The service graph uses them to follow a call into the handler it reaches, so a chain
A -> B -> C is only reported when the endpoint A calls is the one that calls C.
"""

from __future__ import annotations

import libcst as cst

from couplint_ast.facts.context import FactCollector, ModuleContext
from couplint_ast.facts.types import FactFields, RouteFact

# Decorator attribute -> HTTP method ("" = from `methods=`, default GET).
_METHODS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "route": "",
    "api_route": "",
}


class RouteCollector(FactCollector):
    """Records `@app.get("/path")`-style route decorators on functions."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.found: list[tuple[cst.CSTNode, str, str, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # ctx.scope already holds this function (AssignmentCollector runs first).
        function = ".".join(self.ctx.scope)
        for decorator in node.decorators:
            call = decorator.decorator
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
                continue
            kind = call.func.attr.value
            if kind not in _METHODS or not call.args or call.args[0].keyword is not None:
                continue
            first = call.args[0].value
            if not isinstance(first, cst.SimpleString):
                continue
            path = first.evaluated_value
            if not isinstance(path, str) or not path.startswith("/"):
                continue
            for method in _METHODS[kind].split() or _declared_methods(call):
                self.found.append((decorator, method, path, function))

    def facts(self) -> FactFields:
        """The FileFacts fields this collector fills."""
        return {
            "routes": tuple(
                RouteFact(self.ctx.span(node), method, path, function)
                for node, method, path, function in self.found
            )
        }


def _declared_methods(call: cst.Call) -> list[str]:
    for arg in call.args:
        named = arg.keyword is not None and arg.keyword.value == "methods"
        if named and isinstance(arg.value, (cst.List, cst.Tuple, cst.Set)):
            names = [
                e.value.evaluated_value
                for e in arg.value.elements
                if isinstance(e.value, cst.SimpleString)
            ]
            return [n.upper() for n in names if isinstance(n, str)]
    return ["GET"]
