"""Helpers of the apply tests (test_apply_plans, test_apply_safety)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import media
from integration.conftest import Result, age_tree
from integration.scanutil import query

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


IN_PLACE = {"flags.mkv"}  # mkvpropedit: a journal in $VPO_HOME/journal, no copy


def method_of(run: Run, name: str) -> str:
    files = {os.path.basename(f["path"]): f for f in run.jobs["show"].json()["files"]}
    return files[name]["details"]["method"]


def write_profile(home: Path, name: str, text: str) -> None:
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "profiles" / f"{name}.yaml").write_text(text)


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
