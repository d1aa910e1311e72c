"""Copying a catalogue to another database (`vpo db migrate-to URL`: SQLite to PostgreSQL).

Generic over the schema: every table of the source (in creation order, so a table comes
after those it references) is copied column by column, rows in their stored order, ids
kept. The target must be migrated to the same schema version and hold no rows yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from vpo.db.connection import Database
from vpo.db.dialect import Table

BATCH = 2000


class TableCopy(NamedTuple):
    table: str
    rows: int


def tables(src: Database) -> list[tuple[str, list[str]]]:
    """(table, columns) of the source, in creation order."""
    return [(t.name, t.columns) for t in src.dialect.tables(src.conn)]


def count(db: Database, table: str) -> int:
    return int(db.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def occupied(dst: Database, names: list[str]) -> list[str]:
    """The tables of the target that already hold rows."""
    return [t for t in names if dst.conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]]


def _rows(src: Database, table: Table) -> Iterator[list[tuple]]:
    cols = ", ".join(f'"{c}"' for c in table.columns)
    order = f" ORDER BY {table.ordered_by}" if table.ordered_by else ""
    cur = src.conn.execute(f'SELECT {cols} FROM "{table.name}"{order}')
    while batch := cur.fetchmany(BATCH):
        yield [tuple(r) for r in batch]


def copy_all(src: Database, dst: Database) -> list[TableCopy]:
    """Copy every row, in one transaction on the target; returns the counts per table."""
    done = []
    plan = src.dialect.tables(src.conn)
    with dst.transaction() as conn:
        for table in plan:
            marks = ", ".join("?" * len(table.columns))
            cols = ", ".join(f'"{c}"' for c in table.columns)
            n = 0
            for batch in _rows(src, table):
                conn.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', batch)
                n += len(batch)
            done.append(TableCopy(table.name, n))
        dst.dialect.after_copy(conn)
    return done
