"""The walker's unchanged-file filter (issue 3, the 100k no-change rescan).

A plain incremental scan lets the Rust walker read the catalogue's trusted rows itself and
drop entries equal to them; Python sees only the rest. Scans with the filter and scans that
compare everything in Python (as with a Python whose sqlite3 carries its own SQLite) must
leave the same catalogue and report the same counts, through every kind of change.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import age_tree
from vpo import _core
from vpo.db import files as files_db
from vpo.db.connection import open_database
from vpo.scan import service, walker
from vpo.scan.models import ScanOptions

pytestmark = pytest.mark.sqlite_only  # the walker reads the SQLite file itself

COLUMNS = "size, mtime_ns, scan_status, racy, fingerprint, container, scan_error"


def _scan(
    db_path: Path, root: Path, trusted: bool, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> tuple[dict[str, int], bool]:
    """One in-process scan; returns its counts and whether the walker got trusted rows."""
    used = []
    real_walk = walker.walk

    def spy(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        used.append(kwargs.get("trusted") is not None)
        return real_walk(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(walker, "can_read_catalogue", lambda: trusted)
        m.setattr(walker, "walk", spy)
        db = open_database(db_path)
        try:
            report = service.scan(db, ScanOptions(roots=(os.fsencode(root),), workers=2, **options))
        finally:
            db.close()
    return report.counts.to_dict(), any(used)


def _catalogue(db_path: Path) -> dict[bytes, tuple[Any, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return {bytes(r[0]): tuple(r[1:]) for r in conn.execute(f"SELECT path, {COLUMNS} FROM files")}
    finally:
        conn.close()


def test_filtered_and_python_only_scans_agree(
    corpus: media.Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib), symlinks=True)
    age_tree(lib)
    fast, slow = tmp_path / "fast.db", tmp_path / "slow.db"
    names = sorted(p for p in lib.rglob("*.mkv") if p.is_file())
    assert len(names) >= 3
    grown, touched, moved = names[0], names[1], names[2]
    hour_ago = os.stat(grown).st_mtime_ns - 10**9

    def touch_old(p: Path) -> None:
        os.utime(p, ns=(hour_ago, hour_ago))

    def grow(p: Path) -> None:
        with open(p, "ab") as f:
            f.write(b"\0" * 16)
        touch_old(p)

    steps = [
        ("first scan", lambda: None),
        ("nothing changed", lambda: None),
        ("grown", lambda: grow(grown)),
        ("mtime only", lambda: touch_old(touched) or os.utime(touched, ns=(hour_ago + 1, hour_ago + 1))),
        ("renamed", lambda: moved.rename(moved.with_name("renamed.mkv"))),
        ("deleted", lambda: (lib / "renamed.mkv").rename(tmp_path / "away.mkv")),
        ("restored", lambda: (tmp_path / "away.mkv").rename(lib / "renamed.mkv")),
        ("new file", lambda: shutil.copy2(grown, lib / "copy.mkv")),
    ]
    for label, change in steps:
        change()
        fast_counts, used = _scan(fast, lib, True, monkeypatch)
        slow_counts, unused = _scan(slow, lib, False, monkeypatch)
        assert fast_counts == slow_counts, label
        assert _catalogue(fast) == _catalogue(slow), label
        # the first scan has nothing to trust; every later one hands the walker its rows
        assert used == (label != "first scan"), label
        assert not unused, label
    assert fast_counts["added"] == 1  # the sequence really exercised something
    assert _scan(fast, lib, True, monkeypatch)[0]["skipped"] == fast_counts["discovered"]


def test_full_and_verify_scans_do_not_filter(
    corpus: media.Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib), symlinks=True)
    age_tree(lib)
    db = tmp_path / "library.db"
    _scan(db, lib, True, monkeypatch)
    counts, used = _scan(db, lib, True, monkeypatch, full=True)
    assert not used and counts["skipped"] == 0
    counts, used = _scan(db, lib, True, monkeypatch, verify_hash=True)
    assert not used and counts["discovered"] > 0


def test_unreadable_catalogue_is_a_database_error(
    corpus: media.Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walker's SQLite errors are sqlite3.DatabaseError, which the CLI reports as
    DATABASE_ERROR (tests/fault/test_corrupt_db.py shows that end to end)."""
    lib = tmp_path / "lib"
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib), symlinks=True)
    with (
        pytest.raises(sqlite3.DatabaseError, match="unable to open"),
        walker.walk(
            os.fsencode(lib),
            extensions=["mkv"],
            trusted=walker.Trusted(str(tmp_path / "none.db"), "SELECT 1, 2, 3", ()),
        ),
    ):
        pass
    # through the service the scan's job is recorded as failed, with SQLite's reason
    db_path = tmp_path / "library.db"
    age_tree(lib)
    _scan(db_path, lib, True, monkeypatch)
    monkeypatch.setattr(files_db, "trusted_query", lambda root: ("SELECT nonsense FROM files", ()))
    with pytest.raises(sqlite3.DatabaseError, match="no such column: nonsense"):
        _scan(db_path, lib, True, monkeypatch)
    conn = sqlite3.connect(db_path)
    try:
        jobs = conn.execute("SELECT status, error_message FROM jobs ORDER BY created_at").fetchall()
    finally:
        conn.close()
    assert [j[0] for j in jobs] == ["completed", "failed"]
    assert "nonsense" in jobs[1][1]


def test_extension_shares_pythons_sqlite() -> None:
    import _sqlite3

    # on this machine both use the system library; the check must also say no
    assert _core.same_sqlite(_sqlite3.__file__) is True
    assert _core.same_sqlite("/nonexistent/_sqlite3.so") is False
    libc = next(
        p
        for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/libc.so.6")
        if os.path.exists(p)
    )
    assert _core.same_sqlite(libc) is False
    assert walker.can_read_catalogue() is True


def test_rescan_queries_read_the_partial_indexes(tmp_path: Path) -> None:
    """The spelling of the queries must match the indexes' WHERE clauses (migration V3), or
    SQLite silently reads the whole table again: a 100k rescan would be slow, not wrong."""
    db = open_database(tmp_path / "library.db")
    try:
        sql, params = files_db.trusted_query(b"/media/tv")
        plan = " ".join(str(r) for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "COVERING INDEX files_trusted" in plan, plan
        where, args = files_db._under(b"/media/tv")
        plan = " ".join(
            str(r)
            for r in db.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT path FROM files WHERE {where} AND {files_db._UNTRUSTED}", args
            )
        )
        assert "files_untrusted" in plan, plan
    finally:
        db.close()
