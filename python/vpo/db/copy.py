"""Copying a catalogue from SQLite to another database (`vpo db migrate-to URL`).

Generic over the schema: every table of the source (in creation order, so a table comes
after those it references) is copied column by column, rows in their stored order, ids
kept. The target must be migrated to the same schema version and hold no rows yet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import NamedTuple

from vpo.db.connection import Database, engine_of

BATCH = 2000
SKIPPED = ("schema_migrations",)


class TableCopy(NamedTuple):
    table: str
    rows: int


def tables(src: Database) -> list[tuple[str, list[str]]]:
    """(table, columns) of the SQLite source, in creation order."""
    return [(name, columns) for name, columns, _ in _tables(src)]


def _tables(src: Database) -> list[tuple[str, list[str], bool]]:
    """(table, columns, has a rowid) of the SQLite source, in creation order."""
    found = src.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    out = []
    for name, sql in found:
        if name in SKIPPED:
            continue
        columns = [r[1] for r in src.conn.execute(f'PRAGMA table_info("{name}")')]
        out.append((name, columns, "WITHOUT ROWID" not in " ".join(sql.upper().split())))
    return out


def count(db: Database, table: str) -> int:
    return int(db.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def occupied(dst: Database, names: list[str]) -> list[str]:
    """The tables of the target that already hold rows."""
    return [t for t in names if dst.conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]]


def _rows(src: Database, table: str, columns: list[str], rowid: bool) -> Iterator[list[tuple]]:
    cols = ", ".join(f'"{c}"' for c in columns)
    order = " ORDER BY rowid" if rowid else ""  # else the primary key's order
    cur = src.conn.execute(f'SELECT {cols} FROM "{table}"{order}')
    while batch := cur.fetchmany(BATCH):
        yield [tuple(r) for r in batch]


def copy_all(src: Database, dst: Database) -> list[TableCopy]:
    """Copy every row, in one transaction on the target; returns the counts per table."""
    done = []
    plan = _tables(src)
    with dst.transaction() as conn:
        for table, columns, rowid in plan:
            marks = ", ".join("?" * len(columns))
            cols = ", ".join(f'"{c}"' for c in columns)
            n = 0
            for batch in _rows(src, table, columns, rowid):
                conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', batch)
                n += len(batch)
            done.append(TableCopy(table, n))
        if engine_of(conn) == "postgresql":
            _advance_identities(conn)
    return done


def _advance_identities(conn: sqlite3.Connection) -> None:
    """Ids were copied as they were: each identity column's next value comes after them."""
    columns = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES' AND column_name != 'rowid'"
    ).fetchall()
    for table, column in columns:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
        )
