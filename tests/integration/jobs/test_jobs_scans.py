"""`vpo jobs list|show` of real scans: keys, timestamps, filters, prefixes, a file's history across renames.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from integration.jobs.helpers import (
    HEADER,
    ISO_Z,
    LIST_KEYS,
    SHOW_KEYS,
    History,
    json_error,
    listed,
    ok_json,
    parse_iso,
    run,
    show,
    table_rows,
    usage_error,
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
