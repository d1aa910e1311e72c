"""Helpers of the jobs tests (test_jobs_scans, test_jobs_history, test_jobs_abandoned_and_purge)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import engine
import media
from integration.conftest import VPO, Result, age_tree

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


LIST_KEYS = {"id", "type", "status", "path", "created_at", "started_at", "finished_at", "duration_seconds"}


SHOW_KEYS = LIST_KEYS | {"options", "summary", "error", "files"}


HEADER = ["ID", "TYPE", "STATUS", "STARTED", "DURATION", "PATH"]


HOST = socket.gethostname()


def env_for(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VPO_", "_VPO_"))}
    env["VPO_HOME"] = str(home)
    env.update(engine.env_for(home))
    env.update(extra or {})
    return env


def argv(*args: Any) -> list[str | bytes]:
    return [str(VPO), *(os.fsencode(a) if isinstance(a, (bytes, Path)) else str(a) for a in args)]


def run(
    home: Path, *args: Any, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> Result:
    done = subprocess.run(
        argv(*args),
        capture_output=True,
        timeout=timeout,
        env=env_for(home, env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    return Result(
        list(args),
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )


def ok_json(home: Path, *args: Any, **kw: Any) -> Any:
    result = run(home, *args, "--json", **kw)
    assert result.code == 0, result
    assert "Traceback" not in result.stderr, result  # (stdout may hold a job's stored traceback)
    return result.json()


def listed(home: Path, *args: Any, **kw: Any) -> list[str]:
    """The ids `vpo jobs list ARGS --json` prints, in its order."""
    doc = ok_json(home, "jobs", "list", *args, **kw)
    assert isinstance(doc, list), doc
    return [j["id"] for j in doc]


def show(home: Path, job_id: str) -> dict[str, Any]:
    doc = ok_json(home, "jobs", "show", job_id)
    assert isinstance(doc, dict), doc
    return doc


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr, result
    assert "Traceback" not in result.stdout, result


def usage_error(result: Result, code: str = "USAGE", exit_code: int = 2) -> str:
    """An expected failure: the exit code, one `Error:` line, no traceback. Returns the line."""
    assert result.code == exit_code, result
    assert_no_traceback(result)
    assert result.stdout == "", result
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result
    return errors[0]


def json_error(result: Result, code: str, exit_code: int = 2) -> dict[str, Any]:
    assert result.code == exit_code, result
    assert_no_traceback(result)
    doc = result.json()
    assert doc["error"] is True and doc["code"] == code, doc
    assert set(doc) == {"error", "code", "message", "details"}, doc
    return doc


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def db(home: Path) -> sqlite3.Connection:
    return engine.connect(home, isolation_level=None)


def query(home: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = db(home)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def init_home(home: Path) -> None:
    """Create and migrate the database the way any command does."""
    result = run(home, "jobs", "list")
    assert result.code == 0 and result.stdout.strip() == "No jobs.", result


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@dataclass
class Job:
    """A row for `jobs`, shaped like the ones JobTracker and the transcode queue write."""

    type: str = "scan"
    status: str = "completed"
    age: timedelta = timedelta(hours=1)  # created this long ago
    ran: timedelta = timedelta(seconds=42)  # started -> finished, for finished jobs
    target: list[str] = field(default_factory=lambda: ["/media/movies"])
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    error: tuple[str, str | None, dict[str, Any] | None] | None = None
    pid: int | None = None
    host: str | None = HOST
    heartbeat_age: timedelta | None = None  # None: the job's last write
    summary: dict[str, Any] | None = None


def insert(home: Path, job: Job, files: list[tuple[int | None, bytes, str, dict | None]] = ()) -> str:
    now = datetime.now(timezone.utc)
    created = now - job.age
    started = finished = None
    if job.status != "queued":
        started = created + timedelta(seconds=1)
    if job.status in ("completed", "failed", "cancelled"):
        finished = started + job.ran
    heartbeat = now - job.heartbeat_age if job.heartbeat_age is not None else (finished or started or created)
    pid = job.pid if job.pid is not None else (None if job.status == "queued" else 4242)
    host = None if job.status == "queued" else job.host
    options = {"full": False} if job.type == "scan" else {"policy_file": "/etc/vpo/policy.yaml"}
    summary = job.summary
    if summary is None and finished is not None:
        summary = {"discovered": 3, "added": 1} if job.type == "scan" else {"files": 1}
    message, tb, context = job.error or (None, None, None)
    conn = db(home)
    try:
        conn.execute(
            "INSERT INTO jobs (id, type, status, target, options, policy, summary, error_message, "
            "error_traceback, error_context, progress, pid, host, heartbeat_at, created_at, started_at, "
            "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                job.type,
                job.status,
                json.dumps(job.target),
                json.dumps(options),
                json.dumps({"name": "tidy"}) if job.type == "apply" else None,
                json.dumps(summary) if summary is not None else None,
                message,
                tb,
                json.dumps(context) if context is not None else None,
                1.0 if job.status == "completed" else None,
                pid,
                host,
                iso(heartbeat),
                iso(created),
                iso(started) if started else None,
                iso(finished) if finished else None,
            ),
        )
        conn.executemany(
            "INSERT INTO job_files (job_id, file_id, path, outcome, details) VALUES (?, ?, ?, ?, ?)",
            [
                (job.id, fid, path, outcome, json.dumps(d) if d is not None else None)
                for fid, path, outcome, d in files
            ],
        )
    finally:
        conn.close()
    return job.id


def age_job(home: Path, job_id: str, days: float) -> None:
    """Move a real job's timestamps `days` into the past."""
    columns = ("created_at", "started_at", "finished_at", "heartbeat_at")
    conn = db(home)
    try:
        [row] = conn.execute(f"SELECT {', '.join(columns)} FROM jobs WHERE id = ?", (job_id,)).fetchall()
        shifted = [
            None
            if value is None
            else (parse_iso(value) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            for value in row
        ]
        conn.execute(
            f"UPDATE jobs SET {', '.join(c + ' = ?' for c in columns)} WHERE id = ?", (*shifted, job_id)
        )
    finally:
        conn.close()


def job_ids(home: Path) -> set[str]:
    return {r[0] for r in query(home, "SELECT id FROM jobs")}


def job_file_count(home: Path, job_id: str) -> int:
    return query(home, "SELECT count(*) FROM job_files WHERE job_id = ?", job_id)[0][0]


def table_rows(text: str) -> list[list[str]]:
    """Split a `jobs list` table on runs of 2+ spaces (paths here hold no double spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def tiny_library(corpus: media.Corpus, dest: Path) -> Path:
    """Two real videos, an hour old."""
    dest.mkdir(parents=True)
    shutil.copy2(corpus.by_name("movie.mkv").path, dest / "movie.mkv")
    shutil.copy2(corpus.by_name("dual.mp4").path, dest / "dual.mp4")
    age_tree(dest)
    return dest


@dataclass
class History:
    home: Path
    lib: Path
    first: str  # first scan: 7 added, 3 probe errors (exit 1)
    second: str  # rescan: 1 changed, 1 moved, 1 missing (exit 0)
    failed: str  # unmounted-library guard (exit 2)
    renamed_from: Path
    renamed_to: Path
    changed: Path
    deleted: Path
    first_doc: dict[str, Any]
    second_doc: dict[str, Any]
    failed_result: Result


@dataclass
class Synthetic:
    home: Path
    ids: dict[str, str]


SHARED = "abcd1234-5678-4abc-8def-00000000000"  # two ids that differ only in the last character


def wait_for_running_job(home: Path, proc: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"vpo exited early ({proc.returncode}): {proc.communicate()}"
        try:
            conn = (
                engine.connect(home)
                if engine.url_for(home)
                else sqlite3.connect(f"file:{home / 'library.db'}?mode=ro", uri=True)
            )
            try:
                rows = conn.execute("SELECT id FROM jobs WHERE status = 'running'").fetchall()
            finally:
                conn.close()
            if rows:
                return rows[0][0]
        except sqlite3.Error:
            pass  # not created or not migrated yet
        time.sleep(0.02)
    raise AssertionError("the scan never recorded a running job")


def start_scan(home: Path, root: Path, *extra: str) -> subprocess.Popen:
    # one ffprobe worker: seconds of probing, time to interrupt it even on a busy machine
    return subprocess.Popen(
        argv("scan", "--workers", "1", "--prober", "ffprobe", *extra, root),
        env=env_for(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


OLD_FINISHED = ("scan_60d", "failed_50d", "cancelled_31d")
