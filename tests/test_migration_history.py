"""CPL402 against schema history: each revision judged on what its folder built before it.

Every case runs through the real flake8 (one file at a time, siblings read from disk) and
through `couplint check`, and both must print exactly the same findings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from couplint_ast.cli import main
from couplint_ast.couplings.history import Entry, History
from couplint_ast.facts.types import RevisionFact
from couplint_ast.histories import revision_of
from tests.helpers import cli_runner, make_repo

CONFIG = """
[tool.couplint]
select = ["CPL402"]

[tool.couplint.services.users]
paths = ["users"]
tables = ["users"]
"""
VERSIONS = "users/migrations/versions"
DJANGO = "users/accounts/migrations"
NOT_COMPATIBLE = " (not backward compatible)"


def alembic(revision: str, down: str | tuple[str, ...] | None, *lines: str) -> str:
    """An Alembic revision file whose upgrade() runs `lines`."""
    body = "".join(f"    {line}\n" for line in lines)
    parent = "None" if down is None else repr(down)
    return (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {parent}\n\n\ndef upgrade():\n{body}"
    )


def django(dependencies: str, *operations: str) -> str:
    body = "".join(f"        {op},\n" for op in operations)
    return (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f"    dependencies = [{dependencies}]\n    operations = [\n{body}    ]\n"
    )


CREATE_USERS = alembic(
    "a1",
    None,
    'op.create_table("users",',
    '    sa.Column("id", sa.Integer(), primary_key=True),',
    '    sa.Column("email", sa.String(255), nullable=False),',
    '    sa.Column("name", sa.String(100), nullable=True),',
    '    sa.Column("score", sa.Integer(), nullable=False, server_default="0"),',
    '    sa.Column("amount", sa.Numeric(10, 2), nullable=True),',
    ")",
)


def findings(root: Path, *files: str, cli: bool = True) -> list[str]:
    """What flake8 prints for each of `files` run alone, checked against `couplint check`."""
    lines = []
    for name in files:
        result = subprocess.run(
            [sys.executable, "-m", "flake8", "--select=CPL", "-j1", name],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stderr == ""
        lines.extend(result.stdout.splitlines())
    if cli:
        assert lines == check(root, *files)
    return lines


def check(root: Path, *files: str) -> list[str]:
    import os

    here = os.getcwd()
    os.chdir(root)
    try:
        result = cli_runner().invoke(main, ["check", "--no-cache", "."])
    finally:
        os.chdir(here)
    wanted = tuple(files)
    return [line for line in result.stdout.splitlines() if line.startswith(wanted)]


def cpl402(path: str, line: int, col: int, change: str) -> str:
    return f"{path}:{line}:{col}: CPL402 migration {change}{NOT_COMPATIBLE}"


# -- Alembic ------------------------------------------------------------------------------


def test_restating_widening_and_relaxing_are_compatible(tmp_path: Path) -> None:
    # What ten of one system's twelve CPL402 findings were: collation-only restatements,
    # Integer -> BigInteger, NOT NULL said again of a NOT NULL column.
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1_create.py": CREATE_USERS,
            f"{VERSIONS}/b2_widen.py": alembic(
                "b2",
                "a1",
                'with op.batch_alter_table("users") as batch_op:',
                '    batch_op.alter_column("email", type_=sa.String(255, collation="NOCASE"),'
                " nullable=False)",
                '    batch_op.alter_column("score", type_=sa.BigInteger(), nullable=False)',
                '    batch_op.alter_column("amount", type_=sa.Numeric(12, 2))',
                '    batch_op.alter_column("name", type_=sa.Text(), nullable=True)',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, f"{VERSIONS}/b2_widen.py") == []


def test_narrowing_family_changes_and_new_not_null_are_reported(tmp_path: Path) -> None:
    path = f"{VERSIONS}/b2_narrow.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1_create.py": CREATE_USERS,
            path: alembic(
                "b2",
                "a1",
                'op.alter_column("users", "name", type_=sa.String(50))',
                'op.alter_column("users", "score", type_=sa.SmallInteger())',
                'op.alter_column("users", "email", type_=sa.Integer())',
                'op.alter_column("users", "name", nullable=False)',
                # Added nullable, back-filled, made NOT NULL: the running release still
                # inserts users without a nick.
                'op.add_column("users", sa.Column("nick", sa.String(20), nullable=True))',
                'op.execute("UPDATE users SET nick = email")',
                'op.alter_column("users", "nick", nullable=False)',
                'op.create_unique_constraint("uq_users_email", "users", ["email"])',
                'op.create_index("ix_users_nick", "users", ["nick"], unique=True)',
            ),
        },
        CONFIG,
    )
    users = "of table 'users'"
    assert findings(tmp_path, path) == [
        cpl402(path, 9, 5, f"changes the type of column 'name' {users}"),
        cpl402(path, 10, 5, f"changes the type of column 'score' {users}"),
        cpl402(path, 11, 5, f"changes the type of column 'email' {users}"),
        cpl402(path, 12, 5, f"makes column 'name' {users} NOT NULL"),
        cpl402(path, 15, 5, f"makes column 'nick' {users} NOT NULL"),
        cpl402(path, 16, 5, f"adds a unique constraint on column 'email' {users}"),
    ]


def test_a_default_dropped_again_leaves_a_new_column_without_one(tmp_path: Path) -> None:
    path = f"{VERSIONS}/b2_tries.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1_create.py": CREATE_USERS,
            path: alembic(
                "b2",
                "a1",
                'op.execute("ALTER TABLE users ADD COLUMN tries integer DEFAULT 0 NOT NULL;'
                ' ALTER TABLE users ALTER COLUMN tries DROP DEFAULT")',
                'op.add_column("users", sa.Column("level", sa.Integer(), nullable=False,'
                ' server_default="1"))',
                'op.alter_column("users", "level", server_default=None)',
                'op.alter_column("users", "score", server_default=None)',  # not new: unknown
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 9, 5, "leaves new NOT NULL column 'tries' of table 'users' without a default"),
        cpl402(
            path, 11, 5, "leaves new NOT NULL column 'level' of table 'users' without a default"
        ),
    ]


def test_merges_replay_every_branch(tmp_path: Path) -> None:
    path = f"{VERSIONS}/d4_merge.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1_create.py": CREATE_USERS,
            f"{VERSIONS}/b2_x.py": alembic(
                "b2",
                "a1",
                'op.add_column("users", sa.Column("x", sa.Integer(), nullable=False,'
                ' server_default="0"))',
            ),
            f"{VERSIONS}/c3_y.py": alembic(
                "c3", "a1", 'op.add_column("users", sa.Column("y", sa.Integer()))'
            ),
            path: alembic(
                "d4",
                ("b2", "c3"),
                'op.alter_column("users", "x", nullable=False)',
                'op.alter_column("users", "y", nullable=False)',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 10, 5, "makes column 'y' of table 'users' NOT NULL"),
    ]


RESTATE = 'op.alter_column("users", "email", type_=sa.String(255), nullable=False)'
# What the file alone says: a type_ with no existing_type, NOT NULL with no existing_nullable.
ALONE = [
    "changes the type of column 'email' of table 'users'",
    "makes column 'email' of table 'users' NOT NULL",
]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"b2.py": alembic("b2", "a1", RESTATE)}, id="missing parent"),
        pytest.param(
            {"a1.py": alembic("a1", "b2"), "b2.py": alembic("b2", "a1", RESTATE)}, id="cycle"
        ),
        pytest.param(
            {"a1.py": CREATE_USERS, "b2.py": alembic("b2", "a1", RESTATE).replace("'b2'", "42")},
            id="revision id not a string",
        ),
        pytest.param(
            {
                "a1.py": CREATE_USERS,
                "b2.py": alembic("b2", "a1", RESTATE),
                "b2_again.py": alembic("b2", "a1"),
            },
            id="two files claim one revision",
        ),
    ],
)
def test_unknown_history_falls_back_to_the_file_alone(
    tmp_path: Path, files: dict[str, str]
) -> None:
    make_repo(tmp_path, {f"{VERSIONS}/{name}": text for name, text in files.items()}, CONFIG)
    path = f"{VERSIONS}/b2.py"
    assert findings(tmp_path, path) == [cpl402(path, 9, 5, change) for change in ALONE]


def test_two_heads_each_know_their_own_history(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1.py": CREATE_USERS,
            f"{VERSIONS}/b2.py": alembic("b2", "a1", RESTATE),
            f"{VERSIONS}/c3.py": alembic("c3", "a1", RESTATE),
        },
        CONFIG,
    )
    assert findings(tmp_path, f"{VERSIONS}/b2.py", f"{VERSIONS}/c3.py") == []


def test_a_renamed_table_keeps_its_history(tmp_path: Path) -> None:
    # The judged file names `accounts` only; its columns come from the file that created
    # `users`, found through the rename.
    path = f"{VERSIONS}/c3.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1.py": CREATE_USERS,
            f"{VERSIONS}/b2.py": alembic("b2", "a1", 'op.rename_table("users", "accounts")'),
            path: alembic(
                "c3",
                "b2",
                'op.alter_column("accounts", "email", type_=sa.String(300), nullable=False)',
                'op.alter_column("accounts", "name", type_=sa.String(10))',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 10, 5, "changes the type of column 'name' of table 'accounts'")
    ]


# -- Django -------------------------------------------------------------------------------

DJANGO_INITIAL = django(
    "",
    'migrations.CreateModel("Account", fields=['
    '("id", models.BigAutoField(primary_key=True)), '
    '("name", models.CharField(max_length=100)), '
    '("visits", models.IntegerField()), '
    '("note", models.TextField(null=True))], options={"db_table": "users"})',
)


def test_django_alter_field_is_judged_against_the_field_before(tmp_path: Path) -> None:
    path = f"{DJANGO}/0002_changes.py"
    make_repo(
        tmp_path,
        {
            f"{DJANGO}/__init__.py": "",
            f"{DJANGO}/0001_initial.py": DJANGO_INITIAL,
            path: django(
                '("accounts", "0001_initial")',
                'migrations.AlterField("account", "name", models.CharField(max_length=100))',
                'migrations.AlterField("account", "visits", models.BigIntegerField())',
                'migrations.AlterField("account", "note", models.TextField())',
                'migrations.AlterField("account", "name", models.CharField(max_length=50))',
                'migrations.AlterField("account", "visits", models.CharField(max_length=20))',
            ),
        },
        CONFIG,
    )
    of = "of model 'account'"
    assert findings(tmp_path, path) == [
        cpl402(path, 9, 9, f"makes column 'note' {of} NOT NULL"),
        cpl402(path, 10, 9, f"changes the type of column 'name' {of}"),
        cpl402(path, 11, 9, f"changes the type of column 'visits' {of}"),
    ]


def test_django_sql_rebuild_is_judged_as_a_whole(tmp_path: Path) -> None:
    path = f"{DJANGO}/0002_rebuild.py"
    create = (
        "CREATE TABLE users (id integer PRIMARY KEY, email varchar(255) NOT NULL,"
        " name varchar(100))"
    )
    rebuild = [
        "CREATE TABLE new__users (id integer PRIMARY KEY, email varchar(300) NOT NULL)",
        "INSERT INTO new__users (id, email) SELECT id, email FROM users",
        "DROP TABLE users",
        "ALTER TABLE new__users RENAME TO users",
    ]
    make_repo(
        tmp_path,
        {
            f"{DJANGO}/__init__.py": "",
            f"{DJANGO}/0001_initial.py": django("", f"migrations.RunSQL({create!r})"),
            path: django('("accounts", "0001_initial")', f"migrations.RunSQL({rebuild!r})"),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 7, 9, "drops column 'name' of table 'users'"),
    ]


def test_mysql_modify_restating_a_column_is_compatible(tmp_path: Path) -> None:
    path = f"{DJANGO}/0002_modify.py"
    make_repo(
        tmp_path,
        {
            f"{DJANGO}/__init__.py": "",
            f"{DJANGO}/0001_initial.py": django(
                "", 'migrations.RunSQL("CREATE TABLE users (name varchar(20) NOT NULL)")'
            ),
            path: django(
                '("accounts", "0001_initial")',
                'migrations.RunSQL("ALTER TABLE users MODIFY name varchar(20) NOT NULL")',
                'migrations.RunSQL("ALTER TABLE users MODIFY name varchar(10) NOT NULL")',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 8, 9, "changes the type of column 'name' of table 'users'"),
    ]


@pytest.mark.parametrize("length", [300, 2000])
def test_long_chains(tmp_path: Path, length: int) -> None:
    # A long chain, each revision adding a column to `users`: the last one restates the
    # first revision's NOT NULL column (silent) and narrows the one the chain added first.
    # 2,000 revisions are read by flake8 alone (the CLI's figures are in the benchmarks).
    files = {f"{VERSIONS}/r0000.py": CREATE_USERS.replace("'a1'", "'r0000'")}
    for n in range(1, length):
        files[f"{VERSIONS}/r{n:04d}.py"] = alembic(
            f"r{n:04d}",
            f"r{n - 1:04d}",
            f'op.add_column("users", sa.Column("c{n}", sa.String(40), nullable=True))',
        )
    last = f"{VERSIONS}/r{length:04d}.py"
    files[last] = alembic(
        f"r{length:04d}",
        f"r{length - 1:04d}",
        'op.alter_column("users", "email", nullable=False)',
        'op.alter_column("users", "c1", type_=sa.String(20))',
    )
    make_repo(tmp_path, files, CONFIG)
    expected = [cpl402(last, 10, 5, "changes the type of column 'c1' of table 'users'")]
    assert findings(tmp_path, last, cli=length <= 300) == expected


# -- reading a folder's chain -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import alembic\nrevision = 'b2'\ndown_revision = 'a1'\n", ("b2", ("a1",), True)),
        ('import alembic\nrevision: str = "b2"\ndown_revision = None\n', ("b2", (), True)),
        (
            "import alembic\nrevision = 'd4'\ndown_revision = (\n    'b2',  # x\n    'c3',\n)\n",
            ("d4", ("b2", "c3"), True),
        ),
        ("import alembic\nrevision = 42\ndown_revision = 'a1'\n", ("", (), False)),
        ("import alembic\nrevision = 'b2'\ndown_revision = PARENT\n", ("", (), False)),
    ],
)
def test_alembic_place_is_read_from_text(text: str, expected: tuple[object, ...]) -> None:
    revision = revision_of(text)
    assert revision is not None
    assert (revision.revision, revision.parents, revision.known) == expected


def test_django_dependencies_are_read_from_text() -> None:
    text = django('("accounts", "0001_initial"),\n        migrations.swappable_dependency("x")')
    revision = revision_of(text)
    assert revision == RevisionFact("django", "", ("accounts:0001_initial",))
    assert revision_of("x = 1\n") is None


def test_history_of_a_cycle_or_missing_parent_is_unknown() -> None:
    def entry(path: str, revision: str, *parents: str) -> Entry:
        return Entry(path, RevisionFact("alembic", revision, parents), ())

    cycle = History([entry("a.py", "a", "b"), entry("b.py", "b", "a")])
    assert cycle.before("a.py") is None
    missing = History([entry("b.py", "b", "a")])
    assert missing.before("b.py") is None
    chain = History([entry("a.py", "a"), entry("b.py", "b", "a")])
    assert chain.ancestors("b.py") == ["a"]


def test_a_db_table_named_by_an_earlier_migration_is_known_to_cpl403(tmp_path: Path) -> None:
    # payments' migrations alter a model whose table, named in 0001, orders owns.
    config = CONFIG.replace('select = ["CPL402"]', 'select = ["CPL403"]') + (
        '\n[tool.couplint.services.orders]\npaths = ["orders"]\ntables = ["shop_orders"]\n'
    )
    path = f"{DJANGO}/0002_paid.py"
    make_repo(
        tmp_path,
        {
            "orders/__init__.py": "",
            f"{DJANGO}/__init__.py": "",
            f"{DJANGO}/0001_initial.py": django(
                "",
                'migrations.CreateModel("Order", fields=[("id", models.BigAutoField('
                'primary_key=True))], options={"db_table": "shop_orders", "managed": True})',
            ),
            path: django(
                '("accounts", "0001_initial")',
                'migrations.AddField("order", "paid", models.BooleanField(null=True))',
            ),
        },
        config,
    )
    assert findings(tmp_path, path) == [
        f"{path}:7:9: CPL403 migration alters table 'shop_orders' owned by service 'orders'"
    ]


# -- found on real folders (kpi, renku, ckan) ---------------------------------------------


def test_a_revision_that_imports_nothing_keeps_the_chain(tmp_path: Path) -> None:
    # A merge or an empty revision need not import alembic; the chain goes through it.
    path = f"{VERSIONS}/c3.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1.py": CREATE_USERS,
            f"{VERSIONS}/b2.py": 'revision = "b2"\ndown_revision = "a1"\n\n\ndef upgrade():\n'
            "    pass  # used by Alembic.\n",
            path: alembic("c3", "b2", 'op.alter_column("users", "name", type_=sa.String(120))'),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == []


def test_an_earlier_file_that_names_the_schema_apart_is_read(tmp_path: Path) -> None:
    config = CONFIG.replace('tables = ["users"]', 'tables = ["shop.*"]')
    path = f"{VERSIONS}/b2.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1.py": alembic(
                "a1", None, 'op.create_table("items", sa.Column("n", sa.String(50)), schema="shop")'
            ),
            path: alembic(
                "b2", "a1", 'op.alter_column("items", "n", type_=sa.String(80), schema="shop")'
            ),
        },
        config,
    )
    assert findings(tmp_path, path) == []


def test_field_classes_it_cannot_know_and_new_columns_are_not_type_changes(
    tmp_path: Path,
) -> None:
    path = f"{DJANGO}/0002_more.py"
    make_repo(
        tmp_path,
        {
            f"{DJANGO}/__init__.py": "",
            f"{DJANGO}/0001_initial.py": django(
                "",
                'migrations.CreateModel("Asset", fields=['
                '("uid", models.CharField(max_length=22)), '
                '("owner", models.ForeignKey(to="auth.user", on_delete=models.CASCADE)), '
                '("ref", models.CharField(max_length=UUID_LENGTH + 1)), '
                '("doc", models.FileField(upload_to="docs"))])',
            ),
            path: django(
                '("accounts", "0001_initial")',
                # a project's own CharField subclass; a relation made an integer
                'migrations.AlterField("asset", "uid", kpi.fields.KpiUidField(uid_prefix="a"))',
                'migrations.AlterField("asset", "owner", models.IntegerField())',
                'migrations.AlterField("asset", "ref", models.CharField(max_length=33))',
                # a FileField is 100 long unless it says otherwise: 380 widens it
                'migrations.AlterField("asset", "doc", models.FileField(max_length=380))',
                # added by this migration, then changed: no running release wrote it
                'migrations.AddField("asset", "tag", models.CharField(max_length=9, null=True))',
                'migrations.AlterField("asset", "tag", models.IntegerField(null=True))',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == []


def test_a_unique_constraint_with_a_new_column_is_compatible(tmp_path: Path) -> None:
    path = f"{VERSIONS}/b2.py"
    make_repo(
        tmp_path,
        {
            f"{VERSIONS}/a1.py": CREATE_USERS,
            path: alembic(
                "b2",
                "a1",
                'op.add_column("users", sa.Column("tenant", sa.Integer(), nullable=True))',
                'op.create_unique_constraint("uq", "users", ["email", "tenant"])',
                'op.create_unique_constraint("uq_name", "users", ["name"])',
            ),
        },
        CONFIG,
    )
    assert findings(tmp_path, path) == [
        cpl402(path, 11, 5, "adds a unique constraint on column 'name' of table 'users'")
    ]


def test_a_file_flake8_skips_is_skipped_by_couplint_check(tmp_path: Path) -> None:
    path = f"{VERSIONS}/b2.py"
    make_repo(
        tmp_path,
        {path: "# flake8: noqa: E501\n" + alembic("b2", None, 'op.drop_table("users")')},
        CONFIG,
    )
    assert findings(tmp_path, path) == []
