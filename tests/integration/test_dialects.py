"""What db/ says each engine's way (db/dialect.py) means the same on both: every fragment,
run on a real PostgreSQL server and on SQLite, gives the same answer. And PostgreSQL's
connection (db/postgres.py) changes nothing but the parameter style: SQLite's own SQL is
refused before it is sent, and psycopg's errors come as sqlite3's from every operation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import engine
from vpo.db.dialect import Connection
from vpo.db.sqlite_dialect import SqliteConnection

TRACKS = (
    "CREATE TABLE tracks (file_id BIGINT, idx BIGINT, type TEXT, codec TEXT, language TEXT, title TEXT,"
    " is_default BIGINT, is_forced BIGINT, channels BIGINT, width BIGINT, height BIGINT,"
    " color_transfer TEXT, PRIMARY KEY (file_id, idx))"
)
TRACK_ROWS = [
    (1, 1, "audio", "aac", "eng", 'Stéréo "2.0"', 1, 0, 2, None, None, None),
    (1, 0, "video", "hevc", "und", None, 1, 0, None, 3840, 2160, "smpte2084"),
    (2, 0, "video", "h264", "und", None, 0, 0, None, 64, 48, None),
]


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[Connection, Connection]]:
    from vpo.db.postgres import PgConnection

    pg = PgConnection(engine.cluster().new_database())
    lite = sqlite3.connect(":memory:", factory=SqliteConnection)
    for conn in (pg, lite):  # portable DDL: both engines take these types
        conn.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, details TEXT)")
        conn.executemany(
            "INSERT INTO t (id, name, details) VALUES (?, ?, ?)",
            [
                (1, "b", '{"size_before": 5000000000, "size_after": 3, "codec": "hevc"}'),
                (2, "a", '{"size_before": 7, "nested": {"k": "v"}}'),
                (3, "c", None),
            ],
        )
        conn.execute(TRACKS)
        conn.executemany(f"INSERT INTO tracks VALUES ({', '.join('?' * 12)})", TRACK_ROWS)
    yield pg, lite
    pg.close()
    lite.close()


def same(both: tuple[Connection, Connection], fragment: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """`sql` with `{}` filled by `fragment(dialect)`, run on each engine: the same rows."""
    pg, lite = (c.execute(sql.format(fragment(c.dialect)), params).fetchall() for c in both)
    assert [tuple(r) for r in pg] == [tuple(r) for r in lite], sql
    return [tuple(r) for r in lite]


def test_json_integers_sum_64_bit_sizes(both: tuple[Connection, Connection]) -> None:
    total = "coalesce(sum({}), 0)"
    assert same(both, lambda d: d.json_integer("details", "size_before"), f"SELECT {total} FROM t") == [
        (5_000_000_007,)
    ]
    assert same(
        both, lambda d: d.json_integer("details", "size_after"), "SELECT id, {} FROM t ORDER BY id"
    ) == [
        (1, 3),
        (2, None),
        (3, None),
    ]


def test_week_of_is_the_monday_sqlite_gives(both: tuple[Connection, Connection]) -> None:
    start = datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=timezone.utc)
    for day in range(16):  # every weekday, across a year's end
        moment = start + timedelta(days=day, hours=-day)
        [(week,)] = same(
            both, lambda d: d.week_of("?"), "SELECT {}", moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        )
        monday = (moment + timedelta(microseconds=500)).date()
        assert week == (monday - timedelta(days=monday.weekday())).isoformat()
    for moment in ("2026-12-27T23:59:59.999Z", "2026-12-27T23:59:59.9996Z", "2026-12-28T00:00:00Z"):
        same(both, lambda d: d.week_of("?"), "SELECT {}", moment)  # rounded to the ms first


def test_contains_finds_a_word_of_a_multiset(both: tuple[Connection, Connection]) -> None:
    words = "' ' || name || ' '"
    assert same(both, lambda d: d.contains(words, "?"), "SELECT id FROM t WHERE {} ORDER BY id", " a ") == [
        (2,)
    ]
    assert same(both, lambda d: d.contains(words, "?"), "SELECT id FROM t WHERE {}", " z ") == []


def test_not_indexed_reads_the_same(both: tuple[Connection, Connection]) -> None:
    sql = "SELECT name FROM t WHERE TRUE AND {} IN ('a', 'b') ORDER BY name"
    assert same(both, lambda d: d.not_indexed("name"), sql) == [("a",), ("b",)]


def test_track_layouts_are_the_same_rows_in_track_order(both: tuple[Connection, Connection]) -> None:
    from vpo.db.track_layouts import _TRACK_COLUMNS, layout_rows

    layouts = []
    for conn in both:
        sql = conn.dialect.track_layouts_sql(_TRACK_COLUMNS, "?, ?")
        layouts.append({fid: layout_rows(text) for fid, text in conn.execute(sql, (1, 2))})
    assert layouts[0] == layouts[1]
    assert [row[0] for row in layouts[0][1]] == [0, 1]
    assert layouts[0][1][1][4] == 'Stéréo "2.0"' and json.dumps(layouts[0][2][0][9]) == "48"


# -- PostgreSQL's connection -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    from vpo.db.postgres import PgConnection

    conn = PgConnection(engine.cluster().new_database())
    yield conn
    conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA user_version",
        "pragma integrity_check",
        "BEGIN IMMEDIATE",
        "INSERT OR IGNORE INTO t VALUES (1)",
        "CREATE TABLE u (k TEXT) WITHOUT ROWID",
        "SELECT name FROM sqlite_master",
        "SELECT ?1",
    ],
)
def test_sqlite_only_sql_is_refused_before_it_is_sent(pg: Any, sql: str) -> None:
    """Nothing is faked: PostgreSQL never sees it, so a transaction stays usable."""
    pg.execute("BEGIN")
    try:
        with pytest.raises(sqlite3.NotSupportedError):
            pg.execute(sql, (1,) if "?" in sql else ())
        assert pg.execute("SELECT 1").fetchone() == (1,)
    finally:
        pg.execute("ROLLBACK")


def test_placeholders_are_the_codes_question_marks_only(pg: Any) -> None:
    sql = "SELECT ? -- it's a comment\n + ?, '100%?' /* don't ? */, \"?column?\" FROM (SELECT 1 AS \"?column?\") q"
    assert pg.execute(sql, (1, 2)).fetchone() == (3, "100%?", 1)


def test_errors_of_every_cursor_operation_are_sqlite3_errors(pg: Any) -> None:
    pg.execute("CREATE TABLE k (k TEXT PRIMARY KEY)")
    pg.execute("INSERT INTO k VALUES (?)", ("a",))
    with pytest.raises(sqlite3.IntegrityError):
        pg.execute("INSERT INTO k VALUES (?)", ("a",))
    with pytest.raises(sqlite3.IntegrityError):
        pg.executemany("INSERT INTO k VALUES (?)", [("b",), ("b",)])
    for fetch in (
        lambda c: c.fetchmany(1),
        lambda c: list(c),
        lambda c: c.fetchone(),
        lambda c: c.fetchall(),
    ):
        # psycopg makes the Python values as rows are fetched: this date has none
        cur = pg.execute("SELECT 'infinity'::date")
        with pytest.raises(sqlite3.DatabaseError, match="date too large"):
            fetch(cur)


# -- catalogues made before --------------------------------------------------------------------

# What earlier VPOs defined in every PostgreSQL catalogue so that SQLite's SQL ran unchanged.
OLD_FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION typeof(anyelement) RETURNS text LANGUAGE sql AS $f$ SELECT 'x' $f$",
    "CREATE OR REPLACE FUNCTION ifnull(anyelement, anyelement) RETURNS anyelement LANGUAGE sql AS $f$ SELECT $1 $f$",
    "CREATE OR REPLACE FUNCTION instr(text, text) RETURNS bigint LANGUAGE sql AS $f$ SELECT 0::bigint $f$",
    "CREATE OR REPLACE FUNCTION vpo_group_concat_step(text, text, text) RETURNS text LANGUAGE sql AS $f$ SELECT $1 $f$",
    "CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = vpo_group_concat_step, STYPE = text)",
    "CREATE OR REPLACE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql AS $f$ SELECT $1 $f$",
    "CREATE OR REPLACE FUNCTION date(text, VARIADIC text[]) RETURNS text LANGUAGE sql AS $f$ SELECT $1 $f$",
]


@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_a_catalogue_from_before_loses_the_look_alikes_and_gets_the_fresh_schema(
    vpo: Any, vpo_home: Any, db_engine: str
) -> None:
    """A PostgreSQL catalogue as an earlier VPO left it (version 7, SQLite's look-alike
    functions defined) is migrated by the next command: version 8, the functions dropped,
    the very schema of a fresh catalogue, and `vpo report` works."""
    from vpo.db.connection import open_database
    from vpo.db.migrations import LATEST
    from vpo.db.postgres import PgConnection

    assert vpo("jobs", "list").code == 0  # creates the catalogue
    url = engine.url_for(vpo_home)
    conn = PgConnection(url)  # autocommit
    conn.execute("DELETE FROM schema_migrations WHERE version = 8")
    for statement in OLD_FUNCTIONS:
        conn.execute(statement)
    conn.close()
    done = vpo("report", "--json")
    assert done.code == 0, done
    assert [r["files"] for r in done.json()["totals"]] == [0, 0, 0], done.json()
    old, fresh = open_database(url), open_database(engine.cluster().new_database())
    try:
        assert old.dialect.schema_version(old.conn) == LATEST
        assert old.dialect.describe_schema(old.conn) == fresh.dialect.describe_schema(fresh.conn)
        assert not [line for line in old.dialect.describe_schema(old.conn) if line.startswith("function")]
    finally:
        old.close()
        fresh.close()
