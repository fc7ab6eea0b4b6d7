"""What CPL201-CPL204 share: owners of tables and databases, and prefilter needles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from couplint_ast.config import Config
from couplint_ast.facts import FileFacts
from couplint_ast.facts.needles import orm_needle
from couplint_ast.model import Span
from couplint_ast.parse import Needle


def foreign_table_owner(config: Config, table: str, service: str) -> str | None:
    """The service owning `table` when it is not `service`; None for own or unowned tables."""
    owner = config.table_owner(table, service)
    return owner if owner is not None and owner != service else None


def foreign_database_owner(config: Config, name: str, service: str) -> str | None:
    """The other service whose `databases` lists `name` (case-insensitively), if exactly one."""
    wanted = name.lower()
    owners = [s.name for s in config.services if wanted in (d.lower() for d in s.databases)]
    if service in owners or len(owners) != 1:
        return None
    return owners[0]


_GAP = r"(?:\s|\\[nrt])"  # blanks, or the escapes that write them inside a string literal
# What any file with a CPL201-CPL203 finding holds besides the table's name: a string that
# starts with a SQL keyword (SQL text is always written in the file it is found in), a
# table-name runner, or ORM vocabulary. Table names are often common words ("items",
# "user"), so the name alone would let most files through.
TABLE_CONTEXT = (
    rf"(?i:[\"'(]{_GAP}*(?:--[^\n]*?(?:\n|\\n){_GAP}*|/\*[^\n]{{0,200}}?\*/{_GAP}*|\({_GAP}*)*(?:"
    rf"(?:select|insert|update|delete|merge|truncate|alter|drop|replace|upsert|copy){_GAP}+\S"
    rf"|create{_GAP}+(?:or{_GAP}+replace{_GAP}+)?(?:[a-z]+{_GAP}+){{0,3}}"
    r"(?:table|index|view|trigger|rule|policy|function|procedure)\b"
    rf"|with{_GAP}+(?:recursive{_GAP}+)?[\w\"`]+{_GAP}*(?:\([^)]*\){_GAP}*)?as\b"
    r"))"
    r"|\b(?:read_sql\w*|to_sql|copy_(?:from|to|expert|records)\w*|ForeignKey\w*)\b"
    rf"|{orm_needle()}"
)


# Where a table's name stands in any text that yields a CPL201-CPL203 finding: after a SQL
# keyword that introduces a table (or a comma of a FROM list), at the start of a string
# (`"stock"`, `"orders.id"`, `'"warehouse"."bins"'`), or as a class name (SQLModel's default
# table); a schema or `{schema}.` may come first.
TABLE_PREFIX = (
    r"(?:\b(?:from|join|into|update|table|references|using|exists|on|only|truncate|copy|delete"
    rf"|insert|merge|upsert|to){_GAP}+|\b(?:from|join){_GAP}*\({_GAP}*|,{_GAP}*|\bclass\s+"
    r"|[\"'][\s\"`\[]*)(?:[\w\"`\[\]{}]+\.)*[\"`\[]?"
)


def table_needles(config: Config, service: str) -> list[Needle]:
    """A regex for a text naming another service's table (any case) in a SQL or ORM context.

    `s.t` is found through `t` (an unqualified reference matches it), `s.*` through `s`.
    It counts in the file's code only: libraries and services alike write SQL naming
    common tables ("users", "items") in docstrings, which never run.
    """
    words = set()
    for svc in config.services:
        if svc.name != service:
            for entry in svc.tables:
                words.add(entry[:-2] if entry.endswith(".*") else entry.rsplit(".", 1)[-1])
    names = "|".join(_word_pattern(w.lower()) for w in sorted(words) if w)
    if not names:
        return []
    # Read on the lower-cased text where a word occurs (`parse.Needle.named`): most files
    # of most services never name another service's table, and those that do are read
    # only around each name. A glob entry (`logger_*`) is looked for by what comes before
    # its first wildcard.
    folded = tuple(sorted({re.split(r"[*?\[]", w)[0].lower() for w in words if w}))
    named = (rf"(?:{names})(?![\w$])", rf"(?i:{TABLE_PREFIX})")
    needles = [Needle(TABLE_CONTEXT, folded, fold=True, in_code=True, named=named)]
    # A Django model without `db_table` maps `<app>_<model>`: its class is named after the
    # part of a table's name that follows the last underscore (`class XForm(models.Model)`);
    # a Tortoise model without `Meta.table` after the whole name (`class Usuario(Model)`).
    tails = {w.rsplit("_", 1)[1] for w in words if "_" in w and w.rsplit("_", 1)[1]}
    models = sorted(tails | {w for w in words if "." not in w})
    models = [m for m in models if not any(c in m for c in "*?[")]
    if models:
        classes = "|".join(re.escape(m) for m in models)
        needles.append(
            Needle(
                rf"(?im:^[ \t]*class[ \t]+(?:{classes})[ \t]*\([^)]*\bModel\b)",
                tuple(models),
                fold=True,
                in_code=True,
            )
        )
    return needles


def database_needles(config: Config, service: str) -> list[Needle]:
    """A case-insensitive regex of other services' database names and env vars."""
    return word_needles(d for s in config.services if s.name != service for d in s.databases)


def word_needles(words: Iterable[str]) -> list[Needle]:
    """One regex matching any of `words` as a whole word, case-insensitively; [] for none."""
    names = sorted({w for w in words if w})
    if not names:
        return []
    pattern = rf"(?i:(?<![\w$])(?:{'|'.join(re.escape(n) for n in names)})(?![\w$]))"
    return [Needle(pattern, tuple(sorted({n.lower() for n in names})), fold=True)]


def foreign_sql_tables(
    facts: FileFacts, config: Config, service: str, access: str
) -> Iterator[tuple[Span, str, str]]:
    """(where, table, owner) of each other service's table that SQL `access`es ("reads" or
    "writes"), once per statement.

    A migration's SQL is CPL403's to report (as every other change a migration makes), so
    files that hold migration operations are left to it.
    """
    if facts.migrations:
        return
    for fact in facts.sql:
        seen: set[str] = set()
        for table in getattr(fact, access):
            owner = foreign_table_owner(config, table, service)
            if owner is not None and table.lower() not in seen:
                seen.add(table.lower())
                yield fact.span, table, owner


def model_tables(facts: FileFacts) -> dict[str, str | None]:
    """The table each model class of this file maps; None for a class mapped twice onto
    different tables (defined twice: unknown, never a guess)."""
    found: dict[str, str | None] = {}
    for fact in facts.table_mappings:
        if fact.kind == "model" and fact.model:
            known = found.get(fact.model, fact.table)
            found[fact.model] = fact.table if known == fact.table else None
    return found


def foreign_orm_tables(
    facts: FileFacts, config: Config, service: str, access: str
) -> Iterator[tuple[Span, str, str, str]]:
    """(where, model, table, owner) of each ORM query (`access` "read") or write ("write")
    through a model whose table another service owns: a model of this file, or one the
    workspace index found in another module (`OrmUseFact.table`). Files that hold migration
    operations are CPL403's, as for SQL."""
    if facts.migrations:
        return
    for span, model, table, used in orm_table_uses(facts):
        owner = foreign_table_owner(config, table, service) if used == access else None
        if owner is not None:
            yield span, model, table, owner


def orm_table_uses(facts: FileFacts) -> Iterator[tuple[Span, str, str, str]]:
    """(where, model class, table, access) of each ORM use whose model's table is known."""
    own = model_tables(facts) if facts.orm_uses else {}
    for fact in facts.orm_uses:
        table = fact.table or own.get(fact.model)
        if table:
            yield fact.span, fact.model.rsplit(".", 1)[-1], table, fact.access


def _word_pattern(word: str) -> str:
    """A regex for a table name entry, its glob wildcards (`*`, `?`) matching name chars."""
    return "".join(r"[\w$]*" if c == "*" else r"[\w$]" if c == "?" else re.escape(c) for c in word)
