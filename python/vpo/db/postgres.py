"""PostgreSQL's connection (psycopg 3) with the methods of sqlite3's that db/ calls
(db/dialect.py's Connection), and nothing more than these three differences:

- the parameter style: `?` -> `%s` in the code, `%` -> `%%` everywhere (db/sqltext.py tells
  code from literals, quoted names and comments; each text converted once, cached). The
  statements themselves are PostgreSQL's: what the engines say differently, db/ says through
  the dialect (db/postgres_dialect.py). A PRAGMA, `BEGIN IMMEDIATE`, `INSERT OR ...` or
  another construct only SQLite knows raises NotSupportedError at once, never sent;
- errors: psycopg's exceptions, from every execute and every fetch, are raised again as
  sqlite3's (IntegrityError, OperationalError, DatabaseError), so one `except` serves both;
- types: numeric results (`sum()` of BIGINT) come back as int or float, not Decimal.

psycopg is imported only when a postgresql:// URL is opened, so SQLite commands pay nothing
for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, ClassVar

from vpo.db import sqltext
from vpo.db.postgres_dialect import POSTGRESQL, PostgresDialect
from vpo.redact import remember, scrub

SCHEMES = ("postgresql://", "postgres://")
COPY_CHUNK = 256 * 1024  # bytes of COPY output handed on at once (~3,000 catalogue rows)
COPY_TRAILER = b"\xff\xff"  # the last message of a binary COPY: a field count of -1


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


# -- the parameter style --------------------------------------------------------------------

# Statements only SQLite understands, by their first words (after upper-casing and joining
# the code's whitespace), and words only SQLite's SQL holds anywhere in the code.
_SQLITE_STARTS = ("PRAGMA", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "BEGIN DEFERRED", "INSERT OR ", "REPLACE ")
_SQLITE_WORDS = ("WITHOUT ROWID", "AUTOINCREMENT", "SQLITE_MASTER", "SQLITE_SCHEMA")


@lru_cache(maxsize=2048)
def postgres_text(sql: str) -> str:
    """`sql` with psycopg's placeholders; NotSupportedError for SQLite's own SQL."""
    code = " ".join(" ".join(p.text for p in sqltext.parts(sql) if p.code).upper().split())
    said = next((w for w in _SQLITE_STARTS if code.startswith(w)), None)
    said = said or next((w for w in _SQLITE_WORDS if w in code), None)
    if said is not None:
        raise sqlite3.NotSupportedError(
            f"{said.strip()} is SQLite's, not sent to PostgreSQL (ask db/dialect.py): {sql[:80]}"
        )
    return "".join(_placeholders(p) for p in sqltext.parts(sql))


def _placeholders(part: sqltext.Part) -> str:
    text = part.text.replace("%", "%%")
    if not part.code:
        return text
    if any(text[i + 1 : i + 2].isdigit() for i, ch in enumerate(text) if ch == "?"):
        raise sqlite3.NotSupportedError(f"numbered parameters (?N) are SQLite's: {text[:80]}")
    return text.replace("?", "%s")


# -- errors -----------------------------------------------------------------------------------


def _mapped(exc: Exception) -> sqlite3.Error:
    """psycopg's exception as the sqlite3 one code already catches."""
    import psycopg

    if isinstance(exc, sqlite3.Error):
        return exc
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = scrub(text)  # libpq quotes the URI, or the password alone, in some of its errors
    if isinstance(exc, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(exc, (psycopg.OperationalError, psycopg.errors.LockNotAvailable)):
        return sqlite3.OperationalError(text)
    return sqlite3.DatabaseError(text)


# -- the connection ---------------------------------------------------------------------------


class Cursor:
    """The part of sqlite3.Cursor that db/ uses; every operation's errors mapped."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    @property
    def description(self) -> Any:
        return self._cur.description

    @property
    def lastrowid(self) -> None:
        raise sqlite3.NotSupportedError("lastrowid: use INSERT ... RETURNING id")

    def fetchone(self) -> Any:
        try:
            return self._cur.fetchone() if self._cur.description else None
        except Exception as exc:
            raise _mapped(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cur.fetchall() if self._cur.description else []
        except Exception as exc:
            raise _mapped(exc) from exc

    def fetchmany(self, size: int = 1) -> list[Any]:
        try:
            return self._cur.fetchmany(size) if self._cur.description else []
        except Exception as exc:
            raise _mapped(exc) from exc

    def __iter__(self) -> Iterator[Any]:
        if not self._cur.description:
            return
        try:
            yield from self._cur
        except Exception as exc:
            raise _mapped(exc) from exc

    def close(self) -> None:
        self._cur.close()


class PgConnection:
    """A psycopg connection in autocommit mode with sqlite3.Connection's methods."""

    dialect: ClassVar[PostgresDialect] = POSTGRESQL

    def __init__(self, url: str, *, connect_timeout: float = 10, password: str | None = None) -> None:
        """`password`: one not in the URL (typed at a prompt); without it libpq looks in
        PGPASSWORD and ~/.pgpass itself."""
        import psycopg

        remember(url, password=password)  # masked in every error, log line and job record
        extra: dict[str, Any] = {"password": password} if password else {}
        try:
            self._conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=max(1, int(connect_timeout)),
                application_name="vpo",
                **extra,
            )
        except psycopg.Error as exc:
            raise _mapped(exc) from None
        self._client_cursor = psycopg.ClientCursor
        _register_loaders(self._conn)

    def _cursor(self, params: Sequence[Any] | Iterable[Sequence[Any]], many: bool = False) -> Any:
        """Server-side binding (statements prepared after a few uses) unless a parameter is
        None: an untyped NULL (`? IS NULL OR pid = ?`) is "could not determine data type"
        there, so such statements are bound client-side, where NULL means what SQLite
        means. Measured: 87 us per prepared UPDATE against 336 us client-side."""
        rows = params if many else (params,)
        if any(v is None for row in rows for v in row):
            return self._client_cursor(self._conn)
        return self._conn.cursor()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        text = postgres_text(sql)
        args = tuple(params) if params is not None else ()
        cur = self._cursor(args)
        try:
            cur.execute(text, args)
        except Exception as exc:
            raise _mapped(exc) from exc
        return Cursor(cur)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        text = postgres_text(sql)
        batch = [tuple(r) for r in rows]
        cur = self._cursor(batch, many=True)
        try:
            cur.executemany(text, batch)
        except Exception as exc:
            raise _mapped(exc) from exc
        return Cursor(cur)

    def copy_out(self, sql: str, params: Sequence[Any]) -> Iterator[bytes]:
        """What `COPY (...) TO STDOUT (FORMAT BINARY)` sends, in chunks of at least
        COPY_CHUNK bytes (the last may be smaller): one object for thousands of rows.
        Closing the iterator early cancels the COPY."""
        text = postgres_text(sql)
        try:
            with self._conn.cursor() as cur, cur.copy(text, tuple(params)) as copy:
                yield from _binary_copy_chunks(self._conn.pgconn, copy)
        except Exception as exc:
            raise _mapped(exc) from exc

    def close(self) -> None:
        self._conn.close()


def _binary_copy_chunks(pgconn: Any, copy: Any) -> Iterator[bytes]:
    """The rows libpq already holds are taken from it directly (psycopg's `Copy.read()`
    costs ~2 us a row, a second at 500,000 rows); psycopg's read waits for the next ones
    and ends the COPY after its trailer, as it would have."""
    chunk = bytearray()
    while True:
        n, data = pgconn.get_copy_data(1)  # 1: never wait, 0 when nothing is there yet
        if n == 0:
            data = copy.read()
            n = len(data)
            if not n:
                break
        elif n < 0:  # the server ended it before its trailer: nothing left for psycopg
            _end_copy(pgconn)
            break
        chunk += data
        if len(chunk) >= COPY_CHUNK:
            yield bytes(chunk)
            chunk.clear()
        if n == 2 and data == COPY_TRAILER:  # a tuple is never 2 bytes long
            while more := copy.read():  # none: binary COPY ends here
                chunk += more
            break
    if chunk:
        yield bytes(chunk)


def _end_copy(pgconn: Any) -> None:
    """Take the COPY's last results from libpq; the server's error if it ended with one."""
    from psycopg import pq

    failed = None
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK and failed is None:
            failed = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"the COPY failed"
    if failed is not None:
        raise sqlite3.DatabaseError(scrub(bytes(failed).decode(errors="replace")))


def _register_loaders(conn: Any) -> None:
    """numeric -> int when whole, else float (SQLite's sum() of integers is an integer)."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
                return float(text)
            return int(text)

    conn.adapters.register_loader("numeric", NumericLoader)
