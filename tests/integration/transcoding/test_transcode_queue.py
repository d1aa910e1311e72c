"""`vpo transcode` and `vpo jobs run`: queueing and running end to end, skips with the reason, the policy's defaults, bad targets, limits.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo
from integration.transcoding.helpers import (
    FULL,
    Lib,
    brief,
    ffprobe,
    layout,
    temp_files,
    transcoded_rows,
)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("movie.mkv", {**FULL, "attachments": ["font.ttf"]}),
        ("clip.mp4", FULL),
    ],
)
def test_queue_and_run_transcode_to_hevc_keeping_every_stream(
    make_lib: Callable[..., Lib], name: str, kwargs: dict[str, Any]
) -> None:
    lib = make_lib(**{name: kwargs})
    path = lib.path(name)
    original = path.read_bytes()
    before = layout(path)

    [job_id] = lib.queue(path)
    assert lib.status(job_id) == "queued"
    run = lib.ok("jobs", "run")
    assert run == {
        "jobs": [{"id": job_id, "status": "completed", "error": None, "kept_bytes": len(original)}],
        "stopped_by": "queue empty",
        "kept_bytes": len(original),  # the summary says what the kept originals hold
    }

    probe = ffprobe(path)
    video = [s for s in probe["streams"] if s["codec_type"] == "video"]
    assert [v["codec_name"] for v in video] == ["hevc"]
    if name.endswith(".mp4"):
        assert video[0]["codec_tag_string"] == "hvc1"
    assert layout(path) == before  # every other stream copied, with its language, title, flags
    assert abs(float(probe["format"]["duration"]) - 1.0) < 0.5

    kept = path.with_name(name + ".vpo-original")
    assert kept.read_bytes() == original  # the original is kept by default, byte for byte
    assert temp_files(lib.root) == []

    job = lib.job(job_id)
    assert job["status"] == "completed" and job["progress"] == 1.0 and job["error"] is None
    assert job["summary"]["codec_before"] == "h264" and job["summary"]["codec_after"] == "hevc"
    assert job["summary"]["original"] == str(kept)
    assert [f["outcome"] for f in job["files"]] == ["queued", "transcoded"]


@pytest.mark.engines
def test_catalogue_follows_the_transcode(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    [job_id] = lib.queue(path)
    lib.ok("jobs", "run")

    size, codec = lib.query(
        "SELECT f.size, t.codec FROM files f JOIN tracks t ON t.file_id = f.id "
        "WHERE f.path = ? AND t.type = 'video'",
        os.fsencode(path),
    )[0]
    assert codec == "hevc"
    assert size == path.stat().st_size
    audit = lib.ok("jobs", "list", "--file", path)
    assert [(j["id"], j["type"], j["status"]) for j in audit if j["type"] == "transcode"] == [
        (job_id, "transcode", "completed")
    ]
    # The kept original has no video extension: a rescan never catalogues it.
    rescan = lib.ok("scan", lib.root)
    assert rescan["counts"]["added"] == 0 and rescan["counts"]["errors"] == 0, rescan
    assert lib.query("SELECT count(*) FROM files")[0][0] == 1


def test_policy_can_delete_the_original(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    policy = lib.root.parent / "policy.yaml"
    policy.write_text("schema_version: 1\ntranscode:\n  codec: hevc\n  delete_original: true\n")
    [job_id] = lib.queue("--policy", policy, lib.path("a.mkv"))
    lib.ok("jobs", "run")
    assert sorted(os.listdir(lib.root)) == ["a.mkv"]
    assert ffprobe(lib.path("a.mkv"))["streams"][0]["codec_name"] == "hevc"
    assert lib.job(job_id)["summary"]["original"] is None


def test_dry_run_queues_nothing_and_a_file_is_queued_once(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}, "b.mkv": {"tone": 500}})
    doc = lib.ok("transcode", "--dry-run", lib.root)
    assert doc["dry_run"] is True
    assert sorted((Path(f["path"]).name, f["status"], f["job_id"]) for f in doc["files"]) == [
        ("a.mkv", "planned", None),
        ("b.mkv", "planned", None),
    ]
    text = lib.vpo("transcode", "--dry-run", lib.root)
    assert text.code == 0 and "2 would be queued (dry run)" in text.stdout, text
    assert lib.query("SELECT count(*) FROM jobs WHERE type = 'transcode'")[0][0] == 0

    [_first] = lib.queue(lib.path("a.mkv"))
    again = lib.ok("transcode", lib.root)
    assert sorted((Path(f["path"]).name, f["status"], f["reason"]) for f in again["files"]) == [
        ("a.mkv", "skipped", "a transcode of this file is already queued or running"),
        ("b.mkv", "queued", None),
    ]
    assert len(lib.query("SELECT id FROM jobs WHERE type = 'transcode'")) == 2


def test_files_already_in_the_codec_are_skipped_with_the_reason(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"h264.mkv": {}, "vp8.webm": {}})
    doc = lib.ok("transcode", "--codec", "h264", lib.root)
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert (by_name["h264.mkv"]["status"], by_name["h264.mkv"]["reason"]) == ("skipped", "already h264")
    assert (by_name["vp8.webm"]["status"], by_name["vp8.webm"]["reason"]) == (
        "skipped",
        "webm cannot hold h264 (only vp8, vp9, av1)",
    )
    doc = lib.ok("transcode", "--codec", "h264", "--max-resolution", "480p", lib.path("h264.mkv"))
    assert doc["files"][0]["reason"] == "already h264 at 480p or below"
    assert lib.query("SELECT count(*) FROM jobs WHERE type = 'transcode'")[0][0] == 0
    text = lib.vpo("transcode", "--codec", "h264", lib.path("h264.mkv"))
    assert (
        f"SKIPPED  {lib.path('h264.mkv')}\n         h264 64x48\n         skipped: already h264" in text.stdout
    )


def test_policy_gives_defaults_and_flags_win(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    policy = lib.root.parent / "policy.yaml"
    policy.write_text("schema_version: 1\ntranscode:\n  codec: vp9\n  crf: 30\n  max_resolution: 720p\n")
    doc = lib.ok("transcode", "--dry-run", "--policy", policy, lib.path("a.mkv"))
    assert doc["target"] == {
        "codec": "vp9",
        "crf": 30,
        "bitrate": None,
        "max_resolution": "720p",
        "delete_original": False,
    }
    doc = lib.ok(
        "transcode",
        "--dry-run",
        "--policy",
        policy,
        "--codec",
        "hevc",
        "--bitrate",
        "500k",
        lib.path("a.mkv"),
    )
    assert doc["target"] == {
        "codec": "hevc",
        "crf": None,
        "bitrate": "500k",
        "max_resolution": "720p",
        "delete_original": False,
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--codec", "hevc", "--crf", "60"], "crf 60 is out of range for hevc (0-51)"),
        (["--codec", "mpeg2"], "unknown codec 'mpeg2'"),
        (["--max-resolution", "4k"], "unknown max resolution '4k'"),
        (["--bitrate", "lots"], "invalid bitrate 'lots'"),
    ],
)
def test_bad_targets_are_usage_errors_before_anything_is_opened(
    vpo: RunVpo, vpo_home: Path, args: list[str], words: str
) -> None:
    result = vpo("transcode", *args, "/nowhere/a.mkv", "--json")
    assert result.code == 2, result
    error = result.json()
    assert error["code"] == "USAGE" and words in error["message"]
    assert not (vpo_home / "library.db").exists()


def test_uncatalogued_file_fails_and_nothing_is_queued(
    vpo: RunVpo, tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    stranger = make_video(tmp_path / "elsewhere" / "new.mkv")
    result = vpo("transcode", stranger, "--json")
    assert result.code == 1, result
    assert result.json()["files"] == [
        {
            "path": str(stranger),
            "status": "failed",
            "reason": "not in the catalogue; run `vpo scan` first",
            "job_id": None,
            "plan": None,
        }
    ]


def test_limits_stop_claiming(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{f"f{n}.mkv": {} for n in range(3)})
    ids = lib.queue(lib.root)
    assert len(ids) == 3
    assert lib.ok("jobs", "run", "--max-duration", "0") == {
        "jobs": [],
        "stopped_by": "max-duration",
        "kept_bytes": 0,
    }
    assert [lib.status(i) for i in ids] == ["queued"] * 3

    run = lib.ok("jobs", "run", "--max-files", "1")
    assert run["stopped_by"] == "max-files"
    assert brief(run["jobs"]) == [{"id": ids[0], "status": "completed", "error": None}]  # oldest first
    assert [lib.status(i) for i in ids] == ["completed", "queued", "queued"]


def test_bad_end_by_is_a_usage_error(vpo: RunVpo) -> None:
    result = vpo("jobs", "run", "--end-by", "25:99")
    assert result.code == 2 and "invalid --end-by '25:99': expected HH:MM" in result.stderr, result


@pytest.mark.engines
def test_cancel_queued_then_retry_and_only_transcodes(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    original = path.read_bytes()
    [job_id] = lib.queue(path)

    assert lib.ok("jobs", "cancel", job_id[:8]) == {
        "id": job_id,
        "previous_status": "queued",
        "status": "cancelled",
    }
    assert lib.ok("jobs", "run") == {"jobs": [], "stopped_by": "queue empty", "kept_bytes": 0}
    assert lib.status(job_id) == "cancelled"
    assert path.read_bytes() == original
    again = lib.vpo("jobs", "cancel", job_id)
    assert again.code == 2 and "is cancelled" in again.stderr, again

    assert lib.ok("jobs", "retry", job_id) == {"id": job_id, "status": "queued"}
    assert brief(lib.ok("jobs", "run")["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
    assert ffprobe(path)["streams"][0]["codec_name"] == "hevc"
    assert transcoded_rows(lib, job_id) == 1

    done = lib.vpo("jobs", "retry", job_id)
    assert done.code == 2 and "only failed or cancelled jobs can be retried" in done.stderr, done

    # A scan runs in the foreground and never reads its status: no cancel, no retry.
    [scan_id] = [r[0] for r in lib.query("SELECT id FROM jobs WHERE type = 'scan'")]
    for command in ("cancel", "retry"):
        result = lib.vpo("jobs", command, scan_id)
        assert result.code == 2 and "is a scan job" in result.stderr, result
    assert lib.status(scan_id) == "completed"
