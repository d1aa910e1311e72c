"""Moves among many files of one content (hard links, copies of one film): a moved file
takes the id of a file that vanished in the same scan, and finding it reads only the
vanished files' fingerprints, never every catalogued file that shares one (at 1,000,000
hard links of 64 files, 15,625 rows per moved file)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import media
from integration.conftest import age_tree
from vpo.db.connection import open_database
from vpo.scan import service
from vpo.scan.models import ScanOptions

pytestmark = pytest.mark.sqlite_only  # in-process, reading the SQLite file

COPIES, MOVED = 30, 10


def _scan(db_path: Path, root: Path, statements: list[str] | None = None) -> dict[str, int]:
    db = open_database(db_path)
    try:
        if statements is not None:
            db.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        return service.scan(db, ScanOptions(roots=(os.fsencode(root),), workers=1)).counts.to_dict()
    finally:
        db.close()


def _ids(db_path: Path) -> dict[bytes, int]:
    conn = sqlite3.connect(db_path)
    try:
        return {bytes(p): i for p, i in conn.execute("SELECT path, id FROM files WHERE scan_status = 'ok'")}
    finally:
        conn.close()


def test_moved_copies_keep_the_vanished_ids_without_a_search_per_file(
    corpus: media.Corpus, tmp_path: Path
) -> None:
    lib = tmp_path / "lib"
    (lib / "a").mkdir(parents=True)
    source = next(v for v in corpus.videos if v.container == "matroska")
    original = tmp_path / "film.mkv"
    original.write_bytes(source.path.read_bytes())
    for i in range(COPIES):
        os.link(original, lib / "a" / f"f-{i:02d}.mkv")
    age_tree(tmp_path)
    db_path = tmp_path / "library.db"
    assert _scan(db_path, lib)["added"] == COPIES
    before = _ids(db_path)
    (lib / "b").mkdir()
    moved = sorted((lib / "a").iterdir())[:MOVED]
    for path in moved:
        path.rename(lib / "b" / path.name)
    statements: list[str] = []
    counts = _scan(db_path, lib, statements)
    assert counts["moved"] == MOVED and counts["added"] == counts["scanned"] == counts["removed"] == 0, counts
    after = _ids(db_path)
    assert sorted(after.values()) == sorted(before.values())  # every id kept, none new
    assert {after[os.fsencode(lib / "b" / p.name)] for p in moved} == {before[os.fsencode(p)] for p in moved}
    per_file = [s for s in statements if "fingerprint = " in s]
    assert per_file == [], per_file  # nothing is missing: no catalogue search per moved file
