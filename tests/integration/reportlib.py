"""A small varied library for the `vpo files` and `vpo report` tests, catalogued by the
real CLI, and what ffprobe says of each of its files (the expectations).

Layouts cover every grouping of the report: five containers, four video codecs (one made
by a real transcode job), the four resolution classes, PQ and HLG HDR, several audio
codecs and channel counts, audio and subtitle languages (present and absent), a
non-UTF-8 name, two broken files and one missing file.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engine
import media
from integration.conftest import VPO, Result, age_tree

A = media.AudioSpec
S = media.SubtitleSpec
NON_UTF8 = b"tv/caf\xe9 latin1.mkv"

# name -> make_video keywords (films/uhd-pq.mkv and films/fhd-hlg.mp4 are made by `_hdr`).
LAYOUTS: dict[str, dict[str, Any]] = {
    "films/scope.mkv": dict(
        width=1920,
        height=800,
        audio=(A("jpn", None, True, 2), A("eng", "Dub", False, 2)),
        subtitles=(S("eng", None, False, False), S("fre", "Forced", False, True)),
        tone=330,
    ),
    "films/hd.mkv": dict(
        width=1280,
        height=720,
        video_codec="vp9",
        audio_codec="opus",
        audio=(A("spa", None, True, 2),),
        subtitles=(S("spa", None, False, False),),
        tone=340,
    ),
    "tv/ep1.mkv": dict(audio=(A("eng", None, True, 2),), tone=350),
    "tv/ep2.webm": dict(audio=(A("eng", None, True, 1),), subtitles=(S("eng"),), tone=360),
    "tv/clip.avi": dict(audio=(A(None, None, False, 1),), tone=370),
    "tv/dual.mp4": media.DUAL,
    "tv/old.mov": dict(audio=(A("ger", None, True, 2),), subtitles=(S("ger"),), tone=380),
    "films/gone.mkv": dict(audio=(A("ita", None, True, 2),), tone=390),
}
HDR = {
    "films/uhd-pq.mkv": ("smpte2084", 3840, 2160, "eng", 6),
    "films/fhd-hlg.mp4": ("arib-std-b67", 1920, 1080, "eng", 2),
}
BROKEN = ("films/truncated.mkv", "tv/empty.mkv")
MISSING = "films/gone.mkv"
TRANSCODED = "films/hd.mkv"  # vp9 -> hevc by a real transcode job


@dataclass(frozen=True)
class Probed:
    """One file as ffprobe reports it."""

    path: bytes
    size: int
    container: str
    video: tuple[str, int, int, str | None] | None  # codec, width, height, color_transfer
    audio: tuple[tuple[str, int, str], ...]  # codec, channels, language per track
    subtitles: tuple[str, ...]  # language per track


@dataclass
class Library:
    root: Path
    home: Path
    env: dict[str, str]
    probed: dict[bytes, Probed]  # every readable file (and the missing one, as it was)
    broken: set[bytes]
    missing: set[bytes]
    transcode: tuple[int, int]  # bytes before, after

    def run(self, *args: Any) -> Result:
        return run_vpo(self.env, *args)

    def path(self, name: str | bytes) -> bytes:
        return os.fsencode(self.root) + b"/" + os.fsencode(name)


def run_vpo(env: dict[str, str], *args: Any) -> Result:
    argv = [os.fsencode(a) if isinstance(a, (bytes, Path)) else str(a) for a in args]
    done = subprocess.run([str(VPO), *argv], capture_output=True, env=env, stdin=subprocess.DEVNULL)
    return Result(
        list(args),
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )


def _hdr(dest: Path, transfer: str, width: int, height: int, language: str, channels: int) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            media.FFMPEG, "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=5:duration=0.4",
            "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=8000:duration=0.4",
            "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
            "-color_trc", transfer, "-color_primaries", "bt2020", "-colorspace", "bt2020nc",
            "-c:a", "aac", "-b:a", "24k", "-ac", str(channels),
            "-metadata:s:a:0", f"language={language}", "-disposition:a:0", "default",
            str(dest),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def container_of(format_name: str, path: bytes) -> str:
    """libavformat's family name narrowed to the member, by extension (as documented in
    docs/reports.md): matroska/webm, mp4/mov."""
    ext = path.rsplit(b".", 1)[-1].lower()
    names = format_name.split(",")
    if "matroska" in names:
        return "webm" if ext == b"webm" else "matroska"
    if "mov" in names:
        return "mov" if ext == b"mov" else "mp4"
    return names[0]


def probe(path: bytes) -> Probed:
    data = media.ffprobe(Path(os.fsdecode(path)))
    streams = data["streams"]
    video = next(
        (
            s
            for s in streams
            if s["codec_type"] == "video" and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )

    def lang(s: dict) -> str:
        return ((s.get("tags") or {}).get("language")) or "und"

    return Probed(
        path=path,
        size=os.stat(path).st_size,
        container=container_of(data["format"]["format_name"], path),
        video=(video["codec_name"], video["width"], video["height"], video.get("color_transfer"))
        if video
        else None,
        audio=tuple((s["codec_name"], s["channels"], lang(s)) for s in streams if s["codec_type"] == "audio"),
        subtitles=tuple(lang(s) for s in streams if s["codec_type"] == "subtitle"),
    )


def build(root: Path, home: Path, make_video: Any) -> Library:
    """Make, catalogue, transcode one file, and lose one: the library every test reads."""
    for name, kwargs in LAYOUTS.items():
        make_video(root / name, **kwargs)
    make_video(Path(os.fsdecode(os.fsencode(root) + b"/" + NON_UTF8)), **media.MOVIE)
    for name, spec in HDR.items():
        _hdr(root / name, *spec)
    media.truncated_copy(make_video(root / "films/whole.mkv", **media.MOVIE), root / BROKEN[0])
    os.unlink(root / "films/whole.mkv")
    (root / BROKEN[1]).write_bytes(b"")
    age_tree(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")}
    env["VPO_HOME"] = str(home)
    env.update(engine.env_for(home))
    lib = Library(root, home, env, {}, set(), set(), (0, 0))
    scan = lib.run("scan", root, "--json")
    assert scan.code == 1 and scan.json()["counts"]["errors"] == len(BROKEN), scan

    target = lib.path(TRANSCODED)
    before = os.stat(target).st_size
    # a tiny clip grows when re-encoded: keep the larger result, so the report has a real
    # (negative) saving to add up (the default, transcode.keep_if_larger: false, discards it)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("transcode:\n  keep_if_larger: true\n")
    queued = lib.run("transcode", "--codec", "hevc", target, "--json")
    assert queued.code == 0, queued
    ran = lib.run("jobs", "run", "--json")
    assert ran.code == 0 and [j["status"] for j in ran.json()["jobs"]] == ["completed"], ran
    lib.transcode = (before, os.stat(target).st_size)

    for dirpath, _dirs, names in os.walk(os.fsencode(root)):
        for name in names:
            path = os.path.join(dirpath, name)
            if name.endswith(b".vpo-original"):
                continue
            rel = os.path.relpath(path, os.fsencode(root)).decode("utf-8", "surrogateescape")
            if rel in BROKEN:
                lib.broken.add(path)
            else:
                lib.probed[path] = probe(path)
    gone = lib.path(MISSING)
    os.unlink(gone)
    lib.missing.add(gone)
    rescan = lib.run("scan", root, "--json")
    assert rescan.code == 0 and rescan.json()["counts"]["removed"] == 1, rescan
    return lib


def present(lib: Library) -> list[Probed]:
    """The readable files on disk now."""
    return [p for path, p in lib.probed.items() if path not in lib.missing]


def json_of(result: Result) -> Any:
    assert result.code == 0, result
    assert "Traceback" not in result.stderr, result
    return json.loads(result.stdout)
