"""MP4/MOV (ISO base media) outer structure: top-level boxes that tile the file.

Each top-level box starts with its size and four-character type, so walking them costs
one small read per box (a handful for a film; one per fragment in a fragmented MP4). A
complete file is exactly covered by its boxes and has a `moov` (the index of every
sample: a recording that never finished has `mdat` but no `moov`, and cannot be played).
"""

from __future__ import annotations

import os
import struct

# Types a file may start with; anything else is not left to this check.
FIRST_TYPES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp"})
MAX_BOXES = 1_000_000  # a fragmented file has two per fragment; beyond this we stop looking
ZERO_TAIL = 1 << 20  # zero padding after the last box (block-size copies) is harmless up to this


def looks_like(head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] in FIRST_TYPES


def _name(kind: bytes) -> str:
    text = kind.decode("latin-1")
    return text if text.isprintable() else kind.hex()


def _zero_tail(fd: int, pos: int, file_size: int, header: bytes) -> bool:
    """Are the bytes from `pos` to the end all zeros (padding, not a box)?"""
    if header.strip(b"\0") or file_size - pos > ZERO_TAIL:
        return False
    return not os.pread(fd, file_size - pos, pos).strip(b"\0")


def check(fd: int, file_size: int) -> str | None:
    """The reason the MP4/MOV file open at `fd` is broken, or None."""
    pos = 0
    seen: list[str] = []
    while pos < file_size:
        if len(seen) >= MAX_BOXES:
            return None
        header = os.pread(fd, 16, pos)
        if _zero_tail(fd, pos, file_size, header):
            break
        if len(header) < 8:
            return (
                f"truncated: {file_size - pos:,} bytes after the last box "
                f"(at {pos:,}) are too few for a box header"
            )
        size, kind = struct.unpack(">I4s", header[:8])
        name = _name(kind)
        if not all(32 <= b < 127 for b in kind):
            return f"corrupt: unreadable box type at byte {pos:,} (after {', '.join(seen[-3:]) or 'nothing'})"
        length = 8
        if size == 1:
            if len(header) < 16:
                return f"truncated: the file ends inside the header of the '{name}' box at {pos:,}"
            (size,) = struct.unpack(">Q", header[8:16])
            length = 16
        elif size == 0:
            size = file_size - pos  # "to the end of the file": only the last box may say so
        if size < length:
            return f"corrupt: the '{name}' box at byte {pos:,} declares {size:,} bytes"
        end = pos + size
        if end > file_size:
            return f"truncated: the '{name}' box ends at {end:,} bytes, the file has {file_size:,}"
        seen.append(name)
        pos = end
    if "moov" not in seen:
        boxes = ", ".join(dict.fromkeys(seen))
        return f"unfinished: no 'moov' box (the index of the samples; top-level boxes: {boxes})"
    return None
