"""The SQL reader alone: SQL text -> tables read and written, whatever the text."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from couplint_ast.sqltables import (
    HOLE_NAME,
    MAX_PARSE,
    SqlAccess,
    looks_like_sql,
    normalize,
    parse_statements,
    sql_access,
)
from tests.conftest import ROOT

HOLE = "\ue000"  # facts.strings' marker of an unknown part


def rw(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    access = sql_access(text)
    assert access is not None, text
    return access.reads, access.writes


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("SELECT * FROM stock", ("stock",)),
        ("SELECT s.qty FROM stock s JOIN orders o ON o.sku = s.sku", ("stock", "orders")),
        ("SELECT * FROM stock LEFT OUTER JOIN bins USING (sku)", ("stock", "bins")),
        ("SELECT * FROM (SELECT sku FROM stock) AS s", ("stock",)),
        ("SELECT 1 WHERE EXISTS (SELECT 1 FROM orders WHERE id = 1)", ("orders",)),
        ("SELECT * FROM a WHERE id IN (SELECT a_id FROM b)", ("a", "b")),
        ("SELECT * FROM a UNION ALL SELECT * FROM b", ("a", "b")),
        ("SELECT (SELECT max(qty) FROM stock) AS top", ("stock",)),
        ("SELECT * FROM warehouse.bins", ("warehouse.bins",)),
        ("SELECT * FROM db.warehouse.bins", ("db.warehouse.bins",)),
        ('SELECT * FROM "Stock" AS "s"', ("Stock",)),
        ("SELECT EXTRACT(year FROM created) FROM stock", ("stock",)),
    ],
)
def test_reads(sql: str, reads: tuple[str, ...]) -> None:
    assert rw(sql) == (reads, ())


@pytest.mark.parametrize(
    ("sql", "reads", "writes"),
    [
        ("INSERT INTO stock (sku, qty) VALUES (%s, %s)", (), ("stock",)),
        ("INSERT INTO stock (sku) SELECT sku FROM orders", ("orders",), ("stock",)),
        ("UPDATE stock SET qty = 0 WHERE sku = ?", (), ("stock",)),
        (
            "UPDATE stock SET qty = o.n FROM orders o WHERE o.sku = stock.sku",
            ("orders",),
            ("stock",),
        ),
        ("DELETE FROM stock WHERE qty = 0", (), ("stock",)),
        ("DELETE FROM stock USING orders WHERE orders.sku = stock.sku", ("orders",), ("stock",)),
        (
            "MERGE INTO stock t USING orders o ON t.sku = o.sku"
            " WHEN MATCHED THEN UPDATE SET qty = 1",
            ("orders",),
            ("stock",),
        ),
        ("TRUNCATE stock, warehouse.bins", (), ("stock", "warehouse.bins")),
        ("TRUNCATE TABLE stock", (), ("stock",)),
        ("CREATE TABLE stock (sku text PRIMARY KEY)", (), ("stock",)),
        ("CREATE TABLE report AS SELECT * FROM stock", ("stock",), ("report",)),
        ("CREATE TABLE ship (oid int REFERENCES orders (id))", ("orders",), ("ship",)),
        ("ALTER TABLE stock ADD COLUMN note text", (), ("stock",)),
        ("ALTER TABLE stock RENAME TO stock_old", (), ("stock", "stock_old")),
        ("DROP TABLE IF EXISTS stock", (), ("stock",)),
        ("CREATE INDEX ix_sku ON warehouse.bins (sku)", (), ("warehouse.bins",)),
        ("COPY stock FROM STDIN", (), ("stock",)),
        ("COPY stock TO STDOUT", ("stock",), ()),
        ("SELECT * INTO stock_copy FROM stock", ("stock",), ("stock_copy",)),
        ("INSERT INTO stock VALUES (1) ON CONFLICT (sku) DO UPDATE SET qty = 2", (), ("stock",)),
        ("WITH gone AS (DELETE FROM stock RETURNING sku) SELECT * FROM gone", (), ("stock",)),
    ],
)
def test_writes(sql: str, reads: tuple[str, ...], writes: tuple[str, ...]) -> None:
    assert rw(sql) == (reads, writes)


@pytest.mark.parametrize(
    "sql",
    ["DROP INDEX ix_sku", "ALTER INDEX ix RENAME TO ix2", "CREATE SCHEMA warehouse", "SELECT 1"],
)
def test_statements_that_name_no_table(sql: str) -> None:
    assert rw(sql) == ((), ())


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("WITH stock AS (SELECT * FROM shipments) SELECT * FROM stock", ("shipments",)),
        # Inside its own (non-recursive) body, the name is still the real table.
        ("WITH stock AS (SELECT * FROM stock WHERE qty > 0) SELECT * FROM stock", ("stock",)),
        ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n FROM t) SELECT * FROM t", ()),
        # `b` is defined after `a`: inside `a`, `b` is a table.
        ("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a, b", ("b",)),
        ("WITH x AS (SELECT 1) SELECT * FROM warehouse.x", ("warehouse.x",)),
        ("SELECT * FROM (WITH o AS (SELECT 1) SELECT * FROM o) q JOIN o ON true", ("o",)),
    ],
)
def test_cte_names_are_not_tables(sql: str, reads: tuple[str, ...]) -> None:
    assert rw(sql) == (reads, ())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM stock WHERE sku = %s AND qty > %s",
        "SELECT * FROM stock WHERE sku = %(sku)s AND note LIKE 'a%%'",
        "SELECT * FROM stock WHERE sku = :sku",
        "SELECT * FROM stock WHERE sku = $1",
        "SELECT * FROM stock WHERE sku = ?",
        f"SELECT * FROM stock WHERE sku = '{HOLE}' AND qty > {HOLE}",
        f"SELECT * FROM stock WHERE sku IN ({HOLE}) ORDER BY {HOLE} LIMIT {HOLE}",
        "SELECT * FROM `stock` WHERE sku = %s",  # MySQL quoting with pyformat
        "SELECT TOP 5 * FROM [stock] WHERE sku = ?",  # T-SQL
        "INSERT OR REPLACE INTO stock_log SELECT * FROM stock",  # SQLite
    ],
)
def test_placeholders_and_dialects_parse(sql: str) -> None:
    access = sql_access(sql)
    assert access is not None and "stock" in access.reads and access.certain


def test_mysql_replace_is_read_conservatively() -> None:
    assert sql_access("REPLACE INTO stock VALUES (1)") == SqlAccess((), ("stock",), False)


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        (f"SELECT * FROM {HOLE}", ()),
        (f"SELECT * FROM stock_{HOLE}", ()),
        (f"SELECT * FROM {HOLE}stock", ()),
        (f"SELECT * FROM {HOLE}.stock", ("stock",)),
        (f"SELECT * FROM {HOLE}.stock JOIN {HOLE}", ("stock",)),
        ("SELECT * FROM \ue003settings.TABLE\ue004", ()),
    ],
)
def test_unknown_parts_never_become_tables(sql: str, reads: tuple[str, ...]) -> None:
    assert rw(sql) == (reads, ())


def test_normalize_keeps_what_every_dialect_reads() -> None:
    assert normalize("a = %s AND b = %(b)s AND c LIKE 'x%%'") == "a = ? AND b = :b AND c LIKE 'x%'"
    assert normalize(f"x {HOLE}{HOLE} {HOLE}") == f"x {HOLE_NAME} {HOLE_NAME}"


def test_several_statements() -> None:
    assert rw("SELECT * FROM stock; DELETE FROM orders; INSERT INTO bins VALUES (1);") == (
        ("stock",),
        ("orders", "bins"),
    )


def test_statement_that_no_dialect_parses_is_read_conservatively() -> None:
    access = sql_access("SELECT * FROM stock; SELECT ((( garbage FROM; DELETE FROM orders")
    assert access == SqlAccess(("stock",), ("orders",), False)
    broken = sql_access("SELECT qty FROM stock s WHERE s.sku = ))) AND")
    assert broken == SqlAccess(("stock",), (), False)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT FROM WHERE",
        "SELECT ((((((((((",
        "UPDATE SET = 1",
        "SELECT * FROM WHERE x = 1",
        "SELECT a FROM x WHERE a IS DISTINCT FROM b AND",
        "WITH",
    ],
)
def test_unparseable_sql_invents_no_table(sql: str) -> None:
    access = sql_access(sql)
    assert access is None or not {t.lower() for t in access.reads + access.writes} - {"x"}


@pytest.mark.parametrize(
    ("sql", "certain"),
    [
        ("SELECT sku FROM stock", True),
        ("select from stock failed", False),  # no columns: not a complete SELECT
        ("Update stock levels from the warehouse", False),  # no SET
        ("Delete orders from the cart", False),
        ("INSERT INTO stock", False),
    ],
)
def test_certainty(sql: str, certain: bool) -> None:
    access = sql_access(sql)
    assert access is not None and access.certain is certain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1", True),
        ("  \n-- why\n/* a comment */ (select 1)", True),
        ("with x as (select 1) select * from x", True),
        ("Selection of items", False),
        ("select_related", False),
        ("hello SELECT * FROM stock", False),
        ("", False),
        ("/* unclosed", False),
    ],
)
def test_looks_like_sql(text: str, expected: bool) -> None:
    assert looks_like_sql(text) is expected


def test_text_that_is_not_sql_is_none() -> None:
    assert sql_access("https://orders-api/orders") is None
    assert sql_access("") is None
    assert parse_statements("not sql at all ((((") is None


def test_parse_statements_for_ddl_readers() -> None:
    statements = parse_statements("ALTER TABLE stock DROP COLUMN note; DROP TABLE orders")
    assert statements is not None and [type(s).__name__ for s in statements] == ["Alter", "Drop"]
    # Cached: the same expressions come back, so a DDL reader never parses twice.
    again = parse_statements("ALTER TABLE stock DROP COLUMN note; DROP TABLE orders")
    assert again is not None and again[0] is statements[0]
    assert parse_statements("SELECT 1; ((( broken; DROP TABLE stock") is not None


def test_each_distinct_text_is_parsed_once() -> None:
    text = "SELECT sku FROM stock WHERE sku = 'cache-test'"
    sql_access(text)
    hits = sql_access.cache_info().hits
    assert sql_access(text) is sql_access(text)
    assert sql_access.cache_info().hits == hits + 2


def test_one_megabyte_string_is_read_conservatively_and_quickly() -> None:
    big = "SELECT * FROM stock WHERE sku IN (" + ", ".join(map(str, range(150_000))) + ")"
    assert len(big) > 1_000_000 > MAX_PARSE
    started = time.perf_counter()
    assert sql_access(big) == SqlAccess(("stock",), (), False)
    assert time.perf_counter() - started < 5


def test_ten_thousand_statements_in_one_string() -> None:
    script = ";\n".join(f"UPDATE stock SET qty = {i} WHERE id = {i}" for i in range(10_000))
    access = sql_access(script)
    assert access is not None and access.writes == ("stock",) and access.reads == ()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM stock WHERE note = '\udcff\udcfe'",  # undecodable bytes, surrogate-escaped
        "SELECT * FROM stock WHERE note = '\x00\x1b[31m'",
        "SELECT * FROM stock WHERE note = '\ufffd caf\u00e9 \U0001f600'",
    ],
)
def test_odd_characters_do_not_break_the_reading(sql: str) -> None:
    access = sql_access(sql)
    assert access is not None and access.reads == ("stock",)


def test_deep_nesting_does_not_crash() -> None:
    assert sql_access("SELECT " + "(" * 5000 + "1") is not None
    assert sql_access("SELECT * FROM stock WHERE " + "NOT " * 3000 + "x") is not None


def test_importing_couplint_does_not_import_sqlglot() -> None:
    code = (
        "import sys, couplint_ast.plugin, couplint_ast.sqltables as t\n"
        "assert 'sqlglot' not in sys.modules, 'imported at start-up'\n"
        "t.sql_access('SELECT 1 FROM stock')\n"
        "assert 'sqlglot' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
