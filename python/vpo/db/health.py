"""What `vpo doctor` reads of a catalogue it only looks at (never creates, migrates or
locks): the schema version, the engine's own integrity check, the counts."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from vpo.db.dialect import Connection


class Health(NamedTuple):
    engine: str  # the dialect's name: "sqlite" or "postgresql"
    product: str  # `SQLite 3.40.1`, `PostgreSQL 15.4`
    schema_version: int  # 0: nothing created yet
    integrity: str | None  # "ok" or what is wrong; None where no client can check (PostgreSQL)
    server_version: str

    @property
    def ok(self) -> bool:
        return self.integrity in ("ok", None)


def open_to_inspect(target: Path | str, *, timeout: float) -> Connection:
    """The catalogue as it is, never created, written or migrated: a SQLite file opened
    read-only, or a connection to the PostgreSQL server of a URL (Settings.database_target)."""
    if isinstance(target, str):
        from vpo.db.postgres import PgConnection

        return PgConnection(target, connect_timeout=timeout)
    from vpo.db.sqlite_dialect import connect_read_only

    return connect_read_only(target, timeout=timeout)


def health(conn: Connection) -> Health:
    dialect = conn.dialect
    server = dialect.server_version(conn)
    return Health(
        engine=dialect.name,
        product=f"{dialect.product} {server}",
        schema_version=dialect.schema_version(conn),
        integrity=dialect.integrity(conn),
        server_version=server,
    )


def counts(conn: Connection) -> tuple[int, int]:
    """(files, jobs) catalogued; only for a schema this VPO knows (version 1 or later)."""
    files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
    jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    return int(files), int(jobs)
