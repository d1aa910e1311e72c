"""On both engines the walker drops the files equal to their trusted catalogue rows, so a
rescan hands Python only the changes (SPEC section 20: on PostgreSQL a no-change rescan
costs at most 1.3 times SQLite's). On SQLite the walker reads the catalogue file itself;
on PostgreSQL the rows reach it as a binary COPY (rust/src/pgcopy.rs)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import engine
import media
from integration.scanning.helpers import expect
from integration.scanutil import SPEC_COUNT_KEYS
from vpo.db import files as files_db
from vpo.db.connection import open_database
from vpo.scan import service, walker
from vpo.scan.models import ScanOptions


class Spy:
    """What the walk handed to Python: each entry's path, and how many it dropped."""

    def __init__(self) -> None:
        self.real = walker.walk
        self.yielded: list[bytes] = []
        self.dropped = 0
        self.filtered = False

    @contextmanager
    def walk(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        self.filtered |= kwargs.get("trusted") is not None
        with self.real(*args, **kwargs) as batches:
            yield _Counted(self, batches)
            self.dropped += batches.unchanged


class _Counted:
    def __init__(self, spy: Spy, batches: walker.Walk) -> None:
        self.spy, self.batches = spy, batches

    def __iter__(self) -> Iterator[walker.Batch]:
        for entries, errors in self.batches:
            self.spy.yielded += [e[0] for e in entries]
            yield entries, errors

    @property
    def unchanged(self) -> int:
        return self.batches.unchanged

    def unseen(self) -> list[bytes]:
        return self.batches.unseen()


def _scan(home: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, int], Spy]:
    spy = Spy()
    with monkeypatch.context() as m:
        m.setattr(service.walker, "walk", spy.walk)
        db = open_database(engine.target_for(home))
        try:
            report = service.scan(db, ScanOptions(roots=(os.fsencode(root),), workers=1))
        finally:
            db.close()
    counts = report.counts.to_dict()
    return {k: counts[k] for k in SPEC_COUNT_KEYS}, spy


@pytest.mark.engines
def test_rescan_hands_python_only_the_changed_file(
    vpo_env: dict[str, str], vpo_home: Path, scanned: media.Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts, spy = _scan(vpo_home, scanned.root, monkeypatch)
    assert counts == expect(10, skipped=10)
    assert spy.filtered
    assert (spy.yielded, spy.dropped) == ([], 10)  # the broken files' rows are trusted too

    movie = scanned.by_name("movie.mkv").fspath
    with open(movie, "ab") as fh:
        fh.write(b"\0" * 100)
    counts, spy = _scan(vpo_home, scanned.root, monkeypatch)
    assert counts == expect(10, scanned=1)
    assert (spy.yielded, spy.dropped) == ([movie], 9)


@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_copy_rows_that_cannot_be_read_are_a_database_error(
    vpo_env: dict[str, str], vpo_home: Path, scanned: media.Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPY rows in the wrong shape (a fourth column) stop the scan with a database error,
    and the COPY is over: the connection goes on working."""
    copy = files_db._TRUSTED_COPY.replace("mtime_ns FROM", "mtime_ns, id FROM")
    monkeypatch.setattr(files_db, "_TRUSTED_COPY", copy)
    db = open_database(engine.target_for(vpo_home))
    try:
        with pytest.raises(sqlite3.DatabaseError, match="4 fields"):
            service.scan(db, ScanOptions(roots=(os.fsencode(scanned.root),), workers=1))
        assert db.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 10
    finally:
        db.close()
