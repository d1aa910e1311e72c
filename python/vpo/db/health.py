"""What `vpo doctor` reads of a catalogue it only looks at (never creates, migrates or
locks): the schema version, the engine's own integrity check, the counts."""

from __future__ import annotations

from typing import NamedTuple

from vpo.db.dialect import Connection


class Health(NamedTuple):
    schema_version: int  # 0: nothing created yet
    integrity: str | None  # "ok" or what is wrong; None where no client can check (PostgreSQL)
    server_version: str


def health(conn: Connection) -> Health:
    dialect = conn.dialect
    return Health(dialect.schema_version(conn), dialect.integrity(conn), dialect.server_version(conn))


def counts(conn: Connection) -> tuple[int, int]:
    """(files, jobs) catalogued; only for a schema this VPO knows (version 1 or later)."""
    files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
    jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    return int(files), int(jobs)
