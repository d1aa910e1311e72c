"""`vpo jobs list|show|purge`, auto-purge, abandoned-job recovery and Ctrl+C (issue: job history).

Everything runs through the installed console script. Real scans make the realistic jobs
(`history`: a first scan, a rescan that sees a change, a rename and a deletion, and a scan
that fails on the unmounted-library guard). Jobs of other types, statuses and ages are
inserted straight into $VPO_HOME/library.db with the schema's columns (`synthetic`), the
way a real `apply` or `transcode` run would have left them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import engine
import media
from integration.conftest import VPO, Result, age_tree

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LIST_KEYS = {"id", "type", "status", "path", "created_at", "started_at", "finished_at", "duration_seconds"}
SHOW_KEYS = LIST_KEYS | {"options", "summary", "error", "files"}
HEADER = ["ID", "TYPE", "STATUS", "STARTED", "DURATION", "PATH"]
HOST = socket.gethostname()


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- real scans


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


@pytest.fixture(scope="module")
def history(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("jobs-history")
    home = base / "home"
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(base / "lib"), symlinks=True)
    lib = base / "lib"
    age_tree(lib)

    first = run(home, "scan", "--json", lib)
    assert first.code == 1, first  # three broken files
    first_doc = first.json()

    renamed_from, renamed_to = lib / "movie.mkv", lib / "sub dir" / "renamed.mkv"
    os.rename(renamed_from, renamed_to)
    deleted = lib / "clip.avi"
    deleted.unlink()
    changed = lib / "UPPER.MKV"
    with open(changed, "ab") as fh:  # trailing bytes: a new size, still a valid Matroska file
        fh.write(b"\0" * 4096)
    stamp = time.time() - 7200  # old enough not to be racy; the others keep their mtimes
    os.utime(changed, (stamp, stamp))
    second = run(home, "scan", "--json", lib)
    assert second.code == 0, second
    second_doc = second.json()

    # Unmounted: the root is there but empty while the catalogue knows files under it.
    os.rename(lib, base / "lib.away")
    lib.mkdir()
    failed_result = run(home, "scan", lib)
    assert failed_result.code == 2, failed_result
    rows = query(home, "SELECT id FROM jobs WHERE status = 'failed'")
    assert len(rows) == 1, rows
    os.rmdir(lib)
    os.rename(base / "lib.away", lib)

    return History(
        home,
        lib,
        first_doc["job_id"],
        second_doc["job_id"],
        rows[0][0],
        renamed_from,
        renamed_to,
        changed,
        deleted,
        first_doc,
        second_doc,
        failed_result,
    )


def test_list_json_is_newest_first_with_the_spec_keys_and_utc_timestamps(history: History) -> None:
    doc = ok_json(history.home, "jobs", "list")
    assert [j["id"] for j in doc] == [history.failed, history.second, history.first]
    assert [j["status"] for j in doc] == ["failed", "completed", "completed"]
    for job in doc:
        assert set(job) >= LIST_KEYS, job
        assert uuid.UUID(job["id"]).version == 4
        assert job["type"] == "scan"
        assert job["path"] == str(history.lib)
        for key in ("created_at", "started_at", "finished_at"):
            assert ISO_Z.match(job[key]), (key, job)
        assert isinstance(job["duration_seconds"], (int, float)) and job["duration_seconds"] >= 0
        assert job["duration_seconds"] == pytest.approx(
            (parse_iso(job["finished_at"]) - parse_iso(job["started_at"])).total_seconds(), abs=0.002
        )
    created = [parse_iso(j["created_at"]) for j in doc]
    assert created == sorted(created, reverse=True)


def test_list_text_table_shows_short_ids_and_local_start_times(history: History) -> None:
    zone = "Asia/Kolkata"  # +05:30: a start time printed in UTC cannot pass by accident
    docs = {j["id"]: j for j in ok_json(history.home, "jobs", "list")}
    result = run(history.home, "jobs", "list", env={"TZ": zone})
    assert result.code == 0, result
    rows = table_rows(result.stdout)
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == [history.failed[:8], history.second[:8], history.first[:8]]
    for row in rows[1:]:
        job = next(j for i, j in docs.items() if i.startswith(row[0]))
        local = parse_iso(job["started_at"]).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
        utc = parse_iso(job["started_at"]).strftime("%Y-%m-%d %H:%M:%S")
        assert row[1:4] == ["scan", job["status"], local], row
        assert local != utc
        assert re.fullmatch(r"\d+\.\ds", row[4]), row
        assert row[5] == str(history.lib), row
    assert history.first not in result.stdout  # ids are shortened to 8 characters


def test_limit_keeps_the_newest(history: History) -> None:
    assert listed(history.home, "--limit", "2") == [history.failed, history.second]
    # More than SQLite can count is the same as no limit (not an OverflowError).
    assert listed(history.home, "--limit", str(10**20)) == [history.failed, history.second, history.first]
    result = run(history.home, "jobs", "list", "-n", "1")
    assert result.code == 0, result
    rows = table_rows(result.stdout)
    assert len(rows) == 2 and rows[1][0] == history.failed[:8], result


def test_status_and_type_filters(history: History) -> None:
    assert listed(history.home, "--status", "failed") == [history.failed]
    assert listed(history.home, "--status", "completed") == [history.second, history.first]
    assert listed(history.home, "--type", "scan", "--status", "completed", "--limit", "1") == [history.second]
    assert listed(history.home, "--type", "apply") == []
    assert listed(history.home, "--since", "1h") == [history.failed, history.second, history.first]
    empty = run(history.home, "jobs", "list", "--status", "running")
    assert empty.code == 0 and empty.stdout.strip() == "No jobs.", empty


def test_show_first_scan_lists_added_and_error_files_with_details(history: History) -> None:
    doc = show(history.home, history.first)
    assert set(doc) >= SHOW_KEYS, doc
    assert doc["id"] == history.first and doc["status"] == "completed" and doc["error"] is None
    for key in ("created_at", "started_at", "finished_at"):
        assert ISO_Z.match(doc[key]), doc[key]
    assert doc["options"]["full"] is False and doc["options"]["prune"] is False
    counts = history.first_doc["counts"]
    assert {k: doc["summary"][k] for k in counts} == counts
    by_outcome: dict[str, set[bytes]] = {}
    for f in doc["files"]:
        assert set(f) >= {"path", "outcome", "details"}, f
        by_outcome.setdefault(f["outcome"], set()).add(os.fsencode(f["path"]))
    lib = os.fsencode(history.lib)
    videos = {
        lib + b"/" + n
        for n in (
            b"movie.mkv",
            b"dual.mp4",
            b"clip.avi",
            b"UPPER.MKV",
            b"-starts-with-dash.mkv",
            b"sub dir/with space.mkv",
        )
    }
    assert videos <= by_outcome["added"]
    assert len(by_outcome["added"]) == counts["added"]
    assert by_outcome["error"] == {lib + b"/" + n for n in (b"empty.mkv", b"random.mkv", b"truncated.mkv")}
    assert set(by_outcome) == {"added", "error"}  # nothing was skipped-and-listed
    errors = [f for f in doc["files"] if f["outcome"] == "error"]
    assert all(isinstance(f["details"]["error"], str) and f["details"]["error"] for f in errors), errors


def test_show_rescan_lists_changed_moved_and_missing_but_not_skipped(history: History) -> None:
    doc = show(history.home, history.second)
    counts = history.second_doc["counts"]
    assert (counts["scanned"], counts["moved"], counts["removed"]) == (1, 1, 1), counts
    files = {f["outcome"]: f for f in doc["files"]}
    assert sorted(f["outcome"] for f in doc["files"]) == ["changed", "missing", "moved"], doc["files"]
    assert files["moved"]["path"] == str(history.renamed_to)
    assert files["moved"]["details"]["from"] == str(history.renamed_from)
    assert files["missing"]["path"] == str(history.deleted)
    assert files["changed"]["path"] == str(history.changed)


def test_show_failed_scan_has_the_error_message_traceback_and_context(history: History) -> None:
    doc = show(history.home, history.failed)
    assert doc["status"] == "failed"
    assert ISO_Z.match(doc["finished_at"]), doc
    error = doc["error"]
    assert set(error) == {"message", "traceback", "context"}, error
    assert "holds no video files" in error["message"] and str(history.lib) in error["message"]
    assert error["message"] in history.failed_result.stderr  # what the user was told
    assert isinstance(error["traceback"], str) and "UnmountedLibraryError" in error["traceback"]
    assert isinstance(error["context"], dict) and error["context"]["root"] == str(history.lib)
    assert doc["files"] == []

    text = run(history.home, "jobs", "show", history.failed[:8])
    assert text.code == 0, text
    assert f"Job {history.failed}" in text.stdout
    assert re.search(r"^\s+Status:\s+failed$", text.stdout, re.M), text
    assert f"Error:     {error['message']}" in text.stdout
    assert "Traceback" in text.stdout and "UnmountedLibraryError" in text.stdout
    assert "Context:" in text.stdout


def test_show_accepts_a_full_id_or_any_unique_prefix_of_four_or_more(history: History) -> None:
    for text in (history.second, history.second[:4], history.second[:13].upper()):
        assert show(history.home, text)["id"] == history.second, text


def test_show_text_lists_options_timing_summary_and_files(history: History) -> None:
    result = run(history.home, "jobs", "show", history.second[:6])
    assert result.code == 0, result
    out = result.stdout
    assert out.startswith(f"Job {history.second}\n"), out
    for label in (
        "Type:",
        "Status:",
        "Path:",
        "Created:",
        "Started:",
        "Finished:",
        "Duration:",
        "Options:",
        "Summary:",
        "Files:",
    ):
        assert re.search(rf"^\s+{label}", out, re.M), (label, out)
    assert re.search(r"^\s+moved\s+.*renamed\.mkv", out, re.M), out
    assert re.search(r"^\s+missing\s+.*clip\.avi", out, re.M), out
    assert "moved 1" in out  # the summary counts


def test_prefix_shorter_than_four_is_a_usage_error(history: History) -> None:
    line = usage_error(run(history.home, "jobs", "show", history.first[:3]))
    assert "at least 4" in line, line
    json_error(run(history.home, "jobs", "show", history.first[:3], "--json"), "USAGE")


def test_unknown_id_exits_non_zero_with_a_clear_message(history: History) -> None:
    missing = str(uuid.uuid4())
    line = usage_error(run(history.home, "jobs", "show", missing))
    assert "no job" in line and missing in line, line
    doc = json_error(run(history.home, "jobs", "show", "zzzz", "--json"), "JOB_NOT_FOUND")
    assert "zzzz" in doc["message"]
    # Bytes that are not UTF-8 cannot be an id either: a message, not a UnicodeEncodeError.
    line = usage_error(run(history.home, "jobs", "show", history.first[:6].encode() + b"\xff"))
    assert "no job" in line, line


def test_file_history_follows_a_renamed_file(history: History) -> None:
    both = [history.second, history.first]
    assert listed(history.home, "--file", history.renamed_to) == both
    assert listed(history.home, "--file", history.renamed_from) == both
    # A relative path is relative to the working directory.
    assert listed(history.home, "--file", "sub dir/renamed.mkv", cwd=history.lib) == both
    # A file nobody touched since the first scan; a missing one; one never seen.
    assert listed(history.home, "--file", history.lib / "dual.mp4") == [history.first]
    assert listed(history.home, "--file", history.deleted) == both
    assert listed(history.home, "--file", history.lib / "notes.txt") == []
    # Filters combine with --file.
    assert listed(history.home, "--file", history.renamed_to, "--limit", "1") == [history.second]
    assert listed(history.home, "--file", history.renamed_to, "--status", "failed") == []


def test_file_history_of_a_non_utf8_name(history: History) -> None:
    raw = os.fsencode(history.lib) + b"/caf\xe9-latin1.mkv"
    if not os.path.exists(raw):
        pytest.skip("this file system refused the non-UTF-8 name")
    assert listed(history.home, "--file", raw) == [history.first]
    paths = [os.fsencode(f["path"]) for f in show(history.home, history.first)["files"]]
    assert raw in paths


def test_since_in_the_future_lists_nothing(history: History) -> None:
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(history.home, "--since", tomorrow) == []


# --------------------------------------------------------------------------- inserted jobs


@dataclass
class Synthetic:
    home: Path
    ids: dict[str, str]


SHARED = "abcd1234-5678-4abc-8def-00000000000"  # two ids that differ only in the last character


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Synthetic:
    home = tmp_path_factory.mktemp("jobs-synthetic") / "home"
    init_home(home)
    ids = {
        "scan_3h": insert(home, Job("scan", "completed", timedelta(hours=3), timedelta(seconds=120))),
        "apply_2d": insert(
            home,
            Job(
                "apply",
                "failed",
                timedelta(days=2),
                timedelta(seconds=3725),
                error=(
                    "mkvpropedit exited with status 2",
                    "Traceback (most recent call last):\n  ...\n"
                    "vpo.errors.ToolError: mkvpropedit exited with status 2\n",
                    {"file": "/media/movies/a.mkv"},
                ),
            ),
        ),
        "transcode_10d": insert(
            home,
            Job("transcode", "cancelled", timedelta(days=10), error=("cancelled by the user", None, None)),
        ),
        "transcode_queued_40d": insert(home, Job("transcode", "queued", timedelta(days=40))),
        "apply_running_45d": insert(
            home,
            Job("apply", "running", timedelta(days=45), pid=os.getpid(), heartbeat_age=timedelta(seconds=5)),
        ),
        "scan_60d": insert(home, Job("scan", "completed", timedelta(days=60))),
        "shared_1": insert(home, Job(age=timedelta(minutes=5), id=SHARED + "1")),
        "shared_2": insert(home, Job(age=timedelta(minutes=6), id=SHARED + "2")),
        "many_files": insert(
            home,
            Job(age=timedelta(minutes=30)),
            [
                (
                    None,
                    f"/media/movies/f{i:03d}.mkv".encode(),
                    "added",
                    {"container": "matroska", "tracks": 2},
                )
                for i in range(60)
            ],
        ),
    }
    return Synthetic(home, ids)


def test_synthetic_list_is_newest_first_across_types(synthetic: Synthetic) -> None:
    i = synthetic.ids
    assert listed(synthetic.home) == [
        i["shared_1"],
        i["shared_2"],
        i["many_files"],
        i["scan_3h"],
        i["apply_2d"],
        i["transcode_10d"],
        i["transcode_queued_40d"],
        i["apply_running_45d"],
        i["scan_60d"],
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--type", "transcode", "--status", "queued"], ["transcode_queued_40d"]),
        (["--status", "failed", "--type", "apply", "--since", "1w"], ["apply_2d"]),
        (["--status", "failed", "--since", "1d"], []),
        (["--type", "scan", "--since", "90m", "--limit", "2"], ["shared_1", "shared_2"]),
        (["--since", "1d"], ["shared_1", "shared_2", "many_files", "scan_3h"]),
        (
            ["-s", "completed", "-t", "scan", "-n", "5"],
            ["shared_1", "shared_2", "many_files", "scan_3h", "scan_60d"],
        ),
    ],
)
def test_filters_combine(synthetic: Synthetic, args: list[str], expected: list[str]) -> None:
    assert listed(synthetic.home, *args) == [synthetic.ids[k] for k in expected]


def test_since_accepts_iso_dates_and_times(synthetic: Synthetic) -> None:
    i = synthetic.ids
    week = [i["shared_1"], i["shared_2"], i["many_files"], i["scan_3h"], i["apply_2d"]]
    cutoff = datetime.now(timezone.utc) - timedelta(days=9)
    assert listed(synthetic.home, "--since", cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")) == week
    offset = cutoff.astimezone(timezone(timedelta(hours=-7)))
    assert listed(synthetic.home, "--since", offset.isoformat()) == week
    # A date alone is local midnight (TZ given so the day boundary is known).
    zone = ZoneInfo("Pacific/Auckland")
    day = (datetime.now(zone) - timedelta(days=9)).date()
    result = ok_json(
        synthetic.home, "jobs", "list", "--since", day.isoformat(), env={"TZ": "Pacific/Auckland"}
    )
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    assert all(parse_iso(j["created_at"]) >= midnight for j in result)
    assert [j["id"] for j in result] == week  # 9-10 days ago is before; 2 days ago after


def test_since_far_in_the_past_lists_everything(synthetic: Synthetic) -> None:
    everything = listed(synthetic.home)
    for since in ("0999-01-01", "0001-01-01T00:00:00+05:00"):  # (the rest: tests/unit/test_since.py)
        assert listed(synthetic.home, "--since", since) == everything, since


def test_json_durations_and_timestamps_of_finished_queued_and_running_jobs(synthetic: Synthetic) -> None:
    jobs = {j["id"]: j for j in ok_json(synthetic.home, "jobs", "list")}
    i = synthetic.ids
    assert jobs[i["scan_3h"]]["duration_seconds"] == pytest.approx(120, abs=0.01)
    queued = jobs[i["transcode_queued_40d"]]
    assert (queued["status"], queued["started_at"], queued["finished_at"], queued["duration_seconds"]) == (
        "queued",
        None,
        None,
        None,
    )
    running = jobs[i["apply_running_45d"]]
    assert running["status"] == "running" and running["finished_at"] is None
    assert running["duration_seconds"] == pytest.approx(45 * 86400, rel=0.001)  # so far
    for job in jobs.values():
        for key in ("created_at", "started_at", "finished_at"):
            assert job[key] is None or ISO_Z.match(job[key]), (key, job)


def test_text_durations(synthetic: Synthetic) -> None:
    result = run(synthetic.home, "jobs", "list", "--type", "apply")
    assert result.code == 0, result
    rows = {r[0]: r for r in table_rows(result.stdout)[1:]}
    assert rows[synthetic.ids["apply_2d"][:8]][4] == "1h02m"  # 3725 s
    assert rows[synthetic.ids["apply_2d"][:8]][1:3] == ["apply", "failed"]
    assert rows[synthetic.ids["apply_running_45d"][:8]][2] == "running"


def test_ambiguous_prefix_lists_every_candidate(synthetic: Synthetic) -> None:
    full = [SHARED + "1", SHARED + "2"]
    for prefix in ("abcd", SHARED):
        line = usage_error(run(synthetic.home, "jobs", "show", prefix))
        assert "matches 2 jobs" in line, line
        for job_id in full:
            assert job_id in line, line  # whole ids: the shared part is longer than 13 characters
    doc = json_error(run(synthetic.home, "jobs", "show", SHARED[:20], "--json"), "JOB_ID_AMBIGUOUS")
    assert sorted(doc["details"]["candidates"]) == full, doc
    assert show(synthetic.home, SHARED + "2")["id"] == SHARED + "2"


def test_show_failed_apply_error_in_text_and_json(synthetic: Synthetic) -> None:
    job_id = synthetic.ids["apply_2d"]
    doc = show(synthetic.home, job_id)
    assert doc["type"] == "apply" and doc["status"] == "failed"
    assert doc["error"] == {
        "message": "mkvpropedit exited with status 2",
        "traceback": "Traceback (most recent call last):\n  ...\n"
        "vpo.errors.ToolError: mkvpropedit exited with status 2\n",
        "context": {"file": "/media/movies/a.mkv"},
    }
    assert doc["duration_seconds"] == pytest.approx(3725, abs=0.01)
    text = run(synthetic.home, "jobs", "show", job_id[:10])
    assert text.code == 0, text
    assert "Error:     mkvpropedit exited with status 2" in text.stdout
    assert '"file": "/media/movies/a.mkv"' in text.stdout
    assert "vpo.errors.ToolError" in text.stdout
    assert "Duration:  1h02m" in text.stdout


def test_show_caps_files_in_text_but_not_in_json(synthetic: Synthetic) -> None:
    job_id = synthetic.ids["many_files"]
    doc = show(synthetic.home, job_id)
    assert [f["path"] for f in doc["files"]] == [f"/media/movies/f{i:03d}.mkv" for i in range(60)]
    text = run(synthetic.home, "jobs", "show", job_id)
    assert text.code == 0, text
    listed_paths = re.findall(r"^\s+added\s+(/media/movies/f\d+\.mkv)", text.stdout, re.M)
    assert 0 < len(listed_paths) < 60, text
    assert listed_paths == [f"/media/movies/f{i:03d}.mkv" for i in range(len(listed_paths))]
    assert f"{60 - len(listed_paths)} more" in text.stdout
    assert "Files:     60" in text.stdout
    every = run(synthetic.home, "jobs", "show", job_id, "--all")
    assert len(re.findall(r"^\s+added\s+/media/", every.stdout, re.M)) == 60, every


def test_live_running_job_is_left_running(synthetic: Synthetic) -> None:
    # This process is alive and the job's heartbeat is fresh: every command above left it alone.
    assert listed(synthetic.home, "--status", "running") == [synthetic.ids["apply_running_45d"]]


@pytest.mark.parametrize(
    ("args", "json_too"),
    [
        (["jobs", "list", "--status", "done"], True),
        (["jobs", "list", "--type", "remux"], False),
        (["jobs", "list", "--since", "yesterday"], True),
        (["jobs", "list", "--since", "-1h"], False),
        (["jobs", "list", "--limit", "0"], False),
        (["jobs", "purge", "--older-than", "-1"], False),
    ],
)
def test_invalid_options_are_usage_errors(synthetic: Synthetic, args: list[str], json_too: bool) -> None:
    line = usage_error(run(synthetic.home, *args))
    accepted = {
        "--status": ["queued", "running", "completed", "failed", "cancelled"],
        "--type": ["scan", "apply", "transcode"],
        "--since": ["2h", "1d", "1w", "ISO-8601"],
    }.get(args[2], [])
    for word in accepted:
        assert word in line, (word, line)
    if json_too:
        json_error(run(synthetic.home, *args, "--json"), "USAGE")


def test_completion_offers_job_ids_statuses_and_types(synthetic: Synthetic) -> None:
    def complete(words: str) -> list[str]:
        env = {
            "_VPO_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        result = run(synthetic.home, env=env)
        assert result.code == 0, result
        return result.stdout.split()

    assert complete("vpo jobs show abcd") == [SHARED + "1", SHARED + "2"]
    assert set(complete("vpo jobs show ")) == set(synthetic.ids.values())
    assert complete("vpo jobs list --status c") == ["completed", "cancelled"]
    assert complete("vpo jobs list --type tr") == ["transcode"]


def test_completion_never_creates_a_library(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(
        home, env={"_VPO_COMPLETE": "complete_bash", "COMP_WORDS": "vpo jobs show ab", "COMP_CWORD": "3"}
    )
    assert result.code == 0 and result.stdout.strip() == "", result
    assert not (home / "library.db").exists()


# --------------------------------------------------------------------------- abandoned jobs


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


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 real videos: a one-worker scan of them takes a few seconds."""
    root = media.make_bulk_library(tmp_path_factory.mktemp("jobs-bulk") / "lib", count=300)
    age_tree(root)
    return root


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


# --------------------------------------------------------------------------- purge


@pytest.fixture(scope="module")
def aged_template(
    corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, str]]:
    """A home with one real scan made 60 days old, plus old and recent jobs of every status."""
    base = tmp_path_factory.mktemp("jobs-aged")
    home = base / "home"
    lib = tiny_library(corpus, base / "lib")
    first = run(home, "scan", "--json", lib)
    assert first.code == 0, first
    scan_id = first.json()["job_id"]
    assert job_file_count(home, scan_id) == 2
    age_job(home, scan_id, 60)
    ids = {
        "scan_60d": scan_id,
        "failed_50d": insert(
            home,
            Job("apply", "failed", timedelta(days=50), error=("boom", "Traceback...", None)),
            [(None, b"/media/x.mkv", "error", {"error": "boom"})],
        ),
        "cancelled_31d": insert(home, Job("transcode", "cancelled", timedelta(days=31))),
        "queued_90d": insert(
            home, Job("transcode", "queued", timedelta(days=90)), [(None, b"/media/y.mkv", "queued", None)]
        ),
        "running_40d": insert(
            home,
            Job("apply", "running", timedelta(days=40), pid=os.getpid(), heartbeat_age=timedelta(seconds=1)),
        ),
        "completed_29d": insert(
            home, Job("scan", "completed", timedelta(days=29)), [(None, b"/media/z.mkv", "added", None)]
        ),
        "completed_2d": insert(home, Job("scan", "completed", timedelta(days=2))),
    }
    return home, lib, ids


@pytest.fixture
def aged(
    aged_template: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> tuple[Path, Path, dict[str, str]]:
    """A private copy of the template home (the library itself is only ever read)."""
    template, lib, ids = aged_template
    home = tmp_path / "home"
    engine.copy_home(template, home)
    conn = db(home)  # the running job is still beating
    try:
        conn.execute(
            "UPDATE jobs SET heartbeat_at = ? WHERE id = ?",
            (iso(datetime.now(timezone.utc)), ids["running_40d"]),
        )
    finally:
        conn.close()
    return home, lib, ids


OLD_FINISHED = ("scan_60d", "failed_50d", "cancelled_31d")


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
