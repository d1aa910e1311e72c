"""The engine seam: what db/ asks of a connection, and the few things each engine says its
own way.

db/ writes portable SQL wherever SQLite and PostgreSQL agree (`?` placeholders, `ON
CONFLICT`, `RETURNING`, `CAST(x AS BIGINT)`, `TRUE`). Where they do not, it asks the
connection's `Dialect` (db/sqlite_dialect.py, db/postgres_dialect.py): transactions, the
clock, the schema version and each version's script, claims that skip locked rows, the
grouped track layouts, the report's date and JSON expressions, the "not through an index"
hint, and what `doctor`, `migrate-to` and the schema tests need to know of the schema. No
code outside db/ asks which engine it is on.

`Connection` is the part of sqlite3.Connection that db/ uses; sqlite3's connection (see
SqliteConnection) and db/postgres.py's PgConnection both have it, each with its dialect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection in autocommit mode: transactions are begun by `Dialect.begin`."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...

    def close(self) -> None: ...


class Table(NamedTuple):
    """A table of the catalogue, as `vpo db migrate-to` copies it."""

    name: str
    columns: list[str]
    ordered_by: str  # what keeps its rows in their stored order ("rowid", or its key)


class Dialect(ABC):
    """One engine's way of saying what the engines say differently."""

    name: str  # "sqlite" or "postgresql"
    product: str  # as people write it: "SQLite", "PostgreSQL"
    migrations: tuple[str, ...]  # the script of each schema version (db/migrations.py runs them)
    # How the Rust walker gets the catalogue's trusted rows (a rescan skips the files equal
    # to them unseen by Python): "file", it opens the SQLite file and runs the query itself;
    # "copy", they are streamed to it as a binary COPY (db/files.py: trusted_query, trusted_copy).
    trusted_rows_by: Literal["file", "copy"]
    # Does a claim need the write lock, or do its rows lock themselves (SKIP LOCKED)?
    claims_take_write_lock: bool

    # -- connections and transactions -------------------------------------------------------

    @abstractmethod
    def configure(self, conn: Connection, path: Path | None) -> None:
        """Settings a fresh connection needs before the schema is read."""

    @abstractmethod
    def begin(self, conn: Connection, *, write: bool) -> None:
        """Open a transaction; `write`: take the write lock up front (one writer at a time)."""

    @abstractmethod
    def now(self, conn: Connection) -> str:
        """Now by the database's clock (UTC, ISO-8601 with microseconds and Z)."""

    # -- the schema version ------------------------------------------------------------------

    @abstractmethod
    def schema_version(self, conn: Connection) -> int:
        """The catalogue's schema version (0: nothing created yet)."""

    @abstractmethod
    def stamp_version(self, conn: Connection, version: int) -> None:
        """Record `version` wherever the engine keeps it besides `schema_migrations`."""

    @abstractmethod
    def objects_outdated(self, conn: Connection) -> bool:
        """Are the engine's own objects (functions: not the shared schema) other than what
        `upkeep` makes? Asked on every open, so it must be cheap."""

    @abstractmethod
    def upkeep(self, conn: Connection) -> None:
        """(Re)create the engine's own objects, idempotently, inside a migration's transaction."""

    # -- SQL said each engine's way ----------------------------------------------------------

    @abstractmethod
    def not_indexed(self, column: str) -> str:
        """`column`, but not to be looked up through an index (SQLite's unary `+`)."""

    @abstractmethod
    def contains(self, text: str, part: str) -> str:
        """A condition: the text `part` occurs in the text `text` (both SQL expressions)."""

    @abstractmethod
    def week_of(self, timestamp: str) -> str:
        """The Monday of the UTC week of an ISO-8601 `timestamp` expression, as YYYY-MM-DD."""

    @abstractmethod
    def json_integer(self, document: str, key: str) -> str:
        """The integer at top-level `key` of the JSON text `document` (NULL when absent)."""

    @abstractmethod
    def track_layouts_sql(self, columns: str, marks: str) -> str:
        """(file_id, JSON array of each track's `columns`, in idx order) of the files whose
        ids are the parameters `marks`; equal layouts give equal texts."""

    # -- claims ------------------------------------------------------------------------------

    @abstractmethod
    def skip_locked(self, alias: str) -> str:
        """What ends a SELECT so that it locks the row of `alias` it returns, passing over
        rows another transaction holds ("" where the write lock already serialises)."""

    @abstractmethod
    def lock_files_of_job(self, conn: Connection, job_id: str) -> bool:
        """Serialise claims of one file's jobs until the transaction ends; True when the
        caller must look again whether the job is still free (the lock may have waited)."""

    # -- what the schema is ------------------------------------------------------------------

    @abstractmethod
    def tables(self, conn: Connection) -> list[Table]:
        """The catalogue's tables in creation order (referenced before referencing), without
        `schema_migrations`."""

    @abstractmethod
    def after_copy(self, conn: Connection) -> None:
        """After rows were copied in with their ids: make new ids come after them."""

    @abstractmethod
    def integrity(self, conn: Connection) -> str | None:
        """The engine's own check of the stored data ("ok" or what is wrong), None where no
        such check can be run by a client."""

    @abstractmethod
    def server_version(self, conn: Connection) -> str:
        """The engine's version."""

    @abstractmethod
    def describe_schema(self, conn: Connection) -> list[str]:
        """The schema, one line per column, index, constraint and function, in a stable
        order (tests/golden holds each engine's)."""
