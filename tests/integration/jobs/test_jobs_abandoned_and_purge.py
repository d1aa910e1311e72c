"""Jobs whose process died are failed, Ctrl+C cancels a scan, and `vpo jobs purge` / auto-purge.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import media
from integration.jobs.helpers import (
    HOST,
    ISO_Z,
    OLD_FINISHED,
    Job,
    assert_no_traceback,
    dead_pid,
    init_home,
    insert,
    job_file_count,
    job_ids,
    listed,
    ok_json,
    parse_iso,
    query,
    run,
    show,
    start_scan,
    tiny_library,
    wait_for_running_job,
)


def test_running_jobs_of_dead_processes_are_failed_with_the_reason(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    pid = dead_pid()
    dead = insert(home, Job("scan", "running", timedelta(hours=2), pid=pid, heartbeat_age=timedelta(hours=1)))
    remote_stale = insert(
        home,
        Job(
            "apply",
            "running",
            timedelta(hours=2),
            pid=777,
            host="nas.example",
            heartbeat_age=timedelta(minutes=30),
        ),
    )
    remote_fresh = insert(
        home,
        Job(
            "apply",
            "running",
            timedelta(minutes=2),
            pid=778,
            host="nas.example",
            heartbeat_age=timedelta(seconds=10),
        ),
    )
    alive = insert(
        home,
        Job("scan", "running", timedelta(minutes=1), pid=os.getpid(), heartbeat_age=timedelta(seconds=1)),
    )
    heartbeats = dict(query(home, "SELECT id, heartbeat_at FROM jobs"))

    # `jobs show` opens the database: that is enough to notice.
    doc = show(home, dead)
    assert doc["status"] == "failed", doc
    assert doc["error"]["message"] == f"process {pid} exited without finishing"
    assert ISO_Z.match(doc["finished_at"]), doc
    # It stopped beating an hour ago: that is when it was last known alive, not when we noticed.
    assert doc["finished_at"] == heartbeats[dead], doc
    assert doc["duration_seconds"] == pytest.approx(3600 - 1, abs=1), doc
    context = doc["error"]["context"]
    assert (
        context["pid"] == pid and context["host"] == HOST and context["last_heartbeat_at"] == heartbeats[dead]
    )
    assert ISO_Z.match(context["detected_at"]) and context["detected_at"] > heartbeats[dead]

    stale = show(home, remote_stale)
    assert stale["status"] == "failed"
    assert "no heartbeat" in stale["error"]["message"] and "nas.example" in stale["error"]["message"]
    assert listed(home, "--status", "running") == [alive, remote_fresh]


def test_killed_scan_is_failed_not_running(bulk: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = start_scan(home, bulk)
    try:
        job_id = wait_for_running_job(home, proc)
        time.sleep(0.5)
        assert proc.poll() is None, "the scan finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the process and its probers: a power cut
    finally:
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert query(home, "SELECT status, pid FROM jobs WHERE id = ?", job_id) == [("running", proc.pid)]

    doc = show(home, job_id)
    assert doc["status"] == "failed", doc
    assert doc["error"]["message"] == f"process {proc.pid} exited without finishing"
    assert ISO_Z.match(doc["finished_at"])
    assert listed(home, "--status", "running") == []
    result = run(home, "jobs", "show", job_id[:8])
    assert "exited without finishing" in result.stdout and re.search(r"Status:\s+failed", result.stdout)
    # The next scan runs normally next to the dead one's record.
    again = run(home, "scan", "--json", bulk)
    assert again.code == 0, again
    assert [j["status"] for j in ok_json(home, "jobs", "list")] == ["completed", "failed"]


@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_cancels_the_scan_job(bulk: Path, tmp_path: Path, json_mode: bool) -> None:
    home = tmp_path / "home"
    proc = start_scan(home, bulk, *(["--json"] if json_mode else []))
    try:
        job_id = wait_for_running_job(home, proc)
        time.sleep(0.3)
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
    finally:
        out, err = proc.communicate(timeout=60)
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    assert proc.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr + stdout, stderr
    if json_mode:
        doc = json.loads(stdout)
        assert doc["error"] is True and doc["code"] == "INTERRUPTED" and doc["details"]["job_id"] == job_id
    else:
        assert stdout == f"Scanning {bulk} ...\n"  # the header comes before the work; no summary
        assert re.search(r"^Error: .*interrupted", stderr, re.M), stderr

    doc = show(home, job_id)
    assert doc["status"] == "cancelled", doc
    assert ISO_Z.match(doc["finished_at"])
    assert "interrupted" in doc["error"]["message"]
    assert doc["summary"]["discovered"] > 0  # the counts so far are kept
    assert len(doc["files"]) == job_file_count(home, job_id)
    assert listed(home, "--status", "cancelled") == [job_id]


def test_purge_dry_run_changes_nothing_then_purge_deletes_old_finished_jobs(aged) -> None:  # type: ignore[no-untyped-def]
    home, _lib, ids = aged
    rows_before = query(home, "SELECT count(*) FROM job_files")[0][0]
    doc = ok_json(home, "jobs", "purge", "--dry-run")
    assert doc["dry_run"] is True and doc["count"] == 3
    assert sorted(doc["job_ids"]) == sorted(ids[k] for k in OLD_FINISHED)
    assert ISO_Z.match(doc["cutoff"])
    assert abs(parse_iso(doc["cutoff"]) - (datetime.now(timezone.utc) - timedelta(days=30))) < timedelta(
        minutes=5
    )
    assert job_ids(home) == set(ids.values())
    assert query(home, "SELECT count(*) FROM job_files")[0][0] == rows_before

    text = run(home, "jobs", "purge", "--dry-run")
    assert text.code == 0 and "Would delete 3" in text.stdout, text
    assert job_ids(home) == set(ids.values())

    doc = ok_json(home, "jobs", "purge")
    assert doc["dry_run"] is False and sorted(doc["job_ids"]) == sorted(ids[k] for k in OLD_FINISHED)
    assert job_ids(home) == {ids[k] for k in ("queued_90d", "running_40d", "completed_29d", "completed_2d")}
    for key in OLD_FINISHED:
        assert job_file_count(home, ids[key]) == 0, key
    assert job_file_count(home, ids["queued_90d"]) == 1
    assert job_file_count(home, ids["completed_29d"]) == 1
    orphans = query(home, "SELECT count(*) FROM job_files WHERE job_id NOT IN (SELECT id FROM jobs)")
    assert orphans == [(0,)]

    again = run(home, "jobs", "purge")
    assert again.code == 0 and "Deleted 0" in again.stdout, again


def test_purge_older_than(aged) -> None:  # type: ignore[no-untyped-def]
    home, _lib, ids = aged
    doc = ok_json(home, "jobs", "purge", "--older-than", "1.5")
    assert sorted(doc["job_ids"]) == sorted(ids[k] for k in (*OLD_FINISHED, "completed_29d", "completed_2d"))
    assert job_ids(home) == {ids["queued_90d"], ids["running_40d"]}
    assert query(home, "SELECT DISTINCT job_id FROM job_files") == [(ids["queued_90d"],)]


def test_purge_older_than_beyond_the_calendar_deletes_nothing(aged) -> None:  # type: ignore[no-untyped-def]
    home, _lib, ids = aged  # (1e308 and 1e9 days: tests/unit/test_job_queries.py)
    result = run(home, "jobs", "purge", "--older-than", "inf", "--json")
    assert result.code == 0, result
    assert_no_traceback(result)
    assert result.json()["job_ids"] == []
    assert job_ids(home) == set(ids.values())


def test_scan_purges_old_finished_jobs_first_but_list_does_not(aged) -> None:  # type: ignore[no-untyped-def]
    home, lib, ids = aged
    assert len(listed(home)) == len(ids)  # read-only commands never purge
    assert job_ids(home) == set(ids.values())
    scan = run(home, "scan", "--json", lib)
    assert scan.code == 0, scan
    new = scan.json()["job_id"]
    kept = {ids[k] for k in ("queued_90d", "running_40d", "completed_29d", "completed_2d")}
    assert job_ids(home) == kept | {new}
    for key in OLD_FINISHED:
        assert job_file_count(home, ids[key]) == 0, key
    assert job_file_count(home, ids["queued_90d"]) == 1


@pytest.mark.parametrize("config", ["jobs:\n  retention_days: 90\n", "jobs:\n  auto_purge: false\n"])
def test_auto_purge_follows_the_configuration(aged, config: str) -> None:  # type: ignore[no-untyped-def]
    home, lib, ids = aged
    (home / "config.yaml").write_text(config)
    scan = run(home, "scan", "--json", lib)
    assert scan.code == 0, scan
    assert job_ids(home) == set(ids.values()) | {scan.json()["job_id"]}


def test_file_history_survives_pruning_the_file(corpus: media.Corpus, tmp_path: Path) -> None:
    home = tmp_path / "home"
    lib = tiny_library(corpus, tmp_path / "lib")
    first = run(home, "scan", "--json", lib)
    assert first.code == 0, first
    (lib / "dual.mp4").unlink()
    pruned = run(home, "scan", "--prune", "--json", lib)
    assert pruned.code == 0, pruned
    assert query(home, "SELECT count(*) FROM files") == [(1,)]  # the record is gone
    # ... but its audit trail is not: both jobs touched it.
    assert listed(home, "--file", lib / "dual.mp4") == [pruned.json()["job_id"], first.json()["job_id"]]
    assert listed(home, "--file", lib / "movie.mkv") == [first.json()["job_id"]]
