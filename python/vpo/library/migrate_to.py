"""Moving a SQLite catalogue to PostgreSQL (`vpo db migrate-to URL`)."""

from __future__ import annotations

from typing import Any

from vpo.config.settings import Settings
from vpo.db import copy
from vpo.db.connection import open_database
from vpo.db.postgres import is_url, redact
from vpo.errors import DatabaseError, UsageError


def migrate_to(settings: Settings, url: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Copy every table of the SQLite catalogue into the (migrated, empty) database at
    `url`. Refuses a target that already holds rows: nothing is merged or overwritten."""
    if not is_url(url):
        raise UsageError(f"{redact(url)}: not a postgresql:// URL", details={"url": redact(url)})
    if settings.database.url:
        raise UsageError(
            "the catalogue is already on PostgreSQL (database.url is set); migrate-to copies the "
            "SQLite catalogue of this VPO_HOME",
            details={"url": redact(settings.database.url)},
        )
    source_path = settings.database_path
    if not source_path.exists():
        raise UsageError(
            f"no catalogue to copy: {source_path} does not exist", details={"path": str(source_path)}
        )
    src = open_database(source_path)
    try:
        dst = open_database(url)  # created and migrated like any first use
        try:
            plan = copy.tables(src)
            names = [t for t, _ in plan]
            busy = copy.occupied(dst, names)
            if busy:
                raise DatabaseError(
                    f"{redact(url)} already holds rows in {', '.join(busy)}; migrate-to only fills an empty database",
                    details={"url": redact(url), "tables": busy},
                )
            if dry_run:
                counts = [{"table": t, "rows": copy.count(src, t)} for t in names]
            else:
                counts = [{"table": c.table, "rows": c.rows} for c in copy.copy_all(src, dst)]
        finally:
            dst.close()
    finally:
        src.close()
    return {"source": str(source_path), "target": redact(url), "dry_run": dry_run, "tables": counts}
