"""A file's integrity status as the catalogue knows it, for `vpo inspect`."""

from __future__ import annotations

import os
from typing import Any

from vpo.db import checks as checks_db
from vpo.db.connection import Database


def integrity_status(db: Database, path: bytes) -> dict[str, Any] | None:
    """None when the file is not catalogued. `check.current` says whether the check was
    made for the file as it is now (same size and mtime)."""
    found = checks_db.status_of(db.conn, path)
    if found is None:
        return None
    check: dict[str, Any] | None = None
    if found.check is not None:
        c = found.check
        try:
            st = os.stat(path)
            current = (st.st_size, st.st_mtime_ns) == (c.size, c.mtime_ns)
        except OSError:
            current = False
        check = {
            "level": c.level,
            "passed": c.passed,
            "error": c.error,
            "checked_at": c.checked_at,
            "current": current,
        }
    return {
        "scan_status": found.scan_status,
        "scan_error": found.scan_error,
        "last_scanned": found.last_scanned,
        "check": check,
    }
