"""The job-history services in-process (vpo.jobs.queries, maintenance, tracker) on a real
SQLite library: the filter table the CLI tests sample, prefix rules, recovery and purge."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vpo.db import jobs as jobs_db
from vpo.db.connection import Database, open_database
from vpo.db.jobs import JobRecord
from vpo.errors import AmbiguousJobIdError, JobNotFoundError, UsageError
from vpo.jobs import maintenance, queries
from vpo.jobs.since import parse_since
from vpo.jobs.tracker import JobTracker

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HOST = socket.gethostname()


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "library.db")
    yield database
    database.close()


def add(
    db: Database,
    type: str = "scan",
    status: str = "completed",
    age: timedelta = timedelta(hours=1),
    *,
    job_id: str | None = None,
    pid: int | None = 4242,
    host: str | None = HOST,
    heartbeat_age: timedelta | None = None,
    files: list[tuple[int | None, bytes, str]] = (),
) -> str:
    now = datetime.now(timezone.utc)  # not the import time: other tests may run for minutes first
    created = now - age
    started = None if status == "queued" else created
    finished = created + timedelta(seconds=30) if status in ("completed", "failed", "cancelled") else None
    beat = now - heartbeat_age if heartbeat_age is not None else (finished or started or created)
    record = JobRecord(
        id=job_id or str(uuid.uuid4()),
        type=type,
        status=status,
        target=["/media"],
        options={},
        created_at=iso(created),
        pid=pid,
        host=host,
        heartbeat_at=iso(beat),
        started_at=iso(started) if started else None,
        finished_at=iso(finished) if finished else None,
    )
    with db.transaction() as conn:
        jobs_db.insert(conn, record)
        jobs_db.add_files(conn, record.id, [(fid, path, outcome, None) for fid, path, outcome in files])
    return record.id


def add_file(db: Database, path: bytes) -> int:
    now = iso(datetime.now(timezone.utc))
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO files (path, size, mtime_ns, scan_status, first_seen, last_scanned) "
            "VALUES (?, 1, 1, 'ok', ?, ?)",
            (path, now, now),
        )
        return cur.lastrowid


@pytest.fixture
def many(db: Database) -> dict[str, str]:
    return {
        "scan_10m": add(db, "scan", "completed", timedelta(minutes=10)),
        "scan_3h": add(db, "scan", "failed", timedelta(hours=3)),
        "apply_2d": add(db, "apply", "completed", timedelta(days=2)),
        "apply_run": add(
            db, "apply", "running", timedelta(days=3), pid=os.getpid(), heartbeat_age=timedelta(0)
        ),
        "tc_8d": add(db, "transcode", "cancelled", timedelta(days=8)),
        "tc_queued": add(db, "transcode", "queued", timedelta(days=20)),
        "scan_40d": add(db, "scan", "completed", timedelta(days=40)),
    }


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["scan_10m", "scan_3h", "apply_2d", "apply_run", "tc_8d", "tc_queued", "scan_40d"]),
        ({"limit": 3}, ["scan_10m", "scan_3h", "apply_2d"]),
        ({"limit": None}, ["scan_10m", "scan_3h", "apply_2d", "apply_run", "tc_8d", "tc_queued", "scan_40d"]),
        ({"type": "scan"}, ["scan_10m", "scan_3h", "scan_40d"]),
        ({"type": "apply"}, ["apply_2d", "apply_run"]),
        ({"type": "transcode"}, ["tc_8d", "tc_queued"]),
        ({"status": "completed"}, ["scan_10m", "apply_2d", "scan_40d"]),
        ({"status": "failed"}, ["scan_3h"]),
        ({"status": "running"}, ["apply_run"]),
        ({"status": "queued"}, ["tc_queued"]),
        ({"status": "cancelled"}, ["tc_8d"]),
        ({"since": "1h"}, ["scan_10m"]),
        ({"since": "1d"}, ["scan_10m", "scan_3h"]),
        ({"since": "1w"}, ["scan_10m", "scan_3h", "apply_2d", "apply_run"]),
        ({"since": "30d"}, ["scan_10m", "scan_3h", "apply_2d", "apply_run", "tc_8d", "tc_queued"]),
        ({"type": "scan", "status": "completed"}, ["scan_10m", "scan_40d"]),
        ({"type": "scan", "status": "completed", "since": "1w"}, ["scan_10m"]),
        ({"type": "transcode", "since": "1w"}, []),
        ({"type": "apply", "status": "running", "since": "1w", "limit": 1}, ["apply_run"]),
        ({"status": "completed", "limit": 2}, ["scan_10m", "apply_2d"]),
    ],
)
def test_filters_and_their_combinations(
    db: Database, many: dict[str, str], kwargs: dict, expected: list[str]
) -> None:
    if "since" in kwargs:
        kwargs = {**kwargs, "since": parse_since(kwargs["since"])}
    got = [j.id for j in queries.list_jobs(db, **kwargs)]
    assert got == [many[k] for k in expected]


def test_default_limit_is_20_newest_first(db: Database) -> None:
    ids = [add(db, age=timedelta(minutes=m)) for m in range(25)]
    got = [j.id for j in queries.list_jobs(db)]
    assert got == ids[:20]


def test_jobs_created_in_the_same_microsecond_have_a_stable_order(db: Database) -> None:
    a = add(db, age=timedelta(0), job_id="00000000-0000-4000-8000-000000000001")
    b = add(db, age=timedelta(0), job_id="00000000-0000-4000-8000-000000000002")
    assert [j.id for j in queries.list_jobs(db)] == [b, a]


def test_file_filter_follows_the_file_id_and_pruned_rows(db: Database, tmp_path: Path) -> None:
    old, new = b"/media/a.mkv", b"/media/moved/a.mkv"
    fid = add_file(db, new)  # the record as it is now, after a move
    first = add(db, age=timedelta(hours=2), files=[(fid, old, "added")])
    moved = add(db, age=timedelta(hours=1), files=[(fid, new, "moved")])
    other = add(db, age=timedelta(minutes=30), files=[(None, b"/media/b.mkv", "missing")])
    pruned = add(db, age=timedelta(minutes=10), files=[(None, b"/media/c.mkv", "missing")])
    assert [j.id for j in queries.list_jobs(db, file=new)] == [moved, first]
    assert [j.id for j in queries.list_jobs(db, file=old)] == [moved, first]
    assert [j.id for j in queries.list_jobs(db, file=b"/media/b.mkv")] == [other]
    assert [j.id for j in queries.list_jobs(db, file=b"/media/c.mkv")] == [pruned]
    assert [j.id for j in queries.list_jobs(db, file=b"/media/nothing.mkv")] == []
    assert [j.id for j in queries.list_jobs(db, file=new, limit=1)] == [moved]
    # A relative path is made absolute against the working directory.
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        rel = add(db, files=[(None, os.fsencode(tmp_path) + b"/x.mkv", "added")])
        assert [j.id for j in queries.list_jobs(db, file=b"x.mkv")] == [rel]
    finally:
        os.chdir(cwd)


def test_resolve_id_rules(db: Database) -> None:
    a = add(db, job_id="abcd1234-0000-4000-8000-000000000001")
    b = add(db, job_id="abcd1234-0000-4000-8000-000000000002")
    c = add(db, job_id="ffff0000-0000-4000-8000-000000000003")
    assert queries.resolve_id(db, c) == c
    assert queries.resolve_id(db, "ffff") == c
    assert queries.resolve_id(db, " FFFF0000 ") == c
    assert queries.resolve_id(db, a) == a
    with pytest.raises(UsageError, match="at least 4"):
        queries.resolve_id(db, "fff")
    with pytest.raises(JobNotFoundError):
        queries.resolve_id(db, "eeee")
    with pytest.raises(AmbiguousJobIdError) as info:
        queries.resolve_id(db, "abcd1234-0000")
    assert a in info.value.message and b in info.value.message
    assert info.value.details["candidates"] == [a, b]


def test_a_prefix_matching_many_jobs_lists_twenty(db: Database) -> None:
    ids = [add(db, job_id=f"aaaa{i:04d}-0000-4000-8000-000000000000") for i in range(25)]
    with pytest.raises(AmbiguousJobIdError) as info:
        queries.resolve_id(db, "aaaa")
    assert "more than 20" in info.value.message
    assert info.value.details["candidates"] == ids[:20]


def test_json_shapes(db: Database) -> None:
    tracker = JobTracker(db, type="scan", target=["/media"], options={"full": True})
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError as exc:
        tracker.fail(exc, {"discovered": 1}, context={"root": "/media"})
    detail = queries.show_job(db, tracker.id[:8])
    doc = queries.detail_dict(detail)
    assert {
        "id",
        "type",
        "status",
        "path",
        "created_at",
        "started_at",
        "finished_at",
        "duration_seconds",
        "options",
        "summary",
        "error",
        "files",
    } <= set(doc)
    assert doc["status"] == "failed" and doc["options"] == {"full": True}
    assert doc["error"]["message"] == "disk on fire"
    assert "RuntimeError: disk on fire" in doc["error"]["traceback"]
    assert doc["error"]["context"] == {"root": "/media"}
    for key in ("created_at", "started_at", "finished_at"):
        assert ISO_Z.match(doc[key])
    ok = JobTracker(db, type="scan", target=["/media"], options={})
    ok.complete({"discovered": 0})
    assert queries.detail_dict(queries.show_job(db, ok.id))["error"] is None


def test_tracker_cancel_records_the_interruption(db: Database) -> None:
    tracker = JobTracker(db, type="scan", target=["/media"], options={})
    tracker.cancel({"discovered": 5})
    job = jobs_db.get(db.conn, tracker.id)
    assert job is not None and job.status == "cancelled" and job.summary == {"discovered": 5}
    assert "interrupted" in (job.error_message or "") and ISO_Z.match(job.finished_at or "")


def test_recovery_fails_dead_and_silent_jobs_only(db: Database) -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    dead = add(db, "scan", "running", timedelta(hours=3), pid=proc.pid, heartbeat_age=timedelta(hours=2))
    silent = add(
        db,
        "apply",
        "running",
        timedelta(hours=3),
        pid=1,
        host="elsewhere",
        heartbeat_age=timedelta(minutes=11),
    )
    fresh = add(
        db,
        "apply",
        "running",
        timedelta(hours=3),
        pid=1,
        host="elsewhere",
        heartbeat_age=timedelta(minutes=9),
    )
    alive = add(
        db, "scan", "running", timedelta(hours=3), pid=os.getpid(), heartbeat_age=timedelta(seconds=1)
    )
    finished = add(db, "scan", "completed", timedelta(hours=3), pid=proc.pid)

    assert sorted(maintenance.recover_abandoned(db)) == sorted([dead, silent])
    assert maintenance.recover_abandoned(db) == []  # idempotent
    status = {j.id: j for j in queries.list_jobs(db, limit=None)}
    assert status[dead].status == "failed"
    assert status[dead].error_message == f"process {proc.pid} exited without finishing"
    assert status[dead].finished_at == status[dead].heartbeat_at
    assert status[dead].error_context["pid"] == proc.pid
    assert status[silent].status == "failed" and "no heartbeat" in status[silent].error_message
    assert (status[fresh].status, status[alive].status, status[finished].status) == (
        "running",
        "running",
        "completed",
    )


def test_purge_deletes_old_finished_jobs_with_their_files(db: Database) -> None:
    rows = [(None, b"/media/x.mkv", "added")]
    old = {
        s: add(db, "scan", s, timedelta(days=31), files=rows) for s in ("completed", "failed", "cancelled")
    }
    queued = add(db, "transcode", "queued", timedelta(days=90), files=[(None, b"/media/y.mkv", "queued")])
    running = add(db, "apply", "running", timedelta(days=90), pid=os.getpid(), heartbeat_age=timedelta(0))
    recent = add(db, "scan", "completed", timedelta(days=29), files=rows)

    dry = maintenance.purge(db, older_than_days=30, dry_run=True)
    assert sorted(dry.job_ids) == sorted(old.values()) and dry.dry_run
    assert len(queries.list_jobs(db, limit=None)) == 6

    done = maintenance.purge(db, older_than_days=30)
    assert sorted(done.job_ids) == sorted(old.values())
    assert {j.id for j in queries.list_jobs(db, limit=None)} == {queued, running, recent}
    left = db.conn.execute("SELECT job_id FROM job_files ORDER BY job_id").fetchall()
    assert sorted(r[0] for r in left) == sorted([queued, recent])

    for days in (float("inf"), 1e308, 1e9):
        assert maintenance.purge(db, older_than_days=days).job_ids == []
    assert maintenance.purge(db, older_than_days=0).job_ids == [recent]
