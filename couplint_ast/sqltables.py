"""The sqlglot adapter, and the only importer of sqlglot: SQL text -> tables read and written.

Two public readers, both cached per distinct text (SQL literals repeat, and each parse costs
about 0.25 ms):

- `sql_access(text)`: the tables a SQL text reads and writes, as written (schema kept),
  CTE names and aliases left out; None when the text is not SQL at all.
- `parse_statements(text)`: the sqlglot expressions of the text's statements, for callers
  that classify statements themselves (migrations' DDL). Its name and signature are stable.

Both normalise the text first: DB-API placeholders (`%s`, `%(name)s`) become `?` and `:name`,
which every dialect reads (`:name`, `$1` and `?` are read as they are), and characters of the
Unicode private-use area, which `facts.strings` uses to mark unknown text (an f-string hole,
an environment variable's value), become the identifier `HOLE_NAME`. A table whose name holds
`HOLE_NAME` is unknown and never reported; an unknown schema is dropped, the name kept.
sqlglot is imported on first use: files without SQL never pay its 0.12 s import.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

HOLE_NAME = "couplint_hole"
# Dialects tried in order until one parses; postgres first, as it reads every placeholder.
DIALECTS = ("postgres", "mysql", "sqlite", "tsql", "oracle", "bigquery")
# Longer texts get only the conservative reading: sqlglot is linear but slow (~4k
# statements/s), and no SQL literal in real code comes near this size.
MAX_PARSE = 100_000

# facts.strings' HOLE (U+E000, a private-use character) for an unknown part of the text.
_UNKNOWN = re.compile("[\ue000-\uf8ff]+")
_PYFORMAT = re.compile(r"%\((\w+)\)s|%s\b|%%")
_LEADING = re.compile(r"(?:\s|--[^\n]*|/\*.*?\*/|\()*", re.DOTALL)
_KEYWORD = re.compile(
    r"(?:select|with|insert|update|delete|merge|truncate|create|alter|drop|replace|upsert"
    r"|copy)\b",
    re.IGNORECASE,
)
# Quoted text and comments, skipped when splitting statements or reading conservatively.
_OPAQUE = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/"
_SPLIT = re.compile(rf"{_OPAQUE}|;", re.DOTALL)
_STRIP = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
_IDENT = r'(?:"[^"\n]+"|`[^`\n]+`|\[[^\]\n]+\]|[A-Za-z_][\w$]*)'
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_CLAUSE = re.compile(
    r"\b(delete\s+from|insert\s+into|merge\s+into|replace\s+into|update|truncate(?:\s+table)?"
    r"|(?:create|alter|drop)\s+(?:temp(?:orary)?\s+|unlogged\s+)?table|from|join|using)"
    rf"\s+(?:only\s+|if\s+(?:not\s+)?exists\s+)?({_NAME})",
    re.IGNORECASE,
)
_CTE_NAME = re.compile(rf"(?:\bwith(?:\s+recursive)?|,)\s*({_IDENT})\s+as\s*\(", re.IGNORECASE)
# Keywords that can follow FROM/JOIN/INTO where a table name would stand.
_NOT_TABLE = re.compile(
    r"(?:select|lateral|unnest|values|only|set|where|join|on|as|table|with|recursive|distinct"
    r"|dual)$",
    re.IGNORECASE,
)
_TABLE_KINDS = frozenset({"TABLE", "VIEW", "MATERIALIZED VIEW"})


@dataclass(frozen=True)
class SqlAccess:
    """Tables a SQL text reads and writes, as written (schema kept), each once, in order.

    `certain` is True when sqlglot parsed every statement as a complete statement of a known
    kind; readings of a runner's argument may be less sure, a bare literal's must not.
    """

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    certain: bool = True


def looks_like_sql(text: str) -> bool:
    """True when `text` starts with a SQL statement keyword (after blanks, comments, `(`)."""
    start = _LEADING.match(text)
    return _KEYWORD.match(text, start.end() if start else 0) is not None


# What text no dialect parses must show before it is read conservatively: an upper-case
# statement keyword, or an operator or placeholder that prose does not hold.
_SQL_SHAPE = re.compile(
    r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|WITH|COPY|REPLACE)\b"
    r"|[=*<>]|%s|%\(|\?|\$\d|(?<![\w:]):[A-Za-z_]"
)


@lru_cache(maxsize=4096)
def sql_access(text: str) -> SqlAccess | None:
    """The tables `text` reads and writes; None when it does not look like SQL."""
    if not looks_like_sql(text):
        return None
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    certain = True
    for statement in _statements(text):
        if isinstance(statement, str):
            if not _SQL_SHAPE.search(statement):
                continue  # "update orders set by the nightly job": prose no dialect parses
            certain = False
            found_reads, found_writes = _conservative(statement)
        else:
            certain = certain and _complete(statement)
            found_reads, found_writes = _tables(statement)
        reads.update(dict.fromkeys(found_reads))
        writes.update(dict.fromkeys(found_writes))
    return SqlAccess(tuple(reads), tuple(writes), certain)


def parse_statements(text: str) -> list[Any] | None:
    """sqlglot expressions of the statements in `text` that some dialect parses, in order.

    The same normalisation and dialect fallback as `sql_access` (see the module docstring);
    a statement that no dialect parses is left out, and the result is None when none parses
    or `text` is longer than `MAX_PARSE`. Results are cached: do not modify the expressions.
    """
    parsed = [s for s in _statements(text) if not isinstance(s, str)]
    return parsed or None


def normalize(text: str) -> str:
    """`text` as it is parsed: placeholders every dialect reads, unknown parts as HOLE_NAME."""
    text = _UNKNOWN.sub(HOLE_NAME, text)
    if "%" in text:
        text = _PYFORMAT.sub(_placeholder, text)
    return text


def _placeholder(match: re.Match[str]) -> str:
    if match.group(1):
        return f":{match.group(1)}"
    return "?" if match.group(0) == "%s" else "%"


# Parsed trees weigh tens of kB each: keep the recent ones, enough for the readers of one
# file (sql_access, then migrations' parse_statements) to share a parse.
@lru_cache(maxsize=256)
def _statements(text: str) -> tuple[Any, ...]:
    """Each statement as a sqlglot expression, or as its text when no dialect parses it."""
    text = normalize(text)
    if len(text) > MAX_PARSE:
        return (text,)
    whole = _parse(text)
    if whole is not None:
        return whole
    parts = [p for p in _split(text) if p.strip()]
    if len(parts) <= 1:
        return (text,)
    out: list[Any] = []
    for part in parts:
        parsed = _parse(part) if looks_like_sql(part) else None
        out.extend(parsed if parsed is not None else (part,))
    return tuple(out)


def _parse(text: str) -> tuple[Any, ...] | None:
    """The first dialect's reading without a `Command` (sqlglot's "could not understand")."""
    sqlglot, exp = _sqlglot()
    fallback = None
    for dialect in DIALECTS:
        try:
            statements = tuple(s for s in sqlglot.parse(text, read=dialect) if s is not None)
        except Exception:  # sqlglot raises many kinds on odd input; none may escape
            continue
        if not statements:
            return None
        if not any(isinstance(s, exp.Command) for s in statements):
            return statements
        fallback = fallback or statements
    return fallback


def _split(text: str) -> list[str]:
    """`text` cut at semicolons outside quotes and comments."""
    parts, start = [], 0
    for match in _SPLIT.finditer(text):
        if match.group(0) == ";":
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _tables(statement: Any) -> tuple[list[str], list[str]]:
    """Tables one parsed statement reads and writes; CTE references are not tables."""
    _, exp = _sqlglot()
    if isinstance(statement, exp.Command):
        return _conservative(statement.sql())
    writes, ignored = _targets(statement)
    reads_out: list[str] = []
    writes_out: list[str] = []
    for table in statement.find_all(exp.Table, bfs=False):
        if id(table) in ignored or not isinstance(table.this, exp.Identifier):
            continue
        if _is_cte_reference(table, exp):
            continue
        name = _name(table)
        if name is not None:
            (writes_out if id(table) in writes else reads_out).append(name)
    return reads_out, writes_out


def _targets(statement: Any) -> tuple[set[int], set[int]]:
    """Ids of the Table nodes a statement writes, and of those that name no table."""
    _, exp = _sqlglot()
    writes: list[Any] = []
    ignored: list[Any] = []
    for node in statement.walk():
        kind = str(node.args.get("kind") or "").upper()
        if isinstance(node, (exp.Insert, exp.Update, exp.Merge, exp.Into)):
            writes.append(_table_of(node.this, exp))
        elif isinstance(node, _alter_classes(exp)):
            if kind in _TABLE_KINDS or not kind:
                writes.append(node.this)
                renames = [r.this for r in node.find_all(*_rename_classes(exp))]
                writes.extend(renames)
            else:  # ALTER INDEX/SEQUENCE ...: its names are not tables
                ignored.extend(node.find_all(exp.Table))
        elif isinstance(node, exp.Delete):
            writes.extend(_delete_targets(node, exp))
            ignored.extend(node.args.get("tables") or ())
        elif isinstance(node, exp.TruncateTable):
            writes.extend(node.expressions)
        elif isinstance(node, exp.Copy) and node.args.get("kind") is True:
            writes.append(_table_of(node.this, exp))
        elif isinstance(node, exp.Create):
            target = node.this
            if kind == "INDEX" and isinstance(target, exp.Index):
                writes.append(target.args.get("table"))
                ignored.append(target)
            elif kind in _TABLE_KINDS:
                writes.append(_table_of(target, exp))
            else:
                ignored.append(_table_of(target, exp))
        elif isinstance(node, exp.Drop):
            (writes if kind in _TABLE_KINDS else ignored).extend(node.args.get("tables") or ())
    return {id(t) for t in writes if t is not None}, {id(t) for t in ignored if t is not None}


def _delete_targets(node: Any, exp: Any) -> list[Any]:
    """`DELETE FROM t` writes t; MySQL's `DELETE a FROM t AS a JOIN u` writes what `a` names."""
    named = node.args.get("tables")
    if not named:
        return [node.this]
    skip = {id(t) for t in named}
    sources = [t for t in node.find_all(exp.Table) if id(t) not in skip]
    wanted = {t.name.lower() for t in named}
    return [t for t in sources if (t.alias or t.name).lower() in wanted]


def _alter_classes(exp: Any) -> tuple[Any, ...]:
    """ALTER statements' classes, under their names across sqlglot versions."""
    return tuple(getattr(exp, n) for n in ("Alter", "AlterTable") if hasattr(exp, n))


def _rename_classes(exp: Any) -> tuple[Any, ...]:
    """`ALTER TABLE ... RENAME TO t` targets' classes, across sqlglot versions."""
    return tuple(getattr(exp, n) for n in ("AlterRename", "RenameTable") if hasattr(exp, n))


def _table_of(node: Any, exp: Any) -> Any:
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def _is_cte_reference(table: Any, exp: Any) -> bool:
    """True when an unqualified name refers to a CTE visible where it stands."""
    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = table.name.lower()
    through: Any = None  # the CTE whose body holds the table, at the current level
    child, node = table, table.parent
    while node is not None:
        if isinstance(node, exp.CTE):
            through = node
        clause = node.args.get("with_") or node.args.get("with")  # renamed in sqlglot 28
        if isinstance(clause, exp.With):
            ctes = list(clause.expressions)
            if child is clause and through is not None:
                # Inside a CTE body: only earlier CTEs are visible, itself when RECURSIVE.
                index = next((i for i, c in enumerate(ctes) if c is through), len(ctes))
                ctes = ctes[: index + (1 if clause.args.get("recursive") else 0)]
            if any(c.alias.lower() == name for c in ctes):
                return True
        child, node = node, node.parent
    return False


def _name(table: Any) -> str | None:
    """`schema.table` as written; None when the table name itself is unknown."""
    if HOLE_NAME in table.name.lower():
        return None
    parts = [p for p in (table.catalog, table.db) if p]
    if any(HOLE_NAME in p.lower() for p in parts):
        parts = []  # an unknown schema: the name alone still says which table
    return ".".join([*parts, table.name])


def _complete(statement: Any) -> bool:
    """True for a statement with the parts its kind needs (sqlglot accepts partial ones)."""
    _, exp = _sqlglot()
    if isinstance(statement, exp.Command):
        return False
    if isinstance(statement, exp.Select):
        return bool(statement.expressions)
    if isinstance(statement, exp.Update):
        return bool(statement.expressions)
    if isinstance(statement, exp.Insert):
        return statement.expression is not None
    if isinstance(statement, exp.Delete):
        return not statement.args.get("tables")
    if isinstance(statement, exp.Drop):
        return not statement.expressions
    return True


def _conservative(text: str) -> tuple[list[str], list[str]]:
    """Names after FROM/JOIN/INTO/UPDATE/TABLE: the reading when no dialect parses."""
    text = _STRIP.sub(" ", text)
    ctes = {_unquote(m.group(1)).lower() for m in _CTE_NAME.finditer(text)}
    reads: list[str] = []
    writes: list[str] = []
    for match in _CLAUSE.finditer(text):
        keyword = match.group(1).lower().split()[0]
        before = text[max(0, match.start() - 40) : match.start()].lower()
        if keyword == "from" and re.search(r"(?:\(\s*\w+|\bdistinct)\s*$", before):
            continue  # EXTRACT(year FROM col), IS DISTINCT FROM x: not tables
        parts = [_unquote(p) for p in re.split(r"\s*\.\s*", match.group(2))]
        if _NOT_TABLE.match(parts[-1]) or HOLE_NAME in parts[-1].lower():
            continue
        if any(HOLE_NAME in p.lower() for p in parts[:-1]):
            parts = parts[-1:]
        name = ".".join(parts)
        if len(parts) == 1 and name.lower() in ctes:
            continue
        (reads if keyword in ("from", "join", "using") else writes).append(name)
    return reads, writes


def _unquote(identifier: str) -> str:
    if identifier[:1] in ('"', "`", "["):
        return identifier[1:-1]
    return identifier


@lru_cache(maxsize=1)
def _sqlglot() -> tuple[Any, Any]:
    """sqlglot and its expressions module, imported once on first use."""
    import sqlglot
    from sqlglot import exp

    # sqlglot warns on every statement it reads as a Command; flake8 output is no place for it.
    sqlglot_logger = logging.getLogger("sqlglot")
    if sqlglot_logger.level == logging.NOTSET:
        sqlglot_logger.setLevel(logging.ERROR)
    return sqlglot, exp
