"""The scan service's decisions, in-process on a scripted library (tests/fakewalker.py:
the walker, fingerprints and probe workers scripted; the diff, writer, job and SQLite
catalogue real): what is skipped, probed, moved, missing, pruned or refused, and the
walker's unchanged-file filter. Where media is the point, the CLI tests scan real files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakewalker import RESULT, FakeLibrary
from vpo.db.connection import Database, open_database
from vpo.errors import RootUnreadableError, UnmountedLibraryError
from vpo.media.models import ProbeResult, Track
from vpo.scan import service
from vpo.scan.models import ScanOptions, ScanReport


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "library.db")
    try:
        yield database
    finally:
        database.close()


def scan(db: Database, lib: FakeLibrary, *roots: bytes, **options: Any) -> ScanReport:
    """One scan of the library's root (or of `roots`); the fakes' call logs start afresh."""
    lib.probed.clear()
    lib.fingerprinted.clear()
    lib.walks.clear()
    return service.scan(db, ScanOptions(roots=roots or (lib.root,), **options))


def counted(report: ScanReport, **expected: int) -> dict[str, int]:
    """The report's counts that differ from zero (and every one named)."""
    counts = report.counts.to_dict()
    return {k: v for k, v in counts.items() if v or k in expected}


def catalogue(db: Database) -> dict[bytes, tuple[int, str]]:
    """path -> (id, scan_status)."""
    return {bytes(p): (i, s) for p, i, s in db.conn.execute("SELECT path, id, scan_status FROM files")}


def history(db: Database, job_id: str) -> list[tuple[str, bytes]]:
    rows = db.conn.execute("SELECT outcome, path FROM job_files WHERE job_id = ? ORDER BY path", (job_id,))
    return [(o, bytes(p)) for o, p in rows]


def job_status(db: Database, job_id: str) -> tuple[str, str | None]:
    return db.conn.execute("SELECT status, error_message FROM jobs WHERE id = ?", (job_id,)).fetchone()


# -- what the walk hands over --------------------------------------------------------------


def test_first_scan_probes_what_the_walk_finds_across_batches(
    db: Database, fake_library: FakeLibrary
) -> None:
    lib = fake_library
    for name in ("a.mkv", "b.mp4", "sub/c.MKV", "sub/d.avi"):
        lib.add(name)
    lib.add("broken.mkv", probe="Invalid data found when processing input")
    lib.add(".hidden/e.mkv")
    lib.add("notes.txt")
    report = scan(db, lib)
    assert counted(report) == {"discovered": 5, "added": 4, "errors": 1}
    assert sorted(lib.probed) == sorted(p for p in lib.files if b"hidden" not in p and b"txt" not in p)
    assert set(catalogue(db)) == set(lib.probed)
    assert job_status(db, report.job_id) == ("completed", None)


@pytest.mark.parametrize("filtered", [True, False], ids=["walker-filter", "python-compare"])
def test_unchanged_files_are_skipped_without_probe_or_fingerprint(
    db: Database, fake_library: FakeLibrary, monkeypatch: pytest.MonkeyPatch, filtered: bool
) -> None:
    lib = fake_library
    for n in range(5):
        lib.add(f"film{n}.mkv")
    scan(db, lib)
    monkeypatch.setattr(service.walker, "can_read_catalogue", lambda: filtered)
    again = scan(db, lib)
    assert counted(again) == {"discovered": 5, "skipped": 5}
    assert lib.probed == [] and lib.fingerprinted == [] and history(db, again.job_id) == []
    assert lib.walks[0].trusted is filtered


def test_a_changed_size_or_mtime_is_probed_again(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    grown, touched = lib.add("grown.mkv"), lib.add("touched.mkv")
    lib.add("same.mkv")
    scan(db, lib)
    lib.change("grown.mkv", size=1016)
    lib.change("touched.mkv", mtime_ns=lib.files[touched].mtime_ns + 1)  # one nanosecond
    again = scan(db, lib)
    assert counted(again) == {"discovered": 3, "skipped": 1, "scanned": 2}
    assert sorted(lib.probed) == [grown, touched]
    assert history(db, again.job_id) == [("changed", grown), ("changed", touched)]


# -- moves, by size and fingerprint ----------------------------------------------------------


def test_a_move_is_found_by_size_and_fingerprint_and_keeps_the_id(
    db: Database, fake_library: FakeLibrary
) -> None:
    lib = fake_library
    old = lib.add("a.mkv", size=1000)
    lib.add("b.mkv", size=2000)
    scan(db, lib)
    file_id = catalogue(db)[old][0]
    new = lib.move("a.mkv", "sub/renamed.mkv")
    again = scan(db, lib)
    assert counted(again) == {"discovered": 2, "skipped": 1, "moved": 1}
    assert catalogue(db)[new] == (file_id, "ok") and old not in catalogue(db)
    assert lib.probed == [] and lib.fingerprinted == [new]  # fingerprinted, never probed
    assert history(db, again.job_id) == [("moved", new)]


def test_same_size_but_another_fingerprint_is_a_new_file(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    old = lib.add("a.mkv", size=1000, fingerprint="f" * 32)
    scan(db, lib)
    lib.remove("a.mkv")
    new = lib.add("b.mkv", size=1000, fingerprint="e" * 32)
    again = scan(db, lib)
    assert counted(again) == {"discovered": 1, "added": 1, "removed": 1}
    assert catalogue(db)[old][1] == "missing" and catalogue(db)[new][1] == "ok"
    assert lib.probed == [new]


def test_a_file_missing_since_an_earlier_scan_that_turns_up_elsewhere_moved(
    db: Database, fake_library: FakeLibrary
) -> None:
    lib = fake_library
    old = lib.add("a.mkv", size=1000)
    lib.add("b.mkv", size=2000)
    scan(db, lib)
    file_id = catalogue(db)[old][0]
    gone = lib.files.pop(old)
    assert counted(scan(db, lib), removed=1)["removed"] == 1
    new = lib.path("back/a.mkv")
    lib.files[new] = gone  # a disk plugged in again, under another folder
    again = scan(db, lib)
    assert counted(again) == {"discovered": 2, "skipped": 1, "moved": 1}
    assert catalogue(db)[new] == (file_id, "ok") and old not in catalogue(db)


def test_a_move_between_two_roots_is_a_move(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    films, shows = lib.path("films"), lib.path("shows")
    os.makedirs(films)
    os.makedirs(shows)
    old = lib.add("films/a.mkv", size=1000)
    lib.add("films/b.mkv", size=2000)
    lib.add("shows/c.mkv", size=3000)
    scan(db, lib, films, shows)
    file_id = catalogue(db)[old][0]
    new = lib.move("films/a.mkv", "shows/a.mkv")
    again = scan(db, lib, films, shows)
    assert counted(again) == {"discovered": 3, "skipped": 2, "moved": 1}
    assert catalogue(db)[new] == (file_id, "ok")


# -- missing files, --prune, and what is never marked missing --------------------------------


def test_a_deleted_file_is_missing_and_keeps_its_id(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    gone = lib.add("gone.mkv", size=1000)
    lib.add("kept.mkv", size=2000)
    scan(db, lib)
    file_id = catalogue(db)[gone][0]
    kept_aside = lib.files.pop(gone)
    again = scan(db, lib)
    assert counted(again) == {"discovered": 1, "skipped": 1, "removed": 1}
    assert catalogue(db)[gone] == (file_id, "missing")
    assert history(db, again.job_id) == [("missing", gone)]
    lib.files[gone] = kept_aside  # put back as it was (size and mtime): restored, not added
    assert counted(scan(db, lib)) == {"discovered": 2, "skipped": 1, "restored": 1}
    assert catalogue(db)[gone] == (file_id, "ok")


def test_prune_deletes_the_records_of_missing_files(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    for name in ("a.mkv", "b.mkv", "c.mkv"):
        lib.add(name)
    scan(db, lib)
    lib.remove("a.mkv")
    scan(db, lib)  # a: missing
    lib.remove("b.mkv")
    pruned = scan(db, lib, prune=True)
    assert counted(pruned) == {"discovered": 1, "skipped": 1, "removed": 1, "pruned": 2}
    assert list(catalogue(db)) == [lib.path("c.mkv")]
    assert history(db, pruned.job_id) == [("missing", lib.path("a.mkv")), ("missing", lib.path("b.mkv"))]


def test_an_empty_root_the_library_knows_is_refused_and_nothing_is_missing(
    db: Database, fake_library: FakeLibrary
) -> None:
    """An unmounted disk leaves an empty mount point."""
    lib = fake_library
    for name in ("a.mkv", "b.mkv"):
        lib.add(name)
    scan(db, lib)
    before = catalogue(db)
    lib.files.clear()
    with pytest.raises(UnmountedLibraryError, match="is it unmounted"):
        scan(db, lib)
    assert catalogue(db) == before
    (job_id,) = [j for (j,) in db.conn.execute("SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1")]
    status, message = job_status(db, job_id)
    assert status == "failed" and "is it unmounted" in (message or "")


def test_files_under_an_unreadable_directory_are_not_missing(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    hidden_away = lib.add("locked/a.mkv")
    lib.add("open/b.mkv")
    scan(db, lib)
    lib.cannot_read("locked")
    again = scan(db, lib)
    assert counted(again) == {"discovered": 1, "skipped": 1, "errors": 1}
    assert again.errors == [
        {"path": os.fsdecode(lib.path("locked")), "error": "cannot read directory: Permission denied"}
    ]
    assert catalogue(db)[hidden_away][1] == "ok"


def test_an_unreadable_root_fails_the_scan_and_marks_nothing(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    lib.add("a.mkv")
    scan(db, lib)
    lib.unreadable[lib.root] = "Permission denied"
    with pytest.raises(RootUnreadableError, match="nothing was marked missing"):
        scan(db, lib)
    assert [s for _, s in catalogue(db).values()] == ["ok"]


# -- racy mtimes ------------------------------------------------------------------------------


OTHER = ProbeResult(
    container="matroska",
    duration_seconds=1.0,
    tracks=(*RESULT.tracks, Track(index=1, type="audio", codec="aac", language="eng", channels=2)),
)


def racy(db: Database, path: bytes) -> int:
    return db.conn.execute("SELECT racy FROM files WHERE path = ?", (path,)).fetchone()[0]


def test_a_file_written_just_before_the_scan_is_probed_again_until_its_mtime_is_old(
    db: Database, fake_library: FakeLibrary
) -> None:
    """Within 2 s of a scan's start, an mtime cannot prove a later write in the same tick."""
    lib = fake_library
    fresh = lib.add("fresh.mkv", mtime_ns=time.time_ns() - 1_500_000_000)
    first = scan(db, lib)
    assert counted(first) == {"discovered": 1, "added": 1} and racy(db, fresh) == 1
    time.sleep(0.6)  # the mtime is now more than 2 s before the next scan's start
    again = scan(db, lib)
    assert lib.probed == [fresh] and counted(again) == {"discovered": 1, "scanned": 1}
    assert history(db, again.job_id) == []  # the same tracks: not a change
    assert racy(db, fresh) == 0
    third = scan(db, lib)
    assert lib.probed == [] and counted(third) == {"discovered": 1, "skipped": 1}


def test_a_racy_file_whose_tracks_changed_is_recorded_as_changed(
    db: Database, fake_library: FakeLibrary
) -> None:
    lib = fake_library
    fresh = lib.add("fresh.mkv", mtime_ns=time.time_ns())
    scan(db, lib)
    lib.change("fresh.mkv", probe=OTHER)  # rewritten in the same tick: size and mtime as before
    again = scan(db, lib)
    assert lib.probed == [fresh] and history(db, again.job_id) == [("changed", fresh)]
    assert db.conn.execute("SELECT count(*) FROM tracks").fetchone() == (2,)


# -- the walker's unchanged-file filter ------------------------------------------------------


def test_the_filter_is_used_by_plain_incremental_scans_only(db: Database, fake_library: FakeLibrary) -> None:
    lib = fake_library
    lib.add("a.mkv")
    scan(db, lib)
    assert lib.walks[0].trusted is False  # a first scan: nothing to trust
    for options, expected in (({}, True), ({"full": True}, False), ({"verify_hash": True}, False)):
        scan(db, lib, **options)
        assert lib.walks[0].trusted is expected, options


def test_filtered_and_compared_scans_make_the_same_catalogue(
    tmp_path: Path, fake_library: FakeLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through every kind of change, with the walker's filter and with Python comparing
    everything: the same counts and the same rows."""
    lib = fake_library
    for name in ("grown.mkv", "touched.mkv", "moved.mkv", "gone.mkv", "kept.mkv", "racy.mkv"):
        lib.add(name, size=1000 + len(lib.files))
    lib.change("racy.mkv", mtime_ns=time.time_ns() + 60 * 10**9)  # racy in every round
    steps = [
        lambda: lib.change("grown.mkv", size=5000),
        lambda: lib.change("touched.mkv", mtime_ns=lib.files[lib.path("touched.mkv")].mtime_ns - 1),
        lambda: lib.move("moved.mkv", "sub/moved.mkv"),
        lambda: lib.remove("gone.mkv"),
        lambda: lib.add("new.mkv", size=9000),
    ]
    dbs = {filtered: open_database(tmp_path / f"{filtered}.db") for filtered in (True, False)}
    try:
        results: dict[bool, list[dict[str, int]]] = {True: [], False: []}
        for step in [lambda: None, *steps]:
            step()
            for filtered, db in dbs.items():
                monkeypatch.setattr(service.walker, "can_read_catalogue", lambda f=filtered: f)
                results[filtered].append(scan(db, lib).counts.to_dict())
        assert results[True] == results[False]
        assert results[True][-1]["discovered"] == 6
        tables = {
            f: sorted(db.conn.execute("SELECT path, size, mtime_ns, scan_status, racy FROM files"))
            for f, db in dbs.items()
        }
        assert tables[True] == tables[False]
    finally:
        for db in dbs.values():
            db.close()
