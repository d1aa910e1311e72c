"""The catalogue rows a walk may drop a file by, and how the Rust walker gets them.

A trusted row (present, not stored while racy) whose size and mtime equal the file's proves
the file unchanged; the walker drops such files itself, so Python sees only the changes
(rust/src/known.rs). On SQLite the walker opens the catalogue file and runs the query; on
PostgreSQL the rows are streamed to it as a binary COPY (rust/src/pgcopy.rs), never becoming
Python objects.
"""

from __future__ import annotations

import logging

from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.scan import walker

log = logging.getLogger(__name__)


def walker_can_filter(db: Database) -> bool:
    """Can the walker read this catalogue's trusted rows? On PostgreSQL always; on SQLite
    when the extension shares Python's SQLite library (see `walker.can_read_catalogue`)."""
    if db.dialect.trusted_rows_by == "copy":
        return True
    if db.path is None:
        return False
    if not walker.can_read_catalogue():
        log.debug("Python's sqlite3 carries its own SQLite: comparing every file in Python")
        return False
    return True


def trusted_rows(db: Database, root: bytes) -> walker.Trusted | walker.TrustedCopy:
    """The trusted rows at or under `root`, as the walker reads them from this engine."""
    if db.dialect.trusted_rows_by == "copy":
        return walker.TrustedCopy(files_db.trusted_copy(db.conn, root))
    sql, params = files_db.trusted_query(root)
    return walker.Trusted(str(db.path), sql, params)
