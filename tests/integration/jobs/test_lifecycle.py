"""How a job ends (SPEC section 4), in-process on a real SQLite catalogue: the one
lifecycle (jobs/lifecycle.py) every job-running service wraps its work in, and the
services that used to write their own try/except. A job is never left `running`: Ctrl+C
(SIGTERM and SIGHUP arrive as the same KeyboardInterrupt, cli/stopping.py) records it
`cancelled` with the counts so far and raises `Interrupted`; anything else records it
`failed` with message, traceback and context, and goes on."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vpo.catalogue import JobType
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database, open_database
from vpo.errors import Interrupted
from vpo.jobs.lifecycle import JobLifecycle
from vpo.jobs.tracker import JobTracker


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "library.db")
    try:
        yield database
    finally:
        database.close()


def row(db: Database, job_id: str) -> dict[str, Any]:
    job = jobs_db.get(db.conn, job_id)
    assert job is not None
    return {
        "status": job.status,
        "summary": job.summary,
        "message": job.error_message,
        "traceback": job.error_traceback,
        "context": job.error_context,
    }


def tracker(db: Database) -> JobTracker:
    return JobTracker(db, type=JobType.SCAN, target=["/lib"], options={})


def test_work_that_returns_completes_the_job_with_its_summary(db: Database) -> None:
    job = tracker(db)
    with JobLifecycle(job, JobType.SCAN) as lifecycle:
        lifecycle.watch(summary=lambda: {"added": 3})
    assert row(db, job.id)["status"] == "completed" and row(db, job.id)["summary"] == {"added": 3}


def test_ctrl_c_stops_the_work_cancels_the_job_and_raises_interrupted(db: Database) -> None:
    job = tracker(db)
    said: list[str] = []
    counts = {"added": 0}
    with pytest.raises(Interrupted) as caught, JobLifecycle(job, JobType.SCAN) as lifecycle:
        lifecycle.watch(
            summary=lambda: dict(counts),
            stop=lambda: counts.update(added=2),  # the stop saves what was done
            on_cancel=lambda: said.append(row(db, job.id)["status"]),
            saved="2 files are saved",
        )
        counts["added"] = 1
        raise KeyboardInterrupt
    assert row(db, job.id)["status"] == "cancelled" and row(db, job.id)["summary"] == {"added": 2}
    assert said == ["cancelled"]  # told once the cancel is recorded
    assert caught.value.message == f"scan interrupted; 2 files are saved (job {job.id[:8]})"
    assert caught.value.details == {"job_id": job.id, "counts": {"added": 2}}
    assert caught.value.__suppress_context__  # one line for the person, no KeyboardInterrupt chained


def test_any_other_exception_fails_the_job_with_traceback_and_context_and_goes_on(db: Database) -> None:
    job = tracker(db)
    with pytest.raises(LookupError, match="no such thing"), JobLifecycle(job, JobType.SCAN) as lifecycle:
        lifecycle.watch(summary=lambda: {"added": 1}, context=lambda: {"root": "/lib"})
        raise LookupError("no such thing")
    failed = row(db, job.id)
    assert failed["status"] == "failed" and failed["message"] == "no such thing"
    assert "LookupError: no such thing" in failed["traceback"]
    assert failed["summary"] == {"added": 1} and failed["context"] == {"root": "/lib"}


def test_a_stop_that_fails_still_records_the_failure(db: Database) -> None:
    job = tracker(db)

    def broken_stop() -> None:
        raise OSError("the workers would not stop")

    with pytest.raises(RuntimeError), JobLifecycle(job, JobType.SCAN) as lifecycle:
        lifecycle.watch(summary=dict, stop=broken_stop)
        raise RuntimeError("boom")
    assert row(db, job.id)["status"] == "failed" and row(db, job.id)["message"] == "boom"


def test_ctrl_c_before_the_work_is_set_up_still_cancels(db: Database) -> None:
    job = tracker(db)
    with pytest.raises(Interrupted), JobLifecycle(job, JobType.SCAN):
        raise KeyboardInterrupt
    assert row(db, job.id)["status"] == "cancelled" and row(db, job.id)["summary"] == {}


def test_without_a_job_a_dry_run_is_only_interrupted() -> None:
    with pytest.raises(Interrupted) as caught, JobLifecycle(None, JobType.APPLY) as lifecycle:
        lifecycle.watch(summary=dict)
        raise KeyboardInterrupt
    assert caught.value.message == "apply interrupted" and caught.value.details == {}


def test_check_interrupted_while_it_sets_up_is_cancelled_not_left_running(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the lifecycle, a Ctrl+C before the check's run existed left its job running."""
    from vpo.check import service
    from vpo.check.models import CheckOptions

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "ProbePool", interrupted)  # the first thing the run starts
    with pytest.raises(Interrupted):
        service.check(db, CheckOptions(roots=(os.fsencode(tmp_path),)))
    (job_id,) = [j for (j,) in db.conn.execute("SELECT id FROM jobs WHERE type = 'check'")]
    assert row(db, job_id)["status"] == "cancelled"


def test_undo_interrupted_is_cancelled_with_its_counts(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C during `vpo jobs undo` is a cancel like any other command's (it was recorded
    as a failure): the files handled so far are counted, and the exit is 130."""
    from vpo.jobs import undo
    from vpo.media.probe import ProberConfig

    applied = JobTracker(db, type=JobType.APPLY, target=[str(tmp_path)], options={})
    details = {"result": {"size": 1, "fingerprint": "0" * 32}, "backup": str(tmp_path / "kept")}
    with db.transaction() as conn:
        applied.add_files(
            conn, [(None, os.fsencode(tmp_path / f"{n}.mkv"), "applied", details) for n in "ab"]
        )
    applied.complete({})
    looked: list[bytes] = []

    def look(path: bytes) -> os.stat_result:
        looked.append(path)
        if len(looked) == 2:
            raise KeyboardInterrupt  # while the second file is looked at
        raise FileNotFoundError(path)  # the first one is gone: refused

    monkeypatch.setattr(undo, "require_regular", look)
    with pytest.raises(Interrupted) as caught:
        undo.undo(db, applied.id, dry_run=False, prober=ProberConfig())
    job_id = caught.value.details["job_id"]
    cancelled = row(db, job_id)
    assert cancelled["status"] == "cancelled", cancelled
    assert cancelled["summary"] == {"planned": 0, "restored": 0, "refused": 1, "undone_job": applied.id}
    files = db.conn.execute("SELECT outcome, details FROM job_files WHERE job_id = ?", (job_id,)).fetchall()
    assert [(o, json.loads(d)["reason"]) for o, d in files] == [("refused", "the file is gone")]
