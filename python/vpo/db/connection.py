"""Opening the library database: pragmas, permissions, migrations, one transaction helper.

The catalogue is a SQLite file (the default) or a PostgreSQL database (`database.url`);
db/postgres.py makes the latter look like a sqlite3 connection, so db/ is written once.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from vpo.db.migrations import migrate
from vpo.errors import DatabaseError, PasswordRequiredError
from vpo.paths import make_private_folders
from vpo.timeutil import now_iso

BUSY_TIMEOUT_MS = 60_000
# SQLite's default SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32; stay well below.
MAX_VARIABLES = 900


class Database:
    """One connection in autocommit mode; writes go through `transaction()`.

    `engine` is "sqlite" or "postgresql"; `path` the SQLite file (None on PostgreSQL);
    `label` what messages call the database (the file, or the URL without its password).
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path | None, *, engine: str = "sqlite", label: str = ""
    ) -> None:
        self.conn = conn
        self.path = path
        self.engine = engine
        self.label = label or str(path)
        self._depth = 0

    @contextmanager
    def transaction(self, *, lock: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE (the write lock up front, so no upgrade deadlock); savepoints nest.

        `lock=False`: a plain BEGIN, for PostgreSQL work that locks its own rows (claims
        with SKIP LOCKED); on SQLite that is a deferred transaction."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        self._depth = 1
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:  # also when COMMIT itself failed (disk full, I/O)
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def close(self) -> None:
        self.conn.close()


def open_database(target: Path | str, *, password: str | None = None) -> Database:
    """Open (creating if needed) and migrate. Every sqlite failure becomes a DatabaseError.

    `target`: the SQLite file, or a postgresql:// URL (Settings.database_target);
    `password`: for a URL without one, when libpq is not to find it itself."""
    if isinstance(target, str):
        from vpo.db.postgres import is_url

        if is_url(target):
            return _open_postgres(target, password)
        target = Path(target)
    path = target
    try:
        make_private_folders(path.parent)  # $VPO_HOME and any missing parent: 0700
        if not path.exists():
            # Created private: a library catalogue says a lot about its owner.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create database {path}: {exc.strerror or exc}",
            details={"path": str(path)},
        ) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}", details={"path": str(path)}) from None
    db = Database(conn, path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _prepare(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseError(describe_sqlite_error(path, exc), details={"path": str(path)}) from None
    except BaseException:
        conn.close()
        raise
    return db


def _open_postgres(url: str, password: str | None) -> Database:
    from vpo.db.postgres import PgConnection
    from vpo.redact import mask_url

    label = mask_url(url)
    try:
        pg = PgConnection(url, password=password)
    except sqlite3.Error as exc:
        if "no password supplied" in str(exc):  # libpq's words (PQconnectionNeedsPassword)
            raise PasswordRequiredError(
                f"cannot reach database {label}: the server asks for a password and none was "
                "given (set PGPASSWORD or add the database to ~/.pgpass)",
                details={"url": label},
            ) from None
        raise DatabaseError(f"cannot reach database {label}: {exc}", details={"url": label}) from None
    # PgConnection offers the sqlite3.Connection methods that db/ calls (see db/postgres.py).
    db = Database(cast(sqlite3.Connection, pg), None, engine="postgresql", label=label)
    try:
        migrate(db)
    except sqlite3.DatabaseError as exc:
        pg.close()
        raise DatabaseError(f"database {label}: {exc}", details={"url": label}) from None
    except BaseException:
        pg.close()
        raise
    return db


def _prepare(db: Database) -> None:
    """WAL mode and the schema. Two processes opening a new database at once contend for
    locks for which SQLite does not call its busy handler (switching the journal mode, the
    first schema read), so those steps are retried here, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = db.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal" and db.path is not None and os.access(db.path, os.W_OK):
                raise sqlite3.OperationalError(f"database is locked (journal mode stayed {mode})")
            db.conn.execute("PRAGMA synchronous = NORMAL")
            migrate(db)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            time.sleep(0.05)


def describe_sqlite_error(path: Path | str | None, exc: sqlite3.Error) -> str:
    """One line for a failure of the database (a SQLite file, or a PostgreSQL URL's label)."""
    text = str(exc)
    if isinstance(path, str) and not path.startswith("/"):
        return f"database {path}: {text}"
    if "not a database" in text or "malformed" in text:
        return (
            f"database {path} is corrupt or not a VPO database ({text}); "
            "move it aside and rescan, or run `vpo doctor`"
        )
    if "readonly" in text or "read-only" in text:
        return f"database {path} is read-only ({text}); check its permissions and those of its folder"
    if "locked" in text or "busy" in text:
        return f"database {path} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000}s ({text})"
    return f"database {path}: {text}"


def engine_of(conn: sqlite3.Connection) -> str:
    """ "sqlite" or "postgresql" (db/postgres.py's connection says so)."""
    return getattr(conn, "engine", "sqlite")


def db_now(conn: sqlite3.Connection) -> str:
    """Now, by the database's clock: on PostgreSQL the server's, which every host shares
    (heartbeats and staleness then agree across hosts with skewed clocks); SQLite is on
    this host, whose clock is its clock."""
    if engine_of(conn) == "postgresql":
        from vpo.db.postgres import NOW_SQL

        return str(conn.execute(NOW_SQL).fetchone()[0])
    return now_iso()


def chunks(items: list, size: int = MAX_VARIABLES) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
