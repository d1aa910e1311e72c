"""Opening the library database (a SQLite file, or a PostgreSQL database when
`database.url` is set), migrating it, and the one transaction helper.

The engines differ only where db/dialect.py says; the connection carries its dialect, and so
does the Database.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vpo.db import sqlite_dialect
from vpo.db.dialect import Connection, Dialect
from vpo.db.migrations import LATEST, statements
from vpo.db.sqlite_dialect import BUSY_TIMEOUT_MS
from vpo.errors import DatabaseError, PasswordRequiredError, SchemaTooNewError
from vpo.timeutil import now_iso

# SQLite's default SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32; stay well below.
MAX_VARIABLES = 900


class Database:
    """One connection in autocommit mode; writes go through `transaction()`.

    `path` is the SQLite file (None on PostgreSQL); `label` what messages call the database
    (the file, or the URL without its password); `dialect` what differs between engines.
    """

    def __init__(self, conn: Connection, path: Path | None, *, label: str = "") -> None:
        self.conn = conn
        self.path = path
        self.label = label or str(path)
        self._depth = 0

    @property
    def dialect(self) -> Dialect:
        return self.conn.dialect

    @contextmanager
    def transaction(self, *, lock: bool = True) -> Iterator[Connection]:
        """A write transaction: the write lock up front (so no upgrade deadlock, and one
        writer at a time on either engine); savepoints nest.

        `lock=False`: no write lock, for work that locks its own rows (claims that skip
        locked rows); on SQLite a deferred transaction."""
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
        self.dialect.begin(self.conn, write=lock)
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
    """Open (creating if needed) and migrate. Every engine failure becomes a DatabaseError.

    `target`: the SQLite file, or a postgresql:// URL (Settings.database_target);
    `password`: for a URL without one, when libpq is not to find it itself."""
    if isinstance(target, str):
        from vpo.db.postgres import is_url  # not imported for a SQLite file

        if is_url(target):
            return _open_postgres(target, password)
    path = Path(target)
    db = Database(sqlite_dialect.connect(path), path)
    _prepare(db, details={"path": str(path)})
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
    db = Database(pg, None, label=label)
    _prepare(db, details={"url": label})
    return db


def _prepare(db: Database, *, details: dict[str, str]) -> None:
    """The engine's settings and the schema; the connection is closed if that fails. Two
    processes opening a new SQLite file at once contend for locks for which SQLite does not
    call its busy handler (switching the journal mode, the first schema read), so those
    steps are retried while the database says `locked`, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                db.dialect.configure(db.conn, db.path)
                migrate(db)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                time.sleep(0.05)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise DatabaseError(describe_sqlite_error(db.path or db.label, exc), details=details) from None
    except BaseException:
        db.close()
        raise


def migrate(db: Database) -> int:
    """Bring the schema to LATEST, and the engine's own objects up to date; refuse a
    database written by a newer VPO."""
    dialect = db.dialect
    current = dialect.schema_version(db.conn)
    if current > LATEST:
        raise SchemaTooNewError(
            f"database {db.label} has schema version {current}, newer than this VPO "
            f"understands ({LATEST}); upgrade VPO",
            details={"path": db.label, "schema_version": current, "supported": LATEST},
        )
    if current == LATEST and not dialect.objects_outdated(db.conn):
        return current
    with db.transaction() as conn:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        current = dialect.schema_version(conn)
        for version in range(current + 1, LATEST + 1):
            for statement in statements(dialect.migrations[version - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, now_iso()),
            )
            dialect.stamp_version(conn, version)
        dialect.upkeep(conn)
    return LATEST


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


def db_now(conn: Connection) -> str:
    """Now, by the database's clock (Dialect.now): on PostgreSQL the server's, which every
    host shares; SQLite is on this host, whose clock is its clock."""
    return conn.dialect.now(conn)


def chunks(items: list, size: int = MAX_VARIABLES) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
