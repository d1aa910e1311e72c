"""Byte-level helpers of the test media: unique copies of a master (its media id rewritten)
and deliberately damaged copies (media.py re-exports them)."""

from __future__ import annotations

import os
import random
from pathlib import Path

_ID_PREFIX = b"vpo-media-id:"
_ID_PLACEHOLDER = _ID_PREFIX + b"0" * 16


# --------------------------------------------------------------------------- copies


def copy_unique(src: Path | bytes, dst: Path | bytes, unique_id: int, *, data: bytes | None = None) -> None:
    """Copy a master to ``dst`` (a new, separate file) with its media id set to
    ``unique_id``, so the copy's bytes differ from every other copy's."""
    if data is None:
        with open(src, "rb") as fh:
            data = fh.read()
    if _ID_PLACEHOLDER not in data:  # once, or twice in MOV (©cmt and ©des)
        raise ValueError(f"{os.fsdecode(src)!r} has no media id placeholder")
    stamped = data.replace(_ID_PLACEHOLDER, _ID_PREFIX + b"%016x" % (unique_id & (2**64 - 1)))
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    with open(dst, "wb") as fh:
        fh.write(stamped)


# --------------------------------------------------------------------------- truncation


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"bad EBML vint at {pos}")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    return value, pos + length


def matroska_tracks_offset(data: bytes) -> int:
    """Offset of the top-level Tracks element of a Matroska file (a tiny EBML walk)."""
    ebml_id, pos = _read_vint(data, 0, keep_marker=True)
    if ebml_id != 0x1A45DFA3:
        raise ValueError("not an EBML file")
    size, pos = _read_vint(data, pos, keep_marker=False)
    pos += size
    seg_id, pos = _read_vint(data, pos, keep_marker=True)
    if seg_id != 0x18538067:
        raise ValueError("no Segment after the EBML header")
    _, pos = _read_vint(data, pos, keep_marker=False)
    while pos < len(data):
        start = pos
        elem, pos = _read_vint(data, pos, keep_marker=True)
        size, pos = _read_vint(data, pos, keep_marker=False)
        if elem == 0x1654AE6B:
            return start
        pos += size
    raise ValueError("no Tracks element")


# Truncated Matroska: cut 16 bytes into the top-level Tracks element, i.e. inside
# the first TrackEntry (~byte 300 of a ~20 KB file). The EBML header, SeekHead and
# Segment Info are intact, so the file still *looks* like Matroska, but no track is
# complete. A cut in the middle of the file does not work: the headers sit at the
# start, so ffprobe and PyAV open it fine and list every stream. Checked for every
# cut length 1..1400 of the corpus master: ffprobe 5.1 exits 1 ("Invalid data") up
# to the end of Tracks (~1270) and PyAV 18 (FFmpeg 8 libs) raises InvalidDataError,
# EOFError or plain OSError (FFmpegError) — probers must catch all of them.
TRUNCATE_INTO_TRACKS = 16


def truncated_copy(src: Path, dst: Path) -> int:
    """Write a copy of the Matroska ``src`` cut inside its track list; returns the length."""
    data = Path(src).read_bytes()
    cut = matroska_tracks_offset(data) + TRUNCATE_INTO_TRACKS
    Path(dst).write_bytes(data[:cut])
    return cut


def random_bytes_file(dst: Path, size: int = 4096, seed: int = 42) -> None:
    """Deterministic noise with a video extension (not really video)."""
    Path(dst).write_bytes(random.Random(seed).randbytes(size))
