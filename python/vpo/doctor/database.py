"""`vpo doctor`'s look at the catalogue, on either engine: where it is, whether it answers,
its schema version, the engine's own integrity check where it has one, and its counts."""

from __future__ import annotations

import sqlite3
from typing import Any

from vpo.config.settings import Settings
from vpo.doctor.models import Check
from vpo.redact import mask_url, scrub


def database_check(settings: Settings) -> Check:
    """Read-only: doctor never creates, migrates or locks the catalogue it inspects. A
    PostgreSQL URL is shown without its password."""
    from vpo.db.health import counts, health, open_to_inspect
    from vpo.db.migrations import LATEST
    from vpo.db.postgres import is_url

    url = settings.database.url
    label = mask_url(url) if url else str(settings.database_path)
    data: dict[str, Any] = {"url" if url else "path": label, "supported_schema": LATEST}
    if url and not is_url(url):
        return Check("database", False, f"{label}: not a postgresql:// URL", data)
    if not settings.has_catalogue:
        return Check("database", True, f"{label} (not created yet)", data)
    try:
        conn = open_to_inspect(settings.database_target, timeout=5)
    except sqlite3.Error as exc:
        verb = "connect" if url else "open"
        return Check("database", False, f"{label}: cannot {verb}: {scrub(str(exc))}", data)
    try:
        found = health(conn)
        data.update(found._asdict())
        if found.schema_version > LATEST:
            newer = f"schema {found.schema_version} is newer than this VPO supports ({LATEST}); upgrade VPO"
            return Check("database", False, f"{label}: {newer}", data)
        if found.schema_version == 0:
            return _described(label, found.ok, [found.product, "empty (created on first use)"], data)
        files, jobs = counts(conn)
    except sqlite3.Error as exc:  # a damaged or foreign file, a database of something else
        return Check("database", False, f"{label}: {scrub(str(exc))} (is it a VPO database?)", data)
    finally:
        conn.close()
    data.update(files=files, jobs=jobs)
    pending = f", migrates to {LATEST} on next use" if found.schema_version < LATEST else ""
    parts = [found.product, f"schema {found.schema_version}{pending}", f"{files:,} files", f"{jobs:,} jobs"]
    return _described(label, found.ok, parts, data)


def _described(label: str, ok: bool, parts: list[str], data: dict[str, Any]) -> Check:
    """`LABEL: SQLite 3.40.1, schema 8, 12 files, 3 jobs, integrity ok`; the integrity only
    where the engine has a check a client can run (SQLite's; a PostgreSQL server guards
    its own pages)."""
    if data.get("integrity") is not None:
        parts = [*parts, f"integrity {data['integrity']}"]
    return Check("database", ok, f"{label}: {', '.join(parts)}", data)
