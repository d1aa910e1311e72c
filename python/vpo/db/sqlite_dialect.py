"""SQLite's side of the engine seam (db/dialect.py): the embedded default, one file, WAL."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import ClassVar

from vpo.db.dialect import Connection, Dialect, Table
from vpo.db.migrations_sqlite import SQLITE as SCRIPTS
from vpo.errors import DatabaseError
from vpo.paths import make_private_folders
from vpo.timeutil import now_iso

BUSY_TIMEOUT_MS = 60_000


class SqliteDialect(Dialect):
    name = "sqlite"
    product = "SQLite"
    migrations = SCRIPTS
    trusted_rows_by = "file"
    claims_take_write_lock = True

    def configure(self, conn: Connection, path: Path | None) -> None:
        """Foreign keys enforced, WAL (readers never wait for the writer) and NORMAL sync
        (safe in WAL). Switching the journal mode may find the file locked by another
        process's first open; SQLite calls no busy handler for it, so that is raised as
        `locked` for the caller to retry."""
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and path is not None and os.access(path, os.W_OK):
            raise sqlite3.OperationalError(f"database is locked (journal mode stayed {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")

    def begin(self, conn: Connection, *, write: bool) -> None:
        # IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading
        # a read lock; a deferred BEGIN takes it at the first write.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def now(self, conn: Connection) -> str:
        return now_iso()  # the file is on this host: its clock is the database's

    def schema_version(self, conn: Connection) -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def stamp_version(self, conn: Connection, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def objects_outdated(self, conn: Connection) -> bool:
        return False  # SQLite's functions are its own, built in

    def upkeep(self, conn: Connection) -> None:
        pass

    def not_indexed(self, column: str) -> str:
        return f"+{column}"

    def contains(self, text: str, part: str) -> str:
        return f"instr({text}, {part}) > 0"

    def week_of(self, timestamp: str) -> str:
        # six days back, then forward to the next Monday (or that day, if a Monday)
        return f"date({timestamp}, '-6 days', 'weekday 1')"

    def json_integer(self, document: str, key: str) -> str:
        return f"CAST(json_extract({document}, '$.{key}') AS BIGINT)"

    def track_layouts_sql(self, columns: str, marks: str) -> str:
        # json1 is built in: 100,000 strings into Python instead of 580,000 rows. Grouped
        # as read along the primary key (file_id, idx): no temporary B-tree (a third of
        # the query). That order is not a promise of the grouping: readers sort by idx.
        return (
            f"SELECT file_id, json_group_array(json_array({columns})) FROM tracks "
            f"WHERE file_id IN ({marks}) GROUP BY file_id"
        )

    def skip_locked(self, alias: str) -> str:
        return ""  # claims run under the write lock: nobody else holds a row

    def lock_files_of_job(self, conn: Connection, job_id: str) -> bool:
        return False  # the write lock already serialises every claim

    def tables(self, conn: Connection) -> list[Table]:
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations' ORDER BY rowid"
        ).fetchall()
        out = []
        for name, sql in found:
            info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            key = ", ".join(f'"{r[1]}"' for r in sorted(info, key=lambda r: r[5]) if r[5])
            rowid = "WITHOUT ROWID" not in " ".join(sql.upper().split())
            out.append(Table(name, [r[1] for r in info], "rowid" if rowid else key))
        return out

    def after_copy(self, conn: Connection) -> None:
        pass  # a rowid key goes on after the largest one, whatever inserted it

    def integrity(self, conn: Connection) -> str | None:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])

    def server_version(self, conn: Connection) -> str:
        return str(conn.execute("SELECT sqlite_version()").fetchone()[0])

    def describe_schema(self, conn: Connection) -> list[str]:
        lines = []
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
        for kind, name, table, sql in objects:
            lines.append(f"{kind} {name} on {table}: {' '.join((sql or '(automatic)').split())}")
        for kind, name, _table, _sql in objects:
            if kind != "table":
                continue
            for cid, column, type_, notnull, default, pk in conn.execute(f'PRAGMA table_info("{name}")'):
                lines.append(
                    f"column {name}.{column} #{cid} {type_} {'NOT NULL' if notnull else 'NULL'}"
                    f" default={default} pk={pk}"
                )
            for _seq, index, unique, origin, partial in conn.execute(f'PRAGMA index_list("{name}")'):
                lines.append(f"index {name}.{index} unique={unique} origin={origin} partial={partial}")
        return lines


SQLITE = SqliteDialect()


class SqliteConnection(sqlite3.Connection):
    """sqlite3's own connection (every method in C, nothing wrapped), knowing its dialect."""

    dialect: ClassVar[SqliteDialect] = SQLITE


def connect(path: Path) -> SqliteConnection:
    """The catalogue file, created private (0600, in a 0700 folder), in autocommit mode;
    `configure` it before use. Failing to create or open it: DatabaseError."""
    _create_private(path)
    try:
        return sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, factory=SqliteConnection
        )
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}", details={"path": str(path)}) from None


def connect_read_only(path: Path, *, timeout: float) -> SqliteConnection:
    """The catalogue file as it is: never created, written or migrated (`vpo doctor`)."""
    return sqlite3.connect(
        f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=timeout, factory=SqliteConnection
    )


def _create_private(path: Path) -> None:
    try:
        make_private_folders(path.parent)  # $VPO_HOME and any missing parent: 0700
        if not path.exists():
            # Created private: a library catalogue says a lot about its owner.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create database {path}: {exc.strerror or exc}", details={"path": str(path)}
        ) from None
