"""`vpo apply` on real generated media with the real tools (mkvpropedit, mkvmerge, ffmpeg).

One module-scoped run (`run`) scans a small library, applies a policy, applies it again,
inspects and rescans; most tests read one side of it. Failure paths each get their own
library. Files are compared by bytes, inode and mtime_ns; tracks are read back with ffprobe.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import Result, RunVpo, age_tree
from integration.scanutil import SPEC_ERROR_KEYS, argv, assert_no_traceback, query, run_vpo

SPEC_APPLY_KEYS = {"job_id", "dry_run", "files"}
SPEC_FILE_KEYS = {"path", "status", "actions", "error"}
SPEC_ACTION_KEYS = {"action", "track", "from", "to", "reason"}

POLICY = """\
schema_version: 1
audio_language_preference: [eng, fr]
subtitle_language_preference: [eng]
commentary_patterns: [commentary]
"""

# name -> make_video keywords. What the policy above does to each is in the comments.
LAYOUTS: dict[str, dict[str, Any]] = {
    # eng is first already but not default: flags only, mkvpropedit in place
    "flags.mkv": dict(audio=[("eng", None, False), ("jpn", None, True)], tone=1110),
    # jpn first and default: mkvmerge puts eng first and makes it the default
    "reorder.mkv": dict(
        audio=[("jpn", None, True), ("eng", None, False)],
        subtitles=[("eng", "English", False, False)],
        tone=1120,
    ),
    # not Matroska: ffmpeg stream copy puts eng first
    "reorder.mp4": dict(audio=[("fre", None, True), ("eng", None, False)], tone=1130),
    # a default commentary track goes last and loses the flag
    "commentary.mkv": dict(
        audio=[("eng", "Director's Commentary", True, 1), ("eng", None, False, 2)], tone=1140
    ),
    # fr in the policy matches fre and fra alike (no eng here: French is the main language)
    "fre.mkv": dict(audio=[("spa", None, True), ("fre", None, False)], tone=1150),
    "fra.mkv": dict(audio=[("spa", None, True), ("fra", None, False)], tone=1150),
    # WebM: reordered by ffmpeg's WebM muxer (mkvmerge's WebM mode refuses ffmpeg's WebVTT)
    "reorder.webm": dict(
        audio=[("jpn", None, True), ("eng", "Dub", False)], subtitles=[("eng", None, False, False)], tone=1170
    ),
    # AVI stores no default flags: the plan only moves the commentary last
    "commentary.avi": dict(audio=[("eng", "Commentary", False), ("eng", None, False)], tone=1180),
    # already as the policy wants it: never written
    "compliant.mkv": dict(
        audio=[("eng", None, True), ("jpn", None, False)], subtitles=[("eng", None, False, False)], tone=1160
    ),
}
CHANGED = {
    "flags.mkv",
    "reorder.mkv",
    "reorder.mp4",
    "commentary.mkv",
    "fre.mkv",
    "fra.mkv",
    "reorder.webm",
    "commentary.avi",
}


@dataclass(frozen=True)
class Snap:
    sha: str
    ino: int
    mtime_ns: int
    size: int


def snap(path: Path | bytes) -> Snap:
    with open(path, "rb") as fh:
        data = fh.read()
    st = os.stat(path)
    return Snap(hashlib.sha256(data).hexdigest(), st.st_ino, st.st_mtime_ns, st.st_size)


def listing(folder: Path) -> list[bytes]:
    """Every name in the folder, hidden ones included."""
    return sorted(os.listdir(os.fsencode(folder)))


def audio_of(path: Path | bytes) -> list[tuple[str, str | None, bool]]:
    """(language, title, default) of each audio stream, in file order, read by ffprobe."""
    return [
        (t.language, t.title, t.default)
        for t in media.probe_tracks(Path(os.fsdecode(path)))
        if t.type == "audio"
    ]


def make_library(make_video: Callable[..., Path], root: Path, names: list[str]) -> dict[str, Path]:
    out = {name: make_video(root / name, **LAYOUTS[name]) for name in names}
    age_tree(root)
    return out


def db_tracks(home: Path, path: Path | bytes) -> list[dict[str, Any]]:
    rows = query(
        home,
        "SELECT t.idx, t.type, t.codec, t.language, t.title, t.is_default, t.is_forced, "
        "t.channels, t.width, t.height, t.color_transfer FROM tracks t JOIN files f ON f.id = t.file_id "
        "WHERE f.path = ? ORDER BY t.idx",
        os.fsencode(path),
    )
    keys = (
        "index",
        "type",
        "codec",
        "language",
        "title",
        "default",
        "forced",
        "channels",
        "width",
        "height",
        "color_transfer",
    )
    return [dict(zip(keys, (*r[:5], bool(r[5]), bool(r[6]), *r[7:]))) for r in rows]


def db_file(home: Path, path: Path | bytes) -> dict[str, Any]:
    rows = query(
        home, "SELECT size, mtime_ns, ino, racy, scan_status FROM files WHERE path = ?", os.fsencode(path)
    )
    assert len(rows) == 1, rows
    return dict(zip(("size", "mtime_ns", "ino", "racy", "scan_status"), rows[0]))


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {os.path.basename(f["path"]): f for f in doc["files"]}


# --------------------------------------------------------------------------- the main run


@dataclass
class Run:
    root: Path
    home: Path
    paths: dict[str, Path]
    before: dict[str, Snap]
    first: Result
    after_first: dict[str, Snap]
    listing_after_first: list[bytes]
    db_after_first: dict[str, list[dict[str, Any]]]
    second: Result
    after_second: dict[str, Snap]
    inspected: dict[str, Result]
    rescan: Result
    db_after_rescan: dict[str, list[dict[str, Any]]]
    jobs: dict[str, Result] = field(default_factory=dict)


@pytest.fixture(scope="module")
def run(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("apply")
    root, home = base / "lib", base / "home"
    paths = make_library(make_video, root, list(LAYOUTS))
    policy = base / "policy.yaml"
    policy.write_text(POLICY)
    scanned = run_vpo(home, "scan", root)
    assert scanned.code == 0, scanned
    before = {n: snap(p) for n, p in paths.items()}
    first = run_vpo(home, "--log-level", "debug", "apply", "--policy", policy, "--json", root)
    after_first = {n: snap(p) for n, p in paths.items()}
    listing_after_first = listing(root)
    db_after_first = {n: db_tracks(home, p) for n, p in paths.items()}
    second = run_vpo(home, "apply", "--policy", policy, "--json", root)
    after_second = {n: snap(p) for n, p in paths.items()}
    inspected = {
        n: run_vpo(home, "inspect", "--json", paths[n])
        for n in ("flags.mkv", "reorder.mkv", "reorder.mp4", "fra.mkv", "compliant.mkv")
    }
    rescan = run_vpo(home, "scan", "--json", root)
    db_after_rescan = {n: db_tracks(home, p) for n, p in paths.items()}
    r = Run(
        root,
        home,
        paths,
        before,
        first,
        after_first,
        listing_after_first,
        db_after_first,
        second,
        after_second,
        inspected,
        rescan,
        db_after_rescan,
    )
    r.jobs["list"] = run_vpo(home, "jobs", "list", "--type", "apply", "--json")
    r.jobs["file"] = run_vpo(home, "jobs", "list", "--file", paths["reorder.mkv"], "--json")
    r.jobs["show"] = run_vpo(home, "jobs", "show", first.json()["job_id"], "--json")
    return r


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


IN_PLACE = {"flags.mkv"}  # mkvpropedit: a journal in $VPO_HOME/journal, no copy


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


def method_of(run: Run, name: str) -> str:
    files = {os.path.basename(f["path"]): f for f in run.jobs["show"].json()["files"]}
    return files[name]["details"]["method"]


# --------------------------------------------------------------------------- one library per test


@pytest.fixture
def lib(make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo) -> Callable[..., dict[str, Path]]:
    """`lib(*names)`: those LAYOUTS files in tmp_path/lib, aged and scanned."""

    def build(*names: str) -> dict[str, Path]:
        paths = make_library(make_video, tmp_path / "lib", list(names))
        done = vpo("scan", tmp_path / "lib")
        assert done.code == 0, done
        return paths

    return build


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def write_profile(home: Path, name: str, text: str) -> None:
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "profiles" / f"{name}.yaml").write_text(text)


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


FAKE_MKVMERGE = """#!/bin/sh
# A "mkvmerge" that writes a valid file, but not the one asked for: {what}
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out="$2"; fi
  last="$1"
  shift
done
{action}
"""


@pytest.mark.parametrize("case", ["other-streams", "other-duration", "nothing-reordered"])
def test_a_result_that_fails_verification_is_discarded(
    lib: Any,
    make_video: Callable[..., Path],
    tmp_path: Path,
    vpo: RunVpo,
    vpo_home: Path,
    policy_file: Path,
    case: str,
) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    listed = listing(tmp_path / "lib")
    if case == "other-streams":
        other = make_video(tmp_path / "other.mkv", audio=[("eng", None, True)], tone=1210)
        action, expected = f'cp "{other}" "$out"', "verification failed: expected 4 streams, found 2"
    elif case == "other-duration":  # the very layout the plan asks for, three times as long
        other = make_video(
            tmp_path / "other.mkv",
            audio=[("eng", None, True), ("jpn", None, False)],
            subtitles=[("eng", "English", False, False)],
            duration=3.0,
            tone=1120,
        )
        action, expected = f'cp "{other}" "$out"', "verification failed: duration changed from 1."
    else:  # copies its input: a valid Matroska file in the old order
        action, expected = 'cat "$last" > "$out"', "verification failed: stream 1: expected language 'eng'"
    fake = tmp_path / "fake-mkvmerge"
    fake.write_text(FAKE_MKVMERGE.format(what=case, action=action))
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvmerge: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["reorder.mkv"])
    assert done.code == 1, done
    f = by_name(done.json())["reorder.mkv"]
    assert f["status"] == "failed" and f["error"].startswith(expected), f["error"]
    assert snap(paths["reorder.mkv"]) == before  # bytes, inode, mtime: never replaced
    assert listing(tmp_path / "lib") == listed


@pytest.mark.parametrize("status", [2, 0])
def test_an_in_place_edit_that_damages_the_file_is_undone(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path, status: int
) -> None:
    """A "mkvpropedit" that overwrites the headers of the file it is given, then fails (2)
    or claims success (0): either way the journal puts the original back byte for byte."""
    paths = lib("flags.mkv")
    before = snap(paths["flags.mkv"])
    listed = listing(tmp_path / "lib")
    fake = tmp_path / "fake-mkvpropedit"
    fake.write_text(f'#!/bin/sh\nprintf "not matroska any more" 1<> "$1"\nexit {status}\n')
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvpropedit: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["flags.mkv"])
    assert done.code == 1, done
    error = by_name(done.json())["flags.mkv"]["error"]
    assert error.startswith(
        "fake-mkvpropedit failed (exit 2)" if status else "verification failed: cannot read"
    ), error
    after = snap(paths["flags.mkv"])
    assert (after.sha, after.mtime_ns, after.size) == (before.sha, before.mtime_ns, before.size)
    assert listing(tmp_path / "lib") == listed
    assert list((vpo_home / "journal").iterdir()) == []  # nothing to undo: the journal went


@pytest.mark.parametrize("damage", ["truncate", "append"])
def test_an_in_place_edit_that_touches_more_than_the_headers_fails(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path, damage: str
) -> None:
    """A tool that cuts the file short fails verification ("shrank"); one that only appends
    is undone by truncating to the original length, byte for byte."""
    paths = lib("flags.mkv")
    before = snap(paths["flags.mkv"])
    fake = tmp_path / "fake-mkvpropedit"
    act = 'truncate -s 100 "$1"' if damage == "truncate" else 'printf "tail" >> "$1"'
    fake.write_text(f"#!/bin/sh\n{act}\nexit 0\n")
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvpropedit: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["flags.mkv"])
    assert done.code == 1, done
    error = by_name(done.json())["flags.mkv"]["error"]
    assert error.startswith("verification failed"), error
    if damage == "truncate":
        assert "shrank" in error, error
    else:
        after = snap(paths["flags.mkv"])
        assert (after.sha, after.mtime_ns, after.size) == (before.sha, before.mtime_ns, before.size)


@pytest.mark.engines
def test_a_locked_file_is_not_touched(lib: Any, vpo: RunVpo, policy_file: Path) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    fd = os.open(paths["reorder.mkv"], os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what another `vpo apply` holds while it works
        done = vpo("apply", "--policy", policy_file, "--json", paths["reorder.mkv"])
    finally:
        os.close(fd)
    assert done.code == 1, done
    assert by_name(done.json())["reorder.mkv"]["error"] == "another VPO process is changing this file"
    assert snap(paths["reorder.mkv"]) == before
    again = vpo("apply", "--policy", policy_file, "--json", paths["reorder.mkv"])
    assert again.code == 0 and by_name(again.json())["reorder.mkv"]["status"] == "changed"


@pytest.mark.engines
def test_files_not_yet_scanned_are_reported_and_skipped(
    lib: Any, make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv")
    late = make_video(tmp_path / "lib" / "late.mkv", **LAYOUTS["reorder.mkv"])
    late_before = snap(late)
    done = vpo(
        "apply",
        "--policy",
        policy_file,
        "--json",
        tmp_path / "lib",
        late,
        paths["reorder.mkv"],
    )
    assert done.code == 1, done
    files = done.json()["files"]
    assert [(os.path.basename(f["path"]), f["status"], f["error"]) for f in files] == [
        ("reorder.mkv", "changed", None),  # once, though named twice
        ("late.mkv", "failed", "not in the catalogue; run `vpo scan` first"),  # once, though named twice
    ]
    assert snap(late) == late_before


def test_a_path_that_does_not_exist_exits_2_like_scan(
    lib: Any, tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    gone = tmp_path / "lib" / "gone.mkv"
    for command in (["apply", "--policy", policy_file], ["transcode"]):
        done = vpo(*command, "--json", paths["reorder.mkv"], gone)
        assert done.code == 2, done
        assert done.json()["code"] == "ROOT_NOT_FOUND" and str(gone) in done.json()["message"]
    assert snap(paths["reorder.mkv"]) == before  # nothing was changed before the check


def test_keep_backup_keeps_each_original_and_no_keep_backup_keeps_none(
    lib: Any, tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv", "flags.mkv")
    original = {n: snap(p) for n, p in paths.items()}
    # what a killed apply leaves: its remux output goes, its working backup stays
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale_temp = f".vpo-tmp-{dead.pid}-0badc0de.mkv".encode()
    stale_backup = f".reorder.vpo-original-{dead.pid}.mkv".encode()
    for name in (stale_temp, stale_backup):
        (tmp_path / "lib" / name.decode()).write_bytes(b"left behind")
    done = vpo("apply", "--policy", policy_file, "--no-keep-backup", "--json", tmp_path / "lib")
    assert done.code == 0, done
    assert listing(tmp_path / "lib") == [stale_backup, b"flags.mkv", b"reorder.mkv"]
    os.unlink(tmp_path / "lib" / stale_backup.decode())
    # the other way round, twice: each job keeps the file as it was before it (for its undo)
    reverse = tmp_path / "reverse.yaml"
    reverse.write_text("schema_version: 1\naudio_language_preference: [jpn]\n")
    changed = snap(paths["reorder.mkv"])
    assert vpo("apply", "--policy", reverse, "--keep-backup", paths["reorder.mkv"]).code == 0
    reversed_ = snap(paths["reorder.mkv"])
    assert vpo("apply", "--policy", policy_file, "--keep-backup", paths["reorder.mkv"]).code == 0
    kept = os.fsencode(paths["reorder.mkv"]) + b".vpo-original"
    assert snap(kept).sha == changed.sha != original["reorder.mkv"].sha
    assert snap(kept + b".2").sha == reversed_.sha
    assert audio_of(paths["reorder.mkv"]) == [("eng", None, True), ("jpn", None, False)]
    assert listing(tmp_path / "lib") == [
        b"flags.mkv",
        b"reorder.mkv",
        b"reorder.mkv.vpo-original",
        b"reorder.mkv.vpo-original.2",
    ]


def test_non_utf8_dash_and_space_names_are_applied(
    library: media.Corpus, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, tmp_path: Path
) -> None:
    assert vpo("scan", library.root).code == 1  # the corpus has three broken files
    policy = tmp_path / "jpn.yaml"
    policy.write_text("schema_version: 1\naudio_language_preference: [ja]\n")
    raw = os.fsencode(library.by_name(media.NON_UTF8_NAME).path)
    targets = [raw, "sub dir/with space.mkv", "--", "-starts-with-dash.mkv"]
    env = {**vpo_env, "LC_ALL": "C", "LANG": "C"}  # mkvtoolnix would mangle these names in the C locale
    done = subprocess.run(
        argv("apply", "--policy", policy, "--json", *targets),
        cwd=library.root,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    doc = json.loads(done.stdout)
    assert [os.fsencode(f["path"]) for f in doc["files"]] == [
        raw,
        os.fsencode(library.root / "sub dir/with space.mkv"),
        os.fsencode(library.root / "-starts-with-dash.mkv"),
    ]
    assert [f["status"] for f in doc["files"]] == ["changed"] * 3
    assert b"\\udce9" in done.stdout  # the raw byte travels as a surrogate escape
    for name in (media.NON_UTF8_NAME, "sub dir/with space.mkv", "-starts-with-dash.mkv"):
        path = library.by_name(name).path
        assert audio_of(path) == [
            ("jpn", None, True),
            ("eng", None, False),
            ("eng", "Director's Commentary", False),
        ], name
        assert db_tracks(vpo_home, path) == vpo("inspect", "--json", path).json()["tracks"]
    assert sorted(n for n in listing(library.root) if n.startswith(b".") and n != b".hidden") == []
    # the raw bytes are accepted back on the command line, and the file now complies
    again = vpo("apply", "--policy", policy, "--json", raw)
    assert again.code == 0 and again.json()["files"][0]["status"] == "unchanged"


def test_policy_problems_exit_2_before_any_work(tmp_path: Path, vpo: RunVpo, corpus: media.Corpus) -> None:
    target = corpus.by_name("movie.mkv").path  # never scanned, never touched
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\ntrack_ordr: [video]\n")
    done = vpo("apply", "--policy", bad, "--json", target)
    assert done.code == 2, done
    err = done.json()
    assert err["code"] == "POLICY_INVALID" and err["message"].startswith(f"{bad}:2: track_ordr: unknown key")
    missing = vpo("apply", "--policy", tmp_path / "nope.yaml", "--json", target)
    assert missing.code == 2 and missing.json()["code"] == "POLICY_NOT_FOUND"
    none = vpo("apply", "--json", target)
    assert none.code == 2 and none.json()["code"] == "USAGE" and "--policy" in none.json()["message"]
    for r in (done, missing, none):
        assert_no_traceback(r)
