"""`vpo doctor` on a PostgreSQL catalogue: the URL, reachability, the schema version."""

from __future__ import annotations

import sqlite3
from typing import Any

from vpo.doctor.checks import Check
from vpo.redact import mask_url, scrub


def postgres_check(url: str) -> Check:
    """Read-only, as for SQLite: connects, reads the schema version and counts; never
    migrates. The URL is shown without its password."""
    from vpo.db.health import counts, health
    from vpo.db.migrations import LATEST
    from vpo.db.postgres import PgConnection, is_url

    label = mask_url(url)
    data: dict[str, Any] = {"url": label, "engine": "postgresql", "supported_schema": LATEST}
    if not is_url(url):
        return Check("database", False, f"{label}: not a postgresql:// URL", data)
    try:
        conn = PgConnection(url, connect_timeout=5)
    except sqlite3.Error as exc:
        return Check("database", False, f"{label}: cannot connect: {scrub(str(exc))}", data)
    try:
        version, integrity, server = health(conn)
        data.update(schema_version=version, integrity=integrity, server_version=server)
        if version > LATEST:
            return Check(
                "database",
                False,
                f"{label}: schema {version} is newer than this VPO supports ({LATEST}); upgrade VPO",
                data,
            )
        if version == 0:
            return Check(
                "database", True, f"{label}: PostgreSQL {server}, empty (created on first use)", data
            )
        files, jobs = counts(conn)
    except sqlite3.Error as exc:
        return Check("database", False, f"{label}: {scrub(str(exc))} (is it a VPO database?)", data)
    finally:
        conn.close()
    data.update(files=files, jobs=jobs)
    pending = f", migrates to {LATEST} on next use" if version < LATEST else ""
    return Check(
        "database",
        True,
        f"{label}: PostgreSQL {server}, schema {version}{pending}, {files:,} files, {jobs:,} jobs",
        data,
    )


def mapped_root_checks(mapping: tuple[tuple[str, str], ...]) -> list[Check]:
    """On a worker host: each `paths` mount point exists (a library not mounted is a job
    this host will leave to others)."""
    import os

    checks = []
    for root, local in mapping:
        ok = os.path.isdir(local)
        detail = f"{root} -> {local}" + ("" if ok else " (not found: not mounted?)")
        checks.append(Check(f"paths:{root}", ok, detail, {"catalogue_root": root, "local": local}))
    return checks
