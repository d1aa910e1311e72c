"""The transcode queue's data access (db/queue.py) on a real catalogue (the run's engine):
atomic claims, one running transcode per file, and claims fenced so a stale worker cannot
write over a newer run of its job. Jobs are queued through the service (transcode/queue.py)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engine
from vpo.db import files as files_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database, open_database
from vpo.media.models import ProbeResult, Track
from vpo.timeutil import now_iso
from vpo.transcode.models import TranscodeTarget
from vpo.transcode.queue import cancel_job, queue_transcodes, retry_job

H264 = ProbeResult(
    "matroska", 60.0, (Track(0, "video", "h264", width=64, height=48), Track(1, "audio", "aac"))
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(engine.target_for(tmp_path))
    yield database
    database.close()


def catalogue(db: Database, *names: str) -> list[bytes]:
    paths = [f"/lib/{n}".encode() for n in names]
    with db.transaction() as conn:
        for n, path in enumerate(paths):
            files_db.upsert_probed(
                conn,
                (path, 1000, 1, 1, n),
                files_db.Measured(H264, None, f"fp{n}"),
                racy=False,
                now=now_iso(),
            )
    return paths


def queue(db: Database, *paths: bytes) -> list[str]:
    report = queue_transcodes(db, tuple(paths), TranscodeTarget(), policy_path=None, dry_run=False)
    return [f.job_id for f in report.files if f.job_id]


def claim(db: Database, pid: int = 1, host: str = "here") -> queue_db.Claim | None:
    return queue_db.claim(db, pid=pid, host=host)


def status(db: Database, job_id: str) -> str:
    return db.conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]


def test_claims_take_the_oldest_queued_job_once(db: Database) -> None:
    ids = queue(db, *catalogue(db, "a.mkv", "b.mkv"))
    first, second = claim(db), claim(db)
    assert first is not None and second is not None
    assert [first.job_id, second.job_id] == ids
    assert claim(db) is None
    assert [status(db, i) for i in ids] == ["running", "running"]


def test_a_second_job_for_a_file_waits_while_the_first_runs(db: Database) -> None:
    [path] = catalogue(db, "a.mkv")
    [first] = queue(db, path)
    running = claim(db)
    assert running is not None and running.job_id == first
    cancel_job(db, first)  # cancelled: a new transcode of the file may be queued...
    [second] = queue(db, path)
    retry_job(db, first)  # ...and the first one retried beside it
    third = claim(db)
    assert third is not None and third.job_id == first  # the oldest
    assert claim(db) is None  # `second` is for the same file: it waits
    with db.transaction() as conn:
        queue_db.finish(
            conn,
            third,
            status="completed",
            now=now_iso(),
            summary=None,
            error=None,
            traceback=None,
            progress=1.0,
        )
    fourth = claim(db)
    assert fourth is not None and fourth.job_id == second


def test_a_cancel_is_seen_by_the_next_heartbeat(db: Database) -> None:
    [job_id] = queue(db, *catalogue(db, "a.mkv"))
    mine = claim(db)
    assert mine is not None
    with db.transaction() as conn:
        assert queue_db.beat(conn, mine, now_iso(), 0.5)
    assert cancel_job(db, job_id) == (job_id, "running")
    with db.transaction() as conn:
        assert not queue_db.beat(conn, mine, now_iso(), 0.6)
        assert not queue_db.still_mine(conn, mine)
        assert not queue_db.finish(
            conn,
            mine,
            status="completed",
            now=now_iso(),
            summary=None,
            error=None,
            traceback=None,
            progress=1.0,
        )
    assert status(db, job_id) == "cancelled"


def test_a_stale_claim_cannot_touch_the_job_after_it_was_retried_and_claimed_again(db: Database) -> None:
    [job_id] = queue(db, *catalogue(db, "a.mkv"))
    old = claim(db, pid=1)
    assert old is not None
    cancel_job(db, job_id)
    retry_job(db, job_id)
    new = claim(db, pid=2)
    assert new is not None and new.job_id == job_id
    with db.transaction() as conn:
        assert not queue_db.beat(conn, old, now_iso(), 0.9)
        assert not queue_db.still_mine(conn, old)
        assert not queue_db.requeue(conn, old, "stopping")
        assert not queue_db.finish(
            conn, old, status="failed", now=now_iso(), summary=None, error="x", traceback=None, progress=None
        )
        assert queue_db.still_mine(conn, new)
    assert status(db, job_id) == "running"


def test_requeue_puts_the_job_back_for_anyone(db: Database) -> None:
    [job_id] = queue(db, *catalogue(db, "a.mkv"))
    mine = claim(db)
    assert mine is not None
    with db.transaction() as conn:
        assert queue_db.requeue(conn, mine, "worker stopped before finishing; requeued")
    row = db.conn.execute(
        "SELECT status, pid, started_at, progress, error_message FROM jobs WHERE id = ?", (job_id,)
    ).fetchone()
    assert row == ("queued", None, None, None, "worker stopped before finishing; requeued")
    again = claim(db, pid=9)
    assert again is not None and again.job_id == job_id


def _claim_rounds(target: str, n: int, rounds: int, barrier: Any, out: Any) -> None:
    """One worker process: every round, claim at the same moment as all the others."""
    taken: list[str] = []
    empty, error = 0, None
    try:
        own = open_database(target)
        try:
            for _ in range(rounds):
                barrier.wait()
                got = claim(own, pid=100 + n)
                if got is None:
                    empty += 1
                else:
                    taken.append(got.job_id)
        finally:
            own.close()
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        barrier.abort()
    out.put((n, taken, empty, error))


def test_concurrent_claims_from_processes_never_take_a_job_twice(tmp_path: Path, db: Database) -> None:
    ids = queue(db, *catalogue(db, *(f"f{n}.mkv" for n in range(200))))
    workers = 4
    rounds = len(ids) // workers + 1
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(workers, timeout=120), ctx.Queue()  # timeout: a hang guard
    procs = [
        ctx.Process(target=_claim_rounds, args=(str(engine.target_for(tmp_path)), n, rounds, barrier, out))
        for n in range(workers)
    ]
    for p in procs:
        p.start()
    results = sorted(out.get(timeout=300) for _ in procs)  # hang guard
    for p in procs:
        p.join(timeout=60)
    assert [error for *_, error in results] == [None] * workers
    everything = [i for _, taken, _, _ in results for i in taken]
    assert sorted(everything) == sorted(ids)  # every job once, none twice
    # A claim that finds the lock taken waits for it: every worker got one job per round.
    assert [(len(taken), empty) for _, taken, empty, _ in results] == [(len(ids) // workers, 1)] * workers
