"""Image subtitles for the subtitle-file tests (SPEC 19): a tiny PGS (`.sup`) writer, and
Matroska files carrying PGS or VobSub tracks made from it.

This ffmpeg has no PGS encoder and cannot turn text into bitmap subtitles, so the `.sup`
is written here, byte by byte, as Blu-ray players read it. Each caption is a display set:
PCS (0x16, presentation composition: the screen, one object), WDS (0x17, the window it is
drawn in), PDS (0x14, palette: transparent + white), ODS (0x15, the bitmap, run-length
encoded), END (0x80); then a display set of PCS (no object) + WDS + END that clears it. Every
segment starts with "PG", its PTS and DTS (90 kHz), its type and its size. ffmpeg decodes
it (`hdmv_pgs_subtitle`) and mkvmerge muxes it (one block per display set).

VobSub (`dvd_subtitle`) is made from that by ffmpeg's dvdsub encoder (bitmap to bitmap);
mkvextract writes such a track as `.idx` + `.sub`. Standard library only; importable as
`media_pgs` (tests/ is on sys.path).
"""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FFMPEG = os.environ.get("VPO_TEST_FFMPEG", "ffmpeg")
MKVMERGE = os.environ.get("VPO_TEST_MKVMERGE", "mkvmerge")
TICKS = 90_000  # PGS time stamps: 90 kHz

PCS, WDS, PDS, ODS, END = 0x16, 0x17, 0x14, 0x15, 0x80


@dataclass(frozen=True)
class ImageSub:
    """One bitmap subtitle track: its codec (pgs | vobsub), language and forced flag."""

    language: str
    forced: bool = False
    codec: str = "pgs"  # pgs | vobsub


def _segment(kind: int, pts: int, payload: bytes) -> bytes:
    return b"PG" + struct.pack(">IIBH", pts, pts, kind, len(payload)) + payload


def _rle(width: int, height: int) -> bytes:
    """A white box with a transparent border, one line after another (colour 1 on 0)."""
    lines = []
    for y in range(height):
        if y in (0, height - 1):
            line = bytes([0, 0x40 | (width >> 8), width & 0xFF]) if width >= 64 else bytes([0, width])
        else:
            body = width - 2
            line = bytes([0, 1]) + bytes([0, 0x80 | body, 1]) + bytes([0, 1])
        lines.append(line + b"\x00\x00")  # end of line
    return b"".join(lines)


def _display_set(pts: int, number: int, size: tuple[int, int], box: tuple[int, int]) -> bytes:
    (sw, sh), (bw, bh) = size, box
    x, y = (sw - bw) // 2, sh - bh - 4
    composition = struct.pack(">HHBHBBBB", sw, sh, 0x10, number, 0x80, 0, 0, 1)
    composition += struct.pack(">HBBHH", 0, 0, 0, x, y)  # object 0 in window 0, not cropped
    window = struct.pack(">BBHHHH", 1, 0, x, y, bw, bh)
    palette = struct.pack(">BB", 0, 0) + bytes([0, 16, 128, 128, 0]) + bytes([1, 235, 128, 128, 255])
    data = struct.pack(">HH", bw, bh) + _rle(bw, bh)
    obj = struct.pack(">HBB", 0, 0, 0xC0) + len(data).to_bytes(3, "big") + data
    return b"".join(
        _segment(kind, pts, payload)
        for kind, payload in ((PCS, composition), (WDS, window), (PDS, palette), (ODS, obj), (END, b""))
    )


def _clearing_set(pts: int, number: int, size: tuple[int, int], box: tuple[int, int]) -> bytes:
    (sw, sh), (bw, bh) = size, box
    x, y = (sw - bw) // 2, sh - bh - 4
    composition = struct.pack(">HHBHBBBB", sw, sh, 0x10, number, 0x00, 0, 0, 0)
    window = struct.pack(">BBHHHH", 1, 0, x, y, bw, bh)
    return b"".join(
        _segment(kind, pts, payload) for kind, payload in ((PCS, composition), (WDS, window), (END, b""))
    )


def sup_bytes(
    captions: Sequence[tuple[float, float]],
    *,
    size: tuple[int, int] = (64, 48),
    box: tuple[int, int] = (24, 8),
) -> bytes:
    """A `.sup` showing a box during each (start, end) in seconds: two display sets each."""
    out = []
    for n, (start, end) in enumerate(captions):
        out.append(_display_set(round(start * TICKS), 2 * n, size, box))
        out.append(_clearing_set(round(end * TICKS), 2 * n + 1, size, box))
    return b"".join(out)


def display_sets(captions: Sequence[tuple[float, float]]) -> int:
    """How many display sets (Matroska blocks, ffprobe's packets of a muxed track) a `.sup`
    of `captions` holds."""
    return 2 * len(captions)


CAPTIONS = ((0.1, 0.4), (0.5, 0.9))


def add_image_subtitles(video: Path, dest: Path, subs: Sequence[ImageSub]) -> Path:
    """`video` (Matroska, no subtitles needed) with one bitmap track per `subs` appended,
    written to `dest`: PGS muxed by mkvmerge from a generated `.sup`, VobSub made by
    ffmpeg's dvdsub encoder from such a PGS track."""
    with tempfile.TemporaryDirectory(prefix="vpo-pgs-") as tmp:
        sup = Path(tmp) / "captions.sup"
        sup.write_bytes(sup_bytes(CAPTIONS))
        vob = Path(tmp) / "vobsub.mkv"
        if any(s.codec == "vobsub" for s in subs):
            # -fix_sub_duration: each bitmap ends where the next display set starts (PGS's
            # decoder leaves it open, and a 2^32 ms duration would become the file's)
            encode = ["-fix_sub_duration", "-i", str(sup), "-map", "0:s", "-c:s", "dvdsub", str(vob)]
            _run([FFMPEG, "-nostdin", "-v", "error", "-y", *encode])
        args = [MKVMERGE, "-q", "-o", str(dest), str(video)]
        for s in subs:
            flag = "1" if s.forced else "0"
            args += ["--language", f"0:{s.language}", "--forced-display-flag", f"0:{flag}"]
            args += ["--default-track-flag", "0:0", str(vob if s.codec == "vobsub" else sup)]
        _run(args, ok=(0, 1))  # 1: warnings (a second track from one file gets a new UID)
    return dest


def _run(args: list[str], ok: tuple[int, ...] = (0,)) -> None:
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    if proc.returncode not in ok:
        out = (proc.stderr + proc.stdout).decode(errors="replace").strip()
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {out}\ncommand: {args!r}")
