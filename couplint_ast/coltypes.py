"""Column types, one spelling for SQLAlchemy, Django and SQL, and which changes widen them.

`column_type("String", [255])`, `column_type("CharField", [], {"max_length": 255})` and
`column_type("VARCHAR", [255])` all spell "string(255)". A spelling is family plus the
parameters that decide what values fit (length, precision); collation, timezone and other
options are left out, so a revision that only restates them restates the type.
`widens(old, new)` says whether every value of `old` fits in `new`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Integer families by width: a wider one holds every value of a narrower one.
_INT_RANKS = {"tinyint": 0, "smallint": 1, "int": 2, "bigint": 3}
_FLOAT_RANKS = {"real": 1, "double": 2}

_FAMILIES: Mapping[str, str] = {
    **dict.fromkeys(("tinyint", "int1"), "tinyint"),
    **dict.fromkeys(
        (
            "smallinteger",
            "smallint",
            "int2",
            "smallintegerfield",
            "positivesmallintegerfield",
            "smallautofield",
            "smallserial",
        ),
        "smallint",
    ),
    **dict.fromkeys(
        (
            "integer",
            "int",
            "int4",
            "mediumint",
            "integerfield",
            "positiveintegerfield",
            "autofield",
            "serial",
        ),
        "int",
    ),
    **dict.fromkeys(
        (
            "biginteger",
            "bigint",
            "int8",
            "bigintegerfield",
            "positivebigintegerfield",
            "bigautofield",
            "bigserial",
        ),
        "bigint",
    ),
    **dict.fromkeys(
        (
            "string",
            "varchar",
            "unicode",
            "nvarchar",
            "char",
            "nchar",
            "charfield",
            "emailfield",
            "slugfield",
            "urlfield",
            "character varying",
        ),
        "string",
    ),
    **dict.fromkeys(
        ("text", "unicodetext", "textfield", "clob", "longtext", "mediumtext", "tinytext"),
        "text",
    ),
    **dict.fromkeys(("numeric", "decimal", "decimalfield"), "numeric"),
    **dict.fromkeys(("float", "real", "floatfield", "float4"), "real"),
    **dict.fromkeys(("double", "double_precision", "float8", "double precision"), "double"),
    **dict.fromkeys(("boolean", "bool", "booleanfield", "nullbooleanfield"), "bool"),
    **dict.fromkeys(("datetime", "datetimefield", "timestamp"), "timestamp"),
    **dict.fromkeys(("date", "datefield"), "date"),
    **dict.fromkeys(("uuid", "uuidfield"), "uuid"),
    **dict.fromkeys(("json", "jsonb", "jsonfield"), "json"),
    **dict.fromkeys(("time", "timefield"), "time"),
    **dict.fromkeys(("interval", "durationfield"), "interval"),
    **dict.fromkeys(
        ("largebinary", "binary", "varbinary", "blob", "bytea", "binaryfield"), "binary"
    ),
    **dict.fromkeys(("filefield", "imagefield", "filepathfield"), "string"),
    **dict.fromkeys(("genericipaddressfield", "ipaddressfield", "inet"), "inet"),
    **dict.fromkeys(("enum", "array", "arrayfield", "cidr", "macaddr"), ""),
}
# ("": the family is the name itself, `Field` dropped: `enum`, `array`.)
# Django fields whose length is implied when `max_length` is not given.
_DEFAULT_LENGTHS = {
    "emailfield": 254,
    "slugfield": 50,
    "urlfield": 200,
    "filefield": 100,
    "imagefield": 100,
    "filepathfield": 100,
}
_LENGTH_KEYS = ("length", "max_length")
_PRECISION_KEYS = (("precision", "max_digits"), ("scale", "decimal_places"))


def column_type(
    name: str, args: Sequence[object] = (), keywords: Mapping[str, object] | None = None
) -> str:
    """The spelling of type `name` called with literal `args` and `keywords` ("" for none)."""
    if not name:
        return ""
    keywords = keywords or {}
    lowered = name.lower()
    if lowered not in _FAMILIES:
        # A project's own field class (`KpiUidField(CharField)`), a relation (whose column
        # takes the type of the key it points to), a dialect's rarity: not known.
        return ""
    family = _FAMILIES[lowered] or lowered.removesuffix("field")
    numbers = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
    if family in ("string", "numeric") and (
        any(a is None for a in args)
        or any(keywords.get(k, 0) is None for k in (*_LENGTH_KEYS, "max_digits", "precision"))
    ):
        return ""  # a length or precision that is not a literal (`UUID_LENGTH + 1`)
    if family == "string":
        length = next((keywords[k] for k in _LENGTH_KEYS if k in keywords), None)
        if length is None:
            length = numbers[0] if numbers else _DEFAULT_LENGTHS.get(lowered)
        return f"string({length})" if isinstance(length, int) else "string"
    if family == "enum":
        names = sorted({a for a in args if isinstance(a, str)})
        return f"enum({'|'.join(names)})" if names else "enum"
    if family == "numeric":
        found = [
            next((keywords[k] for k in keys if k in keywords), None) for keys in _PRECISION_KEYS
        ]
        values = [
            f if f is not None else (numbers[i] if i < len(numbers) else None)
            for i, f in enumerate(found)
        ]
        given = [str(v) for v in values if isinstance(v, int)]
        return f"numeric({','.join(given)})" if given else "numeric"
    return family


def widens(old: str, new: str) -> bool | None:
    """True when every value of type `old` fits type `new` (same type included), False when
    some may not, None when either type is not known."""
    if not old or not new:
        return None
    if old == new:
        return True
    if old.startswith("enum(") and new.startswith("enum("):
        return set(old[5:-1].split("|")) <= set(new[5:-1].split("|"))
    old_family, old_params = _split(old)
    new_family, new_params = _split(new)
    if old_family in _INT_RANKS and new_family in _INT_RANKS:
        return _INT_RANKS[new_family] >= _INT_RANKS[old_family]
    if old_family in _FLOAT_RANKS and new_family in _FLOAT_RANKS:
        return _FLOAT_RANKS[new_family] >= _FLOAT_RANKS[old_family]
    if old_family in ("string", "text") and new_family in ("string", "text"):
        if new_family == "text" or not new_params:  # unbounded
            return True
        return old_family == "string" and bool(old_params) and new_params[0] >= old_params[0]
    if old_family == new_family == "numeric" and len(old_params) == len(new_params) == 2:
        (precision, scale), (new_precision, new_scale) = old_params, new_params
        return new_scale >= scale and new_precision - new_scale >= precision - scale
    if old_family == new_family == "numeric" and len(old_params) == len(new_params) == 1:
        return new_params[0] >= old_params[0]
    return False


def _split(spelling: str) -> tuple[str, list[int]]:
    family, _, rest = spelling.partition("(")
    params = [int(p) for p in rest.rstrip(")").split(",") if p.strip().isdigit()]
    return family, params
