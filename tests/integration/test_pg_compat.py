"""The SQLite SQL db/ writes means the same on PostgreSQL (db/postgres.py): each rewrite and
each SQLite function defined there gives, on a real server, what SQLite gives."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import engine


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[Any, sqlite3.Connection]]:
    from vpo.db.postgres import PgConnection
    from vpo.db.postgres_dialect import COMPAT_FUNCTIONS

    pg = PgConnection(engine.cluster().new_database())
    lite = sqlite3.connect(":memory:")
    for statement in COMPAT_FUNCTIONS:
        pg.execute(statement)
    for conn in (pg, lite):
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, details TEXT)")
        conn.executemany(
            "INSERT INTO t (id, name, details) VALUES (?, ?, ?)",
            [
                (1, "b", '{"size_before": 5000000000, "size_after": 3, "codec": "hevc"}'),
                (2, "a", '{"size_before": 7, "nested": {"k": "v"}}'),
                (3, "c", None),
            ],
        )
    yield pg, lite
    pg.close()
    lite.close()


def same(both: tuple[Any, sqlite3.Connection], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    pg, lite = both
    got = [tuple(r) for r in pg.execute(sql, params).fetchall()]
    assert got == lite.execute(sql, params).fetchall(), sql
    return got


def test_json_extract_cast_as_integer_sums_64_bit_sizes(both: tuple[Any, sqlite3.Connection]) -> None:
    assert same(
        both,
        "SELECT coalesce(sum(CAST(json_extract(details, '$.size_before') AS INTEGER)), 0), "
        "sum(CAST(json_extract(details, '$.size_after') AS INTEGER)) FROM t",
    ) == [(5_000_000_007, 3)]
    same(
        both,
        "SELECT id, json_extract(details, '$.codec'), json_extract(details, '$.nested.k') FROM t ORDER BY id",
    )


def test_date_gives_the_monday_of_each_week_as_sqlite_does(both: tuple[Any, sqlite3.Connection]) -> None:
    start = datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=timezone.utc)
    for day in range(16):  # every weekday, across a year's end
        moment = (start + timedelta(days=day, hours=-day)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        same(both, "SELECT date(?, '-6 days', 'weekday 1'), date(?, '+1 day')", moment, moment)
    for moment in ("2026-12-27T23:59:59.999Z", "2026-12-27T23:59:59.9996Z", "2026-12-28T00:00:00Z"):
        same(both, "SELECT date(?, '-6 days', 'weekday 1')", moment)


def test_unary_plus_and_true_read_the_same(both: tuple[Any, sqlite3.Connection]) -> None:
    assert same(both, "SELECT name FROM t WHERE TRUE AND +name IN ('a', 'b') ORDER BY +name") == [
        ("a",),
        ("b",),
    ]
    assert same(both, "SELECT id + 1, (+id) FROM t WHERE id = +2") == [(3, 2)]


@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_a_database_made_before_the_report_functions_gets_them_on_upgrade(vpo: Any, vpo_home: Any) -> None:
    """A PostgreSQL catalogue at version 7 (no json_extract nor date() yet) is migrated by
    the next command, and `vpo report` works on it."""
    from vpo.db.postgres import PgConnection

    assert vpo("jobs", "list").code == 0  # creates the catalogue
    url = engine.url_for(vpo_home)
    conn = PgConnection(url)  # autocommit
    conn.execute("DELETE FROM schema_migrations WHERE version = 8")
    conn.execute("DROP FUNCTION json_extract(text, text)")
    conn.execute("DROP FUNCTION date(text, VARIADIC text[])")
    conn.close()
    done = vpo("report", "--json")
    assert done.code == 0, done
    assert [r["files"] for r in done.json()["totals"]] == [0, 0, 0], done.json()
    conn = PgConnection(url)
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 8
    conn.close()
