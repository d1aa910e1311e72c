"""Splitting a migration script into statements: a `;` ends one only outside literals,
quoted identifiers and comments."""

from __future__ import annotations

import sqlite3

import pytest

from vpo.db import migrations, migrations_postgres, migrations_sqlite
from vpo.db.migrations import statements


def test_semicolons_inside_literals_identifiers_and_comments_do_not_split() -> None:
    script = """
        CREATE TABLE t ("a;b" TEXT, c TEXT DEFAULT 'x;y'); -- a comment; with a semicolon
        /* a block; comment */ INSERT INTO t VALUES ('it''s;', 'a--b');
        INSERT INTO t VALUES ('/*;*/', '"');
    """
    assert statements(script) == [
        """CREATE TABLE t ("a;b" TEXT, c TEXT DEFAULT 'x;y')""",
        "INSERT INTO t VALUES ('it''s;', 'a--b')",
        """INSERT INTO t VALUES ('/*;*/', '"')""",
    ]


def test_statements_run_on_sqlite_and_keep_their_values() -> None:
    conn = sqlite3.connect(":memory:")
    for statement in statements("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a;b'); -- done"):
        conn.execute(statement)
    assert conn.execute("SELECT v FROM t").fetchall() == [("a;b",)]


def test_a_script_of_comments_and_blank_statements_has_none() -> None:
    assert statements("-- nothing\n;;\n/* here */ ;") == []


@pytest.mark.parametrize("scripts", [migrations_sqlite.SQLITE, migrations_postgres.POSTGRESQL])
@pytest.mark.parametrize("version", range(1, migrations.LATEST + 1))
def test_every_migration_splits_into_complete_statements(scripts: tuple[str, ...], version: int) -> None:
    """Each piece is one whole statement as SQLite's own tokenizer reads it (PostgreSQL's
    scripts too: they hold no dollar-quoted bodies)."""
    for statement in statements(scripts[version - 1]):
        assert sqlite3.complete_statement(statement + ";"), statement
        assert not sqlite3.complete_statement(statement), statement
