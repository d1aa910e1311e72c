"""`vpo jobs list|show` over an inserted history: order, filters, --since, durations, errors, completion.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.jobs.helpers import (
    ISO_Z,
    SHARED,
    Synthetic,
    json_error,
    listed,
    ok_json,
    parse_iso,
    run,
    show,
    table_rows,
    usage_error,
)


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
