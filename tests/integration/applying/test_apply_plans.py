"""`vpo apply`: plans, dry runs and the changes each tool makes, read back from the files.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import media
from integration.applying.helpers import (
    CHANGED,
    IN_PLACE,
    LAYOUTS,
    SPEC_ACTION_KEYS,
    SPEC_APPLY_KEYS,
    SPEC_FILE_KEYS,
    Run,
    audio_of,
    by_name,
    db_file,
    db_tracks,
    listing,
    method_of,
    snap,
    write_profile,
)
from integration.conftest import RunVpo
from integration.scanutil import SPEC_ERROR_KEYS, assert_no_traceback


def test_first_apply_exits_0_with_one_clean_json_document(run: Run) -> None:
    assert run.first.code == 0, run.first
    assert_no_traceback(run.first)
    doc = run.first.json()
    assert set(doc) >= SPEC_APPLY_KEYS
    assert doc["dry_run"] is False
    assert len(doc["job_id"]) == 36 and doc["job_id"].count("-") == 4
    for f in doc["files"]:
        assert set(f) >= SPEC_FILE_KEYS, f
        assert f["status"] in ("planned", "changed", "unchanged", "failed")
        assert f["error"] is None
        for a in f["actions"]:
            assert set(a) >= SPEC_ACTION_KEYS, a
            assert a["action"] in ("reorder", "set_default", "clear_default")
            assert a["reason"]


def test_each_file_gets_the_status_its_layout_calls_for(run: Run) -> None:
    files = by_name(run.first.json())
    assert set(files) == set(LAYOUTS)
    assert {n for n, f in files.items() if f["status"] == "changed"} == CHANGED
    assert files["compliant.mkv"]["status"] == "unchanged" and files["compliant.mkv"]["actions"] == []


def test_flag_only_change_on_matroska_is_made_in_place(run: Run) -> None:
    assert audio_of(run.paths["flags.mkv"]) == [("eng", None, True), ("jpn", None, False)]
    # in place: mkvpropedit rewrites header bytes of the file itself (same inode, no remux)
    assert run.after_first["flags.mkv"].ino == run.before["flags.mkv"].ino
    assert run.after_first["flags.mkv"].sha != run.before["flags.mkv"].sha
    actions = by_name(run.first.json())["flags.mkv"]["actions"]
    assert [(a["action"], a["track"], a["from"], a["to"]) for a in actions] == [
        ("set_default", 1, False, True),
        ("clear_default", 2, True, False),
    ]
    assert method_of(run, "flags.mkv") == "mkvpropedit"


def test_reorder_on_matroska_is_a_mkvmerge_remux(run: Run) -> None:
    assert audio_of(run.paths["reorder.mkv"]) == [("eng", None, True), ("jpn", None, False)]
    subs = [t for t in media.probe_tracks(run.paths["reorder.mkv"]) if t.type == "subtitle"]
    assert [(s.language, s.title, s.default) for s in subs] == [("eng", "English", False)]
    reorder = by_name(run.first.json())["reorder.mkv"]["actions"][0]
    assert (reorder["action"], reorder["track"], reorder["from"], reorder["to"]) == (
        "reorder",
        None,
        [0, 1, 2, 3],
        [0, 2, 1, 3],
    )
    assert method_of(run, "reorder.mkv") == "mkvmerge"
    # a new file took the old one's place, with a new mtime (backup tools must see the change)
    assert run.after_first["reorder.mkv"].ino != run.before["reorder.mkv"].ino
    assert run.after_first["reorder.mkv"].mtime_ns > run.before["reorder.mkv"].mtime_ns


def test_mp4_is_reordered_with_an_ffmpeg_stream_copy(run: Run) -> None:
    tracks = media.probe_tracks(run.paths["reorder.mp4"])
    assert [(t.type, t.codec) for t in tracks] == [("video", "h264"), ("audio", "aac"), ("audio", "aac")]
    assert audio_of(run.paths["reorder.mp4"]) == [("eng", None, True), ("fre", None, False)]
    assert media.ffprobe(run.paths["reorder.mp4"])["format"]["format_name"].startswith("mov,mp4")
    assert method_of(run, "reorder.mp4") == "ffmpeg"


def test_webm_is_reordered_with_ffmpeg_and_stays_webm(run: Run) -> None:
    assert audio_of(run.paths["reorder.webm"]) == [("eng", "Dub", True), ("jpn", None, False)]
    tracks = media.probe_tracks(run.paths["reorder.webm"])
    assert [t.codec for t in tracks] == ["vp8", "opus", "opus", "webvtt"]
    assert method_of(run, "reorder.webm") == "ffmpeg"


def test_avi_gets_its_order_but_no_default_flags_it_could_not_store(run: Run) -> None:
    assert audio_of(run.paths["commentary.avi"]) == [("und", None, False), ("und", "Commentary", False)]
    actions = by_name(run.first.json())["commentary.avi"]["actions"]
    assert [a["action"] for a in actions] == ["reorder"]
    assert method_of(run, "commentary.avi") == "ffmpeg"


def test_commentary_found_by_title_goes_last_without_the_default(run: Run) -> None:
    assert audio_of(run.paths["commentary.mkv"]) == [
        ("eng", None, True),
        ("eng", "Director's Commentary", False),
    ]
    reasons = [a["reason"] for a in by_name(run.first.json())["commentary.mkv"]["actions"]]
    assert any(r.startswith("track 1 is audio_commentary: title matches 'commentary'") for r in reasons), (
        reasons
    )


@pytest.mark.parametrize("name,tag", [("fre.mkv", "fre"), ("fra.mkv", "fra")])
def test_two_letter_code_in_the_policy_matches_both_three_letter_codes(run: Run, name: str, tag: str) -> None:
    # mkvmerge writes ISO 639-2/B codes: fra comes back as fre, the same language
    assert audio_of(run.paths[name]) == [("fre", None, True), ("spa", None, False)]
    reasons = " ".join(a["reason"] for a in by_name(run.first.json())[name]["actions"])
    assert f"language {tag} is audio preference #2" in reasons


def test_compliant_file_is_never_written(run: Run) -> None:
    assert run.after_first["compliant.mkv"] == run.before["compliant.mkv"]


def test_kept_originals_hold_the_originals_and_no_temporary_file_is_left(run: Run) -> None:
    for name in CHANGED - IN_PLACE:
        kept = os.fsencode(run.paths[name]) + b".vpo-original"
        assert snap(kept).sha == run.before[name].sha, name
    names = set(run.listing_after_first)
    assert names == {n.encode() for n in LAYOUTS} | {f"{n}.vpo-original".encode() for n in CHANGED - IN_PLACE}


def test_an_in_place_edit_keeps_a_journal_not_a_copy(run: Run) -> None:
    files = by_name(run.first.json())
    journals = sorted((run.home / "journal").iterdir())
    assert [j.name.startswith("undo-") and j.name.endswith(".vpoj") for j in journals] == [True]
    size = journals[0].stat().st_size
    assert files["flags.mkv"]["kept_bytes"] == size < run.before["flags.mkv"].size / 2
    assert run.after_first["flags.mkv"].ino == run.before["flags.mkv"].ino  # edited in place
    kept = sum(f["kept_bytes"] for f in files.values())
    assert run.first.json()["kept_bytes"] == kept


def test_second_apply_writes_nothing_and_says_so(run: Run) -> None:
    assert run.second.code == 0, run.second
    files = by_name(run.second.json())
    assert {n: f["status"] for n, f in files.items()} == dict.fromkeys(LAYOUTS, "unchanged")
    assert all(f["actions"] == [] for f in files.values())
    assert run.after_second == run.after_first  # bytes, inode and mtime_ns of every file


def test_the_database_is_updated_without_a_rescan_and_equals_a_fresh_inspect(run: Run) -> None:
    for name, inspected in run.inspected.items():
        path = run.paths[name]
        assert inspected.code == 0, inspected
        assert run.db_after_first[name] == inspected.json()["tracks"], name
        row = db_file(run.home, path)
        st = os.stat(path)
        assert (row["size"], row["mtime_ns"], row["ino"]) == (st.st_size, st.st_mtime_ns, st.st_ino), name


def test_a_scan_after_apply_changes_nothing_but_re_probes_the_fresh_files(run: Run) -> None:
    """Observed: apply stores the rewritten file with racy=1 (it was written a moment ago),
    so the next scan probes each changed file once more ("scanned"), finds the same tracks
    and adds, moves or removes nothing. Unchanged files are skipped."""
    assert run.rescan.code == 0, run.rescan
    counts = run.rescan.json()["counts"]
    assert counts["discovered"] == len(LAYOUTS)
    assert (counts["added"], counts["moved"], counts["removed"], counts["errors"]) == (0, 0, 0, 0)
    assert counts["scanned"] <= len(CHANGED)
    assert counts["skipped"] >= len(LAYOUTS) - len(CHANGED)
    assert run.db_after_rescan == run.db_after_first


def test_tool_command_lines_and_output_are_logged_at_debug_on_stderr(run: Run) -> None:
    err = run.first.stderr
    assert "running mkvpropedit /dev/fd/" in err
    assert "running mkvmerge --quiet" in err
    assert "running ffmpeg -nostdin" in err and "file:" + str(run.paths["reorder.mp4"]) in err
    assert "mkvpropedit output:" in err


def test_the_apply_job_records_policy_before_after_and_outcome(run: Run) -> None:
    show = run.jobs["show"]
    assert show.code == 0, show
    job = show.json()
    assert job["type"] == "apply" and job["status"] == "completed"
    assert job["policy"]["audio_language_preference"] == ["eng", "fr"]
    assert job["policy"]["path"].endswith("policy.yaml")
    files = {os.path.basename(f["path"]): f for f in job["files"]}
    assert set(files) == CHANGED  # unchanged files are not listed on the job
    assert all(f["outcome"] == "applied" for f in files.values())
    details = files["reorder.mkv"]["details"]
    assert [t["language"] for t in details["before"] if t["type"] == "audio"] == ["jpn", "eng"]
    assert [t["language"] for t in details["after"] if t["type"] == "audio"] == ["eng", "jpn"]
    assert details["actions"] == by_name(run.first.json())["reorder.mkv"]["actions"]


def test_apply_jobs_are_listed_by_type_and_by_file(run: Run) -> None:
    first_id, second_id = run.first.json()["job_id"], run.second.json()["job_id"]
    listed = run.jobs["list"].json()
    assert [j["id"] for j in listed] == [second_id, first_id]  # newest first
    assert all(j["type"] == "apply" and j["status"] == "completed" for j in listed)
    for_file = [j["id"] for j in run.jobs["file"].json()]
    assert first_id in for_file  # it changed the file
    assert second_id not in for_file  # it left the file alone


@pytest.mark.engines
def test_dry_run_shows_the_plan_and_changes_nothing(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path
) -> None:
    paths = lib("flags.mkv", "reorder.mkv", "reorder.mp4")
    before = {n: snap(p) for n, p in paths.items()}
    listed = listing(tmp_path / "lib")
    write_profile(vpo_home, "movies", f"name: movies\ndefault_policy: {policy_file}\n")
    done = vpo("apply", "--profile", "movies", "--dry-run", "--json", tmp_path / "lib")
    assert done.code == 0, done
    doc = done.json()
    assert doc["dry_run"] is True and doc["job_id"] is None
    assert {n: f["status"] for n, f in by_name(doc).items()} == dict.fromkeys(paths, "planned")
    assert all(f["actions"] for f in doc["files"])
    assert {n: snap(p) for n, p in paths.items()} == before
    assert listing(tmp_path / "lib") == listed
    assert vpo("jobs", "list", "--type", "apply", "--json").json() == []
    text = vpo("apply", "--policy", policy_file, "--dry-run", paths["reorder.mkv"])
    assert text.code == 0 and "PLANNED" in text.stdout and "dry run: nothing changed" in text.stdout
    assert "reorder tracks: [0, 1, 2, 3] -> [0, 2, 1, 3]" in text.stdout
    assert snap(paths["reorder.mkv"]) == before["reorder.mkv"]


def test_a_tool_path_that_does_not_exist_stops_before_any_work(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path
) -> None:
    paths = lib("flags.mkv", "reorder.mp4")
    before = {n: snap(p) for n, p in paths.items()}
    listed = listing(tmp_path / "lib")
    write_profile(vpo_home, "broken", "name: broken\ntools:\n  mkvpropedit: /nonexistent/bin/mkvpropedit\n")
    done = vpo("apply", "--profile", "broken", "--policy", policy_file, "--json", tmp_path / "lib")
    assert done.code == 2, done
    assert_no_traceback(done)
    err = done.json()
    assert set(err) >= SPEC_ERROR_KEYS and err["error"] is True and err["code"] == "TOOL_FAILED"
    assert "mkvpropedit" in err["message"] and "/nonexistent/bin/mkvpropedit" in err["message"]
    assert {n: snap(p) for n, p in paths.items()} == before  # the mp4 was not done either
    assert listing(tmp_path / "lib") == listed
    assert vpo("jobs", "list", "--type", "apply", "--json").json() == []
    # only the tools a plan needs are required: the mp4 alone needs ffmpeg, not mkvpropedit
    mp4 = vpo("apply", "--profile", "broken", "--policy", policy_file, "--json", paths["reorder.mp4"])
    assert mp4.code == 0, mp4
    assert by_name(mp4.json())["reorder.mp4"]["status"] == "changed"


def test_tools_that_fail_leave_every_original_byte_for_byte(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path
) -> None:
    """Each of the three executors fails (`/bin/false` exists and exits 1): every file is
    reported failed, left as it was, and nothing is left behind, backup or temporary."""
    methods = {"flags.mkv": "mkvpropedit", "reorder.mkv": "mkvmerge", "reorder.mp4": "ffmpeg"}
    paths = lib(*methods, "compliant.mkv")
    before = {n: snap(p) for n, p in paths.items()}
    listed = listing(tmp_path / "lib")
    tools = "".join(f"  {tool}: /bin/false\n" for tool in methods.values())
    write_profile(vpo_home, "failing", f"name: failing\ntools:\n{tools}")
    for keep in ("--keep-backup", "--no-keep-backup"):
        done = vpo("apply", "--profile", "failing", "--policy", policy_file, keep, "--json", tmp_path / "lib")
        assert done.code == 1, done
        assert_no_traceback(done)
        files = by_name(done.json())
        assert {n: f["status"] for n, f in files.items()} == {
            **dict.fromkeys(methods, "failed"),
            "compliant.mkv": "unchanged",
        }
        for name in methods:
            assert files[name]["error"].startswith("false failed (exit 1)"), files[name]
            assert files[name]["actions"]  # the plan that was attempted
        # bytes, mtime_ns and inode: no executor ever writes to the original
        after = {n: snap(p) for n, p in paths.items()}
        assert {n: (a.sha, a.mtime_ns) for n, a in after.items()} == {
            n: (b.sha, b.mtime_ns) for n, b in before.items()
        }
        assert {n: a.ino for n, a in after.items()} == {n: b.ino for n, b in before.items()}
        assert listing(tmp_path / "lib") == listed  # no temporary file, no backup of a failure
        for name in methods:
            row = db_file(vpo_home, paths[name])
            assert (row["size"], row["mtime_ns"]) == (before[name].size, before[name].mtime_ns)
        job = vpo("jobs", "show", done.json()["job_id"], "--json").json()
        assert job["status"] == "completed" and job["summary"]["failed"] == 3
        recorded = {os.path.basename(x["path"]): x for x in job["files"]}
        assert {n: x["outcome"] for n, x in recorded.items()} == dict.fromkeys(methods, "error")
        for name, method in methods.items():
            details = recorded[name]["details"]
            assert details["method"] == method and details["error"].startswith("false failed")
            assert details["before"] == db_tracks(vpo_home, paths[name])
