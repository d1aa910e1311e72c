"""Media that makes schema 2 policies bite (SPEC 13), and reading a result with `mkvmerge -J`.

Layouts for `make_video` (memoised per session, so each is encoded once), plus an MP4
with a stream Matroska cannot hold (a QuickTime timecode data track), made with ffmpeg.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import media
from integration.conftest import age_tree
from integration.scanutil import run_vpo
from media import AttachmentSpec as At
from media import AudioSpec as A
from media import SubtitleSpec as S

LAYOUTS: dict[str, dict[str, Any]] = {
    # five audio languages (one untagged) + commentary; forced, hearing-impaired and
    # commentary subtitles; titles a person never meant (`Track 1`, `movie.mkv`)
    "Films/five.mkv": dict(
        video_title="movie.mkv",
        audio=[
            A("ger", "Track 1", True, 6),
            A("eng", None, False, 2),
            A("fre"),
            A("jpn"),
            A(None),
            A("eng", "Commentary"),
        ],
        subtitles=[
            S("eng"),
            S("ger"),
            S("eng", "Forced", False, True),
            S("fre", None, False, True),
            S("eng", "Commentary"),
            S("eng", "SDH"),
        ],
        tone=2010,
    ),
    # styled subtitles and the font they need
    "Anime/show.mkv": dict(
        audio=[A("jpn", None, True), A("eng")],
        subtitles=[S("eng"), S("jpn")],
        subtitle_codec="ass",
        attachments=[At("font.ttf")],
        tone=2020,
    ),
    # mov_text subtitles
    "Films/movie.mp4": dict(
        audio=[A("eng", None, True), A("fre")], subtitles=[S("eng"), S("fre")], tone=2030
    ),
    "Films/clip.avi": dict(audio=[A("eng", None, True)], tone=2040),
    # the only audio is in a language no policy here keeps
    "Films/italian.mkv": dict(audio=[A("ita", None, True)], tone=2050),
    # two unwanted languages: min_tracks keeps the best-ranked one
    "Films/two.mkv": dict(audio=[A("ger", None, True), A("fre")], tone=2060),
}

KEEP_ORIGINAL_AND_ENGLISH = r"""
schema_version: 2
audio_language_preference: [eng]
subtitle_language_preference: [eng]
keep:
  audio: {languages: [original, eng], commentary: false, min_tracks: 1}
  subtitles: {languages: [eng], forced: kept_audio, commentary: false}
  attachments: fonts
labels:
  untagged_audio: original
  audio_titles: {when: empty, template: "{language_name} {channel_layout}"}
  clear_titles_matching: ['^Track \d+$', '\.(mkv|mp4|avi)$']
container: mkv
rules:
  - when: {path: "Anime/**"}
    set: {original_language: jpn}
"""


def build(make_video: Callable[..., Path], root: Path, names: list[str] | None = None) -> dict[str, Path]:
    out = {name: make_video(root / name, **LAYOUTS[name]) for name in names or list(LAYOUTS)}
    age_tree(root)
    return out


def make_timecode_mp4(dest: Path) -> Path:
    """An MP4 with a `tmcd` data track (ffprobe: codec_type data), which Matroska cannot hold."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    args = [media.FFMPEG, "-nostdin", "-v", "error", "-y"]
    args += ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1"]
    args += ["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000:duration=1"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-timecode", "00:00:00:00"]
    subprocess.run([*args, str(dest)], check=True, capture_output=True)
    age_tree(dest.parent)
    return dest


def scan(home: Path, root: Path) -> None:
    done = run_vpo(home, "scan", root)
    assert done.code == 0, done


def mkv_tracks(path: Path | bytes) -> list[tuple[Any, ...]]:
    """(type, codec, language, name, default, forced) of every track, read by `mkvmerge -J`."""
    out = subprocess.run(["mkvmerge", "-J", os.fsdecode(path)], capture_output=True, check=True).stdout
    doc = json.loads(out)
    assert doc["container"]["type"] == "Matroska", doc["container"]
    rows = []
    for t in doc["tracks"]:
        p = t["properties"]
        rows.append(
            (
                t["type"],
                t["codec"],
                p.get("language"),
                p.get("track_name"),
                bool(p.get("default_track")),
                bool(p.get("forced_track")),
            )
        )
    return rows


def attachments(path: Path | bytes) -> list[str]:
    out = subprocess.run(["mkvmerge", "-J", os.fsdecode(path)], capture_output=True, check=True).stdout
    return [a["file_name"] for a in json.loads(out).get("attachments", [])]
