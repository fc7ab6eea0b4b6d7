"""Value flow inside a module: the symbolic `Value` an expression can have at a use.

Each name is seen through the bindings that reach the use (a name reassigned in one
function gives each call its own value; `if x is None: x = ...` gives both), `or` and
conditional expressions give alternatives, and these are followed:

- string folding: literals, f-strings, `+`, `%`, `str.format`, `urljoin`, `"/".join`;
- env vars (`os.environ[...]`, `os.environ.get`, `os.getenv`, with their defaults);
- config keys: Flask `app.config[...]` / `current_app.config[...]` / `.config.get(...)`,
  with the values assigned to the same key anywhere in the module (`create_app()`), and
  an upper-case string key of any other mapping (`env["ADMIN_ADDRESS"]`);
- `settings.X` of a settings object, module dicts and their subscripts, `global` names;
- `self.x` from every assignment in the class, constructor parameters bound at the
  construction sites of this module; dataclass fields and pydantic `BaseSettings` fields
  (env name from the field, `env_prefix`, an `alias`/`env` given to `Field`);
- what a function of this module returns, its parameters bound to the call's arguments
  (`must_env("CART_ADDR")` whose body returns `os.environ.get(key)` is env var CART_ADDR);
- parameters of a function stay `param` parts (`facts.callfacts` binds them at call
  sites); names imported from this project's own modules stay `name` parts.

Bounded: a depth limit, a per-module step budget and `values.MAX_ALTERNATIVES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from couplint_ast.facts.arguments import string_dict
from couplint_ast.facts.context import ModuleContext, dotted_name
from couplint_ast.facts.evaluate import Evaluator
from couplint_ast.facts.scopes import Binding, Cls, Func, Point, Ref, Scope, Symbols

if TYPE_CHECKING:
    from couplint_ast.facts.callsites import CallSite
from couplint_ast.facts.folding import (
    ENV_READERS,
    Pieces,
    format_pieces,
    is_split,
    join_url,
    percent_pieces,
    unbrace,
)
from couplint_ast.facts.values import UNKNOWN, UNKNOWN_PART, Part, Value, substitute

MAX_DEPTH = 100
MAX_STEPS = 100_000
# A parameter's argument node, and whether the call gave it (else it is the default).
Bound = dict[str, tuple[cst.BaseExpression, bool]]
_UPPER_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SETTINGS_BASES = frozenset({"pydantic.BaseSettings", "pydantic_settings.BaseSettings"})
_UNKNOWN = Value.of(UNKNOWN_PART)


class ValueResolver:
    """The `Value` of expressions of one module, from its finished `Symbols`."""

    def __init__(
        self,
        ctx: ModuleContext,
        symbols: Symbols,
        evaluator: Evaluator,
        sites: Sequence[CallSite] = (),
    ) -> None:
        self.ctx = ctx
        self.symbols = symbols
        self.ev = evaluator
        self.sites = sites  # call sites (`facts.calls.CallSite`): constructions of classes
        self._active: set[int] = set()
        self._steps = 0
        self._constructions: dict[int, list[tuple[cst.Call, Scope, Point | None]]] | None = None
        # Functions whose returns are being read for one call: parameter -> argument there.
        self._inlined: dict[Scope, tuple[Bound, Scope, Point | None]] = {}

    def value(self, node: cst.BaseExpression, scope: Scope, at: Point | None = None) -> Value:
        """The value of `node` at `at` in `scope`; unknown parts where nothing is known."""
        try:
            return self._value(node, scope, at, 0)
        except RecursionError:
            return UNKNOWN

    # -- expressions ---------------------------------------------------------------------
    def _value(self, node: cst.BaseExpression, scope: Scope, at: Point | None, depth: int) -> Value:
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return UNKNOWN
        depth += 1
        if isinstance(node, cst.SimpleString):
            raw = node.evaluated_value
            return Value.literal(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
        if isinstance(node, cst.ConcatenatedString):
            return Value.concat([self._value(n, scope, at, depth) for n in (node.left, node.right)])
        if isinstance(node, cst.FormattedString):
            return Value.concat(self._fstring(node, scope, at, depth))
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                return Value.concat(
                    [self._value(n, scope, at, depth) for n in (node.left, node.right)]
                )
            if isinstance(node.operator, cst.Modulo):
                template = self._template(node.left, scope, at, depth)
                if template is None:
                    return _UNKNOWN
                return self._pieces(percent_pieces(template, node.right), scope, at, depth)
            return _UNKNOWN
        if isinstance(node, cst.BooleanOperation):
            if isinstance(node.operator, cst.Or):  # `os.getenv("URL") or DEFAULT_URL`
                return Value.either(
                    self._value(n, scope, at, depth) for n in (node.left, node.right)
                )
            return self._value(node.right, scope, at, depth)
        if isinstance(node, cst.IfExp):
            return Value.either(self._value(n, scope, at, depth) for n in (node.body, node.orelse))
        if isinstance(node, cst.Await):
            return self._value(node.expression, scope, at, depth)
        if isinstance(node, cst.Name):
            return self._name(node.value, scope, at, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, scope, at, depth)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, scope, at, depth)
        if isinstance(node, cst.Call):
            return self._call(node, scope, at, depth)
        return _UNKNOWN

    def _fstring(
        self, node: cst.FormattedString, scope: Scope, at: Point | None, depth: int
    ) -> Iterator[Value]:
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                yield Value.literal(unbrace(part.value))
            elif isinstance(part, cst.FormattedStringExpression):
                yield self._value(part.expression, scope, at, depth)

    def _template(
        self, node: cst.BaseExpression, scope: Scope, at: Point | None, depth: int
    ) -> str | None:
        value = self._value(node, scope, at, depth)
        if len(value.alternatives) == 1 and value.alternatives[0].is_text():
            return value.alternatives[0].text()
        return None

    def _pieces(
        self,
        pieces: Pieces,
        scope: Scope,
        at: Point | None,
        depth: int,
    ) -> Value:
        values = []
        for piece in pieces:
            if isinstance(piece, str):
                values.append(Value.literal(piece))
            elif piece is None:
                values.append(_UNKNOWN)
            else:
                values.append(self._value(piece, scope, at, depth))
        return Value.concat(values)

    # -- names -----------------------------------------------------------------------------
    def _name(self, name: str, scope: Scope, at: Point | None, depth: int) -> Value:
        if name in ("None", "True", "False"):
            return _UNKNOWN
        found = self.symbols.lookup(scope, name)
        if found is None:
            # Bound nowhere in this file (a star import, a builtin, a global set elsewhere).
            return Value.of(Part("name", name))
        key, bindings = found
        reaching = self.symbols.reaching(key, bindings, scope, at)
        return Value.either(self._binding(b, key, name, depth) for b in reaching)

    def _binding(self, binding: Binding, key: tuple[Scope, str], name: str, depth: int) -> Value:
        kind = binding.kind
        if kind == "expr" and isinstance(binding.node, cst.BaseExpression):
            if id(binding) in self._active:
                return _UNKNOWN  # `url = url + "/x"` in a loop, `A = B; B = A`
            self._active.add(id(binding))
            try:
                return self._value(binding.node, binding.scope, binding.point, depth)
            finally:
                self._active.discard(id(binding))
        if kind == "param":
            inlined = self._inlined.get(key[0])
            if inlined is not None:  # a helper's return read for one call: its argument
                return self._argument(key[0], name, inlined, depth)
            return Value.of(Part("param", name, ".".join(key[0])))
        if kind in ("import", "local"):
            module, _, last = binding.name.rpartition(".")
            if kind == "import" and not module:
                return _UNKNOWN  # `import requests`: a module, not a string
            return Value.of(Part("name", last, module))
        return _UNKNOWN

    def _attribute(self, node: cst.Attribute, scope: Scope, at: Point | None, depth: int) -> Value:
        attr = node.attr.value
        head = node.value
        if isinstance(head, cst.Name) and head.value in ("self", "cls"):
            cls = self.symbols.class_of(scope)
            if cls is None:
                return _UNKNOWN
            return self._class_attr(cls, attr, depth)
        base = self.ev.value(head, scope)
        if isinstance(base, Ref):
            if base.name.rsplit(".", 1)[-1] in ("settings", "conf"):
                return Value.of(Part("setting", attr))  # django.conf.settings, a settings module
            return Value.of(Part("name", attr, base.name))
        cls_scope = _class_scope(base)
        if cls_scope is not None:
            return self._class_attr(cls_scope, attr, depth)
        instance = self._instance_of(head, scope, at, depth)
        if instance is not None:
            return self._class_attr(instance, attr, depth)
        if isinstance(head, cst.Name):
            bound = self.symbols.lookup(scope, head.value)
            if bound is None:  # bound nowhere here: `settings.X` of a star import, a builtin
                if head.value in ("settings", "conf", "config"):
                    return Value.of(Part("setting", attr))
                return Value.of(Part("name", attr, head.value))
            if any(b.kind == "local" for b in bound[1]):
                local = next(b for b in bound[1] if b.kind == "local")
                return Value.of(Part("name", attr, local.name))  # `from . import config`
        return _UNKNOWN

    def _class_attr(self, cls: Scope, attr: str, depth: int) -> Value:
        """`self.attr` / `Class.attr` / `instance.attr` of a class of this module."""
        bindings = self.symbols.lookup_attr(cls, attr)
        owner = ".".join(cls)
        values = []
        for binding in bindings:
            if binding.kind == "expr" and isinstance(binding.node, cst.BaseExpression):
                value = self._binding(binding, (binding.scope, attr), attr, depth)
                values.append(self._bind_init(value, cls, depth))
        settings = self._settings_env(cls, attr)
        if settings is not None:
            return Value.either([settings, *values]) if values else settings
        if values:
            return Value.either(values)
        fields = self._dataclass_field(cls, attr, depth)
        return fields if fields is not None else Value.of(Part("attr", attr, owner))

    def _bind_init(self, value: Value, cls: Scope, depth: int) -> Value:
        """Parameters of `cls.__init__` in `value`, bound at the module's construction sites."""
        init = ".".join((*cls, "__init__"))
        if not any(p.kind == "param" and p.owner == init for p in value.parts()):
            return value
        sites = self.constructions(cls)
        if not sites:
            return value
        node = self._init_def(cls)
        if node is None:
            return value
        return self.substitute(value, init, node, sites, depth, method=True)

    def substitute(
        self,
        value: Value,
        owner: str,
        func: cst.FunctionDef,
        sites: Sequence[tuple[cst.Call, Scope, Point | None]],
        depth: int = 0,
        method: bool = False,
    ) -> Value:
        """`value` with the parameters of `owner` replaced by each call site's arguments."""
        results = []
        for call, scope, at in sites:
            bound = bind_params(func, call, method)

            def bind(
                part: Part, bound: Bound = bound, scope: Scope = scope, at: Point | None = at
            ) -> Value | None:
                if part.kind != "param" or part.owner != owner:
                    return None
                return self._bound(bound, part.text, scope, at, depth + 1)

            results.append(substitute(value, bind))
        return Value.either(results)

    def constructions(self, cls: Scope) -> list[tuple[cst.Call, Scope, Point | None]]:
        """The calls of this module that construct class `cls`."""
        if self._constructions is None:
            self._constructions = {}
            for site in self.sites:
                built = self._constructed(site.node, site.scope)
                known = self.symbols.classes.get(built) if built is not None else None
                if known is not None:
                    entry = (site.node, site.scope, site.point)
                    self._constructions.setdefault(id(known[0]), []).append(entry)
        found = self.symbols.classes.get(cls)
        return list(self._constructions.get(id(found[0]), [])) if found else []

    def _init_def(self, cls: Scope) -> cst.FunctionDef | None:
        for binding in self.symbols.binds.get((cls, "__init__"), []):
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                return binding.node
        return None

    def _instance_of(
        self, node: cst.BaseExpression, scope: Scope, at: Point | None, depth: int
    ) -> Scope | None:
        """The class of this module that `node` is an instance of, if that is clear."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, cst.Call):
            cls = self._constructed(node, scope)
            if cls is not None:
                return cls
            func = self._function(node.func, scope)  # `Config.from_env()` returns `cls(...)`
            if func is None or id(node) in self._active:
                return None
            self._active.add(id(node))
            try:
                returned = {
                    self._instance_of(r, func.scope, None, depth + 1)
                    for r in self.symbols.returns.get(func.scope, [])
                }
            finally:
                self._active.discard(id(node))
            return returned.pop() if len(returned) == 1 else None
        bindings: list[Binding] = []
        if isinstance(node, cst.Name):
            found = self.symbols.lookup(scope, node.value)
            if found is not None:
                bindings = self.symbols.reaching(found[0], found[1], scope, at)
        elif isinstance(node, cst.Attribute) and is_self_name(node.value):
            cls = self.symbols.class_of(scope)
            bindings = self.symbols.lookup_attr(cls, node.attr.value) if cls else []
        classes: set[Scope | None] = set()
        for binding in bindings:
            if not isinstance(binding.node, cst.BaseExpression):
                classes.add(None)
            elif binding.kind == "expr":
                point = binding.point
                classes.add(self._instance_of(binding.node, binding.scope, point, depth + 1))
            elif binding.kind == "param":  # `cfg: Settings`
                classes.add(_class_scope(self.ev.value(binding.node, binding.scope)))
            else:
                classes.add(None)
        return classes.pop() if len(classes) == 1 else None

    def _function(self, func: cst.BaseExpression, scope: Scope) -> Func | None:
        """The function of this module `func` names, methods of its classes included."""
        value = self.ev.value(func, scope)
        if isinstance(value, Func):
            return value
        cls = (
            _class_scope(self.ev.value(func.value, scope))
            if isinstance(func, cst.Attribute)
            else None
        )
        if cls is None or not isinstance(func, cst.Attribute):
            return None
        for binding in self.symbols.binds.get((cls, func.attr.value), []):
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                return Func(binding.node, (*cls, func.attr.value))
        return None

    def _constructed(self, call: cst.Call, scope: Scope) -> Scope | None:
        """The class of this module that `call` constructs (`Config(...)`, `cls(...)`)."""
        func = call.func
        if isinstance(func, cst.Name) and func.value == "cls":
            return self.symbols.class_of(scope)  # in a classmethod
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        return _class_scope(self.ev.value(func, scope))

    def _settings_env(self, cls: Scope, attr: str) -> Value | None:
        """A pydantic `BaseSettings` field reads env var PREFIX + NAME (or its alias)."""
        found = self.symbols.classes.get(cls)
        if found is None or not self._is_settings(found[0], found[1]):
            return None
        prefix = _env_prefix(found[0])
        for binding in self.symbols.binds.get((cls, attr), []):
            alias = _field_alias(binding.node)
            if alias:
                return Value.of(Part("env", alias))
        return Value.of(Part("env", (prefix + attr).upper()))

    def _is_settings(self, node: cst.ClassDef, scope: Scope) -> bool:
        for base in node.bases:
            value = self.ev.value(base.value, scope)
            if isinstance(value, Ref) and value.name in _SETTINGS_BASES:
                return True
            if isinstance(value, Cls) and self._is_settings(value.node, value.scope):
                return True
        return False

    def _dataclass_field(self, cls: Scope, attr: str, depth: int) -> Value | None:
        """A field given at construction sites (`Config(agent_url=os.environ[...])`)."""
        values = []
        for call, scope, at in self.constructions(cls):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == attr:
                    values.append(self._value(arg.value, scope, at, depth))
        return Value.either(values) if values else None

    # -- subscripts and calls ------------------------------------------------------------------
    def _subscript(self, node: cst.Subscript, scope: Scope, at: Point | None, depth: int) -> Value:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return _UNKNOWN
        key_node = node.slice[0].slice.value
        base = node.value
        if isinstance(key_node, (cst.Integer, cst.UnaryOperation)) and is_split(base):
            # `os.environ["HOSTNAMES"].split(",")[0]`: one item of the list the value holds.
            assert isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute)
            return self._value(base.func.value, scope, at, depth)
        key = self._env_name(key_node, scope, at, depth)  # `os.environ[key]` in a helper too
        if key is None:
            return _UNKNOWN
        return self._item(node.value, key, None, scope, at, depth)

    def _item(
        self,
        mapping: cst.BaseExpression,
        key: str,
        default: cst.BaseExpression | None,
        scope: Scope,
        at: Point | None,
        depth: int,
    ) -> Value:
        """`mapping[key]` / `mapping.get(key, default)`."""
        name = dotted_name(mapping)
        if name is not None and self.ctx.resolve(name) == "os.environ":
            return Value.of(Part("env", key, default=self._literal(default)))
        if isinstance(mapping, cst.Attribute) and mapping.attr.value == "config":
            assigned = self.symbols.config_keys.get(key, [])
            if assigned:
                return Value.either(self._binding(b, (b.scope, key), key, depth) for b in assigned)
            return Value.of(Part("config", key, default=self._literal(default)))
        items = self._dict_items(mapping, scope, at, depth)
        if items is not None:
            item = items.get(key)
            if item is not None:
                return self._value(item[0], item[1], None, depth)
            return self._value(default, scope, at, depth) if default is not None else _UNKNOWN
        if _UPPER_KEY.match(key):  # `env["ADMIN_ADDRESS"]`: a config-like mapping
            return Value.of(Part("config", key, default=self._literal(default)))
        return _UNKNOWN

    def _dict_items(
        self, node: cst.BaseExpression, scope: Scope, at: Point | None, depth: int
    ) -> dict[str, tuple[cst.BaseExpression, Scope]] | None:
        """The string-keyed items of the dict literal `node` is bound to (one binding only)."""
        if isinstance(node, cst.Dict):
            return {k: (v, scope) for k, v in string_dict(node).items()}
        if isinstance(node, cst.Name):
            found = self.symbols.lookup(scope, node.value)
            if found is None:
                return None
            bindings = self.symbols.reaching(found[0], found[1], scope, at)
            if len(bindings) == 1 and isinstance(bindings[0].node, cst.Dict):
                return {k: (v, bindings[0].scope) for k, v in string_dict(bindings[0].node).items()}
        return None

    def _literal(self, node: cst.BaseExpression | None) -> str:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return value if isinstance(value, str) else ""
        return ""

    def _call(self, node: cst.Call, scope: Scope, at: Point | None, depth: int) -> Value:
        func = dotted_name(node.func)
        qualified = self.ctx.resolve(func) if func else None
        args = [a for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if qualified in ENV_READERS and args:
            name = self._env_name(args[0].value, scope, at, depth)
            if name is not None:
                default = args[1].value if len(args) > 1 else keywords.get("default")
                return Value.of(Part("env", name, default=self._literal(default)))
            return _UNKNOWN
        if qualified == "urllib.parse.urljoin" and len(args) == 2:
            base, tail = (self._value(a.value, scope, at, depth) for a in args)
            return join_url(base, tail, rfc=True)
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            receiver = node.func.value
            if method == "format":
                template = self._template(receiver, scope, at, depth)
                if template is None:
                    return _UNKNOWN
                return self._pieces(format_pieces(template, node), scope, at, depth)
            if method == "get" and args:
                key = args[0].value
                if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
                    default = args[1].value if len(args) > 1 else keywords.get("default")
                    return self._item(receiver, key.evaluated_value, default, scope, at, depth)
            if method == "join" and len(args) == 1:
                separator = self._template(receiver, scope, at, depth)
                items = args[0].value
                if separator is not None and isinstance(items, (cst.List, cst.Tuple)):
                    values: list[Value] = []
                    for i, element in enumerate(items.elements):
                        if i:
                            values.append(Value.literal(separator))
                        values.append(self._value(element.value, scope, at, depth))
                    return Value.concat(values)
            if method in ("strip", "rstrip", "lstrip") and len(args) <= 1:
                # `base_url.rstrip("/")`: the host stays (what the strip removes is an edge)
                return self._value(receiver, scope, at, depth)
        if qualified is None and func == "str" and len(args) == 1:
            return self._value(args[0].value, scope, at, depth)
        if isinstance(node.func, cst.Name):
            return self._returned(node, scope, at, depth)
        return _UNKNOWN

    def _env_name(
        self, key: cst.BaseExpression, scope: Scope, at: Point | None, depth: int
    ) -> str | None:
        """The key a reader or subscript names: a literal, or a name bound to one (a constant,
        a helper's parameter given one)."""
        if isinstance(key, cst.SimpleString):
            return key.evaluated_value if isinstance(key.evaluated_value, str) else None
        if not isinstance(key, cst.Name):
            return None
        value = self._value(key, scope, at, depth)
        alternatives = value.alternatives
        one = len(alternatives) == 1 and alternatives[0].is_text()
        return (alternatives[0].text() or None) if one else None

    def _returned(self, call: cst.Call, scope: Scope, at: Point | None, depth: int) -> Value:
        """What a function of this module returns for this call (`must_env("CART_ADDR")`)."""
        func = self._function(call.func, scope)
        if func is None or func.scope in self._inlined:
            return _UNKNOWN  # not ours, or recursive
        returns = self.symbols.returns.get(func.scope, [])
        if not returns:
            return _UNKNOWN
        self._inlined[func.scope] = (bind_params(func.node, call), scope, at)
        try:
            return Value.either(self._value(r, func.scope, None, depth) for r in returns)
        finally:
            del self._inlined[func.scope]

    def _argument(
        self, owner: Scope, name: str, inlined: tuple[Bound, Scope, Point | None], depth: int
    ) -> Value:
        """A parameter of a helper being read for one call: the argument that call gives."""
        bound, scope, at = inlined
        del self._inlined[owner]  # the argument is read at the call, outside the helper
        try:
            return self._bound(bound, name, scope, at, depth)
        finally:
            self._inlined[owner] = inlined

    def _bound(self, bound: Bound, name: str, scope: Scope, at: Point | None, depth: int) -> Value:
        """The argument a call (in `scope` at `at`) gives parameter `name`; a default is
        evaluated where the def stands, not at the call."""
        if name not in bound:
            return _UNKNOWN
        arg, given = bound[name]
        where, point = (scope, at) if given else ((), None)
        return self._value(arg, where, point, depth)


def bind_params(func: cst.FunctionDef, call: cst.Call, method: bool = False) -> Bound:
    """Parameter name -> (the argument a call gives it or its default, given by the call).

    Positions after a `*args` are unknown; `method` skips `self`.
    """
    params = func.params
    positional = [*params.posonly_params, *params.params]
    if method and positional:
        positional = positional[1:]  # `self`
    bound: Bound = {}
    index = 0
    for arg in call.args:
        if arg.star:
            if arg.star == "*":
                index = len(positional)
            continue
        if arg.keyword is not None:
            bound[arg.keyword.value] = (arg.value, True)
        elif index < len(positional):
            bound.setdefault(positional[index].name.value, (arg.value, True))
            index += 1
    for param in (*positional, *params.kwonly_params):
        if param.name.value not in bound and param.default is not None:
            bound[param.name.value] = (param.default, False)
    return bound


def is_self_name(node: cst.BaseExpression) -> bool:
    """True for the names `self` and `cls`."""
    return isinstance(node, cst.Name) and node.value in ("self", "cls")


def _class_scope(value: object) -> Scope | None:
    return (*value.scope, value.node.name.value) if isinstance(value, Cls) else None


def _env_prefix(node: cst.ClassDef) -> str:
    """`env_prefix` of a settings class (`class Config:` or `model_config = SettingsConfigDict`)."""
    for statement in node.body.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value in ("Config", "Meta"):
            for inner in statement.body.body:
                prefix = _prefix_of(inner)
                if prefix is not None:
                    return prefix
        prefix = _prefix_of(statement)
        if prefix is not None:
            return prefix
    return ""


def _prefix_of(statement: cst.CSTNode) -> str | None:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    for small in statement.body:
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name) and target.value == "env_prefix":
                value = small.value
                if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                    return value.evaluated_value
            if isinstance(target, cst.Name) and target.value == "model_config":
                call = small.value
                if isinstance(call, cst.Call):
                    for arg in call.args:
                        if arg.keyword is not None and arg.keyword.value == "env_prefix":
                            value = arg.value
                            if isinstance(value, cst.SimpleString):
                                text = value.evaluated_value
                                return text if isinstance(text, str) else None
    return None


def _field_alias(node: cst.CSTNode | None) -> str:
    """`alias=`/`env=`/`validation_alias=` of `Field(...)`, the env var a field reads."""
    if not isinstance(node, cst.Call):
        return ""
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in ("alias", "env", "validation_alias"):
            value = arg.value
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                return value.evaluated_value
    return ""
