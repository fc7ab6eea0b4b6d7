"""Symbolic values: what a target, a queue name or a base URL can be, as far as code shows.

A `Value` is a set of alternatives (`os.environ.get("URL") or DEFAULT_URL` has two), each
a sequence of parts: literal text, an env var (with its default), a config key
(`app.config["USERS_URL"]`), a settings attribute (`settings.ORDERS_URL`), a parameter of
a named function, an attribute of a named class, a name imported from another module, or
unknown. Facts hold values as data (JSON round trip); no libcst here.

Work is bounded: at most `MAX_ALTERNATIVES` alternatives of at most `MAX_PARTS` parts, and
text of at most `MAX_TEXT` characters; past a bound the value is unknown, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

PartKind = Literal["text", "env", "config", "setting", "param", "attr", "name", "unknown"]

MAX_ALTERNATIVES = 16
MAX_PARTS = 64
MAX_TEXT = 100_000


@dataclass(frozen=True)
class Part:
    """One piece of a value.

    - `text`: literal text (`text` holds it);
    - `env`: environment variable `text`, `default` its literal default when given;
    - `config`: key `text` of a config mapping (Flask `app.config`, any `cfg["KEY"]`);
    - `setting`: attribute `text` of a settings object (`settings.ORDERS_URL`);
    - `param`: parameter `text` of function `owner` ("Client.__init__", "_proxy");
    - `attr`: attribute `text` of class `owner` set nowhere this file shows;
    - `name`: `text`, a dotted name imported from module `owner` of this project;
    - `unknown`: what static analysis cannot know (a call's result, an operation).
    """

    kind: PartKind
    text: str = ""
    owner: str = ""
    default: str = ""

    def describe(self) -> str:
        """How messages name what is missing: "env var 'CART_URL'"."""
        if self.kind == "env":
            return f"env var '{self.text}'"
        if self.kind == "config":
            return f"config key '{self.text}'"
        if self.kind == "setting":
            return f"setting '{self.text}'"
        if self.kind == "param":
            return f"parameter '{self.text}' of '{self.owner}'"
        if self.kind == "attr":
            return f"attribute '{self.text}' of '{self.owner}'"
        if self.kind == "name":
            return f"'{self.text}' of module '{self.owner}'"
        return "a value computed at run time"

    def shown(self) -> str:
        """The part as users read it inside a URL: `${NAME}`, `{settings.X}`, `{?}`."""
        if self.kind == "text":
            return self.text
        if self.kind == "env":
            return "${" + self.text + "}"
        if self.kind == "config":
            return "{config[" + self.text + "]}"
        if self.kind == "unknown":
            return "{?}"
        return "{" + self.text + "}"


UNKNOWN_PART = Part("unknown")


@dataclass(frozen=True)
class Alternative:
    """One way a value can be: its parts in order (adjacent texts merged)."""

    parts: tuple[Part, ...] = ()

    def shown(self) -> str:
        """The alternative as users read it."""
        return "".join(p.shown() for p in self.parts)

    def is_text(self) -> bool:
        """True when every part is literal text."""
        return all(p.kind == "text" for p in self.parts)

    def text(self) -> str:
        """The literal text (meaningful when `is_text()`)."""
        return "".join(p.text for p in self.parts)


@dataclass(frozen=True)
class Value:
    """A set of alternatives; none at all means nothing is known."""

    alternatives: tuple[Alternative, ...] = ()

    @staticmethod
    def of(*parts: Part) -> Value:
        """A value with one alternative made of `parts`."""
        return Value((Alternative(_merge(parts)),))

    @staticmethod
    def literal(text: str) -> Value:
        """The value of a string literal."""
        return Value.of(Part("text", text))

    @staticmethod
    def either(values: Iterable[Value]) -> Value:
        """Any of `values`; unknown past `MAX_ALTERNATIVES`."""
        seen: dict[Alternative, None] = {}
        for value in values:
            if not value.alternatives:
                return UNKNOWN
            seen.update(dict.fromkeys(value.alternatives))
            if len(seen) > MAX_ALTERNATIVES:
                return UNKNOWN
        return Value(tuple(seen))

    @staticmethod
    def concat(values: Iterable[Value]) -> Value:
        """The values one after the other (every combination of their alternatives)."""
        result: list[tuple[Part, ...]] = [()]
        for value in values:
            alternatives = value.alternatives or (Alternative((UNKNOWN_PART,)),)
            if len(result) * len(alternatives) > MAX_ALTERNATIVES:
                return UNKNOWN
            result = [(*left, *right.parts) for left in result for right in alternatives]
        merged = [_merge(parts) for parts in result]
        if any(len(parts) > MAX_PARTS for parts in merged):
            return UNKNOWN
        if any(sum(len(p.text) for p in parts) > MAX_TEXT for parts in merged):
            return UNKNOWN
        return Value(tuple(dict.fromkeys(Alternative(parts) for parts in merged)))

    @property
    def known(self) -> bool:
        """True when at least one alternative is known."""
        return bool(self.alternatives)

    def parts(self) -> Iterator[Part]:
        """Every part of every alternative."""
        for alternative in self.alternatives:
            yield from alternative.parts

    def shown(self) -> str:
        """The value as users read it: alternatives joined by " | "."""
        return " | ".join(a.shown() for a in self.alternatives) or "{?}"

    def map(self, fn: Callable[[Alternative], Value]) -> Value:
        """The value with each alternative replaced by what `fn` makes of it."""
        return Value.either(fn(a) for a in self.alternatives) if self.alternatives else UNKNOWN


UNKNOWN = Value()


def _merge(parts: Iterable[Part]) -> tuple[Part, ...]:
    out: list[Part] = []
    for part in parts:
        if part.kind == "text" and not part.text:
            continue
        if part.kind == "text" and out and out[-1].kind == "text":
            out[-1] = Part("text", out[-1].text + part.text)
        else:
            out.append(part)
    return tuple(out)


def url_path(target: Value | None, client: str) -> str | None:
    """The path part of a URL target (its first alternative), as users read it."""
    if target is None or not target.alternatives or client in ("grpc", "zeep"):
        return None
    parts = target.alternatives[0].parts
    if not parts:
        return None
    # Non-text parts stand as NUL while the path is found and its query cut off.
    full = "".join(p.text if p.kind == "text" else "\0" for p in parts)
    first = parts[0]
    if first.kind == "text" and "://" in first.text:
        after = full.index("://") + 3
        slash = full.find("/", after)
        if slash < 0:
            return None
        start = slash
    else:
        start = 0 if first.kind == "text" else 1  # past an env var or setting as the base
        if start == 1 and full[1:2] not in ("", "/", "\0", ":", "?", "#"):
            # `config['B_URL'] + "users/42"`: a base written with its trailing slash.
            full = full[:1] + "/" + full[1:]
    if not full.startswith("/", start):
        return None
    path = re.split(r"[?#]", full[start:], maxsplit=1)[0]
    shown = iter([p.shown() for p in parts if p.kind != "text"][full[:start].count("\0") :])
    return re.sub("\0", lambda _: next(shown, "{?}"), path)


@dataclass(frozen=True)
class Endpoint:
    """What a URL's authority names: a literal host, or the parts it comes from."""

    host: str | None = None  # lowercased `host` or `host:port`
    parts: tuple[Part, ...] = ()


_GRPC_SCHEME = re.compile(r"^(?:dns:(?://[^/]*/)?|ipv4:|ipv6:)")


# Clients whose target is a service's name, not a URL.
ADDRESSED_BY_NAME = frozenset({"nameko", "smtplib"})


def endpoint(alt: Alternative, client: str = "") -> Endpoint:
    """The literal host, or the parts, that the authority of one alternative holds."""
    parts = alt.parts
    if not parts:
        return Endpoint()
    first = parts[0]
    if first.kind != "text":
        return Endpoint(parts=(first,))  # the base URL comes from an env var, a setting...
    text = first.text
    if client == "grpc":
        text = _GRPC_SCHEME.sub("", text)
    elif client in ADDRESSED_BY_NAME:
        pass  # the whole text is the target's name: `RpcProxy("orders")`
    elif "://" in text:
        text = text.split("://", 1)[1]
    else:
        return Endpoint()  # a relative URL: where it goes is not in it
    match = re.search(r"[/?#]", text)
    authority = text[: match.start()] if match else text
    if match is None and len(parts) > 1:
        # The authority goes on into the next part: `f"http://{HOST}:8080/x"`.
        return Endpoint(parts=tuple(p for p in parts[1:2] if p.kind != "text"))
    authority = authority.rsplit("@", 1)[-1]
    if not authority:
        return Endpoint()
    return Endpoint(host=authority.lower().rstrip("."))


def substitute(value: Value, replace: Callable[[Part], Value | None]) -> Value:
    """`value` with each part for which `replace` gives a value replaced by that value."""

    def fill(alternative: Alternative) -> Value:
        return Value.concat(replace(p) or Value.of(p) for p in alternative.parts)

    return value.map(fill)
