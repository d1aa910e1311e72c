"""The scan service and its writer in-process, on a real catalogue (the run's engine).

The writer: a batch interrupted mid-transaction is not lost.

Ctrl+C can land while a batch is being written; the transaction rolls back, and the save
that a stopped scan makes afterwards (ScanWriter.flush) must still write that batch. The
CLI test of Ctrl+C cannot aim its signal that precisely, so this test injects it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from vpo.db import files as files_db
from vpo.db.connection import open_database
from vpo.jobs.tracker import JobTracker
from vpo.media.models import ProbeResult, Track
from vpo.scan import writer as writer_mod
from vpo.scan.writer import Probed, ScanWriter

RESULT = ProbeResult(
    container="matroska",
    duration_seconds=1.0,
    tracks=(Track(index=0, type="video", codec="h264", width=64, height=48),),
)


def probed(i: int) -> Probed:
    return Probed(
        entry=(b"/lib/f%03d.mkv" % i, 1000 + i, 10**18 + i, 1, i),
        known_id=None,
        why=None,
        fingerprint="0" * 32,
        content_hash=None,
        result=RESULT,
        error=None,
    )


def test_interrupted_flush_keeps_its_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_database(engine.target_for(tmp_path))
    try:
        tracker = JobTracker(db, type="scan", target=["/lib"], options={})
        writer = ScanWriter(db, tracker, scan_start_ns=0)
        monkeypatch.setattr(writer_mod, "FLUSH_EVERY", 10**9)
        monkeypatch.setattr(writer_mod, "FLUSH_SECONDS", 10**9)
        for i in range(5):
            writer.probed(probed(i))

        real = files_db.upsert_probed
        calls = {"n": 0}

        def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(files_db, "upsert_probed", interrupted)
        with pytest.raises(KeyboardInterrupt):
            writer.flush()
        assert db.conn.execute("SELECT count(*) FROM files").fetchone() == (0,)  # rolled back
        writer.probed(probed(5))
        writer.flush()  # the save after a stop
        paths = [bytes(r[0]) for r in db.conn.execute("SELECT path FROM files ORDER BY path")]
        assert paths == [b"/lib/f%03d.mkv" % i for i in range(6)]
        assert db.conn.execute("SELECT count(*) FROM job_files WHERE outcome = 'added'").fetchone() == (6,)
        writer.flush()  # nothing left: nothing written twice
        assert db.conn.execute("SELECT count(*) FROM job_files").fetchone() == (6,)
    finally:
        db.close()


def test_scan_service_leaves_no_probe_workers_behind(corpus, tmp_path: Path) -> None:
    """Called as a library (not through the CLI, whose exit would hide it), a finished
    scan must not leave its worker processes running."""
    import os
    import subprocess

    from vpo.scan.models import ScanOptions
    from vpo.scan.service import scan

    db = open_database(engine.target_for(tmp_path))
    try:
        report = scan(db, ScanOptions(roots=(os.fsencode(corpus.root),), workers=2))
        assert report.counts.added == 7 and report.counts.errors == 3
        children = subprocess.run(
            ["pgrep", "-f", "-P", str(os.getpid()), "vpo.media.probe_worker"], capture_output=True, text=True
        ).stdout.split()
        assert children == []
    finally:
        db.close()


@pytest.mark.parametrize("prune", [False, True])
def test_missing_files_moved_by_another_process_are_left_alone(tmp_path: Path, prune: bool) -> None:
    """A scan decided /lib/a.mkv was gone; meanwhile another process (a second scan, a
    transcode) recorded that file at a new path. Marking or pruning by id alone would
    make the moved file 'missing', or delete its record and history."""
    from vpo.scan.writer import record_missing
    from vpo.timeutil import now_iso

    db = open_database(engine.target_for(tmp_path))
    try:
        ids = {}
        with db.transaction() as conn:
            for name in (b"a", b"b", b"c"):
                ids[name], _ = files_db.upsert_probed(
                    conn,
                    (b"/lib/%s.mkv" % name, 1, 1, 1, 1),
                    files_db.Measured(RESULT, None, None),
                    racy=False,
                    now=now_iso(),
                )
            files_db.mark_missing(conn, [(ids[b"c"], b"/lib/c.mkv")], now_iso())
            assert files_db.move_file(
                conn,
                ids[b"a"],
                (b"/lib/moved.mkv", 1, 1, 1, 1),
                old_path=b"/lib/a.mkv",
                racy=False,
                now=now_iso(),
            )
        tracker = JobTracker(db, type="scan", target=["/lib"], options={})
        newly = [(ids[b"a"], b"/lib/a.mkv"), (ids[b"b"], b"/lib/b.mkv")]
        already = [(ids[b"c"], b"/lib/c.mkv")]
        removed, pruned = record_missing(db, tracker, newly, already, prune=prune)
        rows = {
            bytes(p): (fid, s) for p, fid, s in db.conn.execute("SELECT path, id, scan_status FROM files")
        }
        assert rows[b"/lib/moved.mkv"] == (ids[b"a"], "ok")
        assert removed == 1
        if prune:
            assert set(rows) == {b"/lib/moved.mkv"} and pruned == 2
        else:
            assert rows[b"/lib/b.mkv"] == (ids[b"b"], "missing") and pruned == 0
        logged = [
            bytes(p) for (p,) in db.conn.execute("SELECT path FROM job_files WHERE job_id = ?", (tracker.id,))
        ]
        assert sorted(logged) == ([b"/lib/b.mkv", b"/lib/c.mkv"] if prune else [b"/lib/b.mkv"])
    finally:
        db.close()
