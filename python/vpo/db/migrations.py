"""Numbered schema migrations, recorded in `schema_migrations` (and SQLite's `PRAGMA
user_version`).

Each engine has its own literal script of every version: db/migrations_sqlite.py and
db/migrations_postgres.py, the same numbers, either script possibly empty. Add a migration by
appending to both; never edit one that has shipped. Running them on a database as it is
opened is db/connection.py's `migrate`.
"""

from __future__ import annotations

from vpo.db.migrations_postgres import POSTGRESQL
from vpo.db.migrations_sqlite import SQLITE
from vpo.db.sqltext import parts

LATEST = len(SQLITE)
assert len(POSTGRESQL) == LATEST, "each version has a script for each engine"


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
