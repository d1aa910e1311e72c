"""The small surprises a person meets first (issue 13, point 4), through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import media
from integration.conftest import RunVpo, age_tree

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lib(tmp_path: Path, make_video) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    make_video(
        root / "anime.mkv",
        audio=[("jpn", "日本語", True, 2), ("eng", "English", False, 2)],
        subtitles=[("jpn", "字幕", True, False), ("eng", None, False, False)],
    )
    age_tree(root)
    return root


def test_english_first_example_does_what_its_comments_say(vpo: RunVpo, lib: Path) -> None:
    """English audio default, subtitles off: no Japanese subtitle stays default."""
    assert vpo("scan", lib).code == 0
    done = vpo("apply", "--policy", ROOT / "examples/policies/english-first.yaml", lib)
    assert done.code == 0, done
    tracks = media.probe_tracks(lib / "anime.mkv")
    audio = [t for t in tracks if t.type == "audio"]
    subs = [t for t in tracks if t.type == "subtitle"]
    assert audio[0].language == "eng" and audio[0].default and not audio[1].default
    assert not any(t.default for t in subs), subs
    again = vpo("apply", "--policy", ROOT / "examples/policies/english-first.yaml", "--json", lib)
    assert [f["status"] for f in again.json()["files"]] == ["unchanged"]


def test_inspect_aligns_wide_characters(vpo: RunVpo, lib: Path) -> None:
    out = vpo("inspect", lib / "anime.mkv").stdout
    lines = [line for line in out.splitlines() if re.match(r"^\d  ", line)]
    # the DEFAULT column starts at the same terminal cell on every row, CJK titles included
    from vpo.cli.render import width

    starts = {width(line[: line.index("yes")]) for line in lines if "yes" in line}
    assert len(starts) == 1, out


def test_jobs_show_lays_out_an_apply_as_tables(vpo: RunVpo, lib: Path) -> None:
    assert vpo("scan", lib).code == 0
    done = vpo("apply", "--policy", ROOT / "examples/policies/english-first.yaml", "--json", lib)
    shown = vpo("jobs", "show", done.json()["job_id"]).stdout
    assert "\\u" not in shown and "日本語" in shown  # readable, not one JSON line of escapes
    assert re.search(r"before:\n\s+#\s+TYPE\s+CODEC\s+LANG\s+TITLE", shown), shown
    assert re.search(r"after:\n\s+#\s+TYPE", shown), shown
    assert "clear_default track 3: True -> False" in shown


def test_transcode_dry_run_says_what_and_why(vpo: RunVpo, lib: Path) -> None:
    assert vpo("scan", lib).code == 0
    out = vpo("transcode", "--dry-run", "--codec", "hevc", "--crf", "30", "--max-resolution", "480p", lib)
    assert out.code == 0, out
    assert "PLANNED  " in out.stdout and "h264 64x48 -> hevc crf 30, 64x48" in out.stdout, out
    skipped = vpo("transcode", "--dry-run", "--codec", "h264", lib)
    assert "SKIPPED" in skipped.stdout and "skipped: already h264" in skipped.stdout, skipped
    doc = vpo("transcode", "--dry-run", "--json", lib).json()
    assert doc["files"][0]["plan"].startswith("h264 64x48 -> hevc")


def test_scan_of_a_file_that_is_not_catalogued_says_so(vpo: RunVpo, tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("not a video")
    result = vpo("scan", note)
    assert result.code == 2 and result.stdout == "", result
    assert re.fullmatch(
        r"Error: .*notes\.txt: \.txt files are not catalogued \(scan\.extensions: .*\)\n", result.stderr
    ), result


def test_inspect_of_a_directory_needs_a_file(vpo: RunVpo, lib: Path) -> None:
    result = vpo("inspect", "--json", lib)
    assert result.code == 2 and "needs one media file" in result.json()["message"], result


def test_bare_commands_print_their_help_once(vpo: RunVpo) -> None:
    for args in ([], ["jobs"], ["profiles"]):
        result = vpo(*args)
        assert result.code == 0 and result.stderr == "", result
        assert result.stdout.count("Usage:") == 1 and "Error:" not in result.stdout


def test_usage_lines_read_path_not_braces(vpo: RunVpo) -> None:
    for command, usage in (
        (["scan"], "[PATH]..."),  # optional since profiles name their roots (issue 24)
        (["apply"], "[PATH]..."),
        (["inspect"], "FILE"),
        (["jobs", "show"], "ID"),
    ):
        first = vpo(*command, "--help").stdout.splitlines()[0]
        assert first.endswith(usage) and "{" not in first, first
