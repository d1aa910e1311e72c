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
from vpo.db.sqltext import parts
from vpo.errors import SchemaTooNewError
from vpo.timeutil import now_iso

if TYPE_CHECKING:
    from vpo.db.connection import Database

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
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, now_iso()),
            )
            dialect.stamp_version(conn, version)
        dialect.upkeep(conn)
    return LATEST


def statements(script: str) -> list[str]:
    """The statements of a SQL script, without comments: split on each `;` outside a string
    literal ('a;b'), a quoted identifier ("a;b") and a comment (db/sqltext.py). Our
    migrations hold no triggers or function bodies, which would hold inner semicolons."""
    found: list[str] = []
    current: list[str] = []
    for part in parts(script):
        if not part.code:
            if not part.text.startswith(("--", "/*")):  # a literal or a quoted name
                current.append(part.text)
            continue
        first, *rest = part.text.split(";")
        current.append(first)
        for piece in rest:
            found.append("".join(current))
            current = [piece]
    found.append("".join(current))
    return [s.strip() for s in found if s.strip()]
