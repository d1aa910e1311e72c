"""PgConnection.copy_out: a binary COPY's bytes in chunks, read past psycopg's row at a time
(db/postgres.py), whatever way the COPY ends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

import engine
from vpo.db import postgres
from vpo.db.postgres import PgConnection

ROWS = "COPY (SELECT CAST('\\x00' AS bytea), CAST(i AS int8), CAST({last} AS int8) FROM generate_series(1, 100000) i) TO STDOUT (FORMAT BINARY)"
HEADER = 19
TUPLE = 2 + (4 + 1) + (4 + 8) + (4 + 8)


@pytest.fixture
def conn() -> Iterator[PgConnection]:
    c = PgConnection(engine.cluster().new_database())
    yield c
    c.close()


def test_every_row_in_chunks_then_the_trailer(conn: PgConnection) -> None:
    chunks = list(conn.copy_out(ROWS.format(last="i"), ()))
    assert all(len(c) >= postgres.COPY_CHUNK for c in chunks[:-1])
    data = b"".join(chunks)
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00")
    assert len(data) == HEADER + 100000 * TUPLE + 2 and data.endswith(postgres.COPY_TRAILER)
    assert conn.execute("SELECT 1").fetchone()[0] == 1


@pytest.mark.parametrize("failing_row", [5, 60000])
def test_a_copy_the_server_ends_with_an_error(conn: PgConnection, failing_row: int) -> None:
    """The server's error, whether psycopg or the direct read meets it; the connection
    goes on working."""
    with pytest.raises(sqlite3.DatabaseError, match=r"^division by zero$"):
        list(conn.copy_out(ROWS.format(last=f"1 / ({failing_row} - i)"), ()))
    assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_a_copy_given_up_on_is_cancelled(conn: PgConnection) -> None:
    chunks = conn.copy_out(ROWS.format(last="i"), ())
    next(chunks)
    chunks.close()  # type: ignore[attr-defined]
    assert conn.execute("SELECT 2").fetchone()[0] == 2
