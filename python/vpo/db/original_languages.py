"""Data access for `original_languages`: what Radarr or Sonarr said is the original language
of a file's film or series (SPEC section 18), kept so that every later apply, from any
command, plans with it. One row per file; it goes with the file (ON DELETE CASCADE) and
keeps its id through moves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from vpo.db.connection import chunks
from vpo.db.dialect import Connection


class KnownOriginal(NamedTuple):
    language: str  # ISO 639-2/B
    source: str  # who said so: "Radarr" or "Sonarr"


def known_for(conn: Connection, ids: Sequence[int]) -> dict[int, KnownOriginal]:
    """The files' recorded original languages, by file id (files with none are absent)."""
    out: dict[int, KnownOriginal] = {}
    for part in chunks(list(ids)):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT file_id, language, source FROM original_languages WHERE file_id IN ({marks})", part
        )
        out.update((r[0], KnownOriginal(r[1], r[2])) for r in rows)
    return out


def record(conn: Connection, file_id: int, known: KnownOriginal, now: str) -> bool:
    """Record (or replace) a file's original language; True when it is new or different."""
    row = conn.execute(
        "SELECT language, source FROM original_languages WHERE file_id = ?", (file_id,)
    ).fetchone()
    if row is not None and KnownOriginal(row[0], row[1]) == known:
        return False
    conn.execute(
        "INSERT INTO original_languages (file_id, language, source, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (file_id) DO UPDATE SET language = excluded.language, "
        "source = excluded.source, updated_at = excluded.updated_at",
        (file_id, known.language, known.source, now),
    )
    return True
