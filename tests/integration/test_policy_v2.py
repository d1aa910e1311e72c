"""Schema 2 policies through the real CLI on generated media, each result read back with
`mkvmerge -J` (SPEC 13): kept tracks, labels, containers, rules, and that a second apply
and a dry run change nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.applying.helpers import by_name, snap
from integration.conftest import RunVpo
from integration.scanutil import query, run_vpo
from integration.v2media import (
    KEEP_ORIGINAL_AND_ENGLISH,
    attachments,
    build,
    make_timecode_mp4,
    mkv_tracks,
    scan,
)

MakeVideo = Callable[..., Path]


def policy(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def file_id(home: Path, path: Path) -> int | None:
    rows = query(home, "SELECT id FROM files WHERE path = ?", os.fsencode(path))
    return rows[0][0] if rows else None


@pytest.fixture(scope="module")
def applied(make_video: MakeVideo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole v2 library, a dry run, an apply with the "keep original + English" policy
    (originals not kept), and a second apply."""
    base = tmp_path_factory.mktemp("v2")
    root, home = base / "lib", base / "home"
    paths = build(make_video, root)
    scan(home, root)
    ids = {n: file_id(home, p) for n, p in paths.items()}
    rules = policy(base, KEEP_ORIGINAL_AND_ENGLISH)
    before = {n: snap(p) for n, p in paths.items()}
    dry = run_vpo(home, "apply", "--policy", rules, "--dry-run", "--json", root)
    dry_text = run_vpo(home, "apply", "--policy", rules, "--dry-run", root)
    after_dry = {n: snap(p) for n, p in paths.items()}
    first = run_vpo(home, "apply", "--policy", rules, "--no-keep-backup", "--json", root)
    second = run_vpo(home, "apply", "--policy", rules, "--json", root)
    return dict(
        root=root, home=home, paths=paths, ids=ids, before=before, dry=dry, dry_text=dry_text,
        after_dry=after_dry, first=first, second=second,
    )  # fmt: skip


def test_dry_run_changes_nothing_and_shows_tracks_before_and_after(applied: dict[str, Any]) -> None:
    assert applied["dry"].code == 0, applied["dry"]
    assert applied["after_dry"] == applied["before"]
    doc = applied["dry"].json()
    files = by_name(doc)
    kinds = {a["kind"] for f in files.values() for a in f["actions"]}
    assert {"removed", "labels", "container", "order", "flags"} <= kinds
    for f in files.values():
        assert {"path", "status", "actions", "error"} <= set(f)
        assert all({"action", "track", "from", "to", "reason"} <= set(a) for a in f["actions"])
    five = files["five.mkv"]
    assert five["original_language"] == {
        "code": "ger",
        "source": "the first audio track (track 1) as catalogued",
    }
    removed = {a["track"]: a["reason"] for a in five["actions"] if a["action"] == "remove"}
    assert set(removed) == {3, 4, 6, 8, 10, 11}
    assert (
        removed[3]
        == "remove track 3: audio language fre is not kept (keep.audio.languages: original=ger, eng)"
    )
    assert doc["totals"] == {"files_changed": 6, "tracks_removed": 10, "bytes_saved": 0}
    text = applied["dry_text"].stdout
    assert "REMOVED" in text and "NEW#" in text and "original language: jpn (rule 1" in text
    assert "6 files would be changed, 10 tracks removed" in text


def test_kept_tracks_are_exactly_the_planned_ones(applied: dict[str, Any]) -> None:
    assert applied["first"].code == 0, applied["first"]
    five = applied["paths"]["Films/five.mkv"]
    assert mkv_tracks(five) == [
        ("video", "AVC/H.264/MPEG-4p10", "und", None, True, False),  # 'movie.mkv' title cleared
        ("audio", "AAC", "ger", "German 5.1", False, False),  # the original stays first
        ("audio", "AAC", "eng", "English Stereo", True, False),
        ("audio", "AAC", "ger", "German Stereo", False, False),  # und relabelled to the original
        ("subtitles", "SubRip/SRT", "eng", None, False, False),
        ("subtitles", "SubRip/SRT", "eng", "SDH", False, False),
        ("subtitles", "SubRip/SRT", "eng", "Forced", False, True),  # forced, in a kept audio language
    ]
    planned = by_name(applied["dry"].json())["five.mkv"]
    kept = len([a for a in planned["actions"] if a["action"] == "remove"])
    assert kept == 13 - len(mkv_tracks(five))


def test_anime_rule_sets_the_original_language_and_the_font_stays_with_ass(applied: dict[str, Any]) -> None:
    show = applied["paths"]["Anime/show.mkv"]
    assert mkv_tracks(show) == [
        ("video", "AVC/H.264/MPEG-4p10", "und", None, True, False),
        ("audio", "AAC", "eng", "English Stereo", True, False),
        ("audio", "AAC", "jpn", "Japanese Stereo", False, False),
        ("subtitles", "SubStationAlpha", "eng", None, False, False),
    ]
    assert attachments(show) == ["font.ttf"]


def test_mp4_and_avi_become_mkv_with_the_same_file_id(applied: dict[str, Any]) -> None:
    root, home, ids = applied["root"], applied["home"], applied["ids"]
    files = by_name(applied["first"].json())
    assert files["movie.mkv"]["status"] == "changed" and files["movie.mkv"]["renamed_from"].endswith(
        "movie.mp4"
    )
    assert file_id(home, root / "Films/movie.mkv") == ids["Films/movie.mp4"]
    assert file_id(home, root / "Films/clip.mkv") == ids["Films/clip.avi"]
    assert file_id(home, root / "Films/movie.mp4") is None
    assert sorted(os.listdir(root / "Films")) == [
        "clip.mkv",
        "five.mkv",
        "italian.mkv",
        "movie.mkv",
        "two.mkv",
    ]
    assert mkv_tracks(root / "Films/movie.mkv") == [
        ("video", "AVC/H.264/MPEG-4p10", "und", None, True, False),
        ("audio", "AAC", "eng", "English Stereo", True, False),
        # mov_text became SRT; MP4's muxer forced a default on the lone subtitle, and in
        # Matroska, which keeps flags as written, clear_other_defaults clears it
        ("subtitles", "SubRip/SRT", "eng", None, False, False),
    ]
    assert [t[:2] for t in mkv_tracks(root / "Films/clip.mkv")] == [("video", "MPEG-4p2"), ("audio", "MP3")]
    history = query(home, "SELECT count(*) FROM job_files WHERE file_id = ?", ids["Films/movie.mp4"])
    assert history[0][0] >= 1


def test_the_only_audio_track_stays_whatever_the_languages(applied: dict[str, Any]) -> None:
    audio = [t for t in mkv_tracks(applied["paths"]["Films/italian.mkv"]) if t[0] == "audio"]
    assert [(t[2], t[3]) for t in audio] == [("ita", "Italian Stereo")]


def test_labels_alone_are_an_in_place_edit(make_video: MakeVideo, tmp_path: Path) -> None:
    """No track removed, no reorder: mkvpropedit sets the language and the names in place."""
    film = make_video(
        tmp_path / "lib" / "labels.mkv",
        video_title="labels.mkv",
        audio=[("eng", "Track 1", True), (None, None, False)],
        tone=2080,
    )
    build(make_video, tmp_path / "lib", [])
    home = tmp_path / "home"
    scan(home, tmp_path / "lib")
    inode = os.stat(film).st_ino
    text = (
        "schema_version: 2\nlabels:\n  untagged_audio: original\n  clear_titles_matching: ['^Track', 'mkv$']\n"
        "  audio_titles: {when: empty, template: '{language_name}'}\n"
    )
    done = run_vpo(home, "--log-level", "info", "apply", "--policy", policy(tmp_path, text), "--json", film)
    assert done.code == 0 and "with mkvpropedit" in done.stderr, done
    assert os.stat(film).st_ino == inode
    assert [t[2:4] for t in mkv_tracks(film)] == [("und", None), ("eng", "English"), ("eng", "English")]
    again = run_vpo(home, "apply", "--policy", policy(tmp_path, text), "--json", film)
    assert again.json()["files"][0]["status"] == "unchanged", again


def test_a_second_apply_changes_nothing(applied: dict[str, Any]) -> None:
    second = applied["second"]
    assert second.code == 0, second
    assert {f["status"] for f in second.json()["files"]} == {"unchanged"}


# --------------------------------------------------------------------------- one library each


def _one(make_video: MakeVideo, tmp_path: Path, names: list[str]) -> tuple[Path, dict[str, Path]]:
    paths = build(make_video, tmp_path / "lib", names)
    scan(tmp_path / "home", tmp_path / "lib")
    return tmp_path / "home", paths


def test_min_tracks_keeps_the_best_ranked_removed_track(make_video: MakeVideo, tmp_path: Path) -> None:
    home, paths = _one(make_video, tmp_path, ["Films/two.mkv", "Films/italian.mkv"])
    rules = policy(
        tmp_path, "schema_version: 2\naudio_language_preference: [fre]\nkeep:\n  audio: {languages: [eng]}\n"
    )
    done = run_vpo(home, "apply", "--policy", rules, "--json", tmp_path / "lib")
    assert done.code == 0, done
    assert [t[2] for t in mkv_tracks(paths["Films/two.mkv"]) if t[0] == "audio"] == ["fre"]
    assert [t[2] for t in mkv_tracks(paths["Films/italian.mkv"]) if t[0] == "audio"] == ["ita"]
    notes = by_name(done.json())["two.mkv"]["notes"]
    assert notes == [
        "keep track 2 although audio language fre is not kept (keep.audio.languages: eng): "
        "keep.audio.min_tracks is 1"
    ]


@pytest.mark.parametrize(
    ("forced", "expected"),
    [("all", ["eng", "fre"]), ("none", []), ("kept_audio", ["eng"])],
)
def test_forced_subtitles_follow_keep_subtitles_forced(
    make_video: MakeVideo, tmp_path: Path, forced: str, expected: list[str]
) -> None:
    home, paths = _one(make_video, tmp_path, ["Films/five.mkv"])
    text = f"schema_version: 2\nkeep:\n  audio: {{languages: [eng]}}\n  subtitles: {{languages: [], forced: {forced}}}\n"
    done = run_vpo(home, "apply", "--policy", policy(tmp_path, text), "--json", tmp_path / "lib")
    assert done.code == 0, done
    subs = [t for t in mkv_tracks(paths["Films/five.mkv"]) if t[0] == "subtitles"]
    assert [t[2] for t in subs] == expected and all(t[5] for t in subs)


def test_fonts_go_with_the_last_styled_subtitle(make_video: MakeVideo, tmp_path: Path) -> None:
    home, paths = _one(make_video, tmp_path, ["Anime/show.mkv"])
    show = paths["Anime/show.mkv"]
    none = policy(tmp_path, "schema_version: 2\nkeep: {attachments: none}\n", "none.yaml")
    done = run_vpo(home, "apply", "--policy", none, "--json", show)
    assert done.code == 0 and by_name(done.json())["show.mkv"]["status"] == "unchanged", done
    assert attachments(show) == ["font.ttf"]
    drop_subs = policy(
        tmp_path, "schema_version: 2\nkeep:\n  subtitles: {languages: []}\n  attachments: fonts\n"
    )
    done = run_vpo(home, "apply", "--policy", drop_subs, "--json", show)
    assert done.code == 0, done
    assert attachments(show) == [] and not [t for t in mkv_tracks(show) if t[0] == "subtitles"]


def test_rules_skip_warn_and_fail_as_written(make_video: MakeVideo, vpo: RunVpo, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    for folder in ("Skip", "Warn", "Fail"):
        make_video(lib / folder / "a.mkv", audio=[("eng", None, True), ("fre", None, False)], tone=2070)
    build(make_video, lib, [])
    assert vpo("scan", lib).code == 0
    text = """\
schema_version: 2
keep: {audio: {languages: [eng]}}
rules:
  - {when: {path: "Skip/**"}, action: skip, reason: handled by hand}
  - {when: {path: "Warn/*.mkv"}, action: warn, reason: check the sound}
  - {when: {all: [{path: "Fail/**"}, {audio: {count: ">=2"}}]}, action: fail, reason: two audio tracks}
"""
    before = {f: snap(lib / f / "a.mkv") for f in ("Skip", "Fail")}
    # A dry run shows a rule's warning with its file's plan (not again on stderr)...
    dry = vpo("apply", "--policy", policy(tmp_path, text), "--dry-run", lib)
    assert "warning: rule 2: check the sound" in dry.stdout and "check the sound" not in dry.stderr, dry
    # ... the apply logs it, as it happens.
    done = vpo("apply", "--policy", policy(tmp_path, text), "--json", lib)
    assert done.code == 1, done
    files = {Path(f["path"]).parent.name: f for f in done.json()["files"]}
    assert files["Skip"]["status"] == "unchanged"
    assert files["Skip"]["rule"] == {"action": "skip", "reason": "rule 1: handled by hand"}
    assert files["Warn"]["status"] == "changed" and files["Warn"]["warnings"] == ["rule 2: check the sound"]
    assert "rule 2: check the sound" in done.stderr
    assert files["Fail"]["status"] == "failed" and files["Fail"]["error"] == "rule 3: two audio tracks"
    assert {f: snap(lib / f / "a.mkv") for f in ("Skip", "Fail")} == before


def test_a_stream_matroska_cannot_hold_fails_the_file_and_nothing_changes(
    vpo: RunVpo, tmp_path: Path
) -> None:
    mp4 = make_timecode_mp4(tmp_path / "lib" / "tc.mp4")
    assert vpo("scan", tmp_path / "lib").code == 0
    before = snap(mp4)
    done = vpo("apply", "--policy", policy(tmp_path, "schema_version: 2\ncontainer: mkv\n"), "--json", mp4)
    assert done.code == 1, done
    (f,) = done.json()["files"]
    assert f["status"] == "failed" and "cannot be stored in Matroska" in f["error"] and "data" in f["error"]
    assert snap(mp4) == before and os.listdir(tmp_path / "lib") == ["tc.mp4"]


def test_a_kept_original_is_all_that_stays_under_the_old_name(make_video: MakeVideo, tmp_path: Path) -> None:
    home, _paths = _one(make_video, tmp_path, ["Films/clip.avi"])
    done = run_vpo(
        home, "apply", "--policy", policy(tmp_path, "schema_version: 2\ncontainer: mkv\n"), tmp_path / "lib"
    )
    assert done.code == 0, done
    assert sorted(os.listdir(tmp_path / "lib" / "Films")) == ["clip.avi.vpo-original", "clip.mkv"]


def test_policy_check_prints_every_default_and_names_bad_keys(vpo: RunVpo, tmp_path: Path) -> None:
    good = vpo(
        "policy", "check", "--json", policy(tmp_path, "schema_version: 2\nkeep: {attachments: fonts}\n")
    )
    assert good.code == 0, good
    doc = good.json()["policy"]
    assert doc["keep"]["audio"] == {"languages": None, "commentary": True, "min_tracks": 1}
    assert doc["container"] == "keep" and doc["rules"] == [] and doc["labels"]["untagged_audio"] is None
    text = vpo("policy", "check", policy(tmp_path, "schema_version: 2\n", "p.yaml"))
    assert text.code == 0 and "min_tracks: 1" in text.stdout
    bad = policy(
        tmp_path,
        "schema_version: 2\nrules:\n  - when:\n      audio: {channelz: 2}\n    action: skip\n",
        "b.yaml",
    )
    err = vpo("policy", "check", bad)
    assert err.code == 2
    assert f"{bad}:4: rules.0.when.audio.channelz: unknown key 'channelz'; accepted keys:" in err.stderr
