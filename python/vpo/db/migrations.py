"""Numbered schema migrations, recorded in `schema_migrations` (and SQLite's `PRAGMA
user_version`).

Each engine has its own literal script of every version: db/migrations_sqlite.py and
db/migrations_postgres.py, the same numbers, either script possibly empty. Add a migration by
appending to both; never edit one that has shipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vpo.db.migrations_postgres import POSTGRESQL
from vpo.db.migrations_sqlite import SQLITE
from vpo.errors import SchemaTooNewError
from vpo.timeutil import now_iso

if TYPE_CHECKING:
    from vpo.db.connection import Database
    from vpo.db.dialect import Connection

LATEST = len(SQLITE)
assert len(POSTGRESQL) == LATEST, "each version has a script for each engine"


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
                _run(conn, statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, now_iso()),
            )
            dialect.stamp_version(conn, version)
        dialect.upkeep(conn)
    return LATEST


def _run(conn: Connection, statement: str) -> None:
    """One statement of a migration script, as written for its engine (on PostgreSQL not
    put through the SQLite-to-PostgreSQL translation that other statements still get)."""
    getattr(conn, "execute_literal", conn.execute)(statement)


def statements(script: str) -> list[str]:
    """The statements of a SQL script, without comments: split on each `;` outside a string
    literal ('a;b'), a quoted identifier ("a;b") and a comment (`--` to the line's end,
    `/* */`). Our migrations hold no triggers, whose bodies would hold inner semicolons."""
    found: list[str] = []
    current: list[str] = []
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if ch in "'\"":
            end = _closing_quote(script, i)
            current.append(script[i:end])
            i = end
        elif script.startswith("--", i):
            newline = script.find("\n", i)
            i = n if newline < 0 else newline
        elif script.startswith("/*", i):
            close = script.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == ";":
            found.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    found.append("".join(current))
    return [s.strip() for s in found if s.strip()]


def _closing_quote(script: str, start: int) -> int:
    """The index just past the literal opened at `start`; a doubled quote ('it''s') is part of it."""
    quote = script[start]
    i = start + 1
    while True:
        end = script.find(quote, i)
        if end < 0:
            return len(script)
        if script.startswith(quote * 2, end):
            i = end + 2
            continue
        return end + 1
