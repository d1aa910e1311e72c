"""`vpo inspect FILE`: the tracks of one file, probed now, with either prober (issue 2).

The expectation for every track is what ffprobe itself reports (media.probe_tracks), which
the corpus also promises (CorpusFile.tracks).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import engine
import media
from integration.scanutil import SPEC_ERROR_KEYS, assert_no_traceback, one_error_line

FILES = ["movie.mkv", "dual.mp4", "clip.avi", media.NON_UTF8_NAME]
TRACK_KEYS = {
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
}
REPORT_KEYS = {"path", "container", "duration_seconds", "size_bytes", "tracks", "integrity"}


def as_expected(track: dict) -> media.ExpectedTrack:
    assert set(track) == TRACK_KEYS, track
    track = dict(track)
    del track["color_transfer"]  # HDR or not: tests/integration/test_report.py checks it
    return media.ExpectedTrack(**track)


@pytest.mark.parametrize("prober", ["pyav", "ffprobe"])
@pytest.mark.parametrize("name", FILES)
def test_inspect_json_matches_ffprobe(vpo, corpus: media.Corpus, name: str, prober: str) -> None:
    f = corpus.by_name(name)
    result = vpo("inspect", "--json", "--prober", prober, f.fspath)  # raw bytes on the command line
    assert result.code == 0, result
    assert result.stderr == "", result
    doc = result.json()
    assert set(doc) == REPORT_KEYS
    assert os.fsencode(doc["path"]) == f.fspath
    assert doc["container"] == f.container
    assert doc["size_bytes"] == os.stat(f.fspath).st_size
    assert doc["duration_seconds"] == pytest.approx(
        float(media.ffprobe(f.path)["format"]["duration"]), abs=0.05
    )
    got = tuple(as_expected(t) for t in doc["tracks"])
    assert got == media.probe_tracks(f.path)
    assert got == f.tracks


def test_non_utf8_path_is_a_udcxx_escape(vpo, corpus: media.Corpus) -> None:
    f = corpus.by_name(media.NON_UTF8_NAME)
    result = vpo("inspect", "--json", f.fspath)
    assert result.code == 0, result
    assert "caf\\udce9-latin1.mkv" in result.stdout


def test_relative_path_and_leading_dash(vpo, corpus: media.Corpus, tmp_path: Path) -> None:
    """A relative name is made absolute; a name starting with '-' works after `--`."""
    f = corpus.by_name("-starts-with-dash.mkv")
    result = vpo("inspect", "--json", "--", f.path)
    assert result.code == 0, result
    assert result.json()["path"] == str(f.path)


def test_text_output_lists_every_track(vpo, corpus: media.Corpus) -> None:
    f = corpus.by_name("movie.mkv")
    result = vpo("inspect", f.path)
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == str(f.path)
    assert "matroska" in lines[1]
    header = next(i for i, line in enumerate(lines) if line.startswith("#"))
    rows = lines[header + 1 :]
    assert len(rows) == len(f.tracks)
    assert "Director's Commentary" in rows[3] and "jpn" in rows[2]


def test_inspect_does_not_touch_the_catalogue(vpo, vpo_home: Path, corpus: media.Corpus) -> None:
    assert vpo("inspect", corpus.by_name("movie.mkv").path).code == 0
    if engine.has_catalogue(vpo_home):
        conn = engine.connect(vpo_home)
        try:
            assert tuple(conn.execute("SELECT count(*) FROM files").fetchone()) == (0,)
        finally:
            conn.close()


@pytest.mark.parametrize(
    ("name", "prober"),
    [
        ("empty.mkv", "pyav"),
        ("random.mkv", "pyav"),
        ("truncated.mkv", "pyav"),
        ("truncated.mkv", "ffprobe"),
    ],
)
def test_broken_file_exits_1_with_one_line(vpo, corpus: media.Corpus, name: str, prober: str) -> None:
    f = corpus.by_name(name)
    result = vpo("inspect", "--prober", prober, f.path)
    assert result.code == 1, result
    assert result.stdout == ""
    line = one_error_line(result)
    assert str(f.path) in line
    # the path is said once: "Error: PATH: reason"
    assert line.count(str(f.path)) == 1, line
    reason = line.split(f"{f.path}: ", 1)[1]
    assert reason.strip()


@pytest.mark.parametrize("prober", ["pyav", "ffprobe"])
def test_broken_file_json_error(vpo, corpus: media.Corpus, prober: str) -> None:
    f = corpus.by_name("random.mkv")
    result = vpo("inspect", "--json", "--prober", prober, f.path)
    assert result.code == 1, result
    assert_no_traceback(result)
    doc = result.json()
    assert set(doc) == SPEC_ERROR_KEYS
    assert doc["error"] is True and doc["code"] == "PROBE_FAILED"
    assert doc["details"]["path"] == str(f.path)
    assert str(f.path) not in doc["details"]["reason"]
    assert doc["message"] == f"{f.path}: {doc['details']['reason']}"


def test_missing_file_exits_2(vpo, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mkv"
    result = vpo("inspect", missing)
    assert result.code == 2, result
    assert str(missing) in one_error_line(result)
    as_json = vpo("inspect", "--json", missing)
    assert as_json.code == 2
    assert_no_traceback(as_json)
    doc = as_json.json()
    assert doc["error"] is True and set(doc) == SPEC_ERROR_KEYS
    assert doc["details"]["path"] == str(missing)


def test_directory_is_not_a_file(vpo, corpus: media.Corpus) -> None:
    result = vpo("inspect", corpus.root)
    assert result.code == 2, result
    one_error_line(result)


def test_unknown_prober_is_a_usage_error(vpo, corpus: media.Corpus) -> None:
    result = vpo("inspect", "--prober", "nonsense", corpus.by_name("movie.mkv").path)
    assert result.code == 2, result
    assert_no_traceback(result)
    assert "nonsense" in result.stderr
