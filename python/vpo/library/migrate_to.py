"""Moving a SQLite catalogue to PostgreSQL (`vpo db migrate-to URL`)."""

from __future__ import annotations

from typing import Any

from vpo.config.settings import Settings
from vpo.db import copy
from vpo.db.connection import open_database
from vpo.db.pg_url import url_problem
from vpo.errors import DatabaseError, UsageError
from vpo.redact import has_password, mask_url

ON_THE_COMMAND_LINE = (
    "the URL holds a password, which `ps` shows to every user of this host; leave it out and "
    "give the password through PGPASSWORD, ~/.pgpass or (on a terminal) the prompt"
)


def migrate_to(
    settings: Settings, url: str, *, dry_run: bool = False, password: str | None = None
) -> dict[str, Any]:
    """Copy every table of the SQLite catalogue into the (migrated, empty) database at
    `url`. Refuses a target that already holds rows: nothing is merged or overwritten.

    `url` comes from the command line, so it must not hold a password: libpq reads
    PGPASSWORD and ~/.pgpass itself, and `password` is one typed at the prompt."""
    label = mask_url(url)
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(f"URL {label}: {problem}", details={"url": label, "reason": problem})
    if has_password(url):
        raise UsageError(f"URL {label}: {ON_THE_COMMAND_LINE}", details={"url": label})
    if settings.database.url:
        raise UsageError(
            "the catalogue is already on PostgreSQL (database.url is set); migrate-to copies the "
            "SQLite catalogue of this VPO_HOME",
            details={"url": mask_url(settings.database.url)},
        )
    source_path = settings.database_path
    if not source_path.exists():
        raise UsageError(
            f"no catalogue to copy: {source_path} does not exist", details={"path": str(source_path)}
        )
    src = open_database(source_path)
    try:
        dst = open_database(url, password=password)  # created and migrated like any first use
        try:
            plan = copy.tables(src)
            names = [t for t, _ in plan]
            busy = copy.occupied(dst, names)
            if busy:
                raise DatabaseError(
                    f"{label} already holds rows in {', '.join(busy)}; migrate-to only fills an empty database",
                    details={"url": label, "tables": busy},
                )
            if dry_run:
                counts = [{"table": t, "rows": copy.count(src, t)} for t in names]
            else:
                counts = [{"table": c.table, "rows": c.rows} for c in copy.copy_all(src, dst)]
        finally:
            dst.close()
    finally:
        src.close()
    return {"source": str(source_path), "target": label, "dry_run": dry_run, "tables": counts}
