"""Damaged and healthy media for the integrity checks (SPEC section 14), generated with
ffmpeg from `media.make_video` masters. Standard library only; ~2 s.

``build_damaged(dest)`` writes the files below and returns {name: DamagedFile}. Each
says which check must find it (``found_by``: "quick" = every probe and `vpo check`,
"thorough" = only `vpo check --thorough`, None = healthy, must pass every check) and a
fragment its reason must contain.

- ``cut-clusters.mkv``: 3 s Matroska cut at 60 % of its length, inside the clusters
  (headers intact: libavformat lists every track).
- ``cut-headers.mkv``: Matroska cut 16 bytes into its Tracks element.
- ``cut-mdat.mp4``: MP4 with `moov` in front (faststart) cut at 60 %: the `mdat` is short.
- ``no-moov.mp4``: MP4 whose trailing `moov` is gone (a recording that never finished).
- ``zero-tail.mkv``: 6 s Matroska whose second half is zeros (a preallocated download that
  never finished): its structure is whole; the streams end 2.6 s early.
- ``damaged.mkv``: 3 s of 320x240 H.264 whose video bytes are overwritten in the middle
  of the file, structure intact: only decoding finds it.
- ``live.mkv``: a complete Matroska stream written to a pipe with ``-live 1`` (the
  Segment's size is unknown): must pass.
- ``good.*``: mkv, webm, mp4, m4v, mov, avi, a fragmented mp4 and an MPEG-TS; must pass.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import media


class DamagedFile(NamedTuple):
    path: Path
    found_by: str | None  # "quick" | "thorough" | None (healthy)
    reason: str  # a fragment of the expected reason ("" for healthy files)


def _ffmpeg(*args: str | os.PathLike[str], stdout: int | None = None) -> None:
    cmd = [media.FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *map(os.fspath, args)]
    proc = subprocess.run(
        cmd, stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {proc.stderr.decode(errors='replace')}\n{cmd!r}")


def _cut(src: Path, dst: Path, length: int) -> None:
    dst.write_bytes(src.read_bytes()[:length])


def _damage_mid_stream(src: Path, dst: Path) -> None:
    """Overwrite 48 bytes inside video frame data in the middle of the file.

    Looks for the largest run between two Matroska SimpleBlock IDs (0xA3) past the middle
    and writes zeros well inside it, so no element header is touched.
    """
    data = bytearray(src.read_bytes())
    middle = len(data) // 2
    marks = [i for i in range(middle, len(data) - 1) if data[i] == 0xA3]
    gaps = sorted(((b - a, a) for a, b in itertools.pairwise(marks)), reverse=True)
    width, start = gaps[0]
    if width < 400:
        raise RuntimeError("no frame large enough to damage")
    at = start + width // 2
    data[at : at + 48] = bytes(48)
    dst.write_bytes(bytes(data))


def decode_errors(path: Path) -> str:
    """What `ffmpeg -v error -i F -f null -` says about `path` (empty when it decodes)."""
    proc = subprocess.run(
        [
            media.FFMPEG,
            "-nostdin",
            "-v",
            "error",
            "-i",
            os.fspath(path),
            "-map",
            "0:v?",
            "-map",
            "0:a?",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
    )
    return proc.stderr.decode(errors="replace").strip()


def build_damaged(dest: Path) -> dict[str, DamagedFile]:
    root = Path(dest).absolute()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="vpo-damaged-"))
    try:
        one = dict(audio=(media.AudioSpec("eng", None, True, 2),))
        specs = {
            "mkv": (tmp / "m.mkv", dict(container="mkv", duration=3.0, **one)),
            "webm": (tmp / "m.webm", dict(container="webm", **one)),
            "mp4": (tmp / "m.mp4", dict(container="mp4", duration=3.0, **one)),
            "mov": (tmp / "m.mov", dict(container="mov", **one)),
            "avi": (tmp / "m.avi", dict(container="avi", **one)),
            "long": (tmp / "long.mkv", dict(container="mkv", duration=6.0, **one)),
            "big": (
                tmp / "big.mkv",
                dict(container="mkv", duration=3.0, width=320, height=240, fps=10, **one),
            ),
        }
        m = media._build_masters(specs)
        files: dict[str, DamagedFile] = {}

        def add(name: str, found_by: str | None, reason: str = "") -> Path:
            files[name] = DamagedFile(root / name, found_by, reason)
            return root / name

        for key in ("mkv", "webm", "mp4", "mov", "avi"):
            shutil.copyfile(m[key], add(f"good.{key}", None))
        shutil.copyfile(m["mp4"], add("good.m4v", None))
        _ffmpeg(
            "-i",
            m["mp4"],
            "-map",
            "0",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            add("good-faststart.mp4", None),
        )
        _ffmpeg(
            "-i",
            m["mp4"],
            "-map",
            "0",
            "-c",
            "copy",
            "-movflags",
            "frag_keyframe+empty_moov",
            add("good-fragmented.mp4", None),
        )
        _ffmpeg("-i", m["mp4"], "-map", "0", "-c", "copy", "-f", "mpegts", add("good.ts", None))
        with open(add("live.mkv", None), "wb") as out:
            _ffmpeg(
                "-i",
                m["mkv"],
                "-map",
                "0",
                "-c",
                "copy",
                "-f",
                "matroska",
                "-live",
                "1",
                "pipe:1",
                stdout=out.fileno(),
            )

        size = m["mkv"].stat().st_size
        _cut(m["mkv"], add("cut-clusters.mkv", "quick", "truncated: the Segment ends at"), size * 6 // 10)
        media.truncated_copy(m["mkv"], add("cut-headers.mkv", "quick", "truncated: the Segment ends at"))
        fast = tmp / "fast.mp4"
        _ffmpeg("-i", m["mp4"], "-map", "0", "-c", "copy", "-movflags", "+faststart", fast)
        _cut(
            fast,
            add("cut-mdat.mp4", "quick", "truncated: the 'mdat' box ends at"),
            fast.stat().st_size * 6 // 10,
        )
        data = m["mp4"].read_bytes()
        moov = data.rindex(b"moov") - 4
        add("no-moov.mp4", "quick", "no 'moov' box").write_bytes(data[:moov])
        data = bytearray(m["long"].read_bytes())
        data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # a preallocated, unfinished download
        add("zero-tail.mkv", "quick", "incomplete: the streams end at").write_bytes(bytes(data))
        _damage_mid_stream(m["big"], add("damaged.mkv", "thorough", "decoding failed"))
        if not decode_errors(root / "damaged.mkv"):
            raise RuntimeError("damaged.mkv decodes without an error: damage it elsewhere")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stamp = os.stat(root).st_mtime - 3600  # not racy: a library's files are old
    for f in files.values():
        os.utime(f.path, (stamp, stamp))
    return files


if __name__ == "__main__":
    import sys

    for name, f in build_damaged(Path(sys.argv[1])).items():
        print(f"{f.found_by or 'good':9} {name}")
